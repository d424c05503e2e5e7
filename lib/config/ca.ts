/** A CA certificate from config: a PEM the program declares as a Secret, or a Secret created out of band. */
import type { ProblemCollector } from "../errors";
import { normalisePem, pemProblem } from "../k8s/ca";
import type { CaSource } from "../types";

/**
 * A CA from a PEM in config or from a Secret created out of band (at most one of the two). `pemKey` and
 * `nameKey` are the full config keys; `derivedName` is the Secret the program declares for a PEM.
 */
export function parseCa(
  c: ProblemCollector,
  nameKey: string,
  name: string | undefined,
  pemKey: string,
  pem: string | undefined,
  derivedName: string,
): CaSource | undefined {
  if (name !== undefined && pem !== undefined) {
    c.add(
      pemKey,
      pem,
      `is set together with ${nameKey} (${name}); the controller reads one Secret.`,
      `keep ${pemKey} (the program declares the Secret ${derivedName}) or ${nameKey} (a Secret with key ca.crt created out of band), not both.`,
    );
    return undefined;
  }
  if (pem !== undefined) {
    const problem = pemProblem(pem);
    if (problem !== undefined) {
      c.add(
        pemKey,
        pem,
        problem,
        "paste the CA certificate itself: one or more -----BEGIN CERTIFICATE----- ... -----END CERTIFICATE----- blocks (e.g. the output of `openssl x509 -in ca.crt`).",
      );
      return undefined;
    }
    return { mode: "pem", secretName: derivedName, pem: normalisePem(pem) };
  }
  if (name !== undefined) return { mode: "existing", secretName: name };
  return undefined;
}
