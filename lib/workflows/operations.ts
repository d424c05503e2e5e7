/**
 * This project's own CI for its users (`.github/workflows/` of the repository that holds the Pulumi
 * program, not the platform repository): a `pulumi preview` of every stack on each pull request with one
 * summary comment, and a nightly drift check. Generated from the same typed model as the pipeline's
 * workflows, so the same security rules and validators apply (pinned actions, env-only event data).
 *
 * Drift is `pulumi preview --refresh --expect-no-changes`: it reads the real objects and compares, and it
 * writes no state. `pulumi refresh --expect-no-changes` would write the refreshed state first, so a second
 * run would see no drift and the evidence would be gone.
 */
import type { ActionRef, Job, Step, Workflow } from "./model";
import { CHECKOUT, pinned, SETUP_NODE } from "./actions";
import { clip } from "../clip";

export const CACHE = pinned("actions/cache", "0057852bfaa89a56745cba8c7296529d2fc39830", "v4.3.0");

/** The same release's restore-only and save-only actions (subdirectories of actions/cache at that commit). */
export const CACHE_RESTORE: ActionRef = { ...CACHE, action: "actions/cache/restore" };
export const CACHE_SAVE: ActionRef = { ...CACHE, action: "actions/cache/save" };

/**
 * Node's compile cache between runs. The program bundle turns the cache on (lib/bundleRuntime.ts) and Node
 * reads its directory from NODE_COMPILE_CACHE; a fresh runner starts with an empty one, which made a preview
 * 1.42x an empty program against 1.18x warm (bench/preview.sh). The key is what decides the cache's content:
 * the runner's OS, the exact Node version (V8's code cache is per version), the lock file (node_modules,
 * the SDKs) and the bundle's own hash. An older entry is restored by prefix when the key misses: Node checks
 * every entry against the source it compiles, so a stale one is recompiled, never used.
 */
export const COMPILE_CACHE_DIR = "${{ runner.temp }}/node-compile-cache";
const COMPILE_CACHE_PREFIX =
  "node-compile-cache-${{ runner.os }}-${{ steps.node.outputs.node-version }}-";
export const COMPILE_CACHE_KEY = `${COMPILE_CACHE_PREFIX}\${{ hashFiles('package-lock.json', 'dist/program.cjs') }}`;

export const PREVIEW_WORKFLOW = ".github/workflows/pulumi-preview.yaml";
export const DRIFT_WORKFLOW = ".github/workflows/pulumi-drift.yaml";

/**
 * The environment of the Pulumi steps: the secrets they read (configure them in the repository's Actions
 * secrets) and the compile cache's directory.
 */
const PULUMI_ENV: Readonly<Record<string, string>> = {
  PULUMI_BACKEND_URL: "${{ secrets.PULUMI_BACKEND_URL }}",
  PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
  GITHUB_TOKEN: "${{ secrets.PLATFORM_REPO_TOKEN }}",
  NODE_COMPILE_CACHE: COMPILE_CACHE_DIR,
};

function setupSteps(): Step[] {
  return [
    { name: "Check out", uses: CHECKOUT, with: { "persist-credentials": false } },
    { name: "Set up Node", id: "node", uses: SETUP_NODE, with: { "node-version": "24" } },
    {
      name: "Cache the Pulumi toolchain",
      uses: CACHE,
      with: {
        path: "~/.cache/promotion-pipeline",
        key: "promotion-toolchain-${{ runner.os }}-${{ hashFiles('tools/**/go.sum', 'scripts/setup-pulumi.sh') }}",
      },
    },
    {
      name: "Install",
      run: [
        "bash scripts/with-node npm ci --ignore-scripts",
        "bash scripts/with-node npm run build",
        "bash scripts/setup-pulumi.sh",
      ].join("\n"),
    },
    {
      // After the build: the key hashes dist/program.cjs.
      name: "Restore Node's compile cache",
      id: "compile-cache",
      uses: CACHE_RESTORE,
      with: {
        path: COMPILE_CACHE_DIR,
        key: COMPILE_CACHE_KEY,
        "restore-keys": COMPILE_CACHE_PREFIX,
      },
    },
    {
      name: "Kubeconfig",
      env: { KUBECONFIG_DATA: "${{ secrets.KUBECONFIG_DATA }}" },
      run: [
        'if [ -n "$KUBECONFIG_DATA" ]; then',
        '  mkdir -p "$HOME/.kube" && printf \'%s\' "$KUBECONFIG_DATA" > "$HOME/.kube/config" && chmod 600 "$HOME/.kube/config"',
        "fi",
      ].join("\n"),
    },
  ];
}

/** A bash loop over the stacks running `pulumi <args>`, recording output and exit code per stack. */
function perStack(stacks: readonly string[], args: string): string {
  return [
    "source scripts/pulumi-env.sh",
    'mkdir -p "$RUNNER_TEMP/results"',
    `for stack in ${stacks.join(" ")}; do`,
    "  set +e",
    `  pulumi ${args} --stack "$stack" --non-interactive > "$RUNNER_TEMP/results/$stack.txt" 2>&1`,
    '  echo "$?" > "$RUNNER_TEMP/results/$stack.exit"',
    "  set -e",
    '  cat "$RUNNER_TEMP/results/$stack.txt"',
    "done",
  ].join("\n");
}

/** This run's page, for the comment and the issue. */
const RUN_URL =
  "${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}";

/**
 * Saves what the Pulumi steps compiled, also when they failed (a drift check fails on drift, and its next
 * run should still start warm); nothing to save on an exact hit, or when the job failed before the restore.
 */
const SAVE_COMPILE_CACHE: Step = {
  name: "Save Node's compile cache",
  if: "always() && steps.compile-cache.outputs.cache-primary-key != '' && steps.compile-cache.outputs.cache-hit != 'true'",
  uses: CACHE_SAVE,
  with: { path: COMPILE_CACHE_DIR, key: "${{ steps.compile-cache.outputs.cache-primary-key }}" },
};

const FAIL_ON_ANY = [
  "failed=0",
  'for f in "$RUNNER_TEMP"/results/*.exit; do',
  '  if [ "$(cat "$f")" != "0" ]; then echo "::error::$(basename "$f" .exit): exit $(cat "$f")"; failed=1; fi',
  "done",
  'exit "$failed"',
].join("\n");

function checkStacks(stacks: readonly string[]): void {
  if (stacks.length === 0) throw new Error("no stacks: add a Pulumi.<stack>.yaml");
  for (const s of stacks) {
    if (!/^[A-Za-z0-9._-]+$/.test(s))
      throw new Error(`stack name ${clip(s)} is not a plain stack name`);
  }
}

/** Pull-request preview of every stack, with one summary comment the workflow keeps up to date. */
export function previewWorkflow(stacks: readonly string[], branch = "main"): Workflow {
  checkStacks(stacks);
  const job: Job = {
    name: "pulumi preview",
    "runs-on": "ubuntu-latest",
    permissions: { contents: "read", "pull-requests": "write" },
    "timeout-minutes": 60,
    steps: [
      ...setupSteps(),
      { name: "Preview every stack", env: PULUMI_ENV, run: perStack(stacks, "preview --diff") },
      SAVE_COMPILE_CACHE,
      {
        name: "Comment the summary",
        if: "always()",
        env: {
          GH_TOKEN: "${{ github.token }}",
          PR_NUMBER: "${{ github.event.pull_request.number }}",
          RUN_URL,
        },
        run: [
          'node dist/promotion.mjs preview-summary --dir "$RUNNER_TEMP/results" --run-url "$RUN_URL" > "$RUNNER_TEMP/summary.md"',
          'gh pr comment "$PR_NUMBER" --body-file "$RUNNER_TEMP/summary.md" --edit-last || gh pr comment "$PR_NUMBER" --body-file "$RUNNER_TEMP/summary.md"',
        ].join("\n"),
      },
      { name: "Fail on a failed preview", run: FAIL_ON_ANY },
    ],
  };
  return {
    name: "Pulumi preview",
    on: { pull_request: { branches: [branch] } },
    permissions: {},
    concurrency: {
      group: "pulumi-preview-${{ github.event.pull_request.number }}",
      "cancel-in-progress": true,
    },
    defaults: { run: { shell: "bash" } },
    jobs: { preview: job },
  };
}

/** Nightly drift check: fails, and opens or updates an issue, when any stack differs from the program. */
export function driftWorkflow(stacks: readonly string[], cron = "17 3 * * *"): Workflow {
  checkStacks(stacks);
  const job: Job = {
    name: "drift check",
    "runs-on": "ubuntu-latest",
    permissions: { contents: "read", issues: "write" },
    "timeout-minutes": 60,
    steps: [
      ...setupSteps(),
      {
        name: "Preview with refresh, expecting no changes (writes no state)",
        env: PULUMI_ENV,
        run: perStack(stacks, "preview --refresh --expect-no-changes --diff"),
      },
      SAVE_COMPILE_CACHE,
      {
        name: "Report drift in an issue",
        if: "always()",
        env: {
          GH_TOKEN: "${{ github.token }}",
          RUN_URL,
        },
        run: [
          'if grep -qvx 0 "$RUNNER_TEMP"/results/*.exit; then',
          '  node dist/promotion.mjs preview-summary --dir "$RUNNER_TEMP/results" --title "Nightly drift check found drift" --run-url "$RUN_URL" > "$RUNNER_TEMP/summary.md"',
          '  number=$(gh issue list --label drift --state open --json number --jq ".[0].number")',
          '  if [ -n "$number" ]; then gh issue comment "$number" --body-file "$RUNNER_TEMP/summary.md"',
          '  else gh label create drift --color B60205 --description "Pulumi drift check" --force',
          '    gh issue create --title "Drift: the clusters differ from the Pulumi program" --label drift --body-file "$RUNNER_TEMP/summary.md"; fi',
          "fi",
        ].join("\n"),
      },
      { name: "Fail on drift", run: FAIL_ON_ANY },
    ],
  };
  return {
    name: "Pulumi drift check",
    on: { schedule: [{ cron }], workflow_dispatch: {} },
    permissions: {},
    concurrency: { group: "pulumi-drift", "cancel-in-progress": false },
    defaults: { run: { shell: "bash" } },
    jobs: { drift: job },
  };
}
