/** dist/promotion.mjs records its sources (scripts/build-cli.mjs); a bundle they no longer match is refused. */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  checkBundleSources,
  recordedSources,
  sourcesHash,
} from "../../lib/workflows/bundleSources";
import { Refusal } from "../../lib/errors";
import { readCliBundle } from "../../lib/workflows/files";

const root = join(__dirname, "..", "..");

describe("the CLI bundle's source hash", function () {
  this.timeout(60_000);
  let dir: string;
  let bundle: string;
  let recorded: { sha256: string; files: string[] };

  /** A checkout holding only the recorded sources and the bundle (dist/promotion.mjs). */
  function checkout(): string {
    const c = mkdtempSync(join(dir, "checkout-"));
    for (const f of recorded.files) {
      mkdirSync(dirname(join(c, f)), { recursive: true });
      cpSync(join(root, f), join(c, f));
    }
    mkdirSync(join(c, "dist"));
    cpSync(join(dir, "promotion.mjs"), join(c, "dist", "promotion.mjs"));
    return c;
  }

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "promotion-sources-"));
    const out = join(dir, "promotion.mjs");
    const b = spawnSync(process.execPath, [join(root, "scripts/build-cli.mjs"), "--outfile", out], {
      encoding: "utf8",
    });
    assert.equal(b.status, 0, b.stderr);
    bundle = readFileSync(out, "utf8");
    recorded = recordedSources(bundle)!;
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it("records the repository files esbuild read and package-lock.json, not node_modules", () => {
    assert.ok(recorded, "no promotion-sources line in the header");
    assert.ok(
      recorded.files.includes("lib/cli/main.ts") && recorded.files.includes("lib/flux/re2.ts"),
    );
    assert.ok(recorded.files.includes("package-lock.json"));
    assert.deepEqual(
      recorded.files.filter((f) => f.startsWith("node_modules/") || f.startsWith("..")),
      [],
    );
    assert.deepEqual([...recorded.files].sort(), recorded.files);
  });

  it("build-cli.mjs and lib/workflows/bundleSources.ts compute the same hash", () => {
    assert.equal(sourcesHash(root, recorded.files), recorded.sha256);
    checkBundleSources(bundle, "dist/promotion.mjs", root);
  });

  it("readCliBundle delivers a bundle that matches its sources", () => {
    assert.equal(readCliBundle(checkout()), bundle);
  });

  it("a source edited after the build: readCliBundle refuses, with the rebuild command", () => {
    const c = checkout();
    appendFileSync(join(c, "lib/flux/re2.ts"), "\n// edited after the build\n");
    assert.throws(
      () => readCliBundle(c),
      (e: unknown) =>
        e instanceof Refusal &&
        /^\S+\/dist\/promotion\.mjs is stale: it was built from other sources than this checkout's \(sha256 [0-9a-f]{12} recorded, [0-9a-f]{12} now, over \d+ files from lib\/ and package-lock\.json\); delivering it would run old code in the workflows: run `npm run build` \(it rebuilds dist\/promotion\.mjs from lib\/cli\), then run pulumi again\.$/.test(
          e.message,
        ),
    );
  });

  it("a changed package-lock.json (other dependency versions) or a deleted source makes the bundle stale", () => {
    const lock = checkout();
    appendFileSync(join(lock, "package-lock.json"), "\n");
    assert.throws(() => readCliBundle(lock), /is stale/);
    const gone = checkout();
    rmSync(join(gone, "lib/cli/main.ts"));
    assert.throws(() => readCliBundle(gone), /is stale/);
  });

  it("a bundle without the sources line (an older build) is refused too", () => {
    const old = bundle.replace(/^\/\/ promotion-sources .*\n/m, "");
    assert.throws(
      () => checkBundleSources(old, "dist/promotion.mjs", root),
      (e: unknown) =>
        e instanceof Refusal &&
        e.message ===
          "dist/promotion.mjs records no source hash (built by an older scripts/build-cli.mjs): run `npm run build` (it rebuilds dist/promotion.mjs from lib/cli), then run pulumi again.",
    );
  });
});
