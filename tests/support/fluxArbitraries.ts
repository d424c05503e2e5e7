/** Named fast-check arbitraries for Flux tag selection and RC allocation tests. */
import fc from "fast-check";

const smallNum = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom(9, 10, 11, 99, 100));
const numText = fc.oneof(
  smallNum.map(String),
  fc.constantFrom(
    "00",
    "01",
    "007",
    "18446744073709551615",
    "18446744073709551616",
    "9007199254740993",
  ),
);

/** A pre-release identifier: numbers (some with leading zeros), rc-style words, hyphens. */
export const prereleaseIdentifier = fc.oneof(
  smallNum.map(String),
  fc.constantFrom(
    "rc",
    "alpha",
    "beta",
    "RC",
    "rc1",
    "rc10",
    "rc9",
    "0a",
    "-",
    "x-y",
    "01",
    "18446744073709551616",
  ),
);

export const prerelease = fc
  .array(prereleaseIdentifier, { minLength: 1, maxLength: 3 })
  .map((a) => a.join("."));

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
      .map(
        ([v, nums, pre, meta]) =>
          `${v}${nums.join(".")}${pre ? `-${pre}` : ""}${meta ? `+${meta}` : ""}`,
      ),
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
  {
    weight: 5,
    arbitrary: fc
      .tuple(op, fc.constantFrom("", " "), cvVersion)
      .map(([o, sp, v]) => `${o}${sp}${v}`),
  },
  { weight: 1, arbitrary: fc.tuple(cvVersion, cvVersion).map(([a, b]) => `${a} - ${b}`) },
);

/** A Masterminds constraint: AND-groups (space or comma) joined by `||`, sometimes malformed on purpose. */
export const constraintText = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      ">= 0.0.0-0",
      ">= 0.0.0",
      ">=0.0.0-0 <1.0.0",
      "*",
      "^1",
      "~0.1",
      "1.x || >=9.0.0-0",
      "!= 0.0.1",
    ),
  },
  {
    weight: 8,
    arbitrary: fc
      .array(
        fc
          .array(comparator, { minLength: 1, maxLength: 3 })
          .chain((cs) => fc.constantFrom(" ", ", ", ",").map((sep) => cs.join(sep))),
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

// ------------------------------------------------------------------------------------------------ Go regexp

const reLiteral = fc.constantFrom(
  ..."abkKsSvVrcRC0129._-+ /:@#=,~'\"&%".split(""),
  ...["é", "É", "ß", "α", "Α", "Σ", "σ", "ς", "K", "ſ", "Ω", "ǅ", "日", "٣", "😀"],
  ...[
    "\\.",
    "\\-",
    "\\+",
    "\\_",
    "\\/",
    "\\$",
    "\\\\",
    "\\^",
    "\\|",
    "\\(",
    "\\[",
    "\\{",
    "\\}",
    "\\*",
    "\\?",
    "\\#",
    "\\ ",
  ],
);

/** The Perl character classes both RE2 and JavaScript know, in and outside brackets. */
const PERL_CLASSES = ["\\d", "\\D", "\\s", "\\S", "\\w", "\\W"];

/** Escapes Go accepts (`\x{1F600}`, octal, `\Q...\E`) and ones it refuses although JavaScript or PCRE take them. */
const reEscape = fc.constantFrom(
  ...[...PERL_CLASSES, "\\b", "\\B", "\\A", "\\z", "\\a", "\\f", "\\t", "\\n", "\\r", "\\v"],
  ...[
    "\\x41",
    "\\x6b",
    "\\x{212A}",
    "\\x{1F600}",
    "\\x{10FFFF}",
    "\\x{110000}",
    "\\x{}",
    "\\x4",
    "\\xg1",
    "\\x{41",
  ],
  ...[
    "\\101",
    "\\0",
    "\\08",
    "\\7",
    "\\8",
    "\\1",
    "\\Q1.*\\E",
    "\\Qa+",
    "\\Q\\E",
    "\\E",
    "\\Q]\\E",
  ],
  ...[
    "\\Z",
    "\\u0041",
    "\\cA",
    "\\k<a>",
    "\\C",
    "\\e",
    "\\G",
    "\\N",
    "\\h",
    "\\R",
    "\\X",
    "\\K",
    "\\y",
    "\\",
    "\\@",
  ],
);

/** Unicode classes: general categories, scripts, negations, and names Go does not know. */
const reUnicodeClass = fc.constantFrom(
  ...[
    "\\pL",
    "\\pN",
    "\\PL",
    "\\pZ",
    "\\pP",
    "\\pS",
    "\\pM",
    "\\pC",
    "\\PN",
    "\\pX",
    "\\p",
    "\\p{",
    "\\p{L",
    "\\p{}",
  ],
  ...[
    "\\p{Lu}",
    "\\p{Ll}",
    "\\p{Lt}",
    "\\p{Nd}",
    "\\p{Zs}",
    "\\p{Sm}",
    "\\p{So}",
    "\\p{Cf}",
    "\\p{Cs}",
    "\\p{Co}",
  ],
  ...[
    "\\p{Greek}",
    "\\p{Han}",
    "\\p{Latin}",
    "\\p{Cyrillic}",
    "\\p{Arabic}",
    "\\p{Common}",
    "\\p{Inherited}",
  ],
  ...[
    "\\P{Greek}",
    "\\p{^Lu}",
    "\\P{^Nd}",
    "\\p{^Greek}",
    "\\p{Any}",
    "\\P{Any}",
    "\\p{Klingon}",
    "\\p{greek}",
  ],
  ...["\\p{L}", "\\p{Braille}", "\\p{Emoji}", "\\p{IsGreek}", "\\p{Greek_and_Coptic}"],
);

const rePosixClass = fc.constantFrom(
  ...[
    "[:alpha:]",
    "[:^alpha:]",
    "[:digit:]",
    "[:^digit:]",
    "[:word:]",
    "[:upper:]",
    "[:lower:]",
    "[:space:]",
  ],
  ...[
    "[:punct:]",
    "[:xdigit:]",
    "[:alnum:]",
    "[:ascii:]",
    "[:blank:]",
    "[:cntrl:]",
    "[:graph:]",
    "[:print:]",
  ],
  ...["[:word2:]", "[:alpha", "[:]", "[::]"],
);

const reClassItem = fc.oneof(
  { weight: 4, arbitrary: reLiteral },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "a-z",
      "A-Z",
      "0-9",
      "a-f",
      "z-a",
      "0-0",
      "α-ω",
      "\\x00-\\x{10FFFF}",
      "+--",
      "--",
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(...PERL_CLASSES, "\\b", "\\.", "\\-", "\\]", "\\^", "-", "]"),
  },
  { weight: 2, arbitrary: reUnicodeClass },
  { weight: 2, arbitrary: rePosixClass },
  { weight: 1, arbitrary: reEscape },
);

/** `[...]`: negated or not, `]` or `-` first, sometimes unterminated. */
const reClass = fc
  .tuple(
    fc.constantFrom("[", "[", "[^", "[]", "[^]", "[-"),
    fc.array(reClassItem, { minLength: 0, maxLength: 4 }),
    fc.constantFrom("]", "]", "]", "]", ""),
  )
  .map(([open, items, close]) => `${open}${items.join("")}${close}`);

const reFlags = fc.constantFrom(
  ...[
    "i",
    "s",
    "m",
    "U",
    "-i",
    "i-s",
    "ims",
    "imsU",
    "-U",
    "sU",
    "i-m-s",
    "",
    "-",
    "i-",
    "z",
    "x",
    "P",
    "#",
  ],
);

const reRepeat = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom(
      "*",
      "+",
      "?",
      "*?",
      "+?",
      "??",
      "{2}",
      "{0,3}",
      "{2,}",
      "{1,1}",
      "{0}",
      "{2}?",
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "{1000}",
      "{0,1000}",
      "{999,1000}",
      "{1001}",
      "{3,2}",
      "{-1}",
      "{2,}?",
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom("{,3}", "{01}", "{", "{2", "{a}", "**", "+*", "*+", "??+", "++"),
  },
);

/** No repeat (most atoms), one, or rarely a second one (Go refuses most doubled operators). */
const reRepeats = fc.oneof(
  { weight: 14, arbitrary: fc.constant("") },
  { weight: 5, arbitrary: reRepeat },
  { weight: 1, arbitrary: fc.tuple(reRepeat, reRepeat).map(([a, b]) => a + b) },
);

const reCaptureName = fc.constantFrom(
  "a",
  "a",
  "b",
  "maj",
  "n1",
  "_x",
  "A_1",
  "a-b",
  "",
  "1",
  "é",
  "日",
  "a b",
);

const reAnchor = fc.constantFrom("^", "$", "\\A", "\\z", "\\b", "\\B", "(?m)^", "(?m)$");

/**
 * Go `regexp` syntax of every kind, valid and broken: literals (non-ASCII ones with special case folds), escapes,
 * Unicode and POSIX classes, bracket classes, flag groups, named captures (duplicate names included), repeats
 * (lazy, counted, too large, nested), anchors, alternation and stray parentheses.
 */
export const goRegexpText: fc.Arbitrary<string> = fc.letrec<{
  re: string;
  piece: string;
  atom: string;
}>((tie) => ({
  atom: fc.oneof(
    { maxDepth: 3, depthIdentifier: "re" },
    { weight: 6, arbitrary: reLiteral },
    { weight: 3, arbitrary: reEscape },
    { weight: 3, arbitrary: reUnicodeClass },
    { weight: 3, arbitrary: reClass },
    { weight: 2, arbitrary: reAnchor },
    { weight: 2, arbitrary: fc.constant(".") },
    { weight: 2, arbitrary: reFlags.map((f) => `(?${f})`) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(
          fc.oneof(
            fc.constantFrom("(", "(?:", "(?:"),
            reFlags.map((f) => `(?${f}:`),
            reCaptureName.map((n) => `(?P<${n}>`),
            reCaptureName.map((n) => `(?<${n}>`),
            fc.constantFrom("(?=", "(?!", "(?<=", "(?<!", "(?P=a)", "(?P>a)", "(?'a'", "(?#"),
          ),
          tie("re"),
          fc.constantFrom(")", ")", ")", ")", ""),
        )
        .map(([open, body, close]) => `${open}${body}${close}`),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(")", "(", "|", "*", "+", "?", "{1}", "]", "}", "[[", "\\Q"),
    },
  ),
  piece: fc.tuple(tie("atom"), reRepeats).map(([a, r]) => a + r),
  re: fc
    .array(fc.array(tie("piece"), { minLength: 0, maxLength: 4, depthIdentifier: "re" }), {
      minLength: 1,
      maxLength: 3,
      depthIdentifier: "re",
    })
    .map((alts) => alts.map((a) => a.join("")).join("|")),
})).re;

/** Subjects for Go regexps: registry tags and short strings over letters whose case folds are special. */
export const regexpSubject = fc.oneof(
  { weight: 2, arbitrary: anyTag },
  {
    weight: 3,
    arbitrary: fc.string({
      unit: fc.constantFrom(
        ..."aAbBkKsSvVrcRC0129.-_+ /\n\t\r\f\u000b\u00a0".split(""),
        ...[
          "é",
          "É",
          "ß",
          "ẞ",
          "α",
          "Α",
          "Σ",
          "σ",
          "ς",
          "K",
          "ſ",
          "Ω",
          "ω",
          "ǅ",
          "ǆ",
          "Ǆ",
          "日",
          "٣",
          "😀",
          "\u2028",
        ],
      ),
      maxLength: 8,
    }),
  },
);

/**
 * The tags of issue 21's intermediate stages, X.Y.Z-0.<stage>.N, for the given stage names, and the near
 * misses a stage's anchored semverFilter must drop (another stage's name as a prefix or suffix, a `v`, build
 * metadata, an extra identifier, a leading zero).
 */
export function stageChannelTag(names: readonly string[]): fc.Arbitrary<string> {
  const num = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 12 }));
  const core = fc.tuple(num, num, num).map(([a, b, c]) => `${a}.${b}.${c}`);
  const name = fc.constantFrom(...names);
  return fc.oneof(
    { weight: 6, arbitrary: fc.tuple(core, name, num).map(([v, s, n]) => `${v}-0.${s}.${n}`) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(core, name, num, fc.constantFrom("v", "+b", ".0", "x", "0", "-x", "a"))
        .map(([v, s, n, miss]) =>
          miss === "v"
            ? `v${v}-0.${s}.${n}`
            : miss === "x" || miss === "a"
              ? `${v}-0.${s}${miss}.${n}`
              : miss === "0"
                ? `${v}-0.${s}.0${n}`
                : miss === "-x"
                  ? `${v}-0.x-${s}.${n}`
                  : `${v}-0.${s}.${n}${miss}`,
        ),
    },
  );
}
