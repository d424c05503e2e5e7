/**
 * What each stage selects, through Flux's own selection (issue 21 item 2), and the tag a promotion into a
 * stage creates. Pure logic, no Pulumi import.
 *
 * Tag scheme (never moves a tag; one new tag per stage a revision enters):
 *
 *   first stage          X.Y.Z-rc.N           the build's RC; OCIRepository semver ">= 0.0.0-0" (as today)
 *   intermediate stage   X.Y.Z-0.<stage>.N    a retag of the RC's digest; semver ">= 0.0.0-0" and
 *                                             semverFilter ^X.Y.Z-0\.<stage>\.N$ (anchored, see below)
 *   last stage           X.Y.Z (+ validated-<7>)  as today; semver ">= 0.0.0"
 *
 * Why `0.<stage>.N`: semver gives a numeric pre-release identifier LOWER precedence than any alphanumeric
 * one, so X.Y.Z-0.<stage>.N sorts below X.Y.Z-rc.M for every stage name, N and M. The first stage's
 * unfiltered ">= 0.0.0-0" therefore keeps selecting the newest RC exactly as before stages existed (a stage
 * tag of the same digest never outranks its RC; a newer RC of the same version, built while the older one
 * sits in staging, is still taken by integration). A readable `X.Y.Z-staging.N` would outrank every RC of
 * X.Y.Z ("rc" < "staging"): integration would stop at the staged digest and never see rc.N+1.
 * Within a stage's channel, precedence is X.Y.Z, then N (numeric identifiers compare as numbers), i.e. the
 * newest RC that stage received: Flux's ordering, not a new one.
 *
 * The filter: source-controller v1.9.3 `filterTags` runs `regexp.MatchString` (an unanchored search) on the
 * tag BEFORE it parses versions and checks the range; an unanchored `-0\.staging\.` would also keep a hand
 * tag such as `v1.2.3-0.staging.1+x` or `1.2.3-0.staging.1.0`. So the filter is anchored at both ends and
 * admits exactly the tags this module makes. N carries the RC's N, so the tag names its RC: 1.4.2-rc.3 enters
 * staging as 1.4.2-0.staging.3.
 */
import type { ClusterSpec, StageSpec } from "../types";
import { parseFluxVersion } from "../flux/semver";

/** Where a stage sits: what it selects and what promotes into it depend on it. */
export type StagePosition = "first" | "intermediate" | "last";

/** The constraint of every pre-release-following stage (the first stage's default, every intermediate stage). */
export const PRERELEASE_RANGE = ">= 0.0.0-0";
export const STABLE_RANGE = ">= 0.0.0";

const NUM = "(0|[1-9][0-9]*)";
const RC = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)-rc\.(0|[1-9]\d*)$/;

/** The OCIRepository `ref` of a stage's clusters (no pin). */
export interface StageRef {
  readonly semver: string;
  readonly semverFilter?: string;
}

function indexOf(stages: readonly StageSpec[], name: string): number {
  const i = stages.findIndex((s) => s.name === name);
  if (i < 0)
    throw new Error(
      `no stage ${JSON.stringify(name)} (stages: ${stages.map((s) => s.name).join(", ")})`,
    );
  return i;
}

export function stagePosition(stages: readonly StageSpec[], name: string): StagePosition {
  const i = indexOf(stages, name);
  return i === 0 ? "first" : i === stages.length - 1 ? "last" : "intermediate";
}

/** The anchored semverFilter of an intermediate stage's channel. */
export function stageFilter(stage: string): string {
  return `^${NUM}\\.${NUM}\\.${NUM}-0\\.${stage}\\.${NUM}$`;
}

/**
 * The OCIRepository ref of `stage`'s clusters. The first and last stages keep the cluster's own constraint
 * and filter (default ">= 0.0.0-0" / ">= 0.0.0", no filter): the two-stage default renders as before.
 */
export function stageRef(
  stages: readonly StageSpec[],
  stage: string,
  cluster?: Pick<ClusterSpec, "semver" | "semverFilter">,
): StageRef {
  const pos = stagePosition(stages, stage);
  switch (pos) {
    case "intermediate":
      return { semver: PRERELEASE_RANGE, semverFilter: stageFilter(stage) };
    case "first":
    case "last": {
      const semver = cluster?.semver ?? (pos === "first" ? PRERELEASE_RANGE : STABLE_RANGE);
      return cluster?.semverFilter !== undefined
        ? { semver, semverFilter: cluster.semverFilter }
        : { semver };
    }
    default: {
      const never: never = pos;
      throw new Error(`unknown stage position ${String(never)}`);
    }
  }
}

/** An RC X.Y.Z-rc.N, split; undefined for anything else. */
export function parseRc(tag: string): { version: string; n: string } | undefined {
  const m = RC.exec(tag);
  return m ? { version: `${m[1]}.${m[2]}.${m[3]}`, n: m[4]! } : undefined;
}

/** The tag of an intermediate stage for the RC `rcTag`: 1.4.2-rc.3 -> 1.4.2-0.staging.3. */
export function stageTag(stage: string, rcTag: string): string {
  const rc = parseRc(rcTag);
  if (!rc) throw new Error(`${JSON.stringify(rcTag)} is not a release candidate X.Y.Z-rc.N`);
  return `${rc.version}-0.${stage}.${rc.n}`;
}

/**
 * The RC a revision tag on `stage`'s channel stands for: the first stage reports the RC itself, an
 * intermediate stage X.Y.Z-0.<stage>.N (exactly: what its filter admits). Undefined when the tag is not on
 * the stage's channel (e.g. the first stage reporting X.Y.Z after the promotion), or for the last stage.
 */
export function rcOfStageTag(
  stages: readonly StageSpec[],
  stage: string,
  tag: string,
): string | undefined {
  const pos = stagePosition(stages, stage);
  switch (pos) {
    case "first":
      return parseRc(tag) ? tag : undefined;
    case "intermediate": {
      const m = new RegExp(stageFilter(stage)).exec(tag);
      return m ? `${m[1]}.${m[2]}.${m[3]}-rc.${m[4]}` : undefined;
    }
    case "last":
      return undefined;
    default: {
      const never: never = pos;
      throw new Error(`unknown stage position ${String(never)}`);
    }
  }
}

/**
 * The stages a revision validated in `from` enters in one promotion: the next stage, and on through every
 * stage that does not gate its successor (`gatesNext: false`), up to the first one that does, or the last.
 * Empty for the last stage and for a stage that does not gate (it is promoted together with the one before).
 */
export function promotionTargets(stages: readonly StageSpec[], from: string): StageSpec[] {
  const i = indexOf(stages, from);
  if (!stages[i]!.gatesNext) return [];
  const out: StageSpec[] = [];
  for (let j = i + 1; j < stages.length; j++) {
    out.push(stages[j]!);
    if (stages[j]!.gatesNext || j === stages.length - 1) break;
  }
  return out;
}

/** The stage whose gate a promotion into `target` waits for (the nearest earlier stage that gates). */
export function sourceStage(stages: readonly StageSpec[], target: string): StageSpec | undefined {
  const i = indexOf(stages, target);
  for (let j = i - 1; j >= 0; j--) if (stages[j]!.gatesNext) return stages[j];
  return undefined;
}

/**
 * The tags a promotion of the RC `rcTag` (built from commit `<short7>`) into `target` creates: X.Y.Z-0.<stage>.N
 * for an intermediate stage, validated-<7> and X.Y.Z for the last (lib/promotion/promote.ts, as today).
 */
export function promotionTags(
  stages: readonly StageSpec[],
  target: string,
  rcTag: string,
  short7: string,
): string[] {
  const pos = stagePosition(stages, target);
  const rc = parseRc(rcTag);
  if (!rc) throw new Error(`${JSON.stringify(rcTag)} is not a release candidate X.Y.Z-rc.N`);
  switch (pos) {
    case "intermediate":
      return [stageTag(target, rcTag)];
    case "last":
      return [`validated-${short7}`, rc.version];
    case "first":
      throw new Error(`the first stage ${target} receives builds, not promotions`);
    default: {
      const never: never = pos;
      throw new Error(`unknown stage position ${String(never)}`);
    }
  }
}

/** True when `tag` is a Flux version at all (what selection considers); re-exported for callers' checks. */
export const isFluxVersion = (tag: string): boolean => parseFluxVersion(tag) !== undefined;
