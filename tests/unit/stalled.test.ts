import { strict as assert } from "node:assert";
import { join } from "node:path";
import { DEFAULT_WATCH } from "../../lib/config";
import { ConfigError } from "../../lib/errors";
import { watchFile } from "../../lib/workflows/platformFiles";
import {
  decideWatch,
  issueAction,
  issueBody,
  keyOfBody,
  type WatchDecision,
} from "../../lib/status/stalled";
import { computeStatus, type StatusInput } from "../../lib/status/status";
import { WATCH_WORKFLOW } from "../../lib/workflows/watch";
import { buildHistory, tagMap } from "../support/history";
import { shippedConfig } from "../support/pulumiMocks";
import { integrationAndLive } from "../support/clusters";
import { assertExample, EXAMPLES } from "./support/examples";
import { assertScheduledWorkflow, itParsesAndLints } from "./support/scheduledWorkflow";
import { exampleConfig } from "./support/config";

const NOW = new Date("2026-12-01T12:00:00Z");
const T = { rcWaitHours: 24, pinExpiryDays: 3 };
const clusters = integrationAndLive();

function status(
  over: { pending?: number; builtHoursAgo?: number | null; pinExpires?: string } = {},
) {
  const tags = tagMap(buildHistory({ releases: 1, rcsPerRelease: 2, pending: over.pending ?? 1 }));
  const rc = tags.get("0.0.2-rc.1");
  const built = over.builtHoursAgo === undefined ? 2 : over.builtHoursAgo;
  const input: StatusInput = {
    registry: "ghcr.io",
    repository: "o/platform/platform",
    clusters: over.pinExpires
      ? [
          clusters[0]!,
          { ...clusters[1]!, pin: { tag: "0.0.1", reason: "INC-1", expires: over.pinExpires } },
        ]
      : clusters,
    tags,
    created:
      rc && built !== null
        ? new Map([[rc, new Date(NOW.getTime() - built * 3_600_000)]])
        : new Map(),
    now: NOW,
  };
  return computeStatus(input);
}

describe("pipeline-stalled watch: decision (pure)", () => {
  it("not stalled: the newest RC waits less than the limit", () => {
    assert.deepEqual(decideWatch({ status: status({ builtHoursAgo: 23.9 }) }, T), {
      alarm: false,
      findings: [],
    });
  });

  it("not stalled: nothing waits (the newest RC was promoted), however old", () => {
    assert.deepEqual(
      decideWatch({ status: status({ pending: 0, builtHoursAgo: 500 }) }, T).alarm,
      false,
    );
  });

  it("stalled: the newest RC waited longer than the limit with no newer stable", () => {
    const d = decideWatch({ status: status({ builtHoursAgo: 30 }) }, T);
    assert.equal(d.alarm, true);
    assert.deepEqual(d.findings, [
      {
        kind: "rc-stalled",
        rc: "0.0.2-rc.1",
        waitingHours: 30,
        limitHours: 24,
        newestStable: "0.0.1",
      },
    ]);
    assert.match(
      issueBody(d, "now"),
      /Release candidate 0\.0\.2-rc\.1 has waited 30h 0m for promotion \(limit 24h\); the newest stable is still 0\.0\.1/,
    );
  });

  it("a waiting RC whose build time cannot be read raises the alarm (fail closed)", () => {
    const d = decideWatch({ status: status({ builtHoursAgo: null }) }, T);
    assert.deepEqual(d.findings, [{ kind: "rc-age-unknown", rc: "0.0.2-rc.1" }]);
  });

  it("pin expiring: within pinExpiryDays (or expired); a later pin is fine", () => {
    // Holds through 2026-12-03: 60 h left < 72 h.
    const d = decideWatch({ status: status({ pinExpires: "2026-12-03" }) }, T);
    assert.equal(d.alarm, true);
    assert.deepEqual(
      d.findings.map((f) => f.kind),
      ["pin-expiring"],
    );
    assert.match(
      issueBody(d, "x"),
      /The pin of live \(0\.0\.1: INC-1\) expires on 2026-12-03 \(2d 12h left\)/,
    );
    assert.equal(decideWatch({ status: status({ pinExpires: "2026-12-04" }) }, T).alarm, false);
    assert.match(
      issueBody(decideWatch({ status: status({ pinExpires: "2026-11-30" }) }, T), "x"),
      /expired on 2026-11-30/,
    );
  });

  it("registry down: alarm with the registry's message", () => {
    const d = decideWatch({ registryError: "registry ghcr.io: list tags of o/p/p: HTTP 503" }, T);
    assert.deepEqual(d, {
      alarm: true,
      findings: [
        { kind: "registry-unreadable", message: "registry ghcr.io: list tags of o/p/p: HTTP 503" },
      ],
    });
  });

  it("several alarms at once, sorted", () => {
    const d = decideWatch({ status: status({ builtHoursAgo: 48, pinExpires: "2026-12-01" }) }, T);
    assert.deepEqual(
      d.findings.map((f) => f.kind),
      ["pin-expiring", "rc-stalled"],
    );
  });
});

describe("pipeline-stalled watch: the one issue (pure)", () => {
  const alarm: WatchDecision = decideWatch({ registryError: "down" }, T);
  const clear: WatchDecision = { alarm: false, findings: [] };

  it("alarm, no issue: open one", () => {
    const a = issueAction(alarm, [], "t1", "https://github.com/o/r/actions/runs/9");
    assert.equal(a.kind, "open");
    assert.match(
      a.kind === "open" ? a.body : "",
      /^<!-- promotion-watch registry-unreadable: -->\n.*\(\[run\]\(https:\/\/github\.com\/o\/r\/actions\/runs\/9\)\)/,
    );
  });

  it("alarm, issue open with the same alarms: update the body, no comment, never a second issue", () => {
    const body = issueBody(alarm, "t0");
    const a = issueAction(
      alarm,
      [
        { number: 12, body },
        { number: 7, body },
      ],
      "t1",
    );
    assert.deepEqual(a, { kind: "update", number: 7, body: issueBody(alarm, "t1") });
    assert.equal(keyOfBody(body), "registry-unreadable:");
  });

  it("alarm changed: update and comment", () => {
    const old = issueBody(decideWatch({ status: status({ builtHoursAgo: 30 }) }, T), "t0");
    const a = issueAction(alarm, [{ number: 7, body: old }], "t1");
    assert.equal(a.kind, "update");
    assert.match(
      a.kind === "update" ? (a.comment ?? "") : "",
      /^The alarms changed at t1:\n\n- The registry could not be read: down/,
    );
  });

  it("clear: close the open issue; nothing when none is open", () => {
    assert.deepEqual(issueAction(clear, [{ number: 7, body: "" }], "t2"), {
      kind: "close",
      number: 7,
      comment:
        "Cleared at t2: no release candidate waits past the limit, no pin expires soon and the registry is readable.",
    });
    assert.deepEqual(issueAction(clear, [], "t2"), { kind: "none" });
  });
});

/** The integration stack of example-org/platform, with pipeline.watch when given. */
const cfg = (watch?: unknown) => exampleConfig(watch !== undefined ? { watch } : {});

describe("pipeline-stalled watch: config and workflow", () => {
  it("defaults: hourly, 24 h RC wait, pins expiring within 3 days", () => {
    assert.deepEqual(cfg().pipeline.watch, DEFAULT_WATCH);
    assert.deepEqual(DEFAULT_WATCH, { schedule: "23 * * * *", rcWaitHours: 24, pinExpiryDays: 3 });
  });

  it("bad thresholds fail with the key, the value and the fix", () => {
    assert.throws(
      () => cfg({ rcWaitHours: 0, pinExpiryDays: "soon", schedule: "every hour", extra: 1 }),
      (e: unknown) => {
        const m = (e as ConfigError).message;
        assert.ok(e instanceof ConfigError);
        assert.match(
          m,
          /promotion-pipeline:pipeline\.watch\.rcWaitHours = 0: must be a whole number from 1 to 2160\. Fix: write a number from 1 to 2160\./,
        );
        assert.match(
          m,
          /promotion-pipeline:pipeline\.watch\.pinExpiryDays = "soon": must be a whole number from 0 to 365/,
        );
        assert.match(
          m,
          /promotion-pipeline:pipeline\.watch\.schedule = "every hour": is not a five-field cron schedule .* Fix: write e\.g\. "23 \* \* \* \*" \(hourly\)\./,
        );
        assert.match(m, /promotion-pipeline:pipeline\.watch\.extra = 1: is not a known setting/);
        return true;
      },
    );
  });

  const file = () =>
    watchFile(cfg({ rcWaitHours: 12, pinExpiryDays: 5, schedule: "*/30 * * * *" }));

  it("the workflow: schedule and thresholds from config, permissions {} on top, least per job", () => {
    const { env, steps } = assertScheduledWorkflow(file(), WATCH_WORKFLOW, "watch", "*/30 * * * *");
    assert.equal(env.RC_WAIT_HOURS, "12");
    assert.equal(env.PIN_EXPIRY_DAYS, "5");
    assert.match(
      steps.at(-1)!.run!,
      /node "\$PROMOTION_CLI" watch --policy "\$PINS_POLICY" .* --issue/,
    );
  });

  itParsesAndLints(file);
});

describe("pipeline-stalled watch: example (docs/examples/workflows/pipeline-watch.yaml)", () => {
  it("is exactly what the program generates from Pulumi.yaml (UPDATE_EXAMPLES=1 regenerates it)", () => {
    const root = join(__dirname, "..", "..");
    const f = watchFile(shippedConfig(root, "integration"));
    assertExample(join(EXAMPLES, "workflows", "pipeline-watch.yaml"), f.content);
  });
});
