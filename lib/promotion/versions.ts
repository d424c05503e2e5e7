/**
 * RC version allocation and revision parsing (DESIGN section 2). Pure logic, no Pulumi import; the build
 * workflow runs this through `promotion next-version`, so there is no second implementation in shell.
 *
 * Versions are read with the same parser Flux uses (lib/flux/semver.ts), so "highest stable" is what a live
 * cluster with `>= 0.0.0` would select (`v1.4.0` and `1.4.0+meta` count as 1.4.0), and the result is ordered
 * above every stable tag, which is what lets an integration cluster with `>= 0.0.0-0` pick it.
 */
import { compareParsed, parseFluxVersion, type ParsedVersion } from "../flux/semver";
import { clip } from "../clip";

/** A bad argument to nextVersion / parseRevision; the message names the value and what is expected. */
export class VersionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VersionError";
  }
}

const STRICT_STABLE = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/;
const UINT64_MAX = (1n << 64n) - 1n;

export interface NextVersionOptions {
  /** First version when the registry holds no stable version yet (default `0.0.1`); strict `X.Y.Z`. */
  readonly startVersion?: string;
}

/** The `N` of a pre-release that is exactly `rc.N` (dot, numeric, no leading zero); undefined otherwise. */
function rcNumber(v: ParsedVersion): bigint | undefined {
  const m = /^rc\.(0|[1-9][0-9]*)$/.exec(v.pre);
  return m ? BigInt(m[1]!) : undefined;
}

/**
 * The next release candidate `X.Y.Z-rc.N`:
 * - `X.Y.Z` = the highest stable version among `tags` with its patch bumped; with no stable version, the start
 *   version (default `0.0.1`);
 * - `N` = 1 + the highest `N` of an existing `X.Y.Z-rc.N` (any spelling Flux reads as that version, e.g.
 *   `vX.Y.Z-rc.N`), or 1. Only `rc.N` counts: `rc10`, `RC.3`, `rc.3.1` are not ours (and `rc10` would sort
 *   below `rc9` anyway: alphanumeric identifiers compare bytewise).
 * The result is never an existing tag, and always admitted by `>= 0.0.0-0` and not by `>= 0.0.0`.
 */
export function nextVersion(tags: readonly string[], opts: NextVersionOptions = {}): string {
  const start = opts.startVersion ?? "0.0.1";
  if (!STRICT_STABLE.test(start)) {
    throw new VersionError(
      `start version ${clip(start)} must be a stable X.Y.Z (e.g. "0.0.1" or "1.0.0").`,
    );
  }
  const parsed: ParsedVersion[] = [];
  let highest: ParsedVersion | undefined;
  for (const t of tags) {
    const v = parseFluxVersion(t);
    if (!v) continue;
    parsed.push(v);
    if (v.pre === "" && (highest === undefined || compareParsed(v, highest) > 0)) highest = v;
  }
  let base: string;
  if (highest === undefined) {
    base = start;
  } else {
    const patch = BigInt(highest.pat) + 1n;
    if (patch > UINT64_MAX)
      throw new VersionError(
        `cannot bump the patch of ${highest.original}: it is the largest uint64.`,
      );
    base = `${highest.maj}.${highest.min}.${patch}`;
  }
  // Canonical decimal strings (no leading zeros) compare exactly, without BigInt per tag.
  const [maj, min, pat] = base.split(".") as [string, string, string];
  let n = 0n;
  for (const v of parsed) {
    if (v.maj !== maj || v.min !== min || v.pat !== pat) continue;
    const k = rcNumber(v);
    if (k !== undefined && k > n) n = k;
  }
  const next = n + 1n;
  if (next > UINT64_MAX) throw new VersionError(`rc number overflow for ${base}.`);
  const version = `${base}-rc.${next}`;
  // Unreachable by construction (N exceeds every rc.N of this version); kept as the invariant's last guard.
  if (tags.includes(version)) throw new VersionError(`internal error: ${version} exists already.`);
  return version;
}

/** A Flux source revision of an OCI artifact. */
export interface Revision {
  /** The tag part (before `@`). */
  readonly tag: string;
  /** The digest, `sha256:<64 lower-case hex>`. */
  readonly digest: string;
}

/** OCI distribution tag grammar (distribution/reference `tag`). */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * Parses a source revision `<tag>@sha256:<64 hex>` as Flux reports it (`metadata.revision` of an event,
 * `status.artifact.revision`), strictly: a valid OCI tag, exactly one `@`, a lower-case sha256 digest.
 */
export function parseRevision(rev: string): Revision {
  const at = rev.indexOf("@");
  if (at < 0 || rev.indexOf("@", at + 1) >= 0) {
    throw new VersionError(
      `revision ${clip(rev)} must be <tag>@sha256:<64 hex digits> with one "@".`,
    );
  }
  const tag = rev.slice(0, at);
  const digest = rev.slice(at + 1);
  if (!TAG.test(tag)) {
    throw new VersionError(
      `revision ${clip(rev)}: ${clip(tag)} is not an OCI tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127}).`,
    );
  }
  if (!DIGEST.test(digest)) {
    throw new VersionError(
      `revision ${clip(rev)}: ${clip(digest)} is not sha256:<64 lower-case hex digits>.`,
    );
  }
  return { tag, digest };
}
