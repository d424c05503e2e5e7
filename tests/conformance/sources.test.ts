import { strict as assert } from "node:assert";
import { validateConfig } from "../../lib/config";
import { clusterSource, registryCaSecret } from "../../lib/k8s/source";
import { TEST_CA_PEM } from "../support/testCa";
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

  it("a self-hosted registry: certSecretRef and its CA Secret, or insecure, are valid", async () => {
    const self = {
      ...pipeline,
      registry: "registry.example.org",
      registryCredentials: {
        usernameSecret: "REGISTRY_USERNAME",
        passwordSecret: "REGISTRY_PASSWORD",
      },
    };
    const now = new Date("2026-11-23T12:00:00Z");
    const withCa = validateConfig(
      { stack: "live", pipeline: { ...self, registryCA: { pem: TEST_CA_PEM } } },
      now,
    );
    const source = clusterSource(withCa.pipeline, withCa.cluster);
    assert.deepEqual((source.spec as Record<string, unknown>).certSecretRef, {
      name: "flux-system-registry-ca",
    });
    assert.ok((await validateObject(source)).length > 0);
    assert.deepEqual(await validateObject(registryCaSecret(withCa.pipeline, withCa.cluster)), [
      "kubernetes-models v1 Secret",
    ]);
    const insecure = validateConfig(
      { stack: "live", pipeline: { ...self, registryInsecure: true } },
      now,
    );
    const plain = clusterSource(insecure.pipeline, insecure.cluster);
    assert.equal((plain.spec as Record<string, unknown>).insecure, true);
    assert.ok((await validateObject(plain)).length > 0);
  });
});
