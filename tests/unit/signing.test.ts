/**
 * `promotion-pipeline:pipeline.signing` (issue 20, item 1): config validation (every refusal's key, value and
 * fix), what each cluster's OCIRepository verifies (keyless, key, none), the public key Secret, the warning for
 * `none`, and the signing steps of the build, promote and rollback jobs.
 */
import { strict as assert } from "node:assert";
import { generateKeyPairSync } from "node:crypto";
import { parse } from "yaml";
import { validateConfig, type RawConfig, type StackConfig } from "../../lib/config";
import {
  DEFAULT_ISSUER,
  SIGNING_WORKFLOW_FILES,
  publicKeyProblem,
  workflowIdentity,
} from "../../lib/config/signing";
import {
  COSIGN_KEY,
  cosignKeySecret,
  clusterSource,
  signingWarning,
  sourceVerify,
} from "../../lib/k8s/source";
import { COSIGN_INSTALLER, COSIGN_VERSION } from "../../lib/workflows/actions";
import { workflowFiles } from "../../lib/workflows/files";
import { isRunStep, type Job, type Step } from "../../lib/workflows/model";
import {
  BUILD_WORKFLOW,
  PROMOTE_TAG_STEP,
  PROMOTE_WORKFLOW,
  buildWorkflow,
  promoteWorkflow,
} from "../../lib/workflows/pipeline";
import { ROLLBACK_TAG_STEP } from "../../lib/workflows/rollback";
import { INSTALL_COSIGN_STEP, SIGN_STEP } from "../../lib/workflows/signing";
import { declared, describeComponents, ofType } from "../support/pulumiMocks";
import {
  BUILD_PUBLIC_KEY,
  KEY_SIGNING,
  PROMOTE_PUBLIC_KEY,
  SECP256K1_PUBLIC_KEY,
} from "../support/signingKeys";
import { actionlint, githubParserErrors } from "../support/workflowValidators";
import { CONFIG_NOW, problemFor, rawPipeline, rawStack } from "./support/config";
import { sourceWithSecret, unsecret } from "./support/clusterSource";

const NOW = CONFIG_NOW;
const K = "promotion-pipeline:pipeline.signing";
const BUILD_SUBJECT =
  "^https://github\\.com/example-org/platform/\\.github/workflows/build-platform-artifact\\.yaml@refs/heads/main$";
const PROMOTE_SUBJECT =
  "^https://github\\.com/example-org/platform/\\.github/workflows/tag-validated-artifact\\.yaml@refs/heads/main$";
const GHES = { url: "https://github.example.com" };

const pipeline = rawPipeline;

const raw = (over: Record<string, unknown> = {}, stack = "integration"): RawConfig =>
  rawStack(pipeline(over), stack);

const cfg = (over: Record<string, unknown> = {}, stack = "integration"): StackConfig =>
  validateConfig(raw(over, stack), NOW);

/** Asserts the refusal of `signing` = `signing` names `key`, its value, and says each fragment. */
function refused(signing: unknown, key: string, ...fragments: (string | RegExp)[]): string {
  const line = problemFor(raw({ signing }), key);
  for (const f of fragments) {
    if (typeof f === "string") assert.ok(line.includes(f), `lacks ${JSON.stringify(f)}:\n${line}`);
    else assert.match(line, f);
  }
  return line;
}

describe("signing config (promotion-pipeline:pipeline.signing)", () => {
  it("github.com: keyless by default; each role is exactly its workflow file on the branch", () => {
    const s = cfg().pipeline.signing;
    assert.deepEqual(s, {
      mode: "keyless",
      build: { issuer: DEFAULT_ISSUER, subject: BUILD_SUBJECT },
      promote: { issuer: DEFAULT_ISSUER, subject: PROMOTE_SUBJECT },
    });
    assert.equal(DEFAULT_ISSUER, "^https://token\\.actions\\.githubusercontent\\.com$");
    // An explicit mode: keyless is the same; the branch and a dotted repository name are escaped.
    assert.deepEqual(cfg({ signing: { mode: "keyless" } }).pipeline.signing, s);
    const other = cfg({ repository: "platform.v2", branch: "release/1.x" }).pipeline.signing;
    assert.equal(
      other.mode === "keyless" && other.promote.subject,
      "^https://github\\.com/example-org/platform\\.v2/\\.github/workflows/tag-validated-artifact\\.yaml@refs/heads/release/1\\.x$",
    );
  });

  it("the workflow files the identities name are the generated workflows' paths", () => {
    assert.equal(BUILD_WORKFLOW, `.github/workflows/${SIGNING_WORKFLOW_FILES.build}`);
    assert.equal(PROMOTE_WORKFLOW, `.github/workflows/${SIGNING_WORKFLOW_FILES.promote}`);
    assert.equal(
      workflowIdentity("o", "r", "promote", "main"),
      "https://github.com/o/r/.github/workflows/tag-validated-artifact.yaml@refs/heads/main",
    );
  });

  it("keyless overrides: issuer and per-role subjects, checked as Go regular expressions", () => {
    const s = cfg({
      signing: {
        mode: "keyless",
        issuer: "^https://token\\.actions\\.githubusercontent\\.com$",
        build: {
          subject:
            "^https://github\\.com/example-org/platform/\\.github/workflows/build-platform-artifact\\.yaml@refs/heads/(main|hotfix)$",
        },
      },
    }).pipeline.signing;
    assert.equal(s.mode, "keyless");
    assert.match(s.mode === "keyless" ? s.build.subject : "", /\(main\|hotfix\)/);
    assert.equal(s.mode === "keyless" ? s.promote.subject : "", PROMOTE_SUBJECT);
    refused(
      { mode: "keyless", issuer: "^https://(token" },
      `${K}.issuer`,
      '= "^https://(token"',
      "is not a valid Go regular expression (error parsing regexp: missing closing ): `^https://(token`)",
      "Fix: write a Go (RE2) regular expression",
    );
    refused(
      { mode: "keyless", build: { subject: "(?<!x)y" } },
      `${K}.build.subject`,
      "is not a valid Go regular expression",
    );
    refused(
      { mode: "keyless", issuer: "^https://accounts\\.google\\.com$" },
      `${K}.issuer`,
      "does not match https://token.actions.githubusercontent.com",
      "both clusters would refuse every artifact",
      `Fix: remove it (default ${DEFAULT_ISSUER})`,
    );
  });

  it("keyless: a subject that also matches the other workflow's identity is refused (live would take unvalidated RCs)", () => {
    refused(
      { mode: "keyless", promote: { subject: "^https://github\\.com/example-org/platform/" } },
      `${K}.promote.subject`,
      '= "^https://github\\\\.com/example-org/platform/"',
      "also matches the build workflow's identity https://github.com/example-org/platform/.github/workflows/build-platform-artifact.yaml@refs/heads/main",
      "live would accept an RC the build workflow signed, before any validation",
      `Fix: anchor it to the promote workflow alone, e.g. ${PROMOTE_SUBJECT} (the default)`,
    );
    refused(
      { mode: "keyless", build: { subject: "workflows/.*@refs/heads/main$" } },
      `${K}.build.subject`,
      "also matches the promote workflow's identity",
      "integration would accept what the promote workflow signs as an RC",
    );
  });

  it("mode: a bad value, a non-mapping and settings of another mode are refused with the fix", () => {
    refused(
      "keyless",
      K,
      '= "keyless"',
      "must be a mapping with mode: keyless, key or none.",
      "Fix: write signing: { mode: keyless }",
    );
    refused(
      { mode: "keyles" },
      `${K}.mode`,
      '= "keyles"',
      "is not keyless, key or none.",
      "Fix: write signing: { mode: keyless } (github.com only)",
    );
    refused(
      { mode: "keyless", build: { publicKey: BUILD_PUBLIC_KEY } },
      `${K}.build.publicKey`,
      "is not a known setting.",
      "Fix: remove it, or use one of: subject.",
    );
    refused(
      { mode: "none", issuer: "x" },
      `${K}.issuer`,
      "is not a known setting.",
      "use one of: mode.",
    );
    refused(
      {
        mode: "key",
        build: { publicKey: BUILD_PUBLIC_KEY },
        promote: { publicKey: PROMOTE_PUBLIC_KEY },
        issuer: DEFAULT_ISSUER,
      },
      `${K}.issuer`,
      "is not a known setting.",
      "use one of: mode, build, promote.",
    );
  });

  it("GitHub Enterprise Server: no default; keyless refused; key-based or an explicit none accepted", () => {
    const line = problemFor(raw({ github: GHES }), `${K}.mode`);
    assert.equal(
      line,
      `${K}.mode = undefined: has no default on a GitHub Enterprise Server (pipeline.github.url = https://github.example.com): keyless signing needs the public Sigstore (Fulcio, Rekor), which accepts only github.com's OIDC tokens. Fix: use key-based signing: signing: { mode: key, build: { publicKey: <cosign.pub of the build key pair> }, promote: { publicKey: <cosign.pub of the promote key pair> } }, with cosign.key and its password of each pair as the Actions secrets COSIGN_BUILD_KEY / COSIGN_BUILD_PASSWORD and COSIGN_PROMOTE_KEY / COSIGN_PROMOTE_PASSWORD (README, Trust model); or, knowingly, signing: { mode: none }.`,
    );
    // A signing mapping without a mode is the same refusal.
    assert.equal(problemFor(raw({ github: GHES, signing: {} }), `${K}.mode`), line);
    assert.match(
      problemFor(raw({ github: GHES, signing: { mode: "keyless" } }), `${K}.mode`),
      /= "keyless": is keyless on a GitHub Enterprise Server \(pipeline\.github\.url = https:\/\/github\.example\.com\): the public Sigstore .* every signing step would fail\. Fix: use key-based signing/,
    );
    assert.equal(cfg({ github: GHES, signing: KEY_SIGNING }).pipeline.signing.mode, "key");
    assert.equal(cfg({ github: GHES, signing: { mode: "none" } }).pipeline.signing.mode, "none");
  });

  it("key: both roles with a public key; secret names default, or as configured", () => {
    const s = cfg({ signing: KEY_SIGNING }).pipeline.signing;
    assert.deepEqual(s, {
      mode: "key",
      build: {
        publicKey: BUILD_PUBLIC_KEY,
        privateKeySecret: "COSIGN_BUILD_KEY",
        passwordSecret: "COSIGN_BUILD_PASSWORD",
      },
      promote: {
        publicKey: PROMOTE_PUBLIC_KEY,
        privateKeySecret: "COSIGN_PROMOTE_KEY",
        passwordSecret: "COSIGN_PROMOTE_PASSWORD",
      },
    });
    const named = cfg({
      signing: {
        mode: "key",
        build: {
          publicKey: `  ${BUILD_PUBLIC_KEY.trim()}  `,
          privateKeySecret: "SIGN_RC_KEY",
          passwordSecret: "SIGN_RC_PW",
        },
        promote: {
          publicKey: PROMOTE_PUBLIC_KEY,
          privateKeySecret: "SIGN_REL_KEY",
          passwordSecret: "SIGN_REL_PW",
        },
      },
    }).pipeline.signing;
    assert.ok(named.mode === "key");
    assert.equal(named.build.publicKey, BUILD_PUBLIC_KEY, "trimmed to one trailing newline");
    assert.deepEqual(
      [
        named.build.privateKeySecret,
        named.build.passwordSecret,
        named.promote.privateKeySecret,
        named.promote.passwordSecret,
      ],
      ["SIGN_RC_KEY", "SIGN_RC_PW", "SIGN_REL_KEY", "SIGN_REL_PW"],
    );
  });

  it("key: a missing role or public key, and anything but one PEM PUBLIC KEY, are refused", () => {
    refused(
      { mode: "key", build: { publicKey: BUILD_PUBLIC_KEY } },
      `${K}.promote`,
      "= undefined: is required with mode: key: the live cluster verifies promoted digests with this role's public key.",
      "Fix: generate a key pair for the promote role (COSIGN_PASSWORD=<password> cosign generate-key-pair), paste cosign.pub here and store cosign.key and the password as the Actions secrets COSIGN_PROMOTE_KEY and COSIGN_PROMOTE_PASSWORD.",
    );
    refused(
      { mode: "key", build: {}, promote: { publicKey: PROMOTE_PUBLIC_KEY } },
      `${K}.build.publicKey`,
      "is required.",
      "Fix: set the build key pair's public key (cosign.pub, PEM).",
    );
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const privatePem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    const line = refused(
      { mode: "key", build: { publicKey: privatePem }, promote: { publicKey: PROMOTE_PUBLIC_KEY } },
      `${K}.build.publicKey`,
      "contains a PRIVATE KEY block: only the public key (cosign.pub) belongs in config",
      "Fix: generate a key pair for the build role",
    );
    // The private key is not echoed, not even in part.
    assert.ok(line.includes('= "[a private key, not shown]"'), line);
    assert.ok(!line.includes(privatePem.split("\n")[1]!.slice(0, 20)), line);
    refused(
      {
        mode: "key",
        build: { publicKey: "ssh-ed25519 AAAA" },
        promote: { publicKey: PROMOTE_PUBLIC_KEY },
      },
      `${K}.build.publicKey`,
      '= "ssh-ed25519 AAAA"',
      'is not one PEM "-----BEGIN PUBLIC KEY-----" block',
    );
    refused(
      {
        mode: "key",
        build: { publicKey: BUILD_PUBLIC_KEY },
        promote: { publicKey: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n" },
      },
      `${K}.promote.publicKey`,
      "does not parse as a public key",
    );
    refused(
      {
        mode: "key",
        build: { publicKey: SECP256K1_PUBLIC_KEY },
        promote: { publicKey: PROMOTE_PUBLIC_KEY },
      },
      `${K}.build.publicKey`,
      "is an ECDSA key on secp256k1, which cosign does not sign with (P-256, P-384, P-521).",
    );
    assert.equal(publicKeyProblem(BUILD_PUBLIC_KEY), undefined);
    const ed = generateKeyPairSync("ed25519").publicKey.export({
      type: "spki",
      format: "pem",
    }) as string;
    assert.equal(publicKeyProblem(ed), undefined);
  });

  it("key: one key pair for both roles, or one secret for both, is refused", () => {
    refused(
      {
        mode: "key",
        build: { publicKey: BUILD_PUBLIC_KEY },
        promote: { publicKey: BUILD_PUBLIC_KEY.replace(/\n(?!-)/g, "\r\n") },
      },
      `${K}.promote.publicKey`,
      "is the build role's public key: live would accept every RC the build workflow signs, before any validation.",
      "Fix: generate a second key pair for the promote role (cosign generate-key-pair) and use its cosign.pub here.",
    );
    refused(
      {
        mode: "key",
        build: { publicKey: BUILD_PUBLIC_KEY, privateKeySecret: "COSIGN_KEY" },
        promote: { publicKey: PROMOTE_PUBLIC_KEY, privateKeySecret: "COSIGN_KEY" },
      },
      `${K}.promote.privateKeySecret`,
      '= "COSIGN_KEY": is the build role\'s private key secret: the two roles need two key pairs.',
      "Fix: name another secret, e.g. COSIGN_PROMOTE_KEY.",
    );
    refused(
      {
        ...KEY_SIGNING,
        build: { publicKey: BUILD_PUBLIC_KEY, privateKeySecret: "K", passwordSecret: "K" },
      },
      `${K}.build.passwordSecret`,
      '= "K": is the same secret as privateKeySecret.',
      "Fix: name two secrets: one holding cosign.key, one its password.",
    );
    refused(
      { ...KEY_SIGNING, build: { publicKey: BUILD_PUBLIC_KEY, privateKeySecret: "cosign-key" } },
      `${K}.build.privateKeySecret`,
      '= "cosign-key": is not a GitHub Actions secret name',
    );
    refused(
      { ...KEY_SIGNING, promote: { publicKey: PROMOTE_PUBLIC_KEY, passwordSecret: "GITHUB_PW" } },
      `${K}.promote.passwordSecret`,
      "starts with GITHUB_, a prefix GitHub reserves",
      "Fix: name the secret e.g. COSIGN_PROMOTE_PASSWORD.",
    );
  });

  it("the old pipeline.verify is refused with what replaced it and how", () => {
    const line = problemFor(
      raw({ verify: { issuer: DEFAULT_ISSUER, subject: "^https://github\\.com/example-org/" } }),
      "promotion-pipeline:pipeline.verify",
    );
    assert.match(line, /^promotion-pipeline:pipeline\.verify = \{"issuer":/);
    assert.ok(line.includes("was replaced by pipeline.signing"), line);
    assert.ok(
      line.includes("integration verifies the build identity, live the promote identity"),
      line,
    );
    assert.ok(
      line.includes(
        "Fix: remove verify. On github.com nothing else is needed (signing: { mode: keyless } is the default); to keep your own regular expressions write signing: { mode: keyless, issuer: <issuer>, build: { subject: <build workflow> }, promote: { subject: <promote workflow> } }",
      ),
      line,
    );
  });
});

describe("signing: what each cluster verifies (OCIRepository spec.verify)", () => {
  const verifyOf = (c: StackConfig) =>
    (clusterSource(c.pipeline, c.cluster).spec as Record<string, unknown>).verify;

  it("keyless: integration matches the build workflow's identity, live the promote workflow's; dev none", () => {
    assert.deepEqual(verifyOf(cfg({}, "integration")), {
      provider: "cosign",
      matchOIDCIdentity: [{ issuer: DEFAULT_ISSUER, subject: BUILD_SUBJECT }],
    });
    assert.deepEqual(verifyOf(cfg({}, "live")), {
      provider: "cosign",
      matchOIDCIdentity: [{ issuer: DEFAULT_ISSUER, subject: PROMOTE_SUBJECT }],
    });
    const dev = cfg({}, "dev");
    assert.equal(clusterSource(dev.pipeline, dev.cluster).kind, "GitRepository");
    assert.equal(verifyOf(dev), undefined);
    assert.equal(cosignKeySecret(dev.pipeline, dev.cluster), undefined);
    assert.equal(cosignKeySecret(cfg().pipeline, cfg().cluster), undefined, "keyless: no Secret");
  });

  it("key: secretRef <source>-cosign, and a Secret beside it holding exactly that role's cosign.pub", () => {
    const over = { signing: KEY_SIGNING, source: { name: "platform-src", namespace: "gitops" } };
    for (const [stack, role, pem] of [
      ["integration", "build", BUILD_PUBLIC_KEY],
      ["live", "promote", PROMOTE_PUBLIC_KEY],
    ] as const) {
      const c = cfg(over, stack);
      assert.deepEqual(verifyOf(c), {
        provider: "cosign",
        secretRef: { name: "platform-src-cosign" },
      });
      const secret = cosignKeySecret(c.pipeline, c.cluster)!;
      assert.deepEqual(secret, {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name: "platform-src-cosign",
          namespace: "gitops",
          labels: {
            "app.kubernetes.io/managed-by": "promotion-pipeline",
            "promotion-pipeline.io/signing-role": role,
          },
        },
        type: "Opaque",
        stringData: { [COSIGN_KEY]: pem },
      });
      // source-controller tries every *.pub key of the Secret: exactly one, the verified role's.
      assert.deepEqual(Object.keys(secret.stringData as object), ["cosign.pub"]);
    }
  });

  it("none: no verify, no Secret, and a preview warning naming the risk on integration and live only", () => {
    for (const stack of ["integration", "live"]) {
      const c = cfg({ signing: { mode: "none" } }, stack);
      assert.equal(verifyOf(c), undefined);
      assert.equal(sourceVerify(c.pipeline, c.cluster), undefined);
      assert.equal(cosignKeySecret(c.pipeline, c.cluster), undefined);
    }
    const live = cfg({ signing: { mode: "none" } }, "live");
    assert.equal(
      signingWarning(live.pipeline, live.cluster),
      "promotion-pipeline:pipeline.signing = {mode: none}: live's OCIRepository verifies no signature, so any stable X.Y.Z tag pushed to the registry (by hand, by a broken build, by any token with write access) goes to live without having passed integration. Remove signing (keyless on github.com) or use mode: key (README, Trust model).",
    );
    const integ = cfg({ signing: { mode: "none" } }, "integration");
    assert.match(
      signingWarning(integ.pipeline, integ.cluster) ?? "",
      /integration's OCIRepository verifies no signature, so any RC tag pushed to the registry is applied on integration, whoever pushed it/,
    );
    const dev = cfg({ signing: { mode: "none" } }, "dev");
    assert.equal(signingWarning(dev.pipeline, dev.cluster), undefined);
    const keyless = cfg({}, "live");
    assert.equal(signingWarning(keyless.pipeline, keyless.cluster), undefined);
  });
});

describeComponents(
  "signing: ClusterSource declares the public key Secret before the source",
  "live",
  () => {
    it("key: Secret <source>-cosign (cosign.pub of the promote key on live) and the OCIRepository after it", async () => {
      const c = cfg({ signing: KEY_SIGNING }, "live");
      const { source: s, secret, oci } = await sourceWithSecret(c, "live");
      assert.equal(secret.name, "live-cosign");
      assert.deepEqual(unsecret(secret.inputs.stringData), { "cosign.pub": PROMOTE_PUBLIC_KEY });
      assert.deepEqual((oci.inputs.spec as Record<string, unknown>).verify, {
        provider: "cosign",
        secretRef: { name: "flux-system-cosign" },
      });
      assert.ok(s.cosignSecret);
    });

    it("keyless: no Secret", async () => {
      const { ClusterSource } = await import("../../components/clusterSource.js");
      const c = cfg({}, "live");
      const s = await declared(
        () => new ClusterSource("live", { pipeline: c.pipeline, cluster: c.cluster }),
      );
      assert.equal(ofType("kubernetes:core/v1:Secret").length, 0);
      assert.equal(s.cosignSecret, undefined);
    });
  },
);

describe("signing: the workflows' signing steps", () => {
  const names = (j: Job): string[] => j.steps.map((s) => s.name);
  const step = (j: Job, name: string): Step => {
    const s = j.steps.find((x) => x.name === name);
    assert.ok(s, `no step ${name} in ${names(j).join(", ")}`);
    return s;
  };
  const run = (s: Step): string => (isRunStep(s) ? s.run : "");

  it("keyless build: after the push, cosign installed by the pinned installer, sign and verify the pushed digest; id-token: write", () => {
    const job = buildWorkflow(cfg().pipeline).jobs.build!;
    // After the push and the integrity probe: a digest is signed only once it is proven complete.
    assert.deepEqual(names(job).slice(-4), [
      "Push the release candidate",
      "Prove the pushed artifact is complete",
      INSTALL_COSIGN_STEP,
      SIGN_STEP.build,
    ]);
    const install = step(job, INSTALL_COSIGN_STEP);
    assert.ok("uses" in install);
    assert.deepEqual(install.uses, {
      action: "sigstore/cosign-installer",
      sha: "7e8b541eb2e61bf99390e1afd4be13a184e9ebc5",
      version: "v3.10.1",
    });
    assert.equal(install.uses, COSIGN_INSTALLER);
    assert.deepEqual(install.with, { "cosign-release": "v2.6.5" });
    assert.equal(COSIGN_VERSION, "v2.6.5");
    const sign = step(job, SIGN_STEP.build);
    assert.deepEqual(sign.env, {
      DIGEST: "${{ steps.push.outputs.digest }}",
      CERT_ISSUER: DEFAULT_ISSUER,
      CERT_SUBJECT: BUILD_SUBJECT,
    });
    assert.equal(sign.if, undefined);
    assert.match(run(sign), /^cosign sign --yes "\$ARTIFACT@\$DIGEST"$/m);
    assert.match(
      run(sign),
      /^cosign verify --certificate-oidc-issuer-regexp "\$CERT_ISSUER" --certificate-identity-regexp "\$CERT_SUBJECT" "\$ARTIFACT@\$DIGEST" >\/dev\/null$/m,
    );
    assert.doesNotMatch(run(sign), /--key|--tlog-upload/);
    assert.deepEqual(job.permissions, { contents: "read", packages: "write", "id-token": "write" });
  });

  it("keyless promote: signs with the promote identity after Decide and before the stable tag, only for action promote", () => {
    const wf = promoteWorkflow(cfg().pipeline);
    const job = wf.jobs.promote!;
    const n = names(job);
    assert.deepEqual(n.slice(n.indexOf("Decide")), [
      "Decide",
      INSTALL_COSIGN_STEP,
      SIGN_STEP.promote,
      PROMOTE_TAG_STEP,
      "Record the promotion (GitHub Deployment to live)",
    ]);
    const sign = step(job, SIGN_STEP.promote);
    assert.equal(sign.if, "steps.plan.outputs.action == 'promote'");
    assert.equal(step(job, INSTALL_COSIGN_STEP).if, "steps.plan.outputs.action == 'promote'");
    assert.equal(step(job, PROMOTE_TAG_STEP).if, "steps.plan.outputs.action == 'promote'");
    assert.equal(sign.env?.DIGEST, "${{ steps.plan.outputs.digest }}");
    assert.equal(sign.env?.CERT_SUBJECT, PROMOTE_SUBJECT);
    assert.deepEqual(job.permissions, {
      contents: "read",
      packages: "write",
      deployments: "write",
      "id-token": "write",
    });
    // The rollback job adds a stable tag too: it signs the earlier (validated) digest first.
    const rb = wf.jobs.rollback!;
    const rn = names(rb);
    assert.deepEqual(rn.slice(rn.indexOf(INSTALL_COSIGN_STEP), rn.indexOf(ROLLBACK_TAG_STEP) + 1), [
      INSTALL_COSIGN_STEP,
      SIGN_STEP.promote,
      ROLLBACK_TAG_STEP,
    ]);
    assert.equal(step(rb, SIGN_STEP.promote).if, "steps.plan.outputs.action == 'rollback'");
    assert.equal(rb.permissions["id-token"], "write");
  });

  it("key: the named secrets reach cosign through env only; no transparency log; verified with the configured public key; no id-token", () => {
    const c = cfg({
      signing: {
        ...KEY_SIGNING,
        promote: {
          publicKey: PROMOTE_PUBLIC_KEY,
          privateKeySecret: "REL_KEY",
          passwordSecret: "REL_PW",
        },
      },
    });
    const build = buildWorkflow(c.pipeline).jobs.build!;
    const sign = step(build, SIGN_STEP.build);
    assert.deepEqual(sign.env, {
      DIGEST: "${{ steps.push.outputs.digest }}",
      COSIGN_PRIVATE_KEY: "${{ secrets.COSIGN_BUILD_KEY }}",
      COSIGN_PASSWORD: "${{ secrets.COSIGN_BUILD_PASSWORD }}",
      COSIGN_PUBLIC_KEY: BUILD_PUBLIC_KEY,
    });
    assert.match(
      run(sign),
      /^cosign sign --yes --tlog-upload=false --key env:\/\/COSIGN_PRIVATE_KEY "\$ARTIFACT@\$DIGEST"$/m,
    );
    assert.match(
      run(sign),
      /^cosign verify --key "\$RUNNER_TEMP\/cosign-build\.pub" --insecure-ignore-tlog=true "\$ARTIFACT@\$DIGEST" >\/dev\/null$/m,
    );
    assert.match(
      run(sign),
      /::error::the repository secret COSIGN_BUILD_KEY must hold the build role's cosign\.key/,
    );
    assert.deepEqual(build.permissions, { contents: "read", packages: "write" });
    const promote = promoteWorkflow(c.pipeline).jobs.promote!;
    const ps = step(promote, SIGN_STEP.promote);
    assert.equal(ps.env?.COSIGN_PRIVATE_KEY, "${{ secrets.REL_KEY }}");
    assert.equal(ps.env?.COSIGN_PASSWORD, "${{ secrets.REL_PW }}");
    assert.equal(ps.env?.COSIGN_PUBLIC_KEY, PROMOTE_PUBLIC_KEY);
    assert.equal(promote.permissions["id-token"], undefined);
    assert.ok(names(promote).indexOf(SIGN_STEP.promote) < names(promote).indexOf(PROMOTE_TAG_STEP));
  });

  it("none: no cosign and no id-token anywhere", () => {
    const c = cfg({ signing: { mode: "none" } });
    for (const f of workflowFiles(c, { cli: "x\n" }).filter((f) =>
      f.path.startsWith(".github/workflows/"),
    )) {
      assert.doesNotMatch(f.content, /cosign|id-token/, f.path);
    }
    const key = workflowFiles(cfg({ signing: KEY_SIGNING }), { cli: "x\n" });
    const other = key.filter(
      (f) =>
        f.path.startsWith(".github/workflows/") &&
        f.path !== BUILD_WORKFLOW &&
        f.path !== PROMOTE_WORKFLOW,
    );
    for (const f of other) assert.doesNotMatch(f.content, /cosign|id-token/, f.path);
  });

  it("id-token: write only on the jobs that sign (build, promote, rollback), never on the other workflows", () => {
    for (const f of workflowFiles(cfg(), { cli: "x\n" }).filter((f) =>
      f.path.startsWith(".github/workflows/"),
    )) {
      const wf = parse(f.content) as {
        permissions: Record<string, string>;
        jobs: Record<string, { permissions: Record<string, string>; steps: { name: string }[] }>;
      };
      assert.equal(wf.permissions["id-token"], undefined, f.path);
      for (const [id, j] of Object.entries(wf.jobs)) {
        const signs = j.steps.some(
          (s) => s.name === SIGN_STEP.build || s.name === SIGN_STEP.promote,
        );
        assert.equal(j.permissions["id-token"] === "write", signs, `${f.path} ${id}`);
      }
    }
  });

  it("every mode passes GitHub's parser and actionlint (shellcheck included)", async function () {
    this.timeout(120_000);
    const variants = [
      cfg(),
      cfg({ signing: KEY_SIGNING }),
      cfg({ signing: { mode: "none" } }),
      cfg({
        registry: "registry.example.org",
        registryInsecure: true,
        registryCredentials: "none",
        signing: KEY_SIGNING,
      }),
    ];
    for (const c of variants) {
      const texts = workflowFiles(c, { cli: "x\n" }).filter((f) =>
        f.path.startsWith(".github/workflows/"),
      );
      for (const f of texts)
        assert.deepEqual(
          await githubParserErrors(f),
          { errors: [], jobs: f.path === PROMOTE_WORKFLOW ? 2 : 1 },
          f.path,
        );
      assert.deepEqual(actionlint(texts), { output: "", status: 0 });
    }
  });
});
