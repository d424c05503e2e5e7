/** The same dispatch delivered again (GitHub redelivers) changes nothing in the registry. */
import { strict as assert } from "node:assert";
import { commitOf, revisionOf } from "./support/box";
import { withBox } from "./support/useBox";

describe("flux: a replayed dispatch (GitHub stand-in)", function () {
  const { it } = withBox(this);

  it("running the promote job again with a dispatch notification-controller sent leaves the whole registry listing unchanged", async (b) => {
    await b.settle();
    let last = b.dispatches().at(-1);
    if (!last) {
      // No dispatch yet in this run: make one the real way (the gate on integration sends it).
      const rc = await b.build(commitOf("replay"));
      await b.expectPromoted(rc);
      last = b
        .dispatches()
        .find((d) => JSON.stringify(d.clientPayload).includes(revisionOf(rc.tag, rc.digest)));
    }
    await b.settle();
    const before = b.listing();
    const run = await b.promote(last!);
    assert.equal(run.status, "success", `replayed promote failed:\n${run.log}`);
    assert.deepEqual([...b.listing()], [...before]);
  });
});
