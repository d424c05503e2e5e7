/**
 * The one place configuration is validated. Pure: it takes the raw values Pulumi read (see
 * `readConfig.ts`, the only module that talks to `pulumi.Config`) and returns typed, checked values or
 * throws a ConfigError that names every bad key, its value and the fix. Nothing is registered before this
 * returns.
 */
import { ConfigError, ProblemCollector } from "../errors";
import { parseConstraint, ConstraintError } from "../flux/semver";
import { pemProblem, normalisePem } from "../k8s/ca";
import { CHECK_TYPES } from "../k8s/canary";
import {
  checkGithubAddress,
  dispatchEventType,
  GITHUB_CA_SECRET_NAME,
  GITHUB_COM,
  githubRepositoryAddress,
} from "../k8s/validation";
import { attachPins, parsePinsConfig, pinsFromStackFiles, type PinsConfig } from "./pins";

/** Config namespace: the project name in Pulumi.yaml. */
export const NS = "promotion-pipeline";

export type ClusterRole = "dev" | "integration" | "live";
export const CLUSTER_ROLES: readonly ClusterRole[] = ["dev", "integration", "live"];

/** The semver range each OCI-following role uses unless the cluster overrides it. */
export function defaultConstraint(role: "integration" | "live"): string {
  switch (role) {
    case "integration":
      return ">= 0.0.0-0";
    case "live":
      return ">= 0.0.0";
    default: {
      const never: never = role;
      throw new Error(`unknown role ${String(never)}`);
    }
  }
}

/** A Flux object reference. */
export interface ObjectRef {
  readonly name: string;
  readonly namespace: string;
}

/** Cosign keyless verification of the artifact (OCIRepository `spec.verify`). */
export interface VerifySpec {
  /** OIDC issuer regular expression, e.g. `^https://token.actions.githubusercontent.com$`. */
  readonly issuer: string;
  /** Certificate subject (workflow identity) regular expression. */
  readonly subject: string;
}

/** A dev cluster follows a Git branch instead of the OCI artifact. */
export interface GitSourceSpec {
  /** Clone URL of the platform repository. */
  readonly url: string;
  /** Branch the dev cluster follows. */
  readonly branch: string;
  /** Secret with Git credentials, if the repository is private. */
  readonly secretRef?: string;
}

/** One cluster of the pipeline, as declared in the project-level config. */
export interface ClusterSpec {
  /** Cluster name; by default a stack manages the cluster of the same name. */
  readonly name: string;
  /** What the cluster accepts: dev follows Git, integration RCs, live stable versions. */
  readonly role: ClusterRole;
  /** Flux reconcile interval of the source. */
  readonly interval: string;
  /** Flux timeout of source operations. */
  readonly timeout: string;
  /** Semver constraint (integration and live only). */
  readonly semver: string;
  /** Optional `ref.semverFilter` regular expression (integration and live only). */
  readonly semverFilter?: string;
  /** True while the cluster's source is suspended; its tags are still protected from cleanup. */
  readonly suspended: boolean;
  /** Git source of a dev cluster. */
  readonly git?: GitSourceSpec;
}

/** A rollback pin: replaces the OCIRepository `ref` (semver would win over a tag added beside it). */
export interface PinSpec {
  /** Pinned tag (one of tag or digest). */
  readonly tag?: string;
  /** Pinned digest `sha256:<64 hex>` (one of tag or digest). */
  readonly digest?: string;
  /** Why the cluster is pinned (shown in previews and the allowlist). */
  readonly reason: string;
  /** Day the pin expires, `YYYY-MM-DD`; an expired pin fails preview. */
  readonly expires: string;
}

/** An extra canary-checker check, passed through to the Canary spec under its type key. */
export interface ExtraCheck {
  /** canary-checker check type key, e.g. `http`, `kubernetes`, `dns`, `tcp`. */
  readonly type: string;
  /** The check body; must contain `name`. */
  readonly spec: Readonly<Record<string, unknown>>;
}

/**
 * Where a CA certificate comes from: a PEM in config (public; the program declares the Secret, key
 * `ca.crt`, under the derived `secretName`), or a Secret created out of band with key `ca.crt`.
 */
export type CaSource =
  | { readonly mode: "pem"; readonly secretName: string; readonly pem: string }
  | { readonly mode: "existing"; readonly secretName: string };

/**
 * How the generated workflows log in to the registry: the job's GITHUB_TOKEN as `github.actor` (what
 * ghcr.io and a GitHub Enterprise Server's container registry accept), two GitHub Actions secrets, or no
 * login at all.
 */
export type RegistryCredentials =
  | { readonly mode: "github-token" }
  | { readonly mode: "none" }
  | { readonly mode: "secrets"; readonly usernameSecret: string; readonly passwordSecret: string };

/** The GitHub the integration cluster's Provider sends repository_dispatch to. */
export interface GitHubSpec {
  /** `https://github.com` or a GitHub Enterprise Server's `https://<host>[:port]`, no path. */
  readonly url: string;
  /** CA of a GitHub Enterprise Server with a private certificate (Provider `certSecretRef`). */
  readonly ca?: CaSource;
}

/** The shared, project-level definition of the pipeline (`promotion-pipeline:pipeline` in Pulumi.yaml). */
export interface PipelineSpec {
  /** Registry host, e.g. `ghcr.io`. */
  readonly registry: string;
  /** Owner (GitHub organisation or user) of the platform repository and the registry namespace. */
  readonly owner: string;
  /** Platform repository name (holds the manifests and receives the workflow files). */
  readonly repository: string;
  /** Artifact name below `<registry>/<owner>/<repository>/`. */
  readonly artifact: string;
  /** Full `oci://` URL of the artifact (derived from the four above unless `url` is set). */
  readonly url: string;
  /** Name and namespace of the OCIRepository every OCI cluster declares. */
  readonly source: ObjectRef;
  /** The Kustomization that applies the platform and whose health gates promotion. */
  readonly gate: ObjectRef;
  /** Secret (docker-registry type) for a private registry, in the source's namespace. */
  readonly registrySecret?: string;
  /** CA of a registry with a private certificate (OCIRepository `certSecretRef`), in the source's namespace. */
  readonly registryCA?: CaSource;
  /** Plain-HTTP registry (OCIRepository `insecure: true`); only when asked for explicitly. */
  readonly registryInsecure: boolean;
  /**
   * How the generated workflows log in to the registry; `github-token` by default on ghcr.io, undefined when
   * not configured for another registry (validateConfig refuses that; only the pins CLI, which generates no
   * workflow, reads a pipeline without it).
   */
  readonly registryCredentials?: RegistryCredentials;
  /** The GitHub (github.com or an Enterprise Server) that receives repository_dispatch. */
  readonly github: GitHubSpec;
  /** Optional cosign keyless verification. */
  readonly verify?: VerifySpec;
  /** Clusters by name, sorted by name. */
  readonly clusters: readonly ClusterSpec[];
  /** The single stack that writes files to the platform repository (workflows, allowlist). */
  readonly ownerStack: string;
  /** Paths whose change on the main branch triggers a build. */
  readonly buildPaths: readonly string[];
  /** Branch builds follow. */
  readonly branch: string;
  /** First version when the registry has no stable tag yet. */
  readonly startVersion: string;
  /** Registry retention: how many stable versions (and their validated-* tags) stay as rollback targets. */
  readonly keepStable: number;
  /** Floating tags that must never be reaped (e.g. `latest`, `staging`). */
  readonly floatingTags: readonly string[];
  /** Extra canary checks. */
  readonly extraChecks: readonly ExtraCheck[];
  /** The pipeline-stalled watch (a scheduled workflow of the owner stack). */
  readonly watch: WatchSpec;
}

/** Thresholds and schedule of the pipeline-stalled watch (`promotion-pipeline:pipeline.watch`). */
export interface WatchSpec {
  /** Cron (UTC) of the watch workflow. */
  readonly schedule: string;
  /** Hours the newest RC may wait for promotion before the watch raises the alarm. */
  readonly rcWaitHours: number;
  /** A pin expiring within this many days raises the alarm. */
  readonly pinExpiryDays: number;
}

export const DEFAULT_WATCH: WatchSpec = {
  schedule: "23 * * * *",
  rcWaitHours: 24,
  pinExpiryDays: 3,
};

/** Five cron fields of GitHub's schedule syntax (digits, `*`, `/`, `,`, `-`; no names, no seconds). */
const CRON = /^(\S+\s+){4}\S+$/;
const CRON_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;

function parseWatch(c: ProblemCollector, key: string, raw: unknown): WatchSpec {
  if (raw === undefined || raw === null) return DEFAULT_WATCH;
  if (!isRecord(raw)) {
    c.add(
      key,
      raw,
      "must be a mapping.",
      'write e.g. watch: { rcWaitHours: 24, pinExpiryDays: 3, schedule: "23 * * * *" }.',
    );
    return DEFAULT_WATCH;
  }
  const r = new Reader(c, key, raw, ["schedule", "rcWaitHours", "pinExpiryDays"]);
  let schedule =
    r.string("schedule", {
      def: DEFAULT_WATCH.schedule,
      what: 'a five-field cron schedule such as "23 * * * *"',
    }) ?? DEFAULT_WATCH.schedule;
  if (
    !CRON.test(schedule.trim()) ||
    !schedule
      .trim()
      .split(/\s+/)
      .every((f) => CRON_FIELD.test(f))
  ) {
    c.add(
      r.key("schedule"),
      schedule,
      "is not a five-field cron schedule (minute hour day month weekday; digits, *, /, ',' and -).",
      'write e.g. "23 * * * *" (hourly).',
    );
    schedule = DEFAULT_WATCH.schedule;
  }
  const rcWaitHours = r.int("rcWaitHours", DEFAULT_WATCH.rcWaitHours, 1, 24 * 90);
  const pinExpiryDays = r.int("pinExpiryDays", DEFAULT_WATCH.pinExpiryDays, 0, 365);
  return { schedule: schedule.trim(), rcWaitHours, pinExpiryDays };
}

/** Where this stack's Kubernetes objects go. */
export type KubernetesTarget =
  | { readonly mode: "render"; readonly directory: string }
  | { readonly mode: "cluster"; readonly context?: string; readonly kubeconfig?: string };

/** Where this stack's repository files (workflows, allowlist) go, if it is the owner stack. */
export type FilesTarget =
  | { readonly mode: "directory"; readonly directory: string }
  | { readonly mode: "repository"; readonly branch: string };

/** How the dispatch token reaches the Provider. */
export type DispatchTokenSource =
  { readonly mode: "managed" } | { readonly mode: "existing"; readonly secretName: string };

/** Everything the program needs for one stack, validated. */
export interface StackConfig {
  readonly stack: string;
  readonly pipeline: PipelineSpec;
  /** The cluster this stack manages. */
  readonly cluster: ClusterSpec;
  readonly kubernetes: KubernetesTarget;
  readonly files: FilesTarget;
  /** True when this stack writes the repository files. */
  readonly ownsFiles: boolean;
  readonly pin?: PinSpec;
  /** Integration only: where the Provider's token comes from. */
  readonly dispatchToken?: DispatchTokenSource;
  /** Delivery of the registry pin policy (`promotion-pipeline:pins`). */
  readonly pins: PinsConfig;
  /** Every cluster of the pipeline with its pin from any stack file (for the pin policy). */
  readonly pinClusters: readonly (ClusterSpec & { readonly pin?: PinSpec })[];
}

/** Raw values as Pulumi read them; secrets are represented only by whether they are set and non-empty. */
export interface RawConfig {
  readonly stack: string;
  readonly pipeline: unknown;
  readonly cluster?: unknown;
  readonly kubernetes?: unknown;
  readonly files?: unknown;
  readonly pin?: unknown;
  readonly dispatchTokenSecret?: unknown;
  /** undefined: not set; "": set but empty; otherwise set. Only presence is inspected. */
  readonly dispatchToken?: string;
  readonly dispatchTokenIsSecret?: boolean;
  readonly renderSecrets?: unknown;
  /** `promotion-pipeline:pins` (project-level). */
  readonly pins?: unknown;
  /** Text of every `Pulumi.<stack>.yaml` of the project, for the pins of all clusters. */
  readonly stackFiles?: readonly { readonly stack: string; readonly text: string }[];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
/** Patterns of the Flux v1 CRDs (source-controller): interval allows h, timeout does not. */
const FLUX_INTERVAL = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;
const FLUX_TIMEOUT = /^([0-9]+(\.[0-9]+)?(ms|s|m))+$/;
const REGISTRY_HOST = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?$/;
const GH_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$/;
const REPO_NAME = /^[A-Za-z0-9._-]{1,100}$/;
const OCI_PATH_COMPONENT = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$/;
/** A Docker/OCI tag. */
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Typed accessors that record a problem instead of throwing, so one run reports every bad key. */
class Reader {
  constructor(
    private readonly c: ProblemCollector,
    private readonly prefix: string,
    private readonly obj: Record<string, unknown>,
    private readonly known: readonly string[],
  ) {
    for (const k of Object.keys(obj)) {
      if (!known.includes(k)) {
        c.add(
          `${prefix}.${k}`,
          obj[k],
          "is not a known setting.",
          `remove it, or use one of: ${known.join(", ")}.`,
        );
      }
    }
  }

  key(k: string): string {
    return `${this.prefix}.${k}`;
  }

  raw(k: string): unknown {
    return this.obj[k];
  }

  string(
    k: string,
    opts: { def?: string; pattern?: RegExp; what?: string; required?: boolean } = {},
  ): string | undefined {
    const v = this.obj[k];
    if (v === undefined || v === null) {
      if (opts.required) {
        this.c.add(this.key(k), v, "is required.", `set ${opts.what ?? "it"}.`);
      }
      return opts.def;
    }
    if (typeof v !== "string") {
      this.c.add(this.key(k), v, "must be a string.", `write ${opts.what ?? "a string"}.`);
      return opts.def;
    }
    if (v.trim() === "") {
      this.c.add(
        this.key(k),
        v,
        "must not be empty.",
        `set ${opts.what ?? "a value"} or remove the key.`,
      );
      return opts.def;
    }
    if (opts.pattern && !opts.pattern.test(v)) {
      this.c.add(
        this.key(k),
        v,
        `is not ${opts.what ?? `a value matching ${String(opts.pattern)}`}.`,
        `write ${opts.what ?? "a valid value"}.`,
      );
      return opts.def;
    }
    return v;
  }

  bool(k: string, def: boolean): boolean {
    const v = this.obj[k];
    if (v === undefined || v === null) return def;
    if (typeof v === "boolean") return v;
    if (v === "true" || v === "false") return v === "true";
    this.c.add(this.key(k), v, "must be true or false.", "write true or false.");
    return def;
  }

  int(k: string, def: number, min: number, max: number): number {
    const v = this.obj[k];
    if (v === undefined || v === null) return def;
    const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
      this.c.add(
        this.key(k),
        v,
        `must be a whole number from ${min} to ${max}.`,
        `write a number from ${min} to ${max}.`,
      );
      return def;
    }
    return n;
  }

  stringList(
    k: string,
    def: readonly string[],
    pattern?: RegExp,
    what?: string,
  ): readonly string[] {
    const v = this.obj[k];
    if (v === undefined || v === null) return def;
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string" || x.trim() === "")) {
      this.c.add(
        this.key(k),
        v,
        "must be a list of non-empty strings.",
        `write a YAML list of ${what ?? "strings"}.`,
      );
      return def;
    }
    const list = v as string[];
    if (pattern) {
      for (const [i, x] of list.entries()) {
        if (!pattern.test(x)) {
          this.c.add(
            `${this.key(k)}[${i}]`,
            x,
            `is not ${what ?? "valid"}.`,
            `write ${what ?? "a valid value"}.`,
          );
        }
      }
    }
    return [...new Set(list)].sort();
  }

  record(k: string): Record<string, unknown> | undefined {
    const v = this.obj[k];
    if (v === undefined || v === null) return undefined;
    if (!isRecord(v)) {
      this.c.add(
        this.key(k),
        v,
        "must be a mapping (YAML object).",
        "write it as a YAML mapping of keys to values.",
      );
      return undefined;
    }
    return v;
  }
}

function checkRegex(c: ProblemCollector, key: string, value: string | undefined): void {
  if (value === undefined) return;
  try {
    new RegExp(value);
  } catch (e) {
    c.add(
      key,
      value,
      `is not a valid regular expression (${(e as Error).message}).`,
      "write a valid Go/RE2-compatible regular expression.",
    );
  }
}

function parseRef(c: ProblemCollector, key: string, raw: unknown, def: ObjectRef): ObjectRef {
  if (raw === undefined || raw === null) return def;
  if (!isRecord(raw)) {
    c.add(
      key,
      raw,
      "must be a mapping with name and namespace.",
      `write { name: ${def.name}, namespace: ${def.namespace} }.`,
    );
    return def;
  }
  const r = new Reader(c, key, raw, ["name", "namespace"]);
  return {
    name:
      r.string("name", {
        def: def.name,
        pattern: DNS_SUBDOMAIN,
        what: "a Kubernetes object name (lower-case letters, digits, '-', '.')",
      }) ?? def.name,
    namespace:
      r.string("namespace", {
        def: def.namespace,
        pattern: DNS_LABEL,
        what: "a Kubernetes namespace name (lower-case letters, digits, '-')",
      }) ?? def.namespace,
  };
}

/**
 * Checks a constraint for a role: it must parse as a Masterminds/semver v3 constraint (what Flux uses),
 * live must admit no pre-release, integration must admit pre-releases.
 */
export function checkConstraint(
  c: ProblemCollector,
  key: string,
  role: "integration" | "live",
  value: string,
): void {
  let admitsPre: boolean;
  try {
    admitsPre = parseConstraint(value).admitsPrerelease();
  } catch (e) {
    const msg = e instanceof ConstraintError ? e.message : String(e);
    c.add(
      key,
      value,
      `is not a valid Flux (Masterminds semver v3) constraint: ${msg}.`,
      `write a constraint such as "${defaultConstraint(role)}".`,
    );
    return;
  }
  switch (role) {
    case "live":
      if (admitsPre) {
        c.add(
          key,
          value,
          "admits pre-releases, but a live cluster must only take stable X.Y.Z versions (an RC would reach live without passing integration).",
          `use a constraint without a pre-release part, e.g. "${defaultConstraint("live")}".`,
        );
      }
      return;
    case "integration":
      if (!admitsPre) {
        c.add(
          key,
          value,
          "admits no pre-release, so the integration cluster would never see an X.Y.Z-rc.N candidate and nothing would be validated.",
          `add a pre-release lower bound, e.g. "${defaultConstraint("integration")}".`,
        );
      }
      return;
    default: {
      const never: never = role;
      throw new Error(`unknown role ${String(never)}`);
    }
  }
}

function parseClusters(c: ProblemCollector, key: string, raw: unknown): ClusterSpec[] {
  if (!isRecord(raw) || Object.keys(raw).length === 0) {
    c.add(
      key,
      raw,
      "must map each cluster name to its settings.",
      "write e.g. clusters: { integration: { role: integration }, live: { role: live } }.",
    );
    return [];
  }
  const out: ClusterSpec[] = [];
  for (const name of Object.keys(raw).sort()) {
    const ckey = `${key}.${name}`;
    if (!DNS_LABEL.test(name)) {
      c.add(ckey, name, "is not a valid cluster name.", "use lower-case letters, digits and '-'.");
      continue;
    }
    const body = raw[name];
    if (!isRecord(body)) {
      c.add(
        ckey,
        body,
        "must be a mapping with at least `role`.",
        "write { role: integration } (or dev, live).",
      );
      continue;
    }
    const r = new Reader(c, ckey, body, [
      "role",
      "interval",
      "timeout",
      "semver",
      "semverFilter",
      "suspended",
      "git",
    ]);
    const roleRaw = body.role;
    if (typeof roleRaw !== "string" || !(CLUSTER_ROLES as readonly string[]).includes(roleRaw)) {
      c.add(
        `${ckey}.role`,
        roleRaw,
        "must be one of dev, integration, live.",
        "set role: integration (RCs), live (stable only) or dev (follows Git).",
      );
      continue;
    }
    const role = roleRaw as ClusterRole;
    const interval =
      r.string("interval", {
        def: role === "live" ? "5m" : "1m",
        pattern: FLUX_INTERVAL,
        what: "a Flux interval such as 1m, 30s or 1h",
      }) ?? "1m";
    const timeout =
      r.string("timeout", {
        def: "60s",
        pattern: FLUX_TIMEOUT,
        what: "a Flux timeout such as 60s or 2m (ms, s, m only)",
      }) ?? "60s";
    const suspended = r.bool("suspended", false);
    const semverFilter = r.string("semverFilter", { what: "a regular expression" });
    checkRegex(c, `${ckey}.semverFilter`, semverFilter);
    let semver = "";
    let git: GitSourceSpec | undefined;
    switch (role) {
      case "dev": {
        if (body.semver !== undefined) {
          c.add(
            `${ckey}.semver`,
            body.semver,
            "applies only to integration and live clusters; a dev cluster follows Git.",
            "remove semver from the dev cluster.",
          );
        }
        const g = r.record("git");
        if (!g) {
          c.add(
            `${ckey}.git`,
            body.git,
            "is required for a dev cluster.",
            "write git: { url: https://github.com/<owner>/<repo>, branch: main }.",
          );
        } else {
          const gr = new Reader(c, `${ckey}.git`, g, ["url", "branch", "secretRef"]);
          const url = gr.string("url", {
            required: true,
            pattern: /^(https:\/\/|ssh:\/\/)[^\s]+$/,
            what: "an https:// or ssh:// clone URL",
          });
          const branch =
            gr.string("branch", {
              def: "main",
              pattern: /^[^\s~^:?*[\\]+$/,
              what: "a branch name",
            }) ?? "main";
          const secretRef = gr.string("secretRef", {
            pattern: DNS_SUBDOMAIN,
            what: "a Secret name",
          });
          if (url) git = { url, branch, ...(secretRef ? { secretRef } : {}) };
        }
        break;
      }
      case "integration":
      case "live": {
        if (body.git !== undefined) {
          c.add(
            `${ckey}.git`,
            body.git,
            "applies only to dev clusters; integration and live follow the OCI artifact.",
            "remove git, or set role: dev.",
          );
        }
        semver =
          r.string("semver", { def: defaultConstraint(role), what: "a semver constraint" }) ??
          defaultConstraint(role);
        checkConstraint(c, `${ckey}.semver`, role, semver);
        break;
      }
      default: {
        const never: never = role;
        throw new Error(`unknown role ${String(never)}`);
      }
    }
    out.push({
      name,
      role,
      interval,
      timeout,
      semver,
      suspended,
      ...(semverFilter !== undefined ? { semverFilter } : {}),
      ...(git ? { git } : {}),
    });
  }
  return out;
}

function parseExtraChecks(c: ProblemCollector, key: string, raw: unknown): ExtraCheck[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    c.add(
      key,
      raw,
      "must be a list of checks.",
      "write a YAML list such as [{ type: http, spec: { name: ingress, url: https://... } }].",
    );
    return [];
  }
  const out: ExtraCheck[] = [];
  const names = new Set<string>();
  raw.forEach((item, i) => {
    const ikey = `${key}[${i}]`;
    if (!isRecord(item)) {
      c.add(
        ikey,
        item,
        "must be a mapping with type and spec.",
        "write { type: http, spec: { name: ..., ... } }.",
      );
      return;
    }
    const r = new Reader(c, ikey, item, ["type", "spec"]);
    const type = r.string("type", {
      required: true,
      pattern: /^[a-zA-Z][a-zA-Z0-9]*$/,
      what: "a canary-checker check type such as http, dns, tcp or kubernetes",
    });
    const spec = r.record("spec");
    if (!spec) {
      c.add(`${ikey}.spec`, item.spec, "is required.", "write the check's fields, including name.");
      return;
    }
    const name = spec.name;
    if (typeof name !== "string" || name.trim() === "") {
      c.add(
        `${ikey}.spec.name`,
        name,
        "is required: canary-checker reports and alerts by check name, and an unnamed check cannot be alerted on.",
        "give the check a unique name.",
      );
      return;
    }
    if (names.has(name) || name === "kubernetes-api" || name === "flux-pods-healthy") {
      c.add(
        `${ikey}.spec.name`,
        name,
        "duplicates another check's name.",
        "give each check a unique name.",
      );
      return;
    }
    names.add(name);
    if (type && !CHECK_TYPES.includes(type)) {
      c.add(
        `${ikey}.type`,
        type,
        "is not a canary-checker check type.",
        `use one of: ${CHECK_TYPES.join(", ")}.`,
      );
      return;
    }
    if (type) out.push({ type, spec });
  });
  return out;
}

/** The host of an `oci://<host>/<path>` URL, e.g. `ghcr.io` or `127.0.0.1:5000`. */
export function registryHostOf(url: string): string {
  return url.replace(/^oci:\/\//, "").split("/")[0] ?? "";
}

/** The one registry whose login default is the job's GITHUB_TOKEN. */
export const GHCR = "ghcr.io";

/** GitHub Actions secret names: letters, digits and `_`, not starting with a digit. */
const ACTIONS_SECRET = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A CA from a PEM in config or from a Secret created out of band (at most one of the two). `pemKey` and
 * `nameKey` are the full config keys; `derivedName` is the Secret the program declares for a PEM.
 */
function parseCa(
  c: ProblemCollector,
  nameKey: string,
  name: string | undefined,
  pemKey: string,
  pem: string | undefined,
  derivedName: string,
): CaSource | undefined {
  if (name !== undefined && pem !== undefined) {
    c.add(
      pemKey,
      pem,
      `is set together with ${nameKey} (${name}); the controller reads one Secret.`,
      `keep ${pemKey} (the program declares the Secret ${derivedName}) or ${nameKey} (a Secret with key ca.crt created out of band), not both.`,
    );
    return undefined;
  }
  if (pem !== undefined) {
    const problem = pemProblem(pem);
    if (problem !== undefined) {
      c.add(
        pemKey,
        pem,
        problem,
        "paste the CA certificate itself: one or more -----BEGIN CERTIFICATE----- ... -----END CERTIFICATE----- blocks (e.g. the output of `openssl x509 -in ca.crt`).",
      );
      return undefined;
    }
    return { mode: "pem", secretName: derivedName, pem: normalisePem(pem) };
  }
  if (name !== undefined) return { mode: "existing", secretName: name };
  return undefined;
}

function parseRegistryCA(
  c: ProblemCollector,
  key: string,
  raw: unknown,
  source: ObjectRef,
): CaSource | undefined {
  if (raw === undefined || raw === null) return undefined;
  const fix =
    "write { pem: <CA certificate PEM> } (the program declares the Secret) or { secretName: <Secret with key ca.crt in the source's namespace> }.";
  if (!isRecord(raw)) {
    c.add(key, raw, "must be a mapping with pem or secretName.", fix);
    return undefined;
  }
  const r = new Reader(c, key, raw, ["secretName", "pem"]);
  const name = r.string("secretName", {
    pattern: DNS_SUBDOMAIN,
    what: "a Secret name (lower-case letters, digits, '-', '.')",
  });
  const pem = r.string("pem", { what: "the CA certificate in PEM" });
  if (raw.secretName === undefined && raw.pem === undefined) {
    c.add(
      key,
      raw,
      "names no CA: it needs pem or secretName.",
      `${fix} Remove registryCA for a registry with a publicly trusted certificate.`,
    );
    return undefined;
  }
  return parseCa(c, r.key("secretName"), name, r.key("pem"), pem, `${source.name}-registry-ca`);
}

function parseRegistryCredentials(
  c: ProblemCollector,
  key: string,
  raw: unknown,
): RegistryCredentials | undefined {
  if (raw === undefined || raw === null) return undefined;
  const fix =
    "write registryCredentials: { usernameSecret: REGISTRY_USERNAME, passwordSecret: REGISTRY_PASSWORD } (names of GitHub Actions secrets of the platform repository), github-token (the job's GITHUB_TOKEN as github.actor) or none (the registry needs no login).";
  if (raw === "none") return { mode: "none" };
  if (raw === "github-token") return { mode: "github-token" };
  if (!isRecord(raw)) {
    c.add(key, raw, "is not none, github-token or a mapping of secret names.", fix);
    return undefined;
  }
  const r = new Reader(c, key, raw, ["usernameSecret", "passwordSecret"]);
  const secretName = (k: string): string | undefined => {
    const v = r.string(k, {
      required: true,
      pattern: ACTIONS_SECRET,
      what: "a GitHub Actions secret name (letters, digits and '_', not starting with a digit)",
    });
    if (v !== undefined && /^GITHUB_/i.test(v)) {
      c.add(
        r.key(k),
        v,
        "starts with GITHUB_, a prefix GitHub reserves: no repository secret can have this name.",
        "name the secret e.g. REGISTRY_USERNAME / REGISTRY_PASSWORD; for the job's own token write registryCredentials: github-token.",
      );
      return undefined;
    }
    return v;
  };
  const usernameSecret = secretName("usernameSecret");
  const passwordSecret = secretName("passwordSecret");
  if (usernameSecret !== undefined && usernameSecret === passwordSecret) {
    c.add(
      r.key("passwordSecret"),
      passwordSecret,
      "is the same secret as usernameSecret.",
      "name two secrets: one holding the registry user name, one its password or token.",
    );
    return undefined;
  }
  if (usernameSecret === undefined || passwordSecret === undefined) return undefined;
  return { mode: "secrets", usernameSecret, passwordSecret };
}

/**
 * `github: { url, caSecretName?, caPem? }`. notification-controller v1.9.3 addresses the dispatch from the
 * Provider's address alone (internal/notifier/github_helpers.go, `NewGitHubClient`): `parseGitAddress`
 * (internal/notifier/util.go) keeps `<scheme>://<host[:port]>` and takes the WHOLE path, minus a leading
 * `/` and a trailing `.git`, as `owner/repo`, which must split into exactly two parts. So the server URL
 * can carry no path. `createGitHubClient` then returns a plain github.com client when the host is
 * `github.com` (the TLS config is not used), and otherwise go-github's `WithEnterpriseURLs(host, host)`,
 * which appends `/api/v3/` unless the host starts with `api.` or contains `.api.`.
 */
function parseGitHub(
  c: ProblemCollector,
  key: string,
  raw: unknown,
  owner: string | undefined,
  repository: string | undefined,
): GitHubSpec {
  const def: GitHubSpec = { url: GITHUB_COM };
  if (raw === undefined || raw === null) return def;
  if (!isRecord(raw)) {
    c.add(
      key,
      raw,
      "must be a mapping { url, caSecretName?, caPem? }.",
      "write github: { url: https://github.example.com } for a GitHub Enterprise Server, or remove it for github.com.",
    );
    return def;
  }
  const r = new Reader(c, key, raw, ["url", "caSecretName", "caPem"]);
  const text = r.string("url", {
    required: true,
    what: "the GitHub web address, e.g. https://github.example.com",
  });
  const caName = r.string("caSecretName", {
    pattern: DNS_SUBDOMAIN,
    what: "a Secret name (lower-case letters, digits, '-', '.')",
  });
  const caPem = r.string("caPem", { what: "the CA certificate in PEM" });
  const ca = parseCa(
    c,
    r.key("caSecretName"),
    caName,
    r.key("caPem"),
    caPem,
    GITHUB_CA_SECRET_NAME,
  );
  if (text === undefined) return def;
  const urlKey = r.key("url");
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    c.add(
      urlKey,
      text,
      "is not a URL.",
      "write the server's web address, e.g. https://github.example.com.",
    );
    return def;
  }
  const bad = (problem: string, fix: string): GitHubSpec => {
    c.add(urlKey, text, problem, fix);
    return def;
  };
  const base = `https://${u.host}`;
  if (u.protocol !== "https:") {
    return bad(
      "is not https: the Provider sends the dispatch token in an Authorization header, which plain HTTP would expose.",
      `serve GitHub over TLS and write ${base}${ca ? "" : " (with caPem or caSecretName for a private CA)"}.`,
    );
  }
  if (u.username !== "" || u.password !== "") {
    return bad(
      "contains credentials; the token comes from the dispatch token Secret.",
      `write ${base}.`,
    );
  }
  if (u.search !== "" || u.hash !== "") {
    return bad("has a query or fragment.", `write ${base}.`);
  }
  if (u.pathname !== "/" && u.pathname !== "") {
    const parts = u.pathname.split("/").filter(Boolean);
    const ownerRepo =
      parts.length === 2
        ? " It looks like owner/repository: they come from pipeline.owner and pipeline.repository."
        : "";
    return bad(
      `has a path (${u.pathname}): notification-controller takes everything after the host as owner/repository (parseGitAddress), so a server below a path cannot be addressed.${ownerRepo}`,
      `write only the server, ${base}.`,
    );
  }
  if (/^api\./.test(u.hostname) || u.hostname.includes(".api.")) {
    return bad(
      "is an API host: go-github's WithEnterpriseURLs adds no /api/v3/ to a host starting with api. or containing .api., so the dispatch would miss the Enterprise Server's API.",
      "write the server's web address (the one in a repository's URL), e.g. https://github.example.com.",
    );
  }
  if (u.host === "github.com" && ca) {
    c.add(
      r.key(ca.mode === "pem" ? "caPem" : "caSecretName"),
      ca.mode === "pem" ? caPem : caName,
      "is set for github.com: createGitHubClient builds a plain github.com client and never uses a CA.",
      "remove the CA; it is for a GitHub Enterprise Server with a private certificate.",
    );
    return def;
  }
  if (owner !== undefined && repository !== undefined) {
    try {
      checkGithubAddress(githubRepositoryAddress(owner, repository, base), base);
    } catch (e) {
      return bad(
        `gives a Provider address the controller cannot use: ${(e as Error).message}`,
        "check pipeline.owner, pipeline.repository and github.url.",
      );
    }
  }
  return { url: base, ...(ca ? { ca } : {}) };
}

export function parsePipeline(c: ProblemCollector, raw: unknown): PipelineSpec | undefined {
  const key = `${NS}:pipeline`;
  if (!isRecord(raw)) {
    c.add(
      key,
      raw,
      "is missing or not a mapping; the shared pipeline definition lives in Pulumi.yaml under config.",
      `restore the \`${key}\` block in Pulumi.yaml (see README, Configuration).`,
    );
    return undefined;
  }
  const r = new Reader(c, key, raw, [
    "registry",
    "owner",
    "repository",
    "artifact",
    "url",
    "source",
    "gate",
    "registrySecret",
    "verify",
    "registryCA",
    "registryInsecure",
    "registryCredentials",
    "github",
    "clusters",
    "ownerStack",
    "buildPaths",
    "branch",
    "startVersion",
    "keepStable",
    "floatingTags",
    "extraChecks",
    "watch",
  ]);
  const registry = r.string("registry", {
    required: true,
    pattern: REGISTRY_HOST,
    what: "a registry host such as ghcr.io or 127.0.0.1:5000 (no scheme, no path)",
  });
  const owner = r.string("owner", {
    required: true,
    pattern: GH_NAME,
    what: "a GitHub owner name",
  });
  const repository = r.string("repository", {
    required: true,
    pattern: REPO_NAME,
    what: "a repository name",
  });
  const artifact =
    r.string("artifact", {
      def: "platform",
      pattern: OCI_PATH_COMPONENT,
      what: "an OCI repository path component (lower-case)",
    }) ?? "platform";
  let url = r.string("url", { what: "an oci:// URL" });
  if (url !== undefined) {
    const m = /^oci:\/\/([^/\s]+)\/([^\s@]+)$/.exec(url);
    if (!m) {
      c.add(
        r.key("url"),
        url,
        "must be oci://<host>/<path> with no digest.",
        "write oci://ghcr.io/<owner>/<repo>/platform; pick versions with the cluster's semver, not in the URL.",
      );
    } else if (/:[^/]*$/.test(m[2] ?? "")) {
      c.add(
        r.key("url"),
        url,
        "contains a tag; the cluster's semver constraint (or a pin) selects the tag, and Flux rejects a tagged URL.",
        `drop the tag: ${url.replace(/:[^/:]*$/, "")}.`,
      );
    }
  } else if (registry && owner && repository) {
    url = `oci://${registry}/${owner.toLowerCase()}/${repository.toLowerCase()}/${artifact}`;
  }
  if (url !== undefined && /@sha256:/.test(url)) {
    c.add(
      r.key("url"),
      url,
      "contains a digest; use a pin to fix a cluster to a digest.",
      "remove @sha256:... from the URL and set a pin in the stack's config instead.",
    );
  }
  const source = parseRef(c, r.key("source"), raw.source, {
    name: "flux-system",
    namespace: "flux-system",
  });
  const gate = parseRef(c, r.key("gate"), raw.gate, { name: "platform", namespace: "flux-system" });
  try {
    dispatchEventType(gate);
  } catch (e) {
    c.add(
      r.key("gate"),
      raw.gate,
      `gives a repository_dispatch event type GitHub refuses: ${(e as Error).message}`,
      "use a shorter Kustomization name or namespace.",
    );
  }
  const registrySecret = r.string("registrySecret", {
    pattern: DNS_SUBDOMAIN,
    what: "a Secret name",
  });
  const registryCA = parseRegistryCA(c, r.key("registryCA"), raw.registryCA, source);
  const registryInsecure = r.bool("registryInsecure", false);
  const host = url !== undefined ? registryHostOf(url) : registry;
  if (registryInsecure && raw.registryCA !== undefined && raw.registryCA !== null) {
    c.add(
      r.key("registryInsecure"),
      raw.registryInsecure,
      "is set together with registryCA: a registry with a CA is served over TLS, and insecure would still let source-controller fall back to plain HTTP (parseRepository adds name.Insecure; getTLSConfig skips verification only without certSecretRef).",
      "remove registryInsecure and keep registryCA (TLS verified against your CA).",
    );
  }
  if (registryInsecure && host === GHCR) {
    c.add(
      r.key("registryInsecure"),
      raw.registryInsecure,
      "asks for plain HTTP to ghcr.io, which is served only over TLS with a public certificate.",
      "remove registryInsecure.",
    );
  }
  let registryCredentials = parseRegistryCredentials(
    c,
    r.key("registryCredentials"),
    raw.registryCredentials,
  );
  if (raw.registryCredentials === undefined || raw.registryCredentials === null) {
    if (host === GHCR) registryCredentials = { mode: "github-token" };
  }
  const github = parseGitHub(c, r.key("github"), raw.github, owner, repository);
  let verify: VerifySpec | undefined;
  const v = r.record("verify");
  if (v) {
    const vr = new Reader(c, r.key("verify"), v, ["issuer", "subject"]);
    const issuer = vr.string("issuer", {
      required: true,
      what: "an OIDC issuer regular expression",
    });
    const subject = vr.string("subject", {
      required: true,
      what: "a certificate subject regular expression",
    });
    checkRegex(c, `${r.key("verify")}.issuer`, issuer);
    checkRegex(c, `${r.key("verify")}.subject`, subject);
    if (issuer && subject) verify = { issuer, subject };
  }
  const clusters = parseClusters(c, r.key("clusters"), raw.clusters);
  const integrationCount = clusters.filter((cl) => cl.role === "integration").length;
  if (clusters.length > 0 && integrationCount === 0) {
    c.add(
      r.key("clusters"),
      Object.keys(raw.clusters as object),
      "has no integration cluster, so nothing would validate RCs and nothing would be promoted.",
      "add a cluster with role: integration.",
    );
  }
  const ownerStack =
    r.string("ownerStack", {
      def: "integration",
      pattern: /^[A-Za-z0-9._-]+$/,
      what: "a stack name",
    }) ?? "integration";
  const buildPaths = r.stringList("buildPaths", ["kubernetes/**"], /^[^\s]+$/, "path globs");
  const branch =
    r.string("branch", { def: "main", pattern: /^[^\s~^:?*[\\]+$/, what: "a branch name" }) ??
    "main";
  const startVersion =
    r.string("startVersion", {
      def: "0.0.1",
      pattern: /^\d+\.\d+\.\d+$/,
      what: "a stable X.Y.Z version",
    }) ?? "0.0.1";
  const keepStable = r.int("keepStable", 5, 1, 1000);
  const floatingTags = r.stringList("floatingTags", [], TAG_PATTERN, "OCI tags");
  const extraChecks = parseExtraChecks(c, r.key("extraChecks"), raw.extraChecks);
  const watch = parseWatch(c, r.key("watch"), raw.watch);
  if (!registry || !owner || !repository || url === undefined) return undefined;
  return {
    registry,
    owner,
    repository,
    artifact,
    url,
    source,
    gate,
    ...(registrySecret ? { registrySecret } : {}),
    ...(registryCA ? { registryCA } : {}),
    registryInsecure,
    ...(registryCredentials ? { registryCredentials } : {}),
    github,
    ...(verify ? { verify } : {}),
    clusters,
    ownerStack,
    buildPaths,
    branch,
    startVersion,
    keepStable,
    floatingTags,
    extraChecks,
    watch,
  };
}

/** Parses a `YYYY-MM-DD` day; undefined when it is not a real calendar day. */
export function parseDay(s: string): Date | undefined {
  const m = DATE.exec(s);
  if (!m) return undefined;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === s ? d : undefined;
}

export function parsePin(
  c: ProblemCollector,
  stack: string,
  raw: unknown,
  now: Date,
): PinSpec | undefined {
  const key = `${NS}:pin`;
  if (raw === undefined || raw === null) return undefined;
  if (!isRecord(raw)) {
    c.add(
      key,
      raw,
      "must be a mapping { tag | digest, reason, expires }.",
      `write it with: pulumi config set --path '${key}.tag' 1.2.3 --stack ${stack} (and .reason, .expires).`,
    );
    return undefined;
  }
  const r = new Reader(c, key, raw, ["tag", "digest", "reason", "expires"]);
  const tag = r.string("tag", { pattern: TAG_PATTERN, what: "an OCI tag such as 1.4.2" });
  const digest = r.string("digest", {
    pattern: DIGEST_PATTERN,
    what: "a digest sha256:<64 lower-case hex>",
  });
  if (raw.tag !== undefined && raw.digest !== undefined) {
    c.add(
      key,
      raw,
      "sets both tag and digest; Flux would use only the digest.",
      "keep one: the digest for an exact artifact, or the tag.",
    );
  }
  if (raw.tag === undefined && raw.digest === undefined) {
    c.add(
      key,
      raw,
      "has neither tag nor digest, so it pins nothing.",
      `set ${key}.tag or ${key}.digest, or remove the pin with: pulumi config rm ${key} --stack ${stack}.`,
    );
  }
  const reason = r.string("reason", {
    required: true,
    what: "why the cluster is pinned (a pin nobody can explain is never lifted)",
  });
  const expires = r.string("expires", {
    required: true,
    what: "the day the pin expires, YYYY-MM-DD",
  });
  if (expires !== undefined) {
    const day = parseDay(expires);
    if (!day) {
      c.add(
        `${key}.expires`,
        expires,
        "is not a calendar day in the form YYYY-MM-DD.",
        "write e.g. 2026-12-31.",
      );
    } else if (day.getTime() + 86_400_000 <= now.getTime()) {
      c.add(
        `${key}.expires`,
        expires,
        `has passed: the pin (${reason ?? "no reason given"}) was meant to be lifted by then.`,
        `lift it with: pulumi config rm ${key} --stack ${stack}; or, if it must stay, set a new expiry with: pulumi config set --path '${key}.expires' YYYY-MM-DD --stack ${stack}.`,
      );
    }
  }
  if ((tag === undefined && digest === undefined) || reason === undefined || expires === undefined)
    return undefined;
  return { ...(tag ? { tag } : {}), ...(digest ? { digest } : {}), reason, expires };
}

/**
 * RawConfig from config values as the engine hands them to a program: `get(key)` returns the text of
 * `promotion-pipeline:<key>` (structured values as JSON text), `isSecret(key)` whether it is secret config.
 * The token is passed on only as text to check presence and emptiness; it leaves as a secret elsewhere.
 */
export function rawConfigFrom(
  stack: string,
  get: (key: string) => string | undefined,
  isSecret: (key: string) => boolean,
  stackFiles: readonly { readonly stack: string; readonly text: string }[],
): RawConfig {
  const structured = (key: string): unknown => {
    const text = get(key);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  };
  const token = get("dispatchToken");
  return {
    stack,
    pipeline: structured("pipeline"),
    cluster: get("cluster"),
    kubernetes: structured("kubernetes"),
    files: structured("files"),
    pin: structured("pin"),
    dispatchTokenSecret: get("dispatchTokenSecret"),
    renderSecrets: structured("renderSecrets"),
    pins: structured("pins"),
    stackFiles,
    ...(token !== undefined
      ? { dispatchToken: token, dispatchTokenIsSecret: isSecret("dispatchToken") }
      : {}),
  };
}

/** Validates everything for one stack. Throws ConfigError listing every problem. */
export function validateConfig(raw: RawConfig, now: Date = new Date()): StackConfig {
  const c = new ProblemCollector();
  const pipeline = parsePipeline(c, raw.pipeline);
  const clusterKey = `${NS}:cluster`;
  let clusterName = raw.stack;
  if (raw.cluster !== undefined && raw.cluster !== null) {
    if (typeof raw.cluster !== "string" || !DNS_LABEL.test(raw.cluster)) {
      c.add(
        clusterKey,
        raw.cluster,
        "must be the name of a cluster in the pipeline definition.",
        "set it to one of the names under promotion-pipeline:pipeline.clusters.",
      );
    } else {
      clusterName = raw.cluster;
    }
  }
  const cluster = pipeline?.clusters.find((cl) => cl.name === clusterName);
  if (pipeline && pipeline.clusters.length > 0 && !cluster) {
    c.add(
      clusterKey,
      raw.cluster ?? clusterName,
      `names no cluster of the pipeline (known: ${pipeline.clusters.map((cl) => cl.name).join(", ")}).`,
      `set ${clusterKey} to one of them in Pulumi.${raw.stack}.yaml, or add the cluster to the pipeline definition.`,
    );
  }

  // Kubernetes target: render to a directory (embedded default) or apply to a cluster.
  const kkey = `${NS}:kubernetes`;
  let kubernetes: KubernetesTarget = { mode: "render", directory: `out/${raw.stack}/kubernetes` };
  if (raw.kubernetes !== undefined && raw.kubernetes !== null) {
    if (!isRecord(raw.kubernetes)) {
      c.add(
        kkey,
        raw.kubernetes,
        "must be a mapping.",
        "write { renderDirectory: out/<stack>/kubernetes } or { context: <kube context> }.",
      );
    } else {
      const r = new Reader(c, kkey, raw.kubernetes, ["renderDirectory", "context", "kubeconfig"]);
      const dir = r.string("renderDirectory", { what: "a directory path" });
      const context = r.string("context", { what: "a kube context name" });
      const kubeconfig = r.string("kubeconfig", { what: "a kubeconfig path" });
      if (dir !== undefined && (context !== undefined || kubeconfig !== undefined)) {
        c.add(
          kkey,
          raw.kubernetes,
          "sets both renderDirectory and a cluster; the program either renders YAML or applies to a cluster.",
          "keep renderDirectory (no cluster) or context/kubeconfig (a real cluster).",
        );
      } else if (dir !== undefined) {
        kubernetes = { mode: "render", directory: dir };
      } else if (context !== undefined || kubeconfig !== undefined) {
        kubernetes = {
          mode: "cluster",
          ...(context ? { context } : {}),
          ...(kubeconfig ? { kubeconfig } : {}),
        };
      }
    }
  }

  const fkey = `${NS}:files`;
  let files: FilesTarget = { mode: "directory", directory: `out/${raw.stack}/github` };
  if (raw.files !== undefined && raw.files !== null) {
    if (!isRecord(raw.files)) {
      c.add(
        fkey,
        raw.files,
        "must be a mapping.",
        "write { directory: out/<stack> } or { repository: true }.",
      );
    } else {
      const r = new Reader(c, fkey, raw.files, ["directory", "repository", "branch"]);
      const dir = r.string("directory", { what: "a directory path" });
      const repo = r.bool("repository", false);
      const branch = r.string("branch", { what: "a branch name" });
      if (repo && dir !== undefined) {
        c.add(
          fkey,
          raw.files,
          "sets both directory and repository.",
          "keep one: directory (write files locally) or repository: true (commit them to GitHub).",
        );
      } else if (repo) {
        files = { mode: "repository", branch: branch ?? pipeline?.branch ?? "main" };
      } else if (dir !== undefined) {
        files = { mode: "directory", directory: dir };
      }
    }
  }

  const pin = parsePin(c, raw.stack, raw.pin, now);
  if (pin && cluster && cluster.role === "dev") {
    c.add(
      `${NS}:pin`,
      raw.pin,
      "pins an OCI artifact, but this stack's cluster is a dev cluster that follows Git.",
      `remove it: pulumi config rm ${NS}:pin --stack ${raw.stack}.`,
    );
  }

  // Dispatch token: integration only; either a managed Secret from Pulumi secret config, or an existing one.
  let dispatchToken: DispatchTokenSource | undefined;
  const tkey = `${NS}:dispatchToken`;
  const eskey = `${NS}:dispatchTokenSecret`;
  const existing = raw.dispatchTokenSecret;
  if (
    existing !== undefined &&
    existing !== null &&
    (typeof existing !== "string" || !DNS_SUBDOMAIN.test(existing))
  ) {
    c.add(
      eskey,
      existing,
      "must be the name of an existing Secret (key `token`) in the gate's namespace.",
      "write a Secret name such as github-dispatch-token.",
    );
  }
  if (cluster && cluster.role === "integration") {
    const hasToken = raw.dispatchToken !== undefined;
    if (hasToken && typeof existing === "string") {
      c.add(
        tkey,
        "[secret]",
        `is set together with ${eskey}; the Provider can use only one token.`,
        `remove one: pulumi config rm ${tkey} --stack ${raw.stack} (to use the existing Secret) or pulumi config rm ${eskey} --stack ${raw.stack}.`,
      );
    } else if (hasToken) {
      if (raw.dispatchToken.trim() === "") {
        c.add(
          tkey,
          "[secret]",
          "is empty, so every repository_dispatch would fail with 401 and nothing would be promoted.",
          `set it with: pulumi config set --secret ${tkey} <token> --stack ${raw.stack} (a fine-grained token with Contents: write on the platform repository).`,
        );
      } else if (raw.dispatchTokenIsSecret === false) {
        c.add(
          tkey,
          "[redacted]",
          "is stored in plain text in the stack file.",
          `store it as a secret: pulumi config set --secret ${tkey} <token> --stack ${raw.stack}.`,
        );
      } else if (kubernetes.mode === "render" && raw.renderSecrets !== true) {
        c.add(
          tkey,
          "[secret]",
          "would be written in plain text into the rendered YAML (render mode writes Secrets as plain files).",
          `create the Secret out of band and set ${eskey} instead, or, knowingly, set ${NS}:renderSecrets true.`,
        );
      } else {
        dispatchToken = { mode: "managed" };
      }
    } else if (typeof existing === "string" && DNS_SUBDOMAIN.test(existing)) {
      dispatchToken = { mode: "existing", secretName: existing };
    } else if (existing === undefined || existing === null) {
      c.add(
        tkey,
        undefined,
        "is missing: the integration cluster's Provider needs a GitHub token to send repository_dispatch.",
        `set it with: pulumi config set --secret ${tkey} <token> --stack ${raw.stack}, or name a Secret created out of band with ${eskey}.`,
      );
    }
  } else if (
    cluster &&
    (raw.dispatchToken !== undefined || (existing !== undefined && existing !== null))
  ) {
    c.add(
      raw.dispatchToken !== undefined ? tkey : eskey,
      "[secret]",
      `is set on the ${cluster.role} stack, but only the integration cluster dispatches validation events; a token elsewhere is an unused credential.`,
      `remove it: pulumi config rm ${raw.dispatchToken !== undefined ? tkey : eskey} --stack ${raw.stack}.`,
    );
  }
  if (raw.renderSecrets !== undefined && typeof raw.renderSecrets !== "boolean") {
    c.add(
      `${NS}:renderSecrets`,
      raw.renderSecrets,
      "must be true or false.",
      "write true or false.",
    );
  }

  // The owner stack's workflows log in to the registry; only ghcr.io takes the job's GITHUB_TOKEN by default.
  // Checked for every stack, so that all stacks of a pipeline accept or refuse the same definition.
  const rawCredentials = isRecord(raw.pipeline) ? raw.pipeline.registryCredentials : undefined;
  if (
    pipeline &&
    !pipeline.registryCredentials &&
    (rawCredentials === undefined || rawCredentials === null)
  ) {
    c.add(
      `${NS}:pipeline.registryCredentials`,
      undefined,
      `is required for the registry ${registryHostOf(pipeline.url)}: the generated workflows would log in with the job's GITHUB_TOKEN, which only ghcr.io (and a GitHub Enterprise Server's own registry) accepts.`,
      "name the GitHub Actions secrets that hold the registry login: registryCredentials: { usernameSecret: REGISTRY_USERNAME, passwordSecret: REGISTRY_PASSWORD }; or write registryCredentials: none for a registry that needs no login, or github-token for a GitHub Enterprise Server's registry.",
    );
  }

  const pins = parsePinsConfig(c, raw.pins);
  const stackPins = pinsFromStackFiles(c, raw.stackFiles ?? []);
  // This stack's own pin counts even when its file was not passed (e.g. config set by environment).
  if (pin && cluster && !stackPins.some((p) => p.stack === raw.stack))
    stackPins.push({ stack: raw.stack, cluster: cluster.name, pin });
  const pinClusters = pipeline ? attachPins(c, pipeline.clusters, stackPins) : [];
  if (pipeline && typeof pins.ghcr === "object" && !pipeline.url.startsWith("oci://ghcr.io/")) {
    c.add(
      `${NS}:pins.ghcr`,
      raw.pins,
      `asks for the GHCR retention workflow, but the artifact ${pipeline.url} is not on ghcr.io.`,
      "remove pins.ghcr (or set it to false) and run the registry's own cleaner with `promotion pins --policy` (docs/pins.md).",
    );
  }

  c.throwIfAny();
  if (!pipeline || !cluster)
    throw new ConfigError([
      {
        key: `${NS}:pipeline`,
        value: undefined,
        problem: "could not be read.",
        fix: "see the errors above.",
      },
    ]);
  return {
    stack: raw.stack,
    pipeline,
    cluster,
    kubernetes,
    files,
    ownsFiles: pipeline.ownerStack === raw.stack,
    ...(pin ? { pin } : {}),
    ...(dispatchToken ? { dispatchToken } : {}),
    pins,
    pinClusters,
  };
}

export { ConfigError };
