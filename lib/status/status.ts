/**
 * `promotion status`, pure: per cluster of the pipeline, what it selects from the registry now (the exact
 * Flux model, lib/flux/select.ts), its pin, and, when a cluster was read, what it actually runs; per
 * pipeline, the newest release candidate, the newest stable version and how long the newest RC has waited
 * for promotion. Everything comes from facts handed in (registry tags, a manifest's build time, cluster
 * objects); nothing here does I/O, so the same input always gives the same report.
 */
import { parseDay } from "../config";
import { isSelectionInputError, selectTag } from "../flux/select";
import { compareParsed, parseFluxVersion, type ParsedVersion } from "../flux/semver";
import type { PinCluster } from "../pins/allowlist";
import { splitRevision } from "../promotion/promote";
import type { PromotionRecordFact } from "../promotion/record";
import { clip } from "../clip";

/** Our own RC tags, as the build writes them: `X.Y.Z-rc.N`. */
export const RC_TAG = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)-rc\.(0|[1-9]\d*)$/;
/** Our own stable tags, as the promote workflow writes them: `X.Y.Z`. */
export const STABLE_TAG = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

const DAY_MS = 86_400_000;

/**
 * Signature verification as the cluster's OCIRepository reports it: what `spec.verify` checks, and
 * source-controller's `SourceVerified` condition (v1.9.3, internal/controller/ocirepository_controller.go):
 * True with reason `Succeeded` and "verified signature of revision <rev>" after a verified fetch; False with
 * reason `VerificationError` and "failed to verify the signature using provider 'cosign[ keyless]': ..." when a
 * signature is missing or made by another identity or key (the source then keeps serving its last artifact);
 * absent while nothing was verified yet, and deleted when `spec.verify` is unset.
 */
export interface VerificationObservation {
  /** What `spec.verify` checks: nothing, cosign keyless identities, cosign keys from a Secret, or another provider. */
  readonly mode: "none" | "keyless" | "key" | "other";
  /** keyless: `matchOIDCIdentity` (issuer and subject regular expressions). */
  readonly identities?: readonly { readonly issuer: string; readonly subject: string }[];
  /** key: the Secret with the `*.pub` keys, `<namespace>/<name>`. */
  readonly secret?: string;
  /** `spec.verify.provider` when it is not cosign. */
  readonly provider?: string;
  /** verified (SourceVerified True), refused (False), pending (verify set, no condition yet), off (no verify). */
  readonly state: "verified" | "refused" | "pending" | "off";
  readonly reason?: string;
  readonly message?: string;
  /** The revision a True condition names ("verified signature of revision <rev>"). */
  readonly revision?: string;
}

/** What a cluster was seen running (read with --kubeconfig/--context). */
export interface ClusterObservation {
  /** The OCIRepository's `status.artifact.revision` (`<tag>@sha256:<hex>`). */
  readonly sourceRevision?: string;
  /** The OCIRepository's signature verification. */
  readonly verification?: VerificationObservation;
  /** The gate Kustomization. */
  readonly gate?: GateObservation;
  /** Why the cluster could not be read; the rest is then absent. */
  readonly error?: string;
}

export interface GateObservation {
  /** `status` of the Ready condition: True, False or Unknown (no condition yet). */
  readonly ready: "True" | "False" | "Unknown";
  readonly reason?: string;
  readonly message?: string;
  readonly lastAppliedRevision?: string;
  readonly lastAttemptedRevision?: string;
}

export interface StatusInput {
  readonly registry: string;
  readonly repository: string;
  /** Integration and live clusters with their pins (dev clusters follow Git and are not listed). */
  readonly clusters: readonly PinCluster[];
  /** Every tag of the artifact repository and its digest now. */
  readonly tags: ReadonlyMap<string, string>;
  /** Build times read from manifests, by digest (at least the newest RC's, when it could be read). */
  readonly created: ReadonlyMap<string, Date>;
  readonly now: Date;
  /** Clusters that were read, by name. */
  readonly observed?: ReadonlyMap<string, ClusterObservation>;
  /** Promotion records read from GitHub (newest first), when a token was given. */
  readonly records?: readonly PromotionRecordFact[];
  /** Why the records could not be read. */
  readonly recordsError?: string;
}

export interface TagRef {
  readonly tag: string;
  readonly digest: string;
}

export interface PinStatus {
  readonly kind: "tag" | "digest";
  /** The pinned tag or digest. */
  readonly ref: string;
  readonly reason: string;
  /** `YYYY-MM-DD`, the last day the pin holds. */
  readonly expires: string;
  /** Whole days left until the pin expires (the end of its expiry day, UTC); negative once past. */
  readonly daysLeft: number;
  /** Hours left, for thresholds finer than a day. */
  readonly hoursLeft: number;
  /** The digest the pin resolves to now; absent when a pinned tag does not exist. */
  readonly digest?: string;
}

export interface RunsStatus {
  readonly sourceRevision?: string;
  readonly sourceDigest?: string;
  readonly gateReady?: GateObservation["ready"];
  readonly gateReason?: string;
  readonly gateMessage?: string;
  readonly lastAppliedRevision?: string;
  readonly lastAttemptedRevision?: string;
  readonly verification?: VerificationObservation;
  readonly error?: string;
}

export interface ClusterStatus {
  readonly name: string;
  readonly role: PinCluster["role"];
  readonly constraint: string;
  readonly semverFilter?: string;
  readonly suspended: boolean;
  /** What the constraint selects now (the cluster returns to it when a pin is lifted). */
  readonly semverSelects?: TagRef;
  /** Why the constraint selects nothing (no admitted tag, or an invalid constraint/filter). */
  readonly selectProblem?: string;
  readonly pin?: PinStatus;
  /** What the cluster's source selects now: the pin when there is one, else the constraint's choice. */
  readonly selects?: { readonly tag?: string; readonly digest: string; readonly pinned: boolean };
  /** What the cluster runs, when it was read. */
  readonly runs?: RunsStatus;
  /** Set when the cluster was read and does not run what it selects (or its gate is not applied/ready). */
  readonly mismatch?: string;
}

export interface NewestRc extends TagRef {
  /** Build time from the manifest's `org.opencontainers.image.created`, ISO; absent when unknown. */
  readonly created?: string;
  /** The stable tag on the same digest, when it was promoted. */
  readonly promotedAs?: string;
  /** Hours since it was built, while it waits (not promoted, and newer than the newest stable). */
  readonly waitingHours?: number;
  /** True when it waits for promotion: not promoted and its version is above the newest stable. */
  readonly waiting: boolean;
}

export interface PipelineStatus {
  readonly registry: string;
  readonly repository: string;
  readonly now: string;
  readonly tagCount: number;
  readonly newestRc?: NewestRc;
  readonly newestStable?: TagRef;
  readonly clusters: readonly ClusterStatus[];
  /** The latest promotions recorded on GitHub (at most 5, newest first), when read. */
  readonly promotions?: readonly PromotionRecordFact[];
  readonly promotionsError?: string;
}

interface Ranked {
  readonly tag: string;
  readonly v: ParsedVersion;
}

function highest(tags: Iterable<string>, pattern: RegExp): Ranked | undefined {
  let best: Ranked | undefined;
  for (const t of tags) {
    if (!pattern.test(t)) continue;
    const v = parseFluxVersion(t);
    if (v && (!best || compareParsed(v, best.v) > 0)) best = { tag: t, v };
  }
  return best;
}

/** The newest `X.Y.Z-rc.N` tag of the listing (by Flux's ordering). */
export function newestRcTag(tags: Iterable<string>): string | undefined {
  return highest(tags, RC_TAG)?.tag;
}

/** The newest stable `X.Y.Z` tag of the listing. */
export function newestStableTag(tags: Iterable<string>): string | undefined {
  return highest(tags, STABLE_TAG)?.tag;
}

/** Stable tags on `digest`, sorted. */
export function stableTagsOn(tags: ReadonlyMap<string, string>, digest: string): string[] {
  return [...tags]
    .filter(([t, d]) => d === digest && STABLE_TAG.test(t))
    .map(([t]) => t)
    .sort();
}

/** Time left on a pin: it holds through its expiry day (UTC), as config validation treats it. */
export function pinTimeLeft(expires: string, now: Date): { daysLeft: number; hoursLeft: number } {
  const day = parseDay(expires);
  if (!day) return { daysLeft: -1, hoursLeft: -1 };
  const ms = day.getTime() + DAY_MS - now.getTime();
  return { daysLeft: Math.floor(ms / DAY_MS), hoursLeft: Math.floor(ms / 3_600_000) };
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

function runsOf(o: ClusterObservation): RunsStatus {
  if (o.error !== undefined) return { error: o.error };
  const rev = o.sourceRevision !== undefined ? splitRevision(o.sourceRevision) : undefined;
  return {
    ...(o.sourceRevision !== undefined ? { sourceRevision: o.sourceRevision } : {}),
    ...(rev ? { sourceDigest: rev.digest } : {}),
    ...(o.verification ? { verification: o.verification } : {}),
    ...(o.gate
      ? {
          gateReady: o.gate.ready,
          ...(o.gate.reason !== undefined ? { gateReason: o.gate.reason } : {}),
          ...(o.gate.message !== undefined ? { gateMessage: o.gate.message } : {}),
          ...(o.gate.lastAppliedRevision !== undefined
            ? { lastAppliedRevision: o.gate.lastAppliedRevision }
            : {}),
          ...(o.gate.lastAttemptedRevision !== undefined
            ? { lastAttemptedRevision: o.gate.lastAttemptedRevision }
            : {}),
        }
      : {}),
  };
}

/** "selects" vs "runs": undefined when they agree (or the cluster was not read). */
function mismatchOf(
  selects: ClusterStatus["selects"],
  runs: RunsStatus | undefined,
): string | undefined {
  if (!runs) return undefined;
  if (runs.error !== undefined) return `cluster not read: ${runs.error}`;
  const problems: string[] = [];
  if (runs.sourceRevision === undefined) problems.push("the source has no artifact yet");
  else if (!runs.sourceDigest)
    problems.push(`the source revision ${runs.sourceRevision} is not <tag>@sha256:<digest>`);
  else if (selects && runs.sourceDigest !== selects.digest)
    problems.push(
      `selects ${selects.tag ?? selects.digest} (${selects.digest}) but the source has ${runs.sourceRevision}`,
    );
  else if (!selects) problems.push(`selects nothing but the source has ${runs.sourceRevision}`);
  // The controller's message follows in the verification note (formatStatus) and in runs.verification.
  if (runs.verification?.state === "refused")
    problems.push(
      `its source refused a signature (${runs.verification.reason ?? "SourceVerified=False"})`,
    );
  if (runs.gateReady === undefined) problems.push("the gate Kustomization was not found");
  else {
    if (runs.sourceRevision !== undefined && runs.lastAppliedRevision !== runs.sourceRevision)
      problems.push(
        `the gate last applied ${runs.lastAppliedRevision ?? "nothing"}, not the source's ${runs.sourceRevision}`,
      );
    if (runs.gateReady !== "True")
      problems.push(
        `the gate is not Ready (${runs.gateReady}${runs.gateReason ? `, ${runs.gateReason}` : ""}${runs.gateMessage ? `: ${runs.gateMessage}` : ""})`,
      );
  }
  return problems.length > 0 ? problems.join("; ") : undefined;
}

function clusterStatus(
  c: PinCluster,
  input: StatusInput,
  tagList: readonly string[],
): ClusterStatus {
  let semverSelects: TagRef | undefined;
  let selectProblem: string | undefined;
  try {
    const tag = selectTag(tagList, c.semver, c.semverFilter);
    if (tag !== undefined) semverSelects = { tag, digest: input.tags.get(tag)! };
    else
      selectProblem = `no tag matches ${clip(c.semver)}${c.semverFilter ? ` with semverFilter ${clip(c.semverFilter)}` : ""} (Flux: "no match found for semver")`;
  } catch (e) {
    if (!isSelectionInputError(e)) throw e;
    selectProblem = e.message;
  }
  let pin: PinStatus | undefined;
  if (c.pin) {
    const kind = c.pin.digest !== undefined ? "digest" : "tag";
    const ref = (c.pin.digest ?? c.pin.tag)!;
    const digest = kind === "digest" ? ref : input.tags.get(ref);
    pin = {
      kind,
      ref,
      reason: c.pin.reason,
      expires: c.pin.expires,
      ...pinTimeLeft(c.pin.expires, input.now),
      ...(digest !== undefined ? { digest } : {}),
    };
  }
  let selects: ClusterStatus["selects"];
  if (pin) {
    if (pin.digest !== undefined)
      selects = {
        ...(pin.kind === "tag" ? { tag: pin.ref } : {}),
        digest: pin.digest,
        pinned: true,
      };
  } else if (semverSelects) selects = { ...semverSelects, pinned: false };
  const o = input.observed?.get(c.name);
  const runs = o ? runsOf(o) : undefined;
  const mismatch = mismatchOf(selects, runs);
  return {
    name: c.name,
    role: c.role,
    constraint: c.semver,
    ...(c.semverFilter !== undefined ? { semverFilter: c.semverFilter } : {}),
    suspended: c.suspended,
    ...(semverSelects ? { semverSelects } : {}),
    ...(selectProblem !== undefined ? { selectProblem } : {}),
    ...(pin ? { pin } : {}),
    ...(selects ? { selects } : {}),
    ...(runs ? { runs } : {}),
    ...(mismatch !== undefined ? { mismatch } : {}),
  };
}

/** The report. Deterministic: clusters by name, tags in sorted order. */
export function computeStatus(input: StatusInput): PipelineStatus {
  const tagList = [...input.tags.keys()].sort();
  const rcTag = newestRcTag(tagList);
  const stable = highest(tagList, STABLE_TAG);
  let newestRc: NewestRc | undefined;
  if (rcTag !== undefined) {
    const digest = input.tags.get(rcTag)!;
    const promotedAs = stableTagsOn(input.tags, digest)[0];
    const rcV = parseFluxVersion(rcTag)!;
    const waiting = promotedAs === undefined && (!stable || compareParsed(rcV, stable.v) > 0);
    const created = input.created.get(digest);
    newestRc = {
      tag: rcTag,
      digest,
      ...(created ? { created: created.toISOString() } : {}),
      ...(promotedAs !== undefined ? { promotedAs } : {}),
      waiting,
      ...(waiting && created
        ? { waitingHours: round1((input.now.getTime() - created.getTime()) / 3_600_000) }
        : {}),
    };
  }
  const clusters = [...input.clusters]
    .filter((c) => c.role !== "dev")
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((c) => clusterStatus(c, input, tagList));
  return {
    registry: input.registry,
    repository: input.repository,
    now: input.now.toISOString(),
    tagCount: input.tags.size,
    ...(newestRc ? { newestRc } : {}),
    ...(stable ? { newestStable: { tag: stable.tag, digest: input.tags.get(stable.tag)! } } : {}),
    clusters,
    ...(input.records ? { promotions: input.records.slice(0, 5) } : {}),
    ...(input.recordsError !== undefined ? { promotionsError: input.recordsError } : {}),
  };
}

/** `sha256:0123456789ab` (12 hex): enough to tell digests apart in a table. */
export function shortDigest(d: string): string {
  const m = /^(sha256:[0-9a-f]{12})[0-9a-f]*$/.exec(d);
  return m ? m[1]! : d;
}

/** `3d 4h`, `5h 12m`, `40m`. */
export function formatHours(h: number): string {
  const mins = Math.round(h * 60);
  if (mins < 60) return `${mins}m`;
  const hours = Math.floor(mins / 60);
  if (hours < 48) return `${hours}h ${mins % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function pinCell(p: PinStatus | undefined): string {
  if (!p) return "-";
  const left = p.daysLeft < 0 ? "EXPIRED" : `${p.daysLeft}d left`;
  return `${p.kind === "digest" ? shortDigest(p.ref) : p.ref} until ${p.expires} (${left})`;
}

/** Who a verification trusts: the keyless identities, or the key Secret. */
export function verifierText(v: VerificationObservation): string {
  switch (v.mode) {
    case "keyless":
      return (v.identities ?? [])
        .map((i) => `identity ${i.subject} (issuer ${i.issuer})`)
        .join(" or ");
    case "key":
      return `the keys in Secret ${v.secret ?? "?"}`;
    case "other":
      return `provider ${v.provider ?? "?"}`;
    case "none":
      return "nothing (no spec.verify)";
    default: {
      const never: never = v.mode;
      throw new Error(`unknown verification mode ${String(never)}`);
    }
  }
}

/** One line on a cluster's verification: verified by whom, refused and why, or not verified. */
export function verificationText(v: VerificationObservation): string {
  switch (v.state) {
    case "verified":
      return `signature verified${v.revision !== undefined ? ` for ${v.revision}` : ""} by ${verifierText(v)}`;
    case "refused":
      return `signature REFUSED (${v.reason ?? "SourceVerified=False"}: ${v.message ?? "no message"}); it verifies ${verifierText(v)} and keeps serving its last verified artifact`;
    case "pending":
      return `signature not verified yet (no SourceVerified condition); it verifies ${verifierText(v)}`;
    case "off":
      return "verifies no signature (no spec.verify): any tag its constraint admits is applied, whoever pushed it (promotion-pipeline:pipeline.signing)";
    default: {
      const never: never = v.state;
      throw new Error(`unknown verification state ${String(never)}`);
    }
  }
}

const VERIFY_CELL: Readonly<Record<VerificationObservation["state"], string>> = {
  verified: ", verified",
  refused: ", signature REFUSED",
  pending: ", not verified yet",
  off: "",
};

function runsCell(c: ClusterStatus): string {
  const r = c.runs;
  if (!r) return "(not read)";
  if (r.error !== undefined) return "(unreadable)";
  const rev = r.sourceRevision ? splitRevision(r.sourceRevision) : undefined;
  const src = rev ? rev.tag : (r.sourceRevision ?? "nothing");
  const verified = r.verification ? VERIFY_CELL[r.verification.state] : "";
  return `${src}${verified}, gate Ready=${r.gateReady ?? "?"}${c.mismatch !== undefined ? "  MISMATCH" : ""}`;
}

/** The human table. */
export function formatStatus(s: PipelineStatus): string {
  const lines: string[] = [];
  lines.push(`pipeline ${s.registry}/${s.repository} (${s.tagCount} tags), at ${s.now}`);
  const rc = s.newestRc;
  if (rc) {
    const built = rc.created ? `built ${rc.created}` : "build time unknown";
    const state =
      rc.promotedAs !== undefined
        ? `promoted as ${rc.promotedAs}`
        : rc.waiting
          ? `waiting for promotion${rc.waitingHours !== undefined ? ` for ${formatHours(rc.waitingHours)}` : ""}`
          : "not promoted; older than the newest stable";
    lines.push(`newest RC      ${rc.tag}  ${shortDigest(rc.digest)}  ${built}  ${state}`);
  } else lines.push("newest RC      none");
  lines.push(
    s.newestStable
      ? `newest stable  ${s.newestStable.tag}  ${shortDigest(s.newestStable.digest)}`
      : "newest stable  none",
  );
  lines.push("");
  const rows: string[][] = [["CLUSTER", "ROLE", "CONSTRAINT", "SELECTS", "DIGEST", "PIN", "RUNS"]];
  for (const c of s.clusters) {
    const sel = c.selects
      ? `${c.selects.tag ?? "(digest)"}${c.selects.pinned ? " (pinned)" : ""}`
      : "nothing";
    rows.push([
      `${c.name}${c.suspended ? " (suspended)" : ""}`,
      c.role,
      `${c.constraint}${c.semverFilter ? ` /${c.semverFilter}/` : ""}`,
      sel,
      c.selects ? shortDigest(c.selects.digest) : "-",
      pinCell(c.pin),
      runsCell(c),
    ]);
  }
  lines.push(table(rows));
  if (s.promotions || s.promotionsError !== undefined) {
    lines.push("", "promotions (GitHub Deployments to live, newest first):");
    if (s.promotionsError !== undefined) lines.push(`  cannot read them: ${s.promotionsError}`);
    else if (s.promotions!.length === 0) lines.push("  none recorded");
    for (const p of s.promotions ?? [])
      lines.push(
        `  ${p.version}${p.rollbackOf ? ` (rollback to ${p.rollbackOf})` : p.rc ? ` from ${p.rc}` : ""}  ${shortDigest(p.digest)}  ${p.promotedAt ?? "?"}${p.actor ? `  by ${p.actor}` : ""}${p.runUrl ? `  ${p.runUrl}` : ""}`,
      );
  }
  const notes: string[] = [];
  for (const c of s.clusters) {
    if (c.pin) {
      notes.push(
        `${c.name}: pinned to ${c.pin.ref}: ${c.pin.reason}${c.semverSelects ? `; without the pin it would select ${c.semverSelects.tag}` : ""}`,
      );
      if (c.pin.digest === undefined)
        notes.push(`${c.name}: the pinned tag ${c.pin.ref} does not exist in the registry`);
    }
    if (c.selectProblem !== undefined) notes.push(`${c.name}: ${c.selectProblem}`);
    if (c.runs?.error !== undefined) notes.push(`${c.name}: cluster not read: ${c.runs.error}`);
    else if (c.mismatch !== undefined) notes.push(`${c.name}: MISMATCH: ${c.mismatch}`);
    const v = c.runs?.verification;
    // Unverified integration is worth a line only when it was asked about; an unverified live always is.
    if (v && (v.state !== "off" || c.role === "live"))
      notes.push(`${c.name}: ${verificationText(v)}`);
  }
  if (notes.length > 0) lines.push("", ...notes);
  return lines.join("\n") + "\n";
}
