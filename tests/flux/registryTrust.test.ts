/**
 * The registry's CA is what source-controller trusts (real source-controller, the box's TLS registry).
 */
import { strict as assert } from "node:assert";
import { FLUX_NAMESPACE, SOURCE, TEST_MANAGER } from "./support/box";
import { condition, type KubeObject } from "./support/kube";
import { withBox } from "./support/useBox";

describe("flux: the registry's CA is trusted only through certSecretRef", function () {
  const { it } = withBox(this);

  it("the program's OCIRepository without its certSecretRef fails TLS verification (unknown authority), while the same source with it is Ready", async (b) => {
    const k = b.integration.kube;
    const real = await k.mustGet(SOURCE.api, SOURCE.kind, FLUX_NAMESPACE, SOURCE.name);
    const spec = real.spec as Record<string, unknown>;
    assert.ok(spec.certSecretRef, "the program's source has no certSecretRef to take away");
    const probe = (name: string, withCa: boolean): KubeObject => {
      const { certSecretRef, ...rest } = spec;
      return {
        apiVersion: SOURCE.api,
        kind: SOURCE.kind,
        metadata: { name, namespace: FLUX_NAMESPACE },
        // No signature verification on the probes: what is compared is the TLS connection alone.
        spec: { ...rest, verify: undefined, interval: "1m", ...(withCa ? { certSecretRef } : {}) },
      };
    };
    const outcome = async (name: string): Promise<{ status: string; message?: string }> =>
      b.waitFor(
        `probe ${name} to report Ready True or False`,
        async () => {
          const c = condition(await k.get(SOURCE.api, SOURCE.kind, FLUX_NAMESPACE, name), "Ready");
          return c && c.status !== "Unknown" ? c : undefined;
        },
        90_000,
      );
    await b.ensureStable();
    for (const [name, withCa] of [
      ["with-ca-probe", true],
      ["no-ca-probe", false],
    ] as const) {
      await k.apply(JSON.parse(JSON.stringify(probe(name, withCa))) as KubeObject, TEST_MANAGER);
    }
    try {
      const control = await outcome("with-ca-probe");
      assert.equal(control.status, "True", `positive control failed: ${control.message}`);
      const ready = await outcome("no-ca-probe");
      assert.equal(ready.status, "False");
      // Go's crypto/x509 verdict on the registry's certificate, not any failure that names an https URL.
      assert.match(
        ready.message ?? "",
        /tls: failed to verify certificate: x509: certificate signed by unknown authority/,
        `unexpected failure: ${ready.message}`,
      );
    } finally {
      for (const name of ["with-ca-probe", "no-ca-probe"]) {
        await k.delete(SOURCE.api, SOURCE.kind, FLUX_NAMESPACE, name);
      }
    }
  });
});
