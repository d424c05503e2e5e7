/**
 * `promotion status` and `trace` show each read cluster's signature verification (issue 20, item 6), from
 * OCIRepository objects recorded in the shape source-controller v1.9.3 writes them
 * (internal/controller/ocirepository_controller.go, reconcileSource):
 * - verified: `conditions.MarkTrue(obj, SourceVerifiedCondition, meta.SucceededReason, "verified signature of
 *   revision %s", revision)`; Ready True;
 * - refused: `MarkFalse(obj, SourceVerifiedCondition, VerificationError, ...)` with "failed to verify the
 *   signature using provider 'cosign': no matching signatures were found for '<repo>@sha256:...'" (provider
 *   'cosign keyless' without secretRef); Ready False with the same reason and message (the summary), and the
 *   artifact is still the last verified one;
 * - no `spec.verify`: the condition is deleted.
 * The condition type and reasons are api/v1 `SourceVerifiedCondition` = "SourceVerified" and
 * `VerificationError` = "VerificationError"; fluxcd/pkg/apis/meta `SucceededReason` = "Succeeded".
 */
import { strict as assert } from "node:assert";
import { observationOf, verificationOf } from "../../lib/kube/observe";
import {
  computeStatus,
  formatStatus,
  verificationText,
  type ClusterObservation,
  type StatusInput,
} from "../../lib/status/status";
import { formatTrace, traceCommit } from "../../lib/status/trace";
import { shortSha, twoReleasesAndTwoRcs } from "../support/history";
import { integrationAndLive } from "../support/clusters";

const NOW = new Date("2026-12-01T12:00:00Z");
const REPO = "127.0.0.1:5000/example-org/platform/platform";
const clusters = integrationAndLive();
const { tags, digestOf } = twoReleasesAndTwoRcs();

const KEY_VERIFY = { provider: "cosign", secretRef: { name: "flux-system-cosign" } };
const KEYLESS_VERIFY = {
  provider: "cosign",
  matchOIDCIdentity: [
    {
      issuer: "^https://token\\.actions\\.githubusercontent\\.com$",
      subject:
        "^https://github\\.com/example-org/platform/\\.github/workflows/tag-validated-artifact\\.yaml@refs/heads/main$",
    },
  ],
};
const T = "2026-12-01T11:00:00Z";

/** An OCIRepository as source-controller leaves it: spec.verify, its artifact and its conditions. */
function ociRepository(
  verify: unknown,
  revision: string,
  conditions: Record<string, unknown>[],
): Record<string, unknown> {
  const digest = revision.split("@")[1]!;
  return {
    apiVersion: "source.toolkit.fluxcd.io/v1",
    kind: "OCIRepository",
    metadata: { name: "flux-system", namespace: "flux-system", generation: 2 },
    spec: {
      interval: "5m",
      timeout: "60s",
      url: `oci://${REPO}`,
      ref: { semver: ">= 0.0.0" },
      ...(verify ? { verify } : {}),
    },
    status: {
      artifact: {
        digest: `sha256:${"e".repeat(64)}`,
        lastUpdateTime: T,
        path: `ocirepository/flux-system/flux-system/${digest.slice(7)}.tar.gz`,
        revision,
        size: 1234,
        url: `http://source-controller.flux-system.svc.cluster.local./ocirepository/flux-system/flux-system/${digest.slice(7)}.tar.gz`,
      },
      conditions: conditions.map((c) => ({
        lastTransitionTime: T,
        observedGeneration: 2,
        ...c,
      })),
      observedGeneration: 2,
      url: "http://source-controller.flux-system.svc.cluster.local./ocirepository/flux-system/flux-system/latest.tar.gz",
    },
  };
}

const verified = (verify: unknown, revision: string) =>
  ociRepository(verify, revision, [
    {
      type: "Ready",
      status: "True",
      reason: "Succeeded",
      message: `stored artifact for digest '${revision}'`,
    },
    {
      type: "ArtifactInStorage",
      status: "True",
      reason: "Succeeded",
      message: `stored artifact for digest '${revision}'`,
    },
    {
      type: "SourceVerified",
      status: "True",
      reason: "Succeeded",
      message: `verified signature of revision ${revision}`,
    },
  ]);

/** Refused `refusedDigest`; the artifact stays `serving` (the last verified revision). */
function refused(provider: "cosign" | "cosign keyless", serving: string, refusedDigest: string) {
  const message = `failed to verify the signature using provider '${provider}': no matching signatures were found for '${REPO}@${refusedDigest}'`;
  return ociRepository(provider === "cosign" ? KEY_VERIFY : KEYLESS_VERIFY, serving, [
    { type: "Ready", status: "False", reason: "VerificationError", message },
    {
      type: "ArtifactInStorage",
      status: "True",
      reason: "Succeeded",
      message: `stored artifact for digest '${serving}'`,
    },
    { type: "SourceVerified", status: "False", reason: "VerificationError", message },
  ]);
}

const gate = (applied: string) => ({
  status: {
    lastAppliedRevision: applied,
    lastAttemptedRevision: applied,
    conditions: [{ type: "Ready", status: "True", reason: "ReconciliationSucceeded" }],
  },
});

describe("verification state from the cluster's OCIRepository (pure)", () => {
  it("verified by the key Secret, with the revision the condition names", () => {
    const rev = `0.0.2@${digestOf(6)}`;
    assert.deepEqual(verificationOf(verified(KEY_VERIFY, rev)), {
      mode: "key",
      secret: "flux-system/flux-system-cosign",
      state: "verified",
      reason: "Succeeded",
      message: `verified signature of revision ${rev}`,
      revision: rev,
    });
  });

  it("verified keyless: the identities it matched against", () => {
    const v = verificationOf(verified(KEYLESS_VERIFY, `0.0.2@${digestOf(6)}`));
    assert.equal(v.mode, "keyless");
    assert.deepEqual(v.identities, KEYLESS_VERIFY.matchOIDCIdentity);
    assert.equal(
      verificationText(v),
      `signature verified for 0.0.2@${digestOf(6)} by identity ^https://github\\.com/example-org/platform/\\.github/workflows/tag-validated-artifact\\.yaml@refs/heads/main$ (issuer ^https://token\\.actions\\.githubusercontent\\.com$)`,
    );
  });

  it("refused: reason VerificationError and source-controller's message", () => {
    const v = verificationOf(refused("cosign", `0.0.1@${digestOf(3)}`, digestOf(6)));
    assert.equal(v.state, "refused");
    assert.equal(v.reason, "VerificationError");
    assert.equal(
      v.message,
      `failed to verify the signature using provider 'cosign': no matching signatures were found for '${REPO}@${digestOf(6)}'`,
    );
    assert.equal(v.revision, undefined);
  });

  it("pending (verify set, nothing verified yet) and off (no spec.verify)", () => {
    const pending = ociRepository(KEY_VERIFY, `0.0.2@${digestOf(6)}`, []);
    assert.deepEqual(verificationOf(pending), {
      mode: "key",
      secret: "flux-system/flux-system-cosign",
      state: "pending",
    });
    assert.deepEqual(verificationOf(ociRepository(undefined, `0.0.2@${digestOf(6)}`, [])), {
      mode: "none",
      state: "off",
    });
    assert.deepEqual(
      verificationOf(
        ociRepository(
          { provider: "notation", secretRef: { name: "n" } },
          `0.0.2@${digestOf(6)}`,
          [],
        ),
      ),
      { mode: "other", provider: "notation", state: "pending" },
    );
    assert.deepEqual(observationOf(pending, undefined).verification?.state, "pending");
  });
});

describe("promotion status: the verification state per read cluster", () => {
  function input(observed: [string, ClusterObservation][]): StatusInput {
    return {
      registry: "127.0.0.1:5000",
      repository: "example-org/platform/platform",
      clusters,
      tags,
      created: new Map(),
      now: NOW,
      observed: new Map(observed),
    };
  }

  it("live verified: the RUNS cell says verified and a note says by which key", () => {
    const rev = `0.0.2@${digestOf(6)}`;
    const s = computeStatus(input([["live", observationOf(verified(KEY_VERIFY, rev), gate(rev))]]));
    const live = s.clusters[1]!;
    assert.equal(live.mismatch, undefined);
    assert.equal(live.runs?.verification?.state, "verified");
    const text = formatStatus(s);
    assert.match(
      text,
      /live +live +>= 0\.0\.0 +0\.0\.2 +sha256:[0-9a-f]{12} +- +0\.0\.2, verified, gate Ready=True\n/,
    );
    assert.ok(
      text.includes(
        `live: signature verified for ${rev} by the keys in Secret flux-system/flux-system-cosign\n`,
      ),
      text,
    );
  });

  it("a stable tag pushed by hand on an unsigned digest: live refuses it, keeps the old version, MISMATCH with the message", () => {
    // 0.0.3 pushed by hand on RC 0.0.3-rc.2's digest: live selects it, its source refuses the signature.
    const hand = new Map(tags);
    hand.set("0.0.3", digestOf(8));
    const serving = `0.0.2@${digestOf(6)}`;
    const s = computeStatus({
      ...input([["live", observationOf(refused("cosign", serving, digestOf(8)), gate(serving))]]),
      tags: hand,
    });
    const live = s.clusters[1]!;
    assert.equal(live.selects?.tag, "0.0.3");
    assert.ok(live.mismatch);
    assert.match(live.mismatch, /; its source refused a signature \(VerificationError\)$/);
    const text = formatStatus(s);
    assert.match(text, /0\.0\.2, signature REFUSED, gate Ready=True {2}MISMATCH\n/);
    assert.ok(
      text.includes(
        "live: signature REFUSED (VerificationError: failed to verify the signature using provider 'cosign': no matching signatures were found for",
      ),
      text,
    );
    assert.ok(
      text.includes(
        "it verifies the keys in Secret flux-system/flux-system-cosign and keeps serving its last verified artifact",
      ),
      text,
    );
  });

  it("no spec.verify: nothing in the cell; a note for live, none for integration", () => {
    const liveRev = `0.0.2@${digestOf(6)}`;
    const intRev = `0.0.3-rc.2@${digestOf(8)}`;
    const s = computeStatus(
      input([
        ["integration", observationOf(ociRepository(undefined, intRev, []), gate(intRev))],
        ["live", observationOf(ociRepository(undefined, liveRev, []), gate(liveRev))],
      ]),
    );
    const text = formatStatus(s);
    assert.match(text, /0\.0\.3-rc\.2, gate Ready=True\n/);
    assert.match(text, /0\.0\.2, gate Ready=True\n/);
    assert.ok(
      text.includes(
        "live: verifies no signature (no spec.verify): any tag its constraint admits is applied, whoever pushed it (promotion-pipeline:pipeline.signing)",
      ),
      text,
    );
    assert.ok(!text.includes("integration: verifies no signature"), text);
  });
});

describe("promotion trace: a refused signature stops the journey, with the controller's message", () => {
  const trace = (n: number, t: Map<string, string>, observed: [string, ClusterObservation][]) =>
    traceCommit({
      commit: `${shortSha(n)}0123`,
      tags: t,
      created: new Map(),
      clusters,
      now: NOW,
      rcWaitHours: 24,
      observed: new Map(observed),
    });

  it("live refuses a hand-pushed stable tag: stopped at live (exit 4), still running the old version", () => {
    const hand = new Map(tags);
    hand.set("0.0.3", digestOf(8));
    hand.set("validated-" + shortSha(8), digestOf(8));
    const serving = `0.0.2@${digestOf(6)}`;
    const t = trace(8, hand, [
      ["live", observationOf(refused("cosign", serving, digestOf(8)), gate(serving))],
    ]);
    assert.equal(t.verdict, "stopped");
    assert.equal(t.stoppedAt, "live");
    assert.equal(t.stages[4]!.detail, "selected; signature refused on live");
    assert.ok(
      t.reason!.startsWith(
        `live refused the signature of 0.0.3 (VerificationError: failed to verify the signature using provider 'cosign': no matching signatures were found for '${REPO}@${digestOf(8)}'; it verifies the keys in Secret flux-system/flux-system-cosign) and keeps running ${serving}.`,
      ),
      t.reason,
    );
    assert.match(
      t.reason!,
      /a stable tag pushed by hand, or signed with the build key, never reaches it/,
    );
    assert.match(formatTrace(t), /live {9}NOT REACHED {2}selected; signature refused on live\n/);
  });

  it("integration refuses an RC signed by someone else: stopped before validated, with the message", () => {
    const serving = `0.0.3-rc.1@${digestOf(7)}`;
    const t = trace(8, tags, [
      [
        "integration",
        observationOf(refused("cosign keyless", serving, digestOf(8)), gate(serving)),
      ],
    ]);
    assert.equal(t.verdict, "stopped");
    assert.equal(t.stoppedAt, "validated");
    assert.ok(
      t.reason!.startsWith(
        `integration refused its signature (VerificationError: failed to verify the signature using provider 'cosign keyless': no matching signatures were found for '${REPO}@${digestOf(8)}'; it verifies identity ^https://github`,
      ),
      t.reason,
    );
    assert.match(
      t.reason!,
      /The build workflow signs every RC it pushes with the build identity or key/,
    );
    // A refusal of ANOTHER digest (named in the message) is not this commit's.
    const other = trace(8, tags, [
      ["integration", observationOf(refused("cosign", serving, digestOf(5)), gate(serving))],
    ]);
    assert.equal(other.verdict, "in-progress");
  });

  it("on live and verified: the live stage says by which key", () => {
    const rev = `0.0.2@${digestOf(6)}`;
    const t = trace(6, tags, [["live", observationOf(verified(KEY_VERIFY, rev), gate(rev))]]);
    assert.equal(t.verdict, "live");
    assert.equal(
      t.stages[4]!.detail,
      "live runs 0.0.2; live: signature verified by the keys in Secret flux-system/flux-system-cosign",
    );
  });
});
