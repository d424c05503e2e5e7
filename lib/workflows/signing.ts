/**
 * The signing steps of the build, promote and rollback jobs (`pipeline.signing`, README Trust model). The
 * build job signs each RC's digest with the BUILD identity or key after the push; the promote job signs the
 * digest it promotes with the PROMOTE identity or key after the gate's event was checked (the Decide step)
 * and BEFORE any stable or validated tag is pushed, so a stable tag never exists without its signature; the
 * rollback job does the same before it adds a stable tag to an earlier, validated digest. A no-op run (the
 * digest is stable already) signs nothing. Each step then verifies its own signature exactly as the cluster
 * will (the same identity regexes, or the configured public key), so a key pair whose halves do not belong
 * together fails the run instead of every reconcile on live.
 *
 * keyless: `cosign sign --yes <ref>@<digest>` with the job's OIDC token (`id-token: write` on that job only).
 * key:     `cosign sign --yes --tlog-upload=false --key env://COSIGN_PRIVATE_KEY` with the private key and
 *          password from the named Actions secrets, through `env:` only. No transparency log: source-controller
 *          verifies a key-based signature offline (lib/k8s/source.ts).
 */
import type { PipelineSpec, SigningRole } from "../config";
import { COSIGN_INSTALLER, COSIGN_VERSION } from "./actions";
import { type Job, type Step, script } from "./model";

export const SIGN_STEP: Readonly<Record<SigningRole, string>> = {
  build: "Sign the release candidate (build identity)",
  promote: "Sign the validated digest (promote identity)",
};
export const INSTALL_COSIGN_STEP = "Set up cosign";

/** Where the job's signing steps go and what they sign. */
export interface SigningPlacement {
  /** Sign this role's signature. */
  readonly role: SigningRole;
  /** Expression of the digest to sign, e.g. `${{ steps.push.outputs.digest }}`. */
  readonly digest: string;
  /** Run only when (the tagging step's own condition); absent: always, after the steps before. */
  readonly if?: string;
  /** Insert before the step of this name; absent: append at the end. */
  readonly before?: string;
}

/** The install and sign steps for one role, or none for `signing: none`. */
export function signingSteps(p: PipelineSpec, at: SigningPlacement): Step[] {
  const s = p.signing;
  const role = at.role;
  const cond = at.if !== undefined ? { if: at.if } : {};
  const install: Step = {
    name: INSTALL_COSIGN_STEP,
    ...cond,
    uses: COSIGN_INSTALLER,
    with: { "cosign-release": COSIGN_VERSION },
  };
  // Install, then sign and verify with the role's env (the digest first, then what the mode needs).
  const sign = (env: Readonly<Record<string, string>>, lines: readonly string[]): Step[] => [
    install,
    { name: SIGN_STEP[role], ...cond, env: { DIGEST: at.digest, ...env }, run: script(lines) },
  ];
  const summary = `echo "Signed $ARTIFACT@$DIGEST (${role} ${s.mode === "key" ? "key" : "identity"})" | tee -a "$GITHUB_STEP_SUMMARY"`;
  switch (s.mode) {
    case "none":
      return [];
    case "keyless":
      return sign({ CERT_ISSUER: s[role].issuer, CERT_SUBJECT: s[role].subject }, [
        "# Fulcio certifies this job's OIDC identity (the workflow file at its ref); the signature goes next",
        "# to the digest as its sha256-<hex>.sig tag.",
        'cosign sign --yes "$ARTIFACT@$DIGEST"',
        "# Verified as the cluster will (spec.verify.matchOIDCIdentity): a wrong identity fails here, not on the cluster.",
        'cosign verify --certificate-oidc-issuer-regexp "$CERT_ISSUER" --certificate-identity-regexp "$CERT_SUBJECT" "$ARTIFACT@$DIGEST" >/dev/null',
        summary,
      ]);
    case "key": {
      const k = s[role];
      return sign(
        {
          COSIGN_PRIVATE_KEY: `\${{ secrets.${k.privateKeySecret} }}`,
          COSIGN_PASSWORD: `\${{ secrets.${k.passwordSecret} }}`,
          COSIGN_PUBLIC_KEY: k.publicKey,
        },
        [
          "# An unset secret is an empty string: say which one, instead of failing with a parse error.",
          'if [ -z "$COSIGN_PRIVATE_KEY" ]; then',
          `  echo "::error::the repository secret ${k.privateKeySecret} must hold the ${role} role's cosign.key (promotion-pipeline:pipeline.signing.${role}); it is empty or not set."`,
          "  exit 1",
          "fi",
          'cosign sign --yes --tlog-upload=false --key env://COSIGN_PRIVATE_KEY "$ARTIFACT@$DIGEST"',
          "# Verified with the public key the cluster holds: a private key that is not its pair fails here.",
          `printf '%s\\n' "$COSIGN_PUBLIC_KEY" >"$RUNNER_TEMP/cosign-${role}.pub"`,
          `cosign verify --key "$RUNNER_TEMP/cosign-${role}.pub" --insecure-ignore-tlog=true "$ARTIFACT@$DIGEST" >/dev/null`,
          summary,
        ],
      );
    }
    default: {
      const never: never = s;
      throw new Error(`unknown signing mode ${JSON.stringify(never)}`);
    }
  }
}

/**
 * The job with its signing steps (install, sign) placed per `at`, and `id-token: write` added to its
 * permissions in keyless mode (the OIDC token cosign exchanges at Fulcio). Unchanged for `signing: none`.
 */
export function withSigning(job: Job, p: PipelineSpec, at: SigningPlacement): Job {
  const steps = signingSteps(p, at);
  if (steps.length === 0) return job;
  const i =
    at.before === undefined ? job.steps.length : job.steps.findIndex((st) => st.name === at.before);
  if (i < 0)
    throw new Error(`lib/workflows/signing.ts: the job has no step ${JSON.stringify(at.before)}`);
  return {
    ...job,
    permissions:
      p.signing.mode === "keyless" ? { ...job.permissions, "id-token": "write" } : job.permissions,
    steps: [...job.steps.slice(0, i), ...steps, ...job.steps.slice(i)],
  };
}
