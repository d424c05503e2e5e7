/** Property tests of the allowlist: safety under any history, unrelated tags and input order. */
import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
  computeAllowlist,
  formatGhcr,
  formatLines,
  type AllowlistInput,
  type PinCluster,
} from "../../lib/pins/allowlist";
import { selectTag } from "../../lib/flux/select";
import { buildHistory, fakeDigest, tagMap } from "../support/history";

/** A pipeline history: releases, RCs per release, pending RCs. */
const arbHistory = fc
  .record({
    releases: fc.nat(8),
    rcsPerRelease: fc.integer({ min: 1, max: 4 }),
    pending: fc.nat(3),
  })
  .map((s) => buildHistory(s));

/** Constraints a cluster may carry, Masterminds syntax included. */
const arbConstraint = fc.constantFrom(
  ">= 0.0.0-0",
  ">= 0.0.0",
  "~0.0.2",
  "^0.0.3",
  "< 0.0.4",
  ">=0.0.2, <0.0.5-0",
  "0.0.x",
  "*",
  "!= 0.0.3",
);

/** Clusters, some suspended, some with a semverFilter. */
const arbClusters = fc
  .array(
    fc.record({
      name: fc.constantFrom("a", "b", "c", "d", "e"),
      role: fc.constantFrom("integration" as const, "live" as const),
      semver: arbConstraint,
      suspended: fc.boolean(),
      semverFilter: fc.option(fc.constantFrom("-rc\\.", "^0\\.0\\.[1-3]"), { nil: undefined }),
    }),
    { maxLength: 5 },
  )
  .map((cs) => {
    const seen = new Set<string>();
    return cs
      .filter((c) => !seen.has(c.name) && seen.add(c.name))
      .map((c): PinCluster =>
        c.semverFilter === undefined
          ? { name: c.name, role: c.role, semver: c.semver, suspended: c.suspended }
          : { ...c, semverFilter: c.semverFilter },
      );
  });

/** Tags that are neither versions nor configured floating tags, on new or existing digests. */
const arbJunk = fc.array(fc.tuple(fc.stringMatching(/^junk-[a-z0-9]{1,8}$/), fc.nat(30)), {
  maxLength: 20,
});

const arbInput = fc
  .record({ builds: arbHistory, clusters: arbClusters, keepStable: fc.integer({ min: 1, max: 6 }) })
  .map(({ builds, clusters, keepStable }): AllowlistInput => ({
    clusters,
    floatingTags: ["latest"],
    keepStable,
    startVersion: "0.0.1",
    tags: builds.length
      ? new Map([...tagMap(builds), ["latest", fakeDigest("build-1")]])
      : new Map(),
  }));

describe("pins: properties", () => {
  it("every cluster's selected digest is protected (suspended ones too)", () => {
    fc.assert(
      fc.property(arbInput, (inp) => {
        const a = computeAllowlist(inp);
        const protectedSet = new Set(a.digests.map((d) => d.digest));
        for (const c of inp.clusters) {
          const sel = selectTag([...inp.tags.keys()], c.semver, c.semverFilter);
          if (sel !== undefined)
            assert.ok(protectedSet.has(inp.tags.get(sel) as string), `${c.name} selects ${sel}`);
        }
      }),
    );
  });

  it("every tag on a protected digest is listed", () => {
    fc.assert(
      fc.property(arbInput, (inp) => {
        const a = computeAllowlist(inp);
        for (const d of a.digests) {
          const onDigest = [...inp.tags]
            .filter(([, dg]) => dg === d.digest)
            .map(([t]) => t)
            .sort();
          assert.deepEqual(d.tags, onDigest);
        }
      }),
    );
  });

  it("adding unrelated tags never unprotects a digest", () => {
    fc.assert(
      fc.property(arbInput, arbJunk, (inp, junk) => {
        const before = computeAllowlist(inp).digests.map((d) => d.digest);
        const digests = [...new Set(inp.tags.values())];
        const tags = new Map(inp.tags);
        for (const [t, i] of junk) tags.set(t, digests[i] ?? fakeDigest(`junk-${i}`));
        const after = new Set(computeAllowlist({ ...inp, tags }).digests.map((d) => d.digest));
        for (const d of before) assert.ok(after.has(d), d);
      }),
    );
  });

  it("output is byte-stable under permutation of every input list", () => {
    fc.assert(
      fc.property(arbInput, fc.nat(), (inp, seed) => {
        const shuffle = <T>(xs: readonly T[]): T[] => {
          const out = [...xs];
          let s = seed + 1;
          for (let i = out.length - 1; i > 0; i--) {
            s = (s * 1103515245 + 12345) % 2147483648;
            const j = s % (i + 1);
            [out[i], out[j]] = [out[j] as T, out[i] as T];
          }
          return out;
        };
        const permuted: AllowlistInput = {
          ...inp,
          clusters: shuffle(inp.clusters),
          floatingTags: shuffle([...inp.floatingTags, ...inp.floatingTags]),
          tags: new Map(shuffle([...inp.tags])),
        };
        const a = computeAllowlist(inp);
        const b = computeAllowlist(permuted);
        assert.deepEqual(b, a);
        assert.equal(formatLines(b, "container/p/p"), formatLines(a, "container/p/p"));
        assert.equal(formatGhcr(b), formatGhcr(a));
      }),
    );
  });
});
