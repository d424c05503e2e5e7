/**
 * The only module that reads `pulumi.Config`. It collects the raw values, hands them to the pure validator
 * (lib/config) and returns the typed stack config plus the secret token as a Pulumi secret Output.
 * Validation runs synchronously, before the program registers any resource.
 */
import * as pulumi from "@pulumi/pulumi";
import { Refusal } from "../errors";
import type { TokenSource } from "../github/access";
import { readStackFiles } from "./pins";
import { rawConfigFrom, validateConfig } from "./stack";
import { NS, type StackConfig } from "../types";

/** The github provider's token in repository mode: `github:token` (a secret) or the GITHUB_TOKEN it reads itself. */
export interface GitHubToken {
  readonly source: TokenSource;
  /** The value, for the pre-flight request only: never logged, exported or stored. */
  readonly value: string;
  /** `github:token` as a secret Output for the provider; absent when the provider reads GITHUB_TOKEN itself. */
  readonly secret?: pulumi.Output<string>;
}

export interface LoadedConfig {
  readonly config: StackConfig;
  /** The dispatch token as a secret Output, when the stack manages the token Secret. */
  readonly dispatchToken?: pulumi.Output<string>;
  /** SSH key for the pins cleaner host, a secret, when set. */
  readonly pinsHostPrivateKey?: pulumi.Output<string>;
  /** The github provider's token, when this stack commits files to the repository. */
  readonly githubToken?: GitHubToken;
}

/**
 * Repository mode commits through the GitHub API with the github provider, which takes `github:token` or, when
 * that is unset, GITHUB_TOKEN. A plain-text `github:token` is refused (it would sit in the stack file and in
 * the provider's state unencrypted), and so is having neither.
 */
function readGitHubToken(env: NodeJS.ProcessEnv): GitHubToken {
  const configured = pulumi.runtime.getConfig("github:token");
  if (configured !== undefined && configured !== "") {
    if (!isSecretKey("github:token"))
      throw new Refusal(
        "github:token = [plain text]: the token would be stored unencrypted in the stack file and the state. Fix: pulumi config set --secret github:token <token>.",
      );
    return {
      source: "github:token",
      value: configured,
      secret: new pulumi.Config("github").requireSecret("token"),
    };
  }
  const fromEnv = env["GITHUB_TOKEN"];
  if (fromEnv !== undefined && fromEnv !== "") return { source: "GITHUB_TOKEN", value: fromEnv };
  throw new Refusal(
    `${NS}:files = {repository: true}: no token for the GitHub API (github:token is unset and GITHUB_TOKEN is empty). Fix: pulumi config set --secret github:token <token> (fine-grained: Contents and Workflows read and write on the platform repository; classic: repo and workflow scopes), or export GITHUB_TOKEN.`,
  );
}

function isSecretKey(fullKey: string): boolean {
  const fn = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean })
    .isConfigSecret;
  return typeof fn === "function" ? fn(fullKey) : true;
}

export function loadConfig(
  now: Date = new Date(),
  env: NodeJS.ProcessEnv = process.env,
): LoadedConfig {
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
  const repositoryMode = validated.ownsFiles && validated.files.mode === "repository";
  return {
    config: validated,
    ...(repositoryMode ? { githubToken: readGitHubToken(env) } : {}),
    ...(pinsHostPrivateKey ? { pinsHostPrivateKey } : {}),
    ...(validated.dispatchToken?.mode === "managed"
      ? { dispatchToken: config.requireSecret("dispatchToken") }
      : {}),
  };
}
