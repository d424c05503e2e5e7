/**
 * The only module that reads `pulumi.Config`. It collects the raw values, hands them to the pure validator
 * (`config.ts`) and returns the typed stack config plus the secret token as a Pulumi secret Output.
 * Validation runs synchronously, before the program registers any resource.
 */
import { readdirSync, readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { NS, validateConfig, type RawConfig, type StackConfig } from "./config";

export interface LoadedConfig {
  readonly config: StackConfig;
  /** The dispatch token as a secret Output, when the stack manages the token Secret. */
  readonly dispatchToken?: pulumi.Output<string>;
  /** SSH key for the pins cleaner host, a secret, when set. */
  readonly pinsHostPrivateKey?: pulumi.Output<string>;
}

/** Every stack file of the project (pins of all clusters count for the registry allowlist). */
function stackFiles(dir = "."): { stack: string; text: string }[] {
  return readdirSync(dir)
    .map((n) => /^Pulumi\.(.+)\.ya?ml$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => (a[1]! < b[1]! ? -1 : 1))
    .map((m) => ({ stack: m[1]!, text: readFileSync(`${dir}/${m[0]}`, "utf8") }));
}

function isSecretKey(fullKey: string): boolean {
  const fn = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
  return typeof fn === "function" ? fn(fullKey) : true;
}

/** Parses a structured config value: Pulumi hands objects over as JSON text. */
function object(config: pulumi.Config, key: string): unknown {
  const text = pulumi.runtime.getConfig(`${NS}:${key}`);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function loadConfig(now: Date = new Date()): LoadedConfig {
  const config = new pulumi.Config(NS);
  const tokenKey = `${NS}:dispatchToken`;
  // Read as plain text only to check presence and emptiness; the value leaves this function as a secret.
  const tokenText = pulumi.runtime.getConfig(tokenKey);
  const raw: RawConfig = {
    stack: pulumi.getStack(),
    pipeline: object(config, "pipeline"),
    cluster: pulumi.runtime.getConfig(`${NS}:cluster`),
    kubernetes: object(config, "kubernetes"),
    files: object(config, "files"),
    pin: object(config, "pin"),
    dispatchTokenSecret: pulumi.runtime.getConfig(`${NS}:dispatchTokenSecret`),
    renderSecrets: object(config, "renderSecrets"),
    pins: object(config, "pins"),
    stackFiles: stackFiles(),
    ...(tokenText !== undefined ? { dispatchToken: tokenText, dispatchTokenIsSecret: isSecretKey(tokenKey) } : {}),
  };
  const validated = validateConfig(raw, now);
  const pinsHostPrivateKey = config.getSecret("pinsHostPrivateKey");
  return {
    config: validated,
    ...(pinsHostPrivateKey ? { pinsHostPrivateKey } : {}),
    ...(validated.dispatchToken?.mode === "managed" ? { dispatchToken: config.requireSecret("dispatchToken") } : {}),
  };
}
