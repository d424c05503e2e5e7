/**
 * The raw `promotion-pipeline:pipeline` the config tests start from: example-org/platform on ghcr.io with a
 * dev, an integration and a live cluster. Each test file adds what it is about (`over` replaces keys).
 */
import { validateConfig, type StackConfig } from "../../../lib/config";

/** The time the config tests validate at (pins expire relative to it). */
export const CONFIG_NOW = new Date("2026-11-23T12:00:00Z");

/** dev (following main), integration and live, with `over` added or replacing a cluster. */
export function exampleClusters(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    dev: { role: "dev", git: { url: "https://github.com/example-org/platform", branch: "main" } },
    integration: { role: "integration" },
    live: { role: "live" },
    ...over,
  };
}

/** The raw pipeline: registry, owner, repository and exampleClusters(), then `over`. */
export function rawPipeline(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    registry: "ghcr.io",
    owner: "example-org",
    repository: "platform",
    clusters: exampleClusters(),
    ...over,
  };
}

/**
 * The integration stack of a pipeline with only an integration and a live cluster (`over` added to it),
 * validated at CONFIG_NOW; `dispatchTokenSecret` names the stack's dispatch token Secret.
 */
export function exampleConfig(
  over: Record<string, unknown> = {},
  dispatchTokenSecret = "t",
): StackConfig {
  return validateConfig(
    {
      stack: "integration",
      pipeline: rawPipeline({
        clusters: { integration: { role: "integration" }, live: { role: "live" } },
        ...over,
      }),
      dispatchTokenSecret,
    },
    CONFIG_NOW,
  );
}
