/** The files of this repository's own CI (`.github/workflows/pulumi-*.yaml`), from its stack files. */
import { readdirSync } from "node:fs";
import type { GeneratedFile } from "../files";
import { emitWorkflow } from "./emit";
import { DRIFT_WORKFLOW, PREVIEW_WORKFLOW, driftWorkflow, previewWorkflow } from "./operations";

const SOURCE = "lib/workflows/operations.ts (npm run generate:ci)";

/** Stack names from the `Pulumi.<stack>.yaml` files in `dir`, sorted. */
export function stacksIn(dir: string): string[] {
  return readdirSync(dir)
    .map((f) => /^Pulumi\.([A-Za-z0-9._-]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

export function operationsFiles(stacks: readonly string[]): GeneratedFile[] {
  return [
    { path: DRIFT_WORKFLOW, content: emitWorkflow(driftWorkflow(stacks), SOURCE) },
    { path: PREVIEW_WORKFLOW, content: emitWorkflow(previewWorkflow(stacks), SOURCE) },
  ];
}
