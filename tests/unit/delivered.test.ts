import { strict as assert } from "node:assert";
import { checkDelivered, formatDrift, sha256 } from "../../lib/operations/delivered";

describe("delivered-file drift", () => {
  const files: Record<string, string> = {
    "a.yaml": "one\n",
    "b/c.yaml": "two\n",
    "d.txt": "three",
  };
  const expected = Object.fromEntries(Object.entries(files).map(([p, c]) => [p, sha256(c)]));

  it("reports nothing when every file matches", () => {
    const d = checkDelivered(expected, (p) => files[p]);
    assert.deepEqual(d, { missing: [], changed: [], unchanged: ["a.yaml", "b/c.yaml", "d.txt"] });
  });

  it("catches a hand edit, even of one byte", () => {
    const d = checkDelivered(expected, (p) => (p === "b/c.yaml" ? "two \n" : files[p]));
    assert.deepEqual(d.changed, ["b/c.yaml"]);
    assert.match(formatDrift(d), /changed: b\/c\.yaml\n2 unchanged, 1 changed, 0 missing/);
  });

  it("catches a deleted file", () => {
    const d = checkDelivered(expected, (p) => (p === "a.yaml" ? undefined : files[p]));
    assert.deepEqual(d.missing, ["a.yaml"]);
  });
});
