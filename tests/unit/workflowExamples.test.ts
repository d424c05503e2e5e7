/**
 * docs/examples/workflows/ holds the workflows the program generates for the pipeline in Pulumi.yaml, so
 * they can be read and reviewed without running Pulumi. Generated files are never edited by hand: this test
 * fails when they differ from the generator's output. Regenerate with
 *   UPDATE_EXAMPLES=1 npm test -- --grep "workflow examples"
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { workflowFiles } from "../../lib/workflows/files";
import { shippedConfig } from "../support/pulumiMocks";
import { assertExample, EXAMPLES } from "./support/examples";

const ROOT = join(__dirname, "..", "..");
const DIR = join(EXAMPLES, "workflows");

describe("workflow examples (docs/examples/workflows)", () => {
  it("are exactly what the program generates from Pulumi.yaml and the stack files", () => {
    const cfg = shippedConfig(ROOT, "integration");
    const generated = workflowFiles(cfg, { cli: "" }).filter((f) =>
      f.path.startsWith(".github/workflows/"),
    );
    assert.equal(generated.length, 3);
    for (const f of generated) {
      const file = join(DIR, f.path.replace(".github/workflows/", ""));
      assertExample(file, f.content);
    }
  });
});
