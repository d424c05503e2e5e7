/** Named fast-check arbitraries for Flux tag selection and RC allocation tests. */
import fc from "fast-check";

const smallNum = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom(9, 10, 11, 99, 100));
const numText = fc.oneof(
  smallNum.map(String),
  fc.constantFrom("00", "01", "007", "18446744073709551615", "18446744073709551616", "9007199254740993"),
);

/** A pre-release identifier: numbers (some with leading zeros), rc-style words, hyphens. */
export const prereleaseIdentifier = fc.oneof(
  smallNum.map(String),
  fc.constantFrom("rc", "alpha", "beta", "RC", "rc1", "rc10", "rc9", "0a", "-", "x-y", "01", "18446744073709551616"),
);

export const prerelease = fc.array(prereleaseIdentifier, { minLength: 1, maxLength: 3 }).map((a) => a.join("."));

/** A stable X.Y.Z as the build writes it. */
export const stableTag = fc
  .tuple(smallNum, smallNum, smallNum)
  .map(([a, b, c]) => `${a}.${b}.${c}`);

/** A release candidate X.Y.Z-rc.N as the build writes it. */
export const rcTag = fc
  .tuple(stableTag, fc.integer({ min: 0, max: 12 }))
  .map(([v, n]) => `${v}-rc.${n}`);

/** Tags a real registry of this pipeline holds: stable, rc.N, sha-/integration-/validated- tags, `latest`. */
export const pipelineTag = fc.oneof(
  { weight: 4, arbitrary: stableTag },
  { weight: 4, arbitrary: rcTag },
  { weight: 1, arbitrary: fc.stringMatching(/^(sha|integration|validated)-[0-9a-f]{7}$/) },
  { weight: 1, arbitrary: fc.constant("latest") },
);

/** Anything a registry might hold, including what Flux must skip or treats surprisingly. */
export const anyTag = fc.oneof(
  { weight: 4, arbitrary: pipelineTag },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom("", "", "v", "V"),
        fc.array(numText, { minLength: 1, maxLength: 4 }),
        fc.option(prerelease, { nil: undefined }),
        fc.option(fc.constantFrom("build", "b.1", "sha.abc", "001", "a..b"), { nil: undefined }),
      )
      .map(([v, nums, pre, meta]) => `${v}${nums.join(".")}${pre ? `-${pre}` : ""}${meta ? `+${meta}` : ""}`),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9v.+\-rcx]{1,12}$/) },
);

const cvVersion = fc.oneof(
  fc
    .tuple(
      fc.constantFrom("", "v"),
      fc.oneof(numText, fc.constantFrom("x", "X", "*")),
      fc.option(fc.oneof(numText, fc.constantFrom("x", "*")), { nil: undefined }),
      fc.option(fc.oneof(numText, fc.constantFrom("x", "*")), { nil: undefined }),
      fc.option(prerelease, { nil: undefined }),
    )
    .map(([v, a, b, c, pre]) => {
      let s = `${v}${a}`;
      if (b !== undefined) s += `.${b}`;
      if (b !== undefined && c !== undefined) s += `.${c}`;
      if (pre !== undefined) s += `-${pre}`;
      return s;
    }),
  fc.constantFrom("0.0.0-0", "0.0.0", "1.2.3-rc.1", "1.x-0"),
);

const op = fc.constantFrom("", "=", "!=", ">", "<", ">=", "=>", "<=", "=<", "~", "~>", "^");

/** One comparator such as `>= 1.2.x` or a hyphen range `1.2 - 2.3`. */
export const comparator = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(op, fc.constantFrom("", " "), cvVersion).map(([o, sp, v]) => `${o}${sp}${v}`) },
  { weight: 1, arbitrary: fc.tuple(cvVersion, cvVersion).map(([a, b]) => `${a} - ${b}`) },
);

/** A Masterminds constraint: AND-groups (space or comma) joined by `||`, sometimes malformed on purpose. */
export const constraintText = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(">= 0.0.0-0", ">= 0.0.0", ">=0.0.0-0 <1.0.0", "*", "^1", "~0.1", "1.x || >=9.0.0-0", "!= 0.0.1"),
  },
  {
    weight: 8,
    arbitrary: fc
      .array(
        fc.array(comparator, { minLength: 1, maxLength: 3 }).chain((cs) =>
          fc.constantFrom(" ", ", ", ",").map((sep) => cs.join(sep)),
        ),
        { minLength: 1, maxLength: 3 },
      )
      .map((gs) => gs.join(" || ")),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9x*.<>=!~^|, \-v]{0,14}$/) },
);

/** A semverFilter: common real filters, and fragments Go and JavaScript disagree about. */
export const filterText = fc.oneof(
  fc.constantFrom(
    "",
    "^v",
    "^[0-9]+\\.[0-9]+\\.[0-9]+$",
    "-rc\\.",
    ".*-rc\\.[0-9]+$",
    "(?i)^V",
    "^1\\.",
    "\\d{2}",
    "[[:digit:]]\\.0$",
    "\\pN$",
    "\\Q1.\\E",
    "\\A1",
    "0\\z",
    "(?P<maj>\\d+)\\.",
    "(?=1)",
    "\\1",
    "a**",
    "x{1001}",
    "x{,3}",
    "[]a]",
    "[^\\d.]",
    "\\x{30}",
    "\\060",
    "(?i:RC)",
    "(?s).",
    "(?m)^1",
    "rc|^0",
    "[\\w-]+\\+",
  ),
  fc.stringMatching(/^[\^$.*+?()[\]{}|\\dvrc0-9:,iP<>=!sw-]{0,8}$/),
);
