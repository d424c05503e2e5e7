/**
 * The only module that reads `pulumi.Config`. It collects the raw values, hands them to the pure validator
 * (`config.ts`) and returns the typed stack config plus the secret token as a Pulumi secret Output.
 * Validation runs synchronously, before the program registers any resource.
 */
import * as pulumi from "@pulumi/pulumi";
import { NS, validateConfig, type RawConfig, type StackConfig } from "./config";

export interface LoadedConfig {
  readonly config: StackConfig;
  /** The dispatch token as a secret Output, when the stack manages the token Secret. */
  readonly dispatchToken?: pulumi.Output<string>;
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
    ...(tokenText !== undefined ? { dispatchToken: tokenText, dispatchTokenIsSecret: isSecretKey(tokenKey) } : {}),
  };
  const validated = validateConfig(raw, now);
  return {
    config: validated,
    ...(validated.dispatchToken?.mode === "managed" ? { dispatchToken: config.requireSecret("dispatchToken") } : {}),
  };
}
