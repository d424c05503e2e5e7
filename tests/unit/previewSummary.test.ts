import { strict as assert } from "node:assert";
import {
  changeCounts,
  cutMiddle,
  previewSummary,
  GITHUB_COMMENT_LIMIT,
  SUMMARY_MARKER,
} from "../../lib/operations/previewSummary";

const small = `Previewing update (integration)\n\n     Type                 Name\n +   pulumi:pulumi:Stack  promotion-pipeline-integration\n\nResources:\n    + 3 to create\n    ~ 1 to update\n    +-1 to replace\n    2 unchanged\n`;

describe("preview summary (PR comment)", () => {
  it("extracts Pulumi's change counts", () => {
    assert.deepEqual(changeCounts(small), [
      "+ 3 to create",
      "~ 1 to update",
      "+-1 to replace",
      "2 unchanged",
    ]);
  });

  it("strips ANSI colours before reading counts", () => {
    assert.deepEqual(changeCounts("Resources:\n    \u001b[32m+ 1 to create\u001b[0m\n"), [
      "+ 1 to create",
    ]);
  });

  it("keeps a small preview whole, with the marker, one row per stack, sorted", () => {
    const s = previewSummary([
      { stack: "live", exitCode: 0, output: "Resources:\n    5 unchanged\n" },
      { stack: "integration", exitCode: 0, output: small },
    ]);
    assert.ok(s.startsWith(SUMMARY_MARKER));
    assert.ok(s.includes(small.trimEnd()));
    assert.ok(s.indexOf("| `integration` |") < s.indexOf("| `live` |"));
    assert.ok(s.includes("| `live` | ok | 5 unchanged |"));
  });

  it("marks a failed stack and opens its details", () => {
    const s = previewSummary([{ stack: "live", exitCode: 255, output: "error: boom" }]);
    assert.ok(s.includes("**failed** (exit 255)"));
    assert.ok(s.includes("<details open><summary>live</summary>"));
  });

  it("stays under GitHub's 65,536-character limit with huge outputs and keeps each tail", () => {
    const huge = "x".repeat(200_000) + "\nResources:\n    + 999 to create\n";
    const s = previewSummary([
      { stack: "integration", exitCode: 0, output: huge },
      { stack: "live", exitCode: 0, output: huge },
      { stack: "dev", exitCode: 0, output: small },
    ]);
    assert.ok(s.length <= GITHUB_COMMENT_LIMIT, `length ${s.length}`);
    assert.equal(
      s.split("+ 999 to create").length - 1,
      4,
      "both tails and both table rows keep the counts",
    );
    assert.ok(s.includes(small.trimEnd()), "the small preview is not cut");
    assert.ok(s.includes("characters cut"));
  });

  it("respects any limit, even a tiny one", () => {
    for (const limit of [200, 1000, 5000]) {
      const s = previewSummary([{ stack: "live", exitCode: 0, output: "y".repeat(50_000) }], {
        limit,
      });
      assert.ok(s.length <= limit, `limit ${limit}: ${s.length}`);
    }
  });

  it("a backtick run in the output cannot close the code fence", () => {
    const s = previewSummary([{ stack: "live", exitCode: 0, output: "before ``` after" }]);
    assert.ok(s.includes("````\nbefore ``` after\n````"));
  });

  it("cutMiddle keeps head and tail and returns short text unchanged", () => {
    assert.equal(cutMiddle("abc", 10), "abc");
    const c = cutMiddle("H".repeat(500) + "T".repeat(500), 300);
    assert.ok(c.length <= 300);
    assert.ok(c.startsWith("H") && c.endsWith("T"));
  });
});
