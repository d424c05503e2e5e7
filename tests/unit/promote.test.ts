import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
  decidePromotion,
  decisionOutputs,
  parseListing,
  splitRevision,
  type PromoteInput,
} from "../../lib/promotion/promote";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;
const D3 = `sha256:${"3".repeat(64)}`;
const gate = { name: "platform", namespace: "flux-system" };

/** A Flux event as notification-controller sends it in client_payload. */
function event(revision: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    involvedObject: {
      kind: "Kustomization",
      name: "platform",
      namespace: "flux-system",
      apiVersion: "kustomize.toolkit.fluxcd.io/v1",
    },
    severity: "info",
    timestamp: "2026-11-23T12:00:00Z",
    message: "Health check passed in 1.2s",
    reason: "Progressing",
    reportingController: "kustomize-controller",
    metadata: { revision },
    ...over,
  };
}

/** rc.1 of 0.0.1 built from commit aaaaaaa (D1), rc.2 from bbbbbbb (D2). */
const built = new Map([
  ["0.0.1-rc.1", D1],
  ["sha-aaaaaaa", D1],
  ["integration-aaaaaaa", D1],
  ["0.0.1-rc.2", D2],
  ["sha-bbbbbbb", D2],
  ["integration-bbbbbbb", D2],
]);

const decide = (payload: unknown, listing: ReadonlyMap<string, string> = built) =>
  decidePromotion({ request: { kind: "event", payload }, listing, gate });

describe("promotion decision", () => {
  it("promotes the validated RC digest: validated-<7> first, then X.Y.Z", () => {
    assert.deepEqual(decide(event(`0.0.1-rc.2@${D2}`)), {
      action: "promote",
      reason: `0.0.1-rc.2 (${D2}) passed integration: tagging validated-bbbbbbb, 0.0.1.`,
      digest: D2,
      version: "0.0.1",
      tags: ["validated-bbbbbbb", "0.0.1"],
    });
  });

  it("ignores events whose severity is not info", () => {
    const d = decide(event(`0.0.1-rc.2@${D2}`, { severity: "error" }));
    assert.deepEqual(d, {
      action: "ignore",
      reason: 'event severity is "error", not "info": only a healthy platform promotes.',
    });
  });

  it("ignores revisions without a pre-release (integration also follows X.Y.Z after promotion)", () => {
    const d = decide(event(`0.0.1@${D2}`), new Map([...built, ["0.0.1", D2]]));
    assert.equal(d.action, "ignore");
    assert.match(d.reason, /has no pre-release part/);
  });

  it("ignores events about another object than the gate", () => {
    const d = decide(
      event(`0.0.1-rc.2@${D2}`, {
        involvedObject: { kind: "Kustomization", name: "apps", namespace: "flux-system" },
      }),
    );
    assert.equal(d.action, "ignore");
    assert.match(d.reason, /not Kustomization flux-system\/platform/);
  });

  it("is a no-op when the digest already has a stable tag (replayed dispatch)", () => {
    const after = new Map([...built, ["validated-bbbbbbb", D2], ["0.0.1", D2]]);
    assert.deepEqual(decide(event(`0.0.1-rc.2@${D2}`), after), {
      action: "noop",
      reason: `digest ${D2} (0.0.1-rc.2) is already stable as 0.0.1; nothing to do.`,
      digest: D2,
      stable: "0.0.1",
    });
  });

  it("keys idempotency on the digest, not on validated-<sha>: a stable tag alone makes it a no-op", () => {
    const d = decide(event(`0.0.1-rc.2@${D2}`), new Map([...built, ["0.0.1", D2]]));
    assert.equal(d.action, "noop");
  });

  it("refuses a stale RC: X.Y.Z already on another digest is never moved", () => {
    const after = new Map([...built, ["validated-bbbbbbb", D2], ["0.0.1", D2]]);
    assert.deepEqual(decide(event(`0.0.1-rc.1@${D1}`), after), {
      action: "refuse",
      reason: `0.0.1 already points at ${D2}; 0.0.1-rc.1 (${D1}) is a stale candidate and a stable tag is never moved.`,
    });
  });

  it("refuses an RC older than the newest stable", () => {
    const l = new Map([...built, ["0.0.2", D3]]);
    const d = decide(event(`0.0.1-rc.1@${D1}`), l);
    assert.deepEqual(d, {
      action: "refuse",
      reason:
        "0.0.1-rc.1 is older than the newest stable 0.0.2; a stale candidate is not promoted.",
    });
  });

  it("refuses when the tag no longer points at the validated digest", () => {
    const l = new Map([...built, ["0.0.1-rc.2", D3]]);
    const d = decide(event(`0.0.1-rc.2@${D2}`), l);
    assert.equal(d.action, "refuse");
    assert.match(d.reason, /0.0.1-rc.2 now points at sha256:3+, not at the validated sha256:2+/);
    const gone = new Map([...built].filter(([t]) => t !== "0.0.1-rc.2"));
    assert.match(decide(event(`0.0.1-rc.2@${D2}`), gone).reason, /is not in the registry any more/);
  });

  it("refuses a digest that was not built by the build workflow (no sha- tag)", () => {
    const l = new Map([["0.0.1-rc.1", D1]]);
    assert.match(decide(event(`0.0.1-rc.1@${D1}`), l).reason, /carries no sha-<commit> tags/);
  });

  it("refuses a malformed payload and revision, quoting hostile text harmlessly", () => {
    assert.equal(decide("$(touch /tmp/pwned)").action, "refuse");
    const hostile = "0.0.1-rc.2@sha256:$(touch /tmp/pwned)`id`;rm -rf /\nx=1";
    const d = decide(event(hostile));
    assert.equal(d.action, "refuse");
    assert.ok(!d.reason.includes("\n"), d.reason);
    assert.match(d.reason, /is not <tag>@sha256:<digest>/);
    assert.equal(decide({ ...event("x"), metadata: undefined }).action, "refuse");
  });

  it("ignores tags that are not release candidates", () => {
    assert.equal(decide(event(`latest@${D1}`)).action, "ignore");
    assert.equal(decide(event(`0.0.1-beta.1@${D1}`)).action, "ignore");
  });

  describe("manual (workflow_dispatch)", () => {
    const manual = (
      r: { artifactSha?: string; digest?: string },
      listing: ReadonlyMap<string, string> = built,
    ) => decidePromotion({ request: { kind: "manual", ...r }, listing, gate });

    it("by commit: finds sha-<7> and promotes its RC", () => {
      const d = manual({ artifactSha: "aaaaaaa0123456789" });
      assert.equal(d.action, "promote");
      assert.deepEqual(d.action === "promote" && d.tags, ["validated-aaaaaaa", "0.0.1"]);
    });

    it("by digest", () => {
      const d = manual({ digest: D2 });
      assert.equal(d.action, "promote");
      assert.equal(d.action === "promote" && d.digest, D2);
    });

    it("refuses both, neither, bad values and unknown commits", () => {
      assert.match(manual({}).reason, /exactly one of the inputs/);
      assert.match(
        manual({ artifactSha: "aaaaaaa", digest: D1 }).reason,
        /exactly one of the inputs/,
      );
      assert.match(manual({ artifactSha: "$(id)" }).reason, /is not a commit SHA/);
      assert.match(
        manual({ artifactSha: "ccccccc" }).reason,
        /no artifact was built from commit ccccccc/,
      );
      assert.match(manual({ digest: "sha256:xyz" }).reason, /is not sha256:<64 lower-case hex>/);
      assert.match(manual({ digest: D3 }).reason, /has no release candidate tag/);
    });

    it("is a no-op for an already stable digest", () => {
      assert.equal(
        manual({ artifactSha: "bbbbbbb" }, new Map([...built, ["0.0.1", D2]])).action,
        "noop",
      );
    });
  });

  it("outputs are single-line key=value pairs", () => {
    const d = decide(event(`0.0.1-rc.2@${D2}`));
    assert.equal(
      decisionOutputs(d),
      `action=promote\ndigest=${D2}\nversion=0.0.1\ntags=validated-bbbbbbb 0.0.1\n`,
    );
    assert.equal(decisionOutputs({ action: "ignore", reason: "x\ny" }), "action=ignore\n");
  });

  it("parses `tag digest` listings and refuses malformed lines", () => {
    assert.deepEqual(
      [...parseListing(`a ${D1}\n\nb ${D2}\n`)],
      [
        ["a", D1],
        ["b", D2],
      ],
    );
    assert.throws(() => parseListing("a\n"), /listing line 1: expected "<tag> <digest>"/);
  });

  it("splits Flux OCI revisions", () => {
    assert.deepEqual(splitRevision(`1.2.3-rc.4@${D1}`), { tag: "1.2.3-rc.4", digest: D1 });
    assert.equal(splitRevision(D1), undefined);
    assert.equal(splitRevision(`main@sha1:${"a".repeat(40)}`), undefined);
  });

  it("property: never moves a stable tag that exists, and only tags the event's digest", () => {
    const digest = fc.constantFrom(D1, D2, D3);
    const tag = fc.oneof(
      fc.tuple(fc.nat(2), fc.nat(2), fc.nat(3)).map(([a, b, c]) => `${a}.${b}.${c}`),
      fc
        .tuple(fc.nat(2), fc.nat(2), fc.nat(3), fc.nat(4))
        .map(([a, b, c, n]) => `${a}.${b}.${c}-rc.${n}`),
      fc.constantFrom("sha-aaaaaaa", "sha-bbbbbbb", "validated-aaaaaaa", "latest"),
    );
    const listingArb = fc.array(fc.tuple(tag, digest), { maxLength: 12 }).map((xs) => new Map(xs));
    fc.assert(
      fc.property(
        listingArb,
        tag,
        digest,
        fc.constantFrom("info", "error"),
        (listing, t, d, severity) => {
          const input: PromoteInput = {
            request: { kind: "event", payload: event(`${t}@${d}`, { severity }) },
            listing,
            gate,
          };
          const r = decidePromotion(input);
          if (r.action !== "promote") return;
          assert.equal(severity, "info");
          assert.equal(r.digest, d);
          assert.equal(listing.get(t), d);
          for (const added of r.tags)
            assert.ok(!listing.has(added) || listing.get(added) === d, `would move ${added}`);
          assert.ok(
            ![...listing].some(([x, dd]) => dd === d && /^\d+\.\d+\.\d+$/.test(x)),
            "digest was already stable",
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("promotion decision: versions read as Flux reads them", () => {
  it("a v-prefixed or +build stable tag of the same version blocks the promotion (never a second stable tag)", () => {
    for (const t of ["v0.0.1", "0.0.1+build.7"]) {
      const d = decide(event(`0.0.1-rc.2@${D2}`), new Map([...built, [t, D3]]));
      assert.deepEqual(d, {
        action: "refuse",
        reason: `${t} already points at ${D3}; 0.0.1-rc.2 (${D2}) is a stale candidate and a stable tag is never moved.`,
      });
    }
  });

  it("a v-prefixed stable tag on the digest makes it a no-op", () => {
    assert.equal(
      decide(event(`0.0.1-rc.2@${D2}`), new Map([...built, ["v0.0.1", D2]])).action,
      "noop",
    );
  });
});
