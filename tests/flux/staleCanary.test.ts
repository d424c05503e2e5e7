/**
 * The hazard the gate's freshness margin exists for, on the real controllers: canary-checker (PLAYED) starts a
 * run before kustomize-controller applies an RC and reports it after the apply, so its `lastCheck` is later
 * than the apply although its checks looked at the cluster before it. The gate must not open on that run; the
 * next run, started after the apply, opens it (GitHub stand-in).
 */
import { strict as assert } from "node:assert";
import { Box, commitOf, FLUX_NAMESPACE, GATE, revisionOf, sleep, type Rc } from "./support/box";
import { condition } from "./support/kube";
import { withBox } from "./support/useBox";

/**
 * How long each check of the straddling run takes. The Canary has three checks, run one after the other, so the
 * run reports about 18 s after it started: after the apply, inside the 30 s margin. (A run longer than the margin
 * would report "fresh" on checks that looked before the apply: the margin is the longest run it covers.)
 */
const CHECK_DELAY_MS = 6_000;

describe("flux: a canary run that straddles the apply does not open the gate (canary-checker played, GitHub stand-in)", function () {
  const { it } = withBox(this);

  it("a run started before the apply and reported after it leaves the gate closed; the next run, started after the apply, opens it and the RC is promoted once", async (b) => {
    // The Canary is part of the platform artifact: a version must run before canary-checker has anything to run.
    await b.ensureStable();
    await b.settle();
    const k = b.integration.kube;
    const player = b.canary(b.integration.name);
    const suspend = (on: boolean): Promise<void> => b.suspendSource(b.integration, on);
    // Integration takes nothing new until told (as `flux suspend source oci` does), so the order is certain.
    await suspend(true);
    let rc!: Rc;
    try {
      rc = await b.build(commitOf("stale-canary"));
      player.checkDelayMs = CHECK_DELAY_MS;
      const starts = player.starts.length;
      // A run now (runOnce is skipped while a run is going or within 10 s of the last one: then again).
      await b.waitFor(
        "a canary run to start",
        async () => {
          const pending = player.runOnce().catch(() => undefined);
          await Promise.race([pending, sleep(1000)]);
          if (player.starts.length > starts) return true;
          await pending;
          return player.starts.length > starts ? true : undefined;
        },
        90_000,
        2000,
      );
      await suspend(false);
      await b.reconcileSource(b.integration);
    } finally {
      await suspend(false);
    }
    const revision = revisionOf(rc.tag, rc.digest);
    await b.waitSelected(b.integration, revision);
    const applyTime = Box.appliedAt(await b.waitCanaryStamp(b.integration, rc.tag));
    const straddling = await player.waitForRun(
      "the run that started before the apply",
      (r) =>
        r.versionAtStart !== rc.tag &&
        r.reportedAt !== undefined &&
        r.reportedAt.getTime() >= applyTime - 1000,
      3 * CHECK_DELAY_MS + 30_000,
    );
    player.checkDelayMs = 0;
    assert.ok(straddling.startedAt.getTime() < applyTime, "the run did not start before the apply");
    assert.equal(straddling.version, rc.tag, "the run did not report after the apply");
    assert.equal(straddling.status, "Passed");
    assert.ok(
      straddling.reportedAt!.getTime() < applyTime + 30_000,
      "the straddling run reported outside the freshness margin; the scenario shows nothing",
    );
    // Until 30 s after the apply nothing can open the gate; the straddling run's Passed did not.
    while (Date.now() < applyTime + 30_000) {
      const g = await k.mustGet(GATE.api, GATE.kind, FLUX_NAMESPACE, GATE.name);
      assert.notEqual(
        g.status?.lastAppliedRevision,
        revision,
        "the gate opened on the straddling run",
      );
      assert.deepEqual(b.dispatches(rc.digest), [], "dispatched on the straddling run");
      await sleep(1000);
    }
    await b.waitApplied(b.integration, revision);
    const gate = await k.mustGet(GATE.api, GATE.kind, FLUX_NAMESPACE, GATE.name);
    const openedAt = Date.parse(String(condition(gate, "Ready")?.lastTransitionTime));
    const opener = player.runs.find(
      (r) =>
        r.versionAtStart === rc.tag &&
        r.reportedAt !== undefined &&
        r.reportedAt.getTime() >= applyTime + 29_000,
    );
    assert.ok(opener, `no run started after the apply: ${JSON.stringify(player.runs.slice(-4))}`);
    assert.ok(
      openedAt >= Math.floor(opener.reportedAt!.getTime() / 1000) * 1000 - 1000,
      "the gate opened before the fresh run reported",
    );
    await b.expectPromoted(rc);
    await b.expectDispatchedOnce(rc.digest);
  });
});
