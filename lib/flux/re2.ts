/**
 * Go `regexp` (RE2 syntax, Perl flags) for `spec.ref.semverFilter`, through re2js (a port of RE2/J, itself a
 * port of Go's regexp): linear-time matching, Go's syntax and Go's error texts.
 *
 * source-controller ocirepository_controller.go `filterTags` runs `regexp.Compile(filter)` and keeps the tags for
 * which `MatchString` is true (an unanchored search); `GoRegexp.test` is that `MatchString`. This adapter keeps
 * where re2js 2.10 and Go 1.26 differ out of the rest of the code, by editing the pattern before re2js sees it:
 * - `\p{...}` names are looked up as Go 1.25+ does (case, `_`, `-` and spaces ignored: `\p{greek}`, `\pl`,
 *   `\p{Letter}`, `\p{ASCII}`), and names Go does not know are refused even where re2js knows them (`\p{Emoji}`,
 *   Unicode 16 scripts; Go 1.26 has Unicode 15);
 * - Go accepts two capture groups with the same name (`(?P<v>a)|(?P<v>b)`), re2js refuses them: names do not
 *   change what matches, so the later groups of a name are renamed;
 * - `[:]` inside a class is a literal `[` to Go when no `:]` follows (re2js takes it for a POSIX class);
 * - error messages quote the user's pattern, as Go's do, never the edited one, and are our RegexSyntaxError.
 * tests/unit/flux.oracle.test.ts compares all of it with Go's regexp (tools/flux-oracle).
 */
import { RE2JS, RE2JSSyntaxException } from "re2js";

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

/** A compiled Go regexp: `test` is Go's `MatchString` (unanchored search), in time linear in the subject. */
export class GoRegexp {
  /** The Go pattern, for messages. */
  readonly source: string;

  constructor(
    readonly pattern: string,
    private readonly re: RE2JS,
  ) {
    this.source = pattern;
  }

  test(s: string): boolean {
    return this.re.test(s);
  }
}

/** Compiles a Go regexp; throws RegexSyntaxError with Go's message. */
export function compileGoRegexp(pattern: string): GoRegexp {
  const scan = scanPattern(pattern);
  const edits: Edit[] = [...scan.unicodeEdits];
  let renamed = false;
  let posixFixes = 0;
  for (;;) {
    const compiled = applyEdits(pattern, edits);
    try {
      return new GoRegexp(pattern, RE2JS.compile(compiled));
    } catch (e) {
      if (!(e instanceof RE2JSSyntaxException)) throw e;
      if (e.error === DUPLICATE_NAME && !renamed) {
        renamed = true;
        edits.push(...scan.duplicateNameEdits);
        continue;
      }
      if (
        e.error === INVALID_CHAR_RANGE &&
        e.input === "[:]" &&
        posixFixes < scan.openBrackets.length
      ) {
        const b = scan.openBrackets[posixFixes++]!;
        if (b.goName !== undefined) throw new RegexSyntaxError(INVALID_CHAR_RANGE, b.goName);
        edits.push({ start: b.at, end: b.at + 1, text: "\\[" });
        continue;
      }
      throw goError(e, pattern, compiled, edits);
    }
  }
}

const DUPLICATE_NAME = "duplicate capture group name";
const INVALID_CHAR_RANGE = "invalid character class range";

/** re2js's exception as Go's error, quoting the user's pattern. */
function goError(
  e: RE2JSSyntaxException,
  pattern: string,
  compiled: string,
  edits: readonly Edit[],
): Error {
  if (e.error === DUPLICATE_NAME)
    return new Error(`re2 adapter: a duplicate group name was left in ${pattern}`);
  // re2js leaves the expression out where Go quotes "" (trailing backslash) or the whole pattern (too large,
  // nests too deeply).
  let expr = e.input ?? (e.error === "trailing backslash at end of expression" ? "" : compiled);
  const poisoned = edits.find((x) => x.text === expr);
  if (poisoned) expr = pattern.slice(poisoned.start, poisoned.end);
  // Go's other expressions are local (no edit inside) or run to the end of the pattern.
  else if (expr !== "" && compiled.endsWith(expr))
    expr = pattern.slice(originalOffset(compiled.length - expr.length, edits));
  return new RegexSyntaxError(e.error, expr);
}

/** Replace pattern[start, end) by text. */
interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

function applyEdits(pattern: string, edits: readonly Edit[]): string {
  let out = "";
  let at = 0;
  for (const x of [...edits].sort((a, b) => a.start - b.start)) {
    out += pattern.slice(at, x.start) + x.text;
    at = x.end;
  }
  return out + pattern.slice(at);
}

/** The offset in the pattern of an offset in its edited form (outside any edit). */
function originalOffset(offset: number, edits: readonly Edit[]): number {
  let shift = 0;
  for (const x of [...edits].sort((a, b) => a.start - b.start)) {
    if (x.start + shift >= offset) break;
    shift += x.text.length - (x.end - x.start);
  }
  return offset - shift;
}

interface Scan {
  /** `\p` names rewritten to the names re2js knows, or to a name it refuses. */
  readonly unicodeEdits: readonly Edit[];
  /** The second and later groups of each name, renamed. */
  readonly duplicateNameEdits: readonly Edit[];
  /** Each `[:]` at the start of a class item, in order; goName is Go's (invalid) POSIX class there, if any. */
  readonly openBrackets: readonly { readonly at: number; readonly goName: string | undefined }[];
}

/**
 * Finds, as Go's parser does (not inside `\Q...\E` or an escape; `]` first in a class is literal; `[:name:]` is
 * one class item, `:]` searched from its third character), the `\p` classes, named groups and `[:]` items.
 */
function scanPattern(pattern: string): Scan {
  const unicodeEdits: Edit[] = [];
  const groups: { start: number; end: number; name: string }[] = [];
  const openBrackets: { at: number; goName: string | undefined }[] = [];
  const escape = (i: number): number => {
    if (pattern[i + 1] !== "p" && pattern[i + 1] !== "P") return i + 2;
    const braced = pattern[i + 2] === "{";
    const close = braced ? pattern.indexOf("}", i + 3) : -1;
    if (braced && close < 0) return pattern.length;
    const nameStart = braced ? i + 3 : i + 2;
    const end = braced ? close + 1 : nameStart + (pattern.codePointAt(nameStart)! > 0xffff ? 2 : 1);
    const name = braced ? pattern.slice(nameStart, close) : pattern.slice(nameStart, end);
    if (end > pattern.length || name === "") return end;
    const negated = name.startsWith("^");
    const known = GO_UNICODE_CLASSES.get(goCanonicalName(negated ? name.slice(1) : name));
    if (known === undefined) {
      unicodeEdits.push({ start: i, end, text: `\\p{\u0000${unicodeEdits.length}}` });
    } else {
      const text = braced || known.length > 1 ? `{${negated ? "^" : ""}${known}}` : known;
      unicodeEdits.push({ start: i + 2, end, text });
    }
    return end;
  };
  let i = 0;
  while (i < pattern.length) {
    if (pattern.startsWith("\\Q", i)) {
      const end = pattern.indexOf("\\E", i + 2);
      i = end < 0 ? pattern.length : end + 2;
    } else if (pattern[i] === "\\") {
      i = escape(i);
    } else if (pattern[i] === "[") {
      i++;
      if (pattern[i] === "^") i++;
      let first = true;
      while (i < pattern.length && (pattern[i] !== "]" || first)) {
        first = false;
        if (pattern.startsWith("[:", i)) {
          const close = pattern.indexOf(":]", i + 2);
          if (pattern.startsWith("[:]", i))
            openBrackets.push({
              at: i,
              goName: close < 0 ? undefined : pattern.slice(i, close + 2),
            });
          if (close >= 0) {
            i = close + 2;
            continue;
          }
        }
        i = pattern[i] === "\\" ? escape(i) : i + 1;
      }
      i++;
    } else if (pattern.startsWith("(?P<", i) || pattern.startsWith("(?<", i)) {
      const begin = pattern[i + 2] === "P" ? i + 4 : i + 3;
      const end = pattern.indexOf(">", begin);
      if (end < 0) break;
      groups.push({ start: begin, end, name: pattern.slice(begin, end) });
      i = end + 1;
    } else {
      i++;
    }
  }
  const taken = new Set(groups.map((g) => g.name));
  const seen = new Set<string>();
  const duplicateNameEdits: Edit[] = [];
  let fresh = 0;
  for (const g of groups) {
    if (!seen.has(g.name)) {
      seen.add(g.name);
      continue;
    }
    let name: string;
    do name = `dup${++fresh}`;
    while (taken.has(name));
    duplicateNameEdits.push({ start: g.start, end: g.end, text: name });
  }
  return { unicodeEdits, duplicateNameEdits, openBrackets };
}

/** Go's regexp/syntax canonicalName: `_`, `-`, ` ` dropped, first letter upper case, the rest lower case. */
function goCanonicalName(name: string): string {
  const s = name.replace(/[-_ ]/g, "");
  return (
    s.slice(0, 1).replace(/[a-z]/, (c) => c.toUpperCase()) +
    s.slice(1).replace(/[A-Z]/g, (c) => c.toLowerCase())
  );
}

/**
 * Every `\p` name Go 1.26 accepts, canonical, with the name re2js knows it by (`=` where they differ): Any,
 * Assigned, ASCII, unicode.Categories and unicode.Scripts (keys with `_`, like Old_Italic, cannot be reached
 * through Go's canonical lookup) and unicode.CategoryAliases. Printed from Go 1.26's tables; the oracle test
 * checks them against Go.
 */
const GO_UNICODE_CLASSES: ReadonlyMap<string, string> = new Map(
  (
    "Adlam Ahom Any Arabic Armenian Ascii Assigned Avestan Balinese Bamum Batak Bengali Bhaiksuki Bopomofo " +
    "Brahmi Braille Buginese Buhid C Carian Casedletter=LC Cc Cf Chakma Cham Cherokee Chorasmian " +
    "Closepunctuation=Pe Cn Cntrl=Cc Co Combiningmark=M Common Connectorpunctuation=Pc Control=Cc Coptic Cs " +
    "Cuneiform Currencysymbol=Sc Cypriot Cyrillic Dashpunctuation=Pd Decimalnumber=Nd Deseret Devanagari " +
    "Digit=Nd Dogra Duployan Elbasan Elymaic Enclosingmark=Me Ethiopic Finalpunctuation=Pf Format=Cf Georgian " +
    "Glagolitic Gothic Grantha Greek Gujarati Gurmukhi Han Hangul Hanunoo Hatran Hebrew Hiragana Inherited " +
    "Initialpunctuation=Pi Javanese Kaithi Kannada Katakana Kawi Kharoshthi Khmer Khojki Khudawadi L Lao " +
    "Latin Lc=LC Lepcha Letter=L Letternumber=Nl Limbu Lineseparator=Zl Lisu Ll Lm Lo Lowercaseletter=Ll Lt " +
    "Lu Lycian Lydian M Mahajani Makasar Malayalam Mandaic Manichaean Marchen Mark=M Mathsymbol=Sm Mc Me " +
    "Medefaidrin Miao Mn Modi Modifierletter=Lm Modifiersymbol=Sk Mongolian Mro Multani Myanmar N Nabataean " +
    "Nandinagari Nd Newa Nko Nl No Nonspacingmark=Mn Number=N Nushu Ogham Openpunctuation=Ps Oriya Osage " +
    "Osmanya Other=C Otherletter=Lo Othernumber=No Otherpunctuation=Po Othersymbol=So P Palmyrene " +
    "Paragraphseparator=Zp Pc Pd Pe Pf Phoenician Pi Po Privateuse=Co Ps Punct=P Punctuation=P Rejang Runic S " +
    "Samaritan Saurashtra Sc Separator=Z Sharada Shavian Siddham Sinhala Sk Sm So Sogdian Soyombo " +
    "Spaceseparator=Zs Spacingmark=Mc Sundanese Surrogate=Cs Symbol=S Syriac Tagalog Tagbanwa Takri Tamil " +
    "Tangsa Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta Titlecaseletter=Lt Toto Ugaritic Unassigned=Cn " +
    "Uppercaseletter=Lu Vai Vithkuqi Wancho Yezidi Yi Z Zl Zp Zs"
  )
    .split(" ")
    .map((entry) => {
      const [canonical, re2js] = entry.split("=") as [string, string | undefined];
      return [canonical, re2js ?? canonical] as const;
    }),
);
