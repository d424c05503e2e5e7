/**
 * Registry cost of a promotion decision, a build plan, a pins expansion (issue 10) and the operator's
 * commands status, watch, trace and rollback-plan (issue 22) after years of builds. A synthetic registry on 127.0.0.1 (tests/support/fakeRegistry.ts) adds LATENCY_MS to every
 * request and counts them; the commands run as the bundled CLI (`node dist/promotion.mjs`), as the
 * workflows run them. Run through bench/registry.sh.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatPolicy } from "../lib/pins/policy";
import { readPinsTags } from "../lib/pins/registry";
import { ghcrPackageVersions } from "../lib/registry/ghcrPackages";
import { OciRegistryReader } from "../lib/registry/oci";
import { readForStatus } from "../lib/status/reads";
import { startFakeRegistry, yearsOfBuilds, type FakeRegistry } from "../tests/support/fakeRegistry";
import { healthPassed, historyPolicy, HISTORY_REPO as REPO } from "../tests/support/memoryRegistry";
import { runCaptured } from "../tests/support/capture";

const PAGE = 1000;
const cli = process.argv[2] ?? "dist/promotion.mjs";
const sizes = (process.env.SIZES ?? "1000 10000 50000").split(/\s+/).filter(Boolean).map(Number);
const latency = Number(process.env.LATENCY_MS ?? "50");
const exhaustiveUpTo = Number(process.env.EXHAUSTIVE_UP_TO ?? "1000");
/** The clock of status, watch and trace: an hour after the newest build. */
const NOW = "2026-12-01T12:00:00.000Z";

async function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const r = await runCaptured(process.execPath, [cli, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
  });
  return { code: r.code ?? 1, out: r.stdout, err: r.stderr };
}

interface Row {
  n: number;
  what: string;
  lists: number;
  manifests: number;
  api: number;
  seconds: number;
  note: string;
}

/** The fake registry's GitHub Packages API, as `promotion` reads it on ghcr.io. */
function packagesApi(reg: FakeRegistry): () => Promise<Map<string, string[]>> {
  return () =>
    ghcrPackageVersions({
      owner: "example-org",
      packageName: "platform/platform",
      token: "bench",
      apiUrl: `http://${reg.host}`,
    });
}

async function measure(
  reg: FakeRegistry,
  n: number,
  what: string,
  fn: () => Promise<string>,
): Promise<Row> {
  reg.reset();
  const t0 = process.hrtime.bigint();
  const note = await fn();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = reg.counts;
  return { n, what, lists: c.list, manifests: c.head + c.get, api: c.api, seconds, note };
}

const pad = (s: string | number, w: number): string => String(s).padStart(w);

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "bench-registry-"));
  const rows: Row[] = [];
  const failures: string[] = [];
  try {
    for (const n of sizes) {
      const reg = await startFakeRegistry({
        repository: REPO,
        latencyMs: latency,
        maxPageSize: PAGE,
        packages: { kind: "orgs", owner: "example-org", name: "platform/platform" },
      });
      try {
        const builds = yearsOfBuilds(n);
        let lastDigest = "";
        // One build an hour up to the last, which was built an hour before NOW (the watch's clock).
        const hour = 3_600_000;
        const created = (i: number): string =>
          new Date(Date.parse(NOW) - (builds.length - i) * hour).toISOString();
        builds.forEach((b, i) => {
          const m = JSON.parse(b.manifest.toString()) as { annotations: Record<string, string> };
          m.annotations["org.opencontainers.image.created"] = created(i);
          lastDigest = reg.push(Buffer.from(JSON.stringify(m)), b.tags);
        });
        const tagCount = reg.tags.size;
        const last = builds.at(-1)!;
        const event = join(work, "event.json");
        writeFileSync(
          event,
          JSON.stringify({
            action: "Kustomization/platform.flux-system",
            client_payload: healthPassed(`${last.version}@${lastDigest}`),
          }),
        );
        const policy = historyPolicy(reg.host);
        const policyFile = join(work, "pins-policy.yaml");
        writeFileSync(policyFile, formatPolicy(policy));
        const artifact = `${reg.host}/${REPO}`;

        const promote = await measure(reg, tagCount, "promotion decision", async () => {
          const r = await run([
            "promote-plan",
            ...["--event", event, "--event-name", "repository_dispatch"],
            ...[
              "--gate-name",
              "platform",
              "--gate-namespace",
              "flux-system",
              "--artifact",
              artifact,
            ],
          ]);
          if (r.code !== 0 || !r.out.startsWith("action=promote"))
            failures.push(`promote-plan at N=${tagCount}: ${r.out}${r.err}`);
          return r.out.split("\n").find((l) => l.startsWith("tags=")) ?? r.out.trim();
        });
        const build = await measure(reg, tagCount, "build plan", async () => {
          const r = await run([
            "build-plan",
            "--commit",
            "f".repeat(40),
            "--start-version",
            "0.0.1",
            "--artifact",
            artifact,
          ]);
          if (r.code !== 0) failures.push(`build-plan at N=${tagCount}: ${r.err}`);
          return r.out.split("\n").find((l) => l.startsWith("version=")) ?? r.out.trim();
        });
        let lines = "";
        const pins = await measure(reg, tagCount, "pins expansion", async () => {
          const r = await run(["pins", "--policy", policyFile, "--format", "lines"]);
          if (r.code !== 0) failures.push(`pins at N=${tagCount}: ${r.err}`);
          lines = r.out;
          return `${r.out.split("\n").filter((l) => l !== "" && !l.startsWith("#")).length} entries`;
        });
        const ghcr = await measure(reg, tagCount, "pins, Packages API", async () => {
          const read = await readPinsTags(policy, new OciRegistryReader({ host: reg.host }), {
            packageVersions: packagesApi(reg),
          });
          return `${read.tags.size} tags, ${read.heads} HEADs (in-process)`;
        });
        const now = ["--now", NOW];
        const status = await measure(reg, tagCount, "status", async () => {
          const r = await run(["status", "--policy", policyFile, ...now]);
          if (r.code !== 0 || !r.out.includes(`newest RC      ${last.version}`))
            failures.push(`status at N=${tagCount}: exit ${r.code}: ${r.out}${r.err}`);
          return r.out.split("\n")[1]!.replace(/\s+/g, " ").slice(0, 60);
        });
        const watch = await measure(reg, tagCount, "watch", async () => {
          const r = await run(["watch", "--policy", policyFile, ...now]);
          if (r.code !== 0)
            failures.push(`watch at N=${tagCount}: exit ${r.code}: ${r.out}${r.err}`);
          return r.out.trim().slice(0, 60);
        });
        const trace = await measure(reg, tagCount, "trace", async () => {
          const r = await run(["trace", last.commit, "--policy", policyFile, ...now]);
          if (r.code !== 3)
            failures.push(`trace at N=${tagCount}: exit ${r.code}: ${r.out}${r.err}`);
          return (r.out.trim().split("\n").at(-1) ?? "").slice(0, 60);
        });
        const target = builds
          .filter((b) => b.tags.includes(`validated-${b.commit.slice(0, 7)}`))
          .at(-3)!
          .tags.at(4)!;
        const rollback = await measure(reg, tagCount, "rollback-plan", async () => {
          const r = await run(["rollback-plan", "--artifact", artifact, "--version", target]);
          if (r.code !== 0 || !r.out.startsWith("action=rollback"))
            failures.push(`rollback-plan at N=${tagCount}: exit ${r.code}: ${r.out}${r.err}`);
          return r.out.trim().split("\n").slice(1).join(" ");
        });
        const statusApi = await measure(reg, tagCount, "status, Packages API", async () => {
          const view = await readForStatus(
            new OciRegistryReader({ host: reg.host }),
            REPO,
            policy.clusters,
            { packageVersions: packagesApi(reg) },
          );
          if (view.mode !== "packages") failures.push(`status, Packages API: mode ${view.mode}`);
          return `${view.tags.size} tags (in-process)`;
        });
        rows.push(promote, build, pins, ghcr, status, watch, trace, rollback, statusApi);
        if (n <= exhaustiveUpTo) {
          const old = await measure(reg, tagCount, "pins, HEAD per tag", async () => {
            const r = await run([
              "pins",
              "--policy",
              policyFile,
              "--format",
              "lines",
              "--exhaustive",
            ]);
            if (r.out !== lines)
              failures.push(`pins --exhaustive differs from pins at N=${tagCount}`);
            return r.out === lines ? "same output as pins" : "OUTPUT DIFFERS";
          });
          rows.push(old);
        }
        const maxLists = Math.ceil(tagCount / PAGE);
        for (const r of [promote, build, status, watch, trace, rollback]) {
          if (r.lists > maxLists || r.manifests > 10)
            failures.push(
              `${r.what} at N=${tagCount}: ${r.lists} list + ${r.manifests} manifest requests (target <= ${maxLists} + 10)`,
            );
        }
        if (statusApi.lists !== 0 || statusApi.manifests > 1)
          failures.push(
            `status, Packages API at N=${tagCount}: ${statusApi.lists} list + ${statusApi.manifests} manifest requests (target 0 + 1)`,
          );
        if (tagCount >= 50_000 && latency >= 50)
          for (const r of [promote, status, watch, trace, rollback])
            if (r.seconds >= 30)
              failures.push(
                `${r.what} at N=${tagCount}: ${r.seconds.toFixed(1)} s (target < 30 s)`,
              );
      } finally {
        await reg.close();
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(
    `registry latency ${latency} ms per request, tag page ${PAGE}, node ${process.version}`,
  );
  console.log(
    `${pad("tags", 7)}  ${"".padEnd(20)}${pad("list", 6)}${pad("manifest", 10)}${pad("API", 6)}${pad("wall s", 9)}  result`,
  );
  for (const r of rows) {
    console.log(
      `${pad(r.n, 7)}  ${r.what.padEnd(20)}${pad(r.lists, 6)}${pad(r.manifests, 10)}${pad(r.api, 6)}${pad(r.seconds.toFixed(2), 9)}  ${r.note}`,
    );
  }
  console.log(
    "targets: promotion, build plan, status, watch, trace and rollback-plan <= ceil(N/page) list + 10 manifest requests (status on the Packages API: no list, 1 manifest); each of promotion, status, watch, trace and rollback-plan at 50,000 tags and 50 ms < 30 s",
  );
  if (failures.length > 0) {
    console.log(`FAILED:\n  ${failures.join("\n  ")}`);
    process.exitCode = 1;
  } else {
    console.log("all targets met");
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
