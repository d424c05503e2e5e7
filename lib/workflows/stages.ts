/**
 * The promote workflow of a pipeline with more than two stages, a soak or windows (issue 21). Same file,
 * same job, same serialisation (`promotion-promote`), same signing (the promote identity signs every
 * promotion, into any stage) and same retag step; what changes:
 * - the Decide step runs `promotion stage-plan` (lib/cli/stagePlan.ts) with the stages in env
 *   PROMOTION_STAGES, and the job token (`deployments: write`, already the job's) for the soak records;
 * - it also runs on a schedule (every STAGES_CRON): the re-plan, which promotes what a soak or a closed window
 *   deferred, once it is due, without a person;
 * - the job also takes a gate's `error` events (a soaking stage's failures stop its soak);
 * - workflow_dispatch takes `override_reason` (an emergency: every window counts as open; recorded);
 * - after the retag, `promotion stage-record` closes the source stage's soak record; the GitHub Deployment
 *   to live is recorded only when live was a target.
 * A pipeline that is today's integration -> live without soak or windows gets none of this: its workflow is
 * unchanged, byte for byte.
 */
import type { PipelineSpec, StageSpec } from "../config";
import { stagesToWire } from "../stages/wire";
import { isRunStep, type Job, type Step, type Workflow } from "./model";
import { RECORD_STEP } from "./record";
import { PROMOTE_TAG_STEP } from "./layout";

/** How often the re-plan runs (UTC cron): a deferred promotion happens at most this long after it is due. */
export const STAGES_CRON = "*/10 * * * *";
export const STAGE_RECORD_STEP = "Close the soak record of the source stage";

/** True when the stages need the stage-aware promote workflow. */
export function stagesNeedWorkflow(stages: readonly StageSpec[]): boolean {
  return stages.length > 2 || stages.some((s) => s.soakMs > 0 || s.windows.length > 0);
}

const script = (lines: readonly string[]): string =>
  ["set -euo pipefail", ...lines].join("\n") + "\n";

function decideStep(st: Step): Step {
  if (st.name !== "Decide" || !isRunStep(st)) return st;
  return {
    ...st,
    env: { ...(st.env ?? {}), GITHUB_TOKEN: "${{ github.token }}" },
    run: script([
      "# The event (a gate's report, the schedule or a person's inputs) is read from $GITHUB_EVENT_PATH by the",
      "# CLI, never by the shell. A refusal or an unreadable registry/GitHub exits 1 and nothing is tagged.",
      "status=0",
      'node "$PROMOTION_CLI" stage-plan --event "$GITHUB_EVENT_PATH" --event-name "$GITHUB_EVENT_NAME" --gate-name "$GATE_NAME" --gate-namespace "$GATE_NAMESPACE" --artifact "$ARTIFACT" --stages "$PROMOTION_STAGES" >"$RUNNER_TEMP/plan.txt" || status=$?',
      'cat "$RUNNER_TEMP/plan.txt"',
      'cat "$RUNNER_TEMP/plan.txt" >>"$GITHUB_OUTPUT"',
      'exit "$status"',
    ]),
  };
}

const stageRecordStep: Step = {
  name: STAGE_RECORD_STEP,
  if: "steps.plan.outputs.action == 'promote' && steps.plan.outputs.complete == 'true'",
  env: {
    GITHUB_TOKEN: "${{ github.token }}",
    DIGEST: "${{ steps.plan.outputs.digest }}",
    FROM: "${{ steps.plan.outputs.from }}",
    TARGETS: "${{ steps.plan.outputs.targets }}",
  },
  run: script([
    'node "$PROMOTION_CLI" stage-record --from "$FROM" --digest "$DIGEST" --targets "$TARGETS" --event "$GITHUB_EVENT_PATH" | tee -a "$GITHUB_STEP_SUMMARY"',
  ]),
};

function promoteJob(job: Job): Job {
  const steps: Step[] = [];
  for (const st of job.steps) {
    if (st.name === RECORD_STEP) {
      steps.push({
        ...st,
        if: "steps.plan.outputs.action == 'promote' && steps.plan.outputs.version != ''",
      });
      continue;
    }
    steps.push(decideStep(st));
    if (st.name === PROMOTE_TAG_STEP) steps.push(stageRecordStep);
  }
  return {
    ...job,
    // A schedule run re-plans; a gate's error event may stop a soak; a person may override a window.
    if: "github.event_name == 'schedule' || github.event_name == 'workflow_dispatch' && github.event.inputs.rollback_to == '' || github.event.client_payload.severity == 'info' || github.event.client_payload.severity == 'error'",
    steps,
  };
}

/** The promote workflow with stages; unchanged when the stages are today's pair without soak or windows. */
export function withStages(w: Workflow, p: PipelineSpec): Workflow {
  if (!stagesNeedWorkflow(p.stages)) return w;
  const inputs = { ...(w.on.workflow_dispatch?.inputs ?? {}) };
  delete inputs.artifact_sha;
  delete inputs.digest;
  inputs.override_reason = {
    description:
      "Emergency: promote now what is due even if a target stage's window is closed (never skips a soak); the reason is recorded",
    required: false,
    type: "string",
  };
  const promote = w.jobs.promote;
  if (!promote) throw new Error("lib/workflows/stages.ts: the promote workflow has no promote job");
  return {
    ...w,
    on: { ...w.on, workflow_dispatch: { inputs }, schedule: [{ cron: STAGES_CRON }] },
    env: { ...(w.env ?? {}), PROMOTION_STAGES: stagesToWire(p.stages) },
    jobs: { ...w.jobs, promote: promoteJob(promote) },
  };
}
