/**
 * A history of builds held in memory, and a registry over it that counts what it is asked (tag listings, HEADs,
 * manifest GETs): for the tests that prove a command reads a constant number of things, and for the bench.
 */
import { createHash } from "node:crypto";
import type { PinsPolicy } from "../../lib/pins/policy";
import { RegistryError } from "../../lib/registry/types";
import type { HistoryBuild } from "./fakeRegistry";

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

/** What a counting registry was asked so far. */
export interface ReadCounts {
  list: number;
  head: number;
  get: number;
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
    clusters: [
      { name: "integration", role: "integration", semver: ">= 0.0.0-0", suspended: false },
      { name: "live", role: "live", semver: ">= 0.0.0", suspended: false },
    ],
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
