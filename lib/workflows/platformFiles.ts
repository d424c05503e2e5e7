/**
 * Everything the owner stack writes to the platform repository, in one sorted list: the two workflows and
 * the CLI bundle they run, the pipeline-stalled watch and the registry integrity probe, and the Canary manifest inside the artifact's content (so the gate applies it
 * and waits for it; the build stamps the RC version into it).
 */
import type { StackConfig } from "../config";
import { checkFiles, type GeneratedFile } from "../files";
import { contentDirectory } from "./layout";
import { workflowFiles } from "./files";
import { emitWorkflow } from "./emit";
import { WATCH_WORKFLOW, watchWorkflow } from "./watch";
import { INTEGRITY_WORKFLOW, integrityWorkflow } from "./integrity";

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
    integrityFile(cfg),
  ]);
}

/** The registry integrity probe; it reads the pin policy the owner stack delivers. */
export function integrityFile(cfg: StackConfig): GeneratedFile {
  return {
    path: INTEGRITY_WORKFLOW,
    content: emitWorkflow(
      // With signing on, a kept digest without its signature is as broken as one without its blobs: the
      // cluster that verifies would refuse it.
      integrityWorkflow(cfg.pipeline, cfg.pins.policyPath, {
        requireSignatures: cfg.pipeline.signing.mode !== "none",
      }),
      "lib/workflows/integrity.ts, from promotion-pipeline:pipeline (integrity) in Pulumi.yaml",
    ),
  };
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
