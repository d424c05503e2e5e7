/**
 * Everything the owner stack writes to the platform repository, in one sorted list: the two workflows and
 * the CLI bundle they run, and the Canary manifest inside the artifact's content (so the gate applies it
 * and waits for it; the build stamps the RC version into it).
 */
import type { StackConfig } from "../config";
import { checkFiles, type GeneratedFile } from "../files";
import { contentDirectory } from "./pipeline";
import { workflowFiles } from "./files";
import { emitWorkflow } from "./emit";
import { WATCH_WORKFLOW, watchWorkflow } from "./watch";

/** Where the Canary manifest lives in the platform repository, below the content directory. */
export function canaryPath(buildPaths: readonly string[]): string {
  const dir = contentDirectory(buildPaths);
  return `${dir === "." || dir === "" ? "" : `${dir.replace(/\/+$/, "")}/`}validation/platform-validation.canary.yaml`;
}

export function platformFiles(
  cfg: StackConfig,
  parts: { readonly canaryManifest: string; readonly cli?: string; readonly schemas?: string },
): GeneratedFile[] {
  return checkFiles([
    ...workflowFiles(cfg, {
      ...(parts.cli !== undefined ? { cli: parts.cli } : {}),
      ...(parts.schemas !== undefined ? { schemas: parts.schemas } : {}),
    }),
    { path: canaryPath(cfg.pipeline.buildPaths), content: parts.canaryManifest },
    watchFile(cfg),
  ]);
}

/** The pipeline-stalled watch workflow; it reads the pin policy the owner stack delivers. */
export function watchFile(cfg: StackConfig): GeneratedFile {
  return {
    path: WATCH_WORKFLOW,
    content: emitWorkflow(
      watchWorkflow(cfg.pipeline, cfg.pins.policyPath),
      "lib/workflows/watch.ts, from promotion-pipeline:pipeline (watch) in Pulumi.yaml",
    ),
  };
}
