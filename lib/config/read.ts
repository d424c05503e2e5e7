/**
 * The only module that reads `pulumi.Config`. It collects the raw values, hands them to the pure validator
 * (lib/config) and returns the typed stack config plus the secret token as a Pulumi secret Output.
 * Validation runs synchronously, before the program registers any resource.
 */
import * as pulumi from "@pulumi/pulumi";
import { readStackFiles } from "./pins";
import { rawConfigFrom, validateConfig } from "./stack";
import { NS, type StackConfig } from "./types";

export interface LoadedConfig {
  readonly config: StackConfig;
  /** The dispatch token as a secret Output, when the stack manages the token Secret. */
  readonly dispatchToken?: pulumi.Output<string>;
  /** SSH key for the pins cleaner host, a secret, when set. */
  readonly pinsHostPrivateKey?: pulumi.Output<string>;
}

function isSecretKey(fullKey: string): boolean {
  const fn = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean })
    .isConfigSecret;
  return typeof fn === "function" ? fn(fullKey) : true;
}

export function loadConfig(now: Date = new Date()): LoadedConfig {
  const config = new pulumi.Config(NS);
  // Pins of every cluster count for the registry allowlist, so every stack file is read, not only ours.
  const raw = rawConfigFrom(
    pulumi.getStack(),
    (key) => pulumi.runtime.getConfig(`${NS}:${key}`),
    (key) => isSecretKey(`${NS}:${key}`),
    readStackFiles("."),
  );
  const validated = validateConfig(raw, now);
  const pinsHostPrivateKey = config.getSecret("pinsHostPrivateKey");
  return {
    config: validated,
    ...(pinsHostPrivateKey ? { pinsHostPrivateKey } : {}),
    ...(validated.dispatchToken?.mode === "managed"
      ? { dispatchToken: config.requireSecret("dispatchToken") }
      : {}),
  };
}
