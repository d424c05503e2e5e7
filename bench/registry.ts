/**
 * Registry cost of a promotion decision, a build plan and a pins expansion after years of builds
 * (issue 10). A synthetic registry on 127.0.0.1 (tests/support/fakeRegistry.ts) adds LATENCY_MS to every
 * request and counts them; the commands run as the bundled CLI (`node dist/promotion.mjs`), as the
 * workflows run them. Run through bench/registry.sh.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatPolicy, type PinsPolicy } from "../lib/pins/policy";
import { readPinsTags } from "../lib/pins/registry";
import { ghcrPackageVersions } from "../lib/registry/ghcrPackages";
import { OciRegistryReader } from "../lib/registry/oci";
import { startFakeRegistry, yearsOfBuilds, type FakeRegistry } from "../tests/support/fakeRegistry";

const REPO = "example-org/platform/platform";
const PAGE = 1000;
const cli = process.argv[2] ?? "dist/promotion.mjs";
const sizes = (process.env.SIZES ?? "1000 10000 50000").split(/\s+/).filter(Boolean).map(Number);
const latency = Number(process.env.LATENCY_MS ?? "50");
const exhaustiveUpTo = Number(process.env.EXHAUSTIVE_UP_TO ?? "1000");

function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? 1, out, err }));
  });
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
        for (const b of builds) lastDigest = reg.push(b.manifest, b.tags);
        const tagCount = reg.tags.size;
        const last = builds.at(-1)!;
        const event = join(work, "event.json");
        writeFileSync(
          event,
          JSON.stringify({
            action: "Kustomization/platform.flux-system",
            client_payload: {
              involvedObject: { kind: "Kustomization", name: "platform", namespace: "flux-system" },
              severity: "info",
              message: "Health check passed in 2s",
              metadata: { revision: `${last.version}@${lastDigest}` },
            },
          }),
        );
        const policy: PinsPolicy = {
          registry: reg.host,
          repository: REPO,
          lines: "container/platform/platform",
          clusters: [
            { name: "integration", role: "integration", semver: ">= 0.0.0-0", suspended: false },
            { name: "live", role: "live", semver: ">= 0.0.0", suspended: false },
          ],
          floatingTags: ["latest"],
          keepStable: 5,
          startVersion: "0.0.1",
          retention: [],
        };
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
            packageVersions: () =>
              ghcrPackageVersions({
                owner: "example-org",
                packageName: "platform/platform",
                token: "bench",
                apiUrl: `http://${reg.host}`,
              }),
          });
          return `${read.tags.size} tags, ${read.heads} HEADs (in-process)`;
        });
        rows.push(promote, build, pins, ghcr);
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
        for (const r of [promote, build]) {
          if (r.lists > maxLists || r.manifests > 10)
            failures.push(
              `${r.what} at N=${tagCount}: ${r.lists} list + ${r.manifests} manifest requests (target <= ${maxLists} + 10)`,
            );
        }
        if (tagCount >= 50_000 && latency >= 50 && promote.seconds >= 30)
          failures.push(
            `promotion decision at N=${tagCount}: ${promote.seconds.toFixed(1)} s (target < 30 s)`,
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
    "targets: promotion and build plan <= ceil(N/page) list + 10 manifest requests; promotion at 50,000 tags and 50 ms < 30 s",
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
