/** A rollback pin applied with `pulumi up` on live, and lifted. */
import { strict as assert } from "node:assert";
import { commitOf, FLUX_NAMESPACE, revisionOf, SOURCE, versionsOf } from "./support/box";
import { ok } from "../support/projectCopy";
import { withBox } from "./support/useBox";

describe("flux: rollback pin on live", function () {
  const { it } = withBox(this);

  it("pulumi up of live with a pin serves the pinned digest while a newer stable exists; lifting it returns live to the newest", async (b) => {
    // Two stable versions, made fast through the registry when this run has fewer.
    for (let i = 0; b.listing().size === 0 || versionsOf(b.listing(), true).length < 2; i++) {
      await b.seedStable(commitOf(`rollback-seed-${i}`));
    }
    await b.settle();
    const all = versionsOf(b.listing(), true);
    const [pinned, newest] = [all.at(-2)!, all.at(-1)!];
    const digests = b.listing();
    assert.notEqual(digests.get(pinned), digests.get(newest));
    const expires = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    const live = b.live.name;
    for (const [k, v] of [
      ["tag", pinned],
      ["reason", "INC-42: test rollback"],
      ["expires", expires],
    ] as const) {
      ok(
        b.project.pulumi(
          "config",
          "set",
          "--path",
          `promotion-pipeline:pin.${k}`,
          v,
          "--stack",
          live,
        ),
        `config set pin.${k}`,
      );
    }
    ok(b.project.pulumi("up", "--stack", live, "--yes", "--skip-preview"), "pulumi up live (pin)");
    const pinnedRevision = revisionOf(pinned, digests.get(pinned)!);
    await b.waitSelected(b.live, pinnedRevision);
    await b.waitApplied(b.live, pinnedRevision);
    const src = await b.live.kube.mustGet(SOURCE.api, SOURCE.kind, FLUX_NAMESPACE, SOURCE.name);
    assert.deepEqual(src.spec?.ref, { tag: pinned });
    ok(
      b.project.pulumi("config", "rm", "promotion-pipeline:pin", "--stack", live),
      "config rm pin",
    );
    ok(
      b.project.pulumi("up", "--stack", live, "--yes", "--skip-preview"),
      "pulumi up live (unpin)",
    );
    const newestRevision = revisionOf(newest, digests.get(newest)!);
    await b.waitSelected(b.live, newestRevision);
    await b.waitApplied(b.live, newestRevision);
  });
});
