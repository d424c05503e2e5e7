import { strict as assert } from "node:assert";
import { validateConfig } from "../../lib/config";
import { clusterSource } from "../../lib/k8s/source";
import { validateObject } from "./schemas";

const pipeline = {
  registry: "ghcr.io",
  owner: "example-org",
  repository: "platform",
  registrySecret: "ghcr-pull",
  verify: {
    issuer: "^https://token.actions.githubusercontent.com$",
    subject: "^https://github.com/example-org/platform/",
  },
  clusters: {
    dev: { role: "dev", git: { url: "https://github.com/example-org/platform", branch: "main" } },
    integration: { role: "integration" },
    live: { role: "live" },
  },
};

describe("conformance: cluster sources against the upstream schemas", () => {
  for (const stack of ["dev", "integration", "live"]) {
    it(`${stack}: the cluster source is valid`, async () => {
      const c = validateConfig(
        { stack, pipeline, ...(stack === "integration" ? { dispatchTokenSecret: "t" } : {}) },
        new Date("2026-11-23T12:00:00Z"),
      );
      const obj = clusterSource(c.pipeline, c.cluster, c.pin);
      assert.ok((await validateObject(obj)).length > 0);
    });
  }
});
