/**
 * `promotion trace <commit>`, pure: the journey of one commit through the pipeline, from the facts the
 * registry (and, when read, the clusters and the promotion records) hold:
 *
 *   built       sha-<7> exists: its digest, RC tag(s), build time (org.opencontainers.image.created)
 *   integration integration took it: it is validated, or integration selects it now (and, when the cluster
 *               was read, applied it)
 *   validated   validated-<7> on the digest (integration's gate passed and the promote workflow ran)
 *   stable      a stable X.Y.Z on the digest
 *   live        live selects it now (or did: a newer stable has replaced it since)
 *
 * and the first stage the commit did NOT reach, with the likely reason. The verdict maps to an exit code a
 * script can use (EXIT_CODES).
 */
import { selectionOf } from "../flux/select";
import { compareParsed, parseFluxVersion } from "../flux/semver";
import type { PinCluster } from "../pins/allowlist";
import { splitRevision } from "../promotion/promote";
import type { PromotionRecordFact } from "../promotion/record";
import {
  formatHours,
  RC_TAG,
  shortDigest,
  stableTagsOn,
  verifierText,
  type ClusterObservation,
  type VerificationObservation,
} from "./status";
import { clip } from "../clip";

export type StageName = "built" | "integration" | "validated" | "stable" | "live";
export const STAGES: readonly StageName[] = ["built", "integration", "validated", "stable", "live"];

export interface Stage {
  readonly name: StageName;
  readonly reached: boolean;
  /** What shows it (or why not). */
  readonly detail: string;
  /** ISO time, where known. */
  readonly at?: string;
}

/**
 * The verdict: `live` (it runs, or ran, on live), `in-progress` (nothing is wrong yet: waiting for the
 * gate, or for live to pick up its stable version), `stopped` (it will not go further without a person:
 * failed the gate, superseded, stale, pinned, stalled), `unknown-commit` (no artifact was built from it).
 */
export type Verdict = "live" | "in-progress" | "stopped" | "unknown-commit";

/** Exit codes of `promotion trace`, one per verdict (1 and 2 keep their CLI-wide meaning). */
export const EXIT_CODES: Readonly<Record<Verdict, number>> = {
  live: 0,
  "in-progress": 3,
  stopped: 4,
  "unknown-commit": 5,
};

export interface TraceInput {
  /** The commit, 7 to 40 hex. */
  readonly commit: string;
  readonly tags: ReadonlyMap<string, string>;
  readonly created: ReadonlyMap<string, Date>;
  readonly clusters: readonly PinCluster[];
  readonly now: Date;
  /** Hours an RC may wait for its gate before "waiting" becomes "stalled". */
  readonly rcWaitHours: number;
  readonly observed?: ReadonlyMap<string, ClusterObservation>;
  readonly records?: readonly PromotionRecordFact[];
}

export interface Trace {
  readonly commit: string;
  readonly digest?: string;
  readonly rcTags: readonly string[];
  readonly stable?: string;
  readonly stages: readonly Stage[];
  /** The first stage not reached; absent when every stage was. */
  readonly stoppedAt?: StageName;
  readonly reason?: string;
  readonly verdict: Verdict;
  readonly record?: PromotionRecordFact;
}

const COMMIT = /^[0-9a-f]{7,40}$/;

/** Thrown for a malformed commit argument. */
export class TraceInputError extends Error {}

/** What a cluster's source selects now: the pin, else the constraint; digest and label. */
function selectsNow(
  c: PinCluster,
  tags: ReadonlyMap<string, string>,
  tagList: readonly string[],
): { digest?: string; label: string } {
  if (c.pin?.digest)
    return { digest: c.pin.digest, label: `digest ${shortDigest(c.pin.digest)} (pinned)` };
  if (c.pin?.tag) {
    const d = tags.get(c.pin.tag);
    return { ...(d ? { digest: d } : {}), label: `${c.pin.tag} (pinned)` };
  }
  const t = selectionOf(c, tagList);
  return t ? { digest: tags.get(t)!, label: t } : { label: "nothing" };
}

/**
 * The cluster's refusal of this digest's signature: SourceVerified=False whose message names the digest
 * (source-controller's "no matching signatures were found for '<repo>@sha256:...'"), or, when the message
 * names none, while the source does not run the digest it selects.
 */
function refusedFor(
  o: ClusterObservation | undefined,
  digest: string,
): VerificationObservation | undefined {
  const v = o?.verification;
  if (v?.state !== "refused") return undefined;
  if ((v.message ?? "").includes(digest)) return v;
  const names = /sha256:[0-9a-f]{64}/.test(v.message ?? "");
  const runs =
    o?.sourceRevision !== undefined ? splitRevision(o.sourceRevision)?.digest : undefined;
  return !names && runs !== digest ? v : undefined;
}

const refusalText = (v: VerificationObservation): string =>
  `${v.reason ?? "SourceVerified=False"}: ${v.message ?? "no message"}; it verifies ${verifierText(v)}`;

const pinText = (c: PinCluster): string =>
  c.pin
    ? `${c.name} is pinned to ${c.pin.tag ?? c.pin.digest} until ${c.pin.expires}: ${c.pin.reason}`
    : "";

export function traceCommit(input: TraceInput): Trace {
  const commit = input.commit.toLowerCase();
  if (!COMMIT.test(commit))
    throw new TraceInputError(`commit ${clip(input.commit)} is not a commit SHA (7 to 40 hex).`);
  const short = commit.slice(0, 7);
  const tags = input.tags;
  const tagList = [...tags.keys()].sort();
  const digest = tags.get(`sha-${short}`);
  const stages: Stage[] = [];
  const done = (
    stoppedAt: StageName | undefined,
    reason: string | undefined,
    verdict: Verdict,
    extra: Partial<Trace> = {},
  ): Trace => {
    const reached = new Set(stages.filter((s) => s.reached).map((s) => s.name));
    const all = STAGES.map(
      (n) => stages.find((s) => s.name === n) ?? { name: n, reached: reached.has(n), detail: "-" },
    );
    return {
      commit,
      rcTags: [],
      ...extra,
      stages: all,
      ...(stoppedAt ? { stoppedAt } : {}),
      ...(reason !== undefined ? { reason } : {}),
      verdict,
    };
  };

  if (digest === undefined) {
    stages.push({ name: "built", reached: false, detail: `no tag sha-${short} in the registry` });
    return done(
      "built",
      `no artifact was built from ${short}: builds run only for pushes to the build branch that change the build paths; the build may have failed, or a cleaner removed the artifact.`,
      "unknown-commit",
    );
  }
  const onDigest = tagList.filter((t) => tags.get(t) === digest);
  const rcTags = onDigest.filter((t) => RC_TAG.test(t));
  const stable = stableTagsOn(tags, digest)[0];
  const created = input.created.get(digest);
  const record = input.records?.find((r) => r.digest === digest);
  const base = {
    digest,
    rcTags,
    ...(stable !== undefined ? { stable } : {}),
    ...(record ? { record } : {}),
  };
  stages.push({
    name: "built",
    reached: true,
    detail: `${rcTags.join(", ") || "(no RC tag)"} ${digest}`,
    ...(created ? { at: created.toISOString() } : {}),
  });

  const integration = input.clusters.filter((c) => c.role === "integration");
  const live = input.clusters.filter((c) => c.role === "live");
  const validated = tags.get(`validated-${short}`) === digest;
  const rcTag = rcTags[rcTags.length - 1];
  const rcV = rcTag !== undefined ? parseFluxVersion(rcTag) : undefined;

  // integration
  const integSel = integration.map((c) => ({ c, sel: selectsNow(c, tags, tagList) }));
  const selectedBy = integSel.filter((x) => x.sel.digest === digest);
  const appliedBy = integration.filter((c) => {
    const rev = input.observed?.get(c.name)?.gate?.lastAppliedRevision;
    return rev !== undefined && splitRevision(rev)?.digest === digest;
  });
  if (validated || stable !== undefined) {
    stages.push({
      name: "integration",
      reached: true,
      detail: !validated
        ? "(promoted without validated-<7>)"
        : record
          ? record.validatedAt
            ? "validated by integration's gate (the Flux event's time)"
            : "validated; promoted by hand (no Flux event time in the record)"
          : "validated by integration's gate (time: with --github, from the promotion record)",
      ...(record?.validatedAt ? { at: record.validatedAt } : {}),
    });
  } else if (selectedBy.length === 0) {
    const newer = integSel.map((x) => `${x.c.name} selects ${x.sel.label}`).join("; ");
    const pinned = integration.filter((c) => c.pin);
    stages.push({ name: "integration", reached: false, detail: newer || "no integration cluster" });
    const reason =
      pinned.length > 0
        ? `${pinned.map(pinText).join("; ")}.`
        : `superseded: ${newer}, a newer candidate; integration takes only the newest RC, and ${rcTag ?? short} was not validated before it (its gate failed or the next RC arrived first).`;
    return done("integration", reason, "stopped", base);
  } else {
    const names = selectedBy.map((x) => x.c.name).join(", ");
    const gateFail = selectedBy
      .map((x) => ({ c: x.c, o: input.observed?.get(x.c.name) }))
      .find(
        (x) =>
          x.o?.gate?.ready === "False" &&
          [x.o.gate.lastAttemptedRevision, x.o.gate.lastAppliedRevision].some(
            (r) => r !== undefined && splitRevision(r)?.digest === digest,
          ),
      );
    stages.push({
      name: "integration",
      reached: true,
      detail: `${names} selects it${appliedBy.length > 0 ? `; ${appliedBy.map((c) => c.name).join(", ")} applied it` : ""}`,
    });
    stages.push({ name: "validated", reached: false, detail: `no validated-${short}` });
    const refusal = selectedBy
      .map((x) => ({ c: x.c, v: refusedFor(input.observed?.get(x.c.name), digest) }))
      .find((x) => x.v !== undefined);
    if (refusal) {
      return done(
        "validated",
        `${refusal.c.name} refused its signature (${refusalText(refusal.v!)}). The build workflow signs every RC it pushes with the build identity or key: a tag pushed by anyone else, or signed with another key, is never applied. Check the build run's signing step, or who pushed ${rcTag ?? `sha-${short}`}.`,
        "stopped",
        base,
      );
    }
    if (gateFail) {
      const g = gateFail.o!.gate!;
      return done(
        "validated",
        `failed the gate on ${gateFail.c.name}: Kustomization Ready=False${g.reason ? ` (${g.reason})` : ""}${g.message ? `: ${g.message}` : ""}. Fix it and merge: the fix becomes the next RC.`,
        "stopped",
        base,
      );
    }
    const waited = created ? (input.now.getTime() - created.getTime()) / 3_600_000 : undefined;
    if (waited !== undefined && waited > input.rcWaitHours) {
      return done(
        "validated",
        `stalled: waiting for integration's gate for ${formatHours(waited)} (more than ${input.rcWaitHours}h): the platform is likely unhealthy on ${names} or the dispatch did not arrive; read the cluster with --kubeconfig ${selectedBy[0]!.c.name}=<file>.`,
        "stopped",
        base,
      );
    }
    return done(
      "validated",
      `waiting for integration's gate${waited !== undefined ? ` (built ${formatHours(waited)} ago)` : ""}: ${names} selects it; the health event promotes it.`,
      "in-progress",
      base,
    );
  }

  // validated
  stages.push({
    name: "validated",
    reached: validated,
    detail: validated ? `validated-${short}` : `no validated-${short}`,
    ...(validated && record?.validatedAt ? { at: record.validatedAt } : {}),
  });
  if (stable === undefined) {
    const top = tagList
      .filter((t) => /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.test(t))
      .map((t) => ({ t, v: parseFluxVersion(t)! }))
      .sort((a, b) => compareParsed(b.v, a.v))[0];
    stages.push({ name: "stable", reached: false, detail: "no stable tag on the digest" });
    const stale = rcV && top && compareParsed(top.v, rcV) > 0;
    return done(
      "stable",
      stale
        ? `stale: ${top.t} is newer than ${rcTag}; the promote workflow never promotes a stale candidate.`
        : `validated but not tagged stable: the promote workflow refused or failed; see its run (gh run list --workflow tag-validated-artifact.yaml).`,
      "stopped",
      base,
    );
  }
  stages.push({
    name: "stable",
    reached: true,
    detail: `${stable}${record?.runUrl ? ` by ${record.runUrl}${record.actor ? ` (${record.actor})` : ""}` : ""}`,
    ...(record?.promotedAt ? { at: record.promotedAt } : {}),
  });

  // live
  const stableV = parseFluxVersion(stable)!;
  const liveSel = live.map((c) => ({ c, sel: selectsNow(c, tags, tagList) }));
  const onLive = liveSel.filter((x) => x.sel.digest === digest);
  const runsOn = live.filter((c) => {
    const rev = input.observed?.get(c.name)?.sourceRevision;
    return rev !== undefined && splitRevision(rev)?.digest === digest;
  });
  if (live.length > 0 && onLive.length === live.length) {
    const observedNot = live.filter((c) => {
      const o = input.observed?.get(c.name);
      return o?.sourceRevision !== undefined && !runsOn.includes(c);
    });
    const refused = observedNot
      .map((c) => ({ c, v: refusedFor(input.observed?.get(c.name), digest) }))
      .filter((x) => x.v !== undefined);
    if (refused.length > 0) {
      stages.push({
        name: "live",
        reached: false,
        detail: `selected; signature refused on ${refused.map((x) => x.c.name).join(", ")}`,
      });
      return done(
        "live",
        `${refused.map((x) => `${x.c.name} refused the signature of ${stable} (${refusalText(x.v!)}) and keeps running ${input.observed!.get(x.c.name)!.sourceRevision ?? "its last verified artifact"}`).join("; ")}. Live takes only digests the promote workflow signed after integration validated them: a stable tag pushed by hand, or signed with the build key, never reaches it. Remove that tag (the tag only: its manifest is shared with the RC's tags) and let the promote workflow tag the RC once integration validates it.`,
        "stopped",
        base,
      );
    }
    if (observedNot.length > 0) {
      stages.push({
        name: "live",
        reached: false,
        detail: `selected; not running yet on ${observedNot.map((c) => c.name).join(", ")}`,
      });
      return done(
        "live",
        `${observedNot.map((c) => `${c.name} runs ${input.observed!.get(c.name)!.sourceRevision}`).join("; ")}: it picks ${stable} up on its next reconcile.`,
        "in-progress",
        base,
      );
    }
    const verified = runsOn
      .map((c) => ({ c, v: input.observed?.get(c.name)?.verification }))
      .filter((x) => x.v?.state === "verified");
    stages.push({
      name: "live",
      reached: true,
      detail: `${onLive.map((x) => x.c.name).join(", ")} ${runsOn.length > 0 ? "runs" : "selects"} ${stable}${verified.map((x) => `; ${x.c.name}: signature verified by ${verifierText(x.v!)}`).join("")}`,
    });
    return done(undefined, undefined, "live", base);
  }
  const pinned = liveSel.filter((x) => x.c.pin && x.sel.digest !== digest);
  const newer = liveSel.filter((x) => {
    if (x.c.pin || x.sel.digest === undefined) return false;
    const t = tagList.find((tt) => tags.get(tt) === x.sel.digest && /^\d+\.\d+\.\d+$/.test(tt));
    const v = t ? parseFluxVersion(t) : undefined;
    return v !== undefined && compareParsed(v, stableV) > 0;
  });
  if (pinned.length === 0 && newer.length > 0 && newer.length + onLive.length === live.length) {
    stages.push({
      name: "live",
      reached: true,
      detail: `reached live; ${newer.map((x) => `${x.c.name} has moved on to ${x.sel.label}`).join(", ")}`,
    });
    return done(undefined, undefined, "live", base);
  }
  stages.push({
    name: "live",
    reached: false,
    detail:
      liveSel.map((x) => `${x.c.name} selects ${x.sel.label}`).join("; ") || "no live cluster",
  });
  return done(
    "live",
    pinned.length > 0
      ? `live pinned: ${pinned.map((x) => pinText(x.c)).join("; ")}.`
      : live.length === 0
        ? "the pipeline has no live cluster."
        : `live does not select ${stable}: ${liveSel.map((x) => `${x.c.name} selects ${x.sel.label}`).join("; ")} (check its constraint and semverFilter).`,
    "stopped",
    base,
  );
}

/** The human report. */
export function formatTrace(t: Trace): string {
  const lines = [`commit ${t.commit}${t.digest ? `  ${t.digest}` : ""}`];
  for (const s of t.stages) {
    const mark = s.reached ? "reached" : s.name === t.stoppedAt ? "NOT REACHED" : "-";
    lines.push(`  ${s.name.padEnd(12)} ${mark.padEnd(12)} ${s.at ? `${s.at}  ` : ""}${s.detail}`);
  }
  lines.push(
    t.stoppedAt
      ? `stopped before ${t.stoppedAt} (${t.verdict}): ${t.reason}`
      : `on live (${t.verdict})`,
  );
  return lines.join("\n") + "\n";
}
