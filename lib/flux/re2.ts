/**
 * Go `regexp` (RE2 syntax, Perl flags) compiled to an equivalent JavaScript RegExp, for `spec.ref.semverFilter`.
 *
 * source-controller ocirepository_controller.go `filterTags` runs `regexp.Compile(filter)` and keeps the tags for
 * which `MatchString` is true (an unanchored search). This module parses the pattern with Go's rules (ported from
 * Go 1.26 src/regexp/syntax/parse.go: `parse`, `parsePerlFlags`, `parseClass`, `parseEscape`,
 * `parseUnicodeClass`, `parsePerlClassEscape`, `parseNamedClass`, `parseRepeat`, `repeat`, `repeatIsValid`) and
 * emits a `u`-mode JavaScript RegExp with the same match set, so:
 * - patterns Go rejects are rejected with Go's error text, even where JavaScript would accept them: lookaround
 *   `(?=`, `(?!`, `(?<=`, `(?<!`, backreferences `\1`, `\k<n>`, `\u0041`, `\cA`, `\C`, `[\b]`, `a**`, repeat
 *   counts above 1000 (also nested: `(a{100}){100}`);
 * - Go-only syntax is translated: `(?i)`/`(?s)`/`(?m)`/`(?U)` flag groups, `(?P<name>...)`, `\A`, `\z`, `\Q...\E`,
 *   `[[:alpha:]]`, `\pL`, `\p{Greek}`, `\x{41}`, octal `\101`, `]` first in a class, `{` that is not a repeat;
 * - semantics are pinned: `\s` is `[\t\n\f\r ]`, `\w`/`\b` are ASCII, `.` excludes only `\n`, `$` is end of
 *   text (never before a final newline), and `(?i)` is Go's simple case folding. Case folding is exact for ASCII
 *   subjects (OCI tags are ASCII: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`), including `k`/U+212A and `s`/U+017F.
 * Non-greedy and capture names do not change whether a pattern matches, so the output uses `(?:...)` groups.
 */

/** A pattern Go's regexp.Compile rejects; message as Go prints it. */
export class RegexSyntaxError extends Error {
  constructor(
    readonly code: string,
    readonly expr: string,
  ) {
    super(`error parsing regexp: ${code}: \`${expr}\``);
    this.name = "RegexSyntaxError";
  }
}

// Go regexp/syntax ErrorCode texts.
const ErrInvalidCharRange = "invalid character class range";
const ErrInvalidEscape = "invalid escape sequence";
const ErrInvalidNamedCapture = "invalid named capture";
const ErrInvalidPerlOp = "invalid or unsupported Perl syntax";
const ErrInvalidRepeatOp = "invalid nested repetition operator";
const ErrInvalidRepeatSize = "invalid repeat count";
const ErrMissingBracket = "missing closing ]";
const ErrMissingParen = "missing closing )";
const ErrMissingRepeatArgument = "missing argument to repetition operator";
const ErrTrailingBackslash = "trailing backslash at end of expression";
const ErrUnexpectedParen = "unexpected )";
const ErrNestingDepth = "expression nests too deeply";
const ErrDuplicateName = "duplicate capture group name";

const MAX_RUNE = 0x10ffff;

interface Flags {
  readonly foldCase: boolean;
  readonly oneLine: boolean; // not (?m)
  readonly dotNL: boolean; // (?s)
}

type Range = [number, number];

type AssertKind = "beginText" | "endText" | "beginLine" | "endLine" | "wordBoundary" | "noWordBoundary";

/** What one atom matches, for the linear-time matcher. */
type Atom =
  | { readonly kind: "char"; readonly ranges: readonly Range[]; readonly props: readonly string[]; readonly negated: boolean }
  | { readonly kind: "assert"; readonly which: AssertKind };

function charAtom(ranges: Range[], props: readonly string[] = [], negated = false): Atom {
  return { kind: "char", ranges: normalize(ranges), props, negated };
}

function assertAtom(which: AssertKind): Atom {
  return { kind: "assert", which };
}

/** Parse tree: just enough to emit JavaScript and to run Go's repeat-size check. */
type Node =
  | { readonly kind: "atom"; readonly js: string; readonly m: Atom }
  | { readonly kind: "group"; readonly alts: Node[][] }
  | { readonly kind: "repeat"; readonly sub: Node; readonly min: number; readonly max: number; readonly counted: boolean };

// ------------------------------------------------------------------------------------------------ classes

const PERL: Record<string, Range[]> = {
  d: [[0x30, 0x39]],
  s: [
    [0x09, 0x0a],
    [0x0c, 0x0d],
    [0x20, 0x20],
  ],
  w: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x5f, 0x5f],
    [0x61, 0x7a],
  ],
};

/** Go regexp/syntax perl_groups.go `posixGroup`. */
const POSIX: Record<string, Range[]> = {
  alnum: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  alpha: [
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  ascii: [[0x00, 0x7f]],
  blank: [
    [0x09, 0x09],
    [0x20, 0x20],
  ],
  cntrl: [
    [0x00, 0x1f],
    [0x7f, 0x7f],
  ],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [
    [0x21, 0x2f],
    [0x3a, 0x40],
    [0x5b, 0x60],
    [0x7b, 0x7e],
  ],
  space: [
    [0x09, 0x0d],
    [0x20, 0x20],
  ],
  upper: [[0x41, 0x5a]],
  word: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x5f, 0x5f],
    [0x61, 0x7a],
  ],
  xdigit: [
    [0x30, 0x39],
    [0x41, 0x46],
    [0x61, 0x66],
  ],
};

function normalize(rs: Range[]): Range[] {
  const s = rs.map((r) => [r[0], r[1]] as Range).sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  for (const r of s) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push(r);
  }
  return out;
}

function negate(rs: Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of normalize(rs)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_RUNE) out.push([next, MAX_RUNE]);
  return out;
}

/** Simple case folding restricted to what can meet an ASCII subject: ASCII letters, U+212A KELVIN, U+017F LONG S. */
function foldRanges(rs: Range[]): Range[] {
  const out = [...rs];
  const has = (c: number): boolean => rs.some(([lo, hi]) => c >= lo && c <= hi);
  for (const [lo, hi] of rs) {
    const a = Math.max(lo, 0x41);
    const b = Math.min(hi, 0x5a);
    if (a <= b) out.push([a + 32, b + 32]);
    const c = Math.max(lo, 0x61);
    const e = Math.min(hi, 0x7a);
    if (c <= e) out.push([c - 32, e - 32]);
  }
  if (has(0x212a)) out.push([0x4b, 0x4b], [0x6b, 0x6b]);
  if (has(0x17f)) out.push([0x53, 0x53], [0x73, 0x73]);
  if (has(0x4b) || has(0x6b)) out.push([0x212a, 0x212a]);
  if (has(0x53) || has(0x73)) out.push([0x17f, 0x17f]);
  return out;
}

/** Go `appendGroup`: fold first (under `(?i)`), then negate. */
function group(base: Range[], negated: boolean, fold: boolean): Range[] {
  const r = fold ? normalize(foldRanges(base)) : base;
  return negated ? negate(r) : r;
}

/** The ASCII members (and the two non-ASCII folds of ASCII letters) of a JavaScript Unicode property class. */
function propertyMembers(js: string): Range[] {
  const re = new RegExp(`^${js}$`, "u");
  const out: Range[] = [];
  for (const c of [...Array.from({ length: 0x80 }, (_, i) => i), 0x17f, 0x212a]) {
    if (re.test(String.fromCodePoint(c))) out.push([c, c]);
  }
  return normalize(out);
}

function jsChar(c: number): string {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f) {
    return String.fromCodePoint(c);
  }
  return `\\u{${c.toString(16)}}`;
}

function classJs(rs: Range[], extra: string[] = [], negated = false): string {
  const body = normalize(rs)
    .map(([lo, hi]) => (lo === hi ? jsChar(lo) : `${jsChar(lo)}-${jsChar(hi)}`))
    .join("");
  const all = body + extra.join("");
  if (all === "") return negated ? "[\\s\\S]" : "[]";
  return `[${negated ? "^" : ""}${all}]`;
}

// ------------------------------------------------------------------------------------------------ parser

function isAlnum(c: string): boolean {
  return /^[0-9A-Za-z]$/.test(c);
}

/** Go `isValidCaptureName`: non-empty, word characters only. */
function isValidCaptureName(name: string): boolean {
  return /^[0-9A-Za-z_]+$/.test(name);
}

/** Go 1.26 regexp/syntax `canonicalName`: `_`, `-`, space dropped; first letter upper case, the rest lower case. */
function canonicalName(name: string): string {
  let out = "";
  let first = true;
  for (const ch of name) {
    if (ch === "_" || ch === "-" || ch === " ") continue;
    if (first) {
      out += ch >= "a" && ch <= "z" ? ch.toUpperCase() : ch;
      first = false;
    } else {
      out += ch >= "A" && ch <= "Z" ? ch.toLowerCase() : ch;
    }
  }
  return out;
}

/** Go unicode.Categories keys (Go 1.26 src/unicode/tables.go). */
const GO_CATEGORIES = new Set(
  "C Cc Cf Cn Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs".split(" "),
);

/** Go unicode.Scripts keys (Go 1.26). Go looks them up after canonicalName, so `Old_Italic` is not found. */
const GO_SCRIPTS = new Set(
  (
    "Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak Bengali " +
    "Bhaiksuki Bopomofo Brahmi Braille Buginese Buhid Canadian_Aboriginal Carian Caucasian_Albanian Chakma " +
    "Cham Cherokee Chorasmian Common Coptic Cuneiform Cypriot Cypro_Minoan Cyrillic Deseret Devanagari " +
    "Dives_Akuru Dogra Duployan Egyptian_Hieroglyphs Elbasan Elymaic Ethiopic Georgian Glagolitic Gothic " +
    "Grantha Greek Gujarati Gunjala_Gondi Gurmukhi Han Hangul Hanifi_Rohingya Hanunoo Hatran Hebrew Hiragana " +
    "Imperial_Aramaic Inherited Inscriptional_Pahlavi Inscriptional_Parthian Javanese Kaithi Kannada Katakana " +
    "Kawi Kayah_Li Kharoshthi Khitan_Small_Script Khmer Khojki Khudawadi Lao Latin Lepcha Limbu Linear_A " +
    "Linear_B Lisu Lycian Lydian Mahajani Makasar Malayalam Mandaic Manichaean Marchen Masaram_Gondi " +
    "Medefaidrin Meetei_Mayek Mende_Kikakui Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi Mongolian Mro " +
    "Multani Myanmar Nabataean Nag_Mundari Nandinagari New_Tai_Lue Newa Nko Nushu Nyiakeng_Puachue_Hmong " +
    "Ogham Ol_Chiki Old_Hungarian Old_Italic Old_North_Arabian Old_Permic Old_Persian Old_Sogdian " +
    "Old_South_Arabian Old_Turkic Old_Uyghur Oriya Osage Osmanya Pahawh_Hmong Palmyrene Pau_Cin_Hau Phags_Pa " +
    "Phoenician Psalter_Pahlavi Rejang Runic Samaritan Saurashtra Sharada Shavian Siddham SignWriting Sinhala " +
    "Sogdian Sora_Sompeng Soyombo Sundanese Syloti_Nagri Syriac Tagalog Tagbanwa Tai_Le Tai_Tham Tai_Viet " +
    "Takri Tamil Tangsa Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta Toto Ugaritic Vai Vithkuqi Wancho " +
    "Warang_Citi Yezidi Yi Zanabazar_Square"
  ).split(" "),
);

/** Go unicode.CategoryAliases, keyed by canonical name. */
const GO_CATEGORY_ALIASES: Record<string, string> = Object.fromEntries(
  Object.entries({
    Cased_Letter: "LC", Close_Punctuation: "Pe", Combining_Mark: "M", Connector_Punctuation: "Pc", Control: "Cc",
    Currency_Symbol: "Sc", Dash_Punctuation: "Pd", Decimal_Number: "Nd", Enclosing_Mark: "Me",
    Final_Punctuation: "Pf", Format: "Cf", Initial_Punctuation: "Pi", Letter: "L", Letter_Number: "Nl",
    Line_Separator: "Zl", Lowercase_Letter: "Ll", Mark: "M", Math_Symbol: "Sm", Modifier_Letter: "Lm",
    Modifier_Symbol: "Sk", Nonspacing_Mark: "Mn", Number: "N", Open_Punctuation: "Ps", Other: "C",
    Other_Letter: "Lo", Other_Number: "No", Other_Punctuation: "Po", Other_Symbol: "So",
    Paragraph_Separator: "Zp", Private_Use: "Co", Punctuation: "P", Separator: "Z", Space_Separator: "Zs",
    Spacing_Mark: "Mc", Surrogate: "Cs", Symbol: "S", Titlecase_Letter: "Lt", Unassigned: "Cn",
    Uppercase_Letter: "Lu", cntrl: "Cc", digit: "Nd", punct: "P",
  }).map(([k, v]) => [canonicalName(k), v]),
);

/**
 * Go regexp/syntax `unicodeTable`, answered with a JavaScript property escape: the special names Any, Assigned,
 * Ascii and Lc, then unicode.Categories, unicode.Scripts, unicode.CategoryAliases. Throws Go's error otherwise.
 */
function unicodeClassJs(rawName: string, whole: string): string {
  const name = canonicalName(rawName);
  const special: Record<string, string> = { Any: "Any", Assigned: "Assigned", Ascii: "ASCII", Lc: "LC" };
  const candidates: string[] = [];
  if (special[name]) candidates.push(special[name]);
  else if (GO_CATEGORIES.has(name)) candidates.push(name);
  else {
    if (GO_SCRIPTS.has(name)) candidates.push(`Script=${name}`);
    if (GO_CATEGORY_ALIASES[name]) candidates.push(GO_CATEGORY_ALIASES[name]);
  }
  for (const c of candidates) {
    const js = `\\p{${c}}`;
    try {
      new RegExp(js, "u");
      return js;
    } catch {
      // not a JavaScript property either: try the next reading
    }
  }
  throw new RegexSyntaxError(ErrInvalidCharRange, whole);
}

class Parser {
  private pos = 0;
  private flags: Flags = { foldCase: false, oneLine: true, dotNL: false };
  private readonly names = new Set<string>();
  private depth = 0;

  constructor(private readonly src: string) {}

  private peek(k = 0): string {
    return this.src[this.pos + k] ?? "";
  }

  private rest(): string {
    return this.src.slice(this.pos);
  }

  /** Reads one code point. */
  private next(): string {
    const cp = this.src.codePointAt(this.pos);
    if (cp === undefined) return "";
    const ch = String.fromCodePoint(cp);
    this.pos += ch.length;
    return ch;
  }

  parse(): Node {
    const top = this.parseAlternation(true);
    return top;
  }

  /** Parses alternatives until `)` (consumed by the caller) or the end. */
  private parseAlternation(top: boolean): Node {
    const saved = this.flags;
    const alts: Node[][] = [[]];
    let lastWasRepeat = "";
    for (;;) {
      const cur = alts[alts.length - 1]!;
      if (this.pos >= this.src.length) {
        if (!top) throw new RegexSyntaxError(ErrMissingParen, this.src);
        break;
      }
      const start = this.pos;
      const c = this.peek();
      let repeat = "";
      if (c === ")") {
        if (top) throw new RegexSyntaxError(ErrUnexpectedParen, this.src);
        break;
      } else if (c === "|") {
        this.pos++;
        alts.push([]);
      } else if (c === "(") {
        if (this.peek(1) === "?") {
          const group = this.parsePerlFlags();
          if (group) {
            // Go restores the flags of the time of the paren at its `)` (parseRightParen).
            const outer = this.flags;
            this.flags = group;
            cur.push(this.parseGroupBody());
            this.flags = outer;
          }
        } else {
          this.pos++;
          cur.push(this.parseGroupBody());
        }
      } else if (c === "^") {
        this.pos++;
        cur.push(
          this.flags.oneLine
            ? { kind: "atom", js: "(?:^)", m: assertAtom("beginText") }
            : { kind: "atom", js: "(?:^|(?<=\\n))", m: assertAtom("beginLine") },
        );
      } else if (c === "$") {
        this.pos++;
        cur.push(
          this.flags.oneLine
            ? { kind: "atom", js: "(?:$)", m: assertAtom("endText") }
            : { kind: "atom", js: "(?:$|(?=\\n))", m: assertAtom("endLine") },
        );
      } else if (c === ".") {
        this.pos++;
        cur.push(
          this.flags.dotNL
            ? { kind: "atom", js: "[\\s\\S]", m: charAtom([[0, MAX_RUNE]]) }
            : { kind: "atom", js: "[^\\n]", m: charAtom(negate([[10, 10]])) },
        );
      } else if (c === "[") {
        cur.push(this.parseClass());
      } else if (c === "*" || c === "+" || c === "?") {
        this.pos++;
        const min = c === "+" ? 1 : 0;
        const max = c === "?" ? 1 : -1;
        this.repeat(cur, min, max, false, start, lastWasRepeat);
        repeat = this.src.slice(start, this.pos);
      } else if (c === "{") {
        const r = this.parseRepeat();
        if (!r) {
          this.pos++;
          cur.push(this.literal(0x7b));
        } else {
          const [min, max] = r;
          if (min < 0 || min > 1000 || max > 1000 || (max >= 0 && min > max)) {
            throw new RegexSyntaxError(ErrInvalidRepeatSize, this.src.slice(start, this.pos));
          }
          this.repeat(cur, min, max, true, start, lastWasRepeat);
          repeat = this.src.slice(start, this.pos);
        }
      } else if (c === "\\") {
        cur.push(...this.parseBackslash());
      } else {
        const ch = this.next();
        cur.push(this.literal(ch.codePointAt(0)!));
      }
      lastWasRepeat = repeat;
    }
    this.flags = saved;
    return { kind: "group", alts };
  }

  private parseGroupBody(): Node {
    if (++this.depth > 1000) throw new RegexSyntaxError(ErrNestingDepth, this.src);
    const g = this.parseAlternation(false);
    this.pos++; // ')'
    this.depth--;
    return g;
  }

  /** Go `parser.repeat`: `?` after makes it non-greedy; a repeat right after a repeat is an error. */
  private repeat(cur: Node[], min: number, max: number, counted: boolean, start: number, lastRepeat: string): void {
    if (this.peek() === "?") this.pos++;
    if (lastRepeat !== "") {
      throw new RegexSyntaxError(ErrInvalidRepeatOp, this.src.slice(start - lastRepeat.length, this.pos));
    }
    const sub = cur.pop();
    if (!sub) throw new RegexSyntaxError(ErrMissingRepeatArgument, this.src.slice(start, this.pos));
    const node: Node = { kind: "repeat", sub, min, max, counted };
    if (counted && (min >= 2 || max >= 2) && !repeatIsValid(node, 1000)) {
      throw new RegexSyntaxError(ErrInvalidRepeatSize, this.src.slice(start, this.pos));
    }
    cur.push(node);
  }

  /**
   * Go `parser.parseRepeat` and `parseInt`: `{n}`, `{n,}`, `{n,m}`, numbers without leading zeros; anything else
   * (`{`, `{,3}`, `{01}`) is a literal `{`. Numbers too large come back above 1000 and fail the size check.
   */
  private parseRepeat(): [number, number] | undefined {
    const m = /^\{(0|[1-9][0-9]*)(?:(,)(0|[1-9][0-9]*)?)?\}/.exec(this.rest());
    if (!m) return undefined;
    this.pos += m[0].length;
    const num = (s: string): number => (s.length > 9 ? 1e9 : Number(s));
    const min = num(m[1]!);
    const max = m[2] === undefined ? min : m[3] === undefined ? -1 : num(m[3]);
    return [min, max];
  }

  /**
   * Go `parser.parsePerlFlags`. A group opening (`(?P<n>`, `(?<n>`, `(?i:`) returns the flags for its body; a bare
   * flag change `(?i)` applies at once, to the end of the enclosing group, and returns undefined.
   */
  private parsePerlFlags(): Flags | undefined {
    const t = this.rest();
    const startsWithP = t.length > 4 && t[2] === "P" && t[3] === "<";
    const startsWithName = t.length > 3 && t[2] === "<";
    if (startsWithP || startsWithName) {
      const exprStart = startsWithP ? 4 : 3;
      const end = t.indexOf(">");
      if (end < 0) throw new RegexSyntaxError(ErrInvalidNamedCapture, t);
      const capture = t.slice(0, end + 1);
      const name = t.slice(exprStart, end);
      if (!isValidCaptureName(name)) throw new RegexSyntaxError(ErrInvalidNamedCapture, capture);
      if (this.names.has(name)) throw new RegexSyntaxError(ErrDuplicateName, name);
      this.names.add(name);
      this.pos += end + 1;
      return this.flags;
    }
    let i = 2;
    let { foldCase, oneLine, dotNL } = this.flags;
    let sign = 1;
    let sawFlag = false;
    while (i < t.length) {
      const c = t[i++]!;
      if (c === "i") {
        foldCase = sign > 0;
        sawFlag = true;
      } else if (c === "m") {
        oneLine = sign < 0;
        sawFlag = true;
      } else if (c === "s") {
        dotNL = sign > 0;
        sawFlag = true;
      } else if (c === "U") {
        sawFlag = true; // ungreedy by default: does not change whether a pattern matches
      } else if (c === "-") {
        if (sign < 0) break;
        sign = -1;
        sawFlag = false;
      } else if (c === ":" || c === ")") {
        if (sign < 0 && !sawFlag) break;
        this.pos += i;
        const flags = { foldCase, oneLine, dotNL };
        if (c === ":") return flags;
        this.flags = flags;
        return undefined;
      } else {
        break;
      }
    }
    throw new RegexSyntaxError(ErrInvalidPerlOp, t.slice(0, i));
  }

  private literal(c: number): Node {
    if (this.flags.foldCase) {
      const folded = normalize(foldRanges([[c, c]]));
      if (folded.length > 1 || folded[0]![0] !== folded[0]![1]) return { kind: "atom", js: classJs(folded), m: charAtom(folded) };
    }
    return { kind: "atom", js: jsChar(c), m: charAtom([[c, c]]) };
  }

  private parseBackslash(): Node[] {
    const t = this.rest();
    const c1 = t[1] ?? "";
    switch (c1) {
      case "A":
        this.pos += 2;
        return [{ kind: "atom", js: "(?:^)", m: assertAtom("beginText") }];
      case "z":
        this.pos += 2;
        return [{ kind: "atom", js: "(?:$)", m: assertAtom("endText") }];
      case "b":
        this.pos += 2;
        return [{ kind: "atom", js: "(?:\\b)", m: assertAtom("wordBoundary") }];
      case "B":
        this.pos += 2;
        return [{ kind: "atom", js: "(?:\\B)", m: assertAtom("noWordBoundary") }];
      case "C":
        throw new RegexSyntaxError(ErrInvalidEscape, t.slice(0, 2));
      case "Q": {
        const body = t.slice(2);
        const e = body.indexOf("\\E");
        const lit = e < 0 ? body : body.slice(0, e);
        this.pos += 2 + lit.length + (e < 0 ? 0 : 2);
        return Array.from(lit, (ch) => this.literal(ch.codePointAt(0)!));
      }
      default:
        break;
    }
    const uni = this.parseUnicodeClass();
    if (uni !== undefined) return [{ kind: "atom", js: classJs(uni.ranges, uni.js), m: charAtom(uni.ranges, uni.js) }];
    const perl = this.parsePerlClassEscape();
    if (perl) return [{ kind: "atom", js: classJs(perl), m: charAtom(perl) }];
    return [this.literal(this.parseEscape())];
  }

  /**
   * Go `parseUnicodeClass`: `\pL`, `\p{Greek}`, `\p{^Greek}`, `\PL`; undefined when not at `\p`/`\P`. A positive
   * class keeps the JavaScript property (`js`) for its non-ASCII members; ASCII members are exact ranges, folded
   * under `(?i)` before negation as Go does. A negated class is exact on ASCII (the only subjects that can be
   * versions) and admits every non-ASCII character.
   */
  private parseUnicodeClass(): { ranges: Range[]; js: string[] } | undefined {
    const t = this.rest();
    if (t.length < 2 || t[0] !== "\\" || (t[1] !== "p" && t[1] !== "P")) return undefined;
    let negated = t[1] === "P";
    let name: string;
    let len: number;
    if (t.length < 3) throw new RegexSyntaxError(ErrInvalidCharRange, t);
    if (t[2] !== "{") {
      const ch = String.fromCodePoint(t.codePointAt(2)!);
      name = ch;
      len = 2 + ch.length;
    } else {
      const end = t.indexOf("}");
      if (end < 0) throw new RegexSyntaxError(ErrInvalidCharRange, t);
      name = t.slice(3, end);
      len = end + 1;
      if (name.startsWith("^")) {
        negated = !negated;
        name = name.slice(1);
      }
    }
    const js = unicodeClassJs(name, t.slice(0, len));
    this.pos += len;
    const ranges = group(propertyMembers(js), negated, this.flags.foldCase);
    return { ranges, js: negated ? [] : [js] };
  }

  /** Go `parsePerlClassEscape`: `\d \D \s \S \w \W`. */
  private parsePerlClassEscape(): Range[] | undefined {
    const t = this.rest();
    const c = t[1] ?? "";
    if (t[0] !== "\\" || !/^[dswDSW]$/.test(c)) return undefined;
    this.pos += 2;
    return group(PERL[c.toLowerCase()]!, c === c.toUpperCase(), this.flags.foldCase);
  }

  /** Go `parseEscape`: one escaped character (after `\`), as a code point. */
  private parseEscape(): number {
    const start = this.pos;
    this.pos++; // '\'
    if (this.pos >= this.src.length) throw new RegexSyntaxError(ErrTrailingBackslash, "");
    const c = this.next();
    const bad = (): never => {
      throw new RegexSyntaxError(ErrInvalidEscape, this.src.slice(start, this.pos));
    };
    if (c >= "1" && c <= "7") {
      // A single non-zero digit is a backreference: not supported.
      const d = this.peek();
      if (!(d >= "0" && d <= "7")) return bad();
    }
    if (c >= "0" && c <= "7") {
      let r = c.charCodeAt(0) - 48;
      for (let i = 1; i < 3; i++) {
        const d = this.peek();
        if (!(d >= "0" && d <= "7")) break;
        r = r * 8 + d.charCodeAt(0) - 48;
        this.pos++;
      }
      return r;
    }
    switch (c) {
      case "x": {
        if (this.pos >= this.src.length) return bad();
        const h = this.next();
        if (h === "{") {
          let r = 0;
          let n = 0;
          for (;;) {
            if (this.pos >= this.src.length) return bad();
            const d = this.next();
            if (d === "}") break;
            const v = parseInt(d, 16);
            if (!/^[0-9A-Fa-f]$/.test(d)) return bad();
            r = r * 16 + v;
            if (r > MAX_RUNE) return bad();
            n++;
          }
          if (n === 0) return bad();
          return r;
        }
        const l = this.next();
        if (!/^[0-9A-Fa-f]$/.test(h) || !/^[0-9A-Fa-f]$/.test(l)) return bad();
        return parseInt(h + l, 16);
      }
      case "a":
        return 7;
      case "f":
        return 12;
      case "n":
        return 10;
      case "r":
        return 13;
      case "t":
        return 9;
      case "v":
        return 11;
      default: {
        const cp = c.codePointAt(0)!;
        if (cp < 0x80 && !isAlnum(c)) return cp; // escaped punctuation is itself
        return bad();
      }
    }
  }

  /** Go `parseClass`. */
  private parseClass(): Node {
    const wholeStart = this.pos;
    this.pos++; // '['
    let negated = false;
    if (this.peek() === "^") {
      negated = true;
      this.pos++;
    }
    const ranges: Range[] = [];
    const extra: string[] = [];
    let first = true;
    for (;;) {
      if (this.pos >= this.src.length) {
        throw new RegexSyntaxError(ErrMissingBracket, this.src.slice(wholeStart));
      }
      if (this.peek() === "]" && !first) break;
      first = false;
      const t = this.rest();
      // POSIX [:alnum:]
      if (t.length > 2 && t[0] === "[" && t[1] === ":") {
        const i = t.indexOf(":]", 2);
        if (i >= 0) {
          const name = t.slice(0, i + 2);
          const inner = name.slice(2, -2);
          const neg = inner.startsWith("^");
          const g = POSIX[neg ? inner.slice(1) : inner];
          if (!g) throw new RegexSyntaxError(ErrInvalidCharRange, name);
          ranges.push(...group(g, neg, this.flags.foldCase));
          this.pos += name.length;
          continue;
        }
      }
      const uni = this.parseUnicodeClass();
      if (uni !== undefined) {
        ranges.push(...uni.ranges);
        extra.push(...uni.js);
        continue;
      }
      const perl = this.parsePerlClassEscape();
      if (perl) {
        ranges.push(...perl);
        continue;
      }
      const rangeStart = this.pos;
      const lo = this.parseClassChar(wholeStart);
      let hi = lo;
      if (this.peek() === "-" && this.peek(1) !== "" && this.peek(1) !== "]") {
        this.pos++;
        hi = this.parseClassChar(wholeStart);
        if (hi < lo) throw new RegexSyntaxError(ErrInvalidCharRange, this.src.slice(rangeStart, this.pos));
      }
      ranges.push(...(this.flags.foldCase ? foldRanges([[lo, hi]]) : [[lo, hi] as Range]));
    }
    this.pos++; // ']'

    return { kind: "atom", js: classJs(ranges, extra, negated), m: charAtom(ranges, extra, negated) };
  }

  /** Go `parseClassChar`. */
  private parseClassChar(wholeStart: number): number {
    if (this.pos >= this.src.length) throw new RegexSyntaxError(ErrMissingBracket, this.src.slice(wholeStart));
    if (this.peek() === "\\") return this.parseEscape();
    return this.next().codePointAt(0)!;
  }
}

/** Go `repeatIsValid`: nested counted repeats may not multiply past 1000. */
function repeatIsValid(n: Node, limit: number): boolean {
  if (n.kind === "repeat") {
    if (n.counted) {
      let m = n.max;
      if (m === 0) return true;
      if (m < 0) m = n.min;
      if (m > limit) return false;
      if (m > 0) limit = Math.trunc(limit / m);
    }
    return repeatIsValid(n.sub, limit);
  }
  if (n.kind === "group") return n.alts.every((alt) => alt.every((x) => repeatIsValid(x, limit)));
  return true;
}

function emit(n: Node): string {
  switch (n.kind) {
    case "atom":
      return n.js;
    case "group":
      return `(?:${n.alts.map((a) => a.map(emit).join("")).join("|")})`;
    case "repeat": {
      const sub = emit(n.sub);
      const q =
        n.min === 0 && n.max === -1
          ? "*"
          : n.min === 1 && n.max === -1
            ? "+"
            : n.min === 0 && n.max === 1
              ? "?"
              : n.max === -1
                ? `{${n.min},}`
                : n.min === n.max
                  ? `{${n.min}}`
                  : `{${n.min},${n.max}}`;
      return `${sub}${q}`;
    }
    default: {
      const never: never = n;
      return never;
    }
  }
}

// ------------------------------------------------------------------------------------------------ matching

/**
 * Whether a backtracking engine could take exponential time: a repeat whose body holds another repeat or an
 * alternation (`(a+)+`, `(a|a)*`). Go's regexp is linear on every pattern; such patterns run on the Pike VM below.
 */
function backtrackingRisk(n: Node, underRepeat: boolean): boolean {
  switch (n.kind) {
    case "atom":
      return false;
    case "group":
      if (underRepeat && n.alts.length > 1) return true;
      return n.alts.some((alt) => alt.some((x) => backtrackingRisk(x, underRepeat)));
    case "repeat":
      if (underRepeat && !(n.counted && n.max === n.min)) return true;
      return backtrackingRisk(n.sub, n.max !== n.min || underRepeat);
    default: {
      const never: never = n;
      return never;
    }
  }
}

type Inst =
  | { readonly op: "atom"; readonly a: Atom; readonly next: number }
  | { readonly op: "split"; readonly x: number; readonly y: number }
  | { readonly op: "jmp"; readonly x: number }
  | { readonly op: "match" };

/** Thompson construction (as Go's regexp/syntax compile.go does), without captures. */
class Compiler {
  readonly prog: Inst[] = [];

  private emit(i: Inst): number {
    this.prog.push(i);
    return this.prog.length - 1;
  }

  /** Compiles `n` to continue at `next`; returns its entry pc. */
  compile(n: Node, next: number): number {
    switch (n.kind) {
      case "atom":
        return this.emit({ op: "atom", a: n.m, next });
      case "group": {
        const entries = n.alts.map((alt) => {
          let pc = next;
          for (let k = alt.length - 1; k >= 0; k--) pc = this.compile(alt[k]!, pc);
          return pc;
        });
        let pc = entries[entries.length - 1]!;
        for (let k = entries.length - 2; k >= 0; k--) pc = this.emit({ op: "split", x: entries[k]!, y: pc });
        return pc;
      }
      case "repeat": {
        let pc = next;
        if (n.max === -1) {
          // x* : L: split(body -> L, next)
          const loop = this.emit({ op: "split", x: -1, y: next });
          const body = this.compile(n.sub, loop);
          (this.prog[loop] as { x: number }).x = body;
          pc = loop;
        } else {
          // (max-min) optional copies; skipping one skips the rest: split(body -> (later copies), next)
          for (let k = 0; k < n.max - n.min; k++) {
            const body = this.compile(n.sub, pc);
            pc = this.emit({ op: "split", x: body, y: next });
          }
        }
        for (let k = 0; k < n.min; k++) pc = this.compile(n.sub, pc);
        return pc;
      }
      default: {
        const never: never = n;
        return never;
      }
    }
  }
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function inRanges(rs: readonly Range[], c: number): boolean {
  let lo = 0;
  let hi = rs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = rs[mid]!;
    if (c < r[0]) hi = mid - 1;
    else if (c > r[1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/** A compiled Go regexp: `test` is Go's `MatchString` (unanchored search). */
export class GoRegexp {
  /** The equivalent JavaScript source (u flag), for messages and debugging. */
  readonly source: string;
  private readonly js: RegExp | undefined;
  private readonly prog: Inst[];
  private readonly start: number;
  private readonly propRes = new Map<string, RegExp>();

  constructor(
    readonly pattern: string,
    tree: Node,
  ) {
    this.source = emit(tree);
    const c = new Compiler();
    const match = c.prog.push({ op: "match" }) - 1;
    this.start = c.compile(tree, match);
    this.prog = c.prog;
    this.js = backtrackingRisk(tree, false) ? undefined : new RegExp(this.source, "u");
  }

  test(s: string): boolean {
    return this.js ? this.js.test(s) : this.pike(s);
  }

  /** Always the linear-time simulation (tests compare both paths). */
  testLinear(s: string): boolean {
    return this.pike(s);
  }

  private charMatches(a: Extract<Atom, { kind: "char" }>, c: number): boolean {
    let hit = inRanges(a.ranges, c);
    if (!hit && a.props.length > 0) {
      const ch = String.fromCodePoint(c);
      hit = a.props.some((p) => {
        let re = this.propRes.get(p);
        if (!re) this.propRes.set(p, (re = new RegExp(`^${p}$`, "u")));
        return re.test(ch);
      });
    }
    return hit !== a.negated;
  }

  private assertHolds(which: AssertKind, s: string, i: number): boolean {
    const before = i > 0 ? s.charCodeAt(i - 1) : -1;
    const after = i < s.length ? s.charCodeAt(i) : -1;
    switch (which) {
      case "beginText":
        return i === 0;
      case "endText":
        return i === s.length;
      case "beginLine":
        return i === 0 || before === 10;
      case "endLine":
        return i === s.length || after === 10;
      case "wordBoundary":
        return isWordChar(before) !== isWordChar(after);
      case "noWordBoundary":
        return isWordChar(before) === isWordChar(after);
      default: {
        const never: never = which;
        return never;
      }
    }
  }

  /** Pike VM: every thread advances in lock step, one visit per instruction per position: O(len * prog). */
  private pike(s: string): boolean {
    const n = this.prog.length;
    const seen = new Int32Array(n).fill(-1);
    let clist: number[] = [];
    let nlist: number[] = [];
    let gen = 0;
    const add = (list: number[], pc: number, i: number): boolean => {
      const stack = [pc];
      while (stack.length > 0) {
        const x = stack.pop()!;
        if (seen[x] === gen) continue;
        seen[x] = gen;
        const inst = this.prog[x]!;
        switch (inst.op) {
          case "match":
            return true;
          case "jmp":
            stack.push(inst.x);
            break;
          case "split":
            stack.push(inst.y, inst.x);
            break;
          case "atom":
            if (inst.a.kind === "assert") {
              if (this.assertHolds(inst.a.which, s, i)) stack.push(inst.next);
            } else {
              list.push(x);
            }
            break;
        }
      }
      return false;
    };
    for (let i = 0; ; ) {
      // Unanchored: a new thread starts at every position (Go's MatchString).
      if (add(clist, this.start, i)) return true;
      if (i >= s.length) return false;
      const c = s.codePointAt(i)!;
      const width = c > 0xffff ? 2 : 1;
      gen++;
      nlist = [];
      for (const x of clist) {
        const inst = this.prog[x] as Extract<Inst, { op: "atom" }>;
        if (inst.a.kind === "char" && this.charMatches(inst.a, c)) {
          if (add(nlist, inst.next, i + width)) return true;
        }
      }
      [clist, nlist] = [nlist, clist];
      i += width;
    }
  }
}

/**
 * Compiles a Go regexp (throws RegexSyntaxError with Go's message). `test` answers like Go's `MatchString`, in
 * time linear in the subject for patterns a backtracking engine could blow up on.
 */
export function compileGoRegexp(pattern: string): GoRegexp {
  return new GoRegexp(pattern, new Parser(pattern).parse());
}
