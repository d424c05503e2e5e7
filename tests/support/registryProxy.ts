/**
 * A front for a real test registry that adds what Debian's docker-registry 2.8 lacks and GHCR has:
 * tag-list pagination (`n`, `last`, a `Link: <...>; rel="next"` header, a page-size cap) and the bearer
 * token dance (401 + `WWW-Authenticate: Bearer realm=...,service=...,scope=...`, then a token endpoint,
 * anonymous or with basic credentials). Everything else is forwarded to the registry unchanged. It
 * also counts requests by kind and can fail every request from a chosen one on (a registry failing
 * half way).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";

export interface ProxyOptions {
  /** Upstream registry host (`127.0.0.1:<port>`), plain http. */
  readonly upstream: string;
  /** Largest page the proxy returns, whatever `n` asks for. */
  readonly maxPageSize?: number;
  /** Require bearer tokens; with `user`, the token endpoint requires these basic credentials. */
  readonly bearer?: { readonly user?: string; readonly password?: string };
}

export interface RegistryProxy {
  readonly host: string;
  /** Token requests seen (scope values), to assert the dance happened. */
  readonly tokenRequests: string[];
  /** Tag-list pages served. */
  pagesServed: number;
  /** Requests seen since the last reset, by kind. */
  readonly requests: { list: number; head: number; get: number; put: number; other: number };
  resetRequests(): void;
  /** From the `n`-th next request on, every request answers 500; undefined stops it. */
  failFrom(n: number | undefined): void;
  close(): Promise<void>;
}

export async function startRegistryProxy(opts: ProxyOptions): Promise<RegistryProxy> {
  const tokens = new Set<string>();
  const state = { pagesServed: 0, tokenRequests: [] as string[] };
  const requests = { list: 0, head: 0, get: 0, put: 0, other: 0 };
  let seen = 0;
  let failAt: number | undefined;
  let host = "";
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(String(e));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", `http://${host}`);
    if (url.pathname === "/token") {
      if (opts.bearer?.user) {
        const want = `Basic ${Buffer.from(`${opts.bearer.user}:${opts.bearer.password ?? ""}`).toString("base64")}`;
        if (req.headers.authorization !== want) {
          res.writeHead(401, { "content-type": "application/json" });
          res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED" }] }));
          return;
        }
      }
      const token = randomBytes(12).toString("hex");
      tokens.add(token);
      state.tokenRequests.push(url.searchParams.get("scope") ?? "");
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ token }));
      return;
    }
    const repo = /^\/v2\/(.+?)\/(tags|manifests|blobs)\//.exec(url.pathname)?.[1];
    seen++;
    if (url.pathname.endsWith("/tags/list")) requests.list++;
    else if (url.pathname.includes("/manifests/")) {
      const m = req.method ?? "GET";
      requests[m === "HEAD" ? "head" : m === "PUT" ? "put" : "get"]++;
    } else requests.other++;
    if (failAt !== undefined && seen >= failAt) {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ errors: [{ code: "UNKNOWN", message: "injected failure" }] }));
      return;
    }
    if (opts.bearer) {
      const auth = req.headers.authorization ?? "";
      if (!auth.startsWith("Bearer ") || !tokens.has(auth.slice(7))) {
        res.writeHead(401, {
          "content-type": "application/json",
          "www-authenticate": `Bearer realm="http://${host}/token",service="test-registry"${repo ? `,scope="repository:${repo}:pull"` : ""}`,
        });
        res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED" }] }));
        return;
      }
    }
    if (repo && url.pathname === `/v2/${repo}/tags/list`) {
      const up = await fetch(`http://${opts.upstream}/v2/${repo}/tags/list`);
      const text = await up.text();
      if (!up.ok) {
        res.writeHead(up.status, { "content-type": "application/json" });
        res.end(text);
        return;
      }
      const all = ((JSON.parse(text) as { tags: string[] | null }).tags ?? []).slice().sort();
      const n = Math.min(
        Number(url.searchParams.get("n") ?? "100") || 100,
        opts.maxPageSize ?? 100,
      );
      const last = url.searchParams.get("last");
      const rest = last === null ? all : all.filter((t) => t > last);
      const page = rest.slice(0, n);
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (rest.length > n) {
        headers.link = `</v2/${repo}/tags/list?last=${encodeURIComponent(page[page.length - 1] ?? "")}&n=${n}>; rel="next"`;
      }
      state.pagesServed++;
      res.writeHead(200, headers);
      res.end(JSON.stringify({ name: repo, tags: page }));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const fwdHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (
        typeof v === "string" &&
        !["host", "authorization", "connection", "content-length"].includes(k)
      )
        fwdHeaders[k] = v;
    }
    const up = await fetch(`http://${opts.upstream}${url.pathname}${url.search}`, {
      method: req.method ?? "GET",
      headers: fwdHeaders,
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      redirect: "manual",
    });
    const out: Record<string, string> = {};
    up.headers.forEach((v, k) => {
      if (!["content-encoding", "transfer-encoding", "connection", "content-length"].includes(k))
        out[k] = v;
    });
    const body = req.method === "HEAD" ? Buffer.alloc(0) : Buffer.from(await up.arrayBuffer());
    res.writeHead(up.status, out);
    res.end(body);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  host = `127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
  return {
    host,
    get tokenRequests() {
      return state.tokenRequests;
    },
    get pagesServed() {
      return state.pagesServed;
    },
    set pagesServed(v: number) {
      state.pagesServed = v;
    },
    requests,
    resetRequests() {
      for (const k of Object.keys(requests) as (keyof typeof requests)[]) requests[k] = 0;
    },
    failFrom(n) {
      failAt = n === undefined ? undefined : seen + n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
