import { strict as assert } from "node:assert";
import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { factsFromDir } from "../../lib/cli/facts";

const ROOT = join(__dirname, "..", "..");

describe("promotion --dir: the facts read from a project directory", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "facts-dir-"));
    for (const f of readdirSync(ROOT).filter((n) => /^Pulumi(\..+)?\.yaml$/.test(n))) {
      copyFileSync(join(ROOT, f), join(dir, f));
    }
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("carry pipeline.watch, so trace and watch use the project's thresholds (their documented default)", () => {
    const file = join(dir, "Pulumi.yaml");
    const doc = parse(readFileSync(file, "utf8")) as {
      config: Record<string, { value: Record<string, unknown> }>;
    };
    doc.config["promotion-pipeline:pipeline"]!.value.watch = { rcWaitHours: 7, pinExpiryDays: 5 };
    writeFileSync(file, stringify(doc));
    const facts = factsFromDir(dir);
    if (typeof facts === "string") assert.fail(facts);
    assert.equal(facts.watch?.rcWaitHours, 7);
    assert.equal(facts.watch?.pinExpiryDays, 5);
  });

  it("carry the defaults when the project sets no watch", () => {
    const facts = factsFromDir(dir);
    if (typeof facts === "string") assert.fail(facts);
    assert.equal(facts.watch?.rcWaitHours, 24);
    assert.equal(facts.watch?.pinExpiryDays, 3);
  });
});
