/**
 * `WWW-Authenticate` challenges (RFC 7235) as registries send them: `Basic realm="..."` or
 * `Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/r:pull"`.
 */
export interface Challenge {
  /** Lower-case scheme: `basic` or `bearer` (others are reported as unsupported). */
  readonly scheme: string;
  /** Parameters with lower-case names and unquoted values. */
  readonly params: Readonly<Record<string, string>>;
}

/** Parses every challenge in a header value. A bare token starts a new challenge; `k=v` adds a parameter. */
export function parseChallenges(header: string): Challenge[] {
  const out: { scheme: string; params: Record<string, string> }[] = [];
  const re =
    /\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(?:\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,"]*))?\s*,?/y;
  let cur: { scheme: string; params: Record<string, string> } | undefined;
  while (re.lastIndex < header.length) {
    const m = re.exec(header);
    if (!m || m[0] === "") break;
    const name = m[1] ?? "";
    const raw = m[2];
    if (raw === undefined) {
      cur = { scheme: name.toLowerCase(), params: {} };
      out.push(cur);
    } else if (cur) {
      cur.params[name.toLowerCase()] = raw.startsWith('"')
        ? raw.slice(1, -1).replace(/\\(.)/g, "$1")
        : raw;
    }
  }
  return out;
}
