/**
 * A realistic registry history as the pipeline makes it (DESIGN section 2): each build pushes
 * `X.Y.Z-rc.N`, `sha-<7>` and `integration-<7>` on one new digest; a promotion adds `validated-<7>` and
 * `X.Y.Z` to the digest integration validated. Pure and deterministic; `digestOf` decides the digests
 * (unit tests hash the build id, the e2e test uses what the registry returns).
 */
import { createHash } from "node:crypto";

export interface Build {
  /** Sequence number from 1. */
  readonly n: number;
  /** Short commit sha (7 hex). */
  readonly sha: string;
  readonly version: string;
  readonly rc: number;
  /** Tags the build pushed, then the ones the promotion added. */
  readonly tags: readonly string[];
  readonly promoted: boolean;
}

export interface HistorySpec {
  /** Versions released (each promoted once, from its last RC). */
  readonly releases: number;
  /** RCs built per released version. */
  readonly rcsPerRelease: number;
  /** RCs of the next version, not promoted yet. */
  readonly pending: number;
  /** First version. */
  readonly start?: string;
}

export const shortSha = (n: number): string =>
  createHash("sha1").update(`commit-${n}`).digest("hex").slice(0, 7);
export const fakeDigest = (id: string): string =>
  `sha256:${createHash("sha256").update(id).digest("hex")}`;

export function buildHistory(spec: HistorySpec): Build[] {
  const [maj, min, pat] = (spec.start ?? "0.0.1").split(".").map(Number) as [
    number,
    number,
    number,
  ];
  const out: Build[] = [];
  let n = 0;
  const version = (r: number): string => `${maj}.${min}.${pat + r}`;
  for (let r = 0; r <= spec.releases; r++) {
    const count = r < spec.releases ? spec.rcsPerRelease : spec.pending;
    for (let rc = 1; rc <= count; rc++) {
      n++;
      const sha = shortSha(n);
      const promoted = r < spec.releases && rc === count;
      const tags = [`${version(r)}-rc.${rc}`, `sha-${sha}`, `integration-${sha}`];
      if (promoted) tags.push(`validated-${sha}`, version(r));
      out.push({ n, sha, version: version(r), rc, tags, promoted });
    }
  }
  return out;
}

/** tag -> digest of a history, digests from `digestOf(build)`. */
export function tagMap(
  builds: readonly Build[],
  digestOf: (b: Build) => string = (b) => fakeDigest(`build-${b.n}`),
): Map<string, string> {
  const m = new Map<string, string>();
  for (const b of builds) for (const t of b.tags) m.set(t, digestOf(b));
  return m;
}

/**
 * Builds 1-3 make 0.0.1 (3 promoted), 4-6 make 0.0.2 (6 promoted), 7-8 are RCs of 0.0.3: the builds, their
 * tags, and build n's digest.
 */
export function twoReleasesAndTwoRcs(): {
  builds: Build[];
  tags: Map<string, string>;
  digestOf: (n: number) => string;
} {
  const builds = buildHistory({ releases: 2, rcsPerRelease: 3, pending: 2 });
  const tags = tagMap(builds);
  return { builds, tags, digestOf: (n) => tags.get(`sha-${shortSha(n)}`)! };
}
