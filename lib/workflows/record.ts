/**
 * The promotion record step of the promote workflow (lib/record.ts, docs/workflows.md): after the digest
 * is tagged (or found tagged by an earlier run), `promotion record` leaves a GitHub Deployment to `live`.
 * The job gains `deployments: write` and nothing else: the least permission that creates a Deployment
 * (a Release would need `contents: write`, which can also push code).
 */
import type { Job, Step } from "./model";

export const RECORD_STEP = "Record the promotion (GitHub Deployment to live)";

export function recordStep(): Step {
  return {
    name: RECORD_STEP,
    if: "steps.plan.outputs.action == 'promote' || steps.plan.outputs.action == 'noop'",
    env: {
      GITHUB_TOKEN: "${{ github.token }}",
      PROMOTION_REGISTRY_USERNAME: "${{ github.actor }}",
      PROMOTION_REGISTRY_PASSWORD: "${{ secrets.GITHUB_TOKEN }}",
      DIGEST: "${{ steps.plan.outputs.digest }}",
      VERSION: "${{ steps.plan.outputs.version }}",
      STABLE: "${{ steps.plan.outputs.stable }}",
    },
    run:
      [
        "set -euo pipefail",
        "# A no-op run (the digest was already stable) records it only if no earlier run did.",
        'node "$PROMOTION_CLI" record --artifact "$ARTIFACT" --digest "$DIGEST" --version "${VERSION:-$STABLE}" --event "$GITHUB_EVENT_PATH" --event-name "$GITHUB_EVENT_NAME" | tee -a "$GITHUB_STEP_SUMMARY"',
      ].join("\n") + "\n",
  };
}

/** The promote job with the record step last and `deployments: write` added to its permissions. */
export function withRecord(job: Job): Job {
  return {
    ...job,
    permissions: { ...job.permissions, deployments: "write" },
    steps: [...job.steps, recordStep()],
  };
}
