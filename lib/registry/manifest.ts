/**
 * Reading one manifest (not only its digest): what `promotion status` and `trace` need to tell when an
 * artifact was built, from the annotations the build writes (`org.opencontainers.image.created`, set by
 * `oras push`, and `org.opencontainers.image.revision`, the commit).
 */

import type { Descriptor, ManifestRead } from "./types";

export type { ManifestRead } from "./types";

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

const DESCRIPTOR_DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** One descriptor of a manifest or index, checked; a message naming `where` when malformed. */
export function descriptorOf(raw: unknown, where: string): Descriptor | string {
  const d = raw as {
    digest?: unknown;
    size?: unknown;
    mediaType?: unknown;
    artifactType?: unknown;
  } | null;
  if (typeof d !== "object" || d === null || Array.isArray(d))
    return `${where} is not a descriptor: ${JSON.stringify(raw)}`;
  if (typeof d.digest !== "string" || !DESCRIPTOR_DIGEST.test(d.digest))
    return `${where} has no valid digest: ${JSON.stringify(raw)}`;
  if (
    d.size !== undefined &&
    (typeof d.size !== "number" || !Number.isSafeInteger(d.size) || d.size < 0)
  )
    return `${where} has an invalid size: ${JSON.stringify(raw)}`;
  return {
    digest: d.digest,
    ...(typeof d.size === "number" ? { size: d.size } : {}),
    ...(typeof d.mediaType === "string" ? { mediaType: d.mediaType } : {}),
    ...(typeof d.artifactType === "string" ? { artifactType: d.artifactType } : {}),
  };
}

/** The `manifests` of an image index (or a referrers answer), checked; a message when malformed. */
export function indexDescriptors(index: Readonly<Record<string, unknown>>): Descriptor[] | string {
  const list = index.manifests;
  if (!Array.isArray(list)) return 'the index has no "manifests" list';
  const out: Descriptor[] = [];
  for (const [i, raw] of (list as unknown[]).entries()) {
    const d = descriptorOf(raw, `manifests[${i}]`);
    if (typeof d === "string") return d;
    out.push(d);
  }
  return out;
}
