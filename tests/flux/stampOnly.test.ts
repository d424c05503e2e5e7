/**
 * Two RCs in a row whose content differs only by the version stamp on the Canary: each is applied, judged and
 * dispatched exactly once (the stamp alone makes a new digest and a new apply).
 */
import { strict as assert } from "node:assert";
import { commitOf, revisionOf } from "./support/box";
import { withBox } from "./support/useBox";

describe("flux: two RCs that differ only by the version stamp (GitHub stand-in, canary-checker played)", function () {
  const { it } = withBox(this);

  it("each is dispatched exactly once and promoted", async (b) => {
    await b.settle();
    const digests: string[] = [];
    for (const label of ["stamp-only-1", "stamp-only-2"]) {
      const rc = await b.build(commitOf(label));
      const revision = revisionOf(rc.tag, rc.digest);
      await b.waitSelected(b.integration, revision);
      await b.waitApplied(b.integration, revision);
      const stable = await b.expectPromoted(rc);
      await b.waitApplied(b.integration, revisionOf(stable, rc.digest));
      digests.push(rc.digest);
    }
    assert.notEqual(digests[0], digests[1], "the stamp did not make a new digest");
    await b.expectDispatchedOnce(digests[0]!);
    assert.equal(b.dispatches(digests[1]).length, 1);
  });
});
