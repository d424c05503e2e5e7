/**
 * A history of builds held in memory, and a registry over it that counts what it is asked (tag listings, HEADs,
 * manifest GETs): for the tests that prove a command reads a constant number of things, and for the bench.
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import fc from "fast-check";
import type { PinCluster } from "../../lib/pins/allowlist";
import type { PinsPolicy } from "../../lib/pins/policy";
import { RegistryError } from "../../lib/registry/types";
import { integrationAndLive } from "./clusters";
import { yearsOfBuilds, type HistoryBuild } from "./fakeRegistry";

export const HISTORY_REPO = "example-org/platform/platform";

/** The digest a registry gives a manifest's bytes. */
export const digestOfManifest = (b: Buffer): string =>
  `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** A manifest as pushed: its JSON body, whose `annotations` the build wrote. */
export type ManifestBody = Record<string, unknown> & { annotations?: Record<string, string> };

/** Every tag of `builds` and every manifest body, by digest. */
export function historyContents(builds: readonly HistoryBuild[]): {
  tags: Map<string, string>;
  manifests: Map<string, ManifestBody>;
} {
  const tags = new Map<string, string>();
  const manifests = new Map<string, ManifestBody>();
  for (const b of builds) {
    const digest = digestOfManifest(b.manifest);
    manifests.set(digest, JSON.parse(b.manifest.toString()) as ManifestBody);
    for (const t of b.tags) tags.set(t, digest);
  }
  return { tags, manifests };
}

/** A history of 3 to `maxBuilds` builds as the pipeline writes them (yearsOfBuilds, any seed). */
export const arbHistory = (maxBuilds: number): fc.Arbitrary<HistoryBuild[]> =>
  fc
    .tuple(fc.integer({ min: 3, max: maxBuilds }), fc.integer({ min: 1, max: 1_000_000 }))
    .map(([size, seed]) => yearsOfBuilds(size, seed));

/** What a counting registry was asked so far. */
export interface ReadCounts {
  list: number;
  head: number;
  get: number;
}

/** Asserts at most `max` HEADs and manifest GETs together (for `clusters`, when the bound counts them). */
export function assertReadsAtMost(
  counts: ReadCounts,
  max: number,
  clusters?: readonly unknown[],
): void {
  const per = clusters === undefined ? "" : ` for ${clusters.length} clusters`;
  assert.ok(counts.head + counts.get <= max, `${counts.head} HEAD + ${counts.get} GET${per}`);
}

/** The reads every registry reader offers, over `tags`, counted; manifest reads count with `resolve`. */
export interface CountingRegistry {
  readonly counts: ReadCounts;
  /** Every tag, newest first (the order a registry owes nobody). */
  readonly listTags: (repo: string) => Promise<string[]>;
  /** A HEAD: the tag's digest, or a RegistryError 404. */
  readonly digestOf: (repo: string, tag: string) => Promise<string>;
  /** A manifest GET: the digest that a tag or digest reference names (undefined for an unknown tag). */
  readonly resolve: (ref: string) => string | undefined;
}

export function countingRegistry(tags: ReadonlyMap<string, string>): CountingRegistry {
  const counts = { list: 0, head: 0, get: 0 };
  return {
    counts,
    listTags: () => {
      counts.list++;
      return Promise.resolve([...tags.keys()].reverse());
    },
    digestOf: (_r, t) => {
      counts.head++;
      const d = tags.get(t);
      return d ? Promise.resolve(d) : Promise.reject(new RegistryError("mem", `HEAD ${t}`, "404"));
    },
    resolve: (ref) => {
      counts.get++;
      return ref.startsWith("sha256:") ? ref : tags.get(ref);
    },
  };
}

/** A pin policy for the history's repository on `host`: integration takes RCs, live stables. */
export function historyPolicy(host: string, over: Partial<PinsPolicy> = {}): PinsPolicy {
  return {
    registry: host,
    repository: HISTORY_REPO,
    lines: "container/platform/platform",
    clusters: integrationAndLive(),
    floatingTags: ["latest"],
    keepStable: 5,
    startVersion: "0.0.1",
    retention: [],
    ...over,
  };
}

/** The gate's Flux event for `revision` (`<tag>@<digest>`): its health check passed. */
export function healthPassed(revision: string): Record<string, unknown> {
  return {
    involvedObject: { kind: "Kustomization", name: "platform", namespace: "flux-system" },
    severity: "info",
    message: "Health check passed in 2s",
    metadata: { revision },
  };
}

/**
 * A pin a property draws for the first cluster: on the tag of build `n` ("tag"), on a tag the registry lacks
 * ("junk"), on build `n`'s digest ("digest") or on a digest the registry lacks ("gone").
 */
export type DrawnPin = readonly [string, number];

/** The drawn clusters, the first of each name, the first one pinned as `pin` says until `expires`. */
export function pinnedClusters(
  drawn: readonly PinCluster[],
  pin: DrawnPin | undefined,
  builds: readonly HistoryBuild[],
  expires: { readonly tag: string; readonly digest: string },
): PinCluster[] {
  const seen = new Set<string>();
  const clusters: PinCluster[] = drawn
    .filter((c) => !seen.has(c.name) && seen.add(c.name))
    .map((c) => ({ ...c }));
  if (pin && clusters[0]) {
    const b = builds[pin[1] % builds.length]!;
    clusters[0] = {
      ...clusters[0],
      pin:
        pin[0] === "tag" || pin[0] === "junk"
          ? {
              tag: pin[0] === "tag" ? b.version : "no-such-tag",
              reason: "INC-1",
              expires: expires.tag,
            }
          : {
              digest: pin[0] === "gone" ? `sha256:${"e".repeat(64)}` : digestOfManifest(b.manifest),
              reason: "INC-2",
              expires: expires.digest,
            },
    };
  }
  return clusters;
}
