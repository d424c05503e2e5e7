/**
 * The promotion between stages (issue 21 items 2-4), pure: a stage's gate reported a revision (or the
 * scheduled re-plan looks at one it reported earlier); which stages does its digest enter now, with which
 * tags, or why not yet. The workflow gathers the registry listing and the gate's health history, runs this
 * (`promotion stage-plan`), and retags by digest as the two-stage promotion does.
 *
 * - Only a revision on the reporting stage's own channel counts (the first stage: X.Y.Z-rc.N; an intermediate
 *   stage: X.Y.Z-0.<stage>.N), and the tag must still point at the reported digest (digest-exact).
 * - Soak: the revision leaves the stage only when soakStatus says `passed` (lib/stages/soak.ts).
 * - Windows: a target stage whose windows are closed is deferred to its next opening (not dropped: the
 *   re-plan promotes it then); an override (a person, with a reason) opens every window, never the soak.
 * - Exactly once: a target that already has the digest's tag is done (noop); a tag is never moved.
 * - Into the last stage it is today's decision, unchanged: decidePromotion on the RC's revision.
 */
import type { StageSpec } from "../types";
import { compareParsed, parseFluxVersion } from "../flux/semver";
import { selectTag } from "../flux/select";
import { decidePromotion, type PromoteDecision } from "../promotion/promote";
import { promotionTargets, rcOfStageTag, stagePosition, stageRef, stageTag } from "./channel";
import { formatDuration } from "./duration";
import { soakStatus, type HealthReport, type SoakStatus } from "./soak";
import { isOpen, nextOpening } from "./window";

export interface StagePromotionInput {
  readonly stages: readonly StageSpec[];
  /** The stage whose gate reported the revision. */
  readonly from: string;
  /** The revision it reported, `<tag>@sha256:<digest>` split. */
  readonly revision: { readonly tag: string; readonly digest: string };
  /** Every relevant tag -> digest of the registry (see readPromotionListing; stage tags included). */
  readonly listing: ReadonlyMap<string, string>;
  /** The gate's health reports on this digest (the soak records), this report included. */
  readonly history: readonly HealthReport[];
  readonly now: Date;
  /** An emergency override of the windows, with the reason a person gave. */
  readonly override?: string;
  /** Every tag name of the repository (a target stage's current selection, for the stale check); default the listing's. */
  readonly tagNames?: readonly string[];
  /** The gate Kustomization (for the last stage's decision). */
  readonly gate: { readonly name: string; readonly namespace: string };
}

/** One stage the digest enters, with its tags. */
export interface StageStep {
  readonly stage: string;
  readonly tags: readonly string[];
}

export type StageDecision =
  | { readonly action: "ignore"; readonly reason: string }
  | { readonly action: "refuse"; readonly reason: string }
  /** Already in every target stage. */
  | { readonly action: "noop"; readonly reason: string; readonly digest: string }
  /** Not yet: soaking (due at the soak's end) or a closed window (due at its opening). */
  | {
      readonly action: "defer";
      readonly reason: string;
      readonly digest: string;
      readonly due: string;
      readonly waitingFor: "soak" | "window";
    }
  /** The soak stopped (a failure after the last healthy report); nothing is due until the gate recovers. */
  | { readonly action: "stopped"; readonly reason: string; readonly digest: string }
  | {
      readonly action: "promote";
      readonly reason: string;
      readonly digest: string;
      /** The stages entered, in order, and their tags. */
      readonly steps: readonly StageStep[];
      /** Every tag to add, in order (the steps' tags). */
      readonly tags: readonly string[];
      /** X.Y.Z when the last stage is among the targets (the promotion record's version). */
      readonly version?: string;
      /** The override's reason, when a window was closed and a person opened it. */
      readonly override?: string;
      /** Targets still deferred by their window (promoted by a later re-plan). */
      readonly deferred: readonly { readonly stage: string; readonly due: string }[];
    };

function lastStageDecision(input: StagePromotionInput, rc: string): PromoteDecision {
  return decidePromotion({
    request: {
      kind: "event",
      payload: {
        severity: "info",
        involvedObject: { kind: "Kustomization", ...input.gate },
        metadata: { revision: `${rc}@${input.revision.digest}` },
      },
    },
    listing: input.listing,
    gate: input.gate,
  });
}

/** The decision for one reported revision. Never throws for bad input. */
export function decideStagePromotion(input: StagePromotionInput): StageDecision {
  const { stages, from, listing } = input;
  const { tag, digest } = input.revision;
  if (!stages.some((s) => s.name === from))
    return { action: "refuse", reason: `no stage ${JSON.stringify(from)} in pipeline.stages.` };
  if (stagePosition(stages, from) === "last")
    return { action: "ignore", reason: `${from} is the last stage: nothing is promoted from it.` };
  const rc = rcOfStageTag(stages, from, tag);
  if (rc === undefined)
    return {
      action: "ignore",
      reason: `revision tag ${JSON.stringify(tag)} is not on ${from}'s channel (${stagePosition(stages, from) === "first" ? "X.Y.Z-rc.N" : `X.Y.Z-0.${from}.N`}).`,
    };
  const targets = promotionTargets(stages, from);
  if (targets.length === 0)
    return { action: "ignore", reason: `${from} does not gate the next stage (gatesNext: false).` };
  if (listing.get(tag) !== digest)
    return {
      action: "refuse",
      reason: `tag ${tag} ${listing.has(tag) ? `now points at ${listing.get(tag)}` : "is gone"}, not at the reported ${digest}; tags are never moved, so this needs a person.`,
    };
  if (listing.get(rc) !== digest)
    return {
      action: "refuse",
      reason: `the RC ${rc} ${listing.has(rc) ? `points at ${listing.get(rc)}` : "is gone"}, not at ${digest}; ${tag} was not made by a promotion of it.`,
    };

  // Soak: the digest leaves `from` only after continuous health for its soak time.
  const stage = stages.find((s) => s.name === from)!;
  let soak: SoakStatus | undefined;
  if (stage.soakMs > 0) {
    soak = soakStatus(input.history, stage.soakMs, input.now);
    switch (soak.state) {
      case "none":
        return {
          action: "defer",
          digest,
          due: input.now.toISOString(),
          waitingFor: "soak",
          reason: `${from} has not reported ${tag} healthy yet.`,
        };
      case "stopped":
        return {
          action: "stopped",
          digest,
          reason: `${tag} failed on ${from} at ${soak.failedAt}, during its soak: it stays in ${from} until the gate is healthy again, and soaks from zero then.`,
        };
      case "soaking":
        return {
          action: "defer",
          digest,
          due: soak.until,
          waitingFor: "soak",
          reason: `${tag} soaks on ${from}: healthy since ${soak.since}, ${formatDuration(soak.remainingMs)} left (soak ${stage.soak}); due at ${soak.until}.`,
        };
      case "passed":
        break;
      default: {
        const never: never = soak;
        throw new Error(`unknown soak state ${JSON.stringify(never)}`);
      }
    }
  }

  const steps: StageStep[] = [];
  const deferred: { stage: string; due: string }[] = [];
  let version: string | undefined;
  let overrideUsed = false;
  let done = 0;
  for (const t of targets) {
    const pos = stagePosition(stages, t.name);
    // Already there? Then the window does not matter (exactly once, keyed on the digest).
    if (pos === "intermediate") {
      const want = stageTag(t.name, rc);
      const now = listing.get(want);
      if (now === digest) {
        done++;
        continue;
      }
      if (now !== undefined)
        return {
          action: "refuse",
          reason: `${want} already points at ${now}; a stage tag is never moved to ${digest}.`,
        };
    }
    if (!isOpen(t.windows, input.now)) {
      if (input.override === undefined) {
        const due = nextOpening(t.windows, input.now);
        deferred.push({ stage: t.name, due: due?.toISOString() ?? "never" });
        continue;
      }
      overrideUsed = true;
    }
    if (pos === "intermediate") {
      const want = stageTag(t.name, rc);
      // A stage already on a higher version would never select this one: a stale candidate.
      const r = stageRef(stages, t.name);
      const current = selectTag(input.tagNames ?? [...listing.keys()], r.semver, r.semverFilter);
      const cv = current !== undefined ? parseFluxVersion(current) : undefined;
      const wv = parseFluxVersion(want)!;
      if (cv && compareParsed(cv, wv) > 0)
        return {
          action: "refuse",
          reason: `${t.name} already runs ${current}, newer than ${want}: a stale candidate is not promoted.`,
        };
      steps.push({ stage: t.name, tags: [want] });
    } else {
      const d = lastStageDecision(input, rc);
      switch (d.action) {
        case "promote":
          steps.push({ stage: t.name, tags: d.tags });
          version = d.version;
          break;
        case "noop":
          done++;
          break;
        case "ignore":
        case "refuse":
          return { action: "refuse", reason: `into ${t.name}: ${d.reason}` };
        default: {
          const never: never = d;
          throw new Error(`unknown decision ${JSON.stringify(never)}`);
        }
      }
    }
  }
  if (steps.length === 0) {
    if (deferred.length > 0) {
      const first = [...deferred].sort((a, b) => a.due.localeCompare(b.due))[0]!;
      return {
        action: "defer",
        digest,
        due: first.due,
        waitingFor: "window",
        reason: `${deferred.map((d) => `${d.stage}'s window is closed (opens ${d.due})`).join("; ")}: ${tag} is promoted then, by the scheduled re-plan.`,
      };
    }
    return {
      action: "noop",
      digest,
      reason: `${digest} (${rc}) is already in ${targets.map((t) => t.name).join(", ")} (${done} of ${targets.length}); nothing to do.`,
    };
  }
  const tags = steps.flatMap((s) => s.tags);
  return {
    action: "promote",
    digest,
    steps,
    tags,
    ...(version !== undefined ? { version } : {}),
    ...(overrideUsed ? { override: input.override! } : {}),
    deferred,
    reason: `${tag} (${digest}) passed ${from}${soak ? ` and soaked ${stage.soak}` : ""}: into ${steps.map((s) => `${s.stage} as ${s.tags.join(", ")}`).join("; ")}${overrideUsed ? ` (window overridden: ${input.override!})` : ""}.`,
  };
}
