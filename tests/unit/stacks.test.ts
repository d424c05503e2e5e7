import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { registered, runProgram, stackConfig, type Registered } from "../support/pulumiMocks";
import { KEY_SIGNING } from "../support/signingKeys";
import { TEST_CA_PEM } from "../support/testCa";

const root = join(__dirname, "..", "..");

function kinds(rs: Registered[]): string[] {
  return rs.map((r) => r.type).sort();
}
function one(rs: Registered[], type: string): Registered {
  const hits = rs.filter((r) => r.type === type);
  assert.equal(hits.length, 1, `expected one ${type}, got ${hits.length}`);
  return hits[0]!;
}
const spec = (r: Registered): Record<string, unknown> => r.inputs.spec as Record<string, unknown>;
const meta = (r: Registered): Record<string, unknown> =>
  r.inputs.metadata as Record<string, unknown>;

describe("whole program per stack (index.ts under mocks, with the shipped Pulumi.yaml and stack files)", function () {
  this.timeout(60_000);

  it("integration: source, gate, canary rules, validation loop and the platform files; nothing else", async () => {
    const { resources, exports } = await runProgram(
      root,
      "integration",
      stackConfig(root, "integration"),
    );
    const k8sKinds = kinds(resources).filter((t) => t.startsWith("kubernetes:"));
    assert.deepEqual(k8sKinds, [
      "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization",
      "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
      "kubernetes:notification.toolkit.fluxcd.io/v1beta3:Alert",
      "kubernetes:notification.toolkit.fluxcd.io/v1beta3:Provider",
      "kubernetes:source.toolkit.fluxcd.io/v1:OCIRepository",
    ]);
    const src = one(resources, "kubernetes:source.toolkit.fluxcd.io/v1:OCIRepository");
    assert.deepEqual([meta(src).namespace, meta(src).name], ["flux-system", "flux-system"]);
    assert.deepEqual(spec(src).ref, { semver: ">= 0.0.0-0" });
    assert.equal(spec(src).url, "oci://ghcr.io/example-org/platform/platform");

    const ks = one(resources, "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization");
    assert.deepEqual([meta(ks).namespace, meta(ks).name], ["flux-system", "platform"]);
    assert.equal(spec(ks).wait, true);
    assert.deepEqual(spec(ks).sourceRef, {
      kind: "OCIRepository",
      name: "flux-system",
      namespace: "flux-system",
    });

    const provider = one(resources, "kubernetes:notification.toolkit.fluxcd.io/v1beta3:Provider");
    assert.equal(meta(provider).name, "github-dispatch");
    assert.equal(spec(provider).type, "githubdispatch");
    assert.equal(spec(provider).address, "https://github.com/example-org/platform");
    assert.deepEqual(spec(provider).secretRef, { name: "github-dispatch-token" });

    const alert = one(resources, "kubernetes:notification.toolkit.fluxcd.io/v1beta3:Alert");
    assert.equal(meta(alert).name, "validation-success");
    assert.deepEqual(spec(alert).providerRef, { name: "github-dispatch" });
    assert.deepEqual(spec(alert).eventSources, [
      { kind: "Kustomization", name: "platform", namespace: "flux-system" },
    ]);
    assert.equal(spec(alert).eventSeverity, "info");
    assert.deepEqual(spec(alert).inclusionList, ["^Health check passed"]);

    const rule = one(resources, "kubernetes:monitoring.coreos.com/v1:PrometheusRule");
    assert.deepEqual(
      [meta(rule).namespace, meta(rule).name],
      ["monitoring", "canary-checker-alerts"],
    );

    // The embedded default references a Secret created out of band: no token Secret is rendered.
    assert.equal(resources.filter((r) => r.type === "kubernetes:core/v1:Secret").length, 0);

    const files = resources
      .filter((r) => r.type === "command:local:Command")
      .map((r) => r.name)
      .sort();
    assert.deepEqual(files, [
      "platform-files-.github/promotion/promotion.mjs",
      "platform-files-.github/promotion/schemas.json",
      "platform-files-.github/workflows/build-platform-artifact.yaml",
      "platform-files-.github/workflows/pipeline-watch.yaml",
      "platform-files-.github/workflows/tag-validated-artifact.yaml",
      "platform-files-.github/workflows/validate-platform.yaml",
      "platform-files-kubernetes/validation/platform-validation.canary.yaml",
      "registry-pins-files-.github/workflows/registry-retention.yaml",
      "registry-pins-files-registry/pins-policy.yaml",
      "registry-pins-local-pins-policy.yaml",
    ]);
    const local = resources.find((r) => r.name === "registry-pins-local-pins-policy.yaml")!;
    assert.equal(
      (local.inputs.environment as Record<string, string>).TARGET_FILE,
      "out/integration/registry/pins-policy.yaml",
    );
    assert.match(String(local.inputs.stdin), /promotion-pipeline|clusters/);
    const wf = resources.find(
      (r) => r.name === "platform-files-.github/workflows/tag-validated-artifact.yaml",
    )!;
    assert.match(String(wf.inputs.stdin), /Kustomization\/platform\.flux-system/);
    assert.equal(
      (wf.inputs.environment as Record<string, string>).TARGET_FILE,
      "out/integration/github/.github/workflows/tag-validated-artifact.yaml",
    );

    // The CLI bundle is copied from dist/promotion.mjs (checked by its sha256), not sent as content.
    const cliCmd = resources.find(
      (r) => r.name === "platform-files-.github/promotion/promotion.mjs",
    )!;
    const cliSha = createHash("sha256")
      .update(readFileSync(join(root, "dist", "promotion.mjs")))
      .digest("hex");
    assert.equal(cliCmd.inputs.stdin, undefined);
    assert.deepEqual(cliCmd.inputs.environment, {
      TARGET_FILE: "out/integration/github/.github/promotion/promotion.mjs",
      SOURCE_FILE: "dist/promotion.mjs",
      CONTENT_SHA256: cliSha,
    });
    assert.equal(
      (exports.deliveredFiles as Record<string, string>)[".github/promotion/promotion.mjs"],
      cliSha,
    );

    assert.equal(exports.dispatchEventType, "Kustomization/platform.flux-system");
    assert.equal(exports.role, "integration");
    // The schema set is copied from schemas/artifact-schemas.json the same way.
    const schemasCmd = resources.find(
      (r) => r.name === "platform-files-.github/promotion/schemas.json",
    )!;
    assert.equal(schemasCmd.inputs.stdin, undefined);
    assert.deepEqual(schemasCmd.inputs.environment, {
      TARGET_FILE: "out/integration/github/.github/promotion/schemas.json",
      SOURCE_FILE: "schemas/artifact-schemas.json",
      CONTENT_SHA256: createHash("sha256")
        .update(readFileSync(join(root, "schemas", "artifact-schemas.json")))
        .digest("hex"),
    });
    assert.equal(Object.keys(exports.deliveredFiles as object).length, 10);
    assert.match(String(exports.pinsPolicyHash), /^[a-f0-9]{64}$/);

    const provider8s = resources.find((r) => r.type === "pulumi:providers:kubernetes")!;
    assert.equal(provider8s.inputs.renderYamlToDirectory, "out/integration/kubernetes");
    assert.equal(provider8s.inputs.skipUpdateUnreachable, undefined);
  });

  it("live: source >= 0.0.0, gate and canary rules; no validation loop and no files", async () => {
    const { resources, exports } = await runProgram(root, "live", stackConfig(root, "live"));
    assert.deepEqual(
      kinds(resources).filter((t) => t.startsWith("kubernetes:")),
      [
        "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization",
        "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
        "kubernetes:source.toolkit.fluxcd.io/v1:OCIRepository",
      ],
    );
    assert.deepEqual(
      spec(one(resources, "kubernetes:source.toolkit.fluxcd.io/v1:OCIRepository")).ref,
      { semver: ">= 0.0.0" },
    );
    assert.equal(
      resources.filter((r) => r.type.startsWith("command:") || r.type.startsWith("github:")).length,
      0,
    );
    assert.equal(exports.pin, null);
  });

  it("live with a rollback pin: the ref is the pinned tag, annotated with reason and expiry", async () => {
    const cfg = stackConfig(root, "live", {
      "promotion-pipeline:pin": { tag: "1.4.2", reason: "INC-42", expires: "2099-01-01" },
    });
    const { resources } = await runProgram(root, "live", cfg);
    const src = one(resources, "kubernetes:source.toolkit.fluxcd.io/v1:OCIRepository");
    assert.deepEqual(spec(src).ref, { tag: "1.4.2" });
    assert.equal(
      (meta(src).annotations as Record<string, string>)["promotion-pipeline.io/pin-reason"],
      "INC-42",
    );
  });

  it("integration on a real cluster with a managed token: the token reaches only the Secret, as a secret", async () => {
    const cfg = stackConfig(root, "integration", {
      "promotion-pipeline:kubernetes": { context: "kind-integration" },
      "promotion-pipeline:dispatchTokenSecret": undefined,
      "promotion-pipeline:dispatchToken": "ghp_unit_test_token",
    });
    const { resources, exports } = await runProgram(root, "integration", cfg, [
      "promotion-pipeline:dispatchToken",
    ]);
    const secret = one(resources, "kubernetes:core/v1:Secret");
    assert.equal(meta(secret).name, "github-dispatch-token");
    assert.ok(
      !JSON.stringify(exports).includes("ghp_unit_test_token"),
      "no output carries the token",
    );
    const others = resources.filter((r) => r !== secret);
    assert.ok(
      !JSON.stringify(others.map((r) => r.inputs)).includes("ghp_unit_test_token"),
      "no other resource sees the token",
    );
  });

  it("self-hosted registry and GHES: CA Secrets, certSecretRef, the GHES address and the workflows' login", async () => {
    const shipped = JSON.parse(
      stackConfig(root, "integration")["promotion-pipeline:pipeline"]!,
    ) as Record<string, unknown>;
    const cfg = stackConfig(root, "integration", {
      "promotion-pipeline:kubernetes": { context: "kind-integration" },
      "promotion-pipeline:pipeline": {
        ...shipped,
        registry: "registry.example.com",
        registryCA: { pem: TEST_CA_PEM },
        registryCredentials: {
          usernameSecret: "REGISTRY_USERNAME",
          passwordSecret: "REGISTRY_PASSWORD",
        },
        github: { url: "https://github.example.com", caPem: TEST_CA_PEM },
        // A GitHub Enterprise Server has no keyless default: key pairs per role.
        signing: KEY_SIGNING,
      },
    });
    const { resources } = await runProgram(root, "integration", cfg);
    const secrets = resources.filter((r) => r.type === "kubernetes:core/v1:Secret");
    assert.deepEqual(secrets.map((r) => meta(r).name).sort(), [
      "flux-system-cosign",
      "flux-system-registry-ca",
      "github-dispatch-ca",
    ]);
    const src = one(resources, "kubernetes:source.toolkit.fluxcd.io/v1:OCIRepository");
    assert.equal(spec(src).url, "oci://registry.example.com/example-org/platform/platform");
    assert.deepEqual(spec(src).certSecretRef, { name: "flux-system-registry-ca" });
    const provider = one(resources, "kubernetes:notification.toolkit.fluxcd.io/v1beta3:Provider");
    assert.equal(spec(provider).address, "https://github.example.com/example-org/platform");
    assert.deepEqual(spec(provider).certSecretRef, { name: "github-dispatch-ca" });
    const build = resources.find((r) =>
      JSON.stringify(r.inputs).includes("build-platform-artifact.yaml"),
    );
    assert.ok(build, "the owner stack writes the build workflow");
    assert.match(JSON.stringify(build.inputs), /secrets\.REGISTRY_PASSWORD/);
    assert.match(JSON.stringify(build.inputs), /secrets\.COSIGN_BUILD_KEY/);
    assert.deepEqual(spec(src).verify, {
      provider: "cosign",
      secretRef: { name: "flux-system-cosign" },
    });
  });

  it("signing: none is warned about at preview, naming the risk; keyless (the shipped default) is not", async () => {
    const shipped = JSON.parse(stackConfig(root, "live")["promotion-pipeline:pipeline"]!) as Record<
      string,
      unknown
    >;
    const warnings: string[] = [];
    const warn = pulumi.log.warn;
    (pulumi.log as { warn: (m: string) => Promise<void> }).warn = (m: string) => {
      warnings.push(m);
      return Promise.resolve();
    };
    try {
      await runProgram(root, "live", stackConfig(root, "live"));
      assert.deepEqual(warnings, []);
      const { resources } = await runProgram(
        root,
        "live",
        stackConfig(root, "live", {
          "promotion-pipeline:pipeline": { ...shipped, signing: { mode: "none" } },
        }),
      );
      assert.equal(warnings.length, 1);
      assert.match(
        warnings[0]!,
        /^promotion-pipeline:pipeline\.signing = \{mode: none\}: live's OCIRepository verifies no signature, so any stable X\.Y\.Z tag pushed to the registry .* goes to live without having passed integration\./,
      );
      const src = one(resources, "kubernetes:source.toolkit.fluxcd.io/v1:OCIRepository");
      assert.equal(spec(src).verify, undefined);
    } finally {
      (pulumi.log as { warn: typeof warn }).warn = warn;
    }
  });

  it("a bad value stops the program before any resource is registered", async () => {
    const cfg = stackConfig(root, "live", {
      "promotion-pipeline:pin": { tag: "1.4.2", expires: "2099-01-01" },
    });
    await assert.rejects(
      runProgram(root, "live", cfg),
      /promotion-pipeline:pin\.reason = \(not set\): is required/,
    );
    assert.deepEqual(registered, [], "nothing was registered");
  });

  it("a bad value is a pulumi.RunError carrying only the message (the engine then prints no stack trace)", async () => {
    const cfg = stackConfig(root, "live", {
      "promotion-pipeline:pipeline": { registry: "https://ghcr.io" },
    });
    const e: unknown = await runProgram(root, "live", cfg).then(
      () => assert.fail("the program ran"),
      (err: unknown) => err,
    );
    assert.ok(pulumi.RunError.isInstance(e), `not a RunError: ${String(e)}`);
    assert.match(
      e.message,
      /^invalid configuration \(\d+ problems?\):\n {2}- promotion-pipeline:pipeline\.registry = "https:\/\/ghcr\.io": /,
    );
    assert.ok(!("problems" in e), "no problems list for the engine to dump");
    assert.deepEqual(registered, [], "nothing was registered");
  });

  /** Runs the integration (owner) stack from a copy of the project changed by `edit`; returns the error. */
  async function ownerStackError(edit: (copy: string) => void): Promise<unknown> {
    // The program reads dist/promotion.mjs, and hashes the bundle's sources, relative to its own files.
    const copy = mkdtempSync(join(tmpdir(), "promotion-bundle-"));
    try {
      for (const f of [
        "index.ts",
        "lib",
        "components",
        "dist",
        "Pulumi.yaml",
        "Pulumi.integration.yaml",
        "Pulumi.live.yaml",
        "package.json",
        "package-lock.json",
        "tsconfig.json",
      ])
        cpSync(join(root, f), join(copy, f), { recursive: true });
      symlinkSync(join(root, "node_modules"), join(copy, "node_modules"));
      edit(copy);
      return await runProgram(copy, "integration", stackConfig(copy, "integration")).then(
        () => assert.fail("the program ran"),
        (err: unknown) => err,
      );
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }

  it("a missing CLI bundle on the owner stack is a RunError naming the build command, before any resource", async () => {
    const e = await ownerStackError((copy) => rmSync(join(copy, "dist"), { recursive: true }));
    assert.ok(pulumi.RunError.isInstance(e), `not a RunError: ${String(e)}`);
    assert.match(
      e.message,
      /dist\/promotion\.mjs is missing .*: run `npm run build` before `pulumi up`/,
    );
    assert.deepEqual(registered, [], "nothing was registered");
  });

  it("a CLI bundle older than its sources is not delivered: a RunError naming the build command", async () => {
    const e = await ownerStackError((copy) =>
      appendFileSync(join(copy, "lib/cli/main.ts"), "\n// edited\n"),
    );
    assert.ok(pulumi.RunError.isInstance(e), `not a RunError: ${String(e)}`);
    assert.match(e.message, /dist\/promotion\.mjs is stale: .* run `npm run build`/);
    assert.deepEqual(registered, [], "nothing was registered");
  });
});
