/**
 * The GHCR retention workflow of the platform repository (DESIGN section 8): on a schedule, expand the
 * pin policy against the registry as it is NOW (`promotion pins --policy`), then let
 * snok/container-retention-policy v3 delete what the allowlist does not protect.
 * The expansion keeps every protected digest's signatures (cosign `.sig/.att/.sbom` tags, OCI 1.1
 * referrers, the referrers tag-schema index) in `image-tags` and `skip-shas`: GHCR stores an untagged
 * referrer as a package version of its own, which only `skip-shas` can keep.
 *
 * Fail closed: the expansion step fails (and the deletion never runs) when the registry cannot be read,
 * when the allowlist is empty, or when its output lacks the protected digests.
 *
 * Never during a build: a build pushes an RC the expansion has not seen, so the cleanup job joins the
 * build workflow's concurrency group (the same string, taken from buildWorkflow, never typed twice).
 * GitHub keeps one PENDING run per group and cancels the older pending one, so a cleanup queued behind a
 * running build would cancel a build waiting there; the guard job therefore skips the cleanup while any
 * build is queued or running (the next schedule tries again).
 */
import { splitOciUrl, type GhcrRetentionSpec, type PipelineSpec } from "../config";
import { CONTAINER_RETENTION_POLICY, sparseCliSteps } from "./actions";
import { type Job, type Workflow, script } from "./model";
import { CLI_PATH } from "./layout";
import { BUILD_WORKFLOW, buildWorkflow } from "./pipeline";

export const RETENTION_WORKFLOW = ".github/workflows/registry-retention.yaml";

const RUNNER = "ubuntu-24.04";

/** The GHCR package name: the repository path below the owner (`owner/platform/platform` -> `platform/platform`). */
export function ghcrPackage(p: PipelineSpec): { account: string; packageName: string } {
  const { registry, repository } = splitOciUrl(p.url);
  if (registry !== "ghcr.io")
    throw new Error(`the GHCR retention workflow needs a ghcr.io artifact, not ${registry}`);
  const [account, ...rest] = repository.split("/");
  if (!account || rest.length === 0)
    throw new Error(`the artifact ${repository} has no package below the owner`);
  return { account, packageName: rest.join("/") };
}

/** The retention workflow for the pipeline; `policyPath` is the pin policy in the platform repository. */
export function retentionWorkflow(
  p: PipelineSpec,
  spec: GhcrRetentionSpec,
  policyPath: string,
): Workflow {
  const { account, packageName } = ghcrPackage(p);
  const buildGroup = buildWorkflow(p).concurrency?.group;
  if (buildGroup === undefined) throw new Error("the build workflow has no concurrency group");
  const buildFile = BUILD_WORKFLOW.slice(BUILD_WORKFLOW.lastIndexOf("/") + 1);

  const guard: Job = {
    name: "Skip while a build is queued or running",
    "runs-on": RUNNER,
    permissions: { actions: "read" },
    "timeout-minutes": 5,
    outputs: { busy: "${{ steps.builds.outputs.busy }}" },
    steps: [
      {
        name: "Look for builds",
        id: "builds",
        env: { GH_TOKEN: "${{ github.token }}", GH_REPO: "${{ github.repository }}" },
        run: script([
          "busy=false",
          "for status in queued in_progress waiting pending requested; do",
          `  n=$(gh run list --workflow "$BUILD_WORKFLOW_FILE" --status "$status" --limit 1 --json databaseId --jq length)`,
          '  if [ "$n" != "0" ]; then busy=true; fi',
          "done",
          'if [ "$busy" = true ]; then echo "::notice::a build is queued or running; this cleanup is skipped (the next schedule runs it)."; fi',
          'echo "busy=$busy" >>"$GITHUB_OUTPUT"',
        ]),
      },
    ],
  };

  const clean: Job = {
    name: "Delete unprotected versions",
    "runs-on": RUNNER,
    needs: ["guard"],
    if: "needs.guard.outputs.busy == 'false'",
    permissions: { contents: "read", packages: "write" },
    // The build's group: no build starts while this job runs, so no RC appears after the expansion.
    concurrency: { group: buildGroup, "cancel-in-progress": false },
    "timeout-minutes": 30,
    steps: [
      ...sparseCliSteps([CLI_PATH, policyPath]),
      {
        name: "Expand the pin policy against the registry now",
        id: "pins",
        env: {
          PROMOTION_REGISTRY_USERNAME: "${{ github.actor }}",
          PROMOTION_REGISTRY_PASSWORD: "${{ secrets.GITHUB_TOKEN }}",
        },
        run: script([
          "# Exits non-zero and prints nothing when the registry cannot be read or nothing is protected;",
          "# set -e then stops the job before the deletion step.",
          'node "$PROMOTION_CLI" pins --policy "$PINS_POLICY" --format ghcr-output >"$RUNNER_TEMP/pins.txt"',
          "if ! grep -Eq '^skip-shas=sha256:[a-f0-9]{64}' \"$RUNNER_TEMP/pins.txt\" || ! grep -q '^image-tags=!' \"$RUNNER_TEMP/pins.txt\"; then",
          '  echo "::error::the allowlist has no protected digest or tag; refusing to clean."',
          "  exit 1",
          "fi",
          'cat "$RUNNER_TEMP/pins.txt" >>"$GITHUB_OUTPUT"',
          'echo "Protected digests: $(grep \'^skip-shas=\' "$RUNNER_TEMP/pins.txt" | tr , \'\\n\' | grep -c sha256:)" >>"$GITHUB_STEP_SUMMARY"',
        ]),
      },
      {
        name: "Delete what the allowlist does not protect",
        id: "retention",
        uses: CONTAINER_RETENTION_POLICY,
        with: {
          account: spec.account ?? account,
          token: spec.tokenSecret
            ? `\${{ secrets.${spec.tokenSecret} }}`
            : "${{ secrets.GITHUB_TOKEN }}",
          "image-names": packageName,
          "image-tags": "${{ steps.pins.outputs.image-tags }}",
          "skip-shas": "${{ steps.pins.outputs.skip-shas }}",
          "tag-selection": "both",
          "cut-off": spec.cutOff,
          "keep-n-most-recent": spec.keepNMostRecent,
          "timestamp-to-use": "updated_at",
          "dry-run": spec.dryRun,
        },
      },
      {
        name: "Fail on versions it could not delete",
        if: "steps.retention.outputs.failed != ''",
        env: { FAILED: "${{ steps.retention.outputs.failed }}" },
        run: script(['echo "::error::could not delete: $FAILED"', "exit 1"]),
      },
    ],
  };

  return {
    name: "Registry retention",
    on: { schedule: [{ cron: spec.schedule }], workflow_dispatch: {} },
    permissions: {},
    env: {
      PROMOTION_CLI: CLI_PATH,
      PINS_POLICY: policyPath,
      BUILD_WORKFLOW_FILE: buildFile,
    },
    defaults: { run: { shell: "bash" } },
    jobs: { guard, clean },
  };
}
