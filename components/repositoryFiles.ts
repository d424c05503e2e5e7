import { createHash } from "node:crypto";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as github from "@pulumi/github";
import * as command from "@pulumi/command";
import type { FilesTarget } from "../lib/config";
import { checkFiles, type GeneratedFile } from "../lib/files";

/** Inputs of the file delivery. */
export interface RepositoryFilesArgs {
  /** Files to deliver, paths relative to the repository root. */
  readonly files: readonly GeneratedFile[];
  /** A local directory (embedded default) or the GitHub repository. */
  readonly target: FilesTarget;
  /** GitHub repository name (owner comes from the github provider). */
  readonly repository: string;
  /** Commit message prefix for repository commits. */
  readonly commitMessage?: string;
}

/**
 * Delivers generated files: one `github.RepositoryFile` per file into the platform repository, or, in the
 * embedded default, one `command.local.Command` per file that writes it below a local directory (and
 * removes it on destroy). Either way `pulumi up` rewrites a file exactly when its content changes.
 */
export class RepositoryFiles extends pulumi.ComponentResource {
  /** Delivered paths (relative), sorted. */
  public readonly paths: readonly string[];
  /** sha256 of each delivered file's content, by path. */
  public readonly hashes: Readonly<Record<string, string>>;

  constructor(name: string, args: RepositoryFilesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("promotion:github:RepositoryFiles", name, {}, opts);
    const files = checkFiles(args.files);
    this.paths = files.map((f) => f.path);
    const hashes: Record<string, string> = {};
    for (const f of files) {
      const sha = createHash("sha256").update(f.content, "utf8").digest("hex");
      hashes[f.path] = sha;
      const child = `${name}-${f.path}`;
      const target = args.target;
      switch (target.mode) {
        case "repository":
          new github.RepositoryFile(
            child,
            {
              repository: args.repository,
              branch: target.branch,
              file: f.path,
              content: f.content,
              commitMessage: `${args.commitMessage ?? "promotion-pipeline: update"} ${f.path}`,
              overwriteOnCreate: true,
            },
            { parent: this },
          );
          break;
        case "directory": {
          // Relative to the project directory (the program's working directory), so state is machine-independent.
          const file = path.posix.join(target.directory, f.path);
          new command.local.Command(
            child,
            {
              create:
                'mkdir -p "$(dirname "$TARGET_FILE")" && cat > "$TARGET_FILE.tmp" && mv "$TARGET_FILE.tmp" "$TARGET_FILE"',
              delete: 'rm -f "$TARGET_FILE"',
              environment: { TARGET_FILE: file },
              stdin: f.content,
              triggers: [sha],
              logging: "none",
            },
            // A content change replaces the command; create-before-delete would write the new file and
            // then let the old resource's delete remove it.
            { parent: this, deleteBeforeReplace: true },
          );
          break;
        }
        default: {
          const never: never = target;
          throw new Error(`unknown files target ${JSON.stringify(never)}`);
        }
      }
    }
    this.hashes = hashes;
    this.registerOutputs({ paths: this.paths, hashes: this.hashes });
  }
}
