/** The clusters most tests run the pipeline with. */
import type { PinCluster } from "../../lib/pins/allowlist";

/**
 * Integration, which selects every RC, and live, which selects every stable; neither suspended. `live` adds
 * to live's fields (a pin, another constraint).
 */
export function integrationAndLive(live: Partial<PinCluster> = {}): PinCluster[] {
  return [
    { name: "integration", role: "integration", semver: ">= 0.0.0-0", suspended: false },
    { name: "live", role: "live", semver: ">= 0.0.0", suspended: false, ...live },
  ];
}

/** The platform repository example-org/platform and its gate Kustomization flux-system/platform. */
export const EXAMPLE_PLATFORM = {
  gate: { name: "platform", namespace: "flux-system" },
  owner: "example-org",
  repository: "platform",
};
