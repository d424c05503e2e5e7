import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
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
  /**
   * Files whose bytes are exactly those of a file of the project directory (delivered path -> project path,
   * e.g. the CLI bundle, dist/promotion.mjs): the directory target copies them rather than passing their
   * content through the engine (0.8 MB in every preview's registration and in the state otherwise). The
   * copy checks the sha256 the program delivered before it writes.
   */
  readonly copies?: Readonly<Record<string, string>>;
}

/** `create` of a copied file (run by node, which runs this program): the delivered bytes or nothing. */
const COPY_CREATE = [
  'const fs = require("node:fs"), path = require("node:path"), crypto = require("node:crypto");',
  "const { SOURCE_FILE: from, TARGET_FILE: to, CONTENT_SHA256: want } = process.env;",
  "const bytes = fs.readFileSync(from);",
  'const got = crypto.createHash("sha256").update(bytes).digest("hex");',
  "if (got !== want) {",
  "  console.error(`${from} changed after pulumi read it (sha256 ${got}, delivered ${want}): run pulumi up again`);",
  "  process.exit(1);",
  "}",
  "fs.mkdirSync(path.dirname(to), { recursive: true });",
  "fs.writeFileSync(`${to}.tmp`, bytes);",
  "fs.renameSync(`${to}.tmp`, to);",
].join("\n");
const COPY_DELETE = 'require("node:fs").rmSync(process.env.TARGET_FILE, { force: true });';

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
          const source = args.copies?.[f.path];
          if (source !== undefined && !readFileSync(source).equals(Buffer.from(f.content, "utf8")))
            throw new Error(`RepositoryFiles: ${f.path} is not a copy of ${source}`);
          const write: command.local.CommandArgs =
            source === undefined
              ? {
                  create:
                    'mkdir -p "$(dirname "$TARGET_FILE")" && cat > "$TARGET_FILE.tmp" && mv "$TARGET_FILE.tmp" "$TARGET_FILE"',
                  delete: 'rm -f "$TARGET_FILE"',
                  environment: { TARGET_FILE: file },
                  stdin: f.content,
                }
              : {
                  create: COPY_CREATE,
                  delete: COPY_DELETE,
                  interpreter: ["node", "-e"],
                  environment: { TARGET_FILE: file, SOURCE_FILE: source, CONTENT_SHA256: sha },
                };
          new command.local.Command(
            child,
            { ...write, triggers: [sha], logging: "none" },
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
