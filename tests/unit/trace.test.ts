import { strict as assert } from "node:assert";
import { runWith } from "../../lib/cli/trace";
import { EXIT_CODES, formatTrace, traceCommit, type TraceInput } from "../../lib/status/trace";
import { shortSha, twoReleasesAndTwoRcs } from "../support/history";
import { integrationAndLive } from "../support/clusters";

const NOW = new Date("2026-12-01T12:00:00Z");
const clusters = integrationAndLive();
const { tags, digestOf } = twoReleasesAndTwoRcs();

function trace(n: number | string, over: Partial<TraceInput> = {}) {
  return traceCommit({
    commit: typeof n === "number" ? `${shortSha(n)}0123` : n,
    tags,
    created: new Map([[digestOf(8), new Date("2026-12-01T09:00:00Z")]]),
    clusters,
    now: NOW,
    rcWaitHours: 24,
    ...over,
  });
}

describe("trace (pure)", () => {
  it("promoted and on live: every stage reached, exit 0", () => {
    const t = trace(6);
    assert.equal(t.verdict, "live");
    assert.equal(t.stoppedAt, undefined);
    assert.deepEqual(
      t.stages.map((s) => s.reached),
      [true, true, true, true, true],
    );
    assert.equal(t.stable, "0.0.2");
    assert.deepEqual(t.rcTags, ["0.0.2-rc.3"]);
    assert.equal(EXIT_CODES[t.verdict], 0);
    assert.match(formatTrace(t), /live {9}reached {6}live selects 0\.0\.2\non live \(live\)\n$/);
  });

  it("promoted earlier, live has moved on to a newer stable: still reached live", () => {
    const t = trace(3);
    assert.equal(t.verdict, "live");
    assert.match(t.stages[4]!.detail, /live has moved on to 0\.0\.2/);
  });

  it("superseded: an older RC never validated; integration selects a newer one", () => {
    const t = trace(7);
    assert.equal(t.stoppedAt, "integration");
    assert.equal(t.verdict, "stopped");
    assert.match(t.reason!, /^superseded: integration selects 0\.0\.3-rc\.2, a newer candidate/);
    assert.equal(EXIT_CODES[t.verdict], 4);
  });

  it("waiting: the newest RC, integration selects it, within the wait limit: in progress (exit 3)", () => {
    const t = trace(8);
    assert.equal(t.stoppedAt, "validated");
    assert.equal(t.verdict, "in-progress");
    assert.match(t.reason!, /^waiting for integration's gate \(built 3h 0m ago\)/);
    assert.equal(t.stages[0]!.at, "2026-12-01T09:00:00.000Z");
    assert.equal(EXIT_CODES[t.verdict], 3);
  });

  it("stalled: the newest RC waited past the limit", () => {
    const t = trace(8, { now: new Date("2026-12-02T10:00:00Z") });
    assert.equal(t.verdict, "stopped");
    assert.match(
      t.reason!,
      /^stalled: waiting for integration's gate for 25h 0m \(more than 24h\)/,
    );
  });

  it("failed the gate: integration read with Ready=False on this revision", () => {
    const rev = `0.0.3-rc.2@${digestOf(8)}`;
    const t = trace(8, {
      observed: new Map([
        [
          "integration",
          {
            sourceRevision: rev,
            gate: {
              ready: "False",
              reason: "HealthCheckFailed",
              message: "Canary platform-validation failed",
              lastAttemptedRevision: rev,
              lastAppliedRevision: rev,
            },
          },
        ],
      ]),
    });
    assert.equal(t.stoppedAt, "validated");
    assert.equal(t.verdict, "stopped");
    assert.match(
      t.reason!,
      /^failed the gate on integration: Kustomization Ready=False \(HealthCheckFailed\): Canary platform-validation failed/,
    );
    assert.match(t.stages[1]!.detail, /integration selects it; integration applied it/);
  });

  it("live pinned: stable but live pinned to an older version", () => {
    const t = trace(6, {
      clusters: [
        clusters[0]!,
        { ...clusters[1]!, pin: { tag: "0.0.1", reason: "INC-9", expires: "2026-12-24" } },
      ],
    });
    assert.equal(t.stoppedAt, "live");
    assert.equal(t.reason, "live pinned: live is pinned to 0.0.1 until 2026-12-24: INC-9.");
  });

  it("stable but live not running it yet (cluster read): in progress", () => {
    const t = trace(6, {
      observed: new Map([
        ["live", { sourceRevision: `0.0.1@${digestOf(3)}`, gate: { ready: "True" } }],
      ]),
    });
    assert.equal(t.verdict, "in-progress");
    assert.match(t.reason!, /live runs 0\.0\.1@sha256:.*picks 0\.0\.2 up on its next reconcile/);
  });

  it("stale: validated after a newer stable; never tagged stable", () => {
    const t2 = new Map(tags);
    t2.set(`validated-${shortSha(2)}`, digestOf(2));
    const t = trace(2, { tags: t2 });
    assert.equal(t.stoppedAt, "stable");
    assert.match(t.reason!, /^stale: 0\.0\.2 is newer than 0\.0\.1-rc\.2/);
  });

  it("unknown commit: exit 5; malformed commit throws", () => {
    const t = trace("abcdef0123");
    assert.equal(t.verdict, "unknown-commit");
    assert.equal(t.stoppedAt, "built");
    assert.equal(EXIT_CODES[t.verdict], 5);
    assert.throws(() => trace("xyz"), /commit "xyz" is not a commit SHA \(7 to 40 hex\)/);
  });
});

describe("promotion trace (CLI usage)", () => {
  const io = { stdout: () => undefined, stderr: () => undefined, stdin: () => Promise.resolve("") };
  const never = () => {
    throw new Error("the registry must not be read on a usage error");
  };
  it("a bad --rc-wait-hours or no commit is a usage error, before any read", async () => {
    await assert.rejects(
      runWith(["abcdef0", "--rc-wait-hours", "0"], io, { registry: never }),
      /--rc-wait-hours must be a whole number of hours >= 1, not "0"\./,
    );
    await assert.rejects(runWith([], io, { registry: never }), /give exactly one commit SHA\./);
  });
});
