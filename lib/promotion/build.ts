/**
 * The build decision (DESIGN 2), pure: from the registry's tags and the commit, the RC version and the
 * three tags to push, or a refusal when any of them exists already (a push never overwrites a tag).
 * The version itself comes from `nextVersion` (lib/promotion/versions.ts), the one implementation of the rule.
 */
import { nextVersion } from "./versions";
import { clip } from "../clip";

export interface BuildPlanInput {
  /** Every tag of the artifact repository now. */
  readonly tags: readonly string[];
  /** The commit being built (40 hex). */
  readonly commit: string;
  /** First version when the registry has no stable tag. */
  readonly startVersion: string;
  /** When set: refuse unless the computed version is this one (the re-check right before the push). */
  readonly expectVersion?: string;
}

export interface BuildPlan {
  readonly version: string;
  readonly short: string;
  readonly rcTag: string;
  readonly shaTag: string;
  readonly integrationTag: string;
}

export class BuildRefused extends Error {}

const COMMIT = /^[0-9a-f]{40}$/;

export function planBuild(input: BuildPlanInput): BuildPlan {
  if (!COMMIT.test(input.commit))
    throw new BuildRefused(`--commit ${clip(input.commit)} is not a 40-hex commit SHA.`);
  const version = nextVersion(input.tags, { startVersion: input.startVersion });
  if (input.expectVersion !== undefined && version !== input.expectVersion) {
    throw new BuildRefused(
      `the registry changed since this build planned ${input.expectVersion}: the next version is now ${version} ` +
        "(another build pushed meanwhile). Refusing to push; re-run the workflow to build a new candidate.",
    );
  }
  const short = input.commit.slice(0, 7);
  const plan: BuildPlan = {
    version,
    short,
    rcTag: version,
    shaTag: `sha-${short}`,
    integrationTag: `integration-${short}`,
  };
  const have = new Set(input.tags);
  const taken = [plan.rcTag, plan.shaTag, plan.integrationTag].filter((t) => have.has(t));
  if (taken.length > 0) {
    const why = have.has(plan.shaTag)
      ? `commit ${short} was built already (tag ${plan.shaTag} exists); promote that artifact, or push a new commit to build again.`
      : "another build pushed it; two merges never share a version.";
    throw new BuildRefused(`refusing to overwrite existing tag(s) ${taken.join(", ")}: ${why}`);
  }
  return plan;
}

/** `key=value` lines for $GITHUB_OUTPUT. */
export function planOutputs(p: BuildPlan): string {
  return (
    [
      `version=${p.version}`,
      `rc_tag=${p.rcTag}`,
      `sha_tag=${p.shaTag}`,
      `integration_tag=${p.integrationTag}`,
    ].join("\n") + "\n"
  );
}
