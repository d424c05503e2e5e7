import { strict as assert } from "node:assert";
import { planRollback, rollbackOutputs } from "../../lib/promotion/rollback";
import { buildHistory, fakeDigest, tagMap } from "../support/history";

/** 0.0.1, 0.0.2, 0.0.3 released; two RCs of 0.0.4 pending. */
const tags = tagMap(buildHistory({ releases: 3, rcsPerRelease: 2, pending: 2 }));

describe("rollback_to (pure)", () => {
  it("the earlier version's digest gets the next patch above the highest stable; nothing moves", () => {
    const p = planRollback(tags, "0.0.2");
    assert.deepEqual(p, {
      action: "rollback",
      reason: `rolling back to 0.0.2: its digest ${tags.get("0.0.2")} becomes 0.0.4 (above the newest stable 0.0.3; no tag moves).`,
      digest: tags.get("0.0.2"),
      version: "0.0.4",
      of: "0.0.2",
    });
    assert.equal(
      rollbackOutputs(p),
      `action=rollback\ndigest=${tags.get("0.0.2")}\nversion=0.0.4\nrollback_of=0.0.2\n`,
    );
  });

  it("a rollback of a rollback works the same (the re-released version is validated content)", () => {
    const after = new Map(tags).set("0.0.4", tags.get("0.0.2")!);
    const p = planRollback(after, "0.0.3");
    assert.equal(p.action === "rollback" && p.version, "0.0.5");
  });

  it("refused: a version that does not exist", () => {
    assert.deepEqual(planRollback(tags, "0.0.9"), {
      action: "refuse",
      reason: "version 0.0.9 does not exist in the registry; nothing to roll back to.",
    });
  });

  it("refused: a version that was never validated", () => {
    const t = new Map(tags).set("0.0.0", tags.get("0.0.4-rc.1")!);
    const p = planRollback(t, "0.0.0");
    assert.equal(p.action, "refuse");
    assert.match(
      p.reason,
      /^0\.0\.0 \(sha256:[0-9a-f]{64}\) was never validated \(no validated-<commit> tag on its digest\)/,
    );
    assert.equal(rollbackOutputs(p), "action=refuse\n");
  });

  it("refused: not a stable version; the newest stable itself", () => {
    assert.match(
      planRollback(tags, "0.0.2-rc.1").reason,
      /rollback_to "0\.0\.2-rc\.1" is not a stable version X\.Y\.Z\./,
    );
    assert.match(
      planRollback(tags, "$(id)").reason,
      /rollback_to "\$\(id\)" is not a stable version/,
    );
    assert.match(
      planRollback(tags, "0.0.3").reason,
      /0\.0\.3 is already the content of the newest stable 0\.0\.3/,
    );
    assert.equal(planRollback(new Map([["1.0.0", fakeDigest("x")]]), "1.0.0").action, "refuse");
  });
});
