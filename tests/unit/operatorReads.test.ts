/**
 * Issue 22 item 1: `promotion status`, `watch`, `trace` and `rollback-plan` at a constant number of
 * registry requests (lib/status/reads.ts). Differential: the report made from what they read now is the
 * one made from the full tag -> digest listing (computeStatus, traceCommit and planRollback unchanged),
 * on histories as the pipeline writes them, with pins, rollbacks and tags outside the build's naming.
 */
import { strict as assert } from "node:assert";
import fc from "fast-check";
import type { PinCluster } from "../../lib/pins/allowlist";
import { planRollback } from "../../lib/promotion/rollback";
import type { ManifestRead } from "../../lib/registry/manifest";
import { RegistryError } from "../../lib/registry/types";
import {
  isUnread,
  readForRollback,
  readForStatus,
  readForTrace,
  type OperatorReader,
} from "../../lib/status/reads";
import { computeStatus, newestRcTag, STABLE_TAG } from "../../lib/status/status";
import { traceCommit } from "../../lib/status/trace";
import { PackagesUnavailable } from "../../lib/registry/ghcrPackages";
import { yearsOfBuilds, type HistoryBuild } from "../support/fakeRegistry";
import {
  countingRegistry,
  digestOfManifest as digestOf,
  historyContents,
  HISTORY_REPO as REPO,
  pinnedClusters,
  type DrawnPin,
  arbHistory,
  assertReadsAtMost,
} from "../support/memoryRegistry";

const NOW = new Date("2026-12-01T12:00:00Z");

/** A build time per digest, as the build's `oras push` writes it. */
const createdFor = (digest: string): string =>
  new Date(Date.UTC(2026, 10, 1) + (parseInt(digest.slice(7, 13), 16) % 2_000_000) * 1000)
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z");

/** An in-memory registry from a history, and a reader that counts what it reads. */
function memory(builds: readonly HistoryBuild[]) {
  const { tags, manifests } = historyContents(builds);
  for (const [digest, body] of manifests)
    manifests.set(digest, {
      ...body,
      annotations: { ...body.annotations, "org.opencontainers.image.created": createdFor(digest) },
    });
  const { counts, listTags, digestOf: headOf, resolve } = countingRegistry(tags);
  const reader: OperatorReader = {
    listTags,
    digestOf: headOf,
    manifest: (_r, ref): Promise<ManifestRead> => {
      const d = resolve(ref);
      const m = d === undefined ? undefined : manifests.get(d);
      return m && d
        ? Promise.resolve({ digest: d, manifest: m })
        : Promise.reject(new RegistryError("mem", `GET ${ref}`, "404"));
    },
  };
  /** A manifest of our own (e.g. without annotations), tagged. */
  const push = (body: Record<string, unknown>, ...ts: string[]): string => {
    const d = digestOf(Buffer.from(JSON.stringify(body)));
    manifests.set(d, body);
    for (const t of ts) tags.set(t, d);
    return d;
  };
  return { tags, manifests, counts, reader, push };
}

/** The full listing as the commands read it before: every tag, sorted. */
const sorted = (m: ReadonlyMap<string, string>): Map<string, string> =>
  new Map([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** Rollbacks made with the promote workflow's own plan, after the history. */
function rollBack(tags: Map<string, string>, targets: readonly number[]): void {
  for (const i of targets) {
    const stables = [...tags.keys()].filter((t) => STABLE_TAG.test(t)).sort();
    if (stables.length === 0) return;
    const plan = planRollback(sorted(tags), stables[i % stables.length]!);
    if (plan.action === "rollback") tags.set(plan.version, plan.digest);
  }
}

const arbCluster = fc.record({
  name: fc.constantFrom("a", "b", "c", "d"),
  role: fc.constantFrom("integration" as const, "live" as const, "dev" as const),
  semver: fc.constantFrom(">= 0.0.0-0", ">= 0.0.0", "< 0.1.3", "~0.1.1", "0.1.x", "!= 0.1.2", "^9"),
  semverFilter: fc.option(fc.constantFrom("^0\\.1\\.", ".*-rc\\..*", "("), { nil: undefined }),
  suspended: fc.boolean(),
});
const arbJunk = fc.array(
  fc.tuple(fc.constantFrom("demo", "9.9.9-test", "v0.1.1", "0.1", "staging", "latest"), fc.nat()),
  { maxLength: 3 },
);
const arbPin = fc.option(fc.tuple(fc.constantFrom("tag", "digest", "gone", "junk"), fc.nat()), {
  nil: undefined,
});
/** A history of up to 400 builds, up to four drawn clusters (the first maybe pinned), off-scheme tags. */
const arbPinnedHistory = fc.record({
  builds: arbHistory(400),
  cs: fc.array(arbCluster, { maxLength: 4 }),
  pin: arbPin,
  junk: arbJunk,
});

/** The drawn clusters, the first pinned as drawn: tag pins expire in two days, digest pins in nineteen. */
const clustersOf = (
  cs: readonly PinCluster[],
  pin: DrawnPin | undefined,
  builds: readonly HistoryBuild[],
): PinCluster[] => pinnedClusters(cs, pin, builds, { tag: "2026-12-03", digest: "2026-12-20" });

function withJunk(
  m: ReturnType<typeof memory>,
  builds: readonly HistoryBuild[],
  junk: readonly [string, number][],
): void {
  for (const [t, i] of junk) m.tags.set(t, digestOf(builds[i % builds.length]!.manifest));
}

describe("operator reads: status, watch, trace and rollback-plan read a constant number of manifests", () => {
  it("status (and the watch, which decides on it): the same report as from every tag's digest, on any history, pins, rollbacks and off-scheme tags (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        arbPinnedHistory,
        fc.array(fc.nat(), { maxLength: 3 }),
        async ({ builds, cs, pin, junk }, rollbacks) => {
          const m = memory(builds);
          withJunk(m, builds, junk);
          rollBack(m.tags, rollbacks);
          const clusters = clustersOf(cs, pin, builds);
          const full = sorted(m.tags);
          const rc = newestRcTag(full.keys());
          const created = new Map<string, Date>();
          if (rc !== undefined) {
            const d = full.get(rc)!;
            created.set(d, new Date(createdFor(d)));
          }
          const base = { registry: "mem", repository: REPO, clusters, now: NOW };
          const want = computeStatus({ ...base, tags: full, created });
          const view = await readForStatus(m.reader, REPO, clusters);
          assert.equal(view.mode, "selective");
          const got = computeStatus({ ...base, tags: view.tags, created: view.created });
          assert.deepEqual(got, want);
          assert.equal(m.counts.list, 1);
          const newer = rollbacks.length; // rollbacks above the newest RC, each read once
          assertReadsAtMost(m.counts, 3 + newer + 2 * clusters.length, clusters);
        },
      ),
      { numRuns: 250 },
    );
  });

  it("trace: the same journey as from every tag's digest, for any commit of any history, with pins and off-scheme tags (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        arbPinnedHistory,
        fc.nat(),
        fc.constantFrom("commit", "short", "unknown", "no-annotations"),
        fc.integer({ min: 1, max: 2000 }),
        async ({ builds, cs, pin, junk }, pick, kind, rcWaitHours) => {
          const m = memory(builds);
          withJunk(m, builds, junk);
          const clusters = clustersOf(cs, pin, builds);
          let commit = builds[pick % builds.length]!.commit;
          if (kind === "short") commit = commit.slice(0, 7);
          if (kind === "unknown") commit = "0".repeat(40);
          if (kind === "no-annotations") {
            // Pushed by hand: sha-<7> and an RC tag, no annotations to link them.
            commit = "abcdef0".padEnd(40, "1");
            m.push({ schemaVersion: 2, layers: [] }, "sha-abcdef0", "9.0.0-rc.1", "9.0.0");
          }
          const full = sorted(m.tags);
          const created = new Map<string, Date>();
          const d = full.get(`sha-${commit.slice(0, 7)}`);
          if (d !== undefined) {
            const c = m.manifests.get(d)!.annotations?.["org.opencontainers.image.created"];
            if (c !== undefined) created.set(d, new Date(c));
          }
          const base = { commit, clusters, now: NOW, rcWaitHours };
          const want = traceCommit({ ...base, tags: full, created });
          const view = await readForTrace(m.reader, REPO, commit, clusters);
          const got = traceCommit({ ...base, tags: view.tags, created: view.created });
          assert.deepEqual(got, want);
          assert.equal(m.counts.list, 1);
          if (kind === "no-annotations") assert.equal(view.mode, "exhaustive");
          else assertReadsAtMost(m.counts, 6 + 2 * clusters.length, clusters);
        },
      ),
      { numRuns: 250 },
    );
  });

  it("rollback-plan: the same plan as from every tag's digest, for any version, after rollbacks and with off-scheme tags (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        arbHistory(400),
        arbJunk,
        fc.array(fc.nat(), { maxLength: 3 }),
        fc.nat(),
        fc.constantFrom("stable", "rc", "missing", "junk"),
        async (builds, junk, rollbacks, pick, kind) => {
          const m = memory(builds);
          withJunk(m, builds, junk);
          rollBack(m.tags, rollbacks);
          const stables = [...m.tags.keys()].filter((t) => STABLE_TAG.test(t)).sort();
          const version =
            kind === "stable" && stables.length > 0
              ? stables[pick % stables.length]!
              : kind === "rc"
                ? builds[pick % builds.length]!.version
                : kind === "junk"
                  ? "v0.1.1"
                  : "7.7.7";
          const want = planRollback(sorted(m.tags), version);
          const view = await readForRollback(m.reader, REPO, version);
          assert.deepEqual(planRollback(view.tags, version), want);
          assert.equal(m.counts.list, 1);
          assertReadsAtMost(m.counts, 4);
        },
      ),
      { numRuns: 250 },
    );
  });

  it("reads 50,002 tags' worth of history with one listing and a handful of manifests; the rest stay unread", async () => {
    const builds = yearsOfBuilds(50_000);
    const m = memory(builds);
    const clusters: PinCluster[] = [
      { name: "integration", role: "integration", semver: ">= 0.0.0-0", suspended: false },
      { name: "live", role: "live", semver: ">= 0.0.0", suspended: false },
    ];
    const status = await readForStatus(m.reader, REPO, clusters);
    assert.equal(status.tags.size, m.tags.size);
    assert.deepEqual([m.counts.list, status.heads, status.manifests], [1, 1, 1]);
    // The newest RC (integration's choice, one GET) and the newest stable (live's, one HEAD).
    assert.equal([...status.tags.values()].filter((d) => !isUnread(d)).length, 2);
    const last = builds.at(-1)!;
    const trace = await readForTrace(m.reader, REPO, last.commit, clusters);
    assert.ok(trace.heads + trace.manifests <= 6, `${trace.heads} + ${trace.manifests}`);
    const stable = builds
      .filter((b) => b.tags.length === 5)
      .at(-3)!
      .version.split("-")[0]!;
    const rollback = await readForRollback(m.reader, REPO, stable);
    assert.equal(planRollback(rollback.tags, stable).action, "rollback");
    assert.ok(rollback.heads + rollback.manifests <= 4);
  });

  it("ghcr.io: the Packages API gives every digest at once; a token it refuses falls back to the reads above, saying so", async () => {
    const builds = yearsOfBuilds(300);
    const m = memory(builds);
    const clusters: PinCluster[] = [
      { name: "live", role: "live", semver: ">= 0.0.0", suspended: false },
    ];
    const versions = new Map<string, string[]>();
    for (const [t, d] of m.tags) versions.set(d, [...(versions.get(d) ?? []), t]);
    const api = await readForStatus(m.reader, REPO, clusters, {
      packageVersions: () => Promise.resolve(versions),
    });
    assert.equal(api.mode, "packages");
    assert.deepEqual(api.tags, sorted(m.tags));
    assert.deepEqual([m.counts.list, m.counts.head, m.counts.get], [0, 0, 1]);
    const refused = await readForStatus(m.reader, REPO, clusters, {
      packageVersions: () =>
        Promise.reject(new PackagesUnavailable("ghcr.io", "list (orgs, page 1)", "HTTP 403")),
    });
    assert.equal(refused.mode, "selective");
    assert.match(refused.note!, /HTTP 403; reading the registry's manifests instead/);
    await assert.rejects(
      readForStatus(m.reader, REPO, clusters, {
        packageVersions: () => Promise.reject(new RegistryError("ghcr.io", "page 7", "HTTP 500")),
      }),
      /page 7: HTTP 500/,
    );
  });
});
