/**
 * The happy path on the real Flux controllers (tests/flux/support/box.ts): an RC goes from the build to live,
 * judged on integration by canary-checker PLAYED from its own rules on the Canary's real `@every 60s` schedule
 * (GitHub is a stand-in). Prints the lead time per stage.
 */
import { strict as assert } from "node:assert";
import {
  Box,
  commitOf,
  FLUX_NAMESPACE,
  GATE,
  revisionOf,
  seconds,
  SOURCE,
  stableOf,
} from "./support/box";
import { NODE_NAME } from "./support/clusters";
import { condition } from "./support/kube";
import { withBox } from "./support/useBox";
import { DISPATCH_TOKEN, EVENT_TYPE } from "./support/box";

describe("flux: the happy path, an RC from the registry to live (GitHub stand-in, canary-checker played)", function () {
  const { it } = withBox(this);

  it("an RC is selected, applied, validated by a canary run reported 30 s after the apply, dispatched once with its digest, promoted by retag, and applied on live", async (b) => {
    await b.settle();
    const records = b.githubApi.deployments.length;
    const t0 = Date.now();
    const rc = await b.build(commitOf("happy-path"));
    const revision = revisionOf(rc.tag, rc.digest);
    const tSelected = await b.waitSelected(b.integration, revision);
    const applied = await b.waitCanaryStamp(b.integration, rc.tag);
    const tApplied = Date.now();
    const applyTime = Box.appliedAt(applied);
    const tHealthy = await b.waitApplied(b.integration, revision);
    // The gate opened on a run the played canary-checker REPORTED at least 30 s after the apply (lastCheck is
    // truncated to the second), which saw the new version when it started.
    const player = b.canary(b.integration.name);
    const opener = player.runs.find(
      (r) =>
        r.reportedAt !== undefined &&
        r.reportedAt.getTime() >= Math.floor(applyTime / 1000) * 1000 + 30_000 &&
        r.versionAtStart === rc.tag &&
        r.status === "Passed",
    );
    assert.ok(opener, `no fresh passing canary run: ${JSON.stringify(player.runs.slice(-4))}`);
    assert.ok(tHealthy >= applyTime + 30_000, "the gate opened less than 30 s after the apply");

    const { d, run, at: tDispatch } = await b.waitDispatch(revision);
    assert.equal(d.token, DISPATCH_TOKEN);
    assert.equal(d.eventType, EVENT_TYPE);
    const payload = d.clientPayload as { message?: string; severity?: string };
    assert.match(payload.message ?? "", /^Health check passed/);
    assert.equal(payload.severity, "info");
    assert.equal(run.status, "success", `promote failed:\n${run.log}`);
    const tPromoted = Date.now();
    const tags = b.listing();
    const stable = stableOf(rc.tag);
    assert.equal(tags.get(stable), rc.digest, `${stable} is not the validated digest`);
    assert.equal(tags.get(`validated-${rc.sha.slice(0, 7)}`), rc.digest);
    assert.equal(
      b.githubApi.deployments.length,
      records + 1,
      "no Deployment record (GitHub API mock)",
    );
    assert.match(JSON.stringify(b.githubApi.deployments.at(-1)!.payload), new RegExp(rc.digest));

    const liveRevision = revisionOf(stable, rc.digest);
    const tLiveSelected = await b.waitSelected(b.live, liveRevision);
    const tLive = await b.waitApplied(b.live, liveRevision);
    // Both signatures sit on the one digest: the build's (integration verified it) and the promote job's (live
    // verified it); each source-controller says so in its SourceVerified condition.
    assert.ok(b.verifiedBy(rc.digest, b.keys.build), "the RC is not signed by the build key");
    assert.ok(b.verifiedBy(rc.digest, b.keys.promote), "not signed by the promote key");
    for (const c of [b.integration, b.live]) {
      const src = await c.kube.mustGet(SOURCE.api, SOURCE.kind, FLUX_NAMESPACE, SOURCE.name);
      const verified = condition(src, "SourceVerified");
      assert.equal(verified?.status, "True", `${c.name}: ${JSON.stringify(verified)}`);
      assert.match(verified?.message ?? "", /verified signature/i);
    }
    const settings = await b.live.kube.get("v1", "ConfigMap", "apps", "settings");
    assert.equal((settings?.data as Record<string, string> | undefined)?.greeting, "hello");
    // The workload lives on both clusters: kustomize-controller waited for it to be Available, and its Pods are
    // real objects made by the ReplicaSet controller, bound by the scheduler and run by kwok.
    for (const c of [b.integration, b.live]) {
      const web = await c.kube.mustGet("apps/v1", "Deployment", "apps", "web");
      assert.equal(condition(web, "Available")?.status, "True", `${c.name}: web not Available`);
      const pods = await c.waitPodsReady(b.procs, "apps", "app=web", 2);
      assert.ok(
        pods.every((p) => (p.spec as { nodeName?: string }).nodeName === NODE_NAME),
        `${c.name}: web Pods not scheduled onto ${NODE_NAME}`,
      );
      const gate = await c.kube.mustGet(GATE.api, GATE.kind, FLUX_NAMESPACE, GATE.name);
      assert.equal(condition(gate, "Ready")?.status, "True");
    }
    // Integration follows the stable tag too (>= 0.0.0-0 ranks X.Y.Z above its RC): same content, so no second
    // "Health check passed" dispatch, over a whole quiet window.
    await b.waitApplied(b.integration, liveRevision);
    await b.expectDispatchedOnce(rc.digest);

    console.log(
      [
        "      lead time, push to live applied (canary-checker played on its real @every 60s schedule; gate freshness 30 s):",
        `        push -> integration selects    ${seconds(tSelected - rc.at)}`,
        `        selects -> applied             ${seconds(tApplied - tSelected)}`,
        `        applied -> gate healthy        ${seconds(tHealthy - tApplied)}`,
        `        healthy -> dispatch received   ${seconds(tDispatch - tHealthy)}`,
        `        dispatch -> promoted (retag)   ${seconds(tPromoted - tDispatch)}`,
        `        promoted -> live selects       ${seconds(tLiveSelected - tPromoted)}`,
        `        live selects -> live healthy   ${seconds(tLive - tLiveSelected)}`,
        `        total                          ${seconds(tLive - t0)}`,
      ].join("\n"),
    );
  });
});
