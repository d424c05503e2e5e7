/** RC allocation and revision parsing (lib/promotion/versions.ts, DESIGN section 2). */
import assert from "node:assert/strict";
import fc from "fast-check";
import { selectTag } from "../../lib/flux/select";
import { parseConstraint, parseFluxTag } from "../../lib/flux/semver";
import { nextVersion, parseRevision, VersionError } from "../../lib/promotion/versions";
import { anyTag, pipelineTag } from "../support/fluxArbitraries";

describe("nextVersion", () => {
  const table: [string, string[], string | undefined, string][] = [
    ["empty registry", [], undefined, "0.0.1-rc.1"],
    ["empty registry with a start version", [], "1.0.0", "1.0.0-rc.1"],
    ["start version ignored once a stable exists", ["0.3.0"], "1.0.0", "0.3.1-rc.1"],
    ["RCs of the start version counted", ["0.0.1-rc.1", "0.0.1-rc.2"], undefined, "0.0.1-rc.3"],
    ["patch bump of the highest stable", ["1.2.0", "1.10.0", "1.9.3"], undefined, "1.10.1-rc.1"],
    [
      "RCs of older versions do not count",
      ["1.2.0", "1.2.0-rc.7", "1.1.9-rc.3"],
      undefined,
      "1.2.1-rc.1",
    ],
    [
      "rc.10 beats rc.9 numerically",
      ["1.0.0", "1.0.1-rc.9", "1.0.1-rc.10"],
      undefined,
      "1.0.1-rc.11",
    ],
    ["rc10 (no dot) is not ours", ["1.0.0", "1.0.1-rc10", "1.0.1-rc.2"], undefined, "1.0.1-rc.3"],
    [
      "RC.3, rc.3.1, rc-3 are not ours",
      ["1.0.0", "1.0.1-RC.3", "1.0.1-rc.3.1", "1.0.1-rc-3"],
      undefined,
      "1.0.1-rc.1",
    ],
    ["v-prefixed RC of the version counts", ["1.0.0", "v1.0.1-rc.4"], undefined, "1.0.1-rc.5"],
    ["RC with metadata counts", ["1.0.0", "1.0.1-rc.4+sha.1"], undefined, "1.0.1-rc.5"],
    ["v-prefixed stable counts, output has no v", ["v2.0.0", "1.0.0"], undefined, "2.0.1-rc.1"],
    ["stable with metadata counts", ["2.0.0+build.1"], undefined, "2.0.1-rc.1"],
    ["leading zeros read as Flux reads them", ["01.02.03"], undefined, "1.2.4-rc.1"],
    [
      "floating and invalid tags ignored",
      ["latest", "sha-abc1234", "validated-abc1234", "1.2", "1.2.3.4"],
      undefined,
      "0.0.1-rc.1",
    ],
    [
      "a pre-release of a higher version does not raise the base",
      ["1.0.0", "5.0.0-rc.1"],
      undefined,
      "1.0.1-rc.1",
    ],
    [
      "huge numbers stay exact",
      ["9007199254740993.0.9007199254740993"],
      undefined,
      "9007199254740993.0.9007199254740994-rc.1",
    ],
    [
      "registry gaps: N from the highest, not a count",
      ["1.0.0", "1.0.1-rc.1", "1.0.1-rc.5"],
      undefined,
      "1.0.1-rc.6",
    ],
  ];
  for (const [name, tags, start, expected] of table) {
    it(`${name}: ${JSON.stringify(tags)}${start ? ` start ${start}` : ""} -> ${expected}`, () => {
      assert.equal(nextVersion(tags, start === undefined ? {} : { startVersion: start }), expected);
    });
  }

  for (const bad of ["1.0", "v1.0.0", "1.0.0-rc.1", "01.0.0", " 1.0.0", ""]) {
    it(`refuses start version ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => nextVersion([], { startVersion: bad }),
        (e: unknown) =>
          e instanceof VersionError &&
          e.message ===
            `start version ${JSON.stringify(bad)} must be a stable X.Y.Z (e.g. "0.0.1" or "1.0.0").`,
      );
    });
  }

  it("refuses to bump past uint64", () => {
    assert.throws(() => nextVersion(["1.0.18446744073709551615"]), VersionError);
  });

  const anyRegistry = fc.array(fc.oneof(pipelineTag, anyTag), { maxLength: 60 });
  /** Without a patch of 2^64-1, the one case nextVersion refuses. */
  const registry = anyRegistry.filter(
    (tags) => !tags.some((t) => t.includes("18446744073709551615")),
  );
  const integration = parseConstraint(">= 0.0.0-0");
  const live = parseConstraint(">= 0.0.0");

  it("never returns an existing tag", () => {
    fc.assert(
      fc.property(anyRegistry, (tags) => {
        let v;
        try {
          v = nextVersion(tags);
        } catch (e) {
          // The one refusal: a patch of 2^64-1 cannot be bumped (Masterminds would not parse the result).
          assert.match(String(e), /largest uint64/);
          return;
        }
        assert.ok(!tags.includes(v));
      }),
      { numRuns: 1000 },
    );
  });

  it("is admitted by >= 0.0.0-0 and not by >= 0.0.0", () => {
    fc.assert(
      fc.property(registry, (tags) => {
        const v = parseFluxTag(nextVersion(tags))!;
        assert.equal(integration.check(v), true);
        assert.equal(live.check(v), false);
      }),
      { numRuns: 500 },
    );
  });

  it("has the form X.Y.Z-rc.N without leading zeros", () => {
    fc.assert(
      fc.property(registry, (tags) =>
        assert.match(nextVersion(tags), /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)-rc\.[1-9]\d*$/),
      ),
    );
  });

  /** A pipeline history: builds push the next RC (+ sha-/integration- tags); promotions tag integration's pick X.Y.Z. */
  const history = fc.array(fc.constantFrom("build", "build", "promote"), { maxLength: 40 });

  it("in any pipeline history, integration selects each new RC and live each promotion", () => {
    fc.assert(
      fc.property(history, (ops) => {
        const reg: string[] = [];
        ops.forEach((op, i) => {
          if (op === "build") {
            const v = nextVersion(reg);
            reg.push(
              v,
              `sha-${String(i).padStart(7, "0")}`,
              `integration-${String(i).padStart(7, "0")}`,
            );
            assert.equal(selectTag(reg, ">= 0.0.0-0"), v);
          } else {
            const rc = selectTag(reg, ">= 0.0.0-0");
            if (rc === undefined || !rc.includes("-rc.")) return; // nothing pending: a no-op
            const stable = rc.split("-")[0]!;
            reg.push(stable);
            assert.equal(selectTag(reg, ">= 0.0.0"), stable);
            assert.equal(selectTag(reg, ">= 0.0.0-0"), stable); // integration moves to X.Y.Z too
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  it("successive builds allocate strictly increasing, distinct versions", () => {
    fc.assert(
      fc.property(
        fc.array(pipelineTag, { maxLength: 30 }),
        fc.integer({ min: 2, max: 6 }),
        (tags, builds) => {
          const reg = [...tags];
          const seen = new Set<string>();
          for (let i = 0; i < builds; i++) {
            const v = nextVersion(reg);
            assert.ok(!seen.has(v));
            seen.add(v);
            reg.push(v);
          }
        },
      ),
    );
  });

  it("does not depend on tag order", () => {
    fc.assert(
      fc.property(
        registry.chain((t) =>
          fc.tuple(fc.constant(t), fc.shuffledSubarray(t, { minLength: t.length })),
        ),
        ([a, b]) => {
          assert.equal(nextVersion(a), nextVersion(b));
        },
      ),
    );
  });
});

describe("parseRevision", () => {
  const digest = `sha256:${"ab".repeat(32)}`;
  it("splits <tag>@sha256:<hex>", () => {
    assert.deepEqual(parseRevision(`1.2.3-rc.4@${digest}`), { tag: "1.2.3-rc.4", digest });
  });
  const bad: [string, string][] = [
    ["1.2.3", "no @"],
    [`1.2.3@${digest}@x`, "two @"],
    [`@${digest}`, "empty tag"],
    [`1.2.3@sha256:${"AB".repeat(32)}`, "upper-case hex"],
    [`1.2.3@sha256:${"ab".repeat(31)}`, "short digest"],
    [`1.2.3@sha512:${"ab".repeat(64)}`, "other algorithm"],
    [`-rc@${digest}`, "tag starts with -"],
    [`a/b@${digest}`, "slash in tag"],
    [`${"a".repeat(129)}@${digest}`, "tag longer than 128"],
    [`main@sha1:${"ab".repeat(20)}`, "a Git revision"],
  ];
  for (const [rev, why] of bad) {
    it(`rejects ${why}`, () => assert.throws(() => parseRevision(rev), VersionError));
  }
  it("names the value in the message", () => {
    assert.throws(
      () => parseRevision("1.2.3"),
      /revision "1\.2\.3" must be <tag>@sha256:<64 hex digits>/,
    );
  });
});
