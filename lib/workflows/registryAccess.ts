/**
 * How the generated workflows' jobs reach the registry, from `pipeline.registryCredentials` and
 * `pipeline.registryInsecure`: the tools and the login step every job starts with, the credentials the
 * `promotion` CLI reads the registry with, the job token's scopes, and plain HTTP for an insecure registry.
 * Shared by the build, promote, rollback, record and watch jobs.
 */
import { registryHostOf, type PipelineSpec } from "../config";
import {
  CHECKOUT,
  CRANE_VERSION,
  NODE_VERSION,
  ORAS_VERSION,
  SETUP_CRANE,
  SETUP_NODE,
  SETUP_ORAS,
} from "./actions";
import { isRunStep, type Job, type Permissions, type Step, script } from "./model";

/** What logs oras and crane in: the credentials' env and the commands, run by every job. */
const LOGIN_COMMANDS = (oras: boolean): string[] => [
  ...(oras
    ? [
        'printf \'%s\' "$REGISTRY_PASSWORD" | oras login "$REGISTRY" --username "$REGISTRY_USERNAME" --password-stdin',
      ]
    : []),
  'printf \'%s\' "$REGISTRY_PASSWORD" | crane auth login "$REGISTRY" --username "$REGISTRY_USERNAME" --password-stdin',
];

/**
 * The registry login step, from `pipeline.registryCredentials`: the job's GITHUB_TOKEN as github.actor
 * (ghcr.io), two repository secrets (any other registry), or no step. Secrets reach the script only
 * through `env:`; the secret NAMES in the error message are validated identifiers (lib/config/registry.ts).
 */
export function loginSteps(p: PipelineSpec, oras: boolean): Step[] {
  const creds = p.registryCredentials;
  if (!creds) {
    throw new Error(
      `pipeline.registryCredentials is not set for the registry ${registryHostOf(p.url)}: the workflows cannot log in (validateConfig refuses this configuration).`,
    );
  }
  switch (creds.mode) {
    case "none":
      return [];
    case "github-token":
      return [
        {
          name: "Log in to the registry",
          env: {
            REGISTRY_USERNAME: "${{ github.actor }}",
            REGISTRY_PASSWORD: "${{ secrets.GITHUB_TOKEN }}",
          },
          run: script(LOGIN_COMMANDS(oras)),
        },
      ];
    case "secrets":
      return [
        {
          name: "Log in to the registry",
          env: {
            REGISTRY_USERNAME: `\${{ secrets.${creds.usernameSecret} }}`,
            REGISTRY_PASSWORD: `\${{ secrets.${creds.passwordSecret} }}`,
          },
          run: script([
            "# An unset secret is an empty string: say which one, instead of failing later with 401.",
            'if [ -z "$REGISTRY_USERNAME" ] || [ -z "$REGISTRY_PASSWORD" ]; then',
            `  echo "::error::the repository secrets ${creds.usernameSecret} and ${creds.passwordSecret} must hold the login of $REGISTRY (promotion-pipeline:pipeline.registryCredentials); at least one is empty or not set."`,
            "  exit 1",
            "fi",
            ...LOGIN_COMMANDS(oras),
          ]),
        },
      ];
    default: {
      const never: never = creds;
      throw new Error(`unknown registry credentials ${JSON.stringify(never)}`);
    }
  }
}

/**
 * What `promotion` needs to read the registry itself (promote-plan --artifact): the same credentials as the
 * login step, through env only, and plain HTTP only for `registryInsecure`.
 */
export function registryReadEnv(p: PipelineSpec): Record<string, string> {
  const creds = p.registryCredentials;
  const scheme: Record<string, string> = p.registryInsecure
    ? { PROMOTION_REGISTRY_SCHEME: "http" }
    : {};
  switch (creds?.mode) {
    case undefined:
    case "none":
      return scheme;
    case "github-token":
      return {
        PROMOTION_REGISTRY_USERNAME: "${{ github.actor }}",
        PROMOTION_REGISTRY_PASSWORD: "${{ secrets.GITHUB_TOKEN }}",
        ...scheme,
      };
    case "secrets":
      return {
        PROMOTION_REGISTRY_USERNAME: `\${{ secrets.${creds.usernameSecret} }}`,
        PROMOTION_REGISTRY_PASSWORD: `\${{ secrets.${creds.passwordSecret} }}`,
        ...scheme,
      };
    default: {
      const never: never = creds;
      throw new Error(`unknown registry credentials ${JSON.stringify(never)}`);
    }
  }
}

/** The job token's scopes: `packages: write` only when the job token is the registry login. */
export function jobPermissions(p: PipelineSpec): Permissions {
  return p.registryCredentials?.mode === "github-token"
    ? { contents: "read", packages: "write" }
    : { contents: "read" };
}

export function setupSteps(p: PipelineSpec, tools: { oras: boolean }, sparse: boolean): Step[] {
  return [
    {
      name: "Check out",
      uses: CHECKOUT,
      with: sparse
        ? {
            "persist-credentials": false,
            "sparse-checkout": ".github/promotion",
            "sparse-checkout-cone-mode": false,
          }
        : { "persist-credentials": false },
    },
    { name: "Set up Node.js", uses: SETUP_NODE, with: { "node-version": NODE_VERSION } },
    ...(tools.oras
      ? [{ name: "Set up oras", uses: SETUP_ORAS, with: { version: ORAS_VERSION } }]
      : []),
    { name: "Set up crane", uses: SETUP_CRANE, with: { version: CRANE_VERSION } },
    ...loginSteps(p, tools.oras),
  ];
}

/**
 * `registryInsecure: true` (plain-HTTP registry): every crane call gets `--insecure` (go-containerregistry's
 * `name.Insecure`, the same switch source-controller's `parseRepository` sets for `spec.insecure`) and every
 * oras call `--plain-http`; every cosign call `--allow-http-registry` (name.Insecure, as crane's) and
 * `--allow-insecure-registry` (no TLS verification, the other half of crane's `--insecure`). Nothing changes
 * otherwise, so the default workflows keep their bytes.
 */
export function plainHttp(run: string): string {
  return run
    .replace(/\bcrane (ls|tag|digest|auth login) /g, "crane --insecure $1 ")
    .replace(/\boras (login|push) /g, "oras $1 --plain-http ")
    .replace(
      /\bcosign (sign|verify) /g,
      "cosign $1 --allow-http-registry --allow-insecure-registry ",
    );
}

export function forRegistry(p: PipelineSpec, job: Job): Job {
  if (!p.registryInsecure) return job;
  return {
    ...job,
    steps: job.steps.map((st) => (isRunStep(st) ? { ...st, run: plainHttp(st.run) } : st)),
  };
}
