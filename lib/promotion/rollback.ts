/**
 * Roll back without a pin (the homelab runbook's option 3), pure: the digest of an earlier stable version
 * gets the NEXT patch version above the highest stable, a new tag (no tag ever moves). Live (`>= 0.0.0`)
 * and integration (`>= 0.0.0-0`: a stable X.Y.Z ranks above X.Y.Z-rc.N) then both select it through the
 * normal path, and the next build starts the version after it. Refused when the version does not exist or
 * its digest was never validated (no `validated-<7>` on it).
 */
import { compareParsed, parseFluxVersion, type ParsedVersion } from "../flux/semver";
import { quote } from "./promote";

const STABLE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const VALIDATED = /^validated-[0-9a-f]{7}$/;

export type RollbackPlan =
  | {
      readonly action: "rollback";
      readonly reason: string;
      readonly digest: string;
      /** The new stable version. */
      readonly version: string;
      /** The earlier version whose digest it is. */
      readonly of: string;
    }
  | { readonly action: "refuse"; readonly reason: string };

export function planRollback(listing: ReadonlyMap<string, string>, target: string): RollbackPlan {
  if (!STABLE.test(target))
    return {
      action: "refuse",
      reason: `rollback_to ${quote(target)} is not a stable version X.Y.Z.`,
    };
  const digest = listing.get(target);
  if (digest === undefined)
    return {
      action: "refuse",
      reason: `version ${target} does not exist in the registry; nothing to roll back to.`,
    };
  const onDigest = [...listing]
    .filter(([, d]) => d === digest)
    .map(([t]) => t)
    .sort();
  if (!onDigest.some((t) => VALIDATED.test(t)))
    return {
      action: "refuse",
      reason: `${target} (${digest}) was never validated (no validated-<commit> tag on its digest); only content that passed integration is rolled back to.`,
    };
  let top: { tag: string; v: ParsedVersion } | undefined;
  for (const t of listing.keys()) {
    const v = parseFluxVersion(t);
    if (v && v.pre === "" && (!top || compareParsed(v, top.v) > 0)) top = { tag: t, v };
  }
  // top exists: the target itself is a stable version.
  if (listing.get(top!.tag) === digest)
    return {
      action: "refuse",
      reason: `${target} is already the content of the newest stable ${top!.tag}; live runs it already, nothing to roll back.`,
    };
  const version = `${top!.v.maj}.${top!.v.min}.${BigInt(top!.v.pat) + 1n}`;
  if (listing.has(version))
    return { action: "refuse", reason: `${version} exists already; a stable tag is never moved.` };
  return {
    action: "rollback",
    reason: `rolling back to ${target}: its digest ${digest} becomes ${version} (above the newest stable ${top!.tag}; no tag moves).`,
    digest,
    version,
    of: target,
  };
}

/** `key=value` lines for $GITHUB_OUTPUT; every value is pattern-checked. */
export function rollbackOutputs(p: RollbackPlan): string {
  const lines = [`action=${p.action}`];
  if (p.action === "rollback")
    lines.push(`digest=${p.digest}`, `version=${p.version}`, `rollback_of=${p.of}`);
  for (const l of lines)
    if (!/^[a-z_]+=[A-Za-z0-9_.:-]*$/.test(l))
      throw new Error(`internal: unsafe output ${quote(l)}`);
  return lines.join("\n") + "\n";
}
