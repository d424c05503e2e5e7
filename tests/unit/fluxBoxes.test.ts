/** The split of the real-controller suite onto several boxes (scripts/flux-boxes.ts). */
import { strict as assert } from "node:assert";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { plan, readTimes } from "../../scripts/flux-boxes";

const weights: Record<string, number> = { a: 500, b: 300, c: 250, d: 200, e: 60 };
const weight = (f: string): number => weights[f] ?? 300;

describe("flux-boxes: the suite's files split onto boxes", function () {
  it("puts every file in exactly one group, longest first onto the least loaded box", function () {
    const groups = plan(Object.keys(weights), 2, weight);
    assert.deepEqual(
      groups.map((g) => g.files),
      [
        ["a", "d"],
        ["b", "c", "e"],
      ],
    );
    assert.deepEqual(
      groups.map((g) => g.seconds),
      [700, 610],
    );
  });

  it("never starts more boxes than there are files, and one box runs them all", function () {
    assert.equal(plan(["a", "b"], 5, weight).length, 2);
    const one = plan(Object.keys(weights), 1, weight);
    assert.equal(one.length, 1);
    assert.deepEqual([...one[0]!.files].sort(), Object.keys(weights).sort());
  });

  it("covers every scenario file under tests/flux once", function () {
    const files = readdirSync(join(__dirname, "..", "flux")).filter((f) => f.endsWith(".test.ts"));
    const placed = plan(files, 3, () => 1).flatMap((g) => g.files);
    assert.deepEqual([...placed].sort(), [...files].sort());
  });
});

describe("flux-boxes: the times of earlier runs", function () {
  it("reads positive numbers per file and ignores a missing, unreadable or malformed file", function () {
    const dir = mkdtempSync(join(tmpdir(), "flux-times-"));
    try {
      const f = join(dir, "t.json");
      assert.deepEqual(readTimes(f), {});
      writeFileSync(f, "{not json");
      assert.deepEqual(readTimes(f), {});
      writeFileSync(f, JSON.stringify({ "a.test.ts": 120, "b.test.ts": "x", "c.test.ts": 0 }));
      assert.deepEqual(readTimes(f), { "a.test.ts": 120 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
