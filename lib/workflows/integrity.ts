/**
 * The registry integrity probe of the platform repository (issue 20 item 4): on a schedule,
 * `promotion verify --policy` walks every digest the pin policy protects now, and its signatures, and
 * keeps ONE issue labelled `registry-integrity` in step (opened when an artifact is broken or the registry
 * is unreadable, updated while it lasts, closed when healthy), with the pipeline-stalled watch's mechanism
 * (issueCheckWorkflow, lib/github/alarmIssue.ts). Schedule: `promotion-pipeline:pipeline.integrity`.
 */
import type { PipelineSpec } from "../config";
import { INTEGRITY_LABEL } from "../registry/integrity";
import type { Workflow } from "./model";
import { issueCheckWorkflow } from "./watch";

export const INTEGRITY_WORKFLOW = ".github/workflows/registry-integrity.yaml";

export interface IntegrityWorkflowOptions {
  /** Every kept digest must carry a signature (`--require-signatures`): when the pipeline signs. */
  readonly requireSignatures?: boolean;
}

export function integrityWorkflow(
  p: PipelineSpec,
  policyPath: string,
  opts: IntegrityWorkflowOptions = {},
): Workflow {
  return issueCheckWorkflow(p, policyPath, {
    name: "Registry integrity",
    schedule: p.integrity.schedule,
    concurrencyGroup: "promotion-integrity",
    env: { INTEGRITY_LABEL },
    jobId: "verify",
    jobName: "Does every protected artifact still pull?",
    stepName: "Verify the protected artifacts and keep the integrity issue in step",
    run: [
      "# Exit 0 healthy, 1 broken artifacts (the issue is open and this job fails), 3 registry unreadable",
      "# (the issue says so), 4 the issue could not be updated.",
      `node "$PROMOTION_CLI" verify --policy "$PINS_POLICY"${opts.requireSignatures ? " --require-signatures" : ""} --issue --label "$INTEGRITY_LABEL" | tee -a "$GITHUB_STEP_SUMMARY"`,
    ],
  });
}
