/**
 * The pipeline-stalled watch of the platform repository (DESIGN 5: a pipeline where RCs pile up and the
 * stable tag does not advance raises an alert; Flux's controllers give no signal for it). On a schedule,
 * `promotion watch` reads the registry (and the pin policy the owner stack delivers), fails the job on an
 * alarm, and keeps ONE issue labelled `pipeline-stalled` in step: opened on an alarm, updated while it
 * lasts, closed when it clears. Thresholds: `promotion-pipeline:pipeline.watch`.
 */
import type { PipelineSpec } from "../config";
import { WATCH_LABEL } from "../status/stalled";
import { sparseCliSteps } from "./actions";
import type { Workflow } from "./model";
import { CLI_PATH } from "./pipeline";
import { registryReadEnv } from "./registryAccess";

export const WATCH_WORKFLOW = ".github/workflows/pipeline-watch.yaml";

const script = (lines: readonly string[]): string =>
  ["set -euo pipefail", ...lines].join("\n") + "\n";

export function watchWorkflow(p: PipelineSpec, policyPath: string): Workflow {
  return {
    name: "Pipeline stalled watch",
    on: { schedule: [{ cron: p.watch.schedule }], workflow_dispatch: {} },
    permissions: {},
    // A newer check supersedes a queued one; the issue is keyed by its label, so no run duplicates it.
    concurrency: { group: "promotion-watch", "cancel-in-progress": false },
    env: {
      PROMOTION_CLI: CLI_PATH,
      PINS_POLICY: policyPath,
      RC_WAIT_HOURS: String(p.watch.rcWaitHours),
      PIN_EXPIRY_DAYS: String(p.watch.pinExpiryDays),
      WATCH_LABEL,
    },
    defaults: { run: { shell: "bash" } },
    jobs: {
      watch: {
        name: "Is the promotion pipeline stalled?",
        "runs-on": "ubuntu-24.04",
        // contents: read for the checkout, issues: write for the one watch issue, and packages: read (a
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
            name: "Check the pipeline and keep the watch issue in step",
            env: {
              GITHUB_TOKEN: "${{ github.token }}",
              // The CLI reads the registry with the same credentials as the other workflows' login.
              ...registryReadEnv(p),
            },
            run: script([
              "# Exit 0 clear, 4 alarm (the issue is open and this job fails), 1 the issue could not be updated.",
              "# The pipeline's picture (Mermaid flowchart and table) follows the verdict in the job summary.",
              "status=0",
              'node "$PROMOTION_CLI" watch --policy "$PINS_POLICY" --rc-wait-hours "$RC_WAIT_HOURS" --pin-expiry-days "$PIN_EXPIRY_DAYS" --issue --label "$WATCH_LABEL" --summary "$RUNNER_TEMP/pipeline.md" | tee -a "$GITHUB_STEP_SUMMARY" || status=$?',
              'if [ -f "$RUNNER_TEMP/pipeline.md" ]; then cat "$RUNNER_TEMP/pipeline.md" >>"$GITHUB_STEP_SUMMARY"; fi',
              'exit "$status"',
            ]),
          },
        ],
      },
    },
  };
}
