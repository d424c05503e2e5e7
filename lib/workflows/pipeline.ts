/**
 * The two workflows of the pipeline, built from the validated pipeline definition (DESIGN sections 2, 7).
 * Scripts here only gather registry data, run the project's own `promotion` CLI (delivered beside the
 * workflows as .github/promotion/promotion.mjs) and call oras/crane with what it decided; every decision
 * (version, tags, promote or not) is TypeScript. Event and input data never appear in a script: the CLI
 * reads them from $GITHUB_EVENT_PATH, and step outputs reach scripts through `env:` only.
 */
import type { PipelineSpec } from "../config";
import { dispatchEventType } from "../k8s/validation";
import { CHECKOUT } from "./actions";
import { artifactCheckSteps } from "./artifactCheck";
import { CLI_PATH, contentDirectory, PROMOTE_TAG_STEP } from "./layout";
import { isRunStep, type Job, type Step, type Workflow, script } from "./model";
import { withRecord } from "./record";
import { forRegistry, jobPermissions, registryReadEnv, setupSteps } from "./registryAccess";
import { withRollback } from "./rollback";
import { withSigning } from "./signing";
import { withStages } from "./stages";

export const BUILD_WORKFLOW = ".github/workflows/build-platform-artifact.yaml";
export const PROMOTE_WORKFLOW = ".github/workflows/tag-validated-artifact.yaml";
export { CLI_PATH, contentDirectory } from "./layout";

/** Media types `flux push artifact` uses; source-controller extracts the content layer. */
export const FLUX_CONFIG_MEDIA_TYPE = "application/vnd.cncf.flux.config.v1+json";
export const FLUX_CONTENT_MEDIA_TYPE = "application/vnd.cncf.flux.content.v1.tar+gzip";

const RUNNER = "ubuntu-24.04";
/** The promote job's step that pushes validated-<7> and X.Y.Z; the signature is made before it. */
export { PROMOTE_TAG_STEP } from "./layout";

/** `ghcr.io/owner/repo/artifact` from `oci://ghcr.io/owner/repo/artifact`. */
export function artifactRef(p: PipelineSpec): string {
  return p.url.replace(/^oci:\/\//, "");
}

/** The workflow env of build and promote: the artifact, its registry host and where the CLI is. */
function artifactEnv(p: PipelineSpec): Record<string, string> {
  return {
    ARTIFACT: artifactRef(p),
    REGISTRY: artifactRef(p).split("/")[0]!,
    PROMOTION_CLI: CLI_PATH,
  };
}

/** Reads every tag of $ARTIFACT into $1; a repository that does not exist yet is empty, any other error fails. */
const READ_TAGS = (file: string, allowMissing: boolean): string[] => [
  `if crane ls "$ARTIFACT" >"${file}" 2>"$RUNNER_TEMP/crane-ls.err"; then`,
  `  echo "$(wc -l <"${file}") tags in $ARTIFACT"`,
  ...(allowMissing
    ? [
        `elif grep -q NAME_UNKNOWN "$RUNNER_TEMP/crane-ls.err"; then`,
        `  echo "::notice::$ARTIFACT does not exist yet: this is its first build."`,
        `  : >"${file}"`,
      ]
    : []),
  "else",
  `  cat "$RUNNER_TEMP/crane-ls.err" >&2`,
  `  echo "::error::cannot read the tags of $ARTIFACT; refusing to go on without them."`,
  "  exit 1",
  "fi",
];

const node = (args: string): string => `node "$PROMOTION_CLI" ${args}`;

function buildJob(p: PipelineSpec): Job {
  const contentDir = contentDirectory(p.buildPaths);
  return {
    name: "Build and push a release candidate",
    "runs-on": RUNNER,
    permissions: jobPermissions(p),
    "timeout-minutes": 15,
    env: {
      CONTENT_DIR: contentDir,
      START_VERSION: p.startVersion,
      GATE_NAMESPACE: p.gate.namespace,
    },
    steps: [
      ...setupSteps(p, { oras: true }, false),
      {
        name: "Read the registry's tags",
        run: script(READ_TAGS("$RUNNER_TEMP/tags.txt", true)),
      },
      {
        name: "Plan the version and tags",
        id: "plan",
        run: script([
          node(
            'build-plan --commit "$GITHUB_SHA" --start-version "$START_VERSION" <"$RUNNER_TEMP/tags.txt" >"$RUNNER_TEMP/plan.txt"',
          ),
          'cat "$RUNNER_TEMP/plan.txt"',
          'cat "$RUNNER_TEMP/plan.txt" >>"$GITHUB_OUTPUT"',
        ]),
      },
      {
        name: "Stamp the version into the content",
        env: { VERSION: "${{ steps.plan.outputs.version }}" },
        run: script([
          "# Every RC must apply a change, or Flux sends no event and nothing promotes it (DESIGN 2).",
          node(
            'stamp --dir "$CONTENT_DIR" --version "$VERSION" --revision "$GITHUB_REF_NAME@sha1:$GITHUB_SHA" --namespace "$GATE_NAMESPACE"',
          ),
        ]),
      },
      // What the gate will apply, checked before anything is pushed (issue 20 item 5).
      ...artifactCheckSteps(p),
      {
        name: "Push the release candidate",
        id: "push",
        env: {
          VERSION: "${{ steps.plan.outputs.version }}",
          RC_TAG: "${{ steps.plan.outputs.rc_tag }}",
          SHA_TAG: "${{ steps.plan.outputs.sha_tag }}",
          INTEGRATION_TAG: "${{ steps.plan.outputs.integration_tag }}",
        },
        run: script([
          "# Plan again against a fresh listing: a build that pushed since is refused here, before any push.",
          ...READ_TAGS("$RUNNER_TEMP/tags-now.txt", true),
          node(
            'build-plan --commit "$GITHUB_SHA" --start-version "$START_VERSION" --expect-version "$VERSION" <"$RUNNER_TEMP/tags-now.txt" >/dev/null',
          ),
          'tar --sort=name --mtime="1970-01-01 00:00:00Z" --owner=0 --group=0 --numeric-owner -C "$CONTENT_DIR" -cf - . | gzip -9n >"$RUNNER_TEMP/platform.tgz"',
          "printf '{}' >\"$RUNNER_TEMP/flux-config.json\"",
          'revision="$GITHUB_REF_NAME@sha1:$GITHUB_SHA"',
          'source="$GITHUB_SERVER_URL/$GITHUB_REPOSITORY"',
          'cd "$RUNNER_TEMP"',
          `oras push "$ARTIFACT:$RC_TAG" --config "flux-config.json:${FLUX_CONFIG_MEDIA_TYPE}" \\`,
          '  --annotation "org.opencontainers.image.revision=$revision" \\',
          '  --annotation "org.opencontainers.image.source=$source" \\',
          '  --annotation "org.opencontainers.image.version=$VERSION" \\',
          `  --export-manifest manifest.json "platform.tgz:${FLUX_CONTENT_MEDIA_TYPE}"`,
          'digest="sha256:$(sha256sum manifest.json | cut -d" " -f1)"',
          'for tag in "$SHA_TAG" "$INTEGRATION_TAG"; do',
          '  crane tag "$ARTIFACT@$digest" "$tag"',
          "done",
          "# Every tag must resolve to what this run pushed; a racing push that won is caught here.",
          'for tag in "$RC_TAG" "$SHA_TAG" "$INTEGRATION_TAG"; do',
          '  got=$(crane digest "$ARTIFACT:$tag")',
          '  if [ "$got" != "$digest" ]; then',
          '    echo "::error::$ARTIFACT:$tag points at $got, not at the pushed $digest."',
          "    exit 1",
          "  fi",
          "done",
          'echo "digest=$digest" >>"$GITHUB_OUTPUT"',
          'echo "Pushed $ARTIFACT:$RC_TAG ($digest) from $revision, tagged $SHA_TAG, $INTEGRATION_TAG" | tee -a "$GITHUB_STEP_SUMMARY"',
        ]),
      },
      {
        // A half-failed push can leave a tag whose manifest or blobs are gone: prove it pulls (issue 20).
        name: "Prove the pushed artifact is complete",
        env: { DIGEST: "${{ steps.push.outputs.digest }}", ...registryReadEnv(p) },
        run: script([node('verify --artifact "$ARTIFACT" --digest "$DIGEST"')]),
      },
    ],
  };
}

/** The build workflow: every push to the branch under the build paths makes one new RC. */
export function buildWorkflow(p: PipelineSpec): Workflow {
  return {
    name: "Build platform artifact",
    on: {
      push: { branches: [p.branch], paths: [...p.buildPaths] },
      workflow_dispatch: {},
    },
    permissions: {},
    // One build at a time and never cancelled half-way: versions come from the registry's tags.
    concurrency: { group: "promotion-build", "cancel-in-progress": false },
    env: artifactEnv(p),
    defaults: { run: { shell: "bash" } },
    jobs: {
      build: forRegistry(
        p,
        withSigning(buildJob(p), p, { role: "build", digest: "${{ steps.push.outputs.digest }}" }),
      ),
    },
  };
}

/**
 * Every promote run ends with the pipeline's picture in its job summary: `promotion status --output
 * markdown` (a Mermaid flowchart of the stages and the table) from the delivered pin policy. Also when the
 * decision refused; a registry it cannot read leaves a warning and never fails the run.
 */
function pipelineSummaryStep(p: PipelineSpec, policyPath: string): Step {
  return {
    name: "Show the pipeline in the job summary",
    if: "always()",
    env: { PINS_POLICY: policyPath, ...registryReadEnv(p) },
    run: script([
      "if ! " +
        node('status --policy "$PINS_POLICY" --output markdown >>"$GITHUB_STEP_SUMMARY"') +
        "; then",
      '  echo "::warning::promotion status could not draw the pipeline for the job summary."',
      "fi",
    ]),
  };
}

/** The promote job's checkout: the CLI, and the pin policy when the summary reads it. */
function withPolicyCheckout(steps: Step[], policyPath: string | undefined): Step[] {
  if (policyPath === undefined) return steps;
  return steps.map((st) =>
    !isRunStep(st) && st.uses === CHECKOUT && typeof st.with?.["sparse-checkout"] === "string"
      ? {
          ...st,
          with: { ...st.with, "sparse-checkout": `${st.with["sparse-checkout"]}\n${policyPath}` },
        }
      : st,
  );
}

function promoteJob(p: PipelineSpec, policyPath?: string): Job {
  return {
    name: "Tag the validated digest",
    "runs-on": RUNNER,
    // Non-info events stop here, before they enter the concurrency group (a pending run there is replaced
    // by the next one); the CLI checks the severity again.
    if: "github.event_name == 'workflow_dispatch' || github.event.client_payload.severity == 'info'",
    permissions: jobPermissions(p),
    // One promotion at a time, never cancelled half-way. Job-level, so that a skipped run never waits here.
    concurrency: { group: "promotion-promote", "cancel-in-progress": false },
    "timeout-minutes": 10,
    env: { GATE_NAME: p.gate.name, GATE_NAMESPACE: p.gate.namespace },
    steps: [
      ...withPolicyCheckout(setupSteps(p, { oras: false }, true), policyPath),
      {
        name: "Decide",
        id: "plan",
        // The CLI reads the registry itself: one paginated tag listing and a constant number of manifest
        // requests, whatever the registry's age (no per-tag call). Same credentials as the login above.
        ...(Object.keys(registryReadEnv(p)).length > 0 ? { env: registryReadEnv(p) } : {}),
        run: script([
          "# The event (client_payload or inputs) is read from $GITHUB_EVENT_PATH by the CLI, never by the shell.",
          "# A refusal exits 1 (the run fails, visibly) after recording action=refuse; an unreadable registry",
          "# exits 1 with nothing recorded, so the tagging step never runs.",
          "status=0",
          node(
            'promote-plan --event "$GITHUB_EVENT_PATH" --event-name "$GITHUB_EVENT_NAME" --gate-name "$GATE_NAME" --gate-namespace "$GATE_NAMESPACE" --artifact "$ARTIFACT" >"$RUNNER_TEMP/plan.txt" || status=$?',
          ),
          'cat "$RUNNER_TEMP/plan.txt"',
          'cat "$RUNNER_TEMP/plan.txt" >>"$GITHUB_OUTPUT"',
          'exit "$status"',
        ]),
      },
      {
        name: PROMOTE_TAG_STEP,
        if: "steps.plan.outputs.action == 'promote'",
        env: { DIGEST: "${{ steps.plan.outputs.digest }}", TAGS: "${{ steps.plan.outputs.tags }}" },
        run: script([
          'read -r -a tags <<<"$TAGS"',
          'for tag in "${tags[@]}"; do',
          "  # Never move a tag: if it appeared since the decision, stop (the concurrency group makes this rare).",
          '  if existing=$(crane digest "$ARTIFACT:$tag" 2>/dev/null) && [ "$existing" != "$DIGEST" ]; then',
          '    echo "::error::$ARTIFACT:$tag already points at $existing; not moving it to $DIGEST."',
          "    exit 1",
          "  fi",
          '  crane tag "$ARTIFACT@$DIGEST" "$tag"',
          "done",
          'for tag in "${tags[@]}"; do',
          '  got=$(crane digest "$ARTIFACT:$tag")',
          '  if [ "$got" != "$DIGEST" ]; then',
          '    echo "::error::$ARTIFACT:$tag points at $got, not at $DIGEST."',
          "    exit 1",
          "  fi",
          "done",
          'echo "Promoted $DIGEST: ${tags[*]}" | tee -a "$GITHUB_STEP_SUMMARY"',
        ]),
      },
      ...(policyPath !== undefined ? [pipelineSummaryStep(p, policyPath)] : []),
    ],
  };
}

/** The promote workflow: the exact digest integration validated gets validated-<sha> and X.Y.Z. */
/** `policyPath`: the delivered pin policy, from which every run draws the pipeline in its job summary. */
export function promoteWorkflow(p: PipelineSpec, policyPath?: string): Workflow {
  return withStages(withRollback(promoteWorkflowBase(p, policyPath), p), p);
}

function promoteWorkflowBase(p: PipelineSpec, policyPath?: string): Workflow {
  return {
    name: "Tag validated artifact",
    on: {
      repository_dispatch: { types: [dispatchEventType(p.gate)] },
      workflow_dispatch: {
        inputs: {
          artifact_sha: {
            description:
              "Commit whose release candidate to promote (7 to 40 hex; its sha-<7> tag must exist)",
            required: false,
            type: "string",
          },
          digest: {
            description: "Or: digest of the release candidate to promote (sha256:<64 hex>)",
            required: false,
            type: "string",
          },
        },
      },
    },
    permissions: {},
    env: artifactEnv(p),
    defaults: { run: { shell: "bash" } },
    jobs: {
      promote: forRegistry(
        p,
        withSigning(withRecord(promoteJob(p, policyPath), p), p, {
          role: "promote",
          digest: "${{ steps.plan.outputs.digest }}",
          if: "steps.plan.outputs.action == 'promote'",
          before: PROMOTE_TAG_STEP,
        }),
      ),
    },
  };
}
