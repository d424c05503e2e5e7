/**
 * The fast path for seeding a test registry: raw OCI distribution API pushes of tiny Flux-style artifacts
 * (shared config and layer blobs, one small manifest per build), and retags by re-putting the same
 * manifest bytes under another tag (the registry stores one manifest, so every tag shares its digest).
 * Production code never builds manifests by hand (retagging is crane/oras/flux in the workflows).
 */
import { FLUX_CONFIG as CONFIG, fluxManifest, sha256 as sha } from "./ociManifest";

export interface PushTarget {
  /** `127.0.0.1:<port>` */
  readonly host: string;
  /** Repository path, e.g. `example-org/platform/platform`. */
  readonly repo: string;
  /** `user:password` for basic auth, if the registry needs it. */
  readonly basicAuth?: string;
}

const LAYER = Buffer.from("promotion-pipeline test layer\n");

function headers(t: PushTarget, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...extra,
    ...(t.basicAuth
      ? { authorization: `Basic ${Buffer.from(t.basicAuth).toString("base64")}` }
      : {}),
  };
}

async function check(res: Response, step: string): Promise<void> {
  if (!res.ok) throw new Error(`${step}: HTTP ${res.status} ${await res.text()}`);
}

async function pushBlob(t: PushTarget, blob: Buffer): Promise<void> {
  const digest = sha(blob);
  const head = await fetch(`http://${t.host}/v2/${t.repo}/blobs/${digest}`, {
    method: "HEAD",
    headers: headers(t),
  });
  if (head.ok) return;
  const start = await fetch(`http://${t.host}/v2/${t.repo}/blobs/uploads/`, {
    method: "POST",
    headers: headers(t),
  });
  await check(start, "start blob upload");
  const loc = new URL(start.headers.get("location") ?? "", `http://${t.host}`);
  loc.searchParams.set("digest", digest);
  const put = await fetch(loc, {
    method: "PUT",
    headers: headers(t, { "content-type": "application/octet-stream" }),
    body: blob,
  });
  await check(put, "finish blob upload");
}

const prepared = new Set<string>();

/** The manifest of one build; `build` makes it unique (an annotation), so each build has its own digest. */
export function artifactManifest(build: string): Buffer {
  return fluxManifest([{ digest: sha(LAYER), size: LAYER.length }], {
    "org.opencontainers.image.revision": build,
  });
}

/** Pushes the build's manifest under `tags`; returns its digest. */
export async function pushArtifact(
  t: PushTarget,
  build: string,
  tags: readonly string[],
): Promise<string> {
  const key = `${t.host}/${t.repo}`;
  if (!prepared.has(key)) {
    await pushBlob(t, CONFIG);
    await pushBlob(t, LAYER);
    prepared.add(key);
  }
  const manifest = artifactManifest(build);
  for (const tag of tags) await putManifest(t, tag, manifest);
  return sha(manifest);
}

/** Puts manifest bytes under a tag (a retag when the bytes are an existing manifest's). */
export async function putManifest(t: PushTarget, tag: string, manifest: Buffer): Promise<void> {
  const res = await fetch(`http://${t.host}/v2/${t.repo}/manifests/${tag}`, {
    method: "PUT",
    headers: headers(t, { "content-type": "application/vnd.oci.image.manifest.v1+json" }),
    body: manifest,
  });
  await check(res, `put manifest ${t.repo}:${tag}`);
}
