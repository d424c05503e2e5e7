import { strict as assert } from "node:assert";
import { validateConfig } from "../../lib/config";
import { clusterSource, cosignKeySecret, registryCaSecret } from "../../lib/k8s/source";
import { KEY_SIGNING } from "../support/signingKeys";
import { TEST_CA_PEM } from "../support/testCa";
import { validateObject } from "./schemas";
import { CONFIG_NOW, rawPipeline } from "../unit/support/config";

const pipeline = rawPipeline({ registrySecret: "ghcr-pull" });

describe("conformance: cluster sources against the upstream schemas", () => {
  for (const stack of ["dev", "integration", "live"]) {
    it(`${stack}: the cluster source is valid`, async () => {
      const c = validateConfig(
        { stack, pipeline, ...(stack === "integration" ? { dispatchTokenSecret: "t" } : {}) },
        CONFIG_NOW,
      );
      const obj = clusterSource(c.pipeline, c.cluster, c.pin);
      assert.ok((await validateObject(obj)).length > 0);
    });
  }

  it("signing: keyless matchOIDCIdentity, key-based secretRef and its cosign.pub Secret, and none are valid", async () => {
    const now = CONFIG_NOW;
    for (const stack of ["integration", "live"]) {
      const extra = stack === "integration" ? { dispatchTokenSecret: "t" } : {};
      const keyless = validateConfig({ stack, pipeline, ...extra }, now);
      const k = clusterSource(keyless.pipeline, keyless.cluster);
      assert.equal(
        (k.spec as { verify: { matchOIDCIdentity: unknown[] } }).verify.matchOIDCIdentity.length,
        1,
      );
      assert.ok((await validateObject(k)).length > 0);
      const key = validateConfig(
        { stack, pipeline: { ...pipeline, signing: KEY_SIGNING }, ...extra },
        now,
      );
      const ks = clusterSource(key.pipeline, key.cluster);
      assert.deepEqual((ks.spec as { verify: unknown }).verify, {
        provider: "cosign",
        secretRef: { name: "flux-system-cosign" },
      });
      assert.ok((await validateObject(ks)).length > 0);
      assert.deepEqual(await validateObject(cosignKeySecret(key.pipeline, key.cluster)!), [
        "kubernetes-models v1 Secret",
      ]);
      const none = validateConfig(
        { stack, pipeline: { ...pipeline, signing: { mode: "none" } }, ...extra },
        now,
      );
      const ns = clusterSource(none.pipeline, none.cluster);
      assert.equal((ns.spec as { verify?: unknown }).verify, undefined);
      assert.ok((await validateObject(ns)).length > 0);
    }
  });

  it("a self-hosted registry: certSecretRef and its CA Secret, or insecure, are valid", async () => {
    const self = {
      ...pipeline,
      registry: "registry.example.org",
      registryCredentials: {
        usernameSecret: "REGISTRY_USERNAME",
        passwordSecret: "REGISTRY_PASSWORD",
      },
    };
    const now = CONFIG_NOW;
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
