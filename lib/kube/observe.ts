/**
 * What a cluster runs, from two objects: the OCIRepository's `status.artifact.revision` and the gate
 * Kustomization's Ready condition and `lastAppliedRevision` / `lastAttemptedRevision`. `observationOf` is
 * pure (tested on object fixtures); `observeCluster` GETs the two objects.
 */
import type { ObjectRef } from "../config";
import type { ClusterObservation, GateObservation } from "../status/status";
import { kubeGet, KubeError, type KubeTarget } from "./client";

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

export const OCIREPOSITORY_PATH = (ref: ObjectRef): string =>
  `/apis/source.toolkit.fluxcd.io/v1/namespaces/${ref.namespace}/ocirepositories/${ref.name}`;
export const KUSTOMIZATION_PATH = (ref: ObjectRef): string =>
  `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${ref.namespace}/kustomizations/${ref.name}`;

/** The gate's state from a Kustomization object. */
export function gateOf(kustomization: unknown): GateObservation {
  const status = isRec(kustomization) && isRec(kustomization.status) ? kustomization.status : {};
  const conds = Array.isArray(status.conditions) ? (status.conditions as unknown[]) : [];
  const ready = conds.find((c) => isRec(c) && c.type === "Ready") as Rec | undefined;
  const s = ready?.status;
  const reason = str(ready?.reason);
  const message = str(ready?.message);
  const applied = str(status.lastAppliedRevision);
  const attempted = str(status.lastAttemptedRevision);
  return {
    ready: s === "True" || s === "False" ? s : "Unknown",
    ...(reason !== undefined ? { reason } : {}),
    ...(message !== undefined ? { message: message.slice(0, 300) } : {}),
    ...(applied !== undefined ? { lastAppliedRevision: applied } : {}),
    ...(attempted !== undefined ? { lastAttemptedRevision: attempted } : {}),
  };
}

/** The observation from the two objects (undefined = not found). */
export function observationOf(ociRepository: unknown, kustomization: unknown): ClusterObservation {
  const status = isRec(ociRepository) && isRec(ociRepository.status) ? ociRepository.status : {};
  const artifact = isRec(status.artifact) ? status.artifact : {};
  const revision = str(artifact.revision);
  return {
    ...(revision !== undefined ? { sourceRevision: revision } : {}),
    ...(kustomization !== undefined ? { gate: gateOf(kustomization) } : {}),
  };
}

/** Reads the cluster; a failure becomes `{ error }` so one unreachable cluster never hides the others. */
export async function observeCluster(
  target: KubeTarget,
  source: ObjectRef,
  gate: ObjectRef,
): Promise<ClusterObservation> {
  try {
    const [oci, ks] = await Promise.all([
      kubeGet(target, OCIREPOSITORY_PATH(source)),
      kubeGet(target, KUSTOMIZATION_PATH(gate)),
    ]);
    if (oci === undefined)
      return {
        error: `OCIRepository ${source.namespace}/${source.name} not found (context ${target.context})`,
      };
    return observationOf(oci, ks);
  } catch (e) {
    if (e instanceof KubeError) return { error: e.message };
    throw e;
  }
}
