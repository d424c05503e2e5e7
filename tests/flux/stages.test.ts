/**
 * Stages on the real Flux controllers (issue 21 item 5): THREE clusters, integration -> staging -> live (one
 * etcd, three API servers, three sets of controllers; tests/flux/support/box.ts with THREE_STAGES_LAYOUT), the
 * staging stage with a 2 m soak and a promotion window (`pipeline.stages`, as tests/unit/stages.test.ts's
 * THREE_STAGES). The generated promote workflow's real scripts decide (`promotion stage-plan`) on every gate
 * report GitHub (stand-in) receives, and on the schedule's re-plan, which a scenario runs itself when a soak or a
 * window is due (GitHub would run it every 10 minutes). Soak records: GitHub Deployments on the stand-in's API.
 * Canary-checker is PLAYED on every cluster on the Canary's real `@every 60s` schedule.
 */
import { strict as assert } from "node:assert";
import {
  FLUX_NAMESPACE,
  GATE,
  OPEN_WINDOW,
  SOURCE,
  THREE_STAGES,
  THREE_STAGES_LAYOUT,
  commitOf,
  revisionOf,
  seconds,
  sleep,
  stableOf,
  type Box,
} from "./support/box";
import { FLUX_DEPLOYMENTS } from "./support/clusters";
import { condition } from "./support/kube";
import { withBox } from "./support/useBox";
import { STAGE_METADATA_KEY } from "../../lib/k8s/validation";
import { stageTag } from "../../lib/stages/channel";
import { SOAK_TASK } from "../../lib/stages/record";
import type { DispatchRequest } from "../support/githubStandIn";
import type { JobResult } from "../support/workflowRunner";

const SOAK_MS = 120_000;
assert.equal(THREE_STAGES[1].soak, "2m");

const payloadOf = (d: DispatchRequest) =>
  d.clientPayload as {
    severity?: string;
    message?: string;
    metadata?: { revision?: string; [STAGE_METADATA_KEY]?: string };
  };
const planOf = (r: JobResult): Record<string, string> => r.outputs.plan ?? {};

function succeeded(r: JobResult, what: string): Record<string, string> {
  assert.equal(r.status, "success", `${what} failed:\n${r.log}`);
  return planOf(r);
}

/** The soak record (GitHub Deployment, task promotion-pipeline:soak) of `digest` on `stage`, with its statuses. */
function soakRecord(b: Box, stage: string, digest: string) {
  const recs = b.githubApi.deployments.filter(
    (d) =>
      d.task === SOAK_TASK && d.environment === stage && JSON.stringify(d.payload).includes(digest),
  );
  assert.equal(recs.length, 1, `soak records of ${digest} on ${stage}: ${JSON.stringify(recs)}`);
  return recs[0]!;
}

/** When the stage's gate first reported `digest` healthy (the soak's start), from its soak record. */
function healthySince(b: Box, stage: string, digest: string): number {
  const healthy = soakRecord(b, stage, digest)
    .statuses.map((s) => /^healthy at (\S+)$/.exec(s.description ?? "")?.[1])
    .filter((x): x is string => x !== undefined);
  assert.ok(healthy.length > 0, `no healthy report of ${digest} on ${stage}`);
  return Math.min(...healthy.map((t) => Date.parse(t)));
}

/**
 * What a scenario needs: the stages as THREE_STAGES has them (re-rendered if a scenario changed them), every
 * cluster settled on the newest version of its channel, and (`drain`) no promotion pending: each soak a
 * scenario left behind has run out and its re-plan promoted it.
 */
async function readyStages(b: Box, drain = true): Promise<void> {
  await b.reconfigure({ stages: THREE_STAGES });
  for (let i = 0; drain && i < 6; i++) {
    const r = await b.replan();
    if (succeeded(r, "re-plan").action === "promote") continue;
    const dues = [...r.log.matchAll(/soaks on [^\n]*due at (\S+?)\.?$/gm)].map((m) =>
      Date.parse(m[1]!),
    );
    if (dues.length === 0) break;
    await sleep(Math.max(...dues) - Date.now() + 1000);
  }
  await b.settle();
}

/**
 * Every dispatch naming `digest`, a full quiet window (of the cluster that sent the last one) after the last
 * one arrived, is exactly `expected` (revision and reporting stage; the first stage's Alert names none).
 */
async function expectDispatches(
  b: Box,
  digest: string,
  expected: { revision: string; stage?: string; severity: string }[],
): Promise<void> {
  const key = (d: DispatchRequest) => {
    const p = payloadOf(d);
    return `${p.metadata?.revision} ${p.metadata?.[STAGE_METADATA_KEY] ?? "-"} ${p.severity}`;
  };
  const last = b.dispatches(digest).at(-1);
  assert.ok(last, `${digest} was never dispatched`);
  const from = payloadOf(last).metadata?.[STAGE_METADATA_KEY] ?? "integration";
  const quiet = await b.quietWindowMs(b.cluster(from));
  await sleep(Math.max(0, last.at.getTime() + quiet - Date.now()));
  assert.deepEqual(
    b.dispatches(digest).map(key),
    expected.map((e) => `${e.revision} ${e.stage ?? "-"} ${e.severity}`),
  );
}

describe("flux: stages, integration -> staging (2 m soak, window) -> live, on three real clusters (GitHub stand-in, canary-checker played)", function () {
  const { it } = withBox(this, THREE_STAGES_LAYOUT);

  it("an RC reaches live through staging: promoted digest-exact into staging, selected and validated there, held while it soaks (the re-plan defers it), then promoted stable and selected by live", async (b) => {
    await readyStages(b);
    const staging = b.cluster("staging");
    const t0 = Date.now();
    const rc = await b.build(commitOf("stages-through-staging"));
    const rev = revisionOf(rc.tag, rc.digest);
    const staged = stageTag("staging", rc.tag);
    const stagedRev = revisionOf(staged, rc.digest);
    const stable = stableOf(rc.tag);

    const tIntSelected = await b.waitSelected(b.integration, rev);
    const tIntHealthy = await b.waitApplied(b.integration, rev);
    const intoStaging = await b.waitDispatch(rev);
    assert.equal(payloadOf(intoStaging.d).metadata?.[STAGE_METADATA_KEY], undefined);
    const p1 = succeeded(intoStaging.run, "promote into staging");
    assert.equal(p1.action, "promote", intoStaging.run.log);
    assert.equal(p1.tags, staged);
    assert.equal(p1.targets, "staging");
    const tStaged = Date.now();
    let l = b.listing();
    assert.equal(l.get(staged), rc.digest, `${staged} is not the RC's digest`);
    assert.equal(l.get(stable), undefined, `${stable} exists before staging validated it`);
    // Staging verifies the promote key (every stage after the first does): the digest carries both signatures.
    assert.ok(b.verifiedBy(rc.digest, b.keys.promote), "not signed by the promote key");

    const tStSelected = await b.waitSelected(staging, stagedRev);
    const tStHealthy = await b.waitApplied(staging, stagedRev);
    const src = await staging.kube.mustGet(SOURCE.api, SOURCE.kind, FLUX_NAMESPACE, SOURCE.name);
    assert.equal(condition(src, "SourceVerified")?.status, "True", JSON.stringify(src.status));
    const report = await b.waitDispatch(stagedRev);
    assert.equal(payloadOf(report.d).metadata?.[STAGE_METADATA_KEY], "staging");
    assert.match(payloadOf(report.d).message ?? "", /^Health check passed/);
    const p2 = succeeded(report.run, "staging's report");
    assert.equal(p2.action, "defer", report.run.log);
    assert.match(report.run.log, /soaks on staging/);
    const since = healthySince(b, "staging", rc.digest);

    // (c) Still soaking: the re-plan defers it, with the time left; nothing is tagged stable.
    const early = await b.replan();
    assert.equal(succeeded(early, "re-plan while soaking").action, "none", early.log);
    assert.match(
      early.log,
      new RegExp(`${staged.replace(/\./g, "\\.")}: defer: .*soaks on staging.*left`),
    );
    assert.ok(Date.now() < since + SOAK_MS, "the soak had passed before the early re-plan");
    assert.equal(b.listing().get(stable), undefined, `${stable} tagged while soaking`);

    // The soak has passed: the next re-plan promotes it into live (stable X.Y.Z, digest-exact), once.
    await sleep(since + SOAK_MS - Date.now() + 1000);
    const tDue = Date.now();
    const due = await b.replan();
    const p3 = succeeded(due, "re-plan after the soak");
    assert.equal(p3.action, "promote", due.log);
    assert.equal(p3.from, "staging");
    assert.equal(p3.version, stable);
    const tPromoted = Date.now();
    l = b.listing();
    assert.equal(l.get(stable), rc.digest, `${stable} is not the staged digest`);
    assert.equal(l.get(`validated-${rc.sha.slice(0, 7)}`), rc.digest);
    assert.equal(l.get(staged), rc.digest, "the stage tag moved");
    const closed = soakRecord(b, "staging", rc.digest).statuses.at(-1);
    assert.equal(closed?.state, "success");
    assert.match(closed?.description ?? "", /^promoted to live/);
    const live = b.githubApi.deployments.filter(
      (d) => d.environment === "live" && d.task !== SOAK_TASK,
    );
    assert.match(JSON.stringify(live.at(-1)?.payload), new RegExp(rc.digest));

    const liveRev = revisionOf(stable, rc.digest);
    const tLiveSelected = await b.waitSelected(b.live, liveRev);
    const tLive = await b.waitApplied(b.live, liveRev);
    // Nothing more to do: a further re-plan finds the record closed, and each gate reported the digest once.
    assert.equal(succeeded(await b.replan(), "re-plan after").action, "none");
    await expectDispatches(b, rc.digest, [
      { revision: rev, severity: "info" },
      { revision: stagedRev, stage: "staging", severity: "info" },
    ]);
    assert.equal(b.listing().get(stable), rc.digest);

    console.log(
      [
        `      lead time per stage, push to live applied (canary-checker played, @every 60s; staging soak ${THREE_STAGES[1].soak}; the re-plan run when the soak was due, GitHub's schedule runs it within 10 min):`,
        `        integration  push -> selected          ${seconds(tIntSelected - rc.at)}`,
        `                     selected -> gate healthy  ${seconds(tIntHealthy - tIntSelected)}`,
        `                     healthy -> staging tag    ${seconds(tStaged - tIntHealthy)} (dispatch, stage-plan, retag)`,
        `        staging      tag -> selected           ${seconds(tStSelected - tStaged)}`,
        `                     selected -> gate healthy  ${seconds(tStHealthy - tStSelected)}`,
        `                     healthy -> soak passed    ${seconds(since + SOAK_MS - tStHealthy)} (soak from the gate's event time)`,
        `                     soak due -> stable tag    ${seconds(tPromoted - tDue)} (re-plan, retag)`,
        `        live         stable -> selected        ${seconds(tLiveSelected - tPromoted)}`,
        `                     selected -> gate healthy  ${seconds(tLive - tLiveSelected)}`,
        `        total (stages: ${seconds(tIntHealthy - rc.at)} integration, ${seconds(tPromoted - tIntHealthy)} staging, ${seconds(tLive - tPromoted)} live)  ${seconds(tLive - t0)}`,
      ].join("\n"),
    );
  });

  it("a failure on staging during the soak stops it there: the re-plan after the soak promotes nothing, live keeps its version, no tag moves", async (b) => {
    await readyStages(b);
    if (!b.newestStable()) {
      await b.seedStable(commitOf("stages-seed"));
      await b.settle();
    }
    const staging = b.cluster("staging");
    const liveBefore = await b.serving(b.live);
    assert.ok(liveBefore.applied, "live runs nothing");
    const before = b.listing();
    const rc = await b.build(commitOf("stages-staging-fails"));
    const rev = revisionOf(rc.tag, rc.digest);
    const staged = stageTag("staging", rc.tag);
    const stagedRev = revisionOf(staged, rc.digest);
    await b.waitSelected(b.integration, rev);
    await b.waitApplied(b.integration, rev);
    assert.equal(
      succeeded((await b.waitDispatch(rev)).run, "promote into staging").action,
      "promote",
    );
    await b.waitSelected(staging, stagedRev);
    await b.waitApplied(staging, stagedRev);
    const healthy = await b.waitDispatch(stagedRev);
    assert.equal(succeeded(healthy.run, "staging's report").action, "defer");
    const since = healthySince(b, "staging", rc.digest);
    // kustomize-controller checks health only when it reconciles: a soaking stage's gate does so every quarter
    // of the soak (30 s at the most often; lib/stages/soak.ts soakGateInterval), the others every 10m.
    const intervalOf = async (c: typeof staging) =>
      (
        (await c.kube.mustGet(GATE.api, GATE.kind, FLUX_NAMESPACE, GATE.name)).spec as {
          interval: string;
        }
      ).interval;
    assert.equal(await intervalOf(staging), "30s");
    assert.equal(await intervalOf(b.integration), "10m");

    // During the soak a Flux controller Pod of staging fails: the next canary run fails, the gate says so.
    const tFailed = Date.now();
    const failed = await b.failPod(
      staging,
      FLUX_NAMESPACE,
      `app=${FLUX_DEPLOYMENTS.find((d) => d.startsWith("kustomize"))!}`,
    );
    try {
      const failure = await b.waitFor(
        "staging's gate failure to reach the promote workflow",
        () =>
          Promise.resolve(b.dispatches(rc.digest).find((d) => payloadOf(d).severity === "error")),
        240_000,
      );
      assert.equal(payloadOf(failure).metadata?.revision, stagedRev);
      assert.match(payloadOf(failure).message ?? "", /^health check failed/);
      const failedAtMs = Date.parse(
        String((failure.clientPayload as { timestamp?: string }).timestamp),
      );
      assert.ok(
        failedAtMs < since + SOAK_MS,
        `the failure was reported ${seconds(failedAtMs - since)} after the soak started, not during it`,
      );
      console.log(
        `      staging: healthy, Pod failed ${seconds(tFailed - since)} later, gate failure reported ${seconds(failedAtMs - since)} after the soak started (soak ${THREE_STAGES[1].soak})`,
      );
      const stopped = await b.promotions.find((p) => p.dispatch === failure)!.result;
      assert.equal(succeeded(stopped, "staging's failure report").action, "stopped", stopped.log);
      const gate = await staging.kube.mustGet(GATE.api, GATE.kind, FLUX_NAMESPACE, GATE.name);
      assert.equal(condition(gate, "Ready")?.status, "False");
      const failedAt = soakRecord(b, "staging", rc.digest).statuses.find((s) =>
        /^failed at /.test(s.description ?? ""),
      );
      assert.ok(failedAt, "no failure in the soak record");

      // The soak would have passed by now had the gate stayed healthy; the re-plan promotes nothing.
      await sleep(Math.max(0, since + SOAK_MS - Date.now() + 1000));
      const replan = await b.replan();
      assert.equal(succeeded(replan, "re-plan after the soak time").action, "none", replan.log);
      assert.match(
        replan.log,
        new RegExp(`${staged.replace(/\./g, "\\.")}: stopped: .*failed on staging`),
      );
      // The WHOLE listing: only the build's tags and the stage tag are new (no X.Y.Z, no validated-<7>).
      b.expectOnlyBuildTagsAdded(before, rc, [staged]);
      const after = b.listing();
      assert.equal(after.get(staged), rc.digest);
      assert.deepEqual(await b.serving(b.live), liveBefore, "live moved");
    } finally {
      // The box stays usable: the failed Pod goes (its ReplicaSet already replaced it).
      await staging.kube.delete("v1", "Pod", FLUX_NAMESPACE, failed);
      await staging.waitPodsReady(b.procs, FLUX_NAMESPACE, "app.kubernetes.io/part-of=flux", 3);
    }
  });

  it("a closed window on staging defers the promotion (not dropped); opened through configuration (pulumi up), the re-plan promotes it, once", async (b) => {
    // A soak another scenario left may run out meanwhile: this one asserts on its own digest only.
    await readyStages(b, false);
    // A window that is closed now and for two more days: the whole day three days from now (UTC).
    const day = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][
      (new Date().getUTCDay() + 3) % 7
    ]!;
    const closedWindow = `${day} 00:00-24:00 UTC`;
    const tConfig = Date.now();
    assert.ok(
      await b.reconfigure({
        stages: [THREE_STAGES[0], { ...THREE_STAGES[1], windows: [closedWindow] }, THREE_STAGES[2]],
      }),
    );
    console.log(
      `      window closed by configuration (pulumi up, 3 stacks): ${seconds(Date.now() - tConfig)}`,
    );
    await b.settle();
    const staging = b.cluster("staging");
    const stagingBefore = await b.serving(staging);
    const rc = await b.build(commitOf("stages-window"));
    const rev = revisionOf(rc.tag, rc.digest);
    const staged = stageTag("staging", rc.tag);
    await b.waitSelected(b.integration, rev);
    await b.waitApplied(b.integration, rev);
    const { run } = await b.waitDispatch(rev);
    const p1 = succeeded(run, "promote while the window is closed");
    assert.equal(p1.action, "defer", run.log);
    assert.match(run.log, new RegExp(`staging's window is closed \\(opens `));
    assert.equal(b.listing().get(staged), undefined, `${staged} tagged through a closed window`);
    // Deferred, not dropped: the re-plan still sees it waiting.
    const again = await b.replan();
    assert.equal(succeeded(again, "re-plan, window closed").action, "none");
    assert.match(
      again.log,
      new RegExp(`${rc.tag.replace(/\./g, "\\.")}: defer: staging's window is closed`),
    );
    assert.equal(b.listing().get(staged), undefined);
    assert.deepEqual(await b.serving(staging), stagingBefore, "staging moved");

    // The window opens: the user changes it in Pulumi.yaml and runs pulumi up; the next re-plan promotes.
    const tOpen = Date.now();
    assert.ok(await b.reconfigure({ stages: THREE_STAGES }));
    const tConfigured = Date.now();
    const open = await b.replan();
    const p2 = succeeded(open, "re-plan, window open");
    assert.equal(p2.action, "promote", open.log);
    assert.equal(p2.from, "integration");
    assert.equal(p2.tags, staged);
    assert.equal(b.listing().get(staged), rc.digest);
    const stagedRev = revisionOf(staged, rc.digest);
    const tSelected = await b.waitSelected(staging, stagedRev);
    await b.waitApplied(staging, stagedRev);
    // Once: the next re-plan has nothing to do for it, and integration reported it once.
    const after = await b.replan();
    assert.notEqual(succeeded(after, "re-plan after").digest, rc.digest, after.log);
    // Its record on integration (kept because staging has a window) is closed by the promotion.
    assert.match(
      soakRecord(b, "integration", rc.digest).statuses.at(-1)?.description ?? "",
      /^promoted to staging at /,
    );
    assert.equal(b.listing().get(staged), rc.digest);
    const fromIntegration = () =>
      b
        .dispatches(rc.digest)
        .filter((d) => payloadOf(d).metadata?.[STAGE_METADATA_KEY] === undefined);
    await sleep(
      Math.max(0, fromIntegration()[0]!.at.getTime() + (await b.quietWindowMs()) - Date.now()),
    );
    assert.deepEqual(
      fromIntegration().map((d) => payloadOf(d).metadata?.revision),
      [rev],
      "integration reported the RC more than once",
    );
    console.log(
      `      window opened by configuration: pulumi up (3 stacks) ${seconds(tConfigured - tOpen)}, re-plan -> staging selects ${seconds(tSelected - tConfigured)} (${OPEN_WINDOW})`,
    );
  });
});
