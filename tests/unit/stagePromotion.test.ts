/** Issue 21 items 2-4: the promotion between stages (lib/stages/promote.ts) and the soak records (record.ts). */
import { strict as assert } from "node:assert";
import type { StageSpec } from "../../lib/config";
import { decideStagePromotion, type StagePromotionInput } from "../../lib/stages/promote";
import {
  historyOf,
  promotedStatusRequest,
  reportStatusRequest,
  soakDeploymentRequest,
  soakRecordsOf,
} from "../../lib/stages/record";
import { parseWindow } from "../../lib/stages/window";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;
const D0 = `sha256:${"0".repeat(64)}`;
const gate = { name: "platform", namespace: "flux-system" };
const MON_NOON = new Date("2026-11-23T12:00:00Z");
const SAT = new Date("2026-11-28T12:00:00Z");

const stages: StageSpec[] = [
  {
    name: "integration",
    clusters: ["integration"],
    gatesNext: true,
    soak: "0s",
    soakMs: 0,
    windows: [],
  },
  {
    name: "staging",
    clusters: ["staging"],
    gatesNext: true,
    soak: "30m",
    soakMs: 1_800_000,
    windows: [parseWindow("Mon-Fri 09:00-16:00 Europe/Berlin")],
  },
  {
    name: "live",
    clusters: ["live"],
    gatesNext: false,
    soak: "0s",
    soakMs: 0,
    windows: [parseWindow("Mon-Thu 10:00-15:00 UTC")],
  },
];

const listing = (extra: Record<string, string> = {}): Map<string, string> =>
  new Map(
    Object.entries({
      "1.4.1": D0,
      "validated-0000000": D0,
      "sha-0000000": D0,
      "1.4.2-rc.1": D1,
      "sha-1111111": D1,
      "integration-1111111": D1,
      ...extra,
    }),
  );

const input = (o: Partial<StagePromotionInput>): StagePromotionInput => ({
  stages,
  from: "integration",
  revision: { tag: "1.4.2-rc.1", digest: D1 },
  listing: listing(),
  history: [],
  now: MON_NOON,
  gate,
  ...o,
});

describe("stages: the promotion between stages (decideStagePromotion)", () => {
  it("integration's RC enters staging as X.Y.Z-0.staging.N, inside staging's window", () => {
    const d = decideStagePromotion(input({}));
    assert.equal(d.action, "promote");
    assert.ok(d.action === "promote");
    assert.deepEqual(d.steps, [{ stage: "staging", tags: ["1.4.2-0.staging.1"] }]);
    assert.equal(d.version, undefined);
  });

  it("a closed window defers to its opening (not dropped); an override promotes and is reported", () => {
    const d = decideStagePromotion(input({ now: SAT }));
    assert.equal(d.action, "defer");
    assert.ok(d.action === "defer");
    assert.equal(d.waitingFor, "window");
    assert.equal(d.due, "2026-11-30T08:00:00.000Z", "Monday 09:00 Berlin");
    const o = decideStagePromotion(input({ now: SAT, override: "INC-7: hotfix for the outage" }));
    assert.ok(o.action === "promote");
    assert.equal(o.override, "INC-7: hotfix for the outage");
  });

  it("staging's revision leaves only after 30 minutes of continuous health; a failure stops it", () => {
    const l = listing({ "1.4.2-0.staging.1": D1 });
    const base = {
      from: "staging",
      revision: { tag: "1.4.2-0.staging.1", digest: D1 },
      listing: l,
    };
    const soaking = decideStagePromotion(
      input({ ...base, history: [{ at: "2026-11-23T11:50:00Z", healthy: true }] }),
    );
    assert.ok(soaking.action === "defer");
    assert.equal(soaking.waitingFor, "soak");
    assert.equal(soaking.due, "2026-11-23T12:20:00.000Z");
    assert.match(soaking.reason, /20m left/);
    const stopped = decideStagePromotion(
      input({
        ...base,
        history: [
          { at: "2026-11-23T11:00:00Z", healthy: true },
          { at: "2026-11-23T11:40:00Z", healthy: false },
        ],
      }),
    );
    assert.equal(stopped.action, "stopped");
    const soaked = decideStagePromotion(
      input({ ...base, history: [{ at: "2026-11-23T11:00:00Z", healthy: true }] }),
    );
    assert.ok(soaked.action === "promote", JSON.stringify(soaked));
    assert.deepEqual(soaked.steps, [{ stage: "live", tags: ["validated-1111111", "1.4.2"] }]);
    assert.equal(soaked.version, "1.4.2");
  });

  it("exactly once: a digest already in the target is a no-op; a stage tag is never moved", () => {
    assert.equal(
      decideStagePromotion(input({ listing: listing({ "1.4.2-0.staging.1": D1 }) })).action,
      "noop",
    );
    const moved = decideStagePromotion(input({ listing: listing({ "1.4.2-0.staging.1": D2 }) }));
    assert.equal(moved.action, "refuse");
    const live = decideStagePromotion(
      input({
        from: "staging",
        revision: { tag: "1.4.2-0.staging.1", digest: D1 },
        listing: listing({ "1.4.2-0.staging.1": D1, "1.4.2": D1, "validated-1111111": D1 }),
        history: [{ at: "2026-11-23T10:00:00Z", healthy: true }],
      }),
    );
    assert.equal(live.action, "noop");
  });

  it("digest-exact: ignores what is off the stage's channel, refuses a moved tag", () => {
    assert.equal(
      decideStagePromotion(input({ revision: { tag: "1.4.1", digest: D0 } })).action,
      "ignore",
    );
    assert.equal(
      decideStagePromotion(input({ from: "staging", revision: { tag: "1.4.2-rc.1", digest: D1 } }))
        .action,
      "ignore",
      "staging reporting an RC tag is not staging's channel",
    );
    assert.equal(
      decideStagePromotion(input({ revision: { tag: "1.4.2-rc.1", digest: D2 } })).action,
      "refuse",
    );
    assert.equal(
      decideStagePromotion(input({ from: "live", revision: { tag: "1.4.1", digest: D0 } })).action,
      "ignore",
    );
  });

  it("a stage already on a newer version refuses a stale candidate", () => {
    const d = decideStagePromotion(input({ listing: listing({ "1.4.3-0.staging.1": D2 }) }));
    assert.equal(d.action, "refuse");
    assert.match(d.reason, /stale/);
  });
});

describe("stages: soak records (GitHub Deployments per stage)", () => {
  it("round-trip: deployment payload and statuses give back the stage, digest and reports", () => {
    const body = soakDeploymentRequest({
      stage: "staging",
      digest: D1,
      rc: "1.4.2-rc.1",
      revision: `1.4.2-0.staging.1@${D1}`,
      commit: "1".repeat(40),
    });
    assert.equal(body.environment, "staging");
    const recs = soakRecordsOf([
      { id: 7, payload: JSON.stringify(body.payload), created_at: "2026-11-23T11:00:00Z" },
      { id: 8, payload: { kind: "other" } },
    ]);
    assert.deepEqual(
      recs.map((r) => [r.id, r.stage, r.digest, r.rc]),
      [[7, "staging", D1, "1.4.2-rc.1"]],
    );
    const statuses = [
      reportStatusRequest("staging", { at: "2026-11-23T11:00:00Z", healthy: true }),
      reportStatusRequest("staging", { at: "2026-11-23T11:10:00Z", healthy: false }),
      promotedStatusRequest("staging", ["live"], "2026-11-23T12:00:00Z", undefined, "INC-7"),
    ];
    const h = historyOf(statuses);
    assert.deepEqual(h.reports, [
      { at: "2026-11-23T11:00:00Z", healthy: true },
      { at: "2026-11-23T11:10:00Z", healthy: false },
    ]);
    assert.equal(h.promoted, true);
    assert.match(String(statuses[2]!.description), /override: INC-7/);
  });
});
