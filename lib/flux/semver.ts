/**
 * Masterminds/semver v3 versions and constraints, exactly as Flux's source-controller uses them.
 *
 * Pure logic, no Pulumi import. Every rule below is ported from the Go source that Flux runs, pinned to the
 * versions in fluxcd/source-controller's go.mod (2026): github.com/Masterminds/semver/v3 v3.5.0 and
 * github.com/fluxcd/pkg/version v0.16.0. Citations name the Go file and function. tools/flux-oracle runs that
 * Go code, and tests/unit/oracle.test.ts compares this module with it on generated input.
 *
 * Facts worth knowing (each one is tested):
 * - Flux parses a tag with fluxcd/pkg/version `ParseVersion`: `strings.SplitN(v, ".", 3)` must give 3 parts
 *   (at least two dots anywhere), then Masterminds `NewVersion`, which with the default `CoerceNewVersion = true`
 *   is `coerceNewVersion`: the LOOSE regex, so leading zeros in major/minor/patch are accepted (`01.02.03`),
 *   minor and patch are optional (`1.2-rc.1.0` is 1.2.0-rc.1.0: it has two dots), only a lower-case `v` prefix,
 *   build metadata is kept but ignored by precedence, pre-release numeric identifiers must not have leading
 *   zeros, at most 256 bytes (`MaxVersionLen`), numbers must fit in uint64.
 * - Precedence (`Version.Compare`, `comparePrerelease`, `comparePrePart`): numeric identifiers (those
 *   `strconv.ParseUint` accepts) compare numerically and sort below alphanumerics, alphanumerics compare
 *   bytewise, a longer pre-release wins when all shared identifiers are equal, metadata and the `v` prefix are
 *   ignored (so `v1.0.0`, `1.0.0` and `1.0.0+b` are equal).
 * - An AND-group with a comparator that has a pre-release admits pre-releases of every version; a group without
 *   one admits none (`Constraints.Check`, `containsPre`).
 */

/** A malformed constraint; the message is Masterminds' own wording. */
export class ConstraintError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConstraintError";
  }
}

/** A version as Masterminds parses it. `major`/`minor`/`patch` are exact up to 2^53; comparison is exact to 2^64-1. */
export interface FluxVersion {
  /** The string as written (the tag); Flux returns this one (`Version.Original`). */
  readonly original: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Dot-separated identifiers; numeric ones (uint64, exact to 2^53) as numbers. Empty for a release. */
  readonly prerelease: readonly (string | number)[];
  /** Build metadata after `+`, ignored by precedence. */
  readonly metadata: string;
}

/** Masterminds v3.5.0 version.go `MaxVersionLen`. */
export const MAX_VERSION_LEN = 256;
/** Masterminds v3.5.0 constraints.go `MaxConstraintLen`. */
export const MAX_CONSTRAINT_LEN = 512;
/** Masterminds v3.5.0 constraints.go `MaxConstraintGroups`. */
export const MAX_CONSTRAINT_GROUPS = 32;

const UINT64_MAX = "18446744073709551615";

/** The parsed form; `maj`/`min`/`pat` are canonical decimal strings (no leading zeros) so uint64 compares exactly. */
class Version implements FluxVersion {
  private preParts: readonly (string | number)[] | undefined;

  constructor(
    readonly original: string,
    readonly maj: string,
    readonly min: string,
    readonly pat: string,
    /** Raw pre-release without `-`, "" for a release. */
    readonly pre: string,
    readonly metadata: string,
  ) {}

  get major(): number {
    return Number(this.maj);
  }
  get minor(): number {
    return Number(this.min);
  }
  get patch(): number {
    return Number(this.pat);
  }
  get prerelease(): readonly (string | number)[] {
    if (this.preParts === undefined) {
      this.preParts =
        this.pre === "" ? [] : this.pre.split(".").map((p) => (isUint64(p) ? Number(p) : p));
    }
    return this.preParts;
  }
  toString(): string {
    return `${this.maj}.${this.min}.${this.pat}${this.pre ? `-${this.pre}` : ""}${this.metadata ? `+${this.metadata}` : ""}`;
  }
}

function asVersion(v: FluxVersion): Version {
  if (v instanceof Version) return v;
  const parsed = parseVersion(v.original);
  if (!parsed) throw new TypeError(`not a version: ${JSON.stringify(v.original)}`);
  return parsed;
}

const C = { Zero: 48, Nine: 57, Dot: 46, Dash: 45, Plus: 43, LowerV: 118 } as const;

function isDigit(c: number): boolean {
  return c >= C.Zero && c <= C.Nine;
}

/** `[0-9A-Za-z-]`: the characters of a pre-release or metadata identifier (version.go `allowed`). */
function isIdentChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === C.Dash;
}

/** Strips leading zeros; "" for "0"/"00". Canonical digits compare by length, then bytewise. */
function canonical(digits: string): string {
  let i = 0;
  while (i < digits.length - 1 && digits.charCodeAt(i) === C.Zero) i++;
  return i === 0 ? digits : digits.slice(i);
}

/** strconv.ParseUint(s, 10, 64) succeeds (digits only, value <= 2^64-1; leading zeros allowed). */
function isUint64(s: string): boolean {
  return isUint64Range(s, 0, s.length);
}

function fitsUint64(canon: string): boolean {
  return canon.length < 20 || (canon.length === 20 && canon <= UINT64_MAX);
}

/** Compares canonical decimal strings. */
function cmpNum(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}

/**
 * Scans `[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*` from `start` up to `end`; false when it does not fill the span.
 * With `pre`, also version.go `validatePrerelease`: a numeric identifier must not start with 0.
 */
function validIdents(s: string, start: number, end: number, pre: boolean): boolean {
  if (start >= end) return false;
  let idStart = start;
  let allDigits = true;
  for (let i = start; i <= end; i++) {
    const c = i < end ? s.charCodeAt(i) : C.Dot;
    if (c === C.Dot) {
      if (i === idStart) return false;
      if (pre && allDigits && i - idStart > 1 && s.charCodeAt(idStart) === C.Zero) return false;
      idStart = i + 1;
      allDigits = true;
    } else if (isIdentChar(c)) {
      if (!isDigit(c)) allDigits = false;
    } else {
      return false;
    }
  }
  return true;
}

/**
 * Masterminds v3.5.0 version.go `NewVersion` with `CoerceNewVersion = true`, i.e. `coerceNewVersion`:
 * `^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$`
 * then `strconv.ParseUint` on each number and `validatePrerelease`/`validateMetadata`. Hand-written (one pass,
 * no regex) because selection parses every tag of a registry.
 */
export function parseVersion(v: string): Version | undefined {
  const n = v.length;
  // Byte length: the tag grammar is ASCII, and any non-ASCII input fails below anyway.
  if (n === 0 || n > MAX_VERSION_LEN) return undefined;
  let i = v.charCodeAt(0) === C.LowerV ? 1 : 0;
  const nums: string[] = [];
  for (let part = 0; part < 3; part++) {
    if (part > 0) {
      if (i >= n || v.charCodeAt(i) !== C.Dot) break;
      i++;
    }
    const s = i;
    while (i < n && isDigit(v.charCodeAt(i))) i++;
    if (i === s) return undefined;
    const canon = canonical(v.slice(s, i));
    if (!fitsUint64(canon)) return undefined; // ParseUint: value out of range
    nums.push(canon);
  }
  let pre = "";
  let meta = "";
  if (i < n && v.charCodeAt(i) === C.Dash) {
    const s = i + 1;
    let e = s;
    while (e < n && v.charCodeAt(e) !== C.Plus) e++;
    if (!validIdents(v, s, e, true)) return undefined;
    pre = v.slice(s, e);
    i = e;
  }
  if (i < n && v.charCodeAt(i) === C.Plus) {
    if (!validIdents(v, i + 1, n, false)) return undefined;
    meta = v.slice(i + 1);
    i = n;
  }
  if (i !== n) return undefined;
  return new Version(v, nums[0]!, nums[1] ?? "0", nums[2] ?? "0", pre, meta);
}

/**
 * What source-controller accepts as a version when it lists tags: fluxcd/pkg/version v0.16.0 `ParseVersion`
 * (called from source-controller ocirepository_controller.go `getTagBySemver`): `strings.SplitN(v, ".", 3)` must
 * have 3 parts, then Masterminds `NewVersion`. Undefined for a tag Flux skips silently.
 */
export function parseFluxTag(tag: string): FluxVersion | undefined {
  return parseFluxVersion(tag);
}

/** parseFluxTag with the internal type, for this package. */
export function parseFluxVersion(tag: string): Version | undefined {
  const first = tag.indexOf(".");
  if (first < 0 || tag.indexOf(".", first + 1) < 0) return undefined;
  return parseVersion(tag);
}

/** strconv.ParseUint(s[start:end], 10, 64) succeeds (non-empty, digits only, <= 2^64-1). */
function isUint64Range(s: string, start: number, end: number): boolean {
  if (start >= end) return false;
  let z = start;
  for (let i = start; i < end; i++) if (!isDigit(s.charCodeAt(i))) return false;
  while (z < end - 1 && s.charCodeAt(z) === C.Zero) z++;
  const len = end - z;
  return len < 20 || (len === 20 && s.slice(z, end) <= UINT64_MAX);
}

/** Compares the substrings a[as:ae] and b[bs:be] (in place: selection compares many versions): -1, 0 or 1. */
type CompareRanges = (
  a: string,
  as: number,
  ae: number,
  b: string,
  bs: number,
  be: number,
) => number;

/** Bytewise comparison of two substrings (pre-release identifiers are ASCII). */
const compareBytes: CompareRanges = (a, as, ae, b, bs, be) => {
  const n = Math.min(ae - as, be - bs);
  for (let k = 0; k < n; k++) {
    const d = a.charCodeAt(as + k) - b.charCodeAt(bs + k);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  const la = ae - as;
  const lb = be - bs;
  return la === lb ? 0 : la < lb ? -1 : 1;
};

/** Numeric identifiers without leading zeros (validatePrerelease guarantees it): length, then bytes. */
const compareDigits: CompareRanges = (a, as, ae, b, bs, be) => {
  while (as < ae - 1 && a.charCodeAt(as) === C.Zero) as++;
  while (bs < be - 1 && b.charCodeAt(bs) === C.Zero) bs++;
  if (ae - as !== be - bs) return ae - as < be - bs ? -1 : 1;
  return compareBytes(a, as, ae, b, bs, be);
};

/**
 * version.go `comparePrePart` on the identifiers s[ss:se] and o[os:oe] ("" when the range is empty): equal is 0,
 * an empty one is lower, numeric (`strconv.ParseUint` succeeds) below alphanumeric, numbers by value, text bytewise.
 * Go returns -1 for two different numbers of equal value, which validatePrerelease makes impossible.
 */
const comparePrePart: CompareRanges = (s, ss, se, o, os, oe) => {
  if (compareBytes(s, ss, se, o, os, oe) === 0) return 0;
  if (ss === se) return -1;
  if (os === oe) return 1;
  const sNum = isUint64Range(s, ss, se);
  const oNum = isUint64Range(o, os, oe);
  if (!sNum && !oNum) return compareBytes(s, ss, se, o, os, oe);
  if (!oNum) return -1; // s is a number, o a string
  if (!sNum) return 1;
  return compareDigits(s, ss, se, o, os, oe) > 0 ? 1 : -1;
};

/**
 * version.go `comparePrerelease`: `strings.Split` both on "." and compare identifier by identifier up to the
 * longer length, a missing identifier being "". Walks the strings in place: selection compares many versions.
 */
function comparePrerelease(a: string, b: string): number {
  let i = 0;
  let j = 0;
  // Go iterates max(len(parts)) times; a string of k dots has k+1 parts, "" has one.
  for (;;) {
    const aDone = i > a.length;
    const bDone = j > b.length;
    if (aDone && bDone) return 0;
    let ie = aDone ? i : a.indexOf(".", i);
    if (ie < 0) ie = a.length;
    let je = bDone ? j : b.indexOf(".", j);
    if (je < 0) je = b.length;
    const d = comparePrePart(a, aDone ? 0 : i, aDone ? 0 : ie, b, bDone ? 0 : j, bDone ? 0 : je);
    if (d !== 0) return d;
    i = aDone ? i : ie + 1;
    j = bDone ? j : je + 1;
  }
}

function compareInternal(a: Version, b: Version): number {
  let d = cmpNum(a.maj, b.maj);
  if (d !== 0) return d;
  d = cmpNum(a.min, b.min);
  if (d !== 0) return d;
  d = cmpNum(a.pat, b.pat);
  if (d !== 0) return d;
  if (a.pre === b.pre) return 0;
  if (a.pre === "") return 1;
  if (b.pre === "") return -1;
  return comparePrerelease(a.pre, b.pre);
}

/** Masterminds version.go `Version.Compare`: -1, 0 or 1; metadata and `v` are ignored. */
export function compareVersions(a: FluxVersion, b: FluxVersion): number {
  return compareInternal(asVersion(a), asVersion(b));
}

/** Package-internal fast path for selection. */
export { compareInternal as compareParsed };
export type { Version as ParsedVersion };

// ---------------------------------------------------------------------------------------------------------
// Constraints: Masterminds v3.5.0 constraints.go.

/** Go's `\s` is `[\t\n\f\r ]` (RE2 Perl class); JS's `\s` is wider, so it is spelled out. */
const S = "[\\t\\n\\f\\r ]";
/** constraints.go `ops`, alternation order kept: Go's leftmost-first matching picks the same submatches. */
const OPS = "=||!=|>|<|>=|=>|<=|=<|~|~>|\\^";
/** constraints.go `cvRegex` (9 groups). Note `|` inside the number class: Masterminds' own quirk. */
const CV =
  "v?([0-9|x|X|\\*]+)(\\.[0-9|x|X|\\*]+)?(\\.[0-9|x|X|\\*]+)?" +
  "(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?" +
  "(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?";
const constraintRegex = new RegExp(`^${S}*(${OPS})${S}*(${CV})${S}*$`);
const constraintRangeRegex = new RegExp(`${S}*(${CV})${S}+-${S}+(${CV})${S}*`, "g");
const findConstraintRegex = new RegExp(`(${OPS})${S}*(${CV})`, "g");
/**
 * constraints.go `validConstraintRegex` is
 *   ^(\s*(ops)\s*(cv)\s*)((?:\s+|,\s*)(ops)\s*(cv)\s*)*$
 * Go's RE2 runs it in linear time; a backtracking engine takes about a second on a 512-byte run of spaces
 * (three adjacent `\s*`, and `ops` may be empty). This is the same language without the ambiguity: with `ops`
 * empty the separator `\s*(\s+|,\s*)\s*` is `\s+` or `\s*,\s*`; with an operator it is followed by `\s*`.
 * Only the boolean result is used, and tests/unit/flux.oracle.test.ts checks it against Go.
 */
const NONEMPTY_OPS = "!=|>=|=>|<=|=<|~>|=|>|<|~|\\^";
const validConstraintRegex = new RegExp(
  `^${S}*(?:(?:${NONEMPTY_OPS})${S}*)?(?:${CV})(?:(?:${S}+|${S}*,${S}*)(?:(?:${NONEMPTY_OPS})${S}*)?(?:${CV}))*${S}*$`,
);

type Op = "" | "=" | "!=" | ">" | "<" | ">=" | "=>" | "<=" | "=<" | "~" | "~>" | "^";

/** constraints.go `constraint`. */
interface Comparator {
  readonly con: Version;
  readonly orig: string;
  readonly op: Op;
  readonly dirty: boolean;
  readonly minorDirty: boolean;
  readonly patchDirty: boolean;
}

/** A parsed Masterminds constraint: OR of AND-groups. */
export interface Constraint {
  /** The string as written. */
  readonly source: string;
  /** Masterminds `Constraints.Check` with `IncludePrerelease = false`, as Flux constructs it. */
  check(v: FluxVersion): boolean;
  /** Whether some pre-release version satisfies the constraint (an integration cluster needs this). */
  admitsPrerelease(): boolean;
}

/** Go's `%q` (strconv.Quote) for the error messages. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (c === 7) out += "\\a";
    else if (c === 8) out += "\\b";
    else if (c === 12) out += "\\f";
    else if (c === 10) out += "\\n";
    else if (c === 13) out += "\\r";
    else if (c === 9) out += "\\t";
    else if (c === 11) out += "\\v";
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else if (c >= 0x80 && c <= 0x9f) out += `\\u00${c.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

function isX(s: string): boolean {
  return s === "x" || s === "*" || s === "X";
}

/** constraints.go `rewriteRange`: `a - b` becomes `>= a, <= b `, replacing the first occurrence of each match text. */
function rewriteRange(i: string): string {
  let o = i;
  for (const m of i.matchAll(constraintRangeRegex)) {
    const t = `>= ${m[1]}, <= ${m[11]} `;
    const at = o.indexOf(m[0]);
    if (at >= 0) o = o.slice(0, at) + t + o.slice(at + m[0].length);
  }
  return o;
}

/** constraints.go `parseConstraint`. */
function parseComparator(c: string): Comparator {
  if (c.length === 0) {
    // The special case: "" is `>= 0.0.0` spelled as a dirty tilde-or-equal (unreachable from NewConstraint,
    // whose validConstraintRegex rejects "", but ported for completeness).
    return {
      con: parseVersion("0.0.0")!,
      orig: "",
      op: "",
      dirty: true,
      minorDirty: false,
      patchDirty: false,
    };
  }
  const m = constraintRegex.exec(c);
  if (!m) throw new ConstraintError(`improper constraint: ${goQuote(c)}`);
  const g = (k: number): string => m[k] ?? "";
  let ver = g(2);
  let minorDirty = false;
  let patchDirty = false;
  let dirty = false;
  if (isX(g(3)) || g(3) === "") {
    ver = `0.0.0${g(6)}`;
    dirty = true;
  } else if (isX(g(4).replace(/^\./, "")) || g(4) === "") {
    minorDirty = true;
    dirty = true;
    ver = `${g(3)}.0.0${g(6)}`;
  } else if (isX(g(5).replace(/^\./, "")) || g(5) === "") {
    dirty = true;
    patchDirty = true;
    ver = `${g(3)}${g(4)}.0${g(6)}`;
  }
  const con = parseVersion(ver);
  // Masterminds' wording: "The constraintRegex should catch any regex parsing errors. So, we should never get here."
  // It does get here, e.g. for `1|2` (the number class admits `|`) or a numeric pre-release with a leading zero.
  if (!con) throw new ConstraintError("constraint parser error");
  return { con, orig: g(2), op: g(1) as Op, dirty, minorDirty, patchDirty };
}

// Constraint functions, constraints.go. Each starts with the group-level pre-release exit:
// "Exit early if the version has a prerelease but those are to be ignored."

function notEqual(v: Version, c: Comparator): boolean {
  if (c.dirty) {
    if (cmpNum(c.con.maj, v.maj) !== 0) return true;
    if (cmpNum(c.con.min, v.min) !== 0 && !c.minorDirty) return true;
    else if (c.minorDirty) return false;
    else if (cmpNum(c.con.pat, v.pat) !== 0 && !c.patchDirty) return true;
    else if (c.patchDirty) {
      if (v.pre !== "" || c.con.pre !== "") return comparePrerelease(v.pre, c.con.pre) !== 0;
      return false;
    }
  }
  return compareInternal(v, c.con) !== 0;
}

function greaterThan(v: Version, c: Comparator): boolean {
  if (!c.dirty) return compareInternal(v, c.con) === 1;
  const d = cmpNum(v.maj, c.con.maj);
  if (d > 0) return true;
  if (d < 0) return false;
  if (c.minorDirty) return false; // `>11` needs 12 or higher
  if (c.patchDirty) return cmpNum(v.min, c.con.min) > 0; // `>11.1` needs 11.2 or higher
  return compareInternal(v, c.con) === 1;
}

function lessThan(v: Version, c: Comparator): boolean {
  return compareInternal(v, c.con) < 0;
}

function greaterThanEqual(v: Version, c: Comparator): boolean {
  return compareInternal(v, c.con) >= 0;
}

function lessThanEqual(v: Version, c: Comparator): boolean {
  if (!c.dirty) return compareInternal(v, c.con) <= 0;
  const d = cmpNum(v.maj, c.con.maj);
  if (d > 0) return false;
  if (d === 0 && cmpNum(v.min, c.con.min) > 0 && !c.minorDirty) return false;
  return true;
}

/** constraintTilde, including "~0.0.0 is a special case where all constraints are accepted" (>= 0.0.0). */
function tilde(v: Version, c: Comparator): boolean {
  if (compareInternal(v, c.con) < 0) return false;
  if (c.con.maj === "0" && c.con.min === "0" && c.con.pat === "0" && !c.minorDirty && !c.patchDirty)
    return true;
  if (v.maj !== c.con.maj) return false;
  if (v.min !== c.con.min && !c.minorDirty) return false;
  return true;
}

/** constraintTildeOrEqual: with an x (dirty) it is `~`, otherwise `=`. */
function tildeOrEqual(v: Version, c: Comparator): boolean {
  if (c.dirty) return tilde(v, c);
  return compareInternal(v, c.con) === 0;
}

/** constraintCaret. */
function caret(v: Version, c: Comparator): boolean {
  if (compareInternal(v, c.con) < 0) return false;
  if (c.con.maj !== "0" || c.minorDirty) return v.maj === c.con.maj;
  if (v.maj !== "0") return false;
  if (c.con.min !== "0" || c.patchDirty) return v.min === c.con.min;
  if (v.min !== "0") return false;
  return c.con.pat === v.pat;
}

/** constraints.go `constraint.check` through `constraintOps`. Canonical number strings compare with ===. */
function checkComparator(v: Version, c: Comparator, includePre: boolean): boolean {
  if (v.pre !== "" && !includePre) return false;
  switch (c.op) {
    case "":
    case "=":
      return tildeOrEqual(v, c);
    case "!=":
      return notEqual(v, c);
    case ">":
      return greaterThan(v, c);
    case "<":
      return lessThan(v, c);
    case ">=":
    case "=>":
      return greaterThanEqual(v, c);
    case "<=":
    case "=<":
      return lessThanEqual(v, c);
    case "~":
    case "~>":
      return tilde(v, c);
    case "^":
      return caret(v, c);
    default: {
      const never: never = c.op;
      throw new Error(`unknown operator ${String(never)}`);
    }
  }
}

interface Group {
  readonly comparators: readonly Comparator[];
  /** constraints.go `containsPre`: one comparator's version has a pre-release. */
  readonly containsPre: boolean;
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

class Constraints implements Constraint {
  private admitsPre: boolean | undefined;

  constructor(
    readonly source: string,
    private readonly groups: readonly Group[],
  ) {}

  check(v: FluxVersion): boolean {
    return this.checkParsed(asVersion(v));
  }

  /** constraints.go `Constraints.Check`. */
  checkParsed(v: Version): boolean {
    for (const g of this.groups) {
      let joy = true;
      for (const c of g.comparators) {
        if (!checkComparator(v, c, g.containsPre)) {
          joy = false;
          break;
        }
      }
      if (joy) return true;
    }
    return false;
  }

  admitsPrerelease(): boolean {
    this.admitsPre ??= this.groups.some(
      (g) => g.containsPre && prereleaseCandidates(g).some((v) => this.checkGroup(g, v)),
    );
    return this.admitsPre;
  }

  private checkGroup(g: Group, v: Version): boolean {
    return g.comparators.every((c) => checkComparator(v, c, g.containsPre));
  }
}

/**
 * Pre-release versions that decide whether an AND-group admits any pre-release. Every comparator's admitted set
 * is a union of intervals (or, for `!=`, all but isolated points) whose ends lie at its version, at the next
 * patch/minor/major, or at 0.0.0; a non-empty intersection therefore contains one of those ends, or the
 * immediate successor of one (`P` -> `P.0` is the next pre-release), which steps over an excluded point.
 */
function prereleaseCandidates(g: Group): Version[] {
  const out: Version[] = [];
  const add = (maj: bigint, min: bigint, pat: bigint, pre: string): void => {
    const max = BigInt(UINT64_MAX);
    if (maj > max || min > max || pat > max) return;
    const s = `${maj}.${min}.${pat}-${pre}`;
    const v = parseVersion(s);
    if (!v) return;
    out.push(v);
    out.push(parseVersion(`${s}.0`)!);
  };
  add(0n, 0n, 0n, "0");
  for (const c of g.comparators) {
    const [M, m, p] = [BigInt(c.con.maj), BigInt(c.con.min), BigInt(c.con.pat)];
    add(M, m, p, "0");
    if (c.con.pre !== "") add(M, m, p, c.con.pre);
    add(M, m, p + 1n, "0");
    add(M, m + 1n, 0n, "0");
    add(M + 1n, 0n, 0n, "0");
  }
  return out;
}

/**
 * Masterminds v3.5.0 constraints.go `NewConstraint`: length limit, `rewriteRange` (hyphen ranges), split on
 * `||` (at most 32 groups), each group must match `validConstraintRegex`, its comparators are found with
 * `findConstraintRegex` and parsed by `parseConstraint`. Throws ConstraintError with Masterminds' message.
 */
export function parseConstraint(s: string): Constraint {
  return parseConstraints(s);
}

/** parseConstraint with the internal type (adds `checkParsed`), for this package. */
export function parseConstraints(s: string): Constraints {
  if (utf8Length(s) > MAX_CONSTRAINT_LEN) {
    throw new ConstraintError(`constraint string is too long (max ${MAX_CONSTRAINT_LEN} bytes)`);
  }
  const c = rewriteRange(s);
  const ors = c.split("||");
  if (ors.length > MAX_CONSTRAINT_GROUPS) {
    throw new ConstraintError(`too many constraint groups (max ${MAX_CONSTRAINT_GROUPS})`);
  }
  const groups: Group[] = ors.map((v) => {
    if (!validConstraintRegex.test(v))
      throw new ConstraintError(`improper constraint: ${goQuote(v)}`);
    let cs = Array.from(v.matchAll(findConstraintRegex), (m) => m[0]);
    if (cs.length === 0) cs = [v];
    const comparators = cs.map(parseComparator);
    return { comparators, containsPre: comparators.some((p) => p.con.pre !== "") };
  });
  return new Constraints(s, groups);
}

export type { Constraints as ParsedConstraint };
