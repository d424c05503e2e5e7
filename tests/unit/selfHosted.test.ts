/**
 * Self-hosted registry and GitHub Enterprise Server: `registryCA`, `registryInsecure`,
 * `registryCredentials` and `github` in `promotion-pipeline:pipeline`, from config errors to the objects
 * and workflow steps they produce.
 */
import { strict as assert } from "node:assert";
import { parse } from "yaml";
import { validateConfig, type RawConfig, type StackConfig } from "../../lib/config";
import { CA_KEY, caSecret, pemProblem } from "../../lib/k8s/ca";
import { ociRepository, registryCaSecret, gitRepository } from "../../lib/k8s/source";
import {
  checkGithubAddress,
  githubRepositoryAddress,
  validationLoopObjects,
} from "../../lib/k8s/validation";
import { watchFile } from "../../lib/workflows/platformFiles";
import { workflowFiles } from "../../lib/workflows/files";
import { buildWorkflow, PROMOTE_WORKFLOW, promoteWorkflow } from "../../lib/workflows/pipeline";
import { VALIDATE_WORKFLOW } from "../../lib/workflows/artifactCheck";
import { declared, describeComponents, ofType } from "../support/pulumiMocks";
import { KEY_SIGNING } from "../support/signingKeys";
import { TEST_CA_PEM } from "../support/testCa";
import { actionlint, githubParserErrors } from "../support/workflowValidators";
import { CONFIG_NOW, problemFor, rawPipeline, rawStack } from "./support/config";
import { sourceWithSecret, unsecret } from "./support/clusterSource";

const NOW = CONFIG_NOW;
const REGISTRY = "registry.example.org";
const CREDS = { usernameSecret: "REGISTRY_USERNAME", passwordSecret: "REGISTRY_PASSWORD" };

function pipeline(over: Record<string, unknown> = {}): Record<string, unknown> {
  return rawPipeline({
    registry: REGISTRY,
    registryCredentials: CREDS,
    // Key-based signing, what a GitHub Enterprise Server needs (keyless has no default there).
    signing: KEY_SIGNING,
    ...over,
  });
}

const raw = (over: Record<string, unknown> = {}, stack = "integration"): RawConfig =>
  rawStack(pipeline(over), stack);

const cfg = (over: Record<string, unknown> = {}, stack = "integration"): StackConfig =>
  validateConfig(raw(over, stack), NOW);

const K = "promotion-pipeline:pipeline";

describe("self-hosted registry: registryCA and registryInsecure (config)", () => {
  it("pem: the program declares <source>-registry-ca with the PEM, trimmed to one trailing newline", () => {
    const c = cfg({ registryCA: { pem: `\n${TEST_CA_PEM}\n\n` } });
    assert.deepEqual(c.pipeline.registryCA, {
      mode: "pem",
      secretName: "flux-system-registry-ca",
      pem: TEST_CA_PEM,
    });
    const renamed = cfg({
      registryCA: { pem: TEST_CA_PEM },
      source: { name: "platform-oci", namespace: "flux-system" },
    });
    assert.equal(renamed.pipeline.registryCA?.secretName, "platform-oci-registry-ca");
    assert.equal(c.pipeline.registryInsecure, false);
  });

  it("secretName: a Secret created out of band is referenced, not declared", () => {
    assert.deepEqual(cfg({ registryCA: { secretName: "corp-ca" } }).pipeline.registryCA, {
      mode: "existing",
      secretName: "corp-ca",
    });
  });

  it("refuses both pem and secretName, and neither", () => {
    assert.match(
      problemFor(
        raw({ registryCA: { pem: TEST_CA_PEM, secretName: "corp-ca" } }),
        `${K}.registryCA.pem`,
      ),
      /is set together with promotion-pipeline:pipeline\.registryCA\.secretName \(corp-ca\); the controller reads one Secret\. Fix: keep .*registryCA\.pem \(the program declares the Secret flux-system-registry-ca\) or .*secretName/,
    );
    assert.match(
      problemFor(raw({ registryCA: {} }), `${K}.registryCA`),
      /= \{\}: names no CA: it needs pem or secretName\. Fix: write \{ pem: <CA certificate PEM> \}/,
    );
    assert.match(
      problemFor(raw({ registryCA: "corp-ca" }), `${K}.registryCA`),
      /= "corp-ca": must be a mapping with pem or secretName\./,
    );
  });

  it("refuses a PEM that is not a certificate, a private key, a mangled block and a bad Secret name", () => {
    assert.match(
      problemFor(raw({ registryCA: { pem: "MIIBoDCCAUeg" } }), `${K}.registryCA.pem`),
      /is not a PEM certificate: it must contain "-----BEGIN CERTIFICATE-----" \.\.\. "-----END CERTIFICATE-----"\. Fix: paste the CA certificate itself/,
    );
    const key = "-----BEGIN PRIVATE KEY-----\nMIGHAgEA\n-----END PRIVATE KEY-----\n";
    assert.match(
      problemFor(raw({ registryCA: { pem: TEST_CA_PEM + key } }), `${K}.registryCA.pem`),
      /contains a PRIVATE KEY block: only the CA certificate belongs here/,
    );
    assert.match(
      problemFor(raw({ registryCA: { pem: TEST_CA_PEM + "garbage\n" } }), `${K}.registryCA.pem`),
      /holds something besides PEM CERTIFICATE blocks \("garbage"\)/,
    );
    assert.match(
      problemFor(raw({ registryCA: { secretName: "Corp_CA" } }), `${K}.registryCA.secretName`),
      /is not a Secret name/,
    );
    assert.match(
      problemFor(
        raw({ registryCA: { pem: TEST_CA_PEM, path: "/ca.crt" } }),
        `${K}.registryCA.path`,
      ),
      /is not a known setting\. Fix: remove it, or use one of: secretName, pem\./,
    );
  });

  it("registryInsecure: true only when asked; refused with a CA and for ghcr.io", () => {
    assert.equal(cfg({ registryInsecure: true }).pipeline.registryInsecure, true);
    assert.match(
      problemFor(
        raw({ registryInsecure: true, registryCA: { secretName: "corp-ca" } }),
        `${K}.registryInsecure`,
      ),
      /= true: is set together with registryCA: .*plain HTTP.*Fix: remove registryInsecure and keep registryCA/,
    );
    assert.match(
      problemFor(raw({ registry: "ghcr.io", registryInsecure: true }), `${K}.registryInsecure`),
      /asks for plain HTTP to ghcr\.io, which is served only over TLS/,
    );
    assert.match(
      problemFor(
        raw({ url: "oci://ghcr.io/example-org/platform/platform", registryInsecure: true }),
        `${K}.registryInsecure`,
      ),
      /ghcr\.io/,
    );
    assert.match(
      problemFor(raw({ registryInsecure: "yes" }), `${K}.registryInsecure`),
      /must be true or false/,
    );
  });
});

describe("self-hosted registry: the OCIRepository and its CA Secret (builders)", () => {
  it("pem: certSecretRef names the declared Secret; the Secret holds ca.crt in the source's namespace", () => {
    for (const stack of ["integration", "live"]) {
      const c = cfg({ registryCA: { pem: TEST_CA_PEM } }, stack);
      const spec = ociRepository(c.pipeline, c.cluster).spec as Record<string, unknown>;
      assert.deepEqual(spec.certSecretRef, { name: "flux-system-registry-ca" });
      assert.equal(spec.insecure, undefined);
      assert.deepEqual(registryCaSecret(c.pipeline, c.cluster), {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name: "flux-system-registry-ca",
          namespace: "flux-system",
          labels: { "app.kubernetes.io/managed-by": "promotion-pipeline" },
        },
        type: "Opaque",
        stringData: { "ca.crt": TEST_CA_PEM },
      });
    }
  });

  it("secretName: certSecretRef names it and nothing is declared; a dev cluster gets no CA Secret", () => {
    const c = cfg({ registryCA: { secretName: "corp-ca" }, signing: { mode: "none" } }, "live");
    assert.deepEqual(
      (ociRepository(c.pipeline, c.cluster).spec as Record<string, unknown>).certSecretRef,
      { name: "corp-ca" },
    );
    assert.equal(registryCaSecret(c.pipeline, c.cluster), undefined);
    const dev = cfg({ registryCA: { pem: TEST_CA_PEM } }, "dev");
    assert.equal(registryCaSecret(dev.pipeline, dev.cluster), undefined);
    assert.equal(
      (gitRepository(dev.pipeline, dev.cluster).spec as Record<string, unknown>).certSecretRef,
      undefined,
    );
  });

  it("registryInsecure: spec.insecure true; without it no insecure key at all", () => {
    const c = cfg({ registryInsecure: true }, "live");
    assert.equal(
      (ociRepository(c.pipeline, c.cluster).spec as Record<string, unknown>).insecure,
      true,
    );
    const d = cfg({}, "live");
    assert.ok(!("insecure" in (ociRepository(d.pipeline, d.cluster).spec as object)));
    assert.ok(!("certSecretRef" in (ociRepository(d.pipeline, d.cluster).spec as object)));
  });

  it("caSecret refuses a PEM that is not a certificate (the builder checks too)", () => {
    assert.throws(
      () => caSecret("x", "flux-system", "nope"),
      /CA Secret flux-system\/x: the PEM is not a PEM certificate/,
    );
    assert.equal(pemProblem(TEST_CA_PEM + TEST_CA_PEM), undefined, "a bundle of two CAs is fine");
    assert.equal(CA_KEY, "ca.crt");
  });
});

/** The validation loop's objects for `c`'s GitHub, with the token from Secret `token` or managed (a value). */
const dispatchTo = (c: StackConfig, token: string | { managed: string }) =>
  validationLoopObjects({
    gate: c.pipeline.gate,
    owner: "example-org",
    repository: "platform",
    ...(typeof token === "string"
      ? { tokenSource: { mode: "existing", secretName: token } as const }
      : { tokenSource: { mode: "managed" } as const, token: token.managed }),
    server: c.pipeline.github.url,
    ...(c.pipeline.github.ca ? { ca: c.pipeline.github.ca } : {}),
  });

describe("GitHub Enterprise Server: github (config and Provider)", () => {
  it("default: github.com, no CA, the Provider address as before", () => {
    const c = cfg();
    assert.deepEqual(c.pipeline.github, { url: "https://github.com" });
    const objs = dispatchTo(c, "t");
    assert.deepEqual(objs[0]!.spec, {
      type: "githubdispatch",
      address: "https://github.com/example-org/platform",
      secretRef: { name: "t" },
    });
  });

  it("GHES url is normalised to https://<host[:port]> (trailing slash, case, default port)", () => {
    assert.equal(
      cfg({ github: { url: "https://GitHub.Example.com/" } }).pipeline.github.url,
      "https://github.example.com",
    );
    assert.equal(
      cfg({ github: { url: "https://github.example.com:443" } }).pipeline.github.url,
      "https://github.example.com",
    );
    assert.equal(
      cfg({ github: { url: "https://127.0.0.1:8443" } }).pipeline.github.url,
      "https://127.0.0.1:8443",
    );
  });

  it("caPem: Secret github-dispatch-ca, Provider with the GHES address and certSecretRef", () => {
    const c = cfg({ github: { url: "https://github.example.com", caPem: TEST_CA_PEM } });
    assert.deepEqual(c.pipeline.github, {
      url: "https://github.example.com",
      ca: { mode: "pem", secretName: "github-dispatch-ca", pem: TEST_CA_PEM },
    });
    const objs = dispatchTo(c, "github-dispatch-token");
    assert.deepEqual(
      objs.map((o) => `${o.kind}/${o.metadata.name}`),
      ["Secret/github-dispatch-ca", "Provider/github-dispatch", "Alert/validation-success"],
    );
    assert.deepEqual(objs[0]!.stringData, { "ca.crt": TEST_CA_PEM });
    assert.equal(objs[0]!.metadata.namespace, "flux-system");
    assert.deepEqual(objs[1]!.spec, {
      type: "githubdispatch",
      address: "https://github.example.com/example-org/platform",
      secretRef: { name: "github-dispatch-token" },
      certSecretRef: { name: "github-dispatch-ca" },
    });
  });

  it("caSecretName: the Provider refers to it and no Secret is declared", () => {
    const c = cfg({ github: { url: "https://github.example.com", caSecretName: "corp-ca" } });
    const objs = dispatchTo(c, { managed: "placeholder" });
    assert.deepEqual(
      objs.map((o) => `${o.kind}/${o.metadata.name}`),
      ["Secret/github-dispatch-token", "Provider/github-dispatch", "Alert/validation-success"],
    );
    assert.deepEqual((objs[1]!.spec as Record<string, unknown>).certSecretRef, { name: "corp-ca" });
  });

  it("refuses http, a path, owner/repo in the URL, a query, credentials, an API host and a non-URL", () => {
    const url = (u: string) => problemFor(raw({ github: { url: u } }), `${K}.github.url`);
    assert.match(
      url("http://github.example.com"),
      /is not https: the Provider sends the dispatch token in an Authorization header/,
    );
    assert.match(
      url("https://example.com/github"),
      /has a path \(\/github\): notification-controller takes everything after the host as owner\/repository \(parseGitAddress\).*Fix: write only the server, https:\/\/example\.com\./,
    );
    assert.match(
      url("https://github.example.com/example-org/platform"),
      /It looks like owner\/repository: they come from pipeline\.owner and pipeline\.repository\./,
    );
    assert.match(url("https://github.example.com/?x=1"), /has a query or fragment/);
    assert.match(url("https://bot:pw@github.example.com"), /contains credentials/);
    assert.match(
      url("https://api.github.example.com"),
      /is an API host: go-github's WithEnterpriseURLs adds no \/api\/v3\//,
    );
    assert.match(url("github.example.com"), /is not a URL\./);
    assert.match(problemFor(raw({ github: {} }), `${K}.github.url`), /is required\./);
    assert.match(
      problemFor(raw({ github: "https://github.example.com" }), `${K}.github`),
      /must be a mapping \{ url, caSecretName\?, caPem\? \}/,
    );
  });

  it("refuses a CA for github.com (the controller ignores it there), both CA keys, and a bad PEM", () => {
    assert.match(
      problemFor(
        raw({ github: { url: "https://github.com", caPem: TEST_CA_PEM } }),
        `${K}.github.caPem`,
      ),
      /is set for github\.com: createGitHubClient builds a plain github\.com client and never uses a CA\./,
    );
    assert.match(
      problemFor(
        raw({
          github: {
            url: "https://github.example.com",
            caPem: TEST_CA_PEM,
            caSecretName: "corp-ca",
          },
        }),
        `${K}.github.caPem`,
      ),
      /is set together with promotion-pipeline:pipeline\.github\.caSecretName/,
    );
    assert.match(
      problemFor(
        raw({
          github: { url: "https://github.example.com", caPem: "-----BEGIN CERTIFICATE-----" },
        }),
        `${K}.github.caPem`,
      ),
      /is not a PEM certificate/,
    );
  });

  it("checkGithubAddress parses as parseGitAddress does: exactly owner/repo after the server", () => {
    const server = "https://github.example.com";
    assert.equal(githubRepositoryAddress("o", "r", server), "https://github.example.com/o/r");
    assert.equal(
      checkGithubAddress("https://github.example.com/o/r", server),
      "https://github.example.com/o/r",
    );
    for (const bad of [
      "https://github.com/o/r",
      "https://github.example.com/o",
      "https://github.example.com/o/r/x",
      "https://github.example.com/o/r.git",
      "https://github.example.com.evil/o/r",
    ]) {
      assert.throws(
        () => checkGithubAddress(bad, server),
        /is not a GitHub repository URL on https:\/\/github\.example\.com/,
        bad,
      );
    }
    assert.throws(
      () => checkGithubAddress("https://github.example.com/o/r"),
      /on https:\/\/github\.com/,
    );
  });
});

describe("registry login in the generated workflows (registryCredentials)", () => {
  const texts = (c: StackConfig) =>
    // The registry workflows (validate-platform reads no registry).
    workflowFiles(c, { cli: "" }).filter(
      (f) => f.path.startsWith(".github/workflows/") && f.path !== VALIDATE_WORKFLOW,
    );
  type Wf = {
    jobs: Record<
      string,
      {
        permissions: unknown;
        steps: { name: string; env?: Record<string, string>; run?: string }[];
      }
    >;
  };
  /** Issue 13: the jobs that leave the promotion record also get deployments: write, and only they. */
  const withRecordScope = (id: string, scopes: Record<string, string>) =>
    id === "promote" || id === "rollback" ? { ...scopes, deployments: "write" } : scopes;
  const login = (text: string) =>
    Object.values((parse(text) as Wf).jobs)[0]!.steps.find(
      (s) => s.name === "Log in to the registry",
    );

  it("is required for a registry other than ghcr.io, naming the key and the ways out", () => {
    const r = raw();
    delete (r.pipeline as Record<string, unknown>).registryCredentials;
    assert.match(
      problemFor(r, `${K}.registryCredentials`),
      /= undefined: is required for the registry registry\.example\.org: the generated workflows would log in with the job's GITHUB_TOKEN, which only ghcr\.io .*Fix: name the GitHub Actions secrets .*registryCredentials: none for a registry that needs no login/,
    );
    const ghcr = cfg({ registry: "ghcr.io", registryCredentials: undefined });
    assert.deepEqual(ghcr.pipeline.registryCredentials, { mode: "github-token" });
  });

  it("refuses incomplete, malformed, reserved and duplicate secret names", () => {
    assert.match(
      problemFor(
        raw({ registryCredentials: { usernameSecret: "REGISTRY_USERNAME" } }),
        `${K}.registryCredentials.passwordSecret`,
      ),
      /= undefined: is required\./,
    );
    assert.match(
      problemFor(
        raw({ registryCredentials: { ...CREDS, usernameSecret: "registry-user" } }),
        `${K}.registryCredentials.usernameSecret`,
      ),
      /is not a GitHub Actions secret name/,
    );
    assert.match(
      problemFor(
        raw({ registryCredentials: { ...CREDS, passwordSecret: "GITHUB_TOKEN" } }),
        `${K}.registryCredentials.passwordSecret`,
      ),
      /starts with GITHUB_, a prefix GitHub reserves.*registryCredentials: github-token/,
    );
    assert.match(
      problemFor(
        raw({ registryCredentials: { usernameSecret: "X", passwordSecret: "X" } }),
        `${K}.registryCredentials.passwordSecret`,
      ),
      /is the same secret as usernameSecret/,
    );
    assert.match(
      problemFor(raw({ registryCredentials: "anonymous" }), `${K}.registryCredentials`),
      /= "anonymous": is not none, github-token or a mapping of secret names\./,
    );
    assert.match(
      problemFor(
        raw({ registryCredentials: { ...CREDS, token: "x" } }),
        `${K}.registryCredentials.token`,
      ),
      /is not a known setting/,
    );
  });

  it("secrets: the login takes the named secrets through env; the job gets contents: read only", () => {
    const c = cfg();
    for (const f of texts(c)) {
      const step = login(f.content)!;
      assert.deepEqual(step.env, {
        REGISTRY_USERNAME: "${{ secrets.REGISTRY_USERNAME }}",
        REGISTRY_PASSWORD: "${{ secrets.REGISTRY_PASSWORD }}",
      });
      assert.doesNotMatch(step.run!, /\$\{\{/);
      assert.match(
        step.run!,
        /::error::the repository secrets REGISTRY_USERNAME and REGISTRY_PASSWORD must hold the login of \$REGISTRY/,
      );
      assert.match(
        step.run!,
        /crane auth login "\$REGISTRY" --username "\$REGISTRY_USERNAME" --password-stdin/,
      );
      for (const [id, j] of Object.entries((parse(f.content) as Wf).jobs))
        assert.deepEqual(j.permissions, withRecordScope(id, { contents: "read" }));
    }
    assert.match(login(texts(c)[0]!.content)!.run!, /oras login/, "the build job logs oras in too");
  });

  it("none: no login step and no packages permission; github-token on another registry: the job token", () => {
    const none = cfg({ registryCredentials: "none" });
    for (const f of texts(none)) {
      assert.equal(login(f.content), undefined);
      for (const [id, j] of Object.entries((parse(f.content) as Wf).jobs))
        assert.deepEqual(j.permissions, withRecordScope(id, { contents: "read" }));
    }
    const token = cfg({
      registry: "containers.github.example.com",
      registryCredentials: "github-token",
    });
    for (const f of texts(token)) {
      assert.deepEqual(login(f.content)!.env, {
        REGISTRY_USERNAME: "${{ github.actor }}",
        REGISTRY_PASSWORD: "${{ secrets.GITHUB_TOKEN }}",
      });
      for (const [id, j] of Object.entries((parse(f.content) as Wf).jobs))
        assert.deepEqual(
          j.permissions,
          withRecordScope(id, { contents: "read", packages: "write" }),
        );
    }
  });

  it("ghcr.io output is unchanged by the new keys' defaults (same bytes as an explicit github-token)", () => {
    const a = texts(cfg({ registry: "ghcr.io", registryCredentials: undefined }));
    const b = texts(cfg({ registry: "ghcr.io", registryCredentials: "github-token" }));
    assert.deepEqual(a, b);
  });

  it("registryInsecure: every crane call gets --insecure and every oras call --plain-http; otherwise none", () => {
    const runs = (c: StackConfig) =>
      texts(c).flatMap((f) =>
        Object.values((parse(f.content) as Wf).jobs).flatMap((j) =>
          j.steps.flatMap((st) => (st.run ? [st.run] : [])),
        ),
      );
    const insecure = runs(cfg({ registryInsecure: true })).join("\n");
    const calls = (text: string, tool: string) =>
      text.match(new RegExp(`\\b${tool} [a-z-]+`, "g")) ?? [];
    assert.ok(calls(insecure, "crane").length >= 8, insecure);
    assert.ok(
      calls(insecure, "crane").every((x) => x === "crane --insecure"),
      calls(insecure, "crane").join(","),
    );
    assert.deepEqual(calls(insecure, "oras"), ["oras login", "oras push"]);
    assert.match(insecure, /oras login --plain-http "\$REGISTRY"/);
    assert.match(insecure, /oras push --plain-http "\$ARTIFACT:\$RC_TAG"/);
    // cosign (key-based signing here): plain HTTP and no TLS verification, crane's --insecure in cosign's words.
    assert.ok(calls(insecure, "cosign").length >= 6, insecure);
    assert.ok(
      calls(insecure, "cosign").every((x) => x === "cosign sign" || x === "cosign verify"),
      calls(insecure, "cosign").join(","),
    );
    assert.equal(
      insecure.match(/cosign (sign|verify) --allow-http-registry --allow-insecure-registry /g)
        ?.length,
      calls(insecure, "cosign").length,
    );
    const secure = runs(cfg()).join("\n");
    // --insecure-ignore-tlog: key-based signatures have no transparency log entry (not a registry setting).
    assert.doesNotMatch(
      secure,
      /--insecure(?!-ignore-tlog)|--plain-http|--allow-http-registry|--allow-insecure-registry/,
    );
  });

  it("every variant passes GitHub's parser and actionlint (shellcheck included)", async function () {
    this.timeout(120_000);
    const variants = [
      cfg(),
      cfg({ registryCredentials: "none" }),
      cfg({ registryCredentials: { usernameSecret: "NEXUS_USER", passwordSecret: "NEXUS_TOKEN" } }),
      cfg({ registryInsecure: true }),
    ];
    for (const c of variants) {
      for (const f of texts(c))
        assert.deepEqual(
          await githubParserErrors(f),
          // The promote workflow has the promote job and the rollback_to job (issue 13).
          { errors: [], jobs: f.path === PROMOTE_WORKFLOW ? 2 : 1 },
          f.path,
        );
      assert.deepEqual(actionlint(texts(c)), { output: "", status: 0 });
    }
  });

  it("issue 13's jobs read the registry with the configured login: record, rollback-plan and the watch", () => {
    type Job = Wf["jobs"][string];
    const steps = (c: StackConfig) => {
      const promote = parse(texts(c).find((f) => f.path === PROMOTE_WORKFLOW)!.content) as Wf;
      const watch = parse(watchFile(c).content) as Wf;
      const named = (j: Job, name: string) => j.steps.find((st) => st.name === name)!;
      return {
        record: named(promote.jobs.promote!, "Record the promotion (GitHub Deployment to live)"),
        rollbackRecord: named(
          promote.jobs.rollback!,
          "Record the promotion (GitHub Deployment to live)",
        ),
        plan: named(promote.jobs.rollback!, "Plan the rollback"),
        rollbackLogin: named(promote.jobs.rollback!, "Log in to the registry"),
        watch: watch.jobs.watch!.steps.at(-1)!,
        watchPermissions: watch.jobs.watch!.permissions,
        promote,
      };
    };
    const read = (e: Record<string, string> | undefined) =>
      Object.fromEntries(
        Object.entries(e ?? {}).filter(([k]) => k.startsWith("PROMOTION_REGISTRY_")),
      );
    const secrets = steps(cfg());
    for (const st of [secrets.record, secrets.rollbackRecord, secrets.plan, secrets.watch])
      assert.deepEqual(
        read(st.env),
        {
          PROMOTION_REGISTRY_USERNAME: "${{ secrets.REGISTRY_USERNAME }}",
          PROMOTION_REGISTRY_PASSWORD: "${{ secrets.REGISTRY_PASSWORD }}",
        },
        st.name,
      );
    assert.deepEqual(secrets.rollbackLogin.env, {
      REGISTRY_USERNAME: "${{ secrets.REGISTRY_USERNAME }}",
      REGISTRY_PASSWORD: "${{ secrets.REGISTRY_PASSWORD }}",
    });
    assert.deepEqual(secrets.watchPermissions, { contents: "read", issues: "write" });
    const none = steps(cfg({ registryCredentials: "none", registryInsecure: true }));
    for (const st of [none.record, none.plan, none.watch])
      assert.deepEqual(read(st.env), { PROMOTION_REGISTRY_SCHEME: "http" }, st.name);
    const rollbackRuns = none.promote.jobs.rollback!.steps.flatMap((st) =>
      st.run ? [st.run] : [],
    );
    assert.match(rollbackRuns.join("\n"), /crane --insecure tag "\$ARTIFACT@\$DIGEST"/);
    assert.doesNotMatch(rollbackRuns.join("\n"), /crane (tag|digest) /);
    const ghcr = steps(cfg({ registry: "ghcr.io", registryCredentials: undefined }));
    assert.deepEqual(ghcr.watchPermissions, {
      contents: "read",
      issues: "write",
      packages: "read",
    });
    assert.deepEqual(read(ghcr.watch.env), {
      PROMOTION_REGISTRY_USERNAME: "${{ github.actor }}",
      PROMOTION_REGISTRY_PASSWORD: "${{ secrets.GITHUB_TOKEN }}",
    });
  });

  it("the workflow builders refuse a pipeline without credentials (validateConfig's rule, kept by the generator)", () => {
    const p = { ...cfg().pipeline };
    delete (p as { registryCredentials?: unknown }).registryCredentials;
    assert.throws(
      () => buildWorkflow(p),
      /pipeline\.registryCredentials is not set for the registry registry\.example\.org/,
    );
    assert.throws(() => promoteWorkflow(p), /registryCredentials is not set/);
  });
});

describeComponents(
  "components: the CA Secrets are declared beside their objects",
  "integration",
  () => {
    it("ClusterSource with registryCA.pem: Secret <source>-registry-ca and the OCIRepository with certSecretRef", async () => {
      // No key Secret beside it (tests/unit/signing.test.ts covers the cosign.pub Secret).
      const c = cfg({ registryCA: { pem: TEST_CA_PEM }, signing: { mode: "none" } }, "live");
      const { source: s, secret, oci } = await sourceWithSecret(c, "live");
      assert.equal(secret.name, "live-registry-ca");
      assert.deepEqual(unsecret(secret.inputs.stringData), { "ca.crt": TEST_CA_PEM });
      assert.deepEqual(secret.inputs.metadata, registryCaSecret(c.pipeline, c.cluster)!.metadata);
      assert.deepEqual((oci.inputs.spec as Record<string, unknown>).certSecretRef, {
        name: "flux-system-registry-ca",
      });
      assert.ok(s.caSecret);
    });

    it("ClusterSource with an out-of-band CA Secret declares no Secret", async () => {
      const { ClusterSource } = await import("../../components/clusterSource.js");
      const c = cfg({ registryCA: { secretName: "corp-ca" }, signing: { mode: "none" } }, "live");
      const s = await declared(
        () => new ClusterSource("live", { pipeline: c.pipeline, cluster: c.cluster }),
      );
      assert.equal(ofType("kubernetes:core/v1:Secret").length, 0);
      assert.equal(s.caSecret, undefined);
    });

    it("ValidationNotifier on GHES with caPem: CA Secret, Provider with the GHES address and certSecretRef", async () => {
      const { ValidationNotifier } = await import("../../components/validationNotifier.js");
      const c = cfg({ github: { url: "https://github.example.com", caPem: TEST_CA_PEM } });
      const n = await declared(
        () =>
          new ValidationNotifier("integration-validation", {
            clusterRole: "integration",
            gate: c.pipeline.gate,
            owner: c.pipeline.owner,
            repository: c.pipeline.repository,
            tokenSource: { mode: "existing", secretName: "github-dispatch-token" },
            server: c.pipeline.github.url,
            ...(c.pipeline.github.ca ? { ca: c.pipeline.github.ca } : {}),
          }),
      );
      const secrets = ofType("kubernetes:core/v1:Secret");
      assert.deepEqual(
        secrets.map((s) => [s.name, (s.inputs.metadata as { name: string }).name]),
        [["integration-validation-github-ca", "github-dispatch-ca"]],
      );
      assert.deepEqual(unsecret(secrets[0]!.inputs.stringData), { "ca.crt": TEST_CA_PEM });
      const provider = ofType("kubernetes:notification.toolkit.fluxcd.io/v1beta3:Provider")[0]!;
      assert.deepEqual(provider.inputs.spec, {
        type: "githubdispatch",
        address: "https://github.example.com/example-org/platform",
        secretRef: { name: "github-dispatch-token" },
        certSecretRef: { name: "github-dispatch-ca" },
      });
      assert.ok(n.caSecret);
    });
  },
);
