/**
 * The raw `promotion-pipeline:pipeline` the config tests start from: example-org/platform on ghcr.io with a
 * dev, an integration and a live cluster. Each test file adds what it is about (`over` replaces keys).
 */
import { strict as assert } from "node:assert";
import { ConfigError, validateConfig, type RawConfig, type StackConfig } from "../../../lib/config";

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

/** A stack's raw config around `pipeline`; the integration stack names its dispatch token Secret. */
export function rawStack(pipeline: Record<string, unknown>, stack = "integration"): RawConfig {
  return {
    stack,
    pipeline,
    ...(stack === "integration" ? { dispatchTokenSecret: "github-dispatch-token" } : {}),
  };
}

/** The one problem validation reports for `key` (the full key), as `key = value: problem Fix: fix`. */
export function problemFor(r: RawConfig, key: string): string {
  try {
    validateConfig(r, CONFIG_NOW);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    const hits = e.problems.filter((p) => p.key === key);
    assert.equal(hits.length, 1, `problems for ${key}:\n${e.message}`);
    return `${hits[0]!.key} = ${JSON.stringify(hits[0]!.value)}: ${hits[0]!.problem} Fix: ${hits[0]!.fix}`;
  }
  assert.fail(`expected ${key} to be refused`);
}
