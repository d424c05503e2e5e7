import { createHash } from "node:crypto";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import type { FilesTarget, PinsHostSpec } from "../lib/config";
import type { GeneratedFile } from "../lib/files";
import { HOST_CLI_FILE, hostCopyCommand, POLICY_FILE } from "../lib/pins/delivery";
import { RepositoryFiles } from "./repositoryFiles";

/** Inputs of the pin policy delivery; the texts come from lib/pins/delivery.ts. */
export interface RegistryPinsArgs {
  /** The pin policy text (formatPolicy); what the cleaner's host receives. */
  readonly policy: string;
  /** Files for the platform repository (owner stack only): the policy and the GHCR retention workflow. */
  readonly repositoryFiles?: {
    /** Files to write. */
    readonly files: readonly GeneratedFile[];
    /** A local directory (embedded default) or the GitHub repository. */
    readonly target: FilesTarget;
    /** GitHub repository name. */
    readonly repository: string;
  };
  /** Embedded default: files for a local directory (`out/<stack>/registry`), e.g. the policy. */
  readonly directoryFiles?: {
    /** Files to write. */
    readonly files: readonly GeneratedFile[];
    /** Directory relative to the project directory. */
    readonly directory: string;
  };
  /** The cleaner's host: the policy and the CLI are copied there over SSH, then its reload command runs. */
  readonly host?: PinsHostSpec;
  /** The `promotion` CLI bundle (dist/promotion.mjs) for the host; required with `host`. */
  readonly cli?: string;
  /** SSH private key for the host (a secret); without it the SSH agent is used. */
  readonly privateKey?: pulumi.Input<string>;
}

const sha256 = (s: string): string => createHash("sha256").update(s, "utf8").digest("hex");

/**
 * Delivers the registry pin POLICY where cleaners read it (never the expanded list, which is stale after
 * the next build): as files in the platform repository and, in the embedded default, a local directory
 * (through RepositoryFiles), and/or on the cleaner's host (`command.remote.Command` writing the policy
 * and the CLI atomically, then the reload command, which regenerates the lines from the live registry).
 * Each command triggers on the content's sha256, so `pulumi up` re-delivers exactly when the policy or
 * the CLI changes, and a new build in the registry changes nothing here.
 */
export class RegistryPins extends pulumi.ComponentResource {
  /** sha256 of the policy text. */
  public readonly policyHash: string;
  /** Paths written to the repository, sorted (empty when this stack writes none). */
  public readonly repositoryPaths: readonly string[];
  /** sha256 by repository path, for the stack output `deliveredFiles` (check-delivered). */
  public readonly repositoryHashes: Readonly<Record<string, string>>;
  /** Paths written below the local directory, prefixed with it, sorted. */
  public readonly directoryPaths: readonly string[];
  /** sha256 by path below the local directory (relative to it). */
  public readonly directoryHashes: Readonly<Record<string, string>>;
  /** `user@address:directory` on the cleaner host, if any. */
  public readonly hostTarget?: string;

  constructor(name: string, args: RegistryPinsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("promotion:registry:RegistryPins", name, {}, opts);
    this.policyHash = sha256(args.policy);
    this.repositoryPaths = [];
    this.repositoryHashes = {};
    this.directoryPaths = [];
    this.directoryHashes = {};
    if (args.repositoryFiles && args.repositoryFiles.files.length > 0) {
      const files = new RepositoryFiles(
        `${name}-files`,
        {
          files: args.repositoryFiles.files,
          target: args.repositoryFiles.target,
          repository: args.repositoryFiles.repository,
          commitMessage: "promotion-pipeline: registry pin policy",
        },
        { parent: this },
      );
      this.repositoryPaths = files.paths;
      this.repositoryHashes = files.hashes;
    }
    if (args.directoryFiles && args.directoryFiles.files.length > 0) {
      const dir = args.directoryFiles.directory;
      const files = new RepositoryFiles(
        `${name}-local`,
        {
          files: args.directoryFiles.files,
          target: { mode: "directory", directory: dir },
          repository: "",
        },
        { parent: this },
      );
      this.directoryPaths = files.paths.map((p) => path.posix.join(dir, p));
      this.directoryHashes = files.hashes;
    }
    if (args.host) {
      const h = args.host;
      if (args.cli === undefined)
        throw new Error(
          "RegistryPins: a cleaner host needs the promotion CLI bundle (cli) to expand the policy.",
        );
      const connection: command.types.input.remote.ConnectionArgs = {
        host: h.address,
        port: h.port,
        user: h.user,
        ...(args.privateKey !== undefined ? { privateKey: args.privateKey } : {}),
      };
      const copies = [
        { role: "policy", file: POLICY_FILE, content: args.policy },
        { role: "cli", file: HOST_CLI_FILE, content: args.cli },
      ].map(
        ({ role, file, content }) =>
          new command.remote.Command(
            `${name}-${role}`,
            {
              connection,
              create: hostCopyCommand(h.directory, file),
              stdin: content,
              triggers: [sha256(content)],
              logging: "stderr",
            },
            { parent: this },
          ),
      );
      if (h.reloadCommand) {
        new command.remote.Command(
          `${name}-reload`,
          {
            connection,
            create: h.reloadCommand,
            triggers: [this.policyHash, sha256(args.cli)],
            logging: "stdoutAndStderr",
          },
          { parent: this, dependsOn: copies },
        );
      }
      this.hostTarget = `${h.user}@${h.address}:${h.directory}`;
    }
    this.registerOutputs({
      policyHash: this.policyHash,
      repositoryPaths: this.repositoryPaths,
      repositoryHashes: this.repositoryHashes,
      directoryPaths: this.directoryPaths,
      directoryHashes: this.directoryHashes,
      hostTarget: this.hostTarget,
    });
  }
}
