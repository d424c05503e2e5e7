/**
 * Issue 21 item 6: a fleet of 50 clusters in 4 waves (integration 2 -> wave-1 4 -> wave-2 12 -> wave-3 16 ->
 * live 16, the last wave), planned from configuration, and per promotion: the registry requests of the
 * decision (`promotion stage-plan` against the fake OCI registry on 127.0.0.1), the repository_dispatch
 * events (one per cluster of the reporting stage: every cluster's Alert dispatches its gate's health) and the
 * workflow runs they start, plus the scheduled re-plan runs a soak costs. Prints the figures.
 *   bash scripts/with-node node --import tsx bench/fleet.ts
 */
import { performance } from "node:perf_hooks";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConfig } from "../lib/config";
import { runWith } from "../lib/cli/stagePlan";
import { readerFromEnv } from "../lib/cli/registryEnv";
import { GitHubClient } from "../lib/github/client";
import { promotionTargets, stageTag } from "../lib/stages/channel";
import { stagesToWire } from "../lib/stages/wire";
import { STAGES_CRON } from "../lib/workflows/stages";
import { buildManifest, startFakeRegistry, yearsOfBuilds } from "../tests/support/fakeRegistry";
import { GitHubStandIn } from "../tests/support/githubStandIn";

export const WAVES: readonly [string, number, string][] = [
  ["integration", 2, "integration"],
  ["wave-1", 4, "stage"],
  ["wave-2", 12, "stage"],
  ["wave-3", 16, "stage"],
  ["live", 16, "live"],
];

/** The fleet's `promotion-pipeline:pipeline` (also written by bench/fleet.sh into a project copy). */
export function fleetPipeline(): Record<string, unknown> {
  const clusters: Record<string, unknown> = {};
  const stages: Record<string, unknown>[] = [];
  for (const [name, n, role] of WAVES) {
    const members = Array.from(
      { length: n },
      (_, i) => `${name}-${String(i + 1).padStart(2, "0")}`,
    );
    for (const m of members) clusters[m] = { role };
    stages.push({
      name,
      clusters: members,
      ...(role === "stage" ? { soak: "30m", windows: ["Mon-Fri 09:00-16:00 Europe/Berlin"] } : {}),
      ...(name === "live" ? { windows: ["Mon-Thu 10:00-15:00 UTC"] } : {}),
    });
  }
  return { registry: "ghcr.io", owner: "example-org", repository: "platform", clusters, stages };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const cfg = validateConfig(
    {
      stack: "integration-01",
      pipeline: fleetPipeline(),
      dispatchTokenSecret: "github-dispatch-token",
    },
    new Date("2026-11-23T12:00:00Z"),
  );
  const planMs = performance.now() - t0;
  const stages = cfg.pipeline.stages;
  console.log(
    `fleet: ${cfg.pipeline.clusters.length} clusters in ${stages.length} stages (${stages.map((s) => `${s.name} ${s.clusters.length}`).join(", ")}); config planned and validated in ${planMs.toFixed(1)} ms`,
  );

  const repo = "example-org/platform/platform";
  const reg = await startFakeRegistry({ repository: repo });
  const gh = await GitHubStandIn.start({ tokens: ["t"], repositories: ["example-org/platform"] });
  // A registry with history: 1,000 tags shaped like years of builds, then the candidate.
  for (const b of yearsOfBuilds(1000)) reg.push(buildManifest(b.commit, b.version), b.tags);
  const commit = "1".repeat(40);
  const rc = "99.0.1-rc.1";
  const digest = reg.push(buildManifest(commit, rc), [rc, "sha-1111111", "integration-1111111"]);
  const dir = mkdtempSync(join(tmpdir(), "fleet-"));
  const wire = stagesToWire(stages);
  const io = { stdout: () => undefined, stderr: () => undefined, stdin: () => Promise.resolve("") };
  const deps = {
    reader: (h: string) => readerFromEnv(h, { PROMOTION_REGISTRY_SCHEME: "http" }),
    github: () => new GitHubClient({ api: gh.url, repository: "example-org/platform", token: "t" }),
  };
  const plan = async (name: string, event: unknown, now: string): Promise<number> => {
    writeFileSync(join(dir, "e.json"), JSON.stringify(event));
    return runWith(
      [
        "--event",
        join(dir, "e.json"),
        "--event-name",
        name,
        "--gate-name",
        "platform",
        "--gate-namespace",
        "flux-system",
        "--artifact",
        `${reg.host}/${repo}`,
        "--stages",
        wire,
        "--now",
        now,
      ],
      io,
      deps,
    );
  };
  console.log("\nper promotion (one revision from a stage into the next; Monday, windows open):");
  console.log(
    "from -> into        dispatches  workflow runs (dispatch + re-plan)  registry requests (first run / each later run)  GitHub API requests",
  );
  let start = Date.parse("2026-11-23T09:00:00Z");
  for (const s of stages) {
    const targets = promotionTargets(stages, s.name);
    if (targets.length === 0) continue;
    const tag = s.name === "integration" ? rc : stageTag(s.name, rc);
    const at = new Date(start).toISOString();
    const event = (i: number) => ({
      action: "Kustomization/platform.flux-system",
      client_payload: {
        involvedObject: { kind: "Kustomization", name: "platform", namespace: "flux-system" },
        severity: "info",
        message: "Health check passed in 5s",
        timestamp: new Date(start + i * 1000).toISOString(),
        metadata: {
          revision: `${tag}@${digest}`,
          ...(s.name !== "integration" ? { "promotion-pipeline.io/stage": s.name } : {}),
        },
      },
    });
    reg.reset();
    const ghBefore = gh.requests.length;
    await plan("repository_dispatch", event(0), at);
    const first = reg.total();
    reg.reset();
    for (let i = 1; i < s.clusters.length; i++) await plan("repository_dispatch", event(i), at);
    const later = s.clusters.length > 1 ? reg.total() / (s.clusters.length - 1) : 0;
    // The soak: re-plans every STAGES_CRON until it has passed, the last one promotes.
    const cronMin = Number(/^\*\/(\d+)/.exec(STAGES_CRON)![1]);
    const replans = s.soakMs > 0 ? Math.ceil(s.soakMs / 60_000 / cronMin) : 0;
    if (s.soakMs > 0) await plan("schedule", {}, new Date(start + s.soakMs + 60_000).toISOString());
    for (const t of targets) {
      const tags = t.name === "live" ? ["validated-1111111", "99.0.1"] : [stageTag(t.name, rc)];
      reg.push(buildManifest(commit, rc), tags);
    }
    const ghReq = gh.requests.length - ghBefore;
    console.log(
      `${`${s.name} -> ${targets.map((t) => t.name).join("+")}`.padEnd(20)}${String(s.clusters.length).padStart(10)}  ${String(s.clusters.length + replans).padStart(12)} (${s.clusters.length} + ${replans})${" ".repeat(20)}${String(first).padStart(6)} / ${later.toFixed(1)}${" ".repeat(26)}${ghReq}`,
    );
    start += s.soakMs + 120_000;
  }
  console.log(
    `\nre-plan runs with nothing due: one every ${STAGES_CRON} (${(24 * 60) / Number(/^\*\/(\d+)/.exec(STAGES_CRON)![1])} a day), each one registry listing per open soak record plus GitHub reads.`,
  );
  await reg.close();
  await gh.stop();
}

void main();
