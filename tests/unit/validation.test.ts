import { strict as assert } from "node:assert";
import {
  checkGithubAddress,
  dispatchEventType,
  dispatchProvider,
  dispatchTokenSecret,
  githubRepositoryAddress,
  tokenSecretName,
  validationAlert,
  validationLoopObjects,
} from "../../lib/k8s/validation";

const gate = { name: "platform", namespace: "flux-system" };

describe("validation loop (pure builders)", () => {
  it("event type is Kustomization/<name>.<namespace>, as GitHubDispatch.Post builds it", () => {
    assert.equal(dispatchEventType(gate), "Kustomization/platform.flux-system");
  });

  it("refuses an event type over GitHub's 100 characters", () => {
    const long = { name: "p".repeat(80), namespace: "flux-system" };
    assert.throws(() => dispatchEventType(long), {
      name: "ValidationLoopError",
      message:
        /event_type "Kustomization\/p+\.flux-system" is 106 characters; GitHub accepts at most 100/,
    });
    // exactly 100 is accepted
    const exact = {
      name: "p".repeat(100 - "Kustomization/.flux-system".length),
      namespace: "flux-system",
    };
    assert.equal(dispatchEventType(exact).length, 100);
  });

  it("token Secret: key token, Opaque, in the gate namespace, value passed through untouched", () => {
    const placeholder = { opaque: true };
    const s = dispatchTokenSecret("flux-system", placeholder);
    assert.equal(s.apiVersion, "v1");
    assert.equal(s.kind, "Secret");
    assert.equal(s.type, "Opaque");
    assert.deepEqual(s.metadata.name, "github-dispatch-token");
    assert.deepEqual(s.metadata.namespace, "flux-system");
    assert.equal((s.stringData as Record<string, unknown>).token, placeholder);
  });

  it("refuses an empty token", () => {
    assert.throws(() => dispatchTokenSecret("flux-system", "  "), {
      message:
        "the dispatch token is empty: every repository_dispatch would fail with 401 and nothing would be promoted.",
    });
    assert.throws(
      () => dispatchTokenSecret("flux-system", undefined),
      /the dispatch token is empty/,
    );
  });

  it("Provider github-dispatch: v1beta3, githubdispatch, GitHub address, secretRef", () => {
    const p = dispatchProvider({
      namespace: "flux-system",
      address: "https://github.com/example-org/platform",
      secretName: "github-dispatch-token",
    });
    assert.equal(p.apiVersion, "notification.toolkit.fluxcd.io/v1beta3");
    assert.equal(p.kind, "Provider");
    assert.deepEqual(p.metadata.name, "github-dispatch");
    assert.deepEqual(p.metadata.namespace, "flux-system");
    assert.deepEqual(p.spec, {
      type: "githubdispatch",
      address: "https://github.com/example-org/platform",
      secretRef: { name: "github-dispatch-token" },
    });
  });

  it("refuses a non-GitHub address", () => {
    for (const address of [
      "https://gitlab.com/example-org/platform",
      "http://github.com/example-org/platform",
      "https://github.com/example-org",
      "https://github.com/example-org/platform/tree/main",
      "https://github.com/example-org/platform.git",
      "git@github.com:example-org/platform.git",
    ]) {
      assert.throws(
        () => dispatchProvider({ namespace: "flux-system", address, secretName: "t" }),
        {
          message: new RegExp(
            `^Provider address "${address.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}" is not a GitHub repository URL`,
          ),
        },
        address,
      );
    }
    assert.throws(
      () => checkGithubAddress("https://github.com/-bad/platform"),
      /is not a GitHub repository URL/,
    );
    assert.throws(
      () => githubRepositoryAddress("example org", "platform"),
      /is not a GitHub owner name/,
    );
    assert.throws(
      () => githubRepositoryAddress("example-org", ".."),
      /is not a GitHub repository name/,
    );
  });

  it("Alert validation-success: providerRef, the gate as event source, info, ^Health check passed", () => {
    const a = validationAlert(gate);
    assert.equal(a.apiVersion, "notification.toolkit.fluxcd.io/v1beta3");
    assert.equal(a.kind, "Alert");
    assert.deepEqual(
      [a.metadata.namespace, a.metadata.name],
      ["flux-system", "validation-success"],
    );
    assert.deepEqual(a.spec, {
      providerRef: { name: "github-dispatch" },
      eventSources: [{ kind: "Kustomization", name: "platform", namespace: "flux-system" }],
      eventSeverity: "info",
      inclusionList: ["^Health check passed"],
    });
  });

  it("the inclusion regex admits kustomize-controller's health message and nothing else it sends", () => {
    const re = new RegExp(
      (validationAlert(gate).spec as { inclusionList: string[] }).inclusionList[0]!,
    );
    assert.ok(re.test("Health check passed in 1m2.5s"));
    for (const msg of [
      "Reconciliation finished in 2.1s, next run in 10m0s",
      "ConfigMap/platform/platform-version configured",
      "health check failed after 5m0s: timeout waiting for: [Canary/monitoring/platform-validation status: 'InProgress']",
      "Running health checks for revision 1.2.3-rc.1@sha256:abc with a timeout of 5m0s",
    ]) {
      assert.ok(!re.test(msg), msg);
    }
  });

  it("managed token: Secret + Provider + Alert; existing: Provider refers to the named Secret, no Secret", () => {
    const managed = validationLoopObjects({
      gate,
      owner: "example-org",
      repository: "platform",
      tokenSource: { mode: "managed" },
      token: "PLACEHOLDER",
    });
    assert.deepEqual(
      managed.map((o) => o.kind),
      ["Secret", "Provider", "Alert"],
    );
    const existing = validationLoopObjects({
      gate,
      owner: "example-org",
      repository: "platform",
      tokenSource: { mode: "existing", secretName: "gh-token" },
    });
    assert.deepEqual(
      existing.map((o) => o.kind),
      ["Provider", "Alert"],
    );
    assert.deepEqual((existing[0]!.spec as { secretRef: unknown }).secretRef, { name: "gh-token" });
    assert.equal(tokenSecretName({ mode: "managed" }), "github-dispatch-token");
  });

  it("managed mode without a token is refused", () => {
    assert.throws(
      () =>
        validationLoopObjects({
          gate,
          owner: "o",
          repository: "r",
          tokenSource: { mode: "managed" },
        }),
      /the dispatch token is empty/,
    );
  });
});
