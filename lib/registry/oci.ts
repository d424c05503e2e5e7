/**
 * `RegistryReader` over the OCI distribution API with `fetch`: `/v2/<name>/tags/list` with `Link`
 * pagination, manifest HEAD for `Docker-Content-Digest`, anonymous, basic and bearer-token auth (the
 * `WWW-Authenticate` challenge, then the token endpoint; anonymous tokens are how public GHCR packages
 * are read). Plain http only for loopback hosts. Fails closed: any HTTP error, malformed body or missing
 * digest throws a RegistryError naming the registry and the step; a partial tag list is never returned.
 */
import { parseChallenges } from "./auth";
import type { ManifestRead } from "./manifest";
import { RegistryError, readTagDigests, type RegistryReader } from "./types";

/** Media types a Flux artifact, an image or an index may have; a registry answers HEAD for these. */
export const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");

const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const REPO = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export interface OciRegistryReaderOptions {
  /** Registry host with optional port: `ghcr.io`, `127.0.0.1:5000`. */
  readonly host: string;
  /** Credentials for basic auth, or for the token endpoint of a bearer challenge. Anonymous when unset. */
  readonly credentials?: { readonly username: string; readonly password: string };
  /** Tags per page (`n=`). */
  readonly pageSize?: number;
  /** Manifest HEADs in flight at once. */
  readonly concurrency?: number;
  /** Per-request timeout. */
  readonly timeoutMs?: number;
  /** Force the scheme; default https, except http for 127.0.0.1, localhost and [::1]. */
  readonly scheme?: "http" | "https";
  /** Injected for tests. */
  readonly fetch?: typeof fetch;
}

/** True for hosts where plain http is acceptable (a local test or dev registry). */
export function isLoopback(host: string): boolean {
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0];
  return name === "127.0.0.1" || name === "localhost" || name === "[::1]";
}

export class OciRegistryReader implements RegistryReader {
  readonly base: string;
  private readonly fetchFn: typeof fetch;
  private readonly pageSize: number;
  private readonly concurrency: number;
  private readonly timeoutMs: number;
  /** Authorization header per scope (bearer tokens are scoped to a repository). */
  private readonly authByScope = new Map<string, string>();

  constructor(private readonly opts: OciRegistryReaderOptions) {
    const scheme = opts.scheme ?? (isLoopback(opts.host) ? "http" : "https");
    this.base = `${scheme}://${opts.host}`;
    this.fetchFn = opts.fetch ?? fetch;
    this.pageSize = opts.pageSize ?? 1000;
    this.concurrency = opts.concurrency ?? 8;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  private fail(step: string, detail: string): never {
    throw new RegistryError(this.opts.host, step, detail);
  }

  private checkRepo(repo: string, step: string): void {
    if (!REPO.test(repo)) this.fail(step, `${JSON.stringify(repo)} is not an OCI repository name`);
  }

  async listTags(repo: string): Promise<string[]> {
    const step = `list tags of ${repo}`;
    this.checkRepo(repo, step);
    const tags: string[] = [];
    const seen = new Set<string>();
    let url: string | undefined = `${this.base}/v2/${repo}/tags/list?n=${this.pageSize}`;
    for (let page = 1; url !== undefined; page++) {
      if (seen.has(url) || page > 10_000) this.fail(step, `pagination loops at ${url}`);
      seen.add(url);
      const res = await this.request(
        repo,
        url,
        "GET",
        `${step} (page ${page})`,
        "application/json",
      );
      const text = await res.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        this.fail(`${step} (page ${page})`, `response is not JSON: ${text.slice(0, 200)}`);
      }
      const list = (body as { tags?: unknown } | null)?.tags;
      if (typeof body !== "object" || body === null || !(list === null || Array.isArray(list))) {
        this.fail(`${step} (page ${page})`, `response has no "tags" list: ${text.slice(0, 200)}`);
      }
      for (const t of (list ?? []) as unknown[]) {
        if (typeof t !== "string" || !TAG.test(t)) {
          this.fail(
            `${step} (page ${page})`,
            `response lists a malformed tag ${JSON.stringify(t)}`,
          );
        }
        tags.push(t);
      }
      url = nextLink(res.headers.get("link"), url);
    }
    return tags;
  }

  async digestOf(repo: string, tag: string): Promise<string> {
    const step = `read digest of ${repo}:${tag}`;
    this.checkRepo(repo, step);
    if (!TAG.test(tag)) this.fail(step, `${JSON.stringify(tag)} is not a tag`);
    const res = await this.request(
      repo,
      `${this.base}/v2/${repo}/manifests/${tag}`,
      "HEAD",
      step,
      MANIFEST_ACCEPT,
    );
    const digest = res.headers.get("docker-content-digest");
    if (digest === null)
      this.fail(step, "the manifest HEAD response has no Docker-Content-Digest header");
    if (!DIGEST.test(digest))
      this.fail(step, `Docker-Content-Digest ${JSON.stringify(digest)} is not a digest`);
    return digest;
  }

  /** Tag → digest for every tag of `repo`, with at most `concurrency` HEADs in flight. */
  async tagDigests(repo: string): Promise<Map<string, string>> {
    return readTagDigests(this, repo, this.concurrency);
  }

  /**
   * The manifest `reference` (tag or digest) as JSON, with its digest: annotations such as
   * `org.opencontainers.image.created` live there. One GET (plus the auth dance).
   */
  async manifest(repo: string, reference: string): Promise<ManifestRead> {
    const step = `read manifest of ${repo}:${reference}`;
    this.checkRepo(repo, step);
    if (!TAG.test(reference) && !DIGEST.test(reference))
      this.fail(step, `${JSON.stringify(reference)} is neither a tag nor a digest`);
    const res = await this.request(
      repo,
      `${this.base}/v2/${repo}/manifests/${reference}`,
      "GET",
      step,
      MANIFEST_ACCEPT,
    );
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      this.fail(step, `response is not JSON: ${text.slice(0, 200)}`);
    }
    if (typeof body !== "object" || body === null || Array.isArray(body))
      this.fail(step, "the manifest is not a JSON object");
    const digest = res.headers.get("docker-content-digest");
    return {
      ...(digest !== null && DIGEST.test(digest) ? { digest } : {}),
      manifest: body as Record<string, unknown>,
    };
  }

  /** One request, authenticating on a 401 challenge and retrying once. Non-2xx throws. */
  private async request(
    repo: string,
    url: string,
    method: "GET" | "HEAD",
    step: string,
    accept: string,
  ): Promise<Response> {
    const scope = `repository:${repo}:pull`;
    let res = await this.send(url, method, step, accept, this.authByScope.get(scope));
    if (res.status === 401) {
      await res.body?.cancel();
      const auth = await this.authenticate(res.headers.get("www-authenticate"), scope, step);
      this.authByScope.set(scope, auth);
      res = await this.send(url, method, step, accept, auth);
      if (res.status === 401) {
        await res.body?.cancel();
        this.fail(
          step,
          `HTTP 401 after authenticating${this.opts.credentials ? ` as ${this.opts.credentials.username}` : " anonymously"}: the credentials are not accepted or lack pull access`,
        );
      }
    }
    if (!res.ok) {
      const text = method === "HEAD" ? "" : (await res.text()).slice(0, 300);
      this.fail(step, `HTTP ${res.status} ${res.statusText}${text ? `: ${text}` : ""}`);
    }
    return res;
  }

  private async send(
    url: string,
    method: string,
    step: string,
    accept: string,
    authorization?: string,
  ): Promise<Response> {
    try {
      return await this.fetchFn(url, {
        method,
        headers: { accept, ...(authorization ? { authorization } : {}) },
        redirect: "follow",
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      this.fail(step, `${method} ${url} failed: ${describe(e)}`);
    }
  }

  /** Answers a challenge with an Authorization header value. */
  private async authenticate(header: string | null, scope: string, step: string): Promise<string> {
    const creds = this.opts.credentials;
    const challenges = header ? parseChallenges(header) : [];
    const bearer = challenges.find((c) => c.scheme === "bearer");
    if (bearer) {
      const realm = bearer.params.realm;
      if (!realm) this.fail(step, `bearer challenge without realm: ${header}`);
      let tokenUrl: URL;
      try {
        tokenUrl = new URL(realm);
      } catch {
        this.fail(step, `bearer realm ${JSON.stringify(realm)} is not a URL`);
      }
      if (bearer.params.service) tokenUrl.searchParams.set("service", bearer.params.service);
      tokenUrl.searchParams.set("scope", bearer.params.scope ?? scope);
      const tstep = `${step}: token from ${tokenUrl.origin}${tokenUrl.pathname}`;
      let res: Response;
      try {
        res = await this.fetchFn(tokenUrl, {
          headers: creds ? { authorization: basic(creds.username, creds.password) } : {},
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (e) {
        this.fail(tstep, describe(e));
      }
      const text = await res.text();
      if (!res.ok) this.fail(tstep, `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ""}`);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        this.fail(tstep, `response is not JSON: ${text.slice(0, 200)}`);
      }
      const b = body as { token?: unknown; access_token?: unknown } | null;
      const token = b?.token ?? b?.access_token;
      if (typeof token !== "string" || token === "") this.fail(tstep, "response has no token");
      return `Bearer ${token}`;
    }
    if (challenges.some((c) => c.scheme === "basic")) {
      if (!creds)
        this.fail(
          step,
          "HTTP 401: the registry requires basic auth and no credentials are configured",
        );
      return basic(creds.username, creds.password);
    }
    this.fail(
      step,
      `HTTP 401 with an unsupported challenge: ${header ?? "(no WWW-Authenticate header)"}`,
    );
  }
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    const code =
      cause && typeof cause === "object" && "code" in cause ? ` (${String(cause.code)})` : "";
    const cmsg = cause instanceof Error ? `: ${cause.message}` : "";
    return `${e.message}${cmsg}${code}`;
  }
  return String(e);
}

/** The `rel="next"` target of a Link header, resolved against the current URL. */
export function nextLink(header: string | null, current: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (m && /;\s*rel="?next"?(\s*;|\s*$)/i.test(m[2] ?? ""))
      return new URL(m[1] ?? "", current).toString();
  }
  return undefined;
}
