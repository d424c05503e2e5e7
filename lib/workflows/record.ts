/**
 * The promotion record step of the promote workflow (lib/promotion/record.ts, docs/workflows.md): after the digest
 * is tagged (or found tagged by an earlier run), `promotion record` leaves a GitHub Deployment to `live`.
 * The job gains `deployments: write` and nothing else: the least permission that creates a Deployment
 * (a Release would need `contents: write`, which can also push code).
 */
import type { PipelineSpec } from "../config";
import { type Job, type Step, script } from "./model";
import { registryReadEnv } from "./registryAccess";

export const RECORD_STEP = "Record the promotion (GitHub Deployment to live)";

/** The record step; it reads the artifact's manifest with the same credentials as the login (registryReadEnv). */
export function recordStep(p: PipelineSpec): Step {
  return {
    name: RECORD_STEP,
    if: "steps.plan.outputs.action == 'promote' || steps.plan.outputs.action == 'noop'",
    env: {
      GITHUB_TOKEN: "${{ github.token }}",
      ...registryReadEnv(p),
      DIGEST: "${{ steps.plan.outputs.digest }}",
      VERSION: "${{ steps.plan.outputs.version }}",
      STABLE: "${{ steps.plan.outputs.stable }}",
    },
    run: script([
      "# A no-op run (the digest was already stable) records it only if no earlier run did.",
      'node "$PROMOTION_CLI" record --artifact "$ARTIFACT" --digest "$DIGEST" --version "${VERSION:-$STABLE}" --event "$GITHUB_EVENT_PATH" --event-name "$GITHUB_EVENT_NAME" | tee -a "$GITHUB_STEP_SUMMARY"',
    ]),
  };
}

/**
 * The promote job with the record step last and `deployments: write` added to its permissions (what
 * jobPermissions gave it: `packages: write` only when the job token is the registry login).
 */
export function withRecord(job: Job, p: PipelineSpec): Job {
  return {
    ...job,
    permissions: { ...job.permissions, deployments: "write" },
    steps: [...job.steps, recordStep(p)],
  };
}
