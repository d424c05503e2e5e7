/**
 * The artifact check in the workflows (issue 20 item 5): `promotion validate-artifact` renders the content
 * directory as the gate's kustomize-controller will and validates every object offline against the schema set
 * the owner stack delivers beside the CLI. The build job runs it after the stamp and before the push; the
 * validate-platform workflow runs the same check on every pull request that touches the build paths.
 */
import type { PipelineSpec } from "../config";
import {
  CHECKOUT,
  GO_VERSION,
  KUSTOMIZE_VERSION,
  NODE_VERSION,
  SETUP_GO,
  SETUP_NODE,
} from "./actions";
import { type Step, type Workflow, script } from "./model";
import { CLI_PATH, contentDirectory } from "./layout";

export const VALIDATE_WORKFLOW = ".github/workflows/validate-platform.yaml";
/** The schema set (schemas/artifact-schemas.json), delivered beside the CLI. */
export const SCHEMAS_PATH = ".github/promotion/schemas.json";

/** The env the check reads: the content directory, the schema set and the extra CRD files. */
function checkEnv(p: PipelineSpec): Record<string, string> {
  return {
    PROMOTION_SCHEMAS: SCHEMAS_PATH,
    KUSTOMIZE_VERSION,
    ...(p.artifactCrds.length > 0 ? { ARTIFACT_CRDS: p.artifactCrds.join(",") } : {}),
  };
}

/**
 * Set up Go (only used when the content has a kustomization file) and the check itself. `$CONTENT_DIR` and
 * `$PROMOTION_CLI` come from the job and workflow env.
 */
export function artifactCheckSteps(p: PipelineSpec): Step[] {
  return [
    {
      name: "Set up Go (kustomize)",
      uses: SETUP_GO,
      with: { "go-version": GO_VERSION, cache: false },
    },
    {
      name: "Validate what the gate will apply",
      env: checkEnv(p),
      run: script([
        "# kustomize-controller builds a kustomization file with kustomize: the same release renders it here.",
        'if [ -n "$(find "$CONTENT_DIR" \\( -name kustomization.yaml -o -name kustomization.yml -o -name Kustomization \\) -print -quit)" ]; then',
        '  if [ "$(kustomize version 2>/dev/null || true)" != "$KUSTOMIZE_VERSION" ]; then',
        '    GOBIN="$RUNNER_TEMP/bin" go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"',
        '    export PATH="$RUNNER_TEMP/bin:$PATH"',
        "  fi",
        "fi",
        "# Exit 1 names each bad object (file, kind, namespace/name, field); nothing is pushed then.",
        'node "$PROMOTION_CLI" validate-artifact --dir "$CONTENT_DIR" --schemas "$PROMOTION_SCHEMAS" ${ARTIFACT_CRDS:+--crds "$ARTIFACT_CRDS"}',
      ]),
    },
  ];
}

/** The same check on pull requests: read-only, no registry, no secrets. */
export function validateWorkflow(p: PipelineSpec): Workflow {
  return {
    name: "Validate platform artifact",
    on: { pull_request: { branches: [p.branch], paths: [...p.buildPaths] } },
    permissions: {},
    // A newer push to the same pull request supersedes a running check.
    concurrency: {
      group: "promotion-validate-${{ github.event.pull_request.number }}",
      "cancel-in-progress": true,
    },
    env: { PROMOTION_CLI: CLI_PATH },
    defaults: { run: { shell: "bash" } },
    jobs: {
      validate: {
        name: "Would the gate apply this artifact?",
        "runs-on": "ubuntu-24.04",
        permissions: { contents: "read" },
        "timeout-minutes": 10,
        env: { CONTENT_DIR: contentDirectory(p.buildPaths) },
        steps: [
          { name: "Check out", uses: CHECKOUT, with: { "persist-credentials": false } },
          { name: "Set up Node.js", uses: SETUP_NODE, with: { "node-version": NODE_VERSION } },
          ...artifactCheckSteps(p),
        ],
      },
    },
  };
}
