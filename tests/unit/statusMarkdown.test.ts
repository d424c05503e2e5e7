/**
 * Issue 22 item 2: `promotion status --output markdown`, a Mermaid flowchart of the stages and the table,
 * proven as a person sees it: the flowchart rendered by the `mermaid` package in Debian's headless
 * Chromium, its SVG holding every cluster and version, and a screenshot (docs/status-picture.png, shown in
 * README; `UPDATE_SCREENSHOT=1 npm test -- --grep "status picture"` rewrites it).
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runWith } from "../../lib/cli/status";
import { runWith as watchWith } from "../../lib/cli/watch";
import { decideWatch, issueAction } from "../../lib/status/stalled";
import { promoteWorkflow } from "../../lib/workflows/pipeline";
import { watchWorkflow } from "../../lib/workflows/watch";
import { isRunStep, type UsesStep } from "../../lib/workflows/model";
import { actionlint, githubParserErrors } from "../support/workflowValidators";
import { emitWorkflow } from "../../lib/workflows/emit";
import type { PinCluster } from "../../lib/pins/allowlist";
import {
  cellText,
  formatStatusMarkdown,
  mermaidText,
  statusMermaid,
} from "../../lib/status/markdown";
import { computeStatus, type PipelineStatus } from "../../lib/status/status";
import { buildHistory, tagMap } from "../support/history";
import { pngSize, renderMermaid } from "../support/mermaidRender";
import { captureIo } from "./support/io";
import { examplePolicy, fixedRegistry, writePolicy } from "./support/policy";
import { exampleConfig } from "./support/config";
import { integrationAndLive } from "../support/clusters";

const ROOT = join(__dirname, "..", "..");
const SCREENSHOT = join(ROOT, "docs", "status-picture.png");
const NOW = new Date("2026-12-01T12:00:00Z");

const tags = tagMap(buildHistory({ releases: 3, rcsPerRelease: 2, pending: 1 }));
const rcDigest = tags.get("0.0.4-rc.1")!;
const rev = (tag: string): string => `${tag}@${tags.get(tag)!}`;

const clusters: PinCluster[] = [
  ...integrationAndLive({
    pin: { tag: "0.0.2", reason: "INC-4711 checkout latency", expires: "2026-12-03" },
  }),
  { name: "live-eu", role: "live", semver: ">= 0.0.0", suspended: false },
];

/** A pipeline as an operator meets it: the RC failing integration's gate, live pinned, live-eu current. */
function scenario(): PipelineStatus {
  return computeStatus({
    registry: "ghcr.io",
    repository: "example-org/platform/platform",
    clusters,
    tags,
    created: new Map([[rcDigest, new Date("2026-11-30T06:00:00Z")]]),
    now: NOW,
    observed: new Map([
      [
        "integration",
        {
          sourceRevision: rev("0.0.4-rc.1"),
          gate: {
            ready: "False",
            reason: "HealthCheckFailed",
            message: "Canary monitoring/platform-validation: failed",
            lastAppliedRevision: rev("0.0.4-rc.1"),
          },
        },
      ],
      [
        "live",
        {
          sourceRevision: rev("0.0.2"),
          gate: { ready: "True", lastAppliedRevision: rev("0.0.2") },
        },
      ],
      [
        "live-eu",
        {
          sourceRevision: rev("0.0.3"),
          gate: { ready: "True", lastAppliedRevision: rev("0.0.3") },
        },
      ],
    ]),
  });
}

describe("promotion status --output markdown", () => {
  it("draws the stages as a Mermaid flowchart: RC -> integration -> stable -> live, each cluster with its version, digest, pin and what blocks it", () => {
    const m = statusMermaid(scenario());
    assert.match(m, /^flowchart LR\n/);
    assert.match(m, /rc\["newest RC 0\.0\.4-rc\.1<br\/>sha256:[0-9a-f]{12}<br\/>waiting 30h 0m"\]/);
    assert.match(m, /stable\["newest stable 0\.0\.3<br\/>sha256:[0-9a-f]{12}"\]/);
    assert.match(m, /rc --> cluster_integration\n {2}cluster_integration -->\|validated\| stable/);
    assert.match(m, /stable --> cluster_live\n/);
    assert.match(m, /stable --> cluster_live_45_eu\n/);
    assert.match(m, /pin 0\.0\.2: 2d left/);
    assert.match(m, /BLOCKED: the gate is not Ready \(False, HealthCheckFailed:\.\.\."\]/);
    assert.match(m, /HELD: pinned: INC-4711 checkout latency"\]/);
    assert.match(
      m,
      /class cluster_integration blocked\n {2}class cluster_live held\n {2}class cluster_live_45_eu ok/,
    );
    assert.match(m, /class rc waiting$/m);
  });

  it("adds the table and the notes; the same status gives the same bytes", () => {
    const md = formatStatusMarkdown(scenario());
    assert.equal(md, formatStatusMarkdown(scenario()));
    assert.match(
      md,
      /^### Promotion pipeline `ghcr\.io\/example-org\/platform\/platform`\n\n27 tags, at 2026-12-01T12:00:00\.000Z\.\n\n```mermaid\nflowchart LR\n/,
    );
    assert.match(md, /\| cluster \| role \| constraint \| selects \| digest \| pin \| runs \|/);
    assert.match(
      md,
      /\| live \| live \| >= 0\.0\.0 \| 0\.0\.2 \(pinned\) \| sha256:[0-9a-f]{12} \| 0\.0\.2 until 2026-12-03 \(2d left\) \| 0\.0\.2, gate Ready=True \|/,
    );
    assert.match(
      md,
      /\| integration \| integration \| >= 0\.0\.0-0 \| 0\.0\.4-rc\.1 \| .* \*\*MISMATCH\*\* \|/,
    );
    assert.match(
      md,
      /^- 0\.0\.4-rc\.1 waits for promotion since 2026-11-30T06:00:00\.000Z \(30h 0m\)\.$/m,
    );
    assert.match(md, /^- live: pinned: INC-4711 checkout latency$/m);
  });

  it("escapes what config, the registry or a cluster says: no label can close its quotes, add an edge, a directive or HTML; no cell can add a column", () => {
    for (const hostile of [
      '"] --> x["',
      "%%{init: {}}%%",
      "<img src=x onerror=alert(1)>",
      "a\nflowchart TD",
      "#quot; ;",
    ]) {
      const t = mermaidText(hostile);
      assert.match(t, /^[A-Za-z0-9 ._:,/()=+@#;-]*$/, t);
      assert.ok(!t.includes('"') && !t.includes("<") && !t.includes("\n") && !t.includes("%%"), t);
    }
    assert.equal(mermaidText('a"b'), "a#34;b");
    assert.equal(mermaidText("x".repeat(100)).length, 60);
    assert.equal(cellText("a|b\nc<d>&"), "a\\|b c&lt;d>&amp;");
    const s = scenario();
    const evil: PipelineStatus = {
      ...s,
      clusters: s.clusters.map((c) => ({ ...c, mismatch: 'x"] --> evil["\n| col |' })),
    };
    const md = formatStatusMarkdown(evil);
    const block = /```mermaid\n([\s\S]*?)\n```/.exec(md)![1]!;
    assert.ok(!block.includes("evil["), block);
    assert.ok(!/\n\| col \|/.test(md));
  });

  it("the CLI prints it with --output markdown (registry injected); any other --output is a usage error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "status-md-"));
    try {
      const policyFile = writePolicy(dir, examplePolicy(clusters));
      const { out, io } = captureIo();
      const fake = fixedRegistry(tags, "2026-11-30T06:00:00Z");
      const args = ["--policy", policyFile, "--now", NOW.toISOString()];
      assert.equal(await runWith([...args, "--output", "markdown"], io, { registry: fake }), 0);
      assert.match(out.stdout, /^### Promotion pipeline /);
      assert.match(out.stdout, /```mermaid\nflowchart LR\n {2}rc\["newest RC 0\.0\.4-rc\.1/);
      assert.match(out.stdout, /\| live-eu \| live \| >= 0\.0\.0 \| 0\.0\.3 \|/);
      await assert.rejects(
        runWith([...args, "--output", "html"], io, { registry: fake }),
        /--output must be text, json or markdown, not "html"/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("every promote run appends it to the job summary (also after a refusal), reading the delivered pin policy it checks out", async () => {
    const c = exampleConfig({}, "github-dispatch-token");
    const w = promoteWorkflow(c.pipeline, "registry/pins-policy.yaml");
    const steps = w.jobs.promote!.steps;
    const names = steps.map((st) => st.name);
    const at = names.indexOf("Show the pipeline in the job summary");
    assert.ok(at > names.indexOf("Tag the digest (no rebuild)"), names.join(", "));
    const step = steps[at]!;
    assert.equal(step.if, "always()");
    assert.equal(step.env?.PINS_POLICY, "registry/pins-policy.yaml");
    assert.ok(isRunStep(step));
    assert.match(
      step.run,
      /status --policy "\$PINS_POLICY" --output markdown >>"\$GITHUB_STEP_SUMMARY"; then\n {2}echo "::warning::/,
    );
    const checkout = steps[0] as UsesStep;
    assert.equal(
      checkout.with?.["sparse-checkout"],
      ".github/promotion\nregistry/pins-policy.yaml",
    );
    assert.ok(!promoteWorkflow(c.pipeline).jobs.promote!.steps.some((st) => st.name === step.name));
    const file = {
      path: ".github/workflows/tag-validated-artifact.yaml",
      content: emitWorkflow(w, "test"),
    };
    assert.deepEqual(await githubParserErrors(file), { errors: [], jobs: 2 });
    assert.deepEqual(actionlint([file]), { output: "", status: 0 });
    const watch = watchWorkflow(c.pipeline, "registry/pins-policy.yaml").jobs.watch!.steps.at(-1)!;
    assert.ok(isRunStep(watch));
    assert.match(
      watch.run,
      /--summary "\$RUNNER_TEMP\/pipeline\.md" \| tee -a "\$GITHUB_STEP_SUMMARY" \|\| status=\$\?\n/,
    );
    assert.match(
      watch.run,
      /cat "\$RUNNER_TEMP\/pipeline\.md" >>"\$GITHUB_STEP_SUMMARY"; fi\nexit "\$status"\n$/,
    );
  });

  it("the watch writes it with --summary, and the pipeline-stalled issue carries it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "watch-md-"));
    try {
      const policyFile = writePolicy(dir, examplePolicy(clusters));
      const summary = join(dir, "summary.md");
      writeFileSync(summary, "before\n");
      const fake = fixedRegistry(tags, "2026-11-30T06:00:00Z");
      const { out, io } = captureIo();
      const code = await watchWith(
        ["--policy", policyFile, "--now", NOW.toISOString(), "--summary", summary],
        io,
        fake,
        () => "no GitHub here",
      );
      assert.equal(code, 4, out.stdout);
      assert.match(out.stdout, /^ALARM: Release candidate 0\.0\.4-rc\.1 has waited 30h 0m/m);
      const written = readFileSync(summary, "utf8");
      assert.match(
        written,
        /^before\n### Promotion pipeline `ghcr\.io\/example-org\/platform\/platform`\n/,
      );
      assert.match(
        written,
        /```mermaid\nflowchart LR\n {2}rc\["newest RC 0\.0\.4-rc\.1<br\/>sha256:[0-9a-f]{12}<br\/>waiting 30h 0m"\]/,
      );
      const picture = formatStatusMarkdown(scenario());
      const d = decideWatch({ status: scenario() }, { rcWaitHours: 24, pinExpiryDays: 3 });
      const a = issueAction(d, [], "t", undefined, picture);
      assert.equal(a.kind, "open");
      assert.ok(
        a.kind === "open" && a.body.endsWith(`\n${picture}`),
        "the body ends with the picture",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("status picture: the flowchart rendered by mermaid in headless Chromium holds every cluster and version; screenshot in docs/", function () {
    this.timeout(180_000);
    const dir = mkdtempSync(join(tmpdir(), "status-picture-"));
    try {
      const md = formatStatusMarkdown(scenario());
      const source = /```mermaid\n([\s\S]*?)\n```/.exec(md)![1]!;
      const r = renderMermaid(source, dir);
      const text = r.svg.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");
      for (const c of clusters)
        assert.ok(text.includes(`${c.name} (${c.role}`), `${c.name} in the SVG`);
      for (const v of [
        "newest RC 0.0.4-rc.1",
        "newest stable 0.0.3",
        "selects 0.0.4-rc.1",
        "selects 0.0.2 (pinned)",
        "selects 0.0.3",
        "runs 0.0.2",
        "runs 0.0.3",
        "waiting 30h 0m",
        "pin 0.0.2: 2d left",
        "BLOCKED: the gate is not Ready",
      ])
        assert.ok(text.includes(v), `${v} in the SVG: ${text.slice(0, 400)}`);
      assert.equal(
        (r.svg.match(/class="node /g) ?? []).length,
        2 + clusters.length,
        "one node per stage",
      );
      assert.deepEqual([r.width, r.height], [1400, 720]);
      assert.ok(
        r.png.length > 20_000,
        `a screenshot of ${r.png.length} bytes shows more than a blank page`,
      );
      if (process.env.UPDATE_SCREENSHOT === "1") writeFileSync(SCREENSHOT, r.png);
      assert.deepEqual(
        pngSize(readFileSync(SCREENSHOT)),
        { width: 1400, height: 720 },
        "docs/status-picture.png",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
