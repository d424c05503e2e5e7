/**
 * `rollback_to=<X.Y.Z>`, the promote workflow's manual rollback without a pin (lib/promotion/rollback.ts): a
 * `workflow_dispatch` input and a `rollback` job that plans with `promotion rollback-plan`, adds ONE new
 * stable tag to the earlier version's digest with crane (never moving a tag), and records it like a
 * promotion. The promote job is skipped for such a run. Serialised with promotions (same group).
 */
import type { PipelineSpec } from "../config";
import { type Job, type Workflow, script } from "./model";
import { forRegistry, jobPermissions, registryReadEnv, setupSteps } from "./registryAccess";
import { recordStep } from "./record";
import { withSigning } from "./signing";

export const ROLLBACK_INPUT = "rollback_to";
export const ROLLBACK_TAG_STEP = "Tag the earlier digest with the new version (no tag moves)";

/** The promote job's condition (lib/workflows/pipeline.ts promoteJob) before the rollback input existed, and with it. */
const PROMOTE_IF =
  "github.event_name == 'workflow_dispatch' || github.event.client_payload.severity == 'info'";
const PROMOTE_IF_WITH_ROLLBACK =
  "github.event_name == 'workflow_dispatch' && github.event.inputs.rollback_to == '' || github.event.client_payload.severity == 'info'";

function rollbackJob(promote: Job, p: PipelineSpec): Job {
  const record = recordStep(p);
  return {
    name: "Roll back: re-release an earlier stable version",
    "runs-on": promote["runs-on"],
    if: "github.event_name == 'workflow_dispatch' && github.event.inputs.rollback_to",
    // The promote job's scopes (jobPermissions: packages: write only when the job token is the registry
    // login) and deployments: write for the record.
    permissions: { ...jobPermissions(p), deployments: "write" },
    ...(promote.concurrency ? { concurrency: promote.concurrency } : {}),
    "timeout-minutes": 10,
    steps: [
      ...setupSteps(p, { oras: false }, true),
      {
        name: "Plan the rollback",
        id: "plan",
        env: {
          ROLLBACK_TO: "${{ github.event.inputs.rollback_to }}",
          ...registryReadEnv(p),
        },
        run: script([
          "# The input reaches the CLI as an argument from env, never as code; a refusal exits 1.",
          "status=0",
          'node "$PROMOTION_CLI" rollback-plan --artifact "$ARTIFACT" --version "$ROLLBACK_TO" >"$RUNNER_TEMP/plan.txt" || status=$?',
          'cat "$RUNNER_TEMP/plan.txt"',
          'cat "$RUNNER_TEMP/plan.txt" >>"$GITHUB_OUTPUT"',
          'exit "$status"',
        ]),
      },
      {
        name: ROLLBACK_TAG_STEP,
        if: "steps.plan.outputs.action == 'rollback'",
        env: {
          DIGEST: "${{ steps.plan.outputs.digest }}",
          VERSION: "${{ steps.plan.outputs.version }}",
        },
        run: script([
          'if existing=$(crane digest "$ARTIFACT:$VERSION" 2>/dev/null); then',
          '  echo "::error::$ARTIFACT:$VERSION exists already (at $existing); a stable tag is never moved."',
          "  exit 1",
          "fi",
          'crane tag "$ARTIFACT@$DIGEST" "$VERSION"',
          'got=$(crane digest "$ARTIFACT:$VERSION")',
          'if [ "$got" != "$DIGEST" ]; then',
          '  echo "::error::$ARTIFACT:$VERSION points at $got, not at $DIGEST."',
          "  exit 1",
          "fi",
          'echo "Rolled back: $DIGEST is now $VERSION" | tee -a "$GITHUB_STEP_SUMMARY"',
        ]),
      },
      {
        ...record,
        if: "steps.plan.outputs.action == 'rollback'",
        env: {
          ...record.env,
          ROLLBACK_OF: "${{ steps.plan.outputs.rollback_of }}",
        },
        run: script([
          'node "$PROMOTION_CLI" record --artifact "$ARTIFACT" --digest "$DIGEST" --version "$VERSION" --event "$GITHUB_EVENT_PATH" --event-name "$GITHUB_EVENT_NAME" --rollback-of "$ROLLBACK_OF" | tee -a "$GITHUB_STEP_SUMMARY"',
        ]),
      },
    ],
  };
}

/** The promote workflow with the rollback input and job; the promote job skips rollback runs. */
export function withRollback(w: Workflow, p: PipelineSpec): Workflow {
  const promote = w.jobs.promote;
  if (!promote) throw new Error("the promote workflow has no promote job");
  if (promote.if !== PROMOTE_IF)
    throw new Error(
      `lib/workflows/rollback.ts: the promote job's condition changed (${JSON.stringify(promote.if)}); update PROMOTE_IF and its rollback form together.`,
    );
  const dispatch = w.on.workflow_dispatch ?? {};
  return {
    ...w,
    on: {
      ...w.on,
      workflow_dispatch: {
        ...dispatch,
        inputs: {
          ...dispatch.inputs,
          [ROLLBACK_INPUT]: {
            description:
              "Or: roll back to this earlier stable version X.Y.Z; its digest gets the next patch version (a new tag, no tag moves)",
            required: false,
            type: "string",
          },
        },
      },
    },
    jobs: {
      ...w.jobs,
      promote: { ...promote, if: PROMOTE_IF_WITH_ROLLBACK },
      // Only validated digests are rolled back to (rollback-plan refuses others); one promoted before signing
      // was configured has no promote signature yet, and live would refuse its new stable tag without one.
      rollback: forRegistry(
        p,
        withSigning(rollbackJob(promote, p), p, {
          role: "promote",
          digest: "${{ steps.plan.outputs.digest }}",
          if: "steps.plan.outputs.action == 'rollback'",
          before: ROLLBACK_TAG_STEP,
        }),
      ),
    },
  };
}
