/**
 * What a cluster runs, from two objects: the OCIRepository's `status.artifact.revision` and signature
 * verification (`spec.verify`, the `SourceVerified` condition), and the gate
 * Kustomization's Ready condition and `lastAppliedRevision` / `lastAttemptedRevision`. `observationOf` is
 * pure (tested on object fixtures); `observeCluster` GETs the two objects.
 */
import type { ObjectRef } from "../config";
import type {
  ClusterObservation,
  GateObservation,
  VerificationObservation,
} from "../status/status";
import { kubeGet, KubeError, type KubeTarget } from "./client";
import { isRecord, nonEmptyString as str } from "../guards";

type Rec = Record<string, unknown>;

export const OCIREPOSITORY_PATH = (ref: ObjectRef): string =>
  `/apis/source.toolkit.fluxcd.io/v1/namespaces/${ref.namespace}/ocirepositories/${ref.name}`;
export const KUSTOMIZATION_PATH = (ref: ObjectRef): string =>
  `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${ref.namespace}/kustomizations/${ref.name}`;

/** The gate's state from a Kustomization object. */
export function gateOf(kustomization: unknown): GateObservation {
  const status =
    isRecord(kustomization) && isRecord(kustomization.status) ? kustomization.status : {};
  const conds = Array.isArray(status.conditions) ? (status.conditions as unknown[]) : [];
  const ready = conds.find((c) => isRecord(c) && c.type === "Ready") as Rec | undefined;
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

/** source-controller's condition type and the reason of a successful verification (meta.SucceededReason). */
export const SOURCE_VERIFIED = "SourceVerified";
const VERIFIED_MESSAGE = /^verified signature of revision (\S+)$/;

/** The OCIRepository's signature verification: `spec.verify` and its `SourceVerified` condition. */
export function verificationOf(ociRepository: unknown): VerificationObservation {
  const obj = isRecord(ociRepository) ? ociRepository : {};
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const meta = isRecord(obj.metadata) ? obj.metadata : {};
  const verify = isRecord(spec.verify) ? spec.verify : undefined;
  const status = isRecord(obj.status) ? obj.status : {};
  const conds = Array.isArray(status.conditions) ? (status.conditions as unknown[]) : [];
  const cond = conds.find((c) => isRecord(c) && c.type === SOURCE_VERIFIED) as Rec | undefined;
  let what: Pick<VerificationObservation, "mode" | "identities" | "secret" | "provider">;
  if (!verify) what = { mode: "none" };
  else {
    const provider = str(verify.provider) ?? "cosign";
    const secretName = isRecord(verify.secretRef) ? str(verify.secretRef.name) : undefined;
    if (provider !== "cosign") what = { mode: "other", provider };
    else if (secretName !== undefined)
      what = { mode: "key", secret: `${str(meta.namespace) ?? "?"}/${secretName}` };
    else {
      const ids = Array.isArray(verify.matchOIDCIdentity) ? verify.matchOIDCIdentity : [];
      what = {
        mode: "keyless",
        identities: ids
          .filter(isRecord)
          .map((i) => ({ issuer: str(i.issuer) ?? "", subject: str(i.subject) ?? "" })),
      };
    }
  }
  const reason = str(cond?.reason);
  const message = str(cond?.message);
  const state: VerificationObservation["state"] =
    cond?.status === "True"
      ? "verified"
      : cond?.status === "False"
        ? "refused"
        : verify
          ? "pending"
          : "off";
  const revision = state === "verified" ? VERIFIED_MESSAGE.exec(message ?? "")?.[1] : undefined;
  return {
    ...what,
    state,
    ...(reason !== undefined ? { reason } : {}),
    ...(message !== undefined ? { message: message.slice(0, 400) } : {}),
    ...(revision !== undefined ? { revision } : {}),
  };
}

/** The observation from the two objects (undefined = not found). */
export function observationOf(ociRepository: unknown, kustomization: unknown): ClusterObservation {
  const status =
    isRecord(ociRepository) && isRecord(ociRepository.status) ? ociRepository.status : {};
  const artifact = isRecord(status.artifact) ? status.artifact : {};
  const revision = str(artifact.revision);
  return {
    ...(revision !== undefined ? { sourceRevision: revision } : {}),
    ...(isRecord(ociRepository) ? { verification: verificationOf(ociRepository) } : {}),
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
