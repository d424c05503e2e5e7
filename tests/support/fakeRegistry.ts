/**
 * An in-memory OCI registry on 127.0.0.1 for the registry-scale tests and `bench/registry.sh`: the read
 * side of the distribution API (`/v2/`, paginated `tags/list` with `n`, `last` and a `Link` header,
 * manifest HEAD and GET by tag or digest, manifest PUT for retags) and the GitHub Packages API's
 * container versions (`/orgs|users/<owner>/packages/container/<name>/versions`, `per_page`, `page`,
 * `Link`). It adds a configurable latency to every request, counts requests by kind, and injects faults:
 * a number of 429s with `Retry-After`, or 500s from the k-th request on (a registry failing half way).
 *
 * `yearsOfBuilds` makes a history as the pipeline writes it: per build `X.Y.Z-rc.N`, `sha-<7>`,
 * `integration-<7>` on one manifest carrying the build's revision and version annotations; about one build
 * in three promoted (`validated-<7>`, `X.Y.Z`); a `latest` floating tag on the newest stable.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { fluxManifest, sha256 } from "./ociManifest";

export interface RequestCounts {
  list: number;
  head: number;
  get: number;
  put: number;
  api: number;
  other: number;
}

export interface FakeRegistryOptions {
  /** Repository path, e.g. `example-org/platform/platform`. */
  readonly repository: string;
  /** Added to every request before it is answered. */
  readonly latencyMs?: number;
  /** Largest tag page, whatever `n` asks (default 1000). */
  readonly maxPageSize?: number;
  /** Serve the Packages API for this owner (`orgs` or `users`) and package name. */
  readonly packages?: {
    readonly kind: "orgs" | "users";
    readonly owner: string;
    readonly name: string;
  };
}

export interface FakeRegistry {
  readonly host: string;
  readonly counts: RequestCounts;
  /** Every request's `METHOD path?query`, in order. */
  readonly log: string[];
  total(): number;
  reset(): void;
  /** The next `count` requests answer 429 with `Retry-After: <seconds>`. */
  throttle(count: number, retryAfterSeconds: number): void;
  /** From the `n`-th request on (counting from the next one, 1-based), every request answers 500. */
  failFrom(n: number | undefined): void;
  /** tag -> digest, as the registry holds it now (write through push or a manifest PUT). */
  readonly tags: ReadonlyMap<string, string>;
  /** Adds a manifest (bytes) and tags it; returns its digest. */
  push(manifest: Buffer, tags: readonly string[]): string;
  close(): Promise<void>;
}

/** A Flux artifact manifest with the annotations the build workflow sets. */
export function buildManifest(commit: string, version: string): Buffer {
  return fluxManifest([], {
    "org.opencontainers.image.revision": `main@sha1:${commit}`,
    "org.opencontainers.image.source": "https://github.com/example-org/platform",
    "org.opencontainers.image.version": version,
  });
}

export interface HistoryBuild {
  readonly commit: string;
  readonly version: string;
  readonly manifest: Buffer;
  readonly tags: string[];
}

/**
 * Builds until the history holds at least `tagCount` tags. Deterministic (seeded); short shas are unique.
 * The last version's RCs stay pending (not promoted).
 */
export function yearsOfBuilds(tagCount: number, seed = 42): HistoryBuild[] {
  let s = seed;
  const rnd = (): number => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const builds: HistoryBuild[] = [];
  const shorts = new Set<string>();
  const maj = 0;
  let [min, pat, rc] = [1, 0, 0];
  let count = 0;
  for (let n = 0; count < tagCount; n++) {
    let commit = createHash("sha1").update(`commit-${n}`).digest("hex");
    for (let k = 0; shorts.has(commit.slice(0, 7)); k++)
      commit = createHash("sha1").update(`commit-${n}-${k}`).digest("hex");
    shorts.add(commit.slice(0, 7));
    rc++;
    const version = `${maj}.${min}.${pat}-rc.${rc}`;
    const short = commit.slice(0, 7);
    const tags = [version, `sha-${short}`, `integration-${short}`];
    const promote = count + 5 < tagCount - 12 && rnd() < 0.3;
    if (promote) {
      tags.push(`validated-${short}`, `${maj}.${min}.${pat}`);
      pat++;
      rc = 0;
      if (rnd() < 0.05) [min, pat] = [min + 1, 0];
    }
    builds.push({ commit, version, manifest: buildManifest(commit, version), tags });
    count += tags.length;
  }
  const newestStable = [...builds].reverse().find((b) => b.tags.length === 5);
  if (newestStable) newestStable.tags.push("latest");
  return builds;
}

export async function startFakeRegistry(opts: FakeRegistryOptions): Promise<FakeRegistry> {
  const manifests = new Map<string, Buffer>();
  const tags = new Map<string, string>();
  const counts: RequestCounts = { list: 0, head: 0, get: 0, put: 0, api: 0, other: 0 };
  const log: string[] = [];
  let throttled = 0;
  let retryAfter = 1;
  let failFrom: number | undefined;
  let seen = 0;
  const latency = opts.latencyMs ?? 0;
  const maxPage = opts.maxPageSize ?? 1000;
  const repo = opts.repository;
  let host = "";
  // Sorted views, rebuilt only after a write: the server's own cost must not show in the benchmark.
  let cache: { sorted: string[]; versions: [string, string[]][] } | undefined;
  const views = (): { sorted: string[]; versions: [string, string[]][] } => {
    if (cache) return cache;
    const byDigest = new Map<string, string[]>();
    for (const d of manifests.keys()) byDigest.set(d, []);
    const sorted = [...tags.keys()].sort();
    for (const t of sorted) byDigest.get(tags.get(t)!)!.push(t);
    // Newest first, as GitHub lists package versions: the order manifests were pushed, reversed.
    cache = { sorted, versions: [...byDigest].reverse() };
    return cache;
  };

  const json = (res: ServerResponse, status: number, body: unknown, headers = {}): void => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", `http://${host}`);
    const method = req.method ?? "GET";
    log.push(`${method} ${url.pathname}${url.search}`);
    seen++;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    const manifestPath = `/v2/${repo}/manifests/`;
    if (url.pathname === `/v2/${repo}/tags/list`) counts.list++;
    else if (url.pathname.startsWith(manifestPath))
      counts[method === "HEAD" ? "head" : method === "PUT" ? "put" : "get"]++;
    else if (url.pathname.includes("/packages/container/")) counts.api++;
    else counts.other++;

    if (failFrom !== undefined && seen >= failFrom) {
      json(res, 500, { errors: [{ code: "UNKNOWN", message: "injected failure" }] });
      return;
    }
    if (throttled > 0) {
      throttled--;
      json(res, 429, { errors: [{ code: "TOOMANYREQUESTS" }] }, { "retry-after": `${retryAfter}` });
      return;
    }
    if (/^\/v2\/.+\/tags\/list$/.test(url.pathname) && url.pathname !== `/v2/${repo}/tags/list`) {
      json(res, 404, { errors: [{ code: "NAME_UNKNOWN", message: "repository name not known" }] });
      return;
    }
    if (url.pathname === "/v2/" || url.pathname === "/v2") {
      json(res, 200, {});
      return;
    }
    if (url.pathname === `/v2/${repo}/tags/list`) {
      if (tags.size === 0 && manifests.size === 0) {
        json(res, 404, {
          errors: [{ code: "NAME_UNKNOWN", message: "repository name not known" }],
        });
        return;
      }
      const all = views().sorted;
      const n = Math.min(Number(url.searchParams.get("n") ?? maxPage) || maxPage, maxPage);
      const last = url.searchParams.get("last");
      let start = 0;
      if (last !== null) {
        // Binary search: the first tag after `last`.
        let [lo, hi] = [0, all.length];
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (all[mid]! <= last) lo = mid + 1;
          else hi = mid;
        }
        start = lo;
      }
      const page = all.slice(start, start + n);
      const headers: Record<string, string> = {};
      if (start + n < all.length)
        headers.link = `</v2/${repo}/tags/list?last=${encodeURIComponent(page.at(-1) ?? "")}&n=${n}>; rel="next"`;
      json(res, 200, { name: repo, tags: page }, headers);
      return;
    }
    if (url.pathname.startsWith(manifestPath)) {
      const ref = decodeURIComponent(url.pathname.slice(manifestPath.length));
      if (method === "PUT") {
        const body = Buffer.concat(chunks);
        const d = sha256(body);
        manifests.set(d, body);
        if (!ref.startsWith("sha256:")) tags.set(ref, d);
        cache = undefined;
        res.writeHead(201, { "docker-content-digest": d, location: `${manifestPath}${d}` });
        res.end();
        return;
      }
      const d = ref.startsWith("sha256:") ? ref : tags.get(ref);
      const body = d === undefined ? undefined : manifests.get(d);
      if (d === undefined || body === undefined) {
        json(res, 404, { errors: [{ code: "MANIFEST_UNKNOWN" }] });
        return;
      }
      res.writeHead(200, {
        "content-type": "application/vnd.oci.image.manifest.v1+json",
        "docker-content-digest": d,
        "content-length": String(body.length),
      });
      res.end(method === "HEAD" ? undefined : body);
      return;
    }
    const p = opts.packages;
    const api = p
      ? `/${p.kind}/${p.owner}/packages/container/${encodeURIComponent(p.name)}/versions`
      : undefined;
    if (api !== undefined && url.pathname === api) {
      const perPage = Math.min(Number(url.searchParams.get("per_page") ?? "30") || 30, 100);
      const pageNo = Math.max(1, Number(url.searchParams.get("page") ?? "1") || 1);
      const versions = views().versions;
      const slice = versions.slice((pageNo - 1) * perPage, pageNo * perPage);
      const headers: Record<string, string> = {};
      const lastPage = Math.max(1, Math.ceil(versions.length / perPage));
      if (pageNo < lastPage)
        headers.link =
          `<http://${host}${api}?per_page=${perPage}&page=${pageNo + 1}>; rel="next", ` +
          `<http://${host}${api}?per_page=${perPage}&page=${lastPage}>; rel="last"`;
      json(
        res,
        200,
        slice.map(([name, t], i) => ({
          id: (pageNo - 1) * perPage + i + 1,
          name,
          metadata: { package_type: "container", container: { tags: t } },
        })),
        headers,
      );
      return;
    }
    json(res, 404, { message: "Not Found" });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  host = `127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
  return {
    host,
    counts,
    log,
    tags,
    total: () => (Object.values(counts) as number[]).reduce((a, b) => a + b, 0),
    reset() {
      for (const k of Object.keys(counts) as (keyof RequestCounts)[]) counts[k] = 0;
      log.length = 0;
    },
    throttle(count, seconds) {
      throttled = count;
      retryAfter = seconds;
    },
    failFrom(n) {
      failFrom = n === undefined ? undefined : seen + n;
    },
    push(manifest, t) {
      const d = sha256(manifest);
      manifests.set(d, manifest);
      for (const tag of t) tags.set(tag, d);
      cache = undefined;
      return d;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
