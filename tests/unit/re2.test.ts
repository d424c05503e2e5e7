/** Go regexp syntax for semverFilter (lib/flux/re2.ts): what Go rejects, what it means, where JS differs. */
import assert from "node:assert/strict";
import { compileGoRegexp, RegexSyntaxError } from "../../lib/flux/re2";

describe("compileGoRegexp", () => {
  // [pattern, matches, does not match]
  const table: [string, string[], string[]][] = [
    ["(?i)^v1", ["V1.0.0", "v1.0.0"], ["1.0.0"]],
    ["^(?i:RC)", ["rc", "Rc"], ["xrc"]],
    ["a(?i)b|c", ["aB", "C", "xc"], ["B"]], // the flag reaches across `|` to the end of the group
    ["(?i)k", ["K", "k", "\u212a"], ["x"]],
    ["(?P<major>\\d+)\\.", ["1.0"], ["a"]],
    ["(?<major>\\d+)\\.", ["1.0"], ["a"]],
    ["\\A1", ["1.0.0"], ["01"]],
    ["0\\z", ["1.0"], ["0\n"]],
    ["0$", ["1.0"], ["0\n"]], // Go's $ is end of text, not before a final newline
    ["(?m)^1", ["x\n1"], ["x1"]],
    ["\\Q1.0\\E", ["1.0.0"], ["100"]],
    ["^[[:digit:].]+$", ["1.0.0"], ["1.0.0-rc"]],
    ["^[[:^alpha:]]+$", ["1.0.0"], ["v1"]],
    ["\\pN", ["1"], ["v"]],
    ["\\p{Greek}", ["\u03b1"], ["a"]],
    ["\\PL", ["1"], ["a"]],
    ["\\x{31}\\x2e", ["1.0"], ["2.0"]],
    ["\\061", ["1"], ["2"]], // octal
    ["[]a]", ["]", "a"], ["b"]], // `]` first in a class is a literal
    ["x{,3}", ["x{,3}"], ["xxx"]], // not a repeat in Go: literal
    ["x{01}", ["x{01}"], ["x"]], // leading zero: literal
    ["^a{2,3}$", ["aa", "aaa"], ["a", "aaaa"]],
    ["\\s", [" ", "\t"], ["\u000b", "\u00a0"]], // Go's \s has no \v and no NBSP
    [".", ["a", "\r"], ["\n"]], // `.` excludes only \n
    ["(?s).", ["\n"], [""]],
    ["[^a]", ["\n"], ["a"]],
    ["\\w+-rc", ["1_0-rc"], ["-rc"]],
    ["^*a", ["a"], []], // Go repeats the empty-width ^; JavaScript's u mode would reject `^*`
    ["[\\d-]+", ["1-2"], ["a"]],
    ["\\-", ["-"], ["a"]], // escaped punctuation is literal (u-mode JavaScript rejects `\\-`)
    ["\\_", ["_"], ["a"]],
    ["^(\\d+\\.?)+$", ["1.2.3", "123"], ["1.2.3-rc"]],
    ["^(a|ab)(c|bcd)(d*)$", ["abcd", "acd"], ["abc d"]],
    ["x{2}y{0,2}z", ["xxz", "xxyyz"], ["xz", "xxyyyz"]],
    ["(?:rc|beta)+\\.", ["rcbeta.1"], ["rc1"]],
    ["^(?P<v>\\d+)$|^v(?P<v>\\d+)$", ["1", "v1"], ["x1"]], // Go 1.26 accepts a name twice (re2js would not)
    ["\\p{greek}\\pl", ["\u03b1a"], ["aa"]], // Go 1.25+: names match ignoring case, `_`, `-` and spaces
    ["^\\p{Letter}\\p{ASCII}\\p{Decimal_Number}$", ["\u03b1a1"], ["\u03b1\u03b11"]], // aliases
    ["[[:]]", ["[]", ":]"], ["]"]], // `[:` without a later `:]` is a literal `[` in a class
  ];

  it("stays linear where a backtracking engine explodes: ^(\\d+\\.?)+$ on 5000 digits and an x", () => {
    const re = compileGoRegexp("^(\\d+\\.?)+$");
    const start = performance.now();
    assert.equal(re.test(`${"1".repeat(5000)}x`), false);
    assert.ok(performance.now() - start < 2000, `${performance.now() - start} ms`);
  });
  for (const [pattern, yes, no] of table) {
    it(`${pattern} matches ${JSON.stringify(yes)}, not ${JSON.stringify(no)}`, () => {
      const re = compileGoRegexp(pattern);
      for (const [s, want] of [
        ...yes.map((x) => [x, true] as const),
        ...no.map((x) => [x, false] as const),
      ]) {
        assert.equal(re.test(s), want, `${pattern} on ${JSON.stringify(s)} (${re.source})`);
      }
    });
  }

  // Patterns JavaScript accepts (or means differently) that Go's regexp.Compile rejects, with Go's message.
  const rejected: [string, string][] = [
    ["(?=1)", "invalid or unsupported Perl syntax: `(?=`"],
    ["(?!1)", "invalid or unsupported Perl syntax: `(?!`"],
    ["(?<=1)", "invalid named capture: `(?<=1)`"],
    ["(a)\\1", "invalid escape sequence: `\\1`"],
    ["\\k<a>", "invalid escape sequence: `\\k`"],
    ["\\u0041", "invalid escape sequence: `\\u`"],
    ["\\cA", "invalid escape sequence: `\\c`"],
    ["\\C", "invalid escape sequence: `\\C`"],
    ["[\\b]", "invalid escape sequence: `\\b`"],
    ["a**", "invalid nested repetition operator: `**`"],
    ["a*??", "invalid nested repetition operator: `*??`"],
    ["x{1001}", "invalid repeat count: `{1001}`"],
    ["(x{100}){100}", "invalid repeat count: `{100}`"],
    ["*a", "missing argument to repetition operator: `*`"],
    ["a|*", "missing argument to repetition operator: `*`"],
    ["(a", "missing closing ): `(a`"],
    ["a)", "unexpected ): `a)`"],
    ["[a", "missing closing ]: `[a`"],
    ["[z-a]", "invalid character class range: `z-a`"],
    ["[[:word2:]]", "invalid character class range: `[:word2:]`"],
    ["\\p{Klingon}", "invalid character class range: `\\p{Klingon}`"],
    ["\\p{Emoji}", "invalid character class range: `\\p{Emoji}`"], // re2js knows it, Go does not
    ["\\p{Garay}", "invalid character class range: `\\p{Garay}`"], // Unicode 16: re2js has it, Go 1.26 has 15
    ["\\p{Old_Italic}", "invalid character class range: `\\p{Old_Italic}`"], // Go's lookup cannot reach `_` names
    ["[[:]a:]", "invalid character class range: `[:]a:]`"], // Go looks for `:]` from the third character
    ["(?P<a>x)(?P<a>y)[\\p{greek}", "missing closing ]: `[\\p{greek}`"], // quoted as written, not as re2js saw it
    ["(?P<a>x)(?P<a>y", "missing closing ): `(?P<a>x)(?P<a>y`"],
    ["(?P<a-b>x)", "invalid named capture: `(?P<a-b>`"],
    ["a\\", "trailing backslash at end of expression: ``"],
    ["(?-)", "invalid or unsupported Perl syntax: `(?-)`"],
  ];
  for (const [pattern, message] of rejected) {
    it(`rejects ${pattern}: ${message}`, () => {
      assert.throws(
        () => compileGoRegexp(pattern),
        (e: unknown) =>
          e instanceof RegexSyntaxError && e.message === `error parsing regexp: ${message}`,
      );
    });
  }
});
