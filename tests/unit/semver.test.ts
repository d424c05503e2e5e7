/** Masterminds/semver v3.5.0 as Flux uses it: tag parsing, precedence, constraints (lib/flux/semver.ts). */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  compareVersions,
  ConstraintError,
  parseConstraint,
  parseFluxTag,
  parseVersion,
} from "../../lib/flux/semver";
import { anyTag, constraintText, prerelease } from "../support/fluxArbitraries";

function v(tag: string) {
  const p = parseFluxTag(tag);
  assert.ok(p, `${tag} should parse`);
  return p;
}

describe("parseFluxTag (fluxcd/pkg/version.ParseVersion + Masterminds NewVersion)", () => {
  const accepted: [string, number, number, number, (string | number)[], string][] = [
    ["1.2.3", 1, 2, 3, [], ""],
    ["v1.2.3", 1, 2, 3, [], ""],
    ["1.2.3-rc.10", 1, 2, 3, ["rc", 10], ""],
    ["1.2.3-rc10", 1, 2, 3, ["rc10"], ""],
    ["01.02.03", 1, 2, 3, [], ""], // CoerceNewVersion: leading zeros allowed in the core
    ["v2025.02.03-rc.1", 2025, 2, 3, ["rc", 1], ""],
    ["1.2.3+build.7", 1, 2, 3, [], "build.7"],
    ["1.2.3-rc.1+sha.abc", 1, 2, 3, ["rc", 1], "sha.abc"],
    ["1.2-rc.1.0", 1, 2, 0, ["rc", 1, 0], ""], // two dots anywhere pass SplitN; minor/patch optional
    ["1-rc.1.2", 1, 0, 0, ["rc", 1, 2], ""],
    ["1.2+a.b", 1, 2, 0, [], "a.b"],
    ["1.2.3-x-y.-", 1, 2, 3, ["x-y", "-"], ""],
  ];
  for (const [tag, major, minor, patch, pre, meta] of accepted) {
    it(`accepts ${tag}`, () => {
      const p = v(tag);
      assert.deepEqual(
        [p.major, p.minor, p.patch, [...p.prerelease], p.metadata, p.original],
        [major, minor, patch, pre, meta, tag],
      );
    });
  }

  const rejected: [string, string][] = [
    ["1.2", "two parts"],
    ["v1.2", "two parts with v"],
    ["1", "one part"],
    ["1.2.3.4", "four parts"],
    ["V1.2.3", "upper-case V"],
    ["latest", "a word"],
    ["sha-abc1234", "a floating tag"],
    ["1.2.3-rc.01", "numeric pre-release identifier with a leading zero"],
    ["1.2.3-rc..1", "empty pre-release identifier"],
    ["1.2.3-", "empty pre-release"],
    ["1.2.3+", "empty metadata"],
    ["1.2.3+a..b", "empty metadata identifier"],
    ["1.2.3_rc.1", "underscore"],
    [" 1.2.3", "leading space"],
    ["18446744073709551616.0.0", "major above uint64"],
    ["", "empty"],
    [`1.2.3-${"a".repeat(251)}`, "longer than MaxVersionLen (256)"],
  ];
  for (const [tag, why] of rejected) {
    it(`skips ${JSON.stringify(tag.length > 30 ? `${tag.slice(0, 30)}...` : tag)} (${why})`, () => {
      assert.equal(parseFluxTag(tag), undefined);
    });
  }

  it("accepts uint64 max exactly and keeps it comparable", () => {
    const max = v("18446744073709551615.0.0");
    const below = v("18446744073709551614.0.0");
    assert.equal(compareVersions(max, below), 1);
  });

  it("accepts exactly 256 bytes", () => {
    assert.ok(parseFluxTag(`1.2.3-${"a".repeat(250)}`));
  });
});

describe("compareVersions (Masterminds Version.Compare)", () => {
  const ordered: [string, string][] = [
    ["1.0.0-rc.9", "1.0.0-rc.10"], // numeric identifiers compare numerically
    ["1.0.0-rc10", "1.0.0-rc9"], // alphanumeric ones bytewise: rc10 < rc9
    ["1.0.0-rc.99", "1.0.0-rc.a"], // numbers below words
    ["1.0.0-rc", "1.0.0-rc.0"], // a longer pre-release wins
    ["1.0.0-RC.1", "1.0.0-rc.1"], // bytewise: upper case first
    ["1.0.0-rc.1", "1.0.0"], // a pre-release below its release
    ["1.0.0", "1.0.1-0"],
    ["1.9.0", "1.10.0"],
    ["1.0.0-18446744073709551615", "1.0.0-18446744073709551616"], // beyond uint64: compared as text, above numbers
    ["9.0.0", "10.0.0"],
  ];
  for (const [lo, hi] of ordered) {
    it(`${lo} < ${hi}`, () => {
      assert.equal(compareVersions(v(lo), v(hi)), -1);
      assert.equal(compareVersions(v(hi), v(lo)), 1);
    });
  }
  const equal: [string, string][] = [
    ["v1.0.0", "1.0.0"],
    ["1.0.0+a", "1.0.0+b"],
    ["01.0.0", "1.0.0"],
    ["1.2-rc.1", "1.2.0-rc.1"],
  ];
  for (const [a, b] of equal) {
    it(`${a} == ${b} (v prefix, metadata, leading zeros and short forms are ignored)`, () => {
      assert.equal(compareVersions(v(a), v(b)), 0);
    });
  }

  it("is a total order: antisymmetric and transitive on generated versions", () => {
    const version = anyTag.map((t) => parseVersion(t)).filter((x) => x !== undefined);
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        assert.equal(compareVersions(a, b) + compareVersions(b, a), 0); // not -x: -0 is not 0 to assert.equal
        if (compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0)
          assert.ok(compareVersions(a, c) <= 0);
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 500) },
    );
  });

  it("ranks every pre-release below its release", () => {
    fc.assert(
      fc.property(prerelease, (pre) => {
        const r = parseVersion(`1.2.3-${pre}`);
        fc.pre(r !== undefined);
        assert.equal(compareVersions(r, v("1.2.3")), -1);
      }),
    );
  });
});

describe("parseConstraint / check (Masterminds Constraints)", () => {
  // [constraint, admitted, not admitted]
  const table: [string, string[], string[]][] = [
    [">= 0.0.0-0", ["1.3.0-rc.1", "0.0.1-rc.1", "1.0.0", "0.0.0-0"], []],
    [">= 0.0.0", ["1.0.0", "0.0.0"], ["1.3.0-rc.1", "0.0.1-rc.1"]],
    [">= 1.2.3-rc.1", ["5.0.0-alpha", "1.2.3-rc.2", "1.2.3"], ["1.2.3-rc.0", "1.2.2"]], // pre-releases of ANY version
    ["1.2.3", ["1.2.3", "v1.2.3", "1.2.3+meta"], ["1.2.4", "1.2.3-rc.1"]],
    ["=1.2.3", ["1.2.3"], ["1.2.2"]],
    ["!=1.2.3", ["1.2.4", "0.1.0"], ["1.2.3", "1.2.4-rc.1"]],
    ["!= 1.2.x", ["1.3.0", "2.2.0"], ["1.2.0", "1.2.9"]],
    ["> 1.2.3", ["1.2.4", "2.0.0"], ["1.2.3", "1.2.4-rc.1"]],
    ["> 1.2", ["1.3.0"], ["1.2.9"]], // patch-dirty: needs a higher minor
    ["> 1", ["2.0.0"], ["1.9.9"]], // minor-dirty: needs a higher major
    ["< 1.2.3", ["1.2.2", "0.0.1"], ["1.2.3", "1.2.3-rc.1"]],
    ["<= 1.2.3", ["1.2.3"], ["1.2.4"]],
    ["=< 1.2", ["1.2.9", "0.5.0"], ["1.3.0"]],
    ["<= 1.x", ["1.99.0"], ["2.0.0"]],
    ["=> 1.2.3", ["1.2.3"], ["1.2.2"]],
    ["~1.2.3", ["1.2.3", "1.2.9"], ["1.3.0", "1.2.2"]],
    ["~1.2", ["1.2.0", "1.2.9"], ["1.3.0"]],
    ["~1", ["1.0.0", "1.9.0"], ["2.0.0"]],
    ["~>1.2", ["1.2.5"], ["1.3.0"]],
    ["~0.0.0", ["0.0.0", "7.1.2", "0.5.0"], ["1.0.0-rc.1"]], // the special case: >= 0.0.0
    ["~0.0", ["0.0.5"], ["0.1.0"]],
    ["^1.2.3", ["1.2.3", "1.9.0"], ["2.0.0", "1.2.2"]],
    ["^0.2.3", ["0.2.9"], ["0.3.0", "0.2.2"]],
    ["^0.0.3", ["0.0.3"], ["0.0.4"]],
    ["^0.0", ["0.0.9"], ["0.1.0"]],
    ["^0", ["0.9.9"], ["1.0.0"]],
    ["^0.x", ["0.0.1", "0.9.0"], ["1.0.0"]],
    ["^1.x", ["1.5.0"], ["2.0.0"]],
    ["1.2.x", ["1.2.0", "1.2.99"], ["1.3.0"]],
    ["1.X", ["1.0.0", "1.7.2"], ["2.0.0"]],
    ["1.*", ["1.4.4"], ["0.9.0"]],
    ["*", ["0.0.0", "99.0.0"], ["1.0.0-rc.1"]],
    ["x", ["3.2.1"], []],
    ["1.2 - 1.4.5", ["1.2.0", "1.4.5"], ["1.4.6", "1.1.9"]], // hyphen range: >= 1.2, <= 1.4.5
    ["1.2.3 - 2", ["2.9.9"], ["3.0.0"]], // <= 2 is <= 2.x
    [">= 1.0.0, < 2.0.0", ["1.5.0"], ["2.0.0"]], // comma AND
    [">= 1.0.0 < 2.0.0", ["1.5.0"], ["2.0.0"]], // space AND
    [">=1.0.0,<2.0.0", ["1.0.0"], ["0.9.0"]],
    ["< 1.0.0 || >= 3.0.0", ["0.5.0", "3.1.0"], ["2.0.0"]], // OR
    ["1.x || >= 2.0.0-0", ["1.5.0", "2.1.0-rc.1"], ["1.5.0-rc.1"]], // pre-releases only for the group that asks
    [">= 1.0.0-0 < 2.0.0", ["1.5.0-rc.1", "1.0.0-0", "2.0.0-rc.1"], ["2.0.0"]], // 2.0.0-rc.1 < 2.0.0
    ["v1.2.3", ["1.2.3"], []],
    ["1.2.3-rc.1", ["1.2.3-rc.1"], ["1.2.3-rc.2", "1.2.3"]],
    ["~1.2.3-0", ["1.2.3-rc.1", "1.2.4-rc.1"], ["1.3.0-rc.1"]],
  ];
  for (const [c, yes, no] of table) {
    it(`${JSON.stringify(c)} admits ${yes.join(" ") || "-"} and not ${no.join(" ") || "-"}`, () => {
      const pc = parseConstraint(c);
      for (const t of yes) assert.equal(pc.check(v(t)), true, `${c} should admit ${t}`);
      for (const t of no) assert.equal(pc.check(v(t)), false, `${c} should not admit ${t}`);
    });
  }

  const malformed: [string, string][] = [
    ["", 'improper constraint: ""'],
    ["latest", 'improper constraint: "latest"'],
    [">= 1.0.0 ||", 'improper constraint: ""'],
    [">== 1.0.0", 'improper constraint: ">== 1.0.0"'],
    [">= 1.0.0 &&  2", 'improper constraint: ">= 1.0.0 &&  2"'],
    [">= 1|2", "constraint parser error"], // Masterminds' number class admits `|`; the version parse then fails
    [">= 1.0.0-01", "constraint parser error"],
    [`>= ${"1".repeat(513)}`, "constraint string is too long (max 512 bytes)"],
    [Array(33).fill("1.0.0").join(" || "), "too many constraint groups (max 32)"],
    ["1.0.0\t|| \u0001", 'improper constraint: " \\x01"'],
  ];
  for (const [c, message] of malformed) {
    it(`rejects ${JSON.stringify(c.length > 40 ? `${c.slice(0, 40)}...` : c)}: ${message}`, () => {
      assert.throws(
        () => parseConstraint(c),
        (e: unknown) => e instanceof ConstraintError && e.message === message,
      );
    });
  }

  it("rejects a 512-byte run of spaces quickly (no catastrophic backtracking)", () => {
    const start = performance.now();
    assert.throws(() => parseConstraint(`>=1${" ".repeat(500)}!`), ConstraintError);
    assert.ok(performance.now() - start < 300, `${performance.now() - start} ms`);
  });

  it("keeps the source text", () => {
    assert.equal(parseConstraint(" >=1.0.0 ").source, " >=1.0.0 ");
  });
});

describe("admitsPrerelease", () => {
  const table: [string, boolean][] = [
    [">= 0.0.0-0", true],
    [">= 0.0.0", false],
    ["*", false],
    ["~0.0.0", false],
    ["^0.x", false],
    ["1.2 - 2.3", false],
    [">= 1.0.0-rc.1", true],
    ["1.x || >= 2.0.0-0", true],
    ["< 1.0.0 || > 2.0.0", false],
    [">= 1.0.0-0 < 1.0.0-0", false], // a pre-release comparator, but nothing satisfies the group
    [">= 1.0.0-rc.1 <= 1.0.0-rc.1 != 1.0.0-rc.1", false],
    [">= 1.0.0-rc.1 <= 1.0.0-rc.1", true],
    ["1.2.3-rc.1", true],
    ["!=1.2.x-0 >1.2.4 <1.2.6-0", true], // only 1.2.5-0.0 and above fit: the successor step matters
    ["^1.2.3-0", true],
    ["> 2.0.0-0 < 1.0.0", false],
  ];
  for (const [c, expected] of table) {
    it(`${JSON.stringify(c)} -> ${expected}`, () =>
      assert.equal(parseConstraint(c).admitsPrerelease(), expected));
  }

  it("is true whenever some generated pre-release version is admitted (no false negatives)", () => {
    const preVersion = fc
      .tuple(fc.nat(4), fc.nat(4), fc.nat(4), prerelease)
      .map(([a, b, c, p]) => parseVersion(`${a}.${b}.${c}-${p}`))
      .filter((x) => x !== undefined);
    fc.assert(
      fc.property(constraintText, fc.array(preVersion, { maxLength: 30 }), (c, versions) => {
        let pc;
        try {
          pc = parseConstraint(c);
        } catch {
          return;
        }
        if (versions.some((x) => pc.check(x))) assert.equal(pc.admitsPrerelease(), true, c);
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 400) },
    );
  });
});
