/**
 * The registry pin allowlist (DESIGN section 8), pure: from the pipeline's clusters, pins, floating tags,
 * keepStable and the registry's tag -> digest listing, the digests a cleaner must never delete, every tag
 * on each of them, and why. A registry deletes a manifest by digest and every tag on it goes with it, so
 * protection is per digest. Selection is Flux's own (lib/flux/select.ts); nothing here re-implements it.
 *
 * Signatures count as part of the digest they sign: every protected digest's cosign artifacts (the tags
 * `sha256-<hex>.sig`, `.att`, `.sbom`), its OCI 1.1 referrers (from the referrers API) and its referrers
 * tag-schema index (tag `sha256-<hex>`) are protected too, and so are theirs, recursively: a cleaner that
 * deletes a kept digest's signature breaks it as surely as deleting the digest (a verifying cluster
 * refuses it).
 *
 * Also the hazards a person should hear about before a cleaner runs: a retention rule that would delete a
 * protected digest through another tag, a pin to a tag that does not exist, a stray pre-release that keeps
 * integration from taking new RCs.
 */
import type { ClusterRole, PinSpec, RetentionRule } from "../config";
import { generatedHeader } from "../emit";
import { selectTag } from "../flux/select";
import { compareVersions, parseFluxTag, type FluxVersion } from "../flux/semver";
import type { Descriptor } from "../registry/types";
import { clip } from "../clip";

export type { RetentionRule };

/** One cluster as the allowlist sees it (suspended clusters included: they resume on what they had). */
export interface PinCluster {
  readonly name: string;
  readonly role: ClusterRole;
  /** Flux semver constraint (integration and live). */
  readonly semver: string;
  /** Optional `ref.semverFilter`. */
  readonly semverFilter?: string;
  readonly suspended: boolean;
  /** The cluster's rollback pin, if its stack has one. */
  readonly pin?: PinSpec;
}

export interface AllowlistInput {
  readonly clusters: readonly PinCluster[];
  readonly floatingTags: readonly string[];
  /** How many stable versions stay as rollback targets. */
  readonly keepStable: number;
  /** First version when the registry has no stable tag (the pending version then). */
  readonly startVersion: string;
  /** Every tag of the artifact repository and the digest it points at. */
  readonly tags: ReadonlyMap<string, string>;
  /** The cleaner's own rules, to warn about (optional). */
  readonly retention?: readonly RetentionRule[];
  /**
   * Subject digest -> its OCI 1.1 referrers (the referrers API's answer, or the manifests of its
   * referrers tag-schema index), for the digests the registry read looked up (lib/pins/registry.ts).
   */
  readonly referrers?: ReadonlyMap<string, readonly Descriptor[]>;
}

/** The tag suffixes cosign's tag scheme uses: signatures, attestations, SBOMs. */
export const COSIGN_SUFFIXES = [".sig", ".att", ".sbom"] as const;

/**
 * The tags that may hold `digest`'s signature artifacts, found in the tag listing by name: cosign's
 * `sha256-<hex>.sig`, `.att`, `.sbom`, and the OCI 1.1 referrers tag schema's index `sha256-<hex>`.
 * Empty for a digest that is not sha256.
 */
export function signatureTagsOf(digest: string): string[] {
  const m = /^sha256:([a-f0-9]{64})$/.exec(digest);
  if (!m) return [];
  const base = `sha256-${m[1]}`;
  return [...COSIGN_SUFFIXES.map((s) => `${base}${s}`), base];
}

/** True for a tag `signatureTagsOf` can return (a signature artifact's tag, not a build's). */
export function isSignatureTag(tag: string): boolean {
  return /^sha256-[a-f0-9]{64}(\.sig|\.att|\.sbom)?$/.test(tag);
}

/** Why a digest is protected. Closed set; `describeReason` renders each. */
export type ProtectionReason =
  | {
      readonly kind: "selected";
      readonly cluster: string;
      readonly tag: string;
      readonly suspended: boolean;
    }
  | {
      readonly kind: "pin";
      readonly cluster: string;
      readonly ref: string;
      readonly reason: string;
      readonly expires: string;
    }
  | { readonly kind: "floating"; readonly tag: string }
  | { readonly kind: "highest-stable"; readonly tag: string }
  | { readonly kind: "pending-rc"; readonly tag: string }
  | { readonly kind: "rollback"; readonly tag: string; readonly rank: number }
  /** A cosign tag (`.sig`, `.att`, `.sbom`) or the referrers tag-schema index of a protected digest. */
  | { readonly kind: "signature"; readonly subject: string; readonly tag: string }
  /** An OCI 1.1 referrer (signature, attestation, SBOM, ...) of a protected digest. */
  | {
      readonly kind: "referrer";
      readonly subject: string;
      readonly artifactType?: string;
    };

export interface ProtectedDigest {
  readonly digest: string;
  /** Every tag on the digest, sorted; empty for a pinned digest no tag points at. */
  readonly tags: readonly string[];
  /** Sorted, deduplicated. */
  readonly reasons: readonly ProtectionReason[];
}

export type HazardKind =
  | "retention-deletes-protected"
  | "pin-tag-missing"
  | "pin-digest-untagged"
  | "stray-prerelease"
  | "selects-nothing"
  | "floating-tag-missing";

export interface Hazard {
  readonly kind: HazardKind;
  readonly severity: "error" | "warning";
  readonly message: string;
}

export interface Allowlist {
  /** Sorted by digest. */
  readonly digests: readonly ProtectedDigest[];
  /** Highest stable `X.Y.Z` in the registry, if any. */
  readonly highestStable?: string;
  /** The version the next RCs belong to: highest stable with the patch bumped, or the start version. */
  readonly pendingVersion: string;
  /** Sorted by kind, then message. */
  readonly hazards: readonly Hazard[];
}

/** A stable tag as the build writes it (DESIGN section 2): `X.Y.Z`, no `v`, no leading zeros. */
const STABLE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
/** A release candidate as the build writes it: `X.Y.Z-rc.N`. */
const RC = /^((0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*))-rc\.(0|[1-9]\d*)$/;

const cmpStr = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function byVersionDesc(a: string, b: string): number {
  const va = parseFluxTag(a) as FluxVersion;
  const vb = parseFluxTag(b) as FluxVersion;
  return compareVersions(vb, va) || cmpStr(a, b);
}

/** Stable tags, highest first. */
export function stableTags(tags: Iterable<string>): string[] {
  return [...tags].filter((t) => STABLE.test(t)).sort(byVersionDesc);
}

/** Highest stable with the patch bumped; `start` when there is none. */
export function pendingVersionOf(highestStable: string | undefined, start: string): string {
  if (highestStable === undefined) return start;
  const [maj, min, pat] = highestStable.split(".");
  return `${maj}.${min}.${Number(pat) + 1}`;
}

function reasonKey(r: ProtectionReason): string {
  return JSON.stringify([
    r.kind,
    "cluster" in r ? r.cluster : "",
    "tag" in r ? r.tag : "",
    "ref" in r ? r.ref : "",
    "rank" in r ? r.rank : 0,
    "subject" in r ? r.subject : "",
    "artifactType" in r ? (r.artifactType ?? "") : "",
  ]);
}

/** One line of text for a reason, for reports and previews. */
export function describeReason(r: ProtectionReason): string {
  switch (r.kind) {
    case "selected":
      return `cluster ${r.cluster} selects ${r.tag}${r.suspended ? " (suspended: it resumes on this)" : ""}`;
    case "pin":
      return `cluster ${r.cluster} is pinned to ${r.ref} until ${r.expires}: ${r.reason}`;
    case "floating":
      return `floating tag ${r.tag}`;
    case "highest-stable":
      return `highest stable ${r.tag} (live's version and the base of the next version)`;
    case "pending-rc":
      return `release candidate ${r.tag}, not promoted yet`;
    case "rollback":
      return `rollback target ${r.tag} (stable ${r.rank} of keepStable)`;
    case "signature": {
      const what = r.tag.endsWith(".sig")
        ? "cosign signature"
        : r.tag.endsWith(".att")
          ? "cosign attestation"
          : r.tag.endsWith(".sbom")
            ? "cosign SBOM"
            : "OCI 1.1 referrers index (tag schema)";
      return `${what} ${r.tag} of kept ${r.subject} (deleting it strips the kept digest's signature)`;
    }
    case "referrer":
      return `OCI 1.1 referrer${r.artifactType ? ` (${r.artifactType})` : ""} of kept ${r.subject} (deleting it strips the kept digest's signature)`;
    default: {
      const never: never = r;
      throw new Error(`unknown reason ${JSON.stringify(never)}`);
    }
  }
}

/** Computes the allowlist. Deterministic: the result does not depend on the order of any input. */
export function computeAllowlist(input: AllowlistInput): Allowlist {
  const tags = input.tags;
  const allTags = [...tags.keys()].sort(cmpStr);
  const byDigest = new Map<string, string[]>();
  for (const t of allTags) {
    const d = tags.get(t) as string;
    const list = byDigest.get(d);
    if (list) list.push(t);
    else byDigest.set(d, [t]);
  }
  const reasons = new Map<string, Map<string, ProtectionReason>>();
  const protect = (digest: string, r: ProtectionReason): void => {
    let m = reasons.get(digest);
    if (!m) reasons.set(digest, (m = new Map<string, ProtectionReason>()));
    m.set(reasonKey(r), r);
  };
  const hazards: Hazard[] = [];
  const clusters = [...input.clusters].sort((a, b) => cmpStr(a.name, b.name));

  // What each cluster's constraint selects now; a pinned cluster returns to it when the pin is lifted.
  for (const c of clusters) {
    if (c.role === "dev") continue;
    const tag = selectTag(allTags, c.semver, c.semverFilter);
    if (tag === undefined) {
      hazards.push({
        kind: "selects-nothing",
        severity: "warning",
        message: `cluster ${c.name}: semver ${clip(c.semver)}${c.semverFilter ? ` with semverFilter ${clip(c.semverFilter)}` : ""} selects no tag of the ${allTags.length} in the registry; Flux keeps the artifact it last fetched, which nothing here can protect.`,
      });
    } else {
      protect(tags.get(tag) as string, {
        kind: "selected",
        cluster: c.name,
        tag,
        suspended: c.suspended,
      });
    }
    const pin = c.pin;
    if (pin?.digest) {
      protect(pin.digest, {
        kind: "pin",
        cluster: c.name,
        ref: pin.digest,
        reason: pin.reason,
        expires: pin.expires,
      });
      if (!byDigest.has(pin.digest)) {
        hazards.push({
          kind: "pin-digest-untagged",
          severity: "warning",
          message: `cluster ${c.name} is pinned to digest ${pin.digest}, which no tag points at: a cleaner that reads only tags (the type/name==version list) cannot see it; only a digest-aware cleaner (the GHCR inputs' skip-shas) keeps it.`,
        });
      }
    } else if (pin?.tag) {
      const d = tags.get(pin.tag);
      if (d === undefined) {
        hazards.push({
          kind: "pin-tag-missing",
          severity: "error",
          message: `cluster ${c.name} is pinned to tag ${pin.tag}, which does not exist in the registry: Flux cannot fetch it and the cluster stays on whatever it last applied. Pin an existing tag or a digest.`,
        });
      } else {
        protect(d, {
          kind: "pin",
          cluster: c.name,
          ref: pin.tag,
          reason: pin.reason,
          expires: pin.expires,
        });
      }
    }
  }

  for (const t of [...new Set(input.floatingTags)].sort(cmpStr)) {
    const d = tags.get(t);
    if (d === undefined) {
      hazards.push({
        kind: "floating-tag-missing",
        severity: "warning",
        message: `floating tag ${t} (pipeline.floatingTags) is not in the registry; nothing to protect until it is pushed.`,
      });
    } else {
      protect(d, { kind: "floating", tag: t });
    }
  }

  const stable = stableTags(allTags);
  const highestStable = stable[0];
  if (highestStable !== undefined)
    protect(tags.get(highestStable) as string, { kind: "highest-stable", tag: highestStable });
  stable
    .slice(0, input.keepStable)
    .forEach((t, i) => protect(tags.get(t) as string, { kind: "rollback", tag: t, rank: i + 1 }));

  const pendingVersion = pendingVersionOf(highestStable, input.startVersion);
  const promoted = new Set(stable.map((t) => tags.get(t)));
  const pendingRcs = allTags.filter(
    (t) => RC.exec(t)?.[1] === pendingVersion && !promoted.has(tags.get(t)),
  );
  for (const t of pendingRcs) protect(tags.get(t) as string, { kind: "pending-rc", tag: t });

  // Signature artifacts of every protected digest, and theirs (a signed attestation), to a fixed point.
  const referrers = input.referrers ?? new Map<string, readonly Descriptor[]>();
  const queue = [...reasons.keys()].sort(cmpStr);
  const examined = new Set<string>();
  while (queue.length > 0) {
    const subject = queue.shift() as string;
    if (examined.has(subject)) continue;
    examined.add(subject);
    const found: [string, ProtectionReason][] = [];
    for (const tag of signatureTagsOf(subject)) {
      const d = tags.get(tag);
      if (d !== undefined) found.push([d, { kind: "signature", subject, tag }]);
    }
    for (const r of referrers.get(subject) ?? []) {
      found.push([
        r.digest,
        {
          kind: "referrer",
          subject,
          ...(r.artifactType !== undefined ? { artifactType: r.artifactType } : {}),
        },
      ]);
    }
    for (const [d, r] of found) {
      protect(d, r);
      if (!examined.has(d)) queue.push(d);
    }
  }

  // A stray pre-release ranked above the pending RCs (`9.9.9-test`) is what integration takes instead.
  for (const c of clusters) {
    if (c.role !== "integration") continue;
    const sel = selectTag(allTags, c.semver, c.semverFilter);
    if (sel === undefined || sel === highestStable || pendingRcs.includes(sel)) continue;
    const expected = [...pendingRcs].sort(byVersionDesc)[0] ?? highestStable;
    if (parseFluxTag(sel)?.prerelease.length) {
      hazards.push({
        kind: "stray-prerelease",
        severity: "error",
        message: `cluster ${c.name}: ${clip(c.semver)} selects ${sel}, not ${expected ? `the pending candidate ${expected}` : `a ${pendingVersion}-rc.N candidate`}; every new RC (${pendingVersion}-rc.N) ranks below it, so integration never validates another build. Delete the tag ${sel} (or narrow the cluster's semverFilter).`,
      });
    }
  }

  for (const rule of input.retention ?? []) {
    for (const tag of deletedBy(rule, allTags)) {
      const d = tags.get(tag) as string;
      const why = reasons.get(d);
      if (!why) continue;
      const kept = (byDigest.get(d) ?? []).filter((t) => t !== tag);
      hazards.push({
        kind: "retention-deletes-protected",
        severity: "error",
        message: `retention rule ${rule.name} would delete tag ${tag}, and with it digest ${d}${kept.length ? ` (also tagged ${kept.join(", ")})` : ""}, which is protected: ${[
          ...why.values(),
        ]
          .sort((a, b) => cmpStr(reasonKey(a), reasonKey(b)))
          .map(describeReason)
          .join("; ")}. Exclude every tag of the allowlist from the rule.`,
      });
    }
  }

  const digests: ProtectedDigest[] = [...reasons.keys()].sort(cmpStr).map((digest) => ({
    digest,
    tags: byDigest.get(digest) ?? [],
    reasons: [...(reasons.get(digest) as Map<string, ProtectionReason>).entries()]
      .sort((a, b) => cmpStr(a[0], b[0]))
      .map(([, r]) => r),
  }));
  hazards.sort((a, b) => cmpStr(a.kind, b.kind) || cmpStr(a.message, b.message));
  return {
    digests,
    ...(highestStable !== undefined ? { highestStable } : {}),
    pendingVersion,
    hazards: dedupe(hazards),
  };
}

function dedupe(hs: Hazard[]): Hazard[] {
  return hs.filter((h, i) => i === 0 || h.message !== hs[i - 1]?.message);
}

/**
 * Tags a rule would delete. The registry API has no push time, so "newest" for keep-latest is version
 * precedence (the order the build creates versions in), then non-version tags, lexically.
 */
export function deletedBy(rule: RetentionRule, tags: readonly string[]): string[] {
  switch (rule.kind) {
    case "delete-matching": {
      const re = new RegExp(rule.pattern);
      return tags.filter((t) => re.test(t));
    }
    case "keep-latest": {
      const re = rule.pattern === undefined ? undefined : new RegExp(rule.pattern);
      const candidates = tags.filter((t) => !re || re.test(t));
      const versions = candidates.filter((t) => parseFluxTag(t) !== undefined).sort(byVersionDesc);
      const others = candidates
        .filter((t) => parseFluxTag(t) === undefined)
        .sort((a, b) => cmpStr(b, a));
      return [...versions, ...others].slice(rule.count).sort(cmpStr);
    }
    default: {
      const never: never = rule;
      throw new Error(`unknown retention rule ${JSON.stringify(never)}`);
    }
  }
}

/** Every protected tag, sorted. */
export function protectedTags(a: Allowlist): string[] {
  return [...new Set(a.digests.flatMap((d) => d.tags))].sort(cmpStr);
}

/** Where the lines and the exclude list say they came from. */
const SOURCE =
  "promotion-pipeline:pipeline (clusters, pins, floatingTags, keepStable) and the registry's tags";

/**
 * The `type/name==version` file a self-hosted cleaner reads: one line per protected tag, and one per
 * pinned digest no tag points at. Sorted, deduplicated, with the generated header.
 */
export function formatLines(a: Allowlist, typeName: string): string {
  const lines = new Set<string>();
  for (const d of a.digests) {
    if (d.tags.length === 0) lines.add(`${typeName}==${d.digest}`);
    for (const t of d.tags) lines.add(`${typeName}==${t}`);
  }
  const body = [...lines].sort(cmpStr);
  return (
    generatedHeader(SOURCE, [
      `Registry pin allowlist: ${a.digests.length} protected digests, ${body.length} entries.`,
    ]) + body.map((l) => `${l}\n`).join("")
  );
}

/**
 * The two inputs of snok/container-retention-policy v3 (GHCR): `image-tags`, a `!tag` negation per
 * protected tag (a negative match on ANY tag of a version keeps the version), and `skip-shas`, every
 * protected digest (GHCR's package version name), which also keeps untagged pinned digests. Both are
 * space/comma-separated lists, as the action's argument parser splits them.
 */
export function ghcrInputs(a: Allowlist): {
  readonly "image-tags": string;
  readonly "skip-shas": string;
} {
  return {
    "image-tags": protectedTags(a)
      .map((t) => `!${t}`)
      .join(" "),
    "skip-shas": a.digests.map((d) => d.digest).join(","),
  };
}

/**
 * Inputs for snok/container-retention-policy v3 (GHCR) as YAML with the generated header, to paste into
 * the step's `with:` (see ghcrInputs).
 */
export function formatGhcr(a: Allowlist): string {
  const i = ghcrInputs(a);
  return (
    generatedHeader(SOURCE, [
      "Inputs for snok/container-retention-policy v3: image-tags excludes, skip-shas digests.",
    ]) +
    `image-tags: ${JSON.stringify(i["image-tags"])}\n` +
    `skip-shas: ${JSON.stringify(i["skip-shas"])}\n`
  );
}

/**
 * The same inputs as `$GITHUB_OUTPUT` lines (`image-tags=...`, `skip-shas=...`), for the generated GHCR
 * retention workflow. Tags and digests never contain a newline, so the one-line form is exact.
 */
export function formatGhcrOutput(a: Allowlist): string {
  const i = ghcrInputs(a);
  return `image-tags=${i["image-tags"]}\nskip-shas=${i["skip-shas"]}\n`;
}

/** A readable report with every reason, for the CLI and previews. */
export function formatReport(a: Allowlist): string {
  const out: string[] = [
    `highest stable: ${a.highestStable ?? "(none)"}; pending version: ${a.pendingVersion}`,
  ];
  for (const d of a.digests) {
    out.push(`${d.digest} ${d.tags.length ? d.tags.join(" ") : "(untagged)"}`);
    for (const r of d.reasons) out.push(`  - ${describeReason(r)}`);
  }
  return out.join("\n") + "\n";
}
