/**
 * Flux artifact manifests as `flux push artifact` writes them (the `{}` config blob, gzip tar layers), built by
 * hand for test registries only: production code never builds a manifest (retagging is crane/oras/flux).
 */
import { createHash } from "node:crypto";

export const sha256 = (b: Buffer | string): string =>
  `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** The config blob every Flux artifact shares. */
export const FLUX_CONFIG = Buffer.from("{}");

/** A blob a manifest names: its digest and size. */
export interface BlobRef {
  readonly digest: string;
  readonly size: number;
}

/** The manifest's bytes: FLUX_CONFIG, `layers` in order, and `annotations` when given. */
export function fluxManifest(
  layers: readonly BlobRef[],
  annotations?: Readonly<Record<string, string>>,
): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {
        mediaType: "application/vnd.cncf.flux.config.v1+json",
        digest: sha256(FLUX_CONFIG),
        size: FLUX_CONFIG.length,
      },
      layers: layers.map((l) => ({
        mediaType: "application/vnd.cncf.flux.content.v1.tar+gzip",
        digest: l.digest,
        size: l.size,
      })),
      ...(annotations ? { annotations } : {}),
    }),
  );
}
