/** One manifest as read from the registry. */
export interface ManifestRead {
  /** `Docker-Content-Digest` of the response, when the registry sent one. */
  readonly digest?: string;
  readonly manifest: Readonly<Record<string, unknown>>;
}

/** A manifest as the promotion and the allowlist read it: its digest and its annotations. */
export interface ManifestInfo {
  readonly digest: string;
  /** `annotations` of the manifest (string values only); empty when it has none. */
  readonly annotations: Readonly<Record<string, string>>;
  readonly mediaType?: string;
}

/** An OCI descriptor as an index or the referrers API lists it. */
export interface Descriptor {
  readonly digest: string;
  readonly size?: number;
  readonly mediaType?: string;
  readonly artifactType?: string;
}

/** Read access to an OCI registry: what the pin allowlist and the promotion need, nothing more. */
export interface RegistryReader {
  /** Every tag of `repo` (all pages). Throws, never returns an empty list, when the registry cannot answer. */
  listTags(repo: string): Promise<string[]>;
  /** The manifest digest `tag` points at (`sha256:<hex>`). Throws when it cannot be read. */
  digestOf(repo: string, tag: string): Promise<string>;
  /**
   * The manifest a tag or digest names, with its annotations (one GET). Optional: a reader without it
   * makes the allowlist read every tag's digest, as before.
   */
  manifestOf?(repo: string, ref: string): Promise<ManifestInfo>;
  /** Like manifestOf, but `undefined` for a tag or digest the registry does not have (404). Optional. */
  manifestIfExists?(repo: string, ref: string): Promise<ManifestInfo | undefined>;
  /**
   * The OCI 1.1 referrers of `digest` (`GET /v2/<repo>/referrers/<digest>`, every page); `undefined` when
   * the registry does not serve the API (404: the referrers tag schema applies). Optional: a reader
   * without it protects tag-scheme signatures and referrers tag-schema indexes only.
   */
  referrers?(repo: string, digest: string): Promise<readonly Descriptor[] | undefined>;
  /** The manifest a tag or digest names, as JSON with its checked digest (one GET). Optional. */
  manifest?(repo: string, reference: string): Promise<ManifestRead>;
}

/**
 * What the registry answered for one manifest or blob, for the integrity probe: the bytes (manifest GET)
 * or the headers (blob HEAD), a 404, or another HTTP error that outlasted the retries. A request that
 * got no HTTP answer at all still throws a RegistryError (the registry is unreadable, not the object).
 */
export type Probe =
  | {
      readonly kind: "ok";
      /** The body of a GET (manifests); undefined for a HEAD. */
      readonly bytes?: Buffer;
      readonly headerDigest?: string;
      readonly contentLength?: number;
      readonly contentType?: string;
    }
  | { readonly kind: "missing" }
  | { readonly kind: "error"; readonly status: number; readonly detail: string };

/** A registry failure: names the registry and the step, so a cleaner never proceeds on a partial answer. */
export class RegistryError extends Error {
  constructor(
    public readonly registry: string,
    public readonly step: string,
    detail: string,
  ) {
    super(`registry ${registry}: ${step}: ${detail}`);
    this.name = "RegistryError";
  }
}

/**
 * Runs `fn` over `items` with at most `limit` calls in flight; keeps input order; fails with the first
 * error, once the calls already in flight have settled (none is left running behind a failure).
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  let first: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i] as T, i);
      } catch (e) {
        failed = true;
        first ??= { error: e };
      }
    }
  };
  const n = Math.max(1, Math.min(limit, items.length));
  await Promise.all(Array.from({ length: n }, () => worker()));
  if (first) throw first.error;
  return out;
}

/** Tag → digest for every tag of `repo`, reading digests with bounded concurrency. */
export async function readTagDigests(
  reader: RegistryReader,
  repo: string,
  concurrency = 8,
): Promise<Map<string, string>> {
  const tags = [...new Set(await reader.listTags(repo))].sort();
  const digests = await mapLimit(tags, concurrency, (tag) => reader.digestOf(repo, tag));
  return new Map(tags.map((t, i) => [t, digests[i] as string]));
}
