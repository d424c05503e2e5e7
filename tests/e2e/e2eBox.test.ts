/**
 * The e2e fixture (tests/support/e2eBox.ts) itself, on a probe suite run in a child mocha: it stops every
 * process it started (by pid) after a green run, after a failed test and after a failed `before` (where
 * mocha runs no `afterEach`), removes its work directory after a green run and keeps it, with the logs,
 * when anything failed, printing where.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { alive } from "../support/e2eBox";

const ROOT = join(__dirname, "..", "..");
const PROBE = join(__dirname, "support", "boxProbe.ts");

describe("e2e: the e2e fixture stops what it started and keeps the logs of a failed run", function () {
  this.timeout(120_000);
  let dir: string;
  const kept: string[] = [];

  function probe(mode: "before" | "test" | "green"): {
    code: number | null;
    output: string;
    work: string;
    pid: number;
  } {
    const out = join(dir, `${mode}.json`);
    const r = spawnSync(
      process.execPath,
      [
        join(ROOT, "node_modules", "mocha", "bin", "mocha.js"),
        "--config",
        join(dir, "mocharc.json"),
        PROBE,
      ],
      {
        cwd: ROOT,
        env: { ...process.env, E2EBOX_PROBE: mode, E2EBOX_PROBE_OUT: out, PROMOTION_KEEP_E2E: "" },
        encoding: "utf8",
      },
    );
    const { work, pid } = JSON.parse(readFileSync(out, "utf8")) as { work: string; pid: number };
    if (existsSync(work)) kept.push(work);
    return { code: r.status, output: r.stdout + r.stderr, work, pid };
  }

  /** Every process stopped; the work directory kept, named in the output, with both logs. */
  function stoppedAndKept(r: ReturnType<typeof probe>): void {
    assert.equal(alive(r.pid), false, `registry pid ${r.pid} still runs`);
    assert.ok(r.output.includes(`logs and state kept in ${r.work} (logs/)`), r.output);
    assert.match(readFileSync(join(r.work, "logs", "registry-main.log"), "utf8"), /GET \/v2\//);
    // The double's request log: each request, its status, never its token.
    assert.match(
      readFileSync(join(r.work, "logs", "github-requests.log"), "utf8"),
      /^\S+ 200 GET \/repos\/example-org\/platform\n$/,
    );
  }

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "promotion-e2ebox-test-"));
    writeFileSync(
      join(dir, "mocharc.json"),
      JSON.stringify({ import: "tsx", timeout: 60_000, reporter: "spec" }),
    );
  });

  after(() => {
    for (const w of kept) rmSync(w, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a green run: every process stopped, the work directory removed", () => {
    const r = probe("green");
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /1 passing/);
    assert.equal(alive(r.pid), false, `registry pid ${r.pid} still runs`);
    assert.equal(existsSync(r.work), false, `${r.work} was not removed`);
    assert.doesNotMatch(r.output, /kept in/);
  });

  it("a failed test: every process stopped, the logs kept where the run says", () => {
    const r = probe("test");
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /probe: test failed on purpose/);
    stoppedAndKept(r);
  });

  it("a failed before (no afterEach runs): every process stopped, the logs kept where the run says", () => {
    const r = probe("before");
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /probe: before failed on purpose/);
    assert.match(r.output, /0 passing/);
    stoppedAndKept(r);
    // The registry's storage stays with the logs (what was pushed, for a post-mortem).
    assert.ok(existsSync(join(r.work, "registry-main", "config.yml")));
  });
});
