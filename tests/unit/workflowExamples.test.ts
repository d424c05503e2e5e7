/**
 * docs/examples/workflows/ holds the workflows the program generates for the pipeline in Pulumi.yaml, so
 * they can be read and reviewed without running Pulumi. Generated files are never edited by hand: this test
 * fails when they differ from the generator's output. Regenerate with
 *   UPDATE_EXAMPLES=1 npm test -- --grep "workflow examples"
 */
import { strict as assert } from "node:assert";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { validateConfig } from "../../lib/config";
import { workflowFiles } from "../../lib/workflows/files";

const ROOT = join(__dirname, "..", "..");
const DIR = join(ROOT, "docs", "examples", "workflows");

describe("workflow examples (docs/examples/workflows)", () => {
  it("are exactly what the program generates from Pulumi.yaml", () => {
    const project = parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")) as {
      config: Record<string, { value: unknown }>;
    };
    const cfg = validateConfig(
      {
        stack: "integration",
        pipeline: project.config["promotion-pipeline:pipeline"]!.value,
        dispatchTokenSecret: "github-dispatch-token",
      },
      new Date("2026-11-23T12:00:00Z"),
    );
    const generated = workflowFiles(cfg, { cli: "" }).filter((f) =>
      f.path.startsWith(".github/workflows/"),
    );
    assert.equal(generated.length, 2);
    for (const f of generated) {
      const file = join(DIR, f.path.replace(".github/workflows/", ""));
      if (process.env.UPDATE_EXAMPLES === "1") {
        mkdirSync(DIR, { recursive: true });
        writeFileSync(file, f.content);
      }
      assert.equal(
        readFileSync(file, "utf8"),
        f.content,
        `${file} is stale: regenerate it (see the test's header)`,
      );
    }
  });
});
