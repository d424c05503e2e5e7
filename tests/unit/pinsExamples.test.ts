/**
 * docs/examples/registry/ holds what the owner stack delivers for the registry pins from the shipped
 * Pulumi.yaml and stack files (the pin policy and the GHCR retention workflow), so both can be read and
 * reviewed without running Pulumi. Never edited by hand: this test fails when they differ from the
 * generator's output. Regenerate with
 *   UPDATE_EXAMPLES=1 bash scripts/with-node mocha --no-config --import=tsx tests/unit/pinsExamples.test.ts
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { pinsFiles } from "../../lib/pins/delivery";
import { shippedConfig } from "../support/pulumiMocks";
import { assertExample, EXAMPLES } from "./support/examples";

const ROOT = join(__dirname, "..", "..");
const DIR = join(EXAMPLES, "registry");

describe("registry pin examples (docs/examples/registry)", () => {
  it("are exactly what the owner stack delivers from Pulumi.yaml and the stack files", () => {
    const cfg = shippedConfig(ROOT, "integration");
    const files = pinsFiles(cfg).repository;
    assert.equal(files.length, 2);
    for (const f of files) {
      const file = join(DIR, f.path.slice(f.path.lastIndexOf("/") + 1));
      assertExample(file, f.content);
    }
  });
});
