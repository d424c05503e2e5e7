/**
 * CA certificates for servers with a private or self-signed certificate: a self-hosted OCI registry
 * (OCIRepository `spec.certSecretRef`) and a GitHub Enterprise Server (Provider `spec.certSecretRef`). Both
 * controllers read the CA from key `ca.crt` of a Secret in the object's own namespace:
 * - source-controller v1.9.3, `OCIRepositoryReconciler.getTLSConfig` (internal/controller/ocirepository_controller.go):
 *   `secrets.TLSConfigFromSecretRef` on `{obj.Namespace, obj.Spec.CertSecretRef.Name}` with
 *   `secrets.WithSystemCertPool()`, so the CA is added to the system roots;
 * - notification-controller v1.9.3, `createNotifier` (internal/server/event_handlers.go): `getSecret` of
 *   `provider.Spec.CertSecretRef.Name` in the Provider's namespace, then `getTLSConfigForProvider` ->
 *   `secrets.TLSConfigFromSecret` WITHOUT the system pool, so only this CA is trusted.
 * fluxcd/pkg/runtime v0.110.1 `secrets.buildTLSConfig` appends `ca.crt` with `AppendCertsFromPEM` and fails
 * with "failed to parse CA certificate" when no certificate parses. Pure: returns plain objects. A CA
 * certificate is public, so the Secret holds it in plain `stringData`.
 */
import { MANAGED_BY_LABELS, type KubeObject } from "./types";
import { clip } from "../clip";

/** The Secret key both controllers read the CA from (`secrets.KeyCACert`). */
export const CA_KEY = "ca.crt";

const BEGIN = "-----BEGIN CERTIFICATE-----";
const END = "-----END CERTIFICATE-----";
const BLOCK = /-----BEGIN CERTIFICATE-----\s*\n([A-Za-z0-9+/=\s]+?)\n\s*-----END CERTIFICATE-----/g;

/**
 * Why a text is not a PEM bundle of CA certificates, or undefined when it is one: one or more
 * `CERTIFICATE` blocks with base64 bodies and nothing else but whitespace (a private key pasted by mistake
 * would end up in plain state and in the cluster).
 */
export function pemProblem(pem: string): string | undefined {
  if (/PRIVATE KEY-----/.test(pem)) {
    return "contains a PRIVATE KEY block: only the CA certificate belongs here (it is public and stored in plain text).";
  }
  if (!pem.includes(BEGIN) || !pem.includes(END)) {
    return `is not a PEM certificate: it must contain "${BEGIN}" ... "${END}".`;
  }
  const rest = pem.replace(BLOCK, "");
  if (rest.trim() !== "") {
    return `holds something besides PEM CERTIFICATE blocks (${clip(rest.trim(), { limit: 40 })}): a truncated or mangled certificate fails in the controller with "failed to parse CA certificate".`;
  }
  return undefined;
}

/** The PEM as stored: blocks kept as given, one trailing newline. */
export function normalisePem(pem: string): string {
  return pem.trim() + "\n";
}

/** Opaque Secret `<name>` in `<namespace>` with the CA under `ca.crt`. */
export function caSecret(name: string, namespace: string, pem: string): KubeObject {
  const problem = pemProblem(pem);
  if (problem !== undefined) throw new Error(`CA Secret ${namespace}/${name}: the PEM ${problem}`);
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace, labels: { ...MANAGED_BY_LABELS } },
    type: "Opaque",
    stringData: { [CA_KEY]: normalisePem(pem) },
  };
}
