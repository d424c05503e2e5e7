/**
 * `promotion-pipeline:pipeline.signing`: who signs what and what each cluster verifies (README, Trust model).
 * The build workflow signs every RC with the BUILD identity or key, the promote workflow signs every digest it
 * promotes with the PROMOTE identity or key; integration's OCIRepository verifies the build signature, live's
 * the promote signature, so a stable tag pushed by anyone else never reaches live.
 *
 *   keyless  the workflows' GitHub OIDC identities (Fulcio certificates, Rekor); the default on github.com
 *   key      a cosign key pair per role: public keys here, private keys and passwords as Actions secrets
 *   none     no signature, no verification; only when written explicitly (the program warns at preview)
 *
 * The old `pipeline.verify: {issuer, subject}` (one identity for every cluster) is refused with the way over.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import type { ProblemCollector } from "../errors";
import { compileGoRegexp } from "../flux/re2";
import { GITHUB_COM } from "../k8s/validation";
import { isRecord, Reader } from "./reader";
import { readActionsSecret } from "./registry";
import type { SigningKey, SigningRole, SigningSpec } from "../types";

/** The issuer of GitHub Actions' OIDC tokens on github.com (what Fulcio writes into the certificate). */
export const GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com";
export const DEFAULT_ISSUER = "^https://token\\.actions\\.githubusercontent\\.com$";

/** The workflow file of each role (lib/workflows/pipeline.ts BUILD_WORKFLOW / PROMOTE_WORKFLOW; a test keeps them equal). */
export const SIGNING_WORKFLOW_FILES: Readonly<Record<SigningRole, string>> = {
  build: "build-platform-artifact.yaml",
  promote: "tag-validated-artifact.yaml",
};

/** The Actions secrets a key-mode role reads by default. */
export const DEFAULT_KEY_SECRETS: Readonly<
  Record<SigningRole, { readonly privateKeySecret: string; readonly passwordSecret: string }>
> = {
  build: { privateKeySecret: "COSIGN_BUILD_KEY", passwordSecret: "COSIGN_BUILD_PASSWORD" },
  promote: { privateKeySecret: "COSIGN_PROMOTE_KEY", passwordSecret: "COSIGN_PROMOTE_PASSWORD" },
};

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, (m) => `\\${m}`);

/**
 * The certificate subject Fulcio gives a GitHub Actions job: the URI of the workflow file at the ref it ran
 * from (the token's `job_workflow_ref`), e.g. `https://github.com/o/r/.github/workflows/f.yaml@refs/heads/main`.
 */
export function workflowIdentity(
  owner: string,
  repository: string,
  role: SigningRole,
  branch: string,
): string {
  return `${GITHUB_COM}/${owner}/${repository}/.github/workflows/${SIGNING_WORKFLOW_FILES[role]}@refs/heads/${branch}`;
}

/** The default subject: exactly that workflow file on the pipeline's branch, anchored. */
export function defaultSubject(
  owner: string,
  repository: string,
  role: SigningRole,
  branch: string,
): string {
  return `^${escapeRegex(workflowIdentity(owner, repository, role, branch))}$`;
}

/** Why a text is not one cosign public key (PEM `PUBLIC KEY`, ECDSA P-256/384/521, RSA or Ed25519), or undefined. */
export function publicKeyProblem(pem: string): string | undefined {
  if (/PRIVATE KEY-----/.test(pem))
    return "contains a PRIVATE KEY block: only the public key (cosign.pub) belongs in config, which is stored in plain text and rendered into the cluster.";
  if (
    !/^\s*-----BEGIN PUBLIC KEY-----\s*\n[A-Za-z0-9+/=\s]+?\n\s*-----END PUBLIC KEY-----\s*$/.test(
      pem,
    )
  )
    return 'is not one PEM "-----BEGIN PUBLIC KEY-----" block (what cosign generate-key-pair writes to cosign.pub); source-controller reads it with cryptoutils.UnmarshalPEMToPublicKey.';
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem.trim(), format: "pem" });
  } catch (e) {
    return `does not parse as a public key (${(e as Error).message}).`;
  }
  const type = key.asymmetricKeyType;
  if (type === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve !== "prime256v1" && curve !== "secp384r1" && curve !== "secp521r1")
      return `is an ECDSA key on ${curve ?? "an unknown curve"}, which cosign does not sign with (P-256, P-384, P-521).`;
    return undefined;
  }
  if (type === "rsa" || type === "ed25519") return undefined;
  return `is a ${type ?? "unknown"} key; cosign keys are ECDSA, RSA or Ed25519.`;
}

/** The key's SubjectPublicKeyInfo, to tell two keys apart whatever their PEM line breaks. */
function keyFingerprint(pem: string): string {
  return createPublicKey({ key: pem.trim(), format: "pem" })
    .export({ format: "der", type: "spki" })
    .toString("base64");
}

const KEY_FIX = (role: SigningRole): string =>
  `generate a key pair for the ${role} role (COSIGN_PASSWORD=<password> cosign generate-key-pair), paste cosign.pub here and store cosign.key and the password as the Actions secrets ${DEFAULT_KEY_SECRETS[role].privateKeySecret} and ${DEFAULT_KEY_SECRETS[role].passwordSecret}.`;

const MODE_FIX =
  "write signing: { mode: keyless } (github.com only), signing: { mode: key, build: { publicKey: ... }, promote: { publicKey: ... } }, or, knowingly, signing: { mode: none }.";

function parseKey(
  c: ProblemCollector,
  key: string,
  raw: unknown,
  role: SigningRole,
): SigningKey | undefined {
  if (raw === undefined || raw === null) {
    c.add(
      key,
      raw,
      `is required with mode: key: the ${role === "build" ? "integration cluster verifies RCs" : "live cluster verifies promoted digests"} with this role's public key.`,
      KEY_FIX(role),
    );
    return undefined;
  }
  if (!isRecord(raw)) {
    c.add(
      key,
      raw,
      "must be a mapping { publicKey, privateKeySecret?, passwordSecret? }.",
      KEY_FIX(role),
    );
    return undefined;
  }
  const r = new Reader(c, key, raw, ["publicKey", "privateKeySecret", "passwordSecret"]);
  const publicKey = r.string("publicKey", {
    required: true,
    what: `the ${role} key pair's public key (cosign.pub, PEM)`,
  });
  let pemOk = publicKey !== undefined;
  if (publicKey !== undefined) {
    const problem = publicKeyProblem(publicKey);
    if (problem !== undefined) {
      // A private key pasted by mistake is not echoed, not even in part, into the error output.
      const shown = /PRIVATE KEY-----/.test(publicKey) ? "[a private key, not shown]" : publicKey;
      c.add(r.key("publicKey"), shown, problem, KEY_FIX(role));
      pemOk = false;
    }
  }
  const secret = (k: "privateKeySecret" | "passwordSecret"): string | undefined =>
    readActionsSecret(
      c,
      r,
      k,
      { def: DEFAULT_KEY_SECRETS[role][k] },
      `name the secret e.g. ${DEFAULT_KEY_SECRETS[role][k]}.`,
    );
  const privateKeySecret = secret("privateKeySecret");
  const passwordSecret = secret("passwordSecret");
  if (privateKeySecret !== undefined && privateKeySecret === passwordSecret) {
    c.add(
      r.key("passwordSecret"),
      passwordSecret,
      "is the same secret as privateKeySecret.",
      "name two secrets: one holding cosign.key, one its password.",
    );
    return undefined;
  }
  if (!pemOk || privateKeySecret === undefined || passwordSecret === undefined) return undefined;
  return { publicKey: publicKey!.trim() + "\n", privateKeySecret, passwordSecret };
}

function goRegex(c: ProblemCollector, key: string, value: string): boolean {
  try {
    compileGoRegexp(value);
    return true;
  } catch (e) {
    c.add(
      key,
      value,
      `is not a valid Go regular expression (${(e as Error).message}); source-controller compiles it with Go's regexp.`,
      "write a Go (RE2) regular expression, e.g. ^https://github\\.com/<owner>/<repo>/\\.github/workflows/<file>@refs/heads/main$.",
    );
    return false;
  }
}

function parseKeyless(
  c: ProblemCollector,
  key: string,
  raw: Record<string, unknown>,
  owner: string,
  repository: string,
  branch: string,
): SigningSpec | undefined {
  const r = new Reader(c, key, raw, ["mode", "issuer", "build", "promote"]);
  const issuer =
    r.string("issuer", { def: DEFAULT_ISSUER, what: "an OIDC issuer regular expression" }) ??
    DEFAULT_ISSUER;
  let ok = goRegex(c, r.key("issuer"), issuer);
  if (ok && !compileGoRegexp(issuer).test(GITHUB_ACTIONS_ISSUER)) {
    c.add(
      r.key("issuer"),
      issuer,
      `does not match ${GITHUB_ACTIONS_ISSUER}, the issuer of every certificate the workflows sign with: both clusters would refuse every artifact.`,
      `remove it (default ${DEFAULT_ISSUER}).`,
    );
    ok = false;
  }
  const subjects: Partial<Record<SigningRole, string>> = {};
  for (const role of ["build", "promote"] as const) {
    const def = defaultSubject(owner, repository, role, branch);
    const rr = r.record(role);
    if (!rr) {
      subjects[role] = def;
      continue;
    }
    const sr = new Reader(c, r.key(role), rr, ["subject"]);
    const subject =
      sr.string("subject", { def, what: "a certificate subject regular expression" }) ?? def;
    if (!goRegex(c, sr.key("subject"), subject)) ok = false;
    subjects[role] = subject;
  }
  if (!ok) return undefined;
  // The whole point of two identities: an RC signed by the build workflow must not satisfy live.
  for (const [role, other] of [
    ["build", "promote"],
    ["promote", "build"],
  ] as const) {
    const subject = subjects[role]!;
    const otherIdentity = workflowIdentity(owner, repository, other, branch);
    if (compileGoRegexp(subject).test(otherIdentity)) {
      c.add(
        r.key(`${role}.subject`),
        subject,
        `also matches the ${other} workflow's identity ${otherIdentity}: ${role === "promote" ? "live would accept an RC the build workflow signed, before any validation" : "integration would accept what the promote workflow signs as an RC"}.`,
        `anchor it to the ${role} workflow alone, e.g. ${defaultSubject(owner, repository, role, branch)} (the default).`,
      );
      return undefined;
    }
  }
  return {
    mode: "keyless",
    build: { issuer, subject: subjects.build! },
    promote: { issuer, subject: subjects.promote! },
  };
}

/**
 * `signing`. `githubUrl` is the validated `pipeline.github.url`: keyless is the default only on github.com,
 * where the public Sigstore (Fulcio, Rekor) accepts the workflows' OIDC tokens.
 */
export function parseSigning(
  c: ProblemCollector,
  key: string,
  raw: unknown,
  ctx: {
    readonly githubUrl: string;
    readonly owner: string | undefined;
    readonly repository: string | undefined;
    readonly branch: string;
  },
): SigningSpec | undefined {
  const onGithubCom = ctx.githubUrl === GITHUB_COM;
  const ghesProblem = `has no default on a GitHub Enterprise Server (pipeline.github.url = ${ctx.githubUrl}): keyless signing needs the public Sigstore (Fulcio, Rekor), which accepts only github.com's OIDC tokens.`;
  const ghesFix =
    "use key-based signing: signing: { mode: key, build: { publicKey: <cosign.pub of the build key pair> }, promote: { publicKey: <cosign.pub of the promote key pair> } }, with cosign.key and its password of each pair as the Actions secrets COSIGN_BUILD_KEY / COSIGN_BUILD_PASSWORD and COSIGN_PROMOTE_KEY / COSIGN_PROMOTE_PASSWORD (README, Trust model); or, knowingly, signing: { mode: none }.";
  let rec: Record<string, unknown>;
  if (raw === undefined || raw === null) {
    if (!onGithubCom) {
      c.add(`${key}.mode`, undefined, ghesProblem, ghesFix);
      return undefined;
    }
    rec = { mode: "keyless" };
  } else if (!isRecord(raw)) {
    c.add(key, raw, "must be a mapping with mode: keyless, key or none.", MODE_FIX);
    return undefined;
  } else rec = raw;
  const mode = rec.mode ?? (onGithubCom ? "keyless" : undefined);
  switch (mode) {
    case undefined:
      c.add(`${key}.mode`, undefined, ghesProblem, ghesFix);
      return undefined;
    case "keyless":
      if (!onGithubCom) {
        c.add(
          `${key}.mode`,
          rec.mode,
          `is keyless on a GitHub Enterprise Server (pipeline.github.url = ${ctx.githubUrl}): the public Sigstore (Fulcio, Rekor) accepts only github.com's OIDC tokens, so every signing step would fail.`,
          ghesFix,
        );
        return undefined;
      }
      if (ctx.owner === undefined || ctx.repository === undefined) return undefined;
      return parseKeyless(c, key, rec, ctx.owner, ctx.repository, ctx.branch);
    case "key": {
      const r = new Reader(c, key, rec, ["mode", "build", "promote"]);
      const build = parseKey(c, r.key("build"), rec.build, "build");
      const promote = parseKey(c, r.key("promote"), rec.promote, "promote");
      if (!build || !promote) return undefined;
      if (keyFingerprint(build.publicKey) === keyFingerprint(promote.publicKey)) {
        c.add(
          r.key("promote.publicKey"),
          promote.publicKey,
          "is the build role's public key: live would accept every RC the build workflow signs, before any validation.",
          "generate a second key pair for the promote role (cosign generate-key-pair) and use its cosign.pub here.",
        );
        return undefined;
      }
      if (build.privateKeySecret === promote.privateKeySecret) {
        c.add(
          r.key("promote.privateKeySecret"),
          promote.privateKeySecret,
          "is the build role's private key secret: the two roles need two key pairs.",
          `name another secret, e.g. ${DEFAULT_KEY_SECRETS.promote.privateKeySecret}.`,
        );
        return undefined;
      }
      return { mode: "key", build, promote };
    }
    case "none":
      new Reader(c, key, rec, ["mode"]);
      return { mode: "none" };
    default:
      c.add(`${key}.mode`, mode, "is not keyless, key or none.", MODE_FIX);
      return undefined;
  }
}

/** `pipeline.verify` (before signing existed): refused with what replaced it. */
export function refuseVerify(c: ProblemCollector, key: string, raw: unknown): void {
  if (raw === undefined || raw === null) return;
  c.add(
    key,
    raw,
    "was replaced by pipeline.signing: the workflows now sign (the build workflow every RC, the promote workflow every promoted digest) and integration verifies the build identity, live the promote identity; one identity for every cluster would let live accept an unvalidated RC.",
    "remove verify. On github.com nothing else is needed (signing: { mode: keyless } is the default); to keep your own regular expressions write signing: { mode: keyless, issuer: <issuer>, build: { subject: <build workflow> }, promote: { subject: <promote workflow> } }; for key pairs see README, Trust model.",
  );
}
