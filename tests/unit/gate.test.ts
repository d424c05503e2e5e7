import { strict as assert } from "node:assert";
import { canaryHealthCheck, gateKustomization, goDurationSeconds } from "../../lib/k8s/gate";

const base = {
  gate: { name: "platform", namespace: "flux-system" },
  source: { kind: "OCIRepository" as const, name: "flux-system", namespace: "flux-system" },
};

describe("gate Kustomization (pure builder)", () => {
  it("applies the source with wait: true, prune, and the Canary health expression", () => {
    const k = gateKustomization(base);
    assert.equal(k.apiVersion, "kustomize.toolkit.fluxcd.io/v1");
    assert.equal(k.kind, "Kustomization");
    assert.deepEqual([k.metadata.namespace, k.metadata.name], ["flux-system", "platform"]);
    const spec = k.spec as Record<string, unknown>;
    assert.deepEqual(spec.sourceRef, {
      kind: "OCIRepository",
      name: "flux-system",
      namespace: "flux-system",
    });
    assert.equal(spec.wait, true);
    assert.equal(spec.prune, true);
    assert.equal(spec.path, "./");
    assert.equal(spec.interval, "10m");
    assert.equal(spec.retryInterval, "1m");
    assert.equal(spec.timeout, "5m");
    assert.deepEqual(spec.healthCheckExprs, [canaryHealthCheck()]);
  });

  it("the Canary expression: stale until a run reported after kustomize-controller's apply; green needs no errorMessage", () => {
    const h = canaryHealthCheck();
    assert.equal(h.apiVersion, "canaries.flanksource.com/v1");
    assert.equal(h.kind, "Canary");
    assert.equal(
      h.inProgress,
      "!has(status.lastCheck) || metadata.managedFields.exists(f, f.manager == 'kustomize-controller' && " +
        "timestamp(status.lastCheck) <= timestamp(f.time) + duration('30s'))",
    );
    assert.equal(
      h.failed,
      "status.status == 'Failed' || status.status == 'Invalid' || has(status.errorMessage)",
    );
    assert.equal(h.current, "status.status == 'Passed' && !has(status.errorMessage)");
    assert.match(canaryHealthCheck("45s").inProgress!, /duration\('45s'\)/);
  });

  it("GitRepository sources and a sub-path (dev)", () => {
    const k = gateKustomization({
      ...base,
      source: { kind: "GitRepository", name: "platform", namespace: "flux-system" },
      path: "./kubernetes",
    });
    const spec = k.spec as Record<string, unknown>;
    assert.deepEqual(spec.sourceRef, {
      kind: "GitRepository",
      name: "platform",
      namespace: "flux-system",
    });
    assert.equal(spec.path, "./kubernetes");
  });

  it("refuses a timeout too short for one fresh canary run", () => {
    assert.throws(() => gateKustomization({ ...base, timeout: "90s" }), {
      name: "GateError",
      message: /^gate timeout "90s" is shorter than 120s: the health check waits for a canary run/,
    });
    assert.doesNotThrow(() => gateKustomization({ ...base, timeout: "2m" }));
  });

  it("refuses malformed durations and paths that leave the artifact", () => {
    assert.throws(() => gateKustomization({ ...base, interval: "10 minutes" }), {
      message: 'gate interval "10 minutes" is not a Go duration such as 30s, 5m or 1h.',
    });
    assert.throws(
      () => gateKustomization({ ...base, path: "../other" }),
      /must be relative to the artifact root/,
    );
    assert.throws(
      () => gateKustomization({ ...base, path: "/abs" }),
      /must be relative to the artifact root/,
    );
    assert.throws(() => canaryHealthCheck("soon"), /is not a Go duration/);
  });

  it("parses Go durations", () => {
    assert.equal(goDurationSeconds("1m30s"), 90);
    assert.equal(goDurationSeconds("1h"), 3600);
    assert.equal(goDurationSeconds("250ms"), 0.25);
  });
});
