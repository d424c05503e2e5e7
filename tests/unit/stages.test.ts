/**
 * Issue 21: stages in configuration (item 1), their channels (item 2), soak (item 3) and windows (item 4),
 * the pure parts (lib/stages, lib/config/stages.ts).
 */
import { strict as assert } from "node:assert";
import fc from "fast-check";
import { ConfigError, validateConfig, type RawConfig, type StageSpec } from "../../lib/config";
import { selectTag } from "../../lib/flux/select";
import {
  promotionTags,
  promotionTargets,
  rcOfStageTag,
  sourceStage,
  stageFilter,
  stageRef,
  stageTag,
} from "../../lib/stages/channel";
import { formatDuration, parseDuration } from "../../lib/stages/duration";
import { describeSoak, soakGateInterval, soakStatus } from "../../lib/stages/soak";
import { goDurationSeconds } from "../../lib/k8s/gate";
import {
  isOpen,
  isWindowOpen,
  nextOpening,
  parseWindow,
  WindowError,
} from "../../lib/stages/window";

const NOW = new Date("2026-11-23T12:00:00Z");

/** integration -> staging -> live, the configuration the flux suite's three-cluster proof uses. */
export const THREE_STAGES = {
  clusters: {
    integration: { role: "integration" },
    staging: { role: "stage" },
    live: { role: "live" },
  },
  stages: [
    { name: "integration", clusters: ["integration"] },
    {
      name: "staging",
      clusters: ["staging"],
      soak: "10m",
      windows: ["Mon-Fri 09:00-16:00 Europe/Berlin"],
    },
    { name: "live", clusters: ["live"] },
  ],
};

function raw(stack: string, p: Record<string, unknown> = {}): RawConfig {
  return {
    stack,
    pipeline: {
      registry: "ghcr.io",
      owner: "example-org",
      repository: "platform",
      clusters: { integration: { role: "integration" }, live: { role: "live" } },
      ...p,
    },
    ...(stack === "integration" || stack === "staging"
      ? { dispatchTokenSecret: "github-dispatch-token" }
      : {}),
  };
}

/** The integration stack of THREE_STAGES, with the stages at the given positions replaced. */
/** Zones without daylight saving time (UTC, Kolkata at +05:30), with it (Berlin, New York) and Lord Howe (a 30-minute shift). */
const TIME_ZONES = [
  "UTC",
  "Europe/Berlin",
  "America/New_York",
  "Asia/Kolkata",
  "Australia/Lord_Howe",
];

function threeStagesWith(replaced: Record<number, Record<string, unknown>>): RawConfig {
  return raw("integration", {
    ...THREE_STAGES,
    stages: THREE_STAGES.stages.map((s, i) => replaced[i] ?? s),
  });
}

function problems(r: RawConfig): string[] {
  try {
    validateConfig(r, NOW);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems.map((p) => `${p.key} | ${JSON.stringify(p.value)} | ${p.problem} | ${p.fix}`);
  }
  assert.fail("expected the configuration to be rejected");
}

function expectProblem(r: RawConfig, key: string, ...fragments: string[]): void {
  const list = problems(r);
  const hit = list.find((l) => l.startsWith(`${key} |`) && fragments.every((f) => l.includes(f)));
  assert.ok(
    hit,
    `no problem for ${key} with ${JSON.stringify(fragments)}; got:\n${list.join("\n")}`,
  );
}

const stage = (name: string, gatesNext = true, soakMs = 0): StageSpec => ({
  name,
  clusters: [name],
  gatesNext,
  soak: `${soakMs / 1000}s`,
  soakMs,
  windows: [],
});

describe("stages: configuration (pipeline.stages)", () => {
  it("defaults to integration -> live from the roles, with no soak and no window", () => {
    const cfg = validateConfig(raw("integration"), NOW);
    assert.deepEqual(
      cfg.pipeline.stages.map((s) => [s.name, s.clusters, s.gatesNext, s.soakMs, s.windows.length]),
      [
        ["integration", ["integration"], true, 0, 0],
        ["live", ["live"], false, 0, 0],
      ],
    );
  });

  it("an explicit integration -> live list validates to the same pipeline as the default", () => {
    const implicit = validateConfig(raw("live"), NOW);
    const explicit = validateConfig(
      raw("live", {
        stages: [
          { name: "integration", clusters: ["integration"] },
          { name: "live", clusters: ["live"] },
        ],
      }),
      NOW,
    );
    assert.deepEqual(explicit.pipeline, implicit.pipeline);
  });

  it("gives an intermediate stage's clusters the stage channel, and keeps the first and last as they are", () => {
    const cfg = validateConfig(raw("staging", THREE_STAGES), NOW);
    const by = new Map(cfg.pipeline.clusters.map((c) => [c.name, c]));
    assert.deepEqual(
      [by.get("integration")!.semver, by.get("integration")!.semverFilter],
      [">= 0.0.0-0", undefined],
    );
    assert.deepEqual(
      [by.get("live")!.semver, by.get("live")!.semverFilter],
      [">= 0.0.0", undefined],
    );
    assert.deepEqual(
      [by.get("staging")!.semver, by.get("staging")!.semverFilter],
      [">= 0.0.0-0", stageFilter("staging")],
    );
    const staging = cfg.pipeline.stages[1]!;
    assert.equal(staging.soakMs, 600_000);
    assert.equal(staging.windows[0]!.zone, "Europe/Berlin");
    assert.ok(
      cfg.dispatchToken,
      "a gating intermediate stage dispatches, so its stack takes the token",
    );
  });

  it("refuses duplicate names, a cluster in two stages or in none, and wrong roles, naming key, value and fix", () => {
    expectProblem(
      threeStagesWith({ 1: { ...THREE_STAGES.stages[1], name: "integration" } }),
      "promotion-pipeline:pipeline.stages[1].name",
      "names another stage too",
      "unique",
    );
    expectProblem(
      threeStagesWith({ 1: { name: "staging", clusters: ["staging", "integration"] } }),
      "promotion-pipeline:pipeline.stages[1].clusters",
      "already in stage integration",
      "exactly one stage",
    );
    expectProblem(
      threeStagesWith({
        1: { name: "staging", clusters: ["live"] },
        2: { name: "live", clusters: ["staging"] },
      }),
      "promotion-pipeline:pipeline.clusters.live.role",
      "does not fit stage staging",
      "set role: stage",
    );
    expectProblem(
      raw("integration", {
        ...THREE_STAGES,
        stages: [THREE_STAGES.stages[0], THREE_STAGES.stages[2]],
      }),
      "promotion-pipeline:pipeline.clusters.staging",
      "is in no stage",
      "add staging to the clusters of one stage",
    );
    expectProblem(
      threeStagesWith({ 2: { name: "live", clusters: ["nope"] } }),
      "promotion-pipeline:pipeline.stages[2].clusters",
      "is not a cluster of pipeline.clusters",
    );
  });

  it("refuses a last stage that is not the stable channel, and a stage cluster without stages", () => {
    expectProblem(
      raw("integration", {
        clusters: { integration: { role: "integration" }, staging: { role: "stage" } },
        stages: [
          { name: "integration", clusters: ["integration"] },
          { name: "staging", clusters: ["staging"] },
        ],
      }),
      "promotion-pipeline:pipeline.clusters.staging.role",
      "the last stage is the stable channel",
      "set role: live",
    );
    expectProblem(
      raw("integration", { clusters: THREE_STAGES.clusters }),
      "promotion-pipeline:pipeline.clusters.staging.role",
      "needs pipeline.stages",
    );
    expectProblem(
      raw("integration", {
        clusters: { ...THREE_STAGES.clusters, staging: { role: "stage", semver: ">= 1.0.0" } },
        stages: THREE_STAGES.stages,
      }),
      "promotion-pipeline:pipeline.clusters.staging.semver",
      "follows its stage's channel",
    );
  });

  it("refuses bad windows, soak and gatesNext with the syntax in the fix", () => {
    const with1 = (s: Record<string, unknown>): RawConfig =>
      threeStagesWith({ 1: { ...THREE_STAGES.stages[1], ...s } });
    expectProblem(
      with1({ windows: ["Mon-Fri 09:00-16:00"] }),
      "promotion-pipeline:pipeline.stages[1].windows[0]",
      "not three",
      "Mon-Fri 09:00-16:00 Europe/Berlin",
    );
    expectProblem(
      with1({ windows: ["Mon-Fri 09:00-16:00 Mars/Olympus"] }),
      "promotion-pipeline:pipeline.stages[1].windows[0]",
      "not an IANA zone",
    );
    expectProblem(
      with1({ windows: ["Mon-Fri 16:00-09:00 UTC"] }),
      "promotion-pipeline:pipeline.stages[1].windows[0]",
      "two windows",
    );
    expectProblem(
      with1({ windows: ["Mon-Fry 09:00-16:00 UTC"] }),
      "promotion-pipeline:pipeline.stages[1].windows[0]",
      "Mon..Sun",
    );
    expectProblem(
      with1({ soak: "2d" }),
      "promotion-pipeline:pipeline.stages[1].soak",
      "not a duration",
      "48h",
    );
    expectProblem(
      threeStagesWith({ 0: { ...THREE_STAGES.stages[0], gatesNext: false } }),
      "promotion-pipeline:pipeline.stages[0].gatesNext",
      "nothing would ever be promoted",
    );
    expectProblem(
      threeStagesWith({ 2: { ...THREE_STAGES.stages[2], soak: "1h" } }),
      "promotion-pipeline:pipeline.stages[2].soak",
      "last stage",
    );
    expectProblem(
      threeStagesWith({ 0: { ...THREE_STAGES.stages[0], windows: ["* 00:00-24:00 UTC"] } }),
      "promotion-pipeline:pipeline.stages[0].windows",
      "receives builds",
    );
  });
});

describe("stages: windows", () => {
  it("parses the one syntax and knows days, ranges over the week end, and DST through Intl", () => {
    const w = parseWindow("Mon-Fri 09:00-16:00 Europe/Berlin");
    assert.deepEqual(w.days, ["Mon", "Tue", "Wed", "Thu", "Fri"]);
    assert.deepEqual(parseWindow("Fri-Mon 22:00-24:00 UTC").days, ["Mon", "Fri", "Sat", "Sun"]);
    // 2026-11-23 is a Monday; Berlin is UTC+1 in winter, UTC+2 in summer.
    assert.equal(isWindowOpen(w, new Date("2026-11-23T07:59:00Z")), false);
    assert.equal(isWindowOpen(w, new Date("2026-11-23T08:00:00Z")), true);
    assert.equal(isWindowOpen(w, new Date("2026-11-23T14:59:00Z")), true);
    assert.equal(isWindowOpen(w, new Date("2026-11-23T15:00:00Z")), false);
    assert.equal(
      isWindowOpen(w, new Date("2026-07-06T07:00:00Z")),
      true,
      "summer time: 09:00 local is 07:00Z",
    );
    assert.equal(isWindowOpen(w, new Date("2026-11-28T10:00:00Z")), false, "a Saturday");
    assert.throws(() => parseWindow("Mon 09:00-16:00 +01:00"), WindowError);
    assert.equal(isOpen([], NOW), true, "no window: always open");
  });

  it("finds the next opening: Friday evening defers to Monday 09:00 Berlin", () => {
    const w = [parseWindow("Mon-Fri 09:00-16:00 Europe/Berlin")];
    const fri = new Date("2026-11-27T17:30:00Z");
    assert.equal(nextOpening(w, fri)?.toISOString(), "2026-11-30T08:00:00.000Z");
    assert.equal(
      nextOpening(w, new Date("2026-11-30T09:00:00Z"))?.toISOString(),
      "2026-11-30T09:00:00.000Z",
    );
  });

  it("the next opening is open and nothing before it is (property, random instants and windows)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom(...TIME_ZONES),
        fc.integer({ min: Date.parse("2026-01-01"), max: Date.parse("2027-12-31") }),
        (d1, d2, h, len, zone, t) => {
          const days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
          const end = Math.min(24, h + len);
          const w = parseWindow(
            `${days[d1]}-${days[d2]} ${String(h).padStart(2, "0")}:00-${String(end).padStart(2, "0")}:00 ${zone}`,
          );
          const from = new Date(t);
          const at = nextOpening([w], from);
          assert.ok(at, "a window opens within a week");
          assert.ok(isWindowOpen(w, at));
          if (at.getTime() > from.getTime())
            assert.ok(!isWindowOpen(w, new Date(at.getTime() - 60_000)));
        },
      ),
      { numRuns: 60, seed: 21 },
    );
  });
});

describe("stages: soak", () => {
  it("durations", () => {
    assert.equal(parseDuration("1h30m"), 5_400_000);
    assert.equal(parseDuration("0"), 0);
    assert.equal(parseDuration("2d"), undefined);
    assert.equal(formatDuration(5_401_000), "1h 30m 1s");
  });

  it("passes only after the soak time of continuous health; a failure stops it; recovery restarts the clock", () => {
    const soak = 30 * 60_000;
    const h = (at: string, healthy = true): { at: string; healthy: boolean } => ({ at, healthy });
    assert.deepEqual(soakStatus([], soak, NOW), { state: "none" });
    const s1 = soakStatus([h("2026-11-23T11:45:00Z")], soak, NOW);
    assert.equal(s1.state, "soaking");
    assert.equal(s1.state === "soaking" && s1.remainingMs, 15 * 60_000);
    assert.match(describeSoak("staging", soak, s1), /15m left/);
    assert.equal(soakStatus([h("2026-11-23T11:30:00Z")], soak, NOW).state, "passed");
    assert.deepEqual(
      soakStatus([h("2026-11-23T11:00:00Z"), h("2026-11-23T11:50:00Z", false)], soak, NOW),
      {
        state: "stopped",
        failedAt: "2026-11-23T11:50:00Z",
      },
    );
    const again = soakStatus(
      [h("2026-11-23T11:00:00Z"), h("2026-11-23T11:20:00Z", false), h("2026-11-23T11:40:00Z")],
      soak,
      NOW,
    );
    assert.equal(again.state, "soaking", "the clock restarts at the recovery, 11:40");
    assert.equal(again.state === "soaking" && again.since, "2026-11-23T11:40:00Z");
  });

  it("a soaking stage's gate reconciles (re-checks health) at least four times per soak, 30 s at the most often, never less often than the default", () => {
    // kustomize-controller checks health only when it reconciles: under the default 10m a 2m soak saw no check.
    assert.equal(soakGateInterval(0), undefined);
    assert.equal(soakGateInterval(60_000), "30s");
    assert.equal(soakGateInterval(120_000), "30s");
    assert.equal(soakGateInterval(600_000), "150s");
    assert.equal(soakGateInterval(30 * 60_000), "450s");
    assert.equal(soakGateInterval(40 * 60_000), undefined, "10m, the default");
    assert.equal(soakGateInterval(48 * 3600_000), undefined);
    for (const soakMs of [60_000, 120_000, 600_000, 30 * 60_000, 39 * 60_000]) {
      const s = goDurationSeconds(soakGateInterval(soakMs)!);
      assert.ok(s >= 30 && s <= 600 && (s * 4 <= soakMs / 1000 || s === 30), `${soakMs}: ${s}`);
    }
  });
});

describe("stages: channels and tags (lib/stages/channel.ts)", () => {
  const stages = [
    stage("integration"),
    stage("staging"),
    stage("eu-wave", false),
    stage("live", false),
  ];

  it("refs: the first and last as configured, an intermediate stage anchored to its own tags", () => {
    assert.deepEqual(stageRef(stages, "integration"), { semver: ">= 0.0.0-0" });
    assert.deepEqual(stageRef(stages, "live"), { semver: ">= 0.0.0" });
    assert.deepEqual(stageRef(stages, "staging"), {
      semver: ">= 0.0.0-0",
      semverFilter:
        "^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)-0\\.staging\\.(0|[1-9][0-9]*)$",
    });
  });

  it("tags: a promotion into a stage names the RC; the last stage gets validated-<7> and X.Y.Z", () => {
    assert.equal(stageTag("staging", "1.4.2-rc.3"), "1.4.2-0.staging.3");
    assert.equal(rcOfStageTag(stages, "staging", "1.4.2-0.staging.3"), "1.4.2-rc.3");
    assert.equal(rcOfStageTag(stages, "staging", "1.4.2-0.eu-wave.3"), undefined);
    assert.equal(rcOfStageTag(stages, "integration", "1.4.2"), undefined);
    assert.deepEqual(promotionTags(stages, "live", "1.4.2-rc.3", "abc1234"), [
      "validated-abc1234",
      "1.4.2",
    ]);
    assert.deepEqual(
      promotionTargets(stages, "integration").map((s) => s.name),
      ["staging"],
    );
    assert.deepEqual(
      promotionTargets(stages, "staging").map((s) => s.name),
      ["eu-wave", "live"],
      "eu-wave does not gate: live comes with it",
    );
    assert.deepEqual(promotionTargets(stages, "eu-wave"), []);
    assert.equal(sourceStage(stages, "live")?.name, "staging");
  });

  it("through Flux's selection: each stage takes only its own channel, and the first stage still takes the newest RC", () => {
    const tags = [
      "1.4.1",
      "validated-aaaaaaa",
      "1.4.2-rc.1",
      "1.4.2-rc.2",
      "1.4.2-rc.3",
      "sha-bbbbbbb",
      "1.4.2-0.staging.1",
      "1.4.2-0.staging.2",
      "1.4.2-0.eu-wave.1",
      "v1.4.2-0.staging.9",
      "1.4.2-0.staging.9+x",
      "1.4.2-0.staging.10.0",
      "1.4.2-0.stagingx.11",
      "latest",
    ];
    const sel = (stageName: string): string | undefined => {
      const r = stageRef(stages, stageName);
      return selectTag(tags, r.semver, r.semverFilter);
    };
    assert.equal(sel("integration"), "1.4.2-rc.3", "rc.3 outranks every 1.4.2-0.<stage>.N");
    assert.equal(
      sel("staging"),
      "1.4.2-0.staging.2",
      "only tags this program makes; hand tags are filtered out",
    );
    assert.equal(sel("eu-wave"), "1.4.2-0.eu-wave.1");
    assert.equal(sel("live"), "1.4.1");
  });
});
