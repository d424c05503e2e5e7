/**
 * The pipeline-stalled watch of the platform repository (DESIGN 5: a pipeline where RCs pile up and the
 * stable tag does not advance raises an alert; Flux's controllers give no signal for it). On a schedule,
 * `promotion watch` reads the registry (and the pin policy the owner stack delivers), fails the job on an
 * alarm, and keeps ONE issue labelled `pipeline-stalled` in step: opened on an alarm, updated while it
 * lasts, closed when it clears. Thresholds: `promotion-pipeline:pipeline.watch`.
 */
import { WATCH_LABEL, type PipelineSpec } from "../config";
import { sparseCliSteps } from "./actions";
import { type Workflow, script } from "./model";
import { CLI_PATH } from "./layout";
import { registryReadEnv } from "./registryAccess";

export const WATCH_WORKFLOW = ".github/workflows/pipeline-watch.yaml";

/**
 * A scheduled check that keeps one GitHub issue in step (lib/github/alarmIssue.ts): checkout of the CLI
 * and the pin policy only, the registry read with the other workflows' credentials, `issues: write` and
 * nothing else. The pipeline-stalled watch and the registry integrity probe are both this.
 */
export interface IssueCheck {
  readonly name: string;
  readonly schedule: string;
  readonly concurrencyGroup: string;
  /** Workflow env besides PROMOTION_CLI and PINS_POLICY. */
  readonly env: Readonly<Record<string, string>>;
  readonly jobId: string;
  readonly jobName: string;
  readonly stepName: string;
  /** The script's lines after `set -euo pipefail`. */
  readonly run: readonly string[];
}

export function issueCheckWorkflow(p: PipelineSpec, policyPath: string, c: IssueCheck): Workflow {
  return {
    name: c.name,
    on: { schedule: [{ cron: c.schedule }], workflow_dispatch: {} },
    permissions: {},
    // A newer check supersedes a queued one; the issue is keyed by its label, so no run duplicates it.
    concurrency: { group: c.concurrencyGroup, "cancel-in-progress": false },
    env: {
      PROMOTION_CLI: CLI_PATH,
      PINS_POLICY: policyPath,
      ...c.env,
    },
    defaults: { run: { shell: "bash" } },
    jobs: {
      [c.jobId]: {
        name: c.jobName,
        "runs-on": "ubuntu-24.04",
        // contents: read for the checkout, issues: write for the one issue, and packages: read (a
        // private GHCR package) only when the job token is the registry login. Nothing else.
        permissions: {
          contents: "read",
          issues: "write",
          ...(p.registryCredentials?.mode === "github-token" ? { packages: "read" as const } : {}),
        },
        "timeout-minutes": 10,
        steps: [
          ...sparseCliSteps([CLI_PATH, policyPath]),
          {
            name: c.stepName,
            env: {
              GITHUB_TOKEN: "${{ github.token }}",
              // The CLI reads the registry with the same credentials as the other workflows' login.
              ...registryReadEnv(p),
            },
            run: script(c.run),
          },
        ],
      },
    },
  };
}

export function watchWorkflow(p: PipelineSpec, policyPath: string): Workflow {
  return issueCheckWorkflow(p, policyPath, {
    name: "Pipeline stalled watch",
    schedule: p.watch.schedule,
    concurrencyGroup: "promotion-watch",
    env: {
      RC_WAIT_HOURS: String(p.watch.rcWaitHours),
      PIN_EXPIRY_DAYS: String(p.watch.pinExpiryDays),
      WATCH_LABEL,
    },
    jobId: "watch",
    jobName: "Is the promotion pipeline stalled?",
    stepName: "Check the pipeline and keep the watch issue in step",
    run: [
      "# Exit 0 clear, 4 alarm (the issue is open and this job fails), 1 the issue could not be updated.",
      "# The pipeline's picture (Mermaid flowchart and table) follows the verdict in the job summary.",
      "status=0",
      'node "$PROMOTION_CLI" watch --policy "$PINS_POLICY" --rc-wait-hours "$RC_WAIT_HOURS" --pin-expiry-days "$PIN_EXPIRY_DAYS" --issue --label "$WATCH_LABEL" --summary "$RUNNER_TEMP/pipeline.md" | tee -a "$GITHUB_STEP_SUMMARY" || status=$?',
      'if [ -f "$RUNNER_TEMP/pipeline.md" ]; then cat "$RUNNER_TEMP/pipeline.md" >>"$GITHUB_STEP_SUMMARY"; fi',
      'exit "$status"',
    ],
  });
}
