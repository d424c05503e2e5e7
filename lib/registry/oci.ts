/**
 * `RegistryReader` over the OCI distribution API with `fetch`: `/v2/<name>/tags/list` with `Link`
 * pagination, manifest HEAD for `Docker-Content-Digest`, manifest GET for annotations, anonymous, basic
 * and bearer-token auth (the `WWW-Authenticate` challenge, then the token endpoint; anonymous tokens are
 * how public GHCR packages are read). Plain http only for loopback hosts. A 429 or 5xx answer, or a
 * request that fails on the network, is retried with exponential backoff, waiting at least what
 * `Retry-After` asks. Fails closed: any other HTTP error, a failure that outlasts the retries, a malformed
 * body or a missing digest throws a RegistryError naming the registry and the step; a partial tag list is
 * never returned.
 */
import { createHash } from "node:crypto";
import { parseChallenges } from "./auth";
import { indexDescriptors, type ManifestRead } from "./manifest";
import {
  RegistryError,
  readTagDigests,
  type Descriptor,
  type ManifestInfo,
  type Probe,
  type RegistryReader,
} from "./types";
import { clip } from "../clip";

/** Media types a Flux artifact, an image or an index may have; a registry answers HEAD for these. */
export const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");

const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
/** Every HTTP error status: a probe reports the answer instead of throwing (see probeManifest). */
const ANY_ERROR = Array.from({ length: 200 }, (_, i) => 400 + i);

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
  /** Retries of a 429, a 5xx or a network failure (default 3, so 4 attempts); 0 turns them off. */
  readonly retries?: number;
  /** First backoff; doubled per retry (default 250 ms). A longer `Retry-After` wins. */
  readonly retryBaseMs?: number;
  /** A `Retry-After` longer than this fails at once instead of waiting (default 60 s). */
  readonly maxRetryAfterMs?: number;
  /** Injected for tests: how the client waits between attempts. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Statuses worth another attempt: rate limited, or the registry (or a proxy before it) failing. */
export function isRetryable(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/**
 * Milliseconds a `Retry-After` header asks for: delta-seconds or an HTTP date (RFC 9110 10.2.3);
 * undefined when absent or unreadable.
 */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const v = header.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

const sleepMs = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Authorization header per scope (bearer tokens are scoped to a repository). */
  private readonly authByScope = new Map<string, string>();

  constructor(private readonly opts: OciRegistryReaderOptions) {
    const scheme = opts.scheme ?? (isLoopback(opts.host) ? "http" : "https");
    this.base = `${scheme}://${opts.host}`;
    this.fetchFn = opts.fetch ?? fetch;
    this.pageSize = opts.pageSize ?? 1000;
    this.concurrency = opts.concurrency ?? 8;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.retries = Math.max(0, opts.retries ?? 3);
    this.retryBaseMs = opts.retryBaseMs ?? 250;
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 60_000;
    this.sleep = opts.sleep ?? sleepMs;
  }

  private fail(step: string, detail: string): never {
    throw new RegistryError(this.opts.host, step, detail);
  }

  private checkRepo(repo: string, step: string): void {
    if (!REPO.test(repo)) this.fail(step, `${clip(repo)} is not an OCI repository name`);
  }

  async listTags(repo: string): Promise<string[]> {
    return (await this.listTagsPaged(repo, false)) ?? [];
  }

  /**
   * Like listTags, but a repository that does not exist yet (404 `NAME_UNKNOWN` on the first page, as
   * distribution and GHCR answer before the first push) is `undefined` instead of an error.
   */
  async listTagsIfExists(repo: string): Promise<string[] | undefined> {
    return this.listTagsPaged(repo, true);
  }

  private async listTagsPaged(repo: string, allowMissing: boolean): Promise<string[] | undefined> {
    const step = `list tags of ${repo}`;
    this.checkRepo(repo, step);
    const tags: string[] = [];
    const pages = this.pages(repo, step, `${this.base}/v2/${repo}/tags/list?n=${this.pageSize}`, {
      maxPages: 10_000,
      accept: "application/json",
      missingOk: allowMissing,
      stepOf: (page) => `${step} (page ${page})`,
    });
    for await (const { res, text, page } of pages) {
      if (res.status === 404) {
        if (/NAME_UNKNOWN/.test(text)) return undefined;
        this.fail(`${step} (page ${page})`, `HTTP 404 ${res.statusText}: ${text.slice(0, 300)}`);
      }
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
          this.fail(`${step} (page ${page})`, `response lists a malformed tag ${clip(t)}`);
        }
        tags.push(t);
      }
    }
    return tags;
  }

  async digestOf(repo: string, tag: string): Promise<string> {
    const step = `read digest of ${repo}:${tag}`;
    this.checkRepo(repo, step);
    if (!TAG.test(tag)) this.fail(step, `${clip(tag)} is not a tag`);
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
      this.fail(step, `Docker-Content-Digest ${clip(digest)} is not a digest`);
    return digest;
  }

  /**
   * The manifest `ref` (a tag or a digest) names: its digest and annotations, from one GET. The digest
   * is the registry's `Docker-Content-Digest`, checked against the bytes when it is sha256.
   */
  async manifestOf(repo: string, ref: string): Promise<ManifestInfo> {
    return (await this.readManifest(repo, ref, false))!;
  }

  /** Like manifestOf, but a tag or digest the registry does not have (404) is `undefined`. */
  async manifestIfExists(repo: string, ref: string): Promise<ManifestInfo | undefined> {
    return this.readManifest(repo, ref, true);
  }

  private async readManifest(
    repo: string,
    ref: string,
    allowMissing: boolean,
  ): Promise<ManifestInfo | undefined> {
    const read = await this.readManifestBody(repo, ref, allowMissing);
    if (read === undefined) return undefined;
    const { digest, body } = read;
    const raw = (body as { annotations?: unknown } | null)?.annotations;
    const annotations: Record<string, string> = {};
    if (typeof raw === "object" && raw !== null && !Array.isArray(raw)) {
      for (const [k, v] of Object.entries(raw)) if (typeof v === "string") annotations[k] = v;
    }
    const mediaType = (body as { mediaType?: unknown } | null)?.mediaType;
    return {
      digest,
      annotations,
      ...(typeof mediaType === "string" ? { mediaType } : {}),
    };
  }

  /** One manifest GET: its checked digest and parsed JSON (what manifestOf and manifest share). */
  private async readManifestBody(
    repo: string,
    ref: string,
    allowMissing: boolean,
  ): Promise<{ step: string; digest: string; body: unknown } | undefined> {
    const step = `read manifest of ${repo}${DIGEST.test(ref) ? "@" : ":"}${ref}`;
    this.checkRepo(repo, step);
    if (!TAG.test(ref) && !DIGEST.test(ref))
      this.fail(step, `${clip(ref)} is neither a tag nor a digest`);
    const res = await this.request(
      repo,
      `${this.base}/v2/${repo}/manifests/${ref}`,
      "GET",
      step,
      MANIFEST_ACCEPT,
      allowMissing ? [404] : [],
    );
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    const header = res.headers.get("docker-content-digest");
    const computed = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    const digest = header ?? computed;
    if (!DIGEST.test(digest))
      this.fail(step, `Docker-Content-Digest ${clip(digest)} is not a digest`);
    if (digest.startsWith("sha256:") && digest !== computed)
      this.fail(step, `the manifest's bytes hash to ${computed}, not to ${digest}`);
    if (DIGEST.test(ref) && digest !== ref)
      this.fail(step, `the registry answered with ${digest}, not the requested ${ref}`);
    let body: unknown;
    try {
      body = JSON.parse(bytes.toString("utf8"));
    } catch {
      this.fail(step, `the manifest is not JSON: ${bytes.toString("utf8").slice(0, 200)}`);
    }
    return { step, digest, body };
  }

  /**
   * The OCI 1.1 referrers of `digest`: `GET /v2/<repo>/referrers/<digest>` (an image index, `Link`
   * pagination). `undefined` when the registry answers 404, which the distribution spec defines as "the
   * referrers API is not supported" (a registry that serves it answers 200 with an empty index for a
   * digest nothing refers to); the client then reads the referrers tag schema (`sha256-<hex>`).
   */
  async referrers(repo: string, digest: string): Promise<readonly Descriptor[] | undefined> {
    const step = `read referrers of ${repo}@${digest}`;
    this.checkRepo(repo, step);
    if (!DIGEST.test(digest)) this.fail(step, `${JSON.stringify(digest)} is not a digest`);
    const out: Descriptor[] = [];
    const pages = this.pages(repo, step, `${this.base}/v2/${repo}/referrers/${digest}`, {
      maxPages: 1000,
      accept: "application/vnd.oci.image.index.v1+json",
      missingOk: true,
      stepOf: (page) => (page > 1 ? `${step} (page ${page})` : step),
    });
    for await (const { res, text } of pages) {
      if (res.status === 404) return undefined;
      out.push(...this.indexManifests(step, text));
    }
    return out;
  }

  /**
   * The pages of a GET that paginates by `Link` header, from `url` on: each response, its text and its
   * number. A page seen twice or past `maxPages` fails (a registry that loops); `missingOk` lets the first
   * page answer 404.
   */
  private async *pages(
    repo: string,
    step: string,
    first: string,
    o: { maxPages: number; accept: string; missingOk: boolean; stepOf: (page: number) => string },
  ): AsyncGenerator<{ res: Response; text: string; page: number }> {
    const seen = new Set<string>();
    let url: string | undefined = first;
    for (let page = 1; url !== undefined; page++) {
      if (seen.has(url) || page > o.maxPages) this.fail(step, `pagination loops at ${url}`);
      seen.add(url);
      const res = await this.request(
        repo,
        url,
        "GET",
        o.stepOf(page),
        o.accept,
        o.missingOk && page === 1 ? [404] : [],
      );
      yield { res, text: await res.text(), page };
      url = nextLink(res.headers.get("link"), url);
    }
  }

  /** The `manifests` of an image index's JSON text, each checked; a malformed index throws. */
  private indexManifests(step: string, text: string): Descriptor[] {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      this.fail(step, `the index is not JSON: ${text.slice(0, 200)}`);
    }
    if (typeof body !== "object" || body === null || Array.isArray(body))
      this.fail(step, `the index is not a JSON object: ${text.slice(0, 200)}`);
    const list = indexDescriptors(body as Record<string, unknown>);
    if (typeof list === "string") this.fail(step, list);
    return list;
  }

  /**
   * One manifest GET (or HEAD) by digest or tag for the integrity probe: the raw bytes and headers, NOT
   * checked (the probe re-hashes them and reports a mismatch by name), or the registry's refusal (see
   * Probe).
   */
  async probeManifest(repo: string, ref: string, method: "GET" | "HEAD" = "GET"): Promise<Probe> {
    const step = `${method === "GET" ? "read" : "HEAD"} manifest of ${repo}${DIGEST.test(ref) ? "@" : ":"}${ref}`;
    this.checkRepo(repo, step);
    if (!TAG.test(ref) && !DIGEST.test(ref))
      this.fail(step, `${JSON.stringify(ref)} is neither a tag nor a digest`);
    const url = `${this.base}/v2/${repo}/manifests/${ref}`;
    const res = await this.request(repo, url, method, step, MANIFEST_ACCEPT, ANY_ERROR);
    return this.probeOf(res, method);
  }

  /**
   * One blob HEAD for the integrity probe: the registry's Docker-Content-Digest and Content-Length (the
   * blob is not downloaded), a 404, or another refusal (see Probe).
   */
  async probeBlob(repo: string, digest: string): Promise<Probe> {
    const step = `HEAD blob ${repo}@${digest}`;
    this.checkRepo(repo, step);
    if (!DIGEST.test(digest)) this.fail(step, `${JSON.stringify(digest)} is not a digest`);
    const url = `${this.base}/v2/${repo}/blobs/${digest}`;
    const res = await this.request(repo, url, "HEAD", step, "*/*", ANY_ERROR);
    return this.probeOf(res, "HEAD");
  }

  private async probeOf(res: Response, method: "GET" | "HEAD"): Promise<Probe> {
    if (res.status === 404) {
      await res.body?.cancel();
      return { kind: "missing" };
    }
    if (!res.ok) {
      const text = method === "HEAD" ? "" : (await res.text()).slice(0, 200);
      return {
        kind: "error",
        status: res.status,
        detail: `HTTP ${res.status} ${res.statusText}${text ? `: ${text}` : ""}`,
      };
    }
    const bytes = method === "GET" ? Buffer.from(await res.arrayBuffer()) : undefined;
    if (method === "HEAD") await res.body?.cancel();
    const length = res.headers.get("content-length");
    const digest = res.headers.get("docker-content-digest");
    const type = res.headers.get("content-type");
    return {
      kind: "ok",
      ...(bytes ? { bytes } : {}),
      ...(digest !== null ? { headerDigest: digest } : {}),
      ...(length !== null && /^\d+$/.test(length) ? { contentLength: Number(length) } : {}),
      ...(type !== null ? { contentType: type } : {}),
    };
  }

  /** Tag → digest for every tag of `repo`, with at most `concurrency` HEADs in flight. */
  async tagDigests(repo: string): Promise<Map<string, string>> {
    return readTagDigests(this, repo, this.concurrency);
  }

  /**
   * The manifest `reference` (tag or digest) as JSON, with its digest: annotations such as
   * `org.opencontainers.image.created` live there. One GET (plus the auth dance), read and checked as
   * manifestOf reads it.
   */
  async manifest(repo: string, reference: string): Promise<ManifestRead> {
    const { step, digest, body } = (await this.readManifestBody(repo, reference, false))!;
    if (typeof body !== "object" || body === null || Array.isArray(body))
      this.fail(step, "the manifest is not a JSON object");
    return { digest, manifest: body as Record<string, unknown> };
  }

  /**
   * One request, authenticating on a 401 challenge and retrying once; a 429, 5xx or network failure is
   * retried with backoff (see OciRegistryReaderOptions). Non-2xx throws, except the statuses in `pass`.
   */
  private async request(
    repo: string,
    url: string,
    method: "GET" | "HEAD",
    step: string,
    accept: string,
    pass: readonly number[] = [],
  ): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await this.requestOnce(repo, url, method, step, accept);
      } catch (e) {
        if (!(e instanceof NetworkError) || attempt > this.retries) {
          if (e instanceof NetworkError)
            this.fail(step, `${e.message}${attempt > 1 ? ` (after ${attempt} attempts)` : ""}`);
          throw e;
        }
        await this.sleep(this.backoff(attempt, undefined));
        continue;
      }
      if (isRetryable(res.status) && attempt <= this.retries) {
        const after = retryAfterMs(res.headers.get("retry-after"));
        await res.body?.cancel();
        if (after !== undefined && after > this.maxRetryAfterMs) {
          this.fail(
            step,
            `HTTP ${res.status} ${res.statusText} with Retry-After ${Math.ceil(after / 1000)}s, longer than the ${Math.ceil(this.maxRetryAfterMs / 1000)}s this client waits`,
          );
        }
        await this.sleep(this.backoff(attempt, after));
        continue;
      }
      if (!res.ok && !pass.includes(res.status)) {
        const text = method === "HEAD" ? "" : (await res.text()).slice(0, 300);
        const tries = attempt > 1 ? ` (after ${attempt} attempts)` : "";
        this.fail(step, `HTTP ${res.status} ${res.statusText}${text ? `: ${text}` : ""}${tries}`);
      }
      return res;
    }
  }

  /** Exponential backoff from retryBaseMs, never shorter than what Retry-After asked. */
  private backoff(attempt: number, retryAfter: number | undefined): number {
    const exp = this.retryBaseMs * 2 ** (attempt - 1);
    return Math.max(exp, retryAfter ?? 0);
  }

  /** One attempt, with the 401 challenge answered once. */
  private async requestOnce(
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
      throw new NetworkError(`${method} ${url} failed: ${describe(e)}`);
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
        this.fail(step, `bearer realm ${clip(realm)} is not a URL`);
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

/** A request that got no HTTP answer (refused, reset, timed out): retried, then a RegistryError. */
class NetworkError extends Error {}

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
  return relLink(header, "next", current);
}

/** The target of a Link header's relation `rel` (`next`, `last`, ...), resolved against the current URL. */
export function relLink(header: string | null, rel: string, current: string): string | undefined {
  if (!header) return undefined;
  const re = new RegExp(`;\\s*rel="?${rel}"?(\\s*;|\\s*$)`, "i");
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (m && re.test(m[2] ?? "")) return new URL(m[1] ?? "", current).toString();
  }
  return undefined;
}
