/** Flux tag selection (lib/flux/select.ts): the DESIGN section 3 table and properties. */
import assert from "node:assert/strict";
import fc from "fast-check";
import semver from "semver";
import {
  explainSelection,
  selectTag,
  RegexSyntaxError,
  ConstraintError,
} from "../../lib/flux/select";
import { compareVersions, parseConstraint, parseFluxTag } from "../../lib/flux/semver";
import { anyTag, constraintText, pipelineTag, stableTag } from "../support/fluxArbitraries";

describe("selectTag: DESIGN section 3 edge cases", () => {
  // [tags, constraint, filter, expected]
  const table: [string, string[], string, string | undefined, string | undefined][] = [
    [
      "rc.10 above rc.9 (numeric identifiers)",
      ["1.0.0-rc.9", "1.0.0-rc.10", "1.0.0-rc.2"],
      ">= 0.0.0-0",
      undefined,
      "1.0.0-rc.10",
    ],
    [
      "rc9 above rc10 (alphanumeric, bytewise)",
      ["1.0.0-rc10", "1.0.0-rc9"],
      ">= 0.0.0-0",
      undefined,
      "1.0.0-rc9",
    ],
    [
      "integration takes an RC of a newer version",
      ["1.2.0", "1.3.0-rc.1"],
      ">= 0.0.0-0",
      undefined,
      "1.3.0-rc.1",
    ],
    [
      "integration moves to X.Y.Z after promotion",
      ["1.3.0-rc.1", "1.3.0-rc.2", "1.3.0"],
      ">= 0.0.0-0",
      undefined,
      "1.3.0",
    ],
    ["live ignores RCs", ["1.2.0", "1.3.0-rc.1"], ">= 0.0.0", undefined, "1.2.0"],
    [
      "live with only RCs selects nothing",
      ["1.3.0-rc.1", "sha-abc1234"],
      ">= 0.0.0",
      undefined,
      undefined,
    ],
    [
      "v prefix is a version and is returned as written",
      ["1.0.0", "v1.1.0"],
      ">= 0.0.0",
      undefined,
      "v1.1.0",
    ],
    [
      "v1.0.0 vs 1.0.0: Go's sort keeps registry order for short lists",
      ["v1.0.0", "1.0.0"],
      ">= 0.0.0",
      undefined,
      "v1.0.0",
    ],
    ["1.0.0 vs v1.0.0, other order", ["1.0.0", "v1.0.0"], ">= 0.0.0", undefined, "1.0.0"],
    ["4-part tags skipped", ["1.0.0", "1.0.0.1", "2.0.0.0"], ">= 0.0.0", undefined, "1.0.0"],
    ["2-part tags skipped", ["1.0.0", "2.0", "v3.1"], ">= 0.0.0", undefined, "1.0.0"],
    [
      "floating tags skipped",
      ["latest", "sha-1234567", "integration-1234567", "0.1.0"],
      "*",
      undefined,
      "0.1.0",
    ],
    [
      "2-part with pre-release and 2 dots is a version",
      ["1.0.0", "1.2-rc.1.0"],
      ">= 0.0.0-0",
      undefined,
      "1.2-rc.1.0",
    ],
    ["leading zeros are versions", ["1.0.0", "02.0.0"], ">= 0.0.0", undefined, "02.0.0"],
    [
      "build metadata ignored for precedence",
      ["1.0.0+b", "1.0.1+a"],
      ">= 0.0.0",
      undefined,
      "1.0.1+a",
    ],
    [">= 0.0.0-0 admits 1.3.0-rc.1", ["1.3.0-rc.1"], ">= 0.0.0-0", undefined, "1.3.0-rc.1"],
    [
      ">= 0.0.0 admits no pre-release",
      ["1.3.0-rc.1", "0.0.1-rc.1"],
      ">= 0.0.0",
      undefined,
      undefined,
    ],
    ["OR groups", ["1.5.0", "2.5.0", "3.5.0"], "1.x || 3.x", undefined, "3.5.0"],
    [
      "OR with one pre-release group",
      ["1.5.0-rc.1", "2.0.0-rc.1"],
      "1.x || >= 2.0.0-0",
      undefined,
      "2.0.0-rc.1",
    ],
    ["wildcard minor", ["1.2.9", "1.3.0", "2.0.0"], "1.x", undefined, "1.3.0"],
    ["wildcard patch", ["1.2.9", "1.3.0"], "1.2.*", undefined, "1.2.9"],
    ["hyphen range", ["1.4.5", "1.4.6", "1.1.0"], "1.2 - 1.4.5", undefined, "1.4.5"],
    ["tilde short form", ["1.2.9", "1.3.0"], "~1.2", undefined, "1.2.9"],
    ["caret short form", ["1.9.0", "2.0.0"], "^1", undefined, "1.9.0"],
    ["caret zero", ["0.2.9", "0.3.0"], "^0.2", undefined, "0.2.9"],
    ["~0.0.0 means >= 0.0.0", ["0.0.1", "5.0.0", "6.0.0-rc.1"], "~0.0.0", undefined, "5.0.0"],
    ["!= excludes exactly", ["1.0.0", "1.0.1"], "!= 1.0.1", undefined, "1.0.0"],
    ["comma AND", ["1.0.0", "1.5.0", "2.0.0"], ">= 1.0.0, < 2.0.0", undefined, "1.5.0"],
    ["filter keeps matching tags only", ["v1.0.0", "2.0.0"], ">= 0.0.0", "^v", "v1.0.0"],
    [
      "filter is unanchored (MatchString)",
      ["1.0.0-rc.1", "2.0.0"],
      ">= 0.0.0-0",
      "rc",
      "1.0.0-rc.1",
    ],
    ["filter (?i) flag", ["1.0.0-RC.1", "2.0.0-beta.1"], ">= 0.0.0-0", "(?i)-rc", "1.0.0-RC.1"],
    ["filter POSIX class", ["1.0.0", "2.0.0-x"], ">= 0.0.0-0", "^[[:digit:].]+$", "1.0.0"],
    ["filter \\d is ASCII", ["1.0.0", "2.0.0"], ">= 0.0.0", "^1\\.\\d", "1.0.0"],
    ["empty filter means none", ["1.0.0", "2.0.0"], ">= 0.0.0", "", "2.0.0"],
    ["filter excludes everything", ["1.0.0"], ">= 0.0.0", "^x", undefined],
    ["no tags", [], ">= 0.0.0", undefined, undefined],
  ];
  for (const [name, tags, c, filter, expected] of table) {
    it(`${name}: ${JSON.stringify(tags)} ${c}${filter !== undefined ? ` filter ${filter}` : ""} -> ${expected ?? "none"}`, () => {
      assert.equal(selectTag(tags, c, filter), expected);
    });
  }

  it("malformed constraint throws ConstraintError even with no tags", () => {
    assert.throws(() => selectTag([], ">= banana"), ConstraintError);
  });

  it("a filter Go rejects throws RegexSyntaxError with Go's message (lookahead)", () => {
    assert.throws(
      () => selectTag(["1.0.0"], ">= 0.0.0", "^(?=1)"),
      (e: unknown) =>
        e instanceof RegexSyntaxError &&
        e.message === "error parsing regexp: invalid or unsupported Perl syntax: `(?=`",
    );
  });

  it("filter errors come before constraint errors (Go order)", () => {
    assert.throws(() => selectTag(["1.0.0"], "bad", "("), RegexSyntaxError);
  });

  it("ties among many equal-precedence tags follow Go's pdqsort (answer taken from tools/flux-oracle)", () => {
    // 13+ elements: Go's sort.Sort leaves insertion sort; the first listed equal tag is not the one selected.
    const tags = [
      "1.0.0+a",
      "v1.0.0",
      "1.0.0+b",
      "1.0.0",
      "01.0.0",
      ...Array.from({ length: 10 }, (_, i) => `0.${i}.0`),
    ];
    const e = explainSelection(tags, ">= 0.0.0");
    assert.equal(e.selected, "v1.0.0");
    assert.deepEqual([...e.ties].sort(), ["01.0.0", "1.0.0", "1.0.0+a", "1.0.0+b"]);
  });
});

describe("explainSelection", () => {
  it("counts filtered, invalid, considered and admitted tags", () => {
    const e = explainSelection(
      ["1.0.0", "v1.1.0", "latest", "1.2", "2.0.0-rc.1", "x1.0.0"],
      ">= 0.0.0",
      "^[v0-9l]",
    );
    assert.deepEqual(e, {
      selected: "v1.1.0",
      total: 6,
      filteredOut: 1,
      considered: 3,
      skippedInvalid: 2,
      admitted: 2,
      ties: [],
    });
  });
});

/** Strict X.Y.Z without leading zeros: the tags on which Masterminds and node-semver agree for release ranges. */
const releaseTags = fc.uniqueArray(stableTag, { maxLength: 40 });
const simpleRange = fc
  .tuple(fc.constantFrom(">=", ">", "<", "<=", "^", "~", ""), stableTag)
  .map(([op, ver]) => `${op}${ver}`)
  // Masterminds' documented special case: ~0.0.0 is >= 0.0.0 (node-semver: < 0.1.0).
  .filter((r) => r !== "~0.0.0");

describe("selectTag properties", () => {
  it("on release-only tags and plain ranges equals node-semver maxSatisfying", () => {
    fc.assert(
      fc.property(
        releaseTags,
        fc.array(simpleRange, { minLength: 1, maxLength: 2 }),
        (tags, parts) => {
          const c = parts.join(" ");
          assert.equal(selectTag(tags, c), semver.maxSatisfying(tags, c) ?? undefined, c);
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 500) },
    );
  });

  it("the selected tag is admitted and no admitted tag ranks above it", () => {
    fc.assert(
      fc.property(fc.array(anyTag, { maxLength: 40 }), constraintText, (tags, c) => {
        let pc;
        try {
          pc = parseConstraint(c);
        } catch {
          return;
        }
        const selected = selectTag(tags, c);
        const admitted = tags.map(parseFluxTag).filter((v) => v !== undefined && pc.check(v));
        if (selected === undefined) return assert.equal(admitted.length, 0);
        const sv = parseFluxTag(selected)!;
        assert.ok(pc.check(sv));
        for (const a of admitted)
          assert.ok(compareVersions(a!, sv) <= 0, `${a!.original} > ${selected}`);
      }),
      { numRuns: 500 },
    );
  });

  it("does not depend on the order of tags (up to equal precedence)", () => {
    fc.assert(
      fc.property(
        fc
          .array(pipelineTag, { maxLength: 40 })
          .chain((t) => fc.tuple(fc.constant(t), fc.shuffledSubarray(t, { minLength: t.length }))),
        fc.constantFrom(">= 0.0.0-0", ">= 0.0.0", "^1", "~0.1", "1.x || >= 9.0.0-0"),
        ([tags, shuffled], c) => {
          const a = selectTag(tags, c);
          const b = selectTag(shuffled, c);
          assert.equal(a === undefined, b === undefined);
          if (a !== undefined)
            assert.equal(compareVersions(parseFluxTag(a)!, parseFluxTag(b!)!), 0);
        },
      ),
    );
  });

  it("pipeline tags (unique precedence) select the same tag in any order", () => {
    fc.assert(
      fc.property(
        fc
          .uniqueArray(pipelineTag, { maxLength: 60 })
          .chain((t) => fc.tuple(fc.constant(t), fc.shuffledSubarray(t, { minLength: t.length }))),
        ([tags, shuffled]) => {
          assert.equal(selectTag(tags, ">= 0.0.0-0"), selectTag(shuffled, ">= 0.0.0-0"));
        },
      ),
    );
  });

  it(">= 0.0.0-0 selects at or above what >= 0.0.0 selects", () => {
    fc.assert(
      fc.property(fc.array(pipelineTag, { maxLength: 40 }), (tags) => {
        const integration = selectTag(tags, ">= 0.0.0-0");
        const live = selectTag(tags, ">= 0.0.0");
        if (live !== undefined)
          assert.ok(compareVersions(parseFluxTag(integration!)!, parseFluxTag(live)!) >= 0);
      }),
    );
  });
});
