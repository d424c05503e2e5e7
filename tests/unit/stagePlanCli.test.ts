/**
 * Issue 21: `promotion stage-plan` and `stage-record` against a registry (the fake OCI registry) and GitHub (the
 * stand-in, for the soak records), and the stage-aware promote workflow through GitHub's parser and actionlint.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readOpenSoaks, runWith, soakLines } from "../../lib/cli/stagePlan";
import { needsRecords, stagesFromWire } from "../../lib/stages/wire";
import { run as stageRecord } from "../../lib/cli/stageRecord";
import { readerFromEnv } from "../../lib/cli/registryEnv";
import { GitHubClient } from "../../lib/github/client";
import { validateConfig, type RawConfig } from "../../lib/config";
import { stagesToWire } from "../../lib/stages/wire";
import { emitWorkflow } from "../../lib/workflows/emit";
import { promoteWorkflow, PROMOTE_WORKFLOW } from "../../lib/workflows/pipeline";
import { STAGE_RECORD_STEP, stagesNeedWorkflow } from "../../lib/workflows/stages";
import { buildManifest, startFakeRegistry, type FakeRegistry } from "../support/fakeRegistry";
import { GitHubStandIn } from "../support/githubStandIn";
import {
  actionlint,
  githubParserErrors,
  interpolatedRunScripts,
} from "../support/workflowValidators";
import { THREE_STAGES } from "./stages.test";

const REPO = "example-org/platform/platform";
const LIVE_WINDOW = {
  ...THREE_STAGES,
  stages: [
    THREE_STAGES.stages[0],
    THREE_STAGES.stages[1],
    { name: "live", clusters: ["live"], windows: ["Mon-Thu 10:00-15:00 UTC"] },
  ],
};
const C1 = "1".repeat(40);

function pipelineOf(p: Record<string, unknown>) {
  const raw: RawConfig = {
    stack: "integration",
    pipeline: { registry: "ghcr.io", owner: "example-org", repository: "platform", ...p },
    dispatchTokenSecret: "github-dispatch-token",
  };
  return validateConfig(raw, new Date("2026-11-23T12:00:00Z")).pipeline;
}

describe("stages: promotion stage-plan / stage-record (CLI) with a registry and GitHub", function () {
  this.timeout(30_000);
  let reg: FakeRegistry;
  let gh: GitHubStandIn;
  let dir: string;
  let digest: string;
  // The flux suite's configuration, with a window on live too (Mon-Thu 10:00-15:00 UTC).
  const stages = stagesToWire(pipelineOf(LIVE_WINDOW).stages);
  const env = { ...process.env };

  before(async () => {
    reg = await startFakeRegistry({ repository: REPO });
    gh = await GitHubStandIn.start({ tokens: ["t0ken"], repositories: ["example-org/platform"] });
    dir = mkdtempSync(join(tmpdir(), "stage-plan-"));
    reg.push(buildManifest("0".repeat(40), "1.4.1-rc.1"), ["1.4.1", "sha-0000000"]);
    digest = reg.push(buildManifest(C1, "1.4.2-rc.1"), [
      "1.4.2-rc.1",
      "sha-1111111",
      "integration-1111111",
    ]);
    Object.assign(process.env, {
      GITHUB_TOKEN: "t0ken",
      GITHUB_REPOSITORY: "example-org/platform",
      GITHUB_API_URL: gh.url,
    });
  });
  after(async () => {
    for (const k of ["GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL"]) {
      if (env[k] === undefined) delete process.env[k];
      else process.env[k] = env[k];
    }
    await reg.close();
    await gh.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function plan(eventName: string, event: unknown, now: string) {
    writeFileSync(join(dir, "event.json"), JSON.stringify(event));
    const out = { stdout: "", stderr: "" };
    const code = await runWith(
      [
        ...["--event", join(dir, "event.json"), "--event-name", eventName],
        ...["--gate-name", "platform", "--gate-namespace", "flux-system"],
        ...["--artifact", `${reg.host}/${REPO}`, "--stages", stages, "--now", now],
      ],
      {
        stdout: (s) => void (out.stdout += s),
        stderr: (s) => void (out.stderr += s),
        stdin: () => Promise.resolve(""),
      },
      {
        reader: (h) => readerFromEnv(h, { PROMOTION_REGISTRY_SCHEME: "http" }),
        github: () =>
          new GitHubClient({ api: gh.url, repository: "example-org/platform", token: "t0ken" }),
      },
    );
    const kv = Object.fromEntries(
      out.stdout
        .trim()
        .split("\n")
        .map((l) => l.split(/=(.*)/s).slice(0, 2)),
    );
    return { code, kv, stderr: out.stderr };
  }
  const health = (tag: string, at: string, stage?: string, ok = true) => ({
    action: "Kustomization/platform.flux-system",
    client_payload: {
      involvedObject: { kind: "Kustomization", name: "platform", namespace: "flux-system" },
      severity: ok ? "info" : "error",
      message: ok ? "Health check passed in 5s" : "health check failed after 30s: timeout",
      timestamp: at,
      metadata: {
        revision: `${tag}@${digest}`,
        ...(stage ? { "promotion-pipeline.io/stage": stage } : {}),
      },
    },
  });

  it("integration's health event promotes the RC into staging inside staging's window", async () => {
    const r = await plan(
      "repository_dispatch",
      health("1.4.2-rc.1", "2026-11-23T10:00:00Z"),
      "2026-11-23T10:00:05Z",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      [r.kv.action, r.kv.tags, r.kv.from, r.kv.targets, r.kv.complete],
      ["promote", "1.4.2-0.staging.1", "integration", "staging", "true"],
    );
    assert.equal(r.kv.digest, digest);
  });

  it("staging's report starts a soak record; the re-plan defers until 10 minutes of health, then promotes to live", async () => {
    reg.push(buildManifest(C1, "1.4.2-rc.1"), ["1.4.2-0.staging.1"]);
    const first = await plan(
      "repository_dispatch",
      health("1.4.2-0.staging.1", "2026-11-23T10:01:00Z", "staging"),
      "2026-11-23T10:01:05Z",
    );
    assert.equal(first.kv.action, "defer", first.stderr);
    assert.match(first.stderr, /9m 55s left/);
    const rec = gh.deployments.find((d) => d.environment === "staging");
    assert.ok(rec, "a soak record on the staging environment");
    assert.equal(rec.statuses.length, 1);
    // What `promotion status --github <repo> --stages "$PROMOTION_STAGES"` prints: the soak's time left.
    const client = new GitHubClient({
      api: gh.url,
      repository: "example-org/platform",
      token: "t0ken",
    });
    const lines = soakLines(
      await readOpenSoaks(client, stagesFromWire(stages)),
      new Date("2026-11-23T10:04:00Z"),
    );
    assert.match(lines, /^soak: 1\.4\.2-rc\.1 \(sha256:[0-9a-f]{12}\) staging: soaking, 7m left/m);
    const early = await plan("schedule", {}, "2026-11-23T10:05:00Z");
    assert.equal(early.kv.action, "none", early.stderr);
    assert.match(early.stderr, /6m left/);
    const due = await plan("schedule", {}, "2026-11-23T10:11:00Z");
    assert.deepEqual(
      [due.kv.action, due.kv.tags, due.kv.version, due.kv.targets],
      ["promote", "validated-1111111 1.4.2", "1.4.2", "live"],
      due.stderr,
    );
  });

  it("a failure during the soak stops it; recovery soaks from zero", async () => {
    const failed = await plan(
      "repository_dispatch",
      health("1.4.2-0.staging.1", "2026-11-23T10:08:00Z", "staging", false),
      "2026-11-23T10:08:01Z",
    );
    assert.equal(failed.kv.action, "stopped");
    const replan = await plan("schedule", {}, "2026-11-23T10:20:00Z");
    assert.equal(replan.kv.action, "none");
    assert.match(replan.stderr, /stopped/);
    await plan(
      "repository_dispatch",
      health("1.4.2-0.staging.1", "2026-11-23T10:21:00Z", "staging"),
      "2026-11-23T10:21:01Z",
    );
    assert.equal((await plan("schedule", {}, "2026-11-23T10:25:00Z")).kv.action, "none");
    assert.equal((await plan("schedule", {}, "2026-11-23T10:31:00Z")).kv.action, "promote");
  });

  it("a closed live window (Saturday, Mon-Thu 10-15 UTC in this test's config) defers; the override promotes and is recorded", async () => {
    const sat = "2026-11-28T12:00:00Z";
    const closed = await plan("schedule", {}, sat);
    assert.equal(closed.kv.action, "none");
    assert.match(closed.stderr, /window is closed \(opens 2026-11-30T10:00:00.000Z\)/);
    const event = { inputs: { override_reason: "INC-9 hotfix" } };
    const o = await plan("workflow_dispatch", event, sat);
    assert.equal(o.kv.action, "promote", o.stderr);
    writeFileSync(join(dir, "event.json"), JSON.stringify(event));
    let printed = "";
    const code = await stageRecord(
      [
        "--from",
        "staging",
        "--digest",
        digest,
        "--targets",
        "live",
        "--event",
        join(dir, "event.json"),
      ],
      {
        stdout: (s) => void (printed += s),
        stderr: () => undefined,
        stdin: () => Promise.resolve(""),
      },
    );
    assert.equal(code, 0);
    const rec = gh.deployments.find((d) => d.environment === "staging")!;
    assert.match(
      String(rec.statuses.at(-1)!.description),
      /^promoted to live at .*; override: INC-9 hotfix$/,
    );
    assert.equal(
      (await plan("schedule", {}, sat)).kv.action,
      "none",
      "a promoted record is closed",
    );
  });
});

describe("stages: a promotion deferred by a window that the configuration then removes", function () {
  this.timeout(30_000);

  it("is promoted by the next re-plan (deferred, not dropped), although the stages no longer make its stage keep records", async () => {
    const reg = await startFakeRegistry({ repository: REPO });
    const gh = await GitHubStandIn.start({
      tokens: ["t0ken"],
      repositories: ["example-org/platform"],
    });
    const dir = mkdtempSync(join(tmpdir(), "stage-plan-window-"));
    try {
      const digest = reg.push(buildManifest(C1, "2.0.0-rc.1"), ["2.0.0-rc.1", "sha-1111111"]);
      // Staging with a window closed on Saturday 2026-11-28 (Mon-Fri), then the same stages without it.
      const withWindow = stagesToWire(pipelineOf(THREE_STAGES).stages);
      const without = stagesToWire(
        pipelineOf({
          ...THREE_STAGES,
          stages: [
            THREE_STAGES.stages[0],
            { name: "staging", clusters: ["staging"], soak: "10m" },
            THREE_STAGES.stages[2],
          ],
        }).stages,
      );
      assert.equal(needsRecords(stagesFromWire(without), "integration"), false);
      const plan = async (stages: string, eventName: string, event: unknown, now: string) => {
        writeFileSync(join(dir, "event.json"), JSON.stringify(event));
        let stdout = "";
        let stderr = "";
        const code = await runWith(
          [
            ...["--event", join(dir, "event.json"), "--event-name", eventName],
            ...["--gate-name", "platform", "--gate-namespace", "flux-system"],
            ...["--artifact", `${reg.host}/${REPO}`, "--stages", stages, "--now", now],
          ],
          {
            stdout: (x) => void (stdout += x),
            stderr: (x) => void (stderr += x),
            stdin: () => Promise.resolve(""),
          },
          {
            reader: (h) => readerFromEnv(h, { PROMOTION_REGISTRY_SCHEME: "http" }),
            github: () =>
              new GitHubClient({ api: gh.url, repository: "example-org/platform", token: "t0ken" }),
          },
        );
        return { code, out: stdout, err: stderr };
      };
      const sat = "2026-11-28T12:00:00Z";
      const deferred = await plan(
        withWindow,
        "repository_dispatch",
        {
          client_payload: {
            involvedObject: { kind: "Kustomization", name: "platform", namespace: "flux-system" },
            severity: "info",
            message: "Health check passed in 5s",
            timestamp: sat,
            metadata: { revision: `2.0.0-rc.1@${digest}` },
          },
        },
        sat,
      );
      assert.equal(deferred.code, 0, deferred.err);
      assert.match(deferred.out, /^action=defer$/m);
      assert.match(deferred.err, /staging's window is closed/);
      const r = await plan(without, "schedule", {}, "2026-11-28T12:10:00Z");
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^action=promote$/m, r.err);
      assert.match(r.out, /^tags=2\.0\.0-0\.staging\.1$/m);
      assert.match(r.out, /^from=integration$/m);
    } finally {
      await reg.close();
      await gh.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("stages: the stage-aware promote workflow", () => {
  const live = LIVE_WINDOW;

  it("only a pipeline with more stages, a soak or a window gets it", () => {
    assert.equal(
      stagesNeedWorkflow(
        pipelineOf({ clusters: { integration: { role: "integration" }, live: { role: "live" } } })
          .stages,
      ),
      false,
    );
    assert.equal(stagesNeedWorkflow(pipelineOf(live).stages), true);
  });

  it("re-plans on a schedule, takes failures, an override with a reason; passes GitHub's parser and actionlint", async function () {
    this.timeout(60_000);
    const w = promoteWorkflow(pipelineOf(live));
    assert.deepEqual(w.on.schedule, [{ cron: "*/10 * * * *" }]);
    assert.deepEqual(Object.keys(w.on.workflow_dispatch!.inputs!).sort(), [
      "override_reason",
      "rollback_to",
    ]);
    assert.match(w.jobs.promote!.if!, /severity == 'error'/);
    const steps = w.jobs.promote!.steps.map((s) => s.name);
    assert.ok(steps.indexOf(STAGE_RECORD_STEP) > steps.indexOf("Tag the digest (no rebuild)"));
    const f = { path: PROMOTE_WORKFLOW, content: emitWorkflow(w, "lib/workflows/stages.ts") };
    assert.match(f.content, /stage-plan --event "\$GITHUB_EVENT_PATH"/);
    assert.deepEqual(interpolatedRunScripts(f.content), []);
    assert.deepEqual(await githubParserErrors(f), { errors: [], jobs: 2 });
    assert.deepEqual(actionlint([f]), { output: "", status: 0 });
  });
});
