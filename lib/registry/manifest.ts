/**
 * Reading one manifest (not only its digest): what `promotion status` and `trace` need to tell when an
 * artifact was built, from the annotations the build writes (`org.opencontainers.image.created`, set by
 * `oras push`, and `org.opencontainers.image.revision`, the commit).
 */

/** One manifest as read from the registry. */
export interface ManifestRead {
  /** `Docker-Content-Digest` of the response, when the registry sent one. */
  readonly digest?: string;
  readonly manifest: Readonly<Record<string, unknown>>;
}

/** Reads manifests; OciRegistryReader implements it. */
export interface ManifestReader {
  manifest(repo: string, reference: string): Promise<ManifestRead>;
}

export const CREATED_ANNOTATION = "org.opencontainers.image.created";
export const REVISION_ANNOTATION = "org.opencontainers.image.revision";

/** The manifest's annotations (strings only). */
export function annotationsOf(m: Readonly<Record<string, unknown>>): Record<string, string> {
  const a = m.annotations;
  const out: Record<string, string> = {};
  if (typeof a === "object" && a !== null && !Array.isArray(a)) {
    for (const [k, v] of Object.entries(a)) if (typeof v === "string") out[k] = v;
  }
  return out;
}

/** The build time in the manifest's `org.opencontainers.image.created` (RFC 3339), if valid. */
export function createdOf(m: Readonly<Record<string, unknown>>): Date | undefined {
  const s = annotationsOf(m)[CREATED_ANNOTATION];
  if (
    s === undefined ||
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s)
  )
    return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
