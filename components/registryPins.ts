import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import type { FilesTarget } from "../lib/config";
import type { GeneratedFile } from "../lib/files";
import type { PinsHostSpec } from "../lib/pinsConfig";
import { RepositoryFiles } from "./repositoryFiles";

/** Inputs of the allowlist delivery; the texts are computed beforehand by lib/pins.ts. */
export interface RegistryPinsArgs {
  /** The `type/name==version` text (formatLines). */
  readonly lines: string;
  /** Files for the platform repository (owner stack only): path and content, e.g. lines and GHCR inputs. */
  readonly repositoryFiles?: {
    /** Files to write. */
    readonly files: readonly GeneratedFile[];
    /** A local directory (embedded default) or the GitHub repository. */
    readonly target: FilesTarget;
    /** GitHub repository name. */
    readonly repository: string;
  };
  /** The cleaner's host: the lines file is copied there over SSH, then its reload command runs. */
  readonly host?: PinsHostSpec;
  /** SSH private key for the host (a secret); without it the SSH agent is used. */
  readonly privateKey?: pulumi.Input<string>;
}

/** Single-quotes a string for a POSIX shell. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Delivers the registry pin allowlist where the cleaner reads it: as files in the platform repository
 * (through RepositoryFiles) and/or as a file on the cleaner's host (`command.remote.Command` writing stdin
 * to the path atomically, then the reload command). Each command triggers on the content's sha256, so
 * `pulumi up` re-delivers exactly when the allowlist changes.
 */
export class RegistryPins extends pulumi.ComponentResource {
  /** sha256 of the lines text. */
  public readonly linesHash: string;
  /** Paths written to the repository, sorted (empty when this stack writes none). */
  public readonly repositoryPaths: readonly string[];
  /** `user@address:path` on the cleaner host, if any. */
  public readonly hostTarget?: string;

  constructor(name: string, args: RegistryPinsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("promotion:registry:RegistryPins", name, {}, opts);
    this.linesHash = createHash("sha256").update(args.lines, "utf8").digest("hex");
    this.repositoryPaths = [];
    if (args.repositoryFiles && args.repositoryFiles.files.length > 0) {
      const files = new RepositoryFiles(
        `${name}-files`,
        {
          files: args.repositoryFiles.files,
          target: args.repositoryFiles.target,
          repository: args.repositoryFiles.repository,
          commitMessage: "promotion-pipeline: registry pin allowlist",
        },
        { parent: this },
      );
      this.repositoryPaths = files.paths;
    }
    if (args.host) {
      const h = args.host;
      const connection: command.types.input.remote.ConnectionArgs = {
        host: h.address,
        port: h.port,
        user: h.user,
        ...(args.privateKey !== undefined ? { privateKey: args.privateKey } : {}),
      };
      const file = shellQuote(h.path);
      const tmp = shellQuote(`${h.path}.tmp`);
      const copy = new command.remote.Command(
        `${name}-copy`,
        {
          connection,
          create: `set -e; mkdir -p "$(dirname ${file})"; cat > ${tmp}; mv ${tmp} ${file}`,
          stdin: args.lines,
          triggers: [this.linesHash],
          logging: "stderr",
        },
        { parent: this },
      );
      if (h.reloadCommand) {
        new command.remote.Command(
          `${name}-reload`,
          {
            connection,
            create: h.reloadCommand,
            triggers: [this.linesHash],
            logging: "stdoutAndStderr",
          },
          { parent: this, dependsOn: [copy] },
        );
      }
      this.hostTarget = `${h.user}@${h.address}:${h.path}`;
    }
    this.registerOutputs({
      linesHash: this.linesHash,
      repositoryPaths: this.repositoryPaths,
      hostTarget: this.hostTarget,
    });
  }
}
