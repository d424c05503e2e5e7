/**
 * Runs the real-controller suite (`npm run test:flux`) on several boxes at once: the scenario files under
 * tests/flux/ are split into FLUX_BOXES groups (default 3) by their measured run time, and each group is one
 * mocha process with its own box (tests/flux/support/useBox.ts: one box per process, on free ports, in its own
 * work directory). The suite is mostly waiting (each gate waits for a real 60 s canary period, each "exactly
 * once" a whole quiet window), so boxes side by side cut its wall time without making any wait shorter.
 *
 * With arguments (`npm run test:flux -- --grep "rollback pin"`) it runs ONE mocha with them, as before.
 * Every line a group prints is prefixed with its name; the exit code is non-zero when any group failed.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { CACHE } from "../tests/support/tools";

const root = join(__dirname, "..");
const CONFIG = join(root, ".mocharc.flux.json");

/**
 * Seconds each file took alone on a warm box (2 cores, other work beside it), box start excluded. Only used to
 * balance the groups, and only until a run has measured the file: each box writes what its files took
 * (tests/flux/support/useBox.ts, FLUX_SECONDS_FILE), and the groups that passed update TIMES_FILE, outside the
 * repository like every other cache. A file neither measured nor listed counts as DEFAULT_SECONDS.
 */
const MEASURED_SECONDS: Readonly<Record<string, number>> = {
  "canaryChecker.test.ts": 330,
  "drift.test.ts": 40,
  "happyPath.test.ts": 290,
  "neverAvailable.test.ts": 300,
  "operatorStatus.test.ts": 250,
  "referenceTrigger.test.ts": 246,
  "registryTrust.test.ts": 60,
  "replay.test.ts": 150,
  "rollbackPin.test.ts": 200,
  "signatures.test.ts": 95,
  "staleCanary.test.ts": 280,
  "stampOnly.test.ts": 240,
  "stages.test.ts": 900,
  "unhealthy.test.ts": 568,
};
const DEFAULT_SECONDS = 300;
const TIMES_FILE = join(CACHE, "flux-seconds.json");

/** The times of earlier runs (TIMES_FILE); none when it is missing or unreadable. */
export function readTimes(file: string): Record<string, number> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    if (typeof parsed !== "object" || parsed === null) return {};
    return Object.fromEntries(
      Object.entries(parsed).filter(
        (e): e is [string, number] => typeof e[1] === "number" && e[1] > 0,
      ),
    );
  } catch {
    return {};
  }
}

export interface Group {
  readonly files: string[];
  seconds: number;
}

/** Longest first onto the least loaded group (LPT): a plan within 4/3 of the best split. */
export function plan(
  files: readonly string[],
  boxes: number,
  weight: (file: string) => number,
): Group[] {
  const groups: Group[] = Array.from(
    { length: Math.max(1, Math.min(boxes, files.length)) },
    () => ({
      files: [],
      seconds: 0,
    }),
  );
  for (const f of [...files].sort((a, b) => weight(b) - weight(a) || a.localeCompare(b))) {
    const g = groups.reduce((min, x) => (x.seconds < min.seconds ? x : min));
    g.files.push(f);
    g.seconds += weight(f);
  }
  return groups.filter((g) => g.files.length > 0);
}

interface Outcome {
  readonly name: string;
  readonly code: number;
  readonly seconds: number;
  readonly passing: string;
  readonly failing: string;
}

function run(
  name: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Outcome> {
  const t0 = Date.now();
  let passing = "?";
  let failing = "0";
  return new Promise((resolve) => {
    const child = spawn("mocha", args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    const forward = (stream: NodeJS.ReadableStream, out: NodeJS.WriteStream): void => {
      let rest = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        const lines = (rest + chunk).split("\n");
        rest = lines.pop() ?? "";
        for (const line of lines) {
          passing = /^\s*(\d+) passing/.exec(line)?.[1] ?? passing;
          failing = /^\s*(\d+) failing/.exec(line)?.[1] ?? failing;
          out.write(`[${name}] ${line}\n`);
        }
      });
      stream.on("end", () => rest && out.write(`[${name}] ${rest}\n`));
    };
    forward(child.stdout, process.stdout);
    forward(child.stderr, process.stderr);
    // Ctrl-C or a CI timeout: each mocha stops its own box (tests/flux/support/processes.ts).
    const stop = (signal: NodeJS.Signals) => () => child.kill(signal);
    process.once("SIGINT", stop("SIGINT"));
    process.once("SIGTERM", stop("SIGTERM"));
    child.on("close", (code, signal) =>
      resolve({
        name,
        code: code ?? (signal ? 1 : 0),
        seconds: Math.round((Date.now() - t0) / 1000),
        passing,
        failing,
      }),
    );
  });
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.length > 0) return (await run("flux", ["--config", CONFIG, ...argv])).code;

  const dir = join(root, "tests", "flux");
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".test.ts"))
    .sort();
  const boxes = Number(process.env.FLUX_BOXES ?? 3);
  if (!Number.isInteger(boxes) || boxes < 1) {
    throw new Error(
      `FLUX_BOXES=${JSON.stringify(process.env.FLUX_BOXES)}: expected a whole number >= 1, e.g. 3`,
    );
  }
  const times = readTimes(TIMES_FILE);
  const groups = plan(files, boxes, (f) => times[f] ?? MEASURED_SECONDS[f] ?? DEFAULT_SECONDS);
  const known = files.filter((f) => f in times).length;
  console.log(
    `balanced by the times of an earlier run for ${known} of ${files.length} files (${TIMES_FILE})`,
  );
  const work = mkdtempSync(join(tmpdir(), "flux-boxes-"));
  const secondsFile = (i: number): string => join(work, `seconds-${i + 1}.json`);
  try {
    const runs = groups.map((g, i) => {
      const name = `box ${i + 1}`;
      const config = join(work, `group-${i + 1}.json`);
      const spec = g.files.map((f) => relative(root, join(dir, f)));
      writeFileSync(
        config,
        JSON.stringify({ import: "tsx", spec, timeout: 1_200_000, reporter: "spec" }),
      );
      console.log(`[${name}] ${spec.join(", ")} (about ${Math.round(g.seconds / 60)} min)`);
      const env = {
        ...process.env,
        // Each box its own slice of ports (tests/support/ports.ts): boxes never race for one port.
        TEST_PORT_SLICE: String((i % 9) + 1),
        FLUX_SECONDS_FILE: secondsFile(i),
      };
      return run(name, ["--config", config], env);
    });
    const outcomes = await Promise.all(runs);
    // What the groups that passed measured balances the next run (a failed group's times mean little).
    outcomes.forEach((o, i) => {
      if (o.code === 0) Object.assign(times, readTimes(secondsFile(i)));
    });
    mkdirSync(dirname(TIMES_FILE), { recursive: true });
    writeFileSync(TIMES_FILE, JSON.stringify(times, null, 1) + "\n");
    console.log("\nflux suite, one box per group:");
    for (const o of outcomes) {
      console.log(
        `  ${o.name}: ${o.code === 0 ? "passed" : "FAILED"} (${o.passing} passing, ${o.failing} failing) in ${o.seconds} s`,
      );
    }
    return outcomes.some((o) => o.code !== 0) ? 1 : 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(2);
    },
  );
}
