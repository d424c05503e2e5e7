/**
 * A Flux controller Pod fails while the gate judges an RC: the Canary's `kubernetes` check (canary-checker
 * PLAYED, its readiness rules for Pods) fails, the gate holds the RC, nothing is dispatched or tagged; once the
 * failed Pod is gone, the same RC is validated, dispatched exactly once and promoted (GitHub stand-in).
 */
import { strict as assert } from "node:assert";
import { CANARY_API, commitOf, FLUX_NAMESPACE, GATE, revisionOf, stableOf } from "./support/box";
import { CANARY_NAME, CANARY_NAMESPACE } from "../../lib/k8s/canary";
import { FLUX_DEPLOYMENTS } from "./support/clusters";
import { condition } from "./support/kube";
import { withBox } from "./support/useBox";

describe("flux: a Flux controller Pod not ready during the gate holds the RC (canary-checker played, GitHub stand-in)", function () {
  const { it } = withBox(this);

  it("the Canary fails on the failed Pod, the gate reports it, nothing moves in the registry, live keeps its version; with the Pod replaced the RC is dispatched once and promoted", async (b) => {
    await b.ensureStable();
    await b.settle();
    const liveBefore = await b.serving(b.live);
    const before = b.listing();
    const rc = await b.build(commitOf("unhealthy"));
    const revision = revisionOf(rc.tag, rc.digest);
    await b.waitSelected(b.integration, revision);
    await b.waitCanaryStamp(b.integration, rc.tag);
    // Within a second or two of the apply (before any canary run could count: those come >= 30 s after it).
    const failed = await b.failPod(
      b.integration,
      FLUX_NAMESPACE,
      `app=${FLUX_DEPLOYMENTS.find((d) => d.startsWith("kustomize"))!}`,
    );
    const report = await b.waitFor(
      "the gate to report the failed health check",
      async () => {
        const o = await b.integration.kube.get(GATE.api, GATE.kind, FLUX_NAMESPACE, GATE.name);
        const ready = condition(o, "Ready");
        return ready?.status === "False" && /health/i.test(`${ready.reason} ${ready.message}`)
          ? ready
          : undefined;
      },
      360_000,
    );
    assert.match(report.message ?? "", /Canary/);
    // Trap 2: the failing check (flux-pods) is not the last one (the box's extra web-pods check is, and it
    // passes), so `status.status` is the last result's "Passed"; only `errorMessage` tells, and the gate's
    // failed expression catches it.
    const canary = await b.integration.kube.mustGet(
      CANARY_API,
      "Canary",
      CANARY_NAMESPACE,
      CANARY_NAME,
    );
    assert.equal(canary.status?.status, "Passed", JSON.stringify(canary.status));
    assert.match(String(canary.status?.errorMessage), new RegExp(failed));
    // One status per check: the API server's, the flux Pods', the web Pods'.
    const checks = canary.status?.checkStatus as Record<string, unknown> | undefined;
    assert.equal(Object.keys(checks ?? {}).length, 3, JSON.stringify(checks));
    const player = b.canary(b.integration.name);
    assert.ok(
      player.runs.some((r) => r.version === rc.tag && (r.errorMessage ?? "").includes(failed)),
      "the played canary-checker never ran the failing check on this RC",
    );

    await b.expectNoDispatch(rc.digest);
    const gate = await b.integration.kube.mustGet(GATE.api, GATE.kind, FLUX_NAMESPACE, GATE.name);
    assert.equal(condition(gate, "Ready")?.status, "False");
    b.expectOnlyBuildTagsAdded(before, rc);
    assert.deepEqual(await b.serving(b.live), liveBefore, "live moved");

    // The failed Pod goes (its ReplicaSet already started a replacement): the next fresh run passes.
    await b.integration.kube.delete("v1", "Pod", FLUX_NAMESPACE, failed);
    await b.integration.waitPodsReady(b.procs, FLUX_NAMESPACE, "app.kubernetes.io/part-of=flux", 3);
    await b.reconcileGate(b.integration);
    await b.waitApplied(b.integration, revision);
    const stable = await b.expectPromoted(rc);
    assert.equal(stable, stableOf(rc.tag));
    await b.waitApplied(b.live, revisionOf(stable, rc.digest));
    await b.expectDispatchedOnce(rc.digest);
  });
});
