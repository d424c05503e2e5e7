/**
 * Live runs only what integration validated, enforced by source-controller's signature verification (real
 * source-controller v1.9.3, cosign key pairs of this run): what was not signed by the right key is refused and
 * both clusters keep serving their last verified version.
 */
import { strict as assert } from "node:assert";
import { type Box, FLUX_NAMESPACE, revisionOf, sleep, SOURCE } from "./support/box";
import { condition } from "./support/kube";
import { withBox } from "./support/useBox";

const REFUSED =
  /^failed to verify the signature using provider 'cosign': no matching signatures were found for /;

describe("flux: signature verification on both clusters", function () {
  const { it } = withBox(this);

  /** A quiet state with a stable version on live; returns what each cluster serves. */
  async function start(b: Box) {
    const stable = await b.ensureStable();
    await b.settle();
    return {
      stable,
      live: await b.serving(b.live),
      integration: await b.serving(b.integration),
    };
  }

  it("a stable tag pushed by hand on an unsigned digest is refused by live's and integration's source-controller, and both keep serving the last verified version", async (b) => {
    const { stable, live, integration } = await start(b);
    const dispatches = b.dispatches().length;
    const digest = b.pushByHand(stable.tag, "9.9.9", "unsigned");
    assert.ok(!b.verifiedBy(digest, b.keys.promote) && !b.verifiedBy(digest, b.keys.build));
    const refusedLive = await b.waitRefused(b.live, digest);
    assert.equal(refusedLive.reason, "VerificationError");
    assert.match(refusedLive.message ?? "", REFUSED);
    const refusedIntegration = await b.waitRefused(b.integration, digest);
    assert.match(refusedIntegration.message ?? "", REFUSED);
    console.log(`      live refused 9.9.9: ${refusedLive.reason}: ${refusedLive.message}`);
    // Longer than a source interval (15 s) and a gate retry: still the last verified version everywhere.
    await sleep(20_000);
    assert.deepEqual(await b.serving(b.live), live, "live moved off its verified version");
    assert.deepEqual(await b.serving(b.integration), integration);
    assert.equal(b.dispatches().length, dispatches, "a refused artifact was dispatched");
    await b.removeByHand(digest, [
      [b.live, live.artifact!],
      [b.integration, integration.artifact!],
    ]);
  });

  it("a stable tag on a digest signed by the BUILD key (not the promote key) is refused by live, while integration (which verifies the build key) accepts it", async (b) => {
    const { stable, live, integration } = await start(b);
    const digest = b.pushByHand(stable.tag, "9.9.9", "signed-by-build-key");
    const signed = b.cosign(
      { COSIGN_PASSWORD: b.keys.build.password },
      "sign",
      "--yes",
      "--tlog-upload=false",
      "--key",
      b.keys.build.keyFile,
      `${b.artifact}@${digest}`,
    );
    assert.equal(signed.code, 0, `cosign sign with the build key failed: ${signed.out}`);
    assert.ok(
      b.verifiedBy(digest, b.keys.build),
      "positive control: the build key's signature verifies",
    );
    assert.ok(!b.verifiedBy(digest, b.keys.promote));
    const refused = await b.waitRefused(b.live, digest);
    assert.match(refused.message ?? "", REFUSED);
    await b.waitSelected(b.integration, revisionOf("9.9.9", digest));
    const src = await b.integration.kube.mustGet(
      SOURCE.api,
      SOURCE.kind,
      FLUX_NAMESPACE,
      SOURCE.name,
    );
    assert.equal(condition(src, "SourceVerified")?.status, "True");
    await sleep(20_000);
    assert.deepEqual(await b.serving(b.live), live, "live took a digest the gate never validated");
    await b.removeByHand(digest, [
      [b.live, live.artifact!],
      [b.integration, integration.artifact!],
    ]);
  });

  it("an unsigned release candidate pushed by hand is refused by integration: nothing applies, nothing is dispatched, integration keeps its version", async (b) => {
    const { stable, integration } = await start(b);
    const dispatches = b.dispatches().length;
    const digest = b.pushByHand(stable.tag, "99.0.0-rc.1", "unsigned-rc");
    const refused = await b.waitRefused(b.integration, digest);
    assert.match(refused.message ?? "", REFUSED);
    await sleep(20_000);
    assert.deepEqual(
      await b.serving(b.integration),
      integration,
      "integration applied an unsigned RC",
    );
    assert.equal(b.dispatches().length, dispatches, "an unsigned RC was dispatched");
    await b.removeByHand(digest, [[b.integration, integration.artifact!]]);
  });
});
