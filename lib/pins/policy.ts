/**
 * The registry pin POLICY (DESIGN section 8), pure: everything the allowlist depends on except the
 * registry's tags. Pulumi delivers the policy, never the expanded list: a list written at `pulumi up` is
 * stale as soon as the next build pushes an RC (integration selects the new RC, the list does not protect
 * it, a cleaner reaps it), and it would change with every build, so the nightly drift check would report
 * drift after every merge. The cleaner expands the policy against the live registry right before it
 * deletes anything (`promotion pins --policy`, `expandPolicy`), and fails closed when it cannot read it.
 *
 * `formatPolicy` is deterministic YAML with the generated header; `parsePolicy` is strict (every problem
 * names its field) because a cleaner trusts what it reads.
 */
import { parse } from "yaml";
import {
  pinsTypeName,
  splitOciUrl,
  type ClusterSpec,
  type PinsConfig,
  type PinSpec,
  type PipelineSpec,
  type RetentionRule,
  type StackConfig,
  type VersionRetention,
} from "../config";
import { generatedHeader, toYaml } from "../emit";
import { ConfigError, ProblemCollector } from "../errors";
import { parseConstraint } from "../flux/semver";
import type { Descriptor } from "../registry/types";
import { computeAllowlist, type Allowlist, type PinCluster } from "./allowlist";
import { isRecord } from "../guards";

/** What a cleaner needs, besides the registry's tags, to compute the allowlist (floatingTags sorted, unique). */
export interface PinsPolicy extends VersionRetention {
  /** Registry host (and port), e.g. `ghcr.io`. */
  readonly registry: string;
  /** Repository path below the host, e.g. `example-org/platform/platform`. */
  readonly repository: string;
  /** `type/name` of the `type/name==version` lines. */
  readonly lines: string;
  /** Integration and live clusters (dev follows Git), sorted by name, suspended ones included. */
  readonly clusters: readonly PinCluster[];
  /** The cleaner's rules, sorted by name, checked for hazards. */
  readonly retention: readonly RetentionRule[];
}

/** The `kind` and `apiVersion` of the policy file (`formatPolicy` writes them, `parsePolicy` checks them). */
export const POLICY_KIND = "PinsPolicy";
export const POLICY_API_VERSION = "promotion-pipeline/v1";

const cmpStr = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function pinCluster(c: ClusterSpec & { readonly pin?: PinSpec }): PinCluster {
  return {
    name: c.name,
    role: c.role,
    semver: c.semver,
    ...(c.semverFilter !== undefined ? { semverFilter: c.semverFilter } : {}),
    suspended: c.suspended,
    ...(c.pin ? { pin: c.pin } : {}),
  };
}

/** The policy from the validated parts: the pipeline, `promotion-pipeline:pins`, clusters with pins. */
export function policyOf(
  pipeline: PipelineSpec,
  pins: PinsConfig,
  clusters: readonly (ClusterSpec & { readonly pin?: PinSpec })[],
): PinsPolicy {
  return normalise({
    ...splitOciUrl(pipeline.url),
    lines: pinsTypeName(pins, pipeline),
    clusters: clusters.filter((c) => c.role !== "dev").map(pinCluster),
    floatingTags: pipeline.floatingTags,
    keepStable: pipeline.keepStable,
    startVersion: pipeline.startVersion,
    retention: pins.retention,
  });
}

/** The policy of a validated stack config: every cluster's pin comes from all stack files. */
export function pinsPolicy(cfg: StackConfig): PinsPolicy {
  return policyOf(cfg.pipeline, cfg.pins, cfg.pinClusters);
}

/** Sorts every list, so the same policy always has the same bytes. */
function normalise(p: PinsPolicy): PinsPolicy {
  return {
    ...p,
    clusters: [...p.clusters].sort((a, b) => cmpStr(a.name, b.name)),
    floatingTags: [...new Set(p.floatingTags)].sort(cmpStr),
    retention: [...p.retention].sort((a, b) => cmpStr(a.name, b.name)),
  };
}

/**
 * The allowlist of a policy against the registry's tags (tag -> digest) now, and the OCI 1.1 referrers
 * the registry read found for the protected digests (their signatures).
 */
export function expandPolicy(
  policy: PinsPolicy,
  tags: ReadonlyMap<string, string>,
  referrers?: ReadonlyMap<string, readonly Descriptor[]>,
): Allowlist {
  return computeAllowlist({
    ...(referrers ? { referrers } : {}),
    clusters: policy.clusters,
    floatingTags: policy.floatingTags,
    keepStable: policy.keepStable,
    startVersion: policy.startVersion,
    tags,
    retention: policy.retention,
  });
}

const SOURCE =
  "promotion-pipeline:pipeline and promotion-pipeline:pins in Pulumi.yaml, every cluster's pin in Pulumi.<stack>.yaml";

const TOP_KEYS = [
  "apiVersion",
  "kind",
  "registry",
  "repository",
  "lines",
  "clusters",
  "floatingTags",
  "keepStable",
  "startVersion",
  "retention",
] as const;
const CLUSTER_KEYS = ["name", "role", "semver", "semverFilter", "suspended", "pin"] as const;
const PIN_KEYS = ["tag", "digest", "reason", "expires"] as const;
const RULE_KEYS = ["name", "deleteMatching", "keepLatest", "matching"] as const;

function ruleData(r: RetentionRule): Record<string, unknown> {
  switch (r.kind) {
    case "delete-matching":
      return { name: r.name, deleteMatching: r.pattern };
    case "keep-latest":
      return {
        name: r.name,
        keepLatest: r.count,
        ...(r.pattern !== undefined ? { matching: r.pattern } : {}),
      };
    default: {
      const never: never = r;
      throw new Error(`unknown retention rule ${JSON.stringify(never)}`);
    }
  }
}

/** Deterministic YAML of the policy, with the generated header and a note for whoever opens it. */
export function formatPolicy(policy: PinsPolicy): string {
  const p = normalise(policy);
  const data = {
    apiVersion: POLICY_API_VERSION,
    kind: POLICY_KIND,
    registry: p.registry,
    repository: p.repository,
    lines: p.lines,
    clusters: p.clusters.map((c) => ({
      name: c.name,
      role: c.role,
      semver: c.semver,
      ...(c.semverFilter !== undefined ? { semverFilter: c.semverFilter } : {}),
      suspended: c.suspended,
      ...(c.pin
        ? {
            pin: {
              ...(c.pin.tag !== undefined ? { tag: c.pin.tag } : {}),
              ...(c.pin.digest !== undefined ? { digest: c.pin.digest } : {}),
              reason: c.pin.reason,
              expires: c.pin.expires,
            },
          }
        : {}),
    })),
    floatingTags: p.floatingTags,
    keepStable: p.keepStable,
    startVersion: p.startVersion,
    retention: p.retention.map(ruleData),
  };
  return (
    generatedHeader(SOURCE, [
      "Registry pin POLICY, not the list: expand it against the live registry right before a cleanup with",
      "`promotion pins --policy <this file> --format lines|ghcr`; it exits non-zero and prints nothing when",
      "the registry cannot be read, so a cleaner must not run unless it succeeded (docs/pins.md).",
    ]) + toYaml(data, [...TOP_KEYS, ...CLUSTER_KEYS, ...PIN_KEYS, ...RULE_KEYS])
  );
}

/** Thrown by parsePolicy: every problem, each naming its field. */
export class PolicyError extends ConfigError {
  constructor(problems: ConfigError["problems"]) {
    super(problems);
    this.name = "PolicyError";
    this.message = this.message.replace(/^invalid configuration/, "invalid pin policy");
  }
}

const REGISTRY = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?$|^\[[0-9a-fA-F:]+\](:[0-9]{1,5})?$/;
const REPOSITORY = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const LINES =
  /^[a-z][a-z0-9_-]*\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const VERSION = /^\d+\.\d+\.\d+$/;
const RULE_NAME = /^[A-Za-z0-9._-]+$/;

/** Field-by-field checks that record a problem per bad field and return undefined for it. */
class Fields {
  constructor(
    readonly c: ProblemCollector,
    readonly key: string,
    readonly obj: Record<string, unknown>,
    known: readonly string[],
  ) {
    for (const k of Object.keys(obj).sort()) {
      if (!known.includes(k))
        c.add(
          this.at(k),
          obj[k],
          "is not a field of the pin policy.",
          `remove it; known fields: ${known.join(", ")}.`,
        );
    }
  }

  at(k: string): string {
    return this.key === "" ? k : `${this.key}.${k}`;
  }

  string(
    k: string,
    pattern: RegExp | undefined,
    what: string,
    optional = false,
  ): string | undefined {
    const v = this.obj[k];
    if (v === undefined && optional) return undefined;
    if (typeof v !== "string" || v === "") {
      this.c.add(
        this.at(k),
        v,
        v === undefined ? "is required." : "must be a non-empty string.",
        `write ${what}.`,
      );
      return undefined;
    }
    if (pattern && !pattern.test(v)) {
      this.c.add(this.at(k), v, `is not ${what}.`, `write ${what}.`);
      return undefined;
    }
    return v;
  }

  regex(k: string, optional: boolean): string | undefined {
    const s = this.string(k, undefined, "a regular expression", optional);
    if (s === undefined) return undefined;
    try {
      new RegExp(s);
      return s;
    } catch (e) {
      this.c.add(
        this.at(k),
        s,
        `is not a valid regular expression (${(e as Error).message}).`,
        "write a valid regular expression.",
      );
      return undefined;
    }
  }

  int(k: string, min: number, max: number): number | undefined {
    const v = this.obj[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      this.c.add(
        this.at(k),
        v,
        v === undefined ? "is required." : `must be a whole number from ${min} to ${max}.`,
        `write a number from ${min} to ${max}.`,
      );
      return undefined;
    }
    return v;
  }

  bool(k: string): boolean | undefined {
    const v = this.obj[k];
    if (typeof v !== "boolean") {
      this.c.add(
        this.at(k),
        v,
        v === undefined ? "is required." : "must be true or false.",
        "write true or false.",
      );
      return undefined;
    }
    return v;
  }

  list(k: string): unknown[] | undefined {
    const v = this.obj[k];
    if (!Array.isArray(v)) {
      this.c.add(
        this.at(k),
        v,
        v === undefined ? "is required." : "must be a list.",
        "write a YAML list (possibly []).",
      );
      return undefined;
    }
    return v as unknown[];
  }
}

function parsePin(c: ProblemCollector, key: string, raw: unknown): PinSpec | undefined {
  if (!isRecord(raw)) {
    c.add(
      key,
      raw,
      "must be a mapping { tag | digest, reason, expires }.",
      "write it as the stack file's pin.",
    );
    return undefined;
  }
  const f = new Fields(c, key, raw, PIN_KEYS);
  const tag = f.string("tag", TAG, "an OCI tag", true);
  const digest = f.string("digest", DIGEST, "a digest sha256:<64 lower-case hex>", true);
  if ((raw.tag === undefined) === (raw.digest === undefined)) {
    c.add(key, raw, "must set exactly one of tag and digest.", "keep one of them.");
    return undefined;
  }
  const reason = f.string("reason", undefined, "why the cluster is pinned");
  const expires = f.string("expires", DAY, "a day YYYY-MM-DD");
  if ((tag ?? digest) === undefined || reason === undefined || expires === undefined)
    return undefined;
  return {
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
    reason,
    expires,
  };
}

/** Reports `raw` under `key`: not `what` the owner stack writes there (the fix: regenerate the policy). */
function notWritten(c: ProblemCollector, key: string, raw: unknown, what: string): undefined {
  c.add(key, raw, `must be ${what}.`, "regenerate the policy with `pulumi up`.");
  return undefined;
}

function parseCluster(c: ProblemCollector, key: string, raw: unknown): PinCluster | undefined {
  if (!isRecord(raw))
    return notWritten(c, key, raw, "a mapping with name, role, semver and suspended");
  const f = new Fields(c, key, raw, CLUSTER_KEYS);
  const name = f.string("name", CLUSTER_NAME, "a cluster name");
  let role: "integration" | "stage" | "live" | undefined;
  if (raw.role === "integration" || raw.role === "stage" || raw.role === "live") role = raw.role;
  else
    c.add(
      f.at("role"),
      raw.role,
      raw.role === undefined
        ? "is required."
        : "must be integration, stage or live (dev clusters follow Git and have no place in the policy).",
      "write integration, stage or live.",
    );
  const semver = f.string("semver", undefined, "a Flux semver constraint such as >= 0.0.0");
  if (semver !== undefined) {
    try {
      parseConstraint(semver);
    } catch (e) {
      c.add(
        f.at("semver"),
        semver,
        `is not a valid Flux (Masterminds semver v3) constraint: ${(e as Error).message}.`,
        "write a constraint such as >= 0.0.0.",
      );
    }
  }
  const semverFilter = f.regex("semverFilter", true);
  const suspended = f.bool("suspended");
  const pin = raw.pin === undefined ? undefined : parsePin(c, f.at("pin"), raw.pin);
  if (name === undefined || role === undefined || semver === undefined || suspended === undefined)
    return undefined;
  if (raw.pin !== undefined && pin === undefined) return undefined;
  return {
    name,
    role,
    semver,
    ...(semverFilter !== undefined ? { semverFilter } : {}),
    suspended,
    ...(pin ? { pin } : {}),
  };
}

function parseRule(c: ProblemCollector, key: string, raw: unknown): RetentionRule | undefined {
  if (!isRecord(raw))
    return notWritten(c, key, raw, "a mapping with name and deleteMatching or keepLatest");
  const f = new Fields(c, key, raw, RULE_KEYS);
  const name = f.string("name", RULE_NAME, "a rule name");
  if ((raw.deleteMatching === undefined) === (raw.keepLatest === undefined)) {
    c.add(key, raw, "must set exactly one of deleteMatching and keepLatest.", "keep one of them.");
    return undefined;
  }
  if (raw.deleteMatching !== undefined) {
    if (raw.matching !== undefined)
      c.add(f.at("matching"), raw.matching, "applies only to keepLatest rules.", "remove it.");
    const pattern = f.regex("deleteMatching", false);
    return name !== undefined && pattern !== undefined
      ? { kind: "delete-matching", name, pattern }
      : undefined;
  }
  const count = f.int("keepLatest", 0, 1_000_000);
  const pattern = f.regex("matching", true);
  if (name === undefined || count === undefined) return undefined;
  return { kind: "keep-latest", name, count, ...(pattern !== undefined ? { pattern } : {}) };
}

/**
 * The items of the list `key` that `parse` accepts (it reports the others); a name used twice is reported
 * under `<key>[i].name` as `duplicate` (problem, fix).
 */
function namedItems<T extends { readonly name: string }>(
  c: ProblemCollector,
  key: string,
  list: readonly unknown[] | undefined,
  parse: (c: ProblemCollector, key: string, raw: unknown) => T | undefined,
  duplicate: readonly [problem: string, fix: string],
): T[] {
  const out: T[] = [];
  const names = new Set<string>();
  (list ?? []).forEach((raw, i) => {
    const item = parse(c, `${key}[${i}]`, raw);
    if (!item) return;
    if (names.has(item.name)) c.add(`${key}[${i}].name`, item.name, ...duplicate);
    names.add(item.name);
    out.push(item);
  });
  return out;
}

/** Parses and validates a policy file's text; throws PolicyError naming every bad field. */
export function parsePolicy(text: string): PinsPolicy {
  const c = new ProblemCollector();
  let doc: unknown;
  try {
    doc = parse(text, { version: "1.1" });
  } catch (e) {
    throw new PolicyError([
      {
        key: "(file)",
        value: undefined,
        problem: `is not valid YAML: ${(e as Error).message.split("\n")[0]}`,
        fix: "regenerate the policy with `pulumi up`.",
      },
    ]);
  }
  if (!isRecord(doc)) {
    throw new PolicyError([
      {
        key: "(file)",
        value: doc,
        problem: "is not a YAML mapping.",
        fix: "point --policy at the pins-policy.yaml the owner stack writes.",
      },
    ]);
  }
  const f = new Fields(c, "", doc, TOP_KEYS);
  const identity = [
    [
      "apiVersion",
      POLICY_API_VERSION,
      "use a promotion CLI that matches the policy (regenerate both with `pulumi up`).",
    ],
    ["kind", POLICY_KIND, "point --policy at the pins-policy.yaml the owner stack writes."],
  ] as const;
  for (const [k, want, fix] of identity)
    if (doc[k] !== want) c.add(k, doc[k], `must be ${want}.`, fix);
  const registry = f.string("registry", REGISTRY, "a registry host such as ghcr.io");
  const repository = f.string(
    "repository",
    REPOSITORY,
    "a repository path such as example-org/platform/platform",
  );
  const lines = f.string("lines", LINES, "a type/name such as container/platform/platform");
  const clusters = namedItems(c, "clusters", f.list("clusters"), parseCluster, [
    "duplicates another cluster.",
    "list each cluster once.",
  ]);
  const floatingTags: string[] = [];
  (f.list("floatingTags") ?? []).forEach((t, i) => {
    if (typeof t !== "string" || !TAG.test(t))
      c.add(`floatingTags[${i}]`, t, "is not an OCI tag.", "write a tag such as latest.");
    else floatingTags.push(t);
  });
  const keepStable = f.int("keepStable", 1, 1000);
  const startVersion = f.string("startVersion", VERSION, "a stable X.Y.Z version");
  const retention = namedItems(c, "retention", f.list("retention"), parseRule, [
    "duplicates another rule's name.",
    "give each rule a unique name.",
  ]);
  if (c.count > 0) throw new PolicyError(c.problems);
  return normalise({
    registry: registry as string,
    repository: repository as string,
    lines: lines as string,
    clusters,
    floatingTags,
    keepStable: keepStable as number,
    startVersion: startVersion as string,
    retention,
  });
}
