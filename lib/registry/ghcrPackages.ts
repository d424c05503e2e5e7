/**
 * The GitHub Packages API for a ghcr.io container package: every package version is one manifest digest
 * (its `name`) with the tags on it, 100 versions per page. For the allowlist that is every tag's digest in
 * ceil(versions / 100) requests instead of a manifest HEAD per tag. The token is the one the retention
 * workflow already passes (GITHUB_TOKEN with `packages: read` or more). Fails closed like the OCI reader:
 * retries a 429, a 5xx or a rate-limited 403 (honouring `Retry-After`), then throws a RegistryError; a
 * partial list is never returned.
 */
import { nextLink, relLink, retryAfterMs } from "./oci";
import { mapLimit, RegistryError } from "./types";
import { clip } from "../clip";

export interface GhcrPackagesOptions {
  /** The package owner (organisation or user): `example-org` of `ghcr.io/example-org/platform/platform`. */
  readonly owner: string;
  /** The package name below the owner: `platform/platform`. */
  readonly packageName: string;
  /** A GitHub token that may read the package. */
  readonly token: string;
  /** REST API base (GITHUB_API_URL on a runner); default https://api.github.com. Plain http only on loopback. */
  readonly apiUrl?: string;
  readonly fetch?: typeof fetch;
  readonly retries?: number;
  readonly retryBaseMs?: number;
  readonly maxRetryAfterMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly timeoutMs?: number;
  /** Pages in flight at once once the last page is known (default 8). */
  readonly concurrency?: number;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * The API refused the token or does not know the package on the FIRST page (401, 403 that is not a rate
 * limit, 404 under both /orgs and /users): nothing was read, so a caller may read the registry instead.
 */
export class PackagesUnavailable extends RegistryError {}
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** digest -> tags of every version of the package (untagged versions included, with no tags). */
export async function ghcrPackageVersions(
  opts: GhcrPackagesOptions,
): Promise<Map<string, string[]>> {
  const api = (opts.apiUrl ?? "https://api.github.com").replace(/\/+$/, "");
  const u = new URL(api);
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(u.hostname);
  const where = `ghcr.io/${opts.owner}/${opts.packageName}`;
  const fail = (step: string, detail: string): never => {
    throw new RegistryError("ghcr.io", step, detail);
  };
  if (u.protocol !== "https:" && !(u.protocol === "http:" && loopback))
    fail(`list package versions of ${where}`, `the API URL ${api} must be https`);
  const fetchFn = opts.fetch ?? fetch;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const retries = Math.max(0, opts.retries ?? 3);
  const base = opts.retryBaseMs ?? 250;
  const maxAfter = opts.maxRetryAfterMs ?? 60_000;
  const pkg = encodeURIComponent(opts.packageName);

  async function get(url: string, step: string): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await fetchFn(url, {
          headers: {
            accept: "application/vnd.github+json",
            authorization: `Bearer ${opts.token}`,
            "x-github-api-version": "2022-11-28",
          },
          signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
        });
      } catch (e) {
        if (attempt > retries)
          fail(step, `GET ${url} failed: ${(e as Error).message} (after ${attempt} attempts)`);
        await sleep(base * 2 ** (attempt - 1));
        continue;
      }
      const after = retryAfterMs(res.headers.get("retry-after"));
      const limited =
        res.status === 429 ||
        res.status >= 500 ||
        (res.status === 403 &&
          (after !== undefined || res.headers.get("x-ratelimit-remaining") === "0"));
      if (limited && attempt <= retries) {
        await res.body?.cancel();
        if (after !== undefined && after > maxAfter)
          fail(
            step,
            `HTTP ${res.status} with Retry-After ${Math.ceil(after / 1000)}s, longer than the ${Math.ceil(maxAfter / 1000)}s this client waits`,
          );
        await sleep(Math.max(base * 2 ** (attempt - 1), after ?? 0));
        continue;
      }
      if ((res.status === 401 || res.status === 403) && /\(\w+, page 1\)$/.test(step)) {
        await res.body?.cancel();
        throw new PackagesUnavailable(
          "ghcr.io",
          step,
          `HTTP ${res.status}: the token may not read the package through the API`,
        );
      }
      if (!res.ok && res.status !== 404) {
        const text = (await res.text()).slice(0, 300);
        fail(
          step,
          `HTTP ${res.status} ${res.statusText}${text ? `: ${text}` : ""}${attempt > 1 ? ` (after ${attempt} attempts)` : ""}`,
        );
      }
      return res;
    }
  }

  /** Adds one page's versions to `out`; anything malformed fails closed. */
  async function readPage(res: Response, step: string, out: Map<string, string[]>): Promise<void> {
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      fail(step, `response is not JSON: ${text.slice(0, 200)}`);
    }
    if (!Array.isArray(body)) fail(step, `response is not a list: ${text.slice(0, 200)}`);
    for (const v of body as unknown[]) {
      const name = (v as { name?: unknown } | null)?.name;
      const tags = (v as { metadata?: { container?: { tags?: unknown } } } | null)?.metadata
        ?.container?.tags;
      if (typeof name !== "string" || !DIGEST.test(name))
        fail(step, `a version's name ${clip(name)} is not a sha256 digest`);
      if (!Array.isArray(tags) || tags.some((t) => typeof t !== "string" || !TAG.test(t)))
        fail(step, `version ${name as string} has no list of valid tags`);
      out.set(name as string, [
        ...new Set([...(out.get(name as string) ?? []), ...(tags as string[])]),
      ]);
    }
  }

  // An organisation's package is under /orgs, a user's under /users: a 404 on the first /orgs page
  // means "not an organisation"; any other 404 is an error.
  for (const kind of ["orgs", "users"] as const) {
    const out = new Map<string, string[]>();
    let url: string | undefined =
      `${api}/${kind}/${encodeURIComponent(opts.owner)}/packages/container/${pkg}/versions?per_page=100&page=1`;
    const seen = new Set<string>();
    let missing = false;
    for (let page = 1; url !== undefined; page++) {
      const step = `list package versions of ${where} (${kind}, page ${page})`;
      if (seen.has(url) || page > 100_000) fail(step, `pagination loops at ${url}`);
      seen.add(url);
      const res = await get(url, step);
      if (res.status === 404) {
        await res.body?.cancel();
        if (page === 1 && kind === "orgs") {
          missing = true;
          break;
        }
        if (page === 1)
          throw new PackagesUnavailable(
            "ghcr.io",
            step,
            "HTTP 404: no such package, or the token may not read it",
          );
        fail(step, "HTTP 404: the package vanished while it was being listed");
      }
      await readPage(res, step, out);
      const link = res.headers.get("link");
      const next = nextLink(link, url);
      const last = relLink(link, "last", url);
      const lastPage = last === undefined ? NaN : Number(new URL(last).searchParams.get("page"));
      if (page === 1 && next !== undefined && Number.isInteger(lastPage) && lastPage > 1) {
        // GitHub announces the last page: read pages 2..last in parallel (bounded), not one by one.
        const pages = Array.from({ length: lastPage - 1 }, (_, i) => i + 2);
        await mapLimit(pages, opts.concurrency ?? 8, async (n) => {
          const u = new URL(url!);
          u.searchParams.set("page", String(n));
          const pstep = `list package versions of ${where} (${kind}, page ${n})`;
          const r = await get(u.toString(), pstep);
          if (r.status === 404) {
            await r.body?.cancel();
            fail(pstep, "HTTP 404: the package vanished while it was being listed");
          }
          await readPage(r, pstep, out);
        });
        break;
      }
      url = next;
    }
    if (!missing) return out;
  }
  throw new Error("internal: unreachable");
}
