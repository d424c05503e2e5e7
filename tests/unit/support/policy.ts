/**
 * The pin policy the owner stack delivers, as the operator commands' tests write it (`--policy <file>`), and
 * a registry that serves a fixed tag listing with one build time for every manifest.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatPolicy, type PinsPolicy } from "../../../lib/pins/policy";
import type { PinCluster } from "../../../lib/pins/allowlist";
import type { ManifestRead } from "../../../lib/registry/manifest";
import type { RegistryReader } from "../../../lib/registry/types";

/** ghcr.io/example-org/platform/platform with `clusters`, keepStable 5, no floating tags, no retention. */
export function examplePolicy(
  clusters: readonly PinCluster[],
  over: Partial<PinsPolicy> = {},
): PinsPolicy {
  return {
    registry: "ghcr.io",
    repository: "example-org/platform/platform",
    lines: "container/platform/platform",
    clusters,
    floatingTags: [],
    keepStable: 5,
    startVersion: "0.0.1",
    retention: [],
    ...over,
  };
}

/** Writes `policy` as `<dir>/pins-policy.yaml` (formatPolicy, as delivered) and returns the path. */
export function writePolicy(dir: string, policy: PinsPolicy): string {
  const file = join(dir, "pins-policy.yaml");
  writeFileSync(file, formatPolicy(policy));
  return file;
}

/** A registry with `tags` (tag -> digest); every manifest was built at `created`. */
export function fixedRegistry(
  tags: ReadonlyMap<string, string>,
  created = "2026-11-30T06:00:00Z",
): () => RegistryReader & { manifest(repo: string, ref: string): Promise<ManifestRead> } {
  return () => ({
    listTags: () => Promise.resolve([...tags.keys()]),
    digestOf: (_: string, t: string) => Promise.resolve(tags.get(t)!),
    manifest: (_: string, ref: string) =>
      Promise.resolve({
        digest: tags.get(ref)!,
        manifest: { annotations: { "org.opencontainers.image.created": created } },
      }),
  });
}
