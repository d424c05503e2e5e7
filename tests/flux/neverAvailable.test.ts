/**
 * An RC whose Deployment never becomes Available (its image never pulls: the box's kwok stage keeps the new
 * Pods Pending in ImagePullBackOff, as a kubelet does) fails kustomize-controller's `wait: true` within the gate's
 * timeout: never dispatched, live keeps its version. The next commit fixes it and is promoted exactly once.
 */
import { strict as assert } from "node:assert";
import { CANARY_NAME, CANARY_NAMESPACE } from "../../lib/k8s/canary";
import {
  CANARY_API,
  commitOf,
  FLUX_NAMESPACE,
  GATE,
  NEVER_PULLS_IMAGE,
  revisionOf,
  stableOf,
  webWorkload,
} from "./support/box";
import { condition } from "./support/kube";
import { withBox } from "./support/useBox";

describe("flux: an RC whose Deployment never becomes Available is held by the real kustomize-controller (GitHub stand-in, canary-checker played)", function () {
  const { it } = withBox(this);

  it("the gate reports the Deployment not Available within its timeout, nothing is dispatched, live keeps its version; the fix in the next commit is promoted exactly once", async (b) => {
    await b.ensureStable();
    await b.settle();
    const liveBefore = await b.serving(b.live);
    const broken = await b.build(commitOf("never-available"), {
      "kubernetes/apps/web.yaml": webWorkload(NEVER_PULLS_IMAGE),
    });
    const revision = revisionOf(broken.tag, broken.digest);
    await b.waitSelected(b.integration, revision);
    await b.waitCanaryStamp(b.integration, broken.tag);
    const tApplied = Date.now();
    const gateObj = await b.integration.kube.mustGet(
      GATE.api,
      GATE.kind,
      FLUX_NAMESPACE,
      GATE.name,
    );
    const timeoutMs = Number(/^(\d+)m$/.exec(String(gateObj.spec?.timeout))?.[1] ?? 5) * 60_000;
    // kwok's never-pulls stage at work: a Pod of the new image waits in ImagePullBackOff.
    const stuck = await b.waitFor(
      "a web Pod of the broken image in ImagePullBackOff",
      async () =>
        (await b.integration.kube.list("v1", "Pod", "apps", "app=web")).find((p) =>
          JSON.stringify(p.status ?? {}).includes("ImagePullBackOff"),
        ),
      60_000,
    );
    assert.equal(stuck.status?.phase, "Pending");
    const report = await b.waitFor(
      "the gate to report the web Deployment not ready",
      async () => {
        const o = await b.integration.kube.get(GATE.api, GATE.kind, FLUX_NAMESPACE, GATE.name);
        const ready = condition(o, "Ready");
        return ready?.status === "False" && /health check failed/.test(ready.message ?? "")
          ? ready
          : undefined;
      },
      timeoutMs + 90_000,
    );
    const tReported = Date.now();
    // Whichever judge speaks first: the platform's own web-Pods check makes the Canary fail as soon as a run
    // reports (kstatus "failed early due to stalled resources"), else kustomize-controller's wait times out on
    // the Deployment ("timeout waiting for: [Deployment/apps/web status: 'InProgress']").
    assert.match(
      report.message ?? "",
      /Canary\/monitoring\/platform-validation status: 'Failed'|Deployment\/apps\/web status: 'InProgress'/,
    );
    assert.ok(
      tReported - tApplied <= timeoutMs + 60_000,
      `reported ${(tReported - tApplied) / 1000} s after the apply, gate timeout ${timeoutMs / 1000} s`,
    );
    console.log(
      `      gate verdict ${((tReported - tApplied) / 1000).toFixed(0)} s after the apply: ${report.reason}: ${report.message}`,
    );
    // The rollout never completes: the new ReplicaSet's Pods are not available.
    const web = await b.integration.kube.mustGet("apps/v1", "Deployment", "apps", "web");
    const ws = web.status as {
      updatedReplicas?: number;
      availableReplicas?: number;
      replicas?: number;
    };
    assert.ok(
      (ws.updatedReplicas ?? 0) >= 1 && (ws.availableReplicas ?? 0) < (ws.replicas ?? 0),
      `the broken rollout looks complete: ${JSON.stringify(ws)}`,
    );
    const canary = await b.integration.kube.mustGet(
      CANARY_API,
      "Canary",
      CANARY_NAMESPACE,
      CANARY_NAME,
    );
    assert.match(String(canary.status?.errorMessage), /web|ImagePullBackOff|not ready|pending/i);
    assert.deepEqual(b.dispatches(broken.digest), [], "the broken RC was dispatched");
    assert.deepEqual(await b.serving(b.live), liveBefore, "live moved");

    // The fix: the next commit puts the image back. It supersedes the broken RC and is promoted once.
    const fixed = await b.build(commitOf("never-available-fixed"));
    const fixedRevision = revisionOf(fixed.tag, fixed.digest);
    await b.waitSelected(b.integration, fixedRevision);
    await b.waitApplied(b.integration, fixedRevision);
    const stable = await b.expectPromoted(fixed);
    assert.equal(stable, stableOf(fixed.tag));
    await b.waitApplied(b.live, revisionOf(stable, fixed.digest));
    await b.expectDispatchedOnce(fixed.digest);
    assert.deepEqual(b.dispatches(broken.digest), [], "the broken RC was dispatched after all");
    assert.equal(b.listing().get(stableOf(broken.tag)) === broken.digest, false);
  });
});
