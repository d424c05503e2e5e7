/**
 * A typed model of the part of GitHub Actions workflow syntax this project generates. Pure data: no Pulumi,
 * no I/O. Only what the generated workflows use is modelled, so a typo in a key is a compile error.
 */

/** Access level of one GITHUB_TOKEN scope. */
export type PermissionLevel = "read" | "write" | "none";

/** GITHUB_TOKEN scopes (https://docs.github.com/actions/reference/workflow-syntax-for-github-actions#permissions). */
export type PermissionScope =
  | "actions"
  | "attestations"
  | "checks"
  | "contents"
  | "deployments"
  | "discussions"
  | "id-token"
  | "issues"
  | "packages"
  | "pages"
  | "pull-requests"
  | "security-events"
  | "statuses";

/** Scopes not named get `none` (GitHub's rule once any scope is set). */
export type Permissions = Readonly<Partial<Record<PermissionScope, PermissionLevel>>>;

/** A concurrency group; `cancel-in-progress: false` queues a run behind the running one. */
export interface Concurrency {
  readonly group: string;
  readonly "cancel-in-progress": boolean;
}

/** One `workflow_dispatch` input. */
export interface DispatchInput {
  /** Shown in the Actions UI. */
  readonly description: string;
  readonly required: boolean;
  readonly type: "string" | "boolean" | "choice" | "number";
  readonly default?: string;
  readonly options?: readonly string[];
}

/** The triggers the generated workflows use. */
export interface Triggers {
  readonly push?: { readonly branches: readonly string[]; readonly paths?: readonly string[] };
  readonly repository_dispatch?: { readonly types: readonly string[] };
  readonly workflow_dispatch?: { readonly inputs?: Readonly<Record<string, DispatchInput>> };
  readonly pull_request?: {
    readonly branches?: readonly string[];
    readonly paths?: readonly string[];
  };
  readonly schedule?: readonly { readonly cron: string }[];
}

/** An action pinned by full commit SHA; `version` is the tag the SHA was read from (a comment in YAML). */
export interface ActionRef {
  /** `owner/repo` (optionally `/path`). */
  readonly action: string;
  /** Full 40-hex commit SHA. */
  readonly sha: string;
  /** The release tag the SHA belongs to, e.g. `v7.0.1`. */
  readonly version: string;
}

interface StepBase {
  /** Shown in the run log. */
  readonly name: string;
  /** Needed to read the step's outputs. */
  readonly id?: string;
  readonly if?: string;
  /** Environment of the step: the only way event data may reach a script. */
  readonly env?: Readonly<Record<string, string>>;
}

/** A step that runs an action. */
export interface UsesStep extends StepBase {
  readonly uses: ActionRef;
  readonly with?: Readonly<Record<string, string | number | boolean>>;
}

/** A step that runs a bash script. */
export interface RunStep extends StepBase {
  readonly run: string;
}

export type Step = UsesStep | RunStep;

/** A `run:` script: `set -euo pipefail`, then `lines`, one a line, ending in a newline. */
export function script(lines: readonly string[]): string {
  return ["set -euo pipefail", ...lines].join("\n") + "\n";
}

export function isRunStep(s: Step): s is RunStep {
  return "run" in s;
}

/** One job. */
export interface Job {
  readonly name: string;
  readonly "runs-on": string;
  readonly needs?: readonly string[];
  readonly if?: string;
  /** Least privilege per job; the workflow-level default is `{}` (no scope). */
  readonly permissions: Permissions;
  readonly concurrency?: Concurrency;
  readonly "timeout-minutes": number;
  readonly outputs?: Readonly<Record<string, string>>;
  readonly env?: Readonly<Record<string, string>>;
  readonly steps: readonly Step[];
}

/** A whole workflow file. */
export interface Workflow {
  readonly name: string;
  readonly on: Triggers;
  /** Workflow-wide token permissions; jobs widen them as they need. */
  readonly permissions: Permissions;
  readonly concurrency?: Concurrency;
  readonly env?: Readonly<Record<string, string>>;
  readonly defaults?: { readonly run: { readonly shell: "bash" } };
  readonly jobs: Readonly<Record<string, Job>>;
}
