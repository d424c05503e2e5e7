/** The ClusterSource component under the Pulumi mocks (call useMocks first), for the tests of its Secrets. */
import { strict as assert } from "node:assert";
import type { StackConfig } from "../../../lib/config";
import { declared, ofType, registered, type Registered } from "../../support/pulumiMocks";

/**
 * Declares the ClusterSource of `c`'s cluster as `name` and asserts it registered exactly one Secret beside its
 * OCIRepository; returns the component, that Secret and the OCIRepository.
 */
export async function sourceWithSecret(c: StackConfig, name: string) {
  const { ClusterSource } = await import("../../../components/clusterSource.js");
  const source = await declared(
    () => new ClusterSource(name, { pipeline: c.pipeline, cluster: c.cluster }),
  );
  assert.deepEqual(registered.map((r) => r.type).sort(), [
    "kubernetes:core/v1:Secret",
    "kubernetes:source.toolkit.fluxcd.io/v1:OCIRepository",
    "promotion:flux:ClusterSource",
  ]);
  const secret: Registered = ofType("kubernetes:core/v1:Secret")[0]!;
  const oci: Registered = ofType("kubernetes:source.toolkit.fluxcd.io/v1:OCIRepository")[0]!;
  return { source, secret, oci };
}

/** A Secret's `stringData` as given: the Kubernetes SDK wraps it as a Pulumi secret (signature and value). */
export function unsecret(v: unknown): unknown {
  const SIG = "4dabf18193072939515e22adb298388d";
  return v && typeof v === "object" && SIG in v ? (v as unknown as { value: unknown }).value : v;
}
