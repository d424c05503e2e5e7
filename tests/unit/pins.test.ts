import { strict as assert } from "node:assert";
import {
  computeAllowlist,
  deletedBy,
  formatGhcr,
  formatGhcrOutput,
  formatLines,
  formatReport,
  protectedTags,
  type AllowlistInput,
  type PinCluster,
} from "../../lib/pins/allowlist";
import { buildHistory, fakeDigest, tagMap, type Build } from "../support/history";

const integration: PinCluster = {
  name: "integration",
  role: "integration",
  semver: ">= 0.0.0-0",
  suspended: false,
};
const live: PinCluster = { name: "live", role: "live", semver: ">= 0.0.0", suspended: false };
const dev: PinCluster = { name: "dev", role: "dev", semver: "", suspended: false };

function input(builds: readonly Build[], over: Partial<AllowlistInput> = {}): AllowlistInput {
  return {
    clusters: [dev, integration, live],
    floatingTags: [],
    keepStable: 3,
    startVersion: "0.0.1",
    tags: tagMap(builds),
    ...over,
  };
}
const digestOf = (b: Build): string => fakeDigest(`build-${b.n}`);

/** Asserts `hazards` is exactly one error of `kind` saying `message`. */
function assertOnlyError(hazards: readonly unknown[], kind: string, message: string): void {
  assert.deepEqual(hazards, [{ kind, severity: "error", message }]);
}

describe("pins: computeAllowlist on a pipeline history", () => {
  // 6 releases of 3 RCs each (0.0.1 .. 0.0.6), then 2 RCs of 0.0.7 pending.
  const builds = buildHistory({ releases: 6, rcsPerRelease: 3, pending: 2 });
  const promoted = builds.filter((b) => b.promoted);
  const pending = builds.filter((b) => b.version === "0.0.7");

  it("protects exactly: the last K stable digests, the pending RCs, what each cluster selects", () => {
    const a = computeAllowlist(input(builds));
    const expected = [...promoted.slice(-3), ...pending].map(digestOf).sort();
    assert.deepEqual(
      a.digests.map((d) => d.digest),
      expected,
    );
    assert.equal(a.highestStable, "0.0.6");
    assert.equal(a.pendingVersion, "0.0.7");
    assert.deepEqual(a.hazards, []);
  });

  it("lists every tag sharing a protected digest (rc, sha-, integration-, validated-, stable)", () => {
    const a = computeAllowlist(input(builds));
    const last = promoted[promoted.length - 1] as Build;
    const entry = a.digests.find((d) => d.digest === digestOf(last));
    assert.deepEqual(entry?.tags, [...last.tags].sort());
    assert.deepEqual(
      entry?.reasons.map((r) => r.kind),
      ["highest-stable", "rollback", "selected"],
    );
    const rc = a.digests.find((d) => d.digest === digestOf(pending[1] as Build));
    assert.deepEqual(rc?.reasons, [
      { kind: "pending-rc", tag: "0.0.7-rc.2" },
      { kind: "selected", cluster: "integration", tag: "0.0.7-rc.2", suspended: false },
    ]);
  });

  it("keeps a suspended cluster's selection, a pin's digest and a floating tag's digest", () => {
    const old = promoted[0] as Build; // 0.0.1, outside keepStable
    const pinned = promoted[1] as Build; // 0.0.2
    const a = computeAllowlist(
      input(builds, {
        clusters: [
          integration,
          { ...live, pin: { tag: "0.0.2", reason: "INC-42", expires: "2030-01-01" } },
          { name: "staging", role: "live", semver: "< 0.0.2", suspended: true },
        ],
        floatingTags: ["stable", "stable"],
        tags: new Map([...tagMap(builds), ["stable", digestOf(builds[0] as Build)]]),
      }),
    );
    const reasons = (b: Build) => a.digests.find((d) => d.digest === digestOf(b))?.reasons;
    assert.deepEqual(reasons(old), [
      { kind: "selected", cluster: "staging", tag: "0.0.1", suspended: true },
    ]);
    assert.deepEqual(reasons(pinned), [
      { kind: "pin", cluster: "live", ref: "0.0.2", reason: "INC-42", expires: "2030-01-01" },
    ]);
    assert.deepEqual(reasons(builds[0] as Build), [{ kind: "floating", tag: "stable" }]);
  });

  it("with no stable tag yet, protects the RCs of the start version", () => {
    const fresh = buildHistory({ releases: 0, rcsPerRelease: 0, pending: 3 });
    const a = computeAllowlist(input(fresh));
    assert.equal(a.highestStable, undefined);
    assert.equal(a.pendingVersion, "0.0.1");
    assert.equal(a.digests.length, 3);
    assert.deepEqual(
      a.hazards.map((h) => h.kind),
      ["selects-nothing"],
    );
    assert.equal(
      a.hazards[0]?.message,
      'cluster live: semver ">= 0.0.0" selects no tag of the 9 in the registry; Flux keeps the artifact it last fetched, which nothing here can protect.',
    );
  });
});

describe("pins: hazards", () => {
  const builds = buildHistory({ releases: 4, rcsPerRelease: 2, pending: 1 });

  it("a pin to a tag that does not exist", () => {
    const a = computeAllowlist(
      input(builds, {
        clusters: [
          integration,
          { ...live, pin: { tag: "0.0.9", reason: "r", expires: "2030-01-01" } },
        ],
      }),
    );
    assertOnlyError(
      a.hazards,
      "pin-tag-missing",
      "cluster live is pinned to tag 0.0.9, which does not exist in the registry: Flux cannot fetch it and the cluster stays on whatever it last applied. Pin an existing tag or a digest.",
    );
  });

  it("a digest pin no tag points at is protected and listed by digest", () => {
    const d = fakeDigest("untagged");
    const a = computeAllowlist(
      input(builds, {
        clusters: [
          integration,
          { ...live, pin: { digest: d, reason: "r", expires: "2030-01-01" } },
        ],
      }),
    );
    assert.deepEqual(
      a.hazards.map((h) => h.kind),
      ["pin-digest-untagged"],
    );
    assert.ok(a.digests.some((x) => x.digest === d && x.tags.length === 0));
    assert.match(
      formatLines(a, "container/platform/platform"),
      new RegExp(`^container/platform/platform==${d}$`, "m"),
    );
    assert.match(formatGhcr(a), new RegExp(d));
  });

  it("a stray higher pre-release that stops integration from taking new RCs", () => {
    const tags = new Map([...tagMap(builds), ["9.9.9-test", fakeDigest("stray")]]);
    const a = computeAllowlist(input(builds, { tags }));
    assertOnlyError(
      a.hazards,
      "stray-prerelease",
      'cluster integration: ">= 0.0.0-0" selects 9.9.9-test, not the pending candidate 0.0.5-rc.1; every new RC (0.0.5-rc.N) ranks below it, so integration never validates another build. Delete the tag 9.9.9-test (or narrow the cluster\'s semverFilter).',
    );
  });

  it("a regex rule that would delete a protected digest through its sha- tag", () => {
    const a = computeAllowlist(
      input(builds, {
        keepStable: 1,
        retention: [{ kind: "delete-matching", name: "old-shas", pattern: "^sha-" }],
      }),
    );
    const msgs = a.hazards
      .filter((h) => h.kind === "retention-deletes-protected")
      .map((h) => h.message);
    assert.equal(msgs.length, 2); // the highest stable and the pending RC
    const top = builds.find((b) => b.version === "0.0.4" && b.promoted) as Build;
    assert.ok(
      msgs.includes(
        `retention rule old-shas would delete tag sha-${top.sha}, and with it digest ${fakeDigest(`build-${top.n}`)} (also tagged 0.0.4, 0.0.4-rc.2, integration-${top.sha}, validated-${top.sha}), which is protected: highest stable 0.0.4 (live's version and the base of the next version); rollback target 0.0.4 (stable 1 of keepStable); cluster live selects 0.0.4. Exclude every tag of the allowlist from the rule.`,
      ),
      msgs.join("\n"),
    );
  });

  it("a keep-N rule over versions that would delete rollback targets", () => {
    const rule = {
      kind: "keep-latest",
      name: "keep-2-stable",
      count: 2,
      pattern: "^\\d+\\.\\d+\\.\\d+$",
    } as const;
    assert.deepEqual(deletedBy(rule, [...tagMap(builds).keys()]), ["0.0.1", "0.0.2"]);
    const a = computeAllowlist(input(builds, { keepStable: 3, retention: [rule] }));
    assert.deepEqual(
      a.hazards.map((h) => /would delete tag (\S+),/.exec(h.message)?.[1]),
      ["0.0.2"],
    );
    const safe = computeAllowlist(input(builds, { keepStable: 2, retention: [rule] }));
    assert.deepEqual(safe.hazards, []);
  });
});

describe("pins: output formats", () => {
  const builds = buildHistory({ releases: 1, rcsPerRelease: 1, pending: 1 });
  const a = computeAllowlist(input(builds, { keepStable: 1 }));
  const [b1, b2] = builds as [Build, Build];

  it("type/name==version lines: sorted, deduplicated, with the generated header", () => {
    assert.equal(
      formatLines(a, "container/platform/platform"),
      [
        "# Code generated by promotion-pipeline (https://github.com/example-org/promotion-pipeline). DO NOT EDIT.",
        "# Source: promotion-pipeline:pipeline (clusters, pins, floatingTags, keepStable) and the registry's tags. Change the source and run `pulumi up`; hand edits are reported as drift.",
        "# Registry pin allowlist: 2 protected digests, 8 entries.",
        ...[
          "container/platform/platform==0.0.1",
          "container/platform/platform==0.0.1-rc.1",
          "container/platform/platform==0.0.2-rc.1",
          `container/platform/platform==integration-${b1.sha}`,
          `container/platform/platform==integration-${b2.sha}`,
          `container/platform/platform==sha-${b1.sha}`,
          `container/platform/platform==sha-${b2.sha}`,
          `container/platform/platform==validated-${b1.sha}`,
        ].sort(),
        "",
      ].join("\n"),
    );
  });

  it("GHCR retention inputs for snok/container-retention-policy v3", () => {
    const text = formatGhcr(a);
    const body = text.split("\n").filter((l) => !l.startsWith("#"));
    assert.deepEqual(body, [
      `image-tags: "${[
        "0.0.1",
        "0.0.1-rc.1",
        "0.0.2-rc.1",
        `integration-${b1.sha}`,
        `integration-${b2.sha}`,
        `sha-${b1.sha}`,
        `sha-${b2.sha}`,
        `validated-${b1.sha}`,
      ]
        .sort()
        .map((t) => `!${t}`)
        .join(" ")}"`,
      `skip-shas: "${[digestOf(b1), digestOf(b2)].sort().join(",")}"`,
      "",
    ]);
    // The same two inputs as $GITHUB_OUTPUT lines, for the generated retention workflow.
    const outputs = formatGhcrOutput(a).split("\n");
    assert.equal(outputs.length, 3);
    assert.equal(
      outputs[0],
      `image-tags=${JSON.parse(body[0]!.slice("image-tags: ".length)) as string}`,
    );
    assert.equal(outputs[1], `skip-shas=${[digestOf(b1), digestOf(b2)].sort().join(",")}`);
  });

  it("a report names every reason", () => {
    const r = formatReport(a);
    assert.match(r, /^highest stable: 0\.0\.1; pending version: 0\.0\.2$/m);
    assert.match(r, /  - cluster integration selects 0\.0\.2-rc\.1$/m);
    assert.match(r, /  - release candidate 0\.0\.2-rc\.1, not promoted yet$/m);
    assert.deepEqual(protectedTags(a).length, 8);
  });
});
