import * as pulumi from "@pulumi/pulumi";
import type { FilesTarget } from "../lib/config";
import type { GeneratedFile } from "../lib/files";
import { SCHEMAS_PATH } from "../lib/workflows/artifactCheck";
import { CLI_PATH } from "../lib/workflows/pipeline";
import { RepositoryFiles } from "./repositoryFiles";

/** Inputs of the workflow files delivery. */
export interface WorkflowFilesArgs {
  /** The generated files: `workflowFiles(config)` from lib/workflows/files.ts. */
  readonly files: readonly GeneratedFile[];
  /** A local directory (embedded default) or the platform repository. */
  readonly target: FilesTarget;
  /** Platform repository name (the github provider names the owner). */
  readonly repository: string;
}

/**
 * Delivers the build and promote workflows and the `promotion` CLI bundle they run. Writing
 * `.github/workflows/*` through the GitHub API needs a token with the `workflow` scope (classic) or
 * Workflows: write (fine-grained), besides Contents: write.
 */
export class WorkflowFiles extends pulumi.ComponentResource {
  /** Delivered paths, sorted. */
  public readonly paths: readonly string[];

  constructor(name: string, args: WorkflowFilesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("promotion:github:WorkflowFiles", name, {}, opts);
    const bad = args.files.filter(
      (f) =>
        !f.path.startsWith(".github/workflows/") && f.path !== CLI_PATH && f.path !== SCHEMAS_PATH,
    );
    if (bad.length > 0) {
      throw new Error(
        `WorkflowFiles delivers only workflows, ${CLI_PATH} and ${SCHEMAS_PATH}; got ${bad.map((f) => f.path).join(", ")}.`,
      );
    }
    const files = new RepositoryFiles(
      `${name}-files`,
      {
        files: args.files,
        target: args.target,
        repository: args.repository,
        commitMessage: "promotion-pipeline: update workflow file",
      },
      { parent: this },
    );
    this.paths = files.paths;
    this.registerOutputs({ paths: this.paths });
  }
}
