/**
 * Issue 10: the promotion, the build plan and the allowlist at a constant number of registry requests.
 * Differential: reading only what can matter decides exactly as the full tag -> digest listing does
 * (lib/promotion/promote.ts decidePromotion, lib/pins/policy.ts expandPolicy, both unchanged). Against the
 * synthetic registry on 127.0.0.1: paginated listings, 429 with Retry-After, and a registry that fails
 * half way (nothing printed, exit 1, at every point of failure).
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { runWith as buildPlanWith } from "../../lib/cli/buildPlan";
import { runWith as pinsWith } from "../../lib/cli/pins";
import { runWith as promoteWith } from "../../lib/cli/promote";
import { formatLines, formatReport } from "../../lib/pins/allowlist";
import { expandPolicy, formatPolicy } from "../../lib/pins/policy";
import { isPlaceholder, readPinsTags } from "../../lib/pins/registry";
import {
  decidePromotion,
  decidePromotionFromRegistry,
  type PromoteRequest,
  type PromotionRegistry,
} from "../../lib/promotion/promote";
import { commitOfRevision } from "../../lib/registry/annotations";
import { ghcrPackageVersions } from "../../lib/registry/ghcrPackages";
import { OciRegistryReader, retryAfterMs } from "../../lib/registry/oci";
import { RegistryError, type ManifestInfo, type RegistryReader } from "../../lib/registry/types";
import {
  buildManifest,
  startFakeRegistry,
  yearsOfBuilds,
  type FakeRegistry,
  type HistoryBuild,
} from "../support/fakeRegistry";
import {
  countingRegistry,
  digestOfManifest,
  healthPassed as event,
  historyContents,
  historyPolicy as policyFor,
  HISTORY_REPO as REPO,
  pinnedClusters,
  arbHistory,
  assertReadsAtMost,
} from "../support/memoryRegistry";

const gate = { name: "platform", namespace: "flux-system" };
const D = (c: string): string => `sha256:${c.repeat(64)}`;

/** An in-memory registry from a history: the full listing, and a reader that counts what it reads. */
function memory(builds: readonly HistoryBuild[], extra: [string, string][] = []) {
  const { tags, manifests: bodies } = historyContents(builds);
  const manifests = new Map<string, ManifestInfo>(
    [...bodies].map(([digest, body]) => [digest, { digest, annotations: body.annotations ?? {} }]),
  );
  for (const [t, d] of extra) tags.set(t, d);
  const { counts, listTags, digestOf, resolve } = countingRegistry(tags);
  const reader: RegistryReader = {
    listTags,
    digestOf,
    manifestIfExists: (_r, ref) => {
      const d = resolve(ref);
      return Promise.resolve(d === undefined ? undefined : manifests.get(d));
    },
  };
  const promotion: PromotionRegistry = {
    listTags: () => reader.listTags(REPO),
    digestOf: (t) => reader.digestOf(REPO, t),
    manifestOf: (ref) => reader.manifestIfExists!(REPO, ref),
  };
  return { tags, manifests, counts, reader, promotion };
}

describe("registry at scale: the promotion reads a constant number of manifests", () => {
  it("decides exactly as on the full listing, for any event on any history of builds (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        arbHistory(400),
        fc.nat(),
        fc.nat(),
        fc.constantFrom("event", "event-other-digest", "sha", "digest", "unknown-sha", "v-stable"),
        async (builds, pickA, pickB, kind) => {
          const a = builds[pickA % builds.length]!;
          const b = builds[pickB % builds.length]!;
          const extra: [string, string][] = [];
          if (kind === "v-stable") {
            // A v-prefixed stable of a's version, on b's digest (Flux reads it as that version).
            extra.push([`v${a.version.replace(/-rc\.\d+$/, "")}`, digestOfManifest(b.manifest)]);
          }
          const m = memory(builds, extra);
          const dA = m.tags.get(a.version)!;
          const request: PromoteRequest =
            kind === "sha"
              ? { kind: "manual", artifactSha: a.commit.slice(0, 9) }
              : kind === "digest"
                ? { kind: "manual", digest: dA }
                : kind === "unknown-sha"
                  ? { kind: "manual", artifactSha: "0000000" }
                  : {
                      kind: "event",
                      payload: event(
                        `${a.version}@${kind === "event-other-digest" ? m.tags.get(b.version)! : dA}`,
                      ),
                    };
          const full = decidePromotion({ request, listing: m.tags, gate });
          const read = await decidePromotionFromRegistry(request, gate, m.promotion);
          assert.deepEqual(read, full);
          assert.ok(m.counts.list <= 1);
          assertReadsAtMost(m.counts, 10);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("reads nothing at all for an event that is not a promotion request", async () => {
    const m = memory(yearsOfBuilds(50));
    const d = await decidePromotionFromRegistry(
      { kind: "event", payload: { ...event(`0.1.0@${D("1")}`) } },
      gate,
      m.promotion,
    );
    assert.equal(d.action, "ignore");
    assert.deepEqual(m.counts, { list: 0, head: 0, get: 0 });
  });

  it("links a digest to its commit through the revision annotation", () => {
    assert.equal(commitOfRevision(`main@sha1:${"a".repeat(40)}`), "a".repeat(40));
    assert.equal(commitOfRevision(`release/1@x@sha1:${"b".repeat(40)}`), "b".repeat(40));
    assert.equal(commitOfRevision("b".repeat(40)), "b".repeat(40));
    assert.equal(commitOfRevision("build-7"), undefined);
    assert.equal(commitOfRevision(undefined), undefined);
  });
});

describe("registry at scale: pins reads only the tags whose digest decides protection", () => {
  const arbCluster = fc.record({
    name: fc.constantFrom("a", "b", "c", "d"),
    role: fc.constantFrom("integration" as const, "live" as const),
    semver: fc.constantFrom(">= 0.0.0-0", ">= 0.0.0", "< 0.1.3", "~0.1.1", "0.1.x", "!= 0.1.2"),
    suspended: fc.boolean(),
  });

  it("gives exactly the exhaustive allowlist on any history, policy and off-scheme tags (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        arbHistory(300),
        fc.array(arbCluster, { maxLength: 4 }),
        fc.nat(7),
        fc.array(
          fc.tuple(fc.constantFrom("demo", "9.9.9-test", "v0.1.1", "0.1", "staging"), fc.nat()),
          {
            maxLength: 3,
          },
        ),
        fc.option(fc.tuple(fc.constantFrom("tag", "digest", "gone"), fc.nat()), { nil: undefined }),
        fc.constantFrom([], [{ kind: "delete-matching" as const, name: "old", pattern: "^sha-" }]),
        async (builds, cs, keepStable, junk, pin, retention) => {
          const extra = junk.map(([t, i]): [string, string] => [
            t,
            digestOfManifest(builds[i % builds.length]!.manifest),
          ]);
          const m = memory(builds, extra);
          const clusters = pinnedClusters(cs, pin, builds, {
            tag: "2099-01-01",
            digest: "2099-01-01",
          });
          const policy = policyFor("mem", {
            clusters,
            keepStable,
            floatingTags: ["latest", "demo"],
            retention,
          });
          const want = expandPolicy(policy, m.tags);
          const read = await readPinsTags(policy, m.reader);
          assert.equal(read.mode, "selective");
          const got = expandPolicy(policy, read.tags);
          assert.equal(formatReport(got), formatReport(want));
          assert.deepEqual(got.hazards, want.hazards);
          assert.equal(formatLines(got, "x/y"), formatLines(want, "x/y"));
          assert.ok(!got.digests.some((d) => isPlaceholder(d.digest)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("HEADs a few dozen tags of 20,000, and falls back to every tag when a build has no annotations", async () => {
    const builds = yearsOfBuilds(20_000);
    const m = memory(builds);
    const policy = policyFor("mem");
    const read = await readPinsTags(policy, m.reader);
    assert.equal(read.mode, "selective");
    assert.ok(read.heads < 60, `${read.heads} HEADs`);
    assert.ok(read.manifests < 20, `${read.manifests} manifests`);
    assert.equal(
      formatLines(expandPolicy(policy, read.tags), "x/y"),
      formatLines(expandPolicy(policy, m.tags), "x/y"),
    );

    // The newest build pushed by something else: no revision annotation, so its tags cannot be found by name.
    const last = builds.at(-1)!;
    const bare = Buffer.from(JSON.stringify({ schemaVersion: 2, annotations: {} }));
    const odd = memory([...builds.slice(0, -1), { ...last, manifest: bare }]);
    const fallback = await readPinsTags(policy, odd.reader);
    assert.equal(fallback.mode, "exhaustive");
    assert.equal(fallback.heads, odd.tags.size);
    assert.equal(
      formatLines(expandPolicy(policy, fallback.tags), "x/y"),
      formatLines(expandPolicy(policy, odd.tags), "x/y"),
    );
  });

  it("--exhaustive and a reader without manifest access HEAD every tag, as before", async () => {
    const m = memory(yearsOfBuilds(300));
    const all = await readPinsTags(policyFor("mem"), m.reader, { exhaustive: true });
    assert.deepEqual([all.mode, all.heads], ["exhaustive", m.tags.size]);
    const plain: RegistryReader = {
      listTags: (r) => m.reader.listTags(r),
      digestOf: (r, t) => m.reader.digestOf(r, t),
    };
    const old = await readPinsTags(policyFor("mem"), plain);
    assert.deepEqual([old.mode, old.heads], ["exhaustive", m.tags.size]);
  });
});

describe("registry at scale: against a registry on 127.0.0.1", function () {
  this.timeout(60_000);
  let reg: FakeRegistry;
  let dir: string;
  let builds: HistoryBuild[];
  const artifact = (): string => `${reg.host}/${REPO}`;
  /** Quick retries, so the failure tests do not wait seconds. */
  const reader = (host: string) =>
    new OciRegistryReader({ host, retryBaseMs: 1, sleep: () => Promise.resolve() });

  async function cli(
    run: typeof promoteWith | typeof pinsWith | typeof buildPlanWith,
    args: string[],
  ): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const io = {
      stdout: (s: string) => void (out += s),
      stderr: (s: string) => void (err += s),
      stdin: () => Promise.resolve(""),
    };
    const code =
      run === buildPlanWith
        ? await buildPlanWith(args, io, (h, r) => reader(h).listTagsIfExists(r))
        : run === pinsWith
          ? await pinsWith(args, io, (p) => reader(p.registry))
          : await promoteWith(args, io, (h) => reader(h));
    return { code, out, err };
  }

  const promoteArgs = (): string[] => [
    ...["--event", join(dir, "event.json"), "--event-name", "repository_dispatch"],
    ...["--gate-name", "platform", "--gate-namespace", "flux-system", "--artifact", artifact()],
  ];

  before(async () => {
    reg = await startFakeRegistry({ repository: REPO, maxPageSize: 100 });
    builds = yearsOfBuilds(2_000);
    for (const b of builds) reg.push(b.manifest, b.tags);
    dir = mkdtempSync(join(tmpdir(), "registry-scale-"));
    const last = builds.at(-1)!;
    writeFileSync(
      join(dir, "event.json"),
      JSON.stringify({
        action: "Kustomization/platform.flux-system",
        client_payload: event(`${last.version}@${reg.tags.get(last.version)!}`),
      }),
    );
    writeFileSync(join(dir, "pins-policy.yaml"), formatPolicy(policyFor(reg.host)));
  });
  after(async () => {
    await reg?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    reg.throttle(0, 0);
    reg.failFrom(undefined);
    reg.reset();
  });

  it("lists every tag across pages: ceil(N / page) list requests, then a constant number of manifests", async () => {
    const r = await cli(promoteWith, promoteArgs());
    assert.equal(r.code, 0, r.err);
    const last = builds.at(-1)!;
    assert.equal(
      r.out,
      `action=promote\ndigest=${reg.tags.get(last.version)!}\nversion=${last.version.replace(/-rc\.\d+$/, "")}\ntags=validated-${last.commit.slice(0, 7)} ${last.version.replace(/-rc\.\d+$/, "")}\n`,
    );
    assert.equal(reg.counts.list, Math.ceil(reg.tags.size / 100));
    assert.ok(reg.counts.head + reg.counts.get <= 10, JSON.stringify(reg.counts));
    assert.equal(reg.counts.put, 0);
    // The same answer as the full listing gives.
    const listing = join(dir, "listing.txt");
    writeFileSync(listing, [...reg.tags].map(([t, d]) => `${t} ${d}\n`).join(""));
    const full = await cli(promoteWith, [...promoteArgs().slice(0, -2), "--listing", listing]);
    assert.equal(full.out, r.out);

    reg.reset();
    const plan = await cli(buildPlanWith, ["--commit", "f".repeat(40), "--artifact", artifact()]);
    assert.equal(plan.code, 0, plan.err);
    assert.match(plan.out, /^version=\d+\.\d+\.\d+-rc\.\d+\nrc_tag=/);
    assert.deepEqual(
      [reg.counts.list, reg.counts.head + reg.counts.get],
      [Math.ceil(reg.tags.size / 100), 0],
    );
  });

  it("build-plan --artifact: a repository that does not exist yet is a first build; a bad reference is usage", async () => {
    const r = await cli(buildPlanWith, [
      "--commit",
      "a".repeat(40),
      "--artifact",
      `${reg.host}/example-org/other/platform`,
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^version=0\.0\.1-rc\.1\n/);
    assert.match(r.err, /does not exist yet: this is its first build/);
    const bad = await cli(buildPlanWith, ["--commit", "a".repeat(40), "--artifact", "x:1.0"]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--artifact "x:1.0" is not <host>\/<repository>/);
  });

  it("promote-plan: --artifact or --listing, not both; a malformed reference is usage (exit 2)", async () => {
    const both = await cli(promoteWith, [...promoteArgs(), "--listing", "x"]);
    assert.deepEqual([both.code, both.out], [2, ""]);
    assert.match(both.err, /give --artifact or --listing, not both/);
    const bad = await cli(promoteWith, [...promoteArgs().slice(0, -1), "ghcr.io/o/p:1.0.0"]);
    assert.deepEqual([bad.code, bad.out], [2, ""]);
    assert.match(
      bad.err,
      /--artifact "ghcr.io\/o\/p:1.0.0" is not <host>\/<repository> without tag or digest/,
    );
    assert.equal(reg.total(), 0);
  });

  it("waits out a 429 with Retry-After, then answers the same", async () => {
    const slept: number[] = [];
    reg.throttle(2, 3);
    const r = new OciRegistryReader({
      host: reg.host,
      sleep: (ms) => {
        slept.push(ms);
        return Promise.resolve();
      },
    });
    const tags = await r.listTags(REPO);
    assert.equal(tags.length, reg.tags.size);
    assert.deepEqual(slept, [3000, 3000]);
    assert.equal(reg.counts.list, 2 + Math.ceil(reg.tags.size / 100));
  });

  it("Retry-After: seconds or an HTTP date; too long, or still failing after the retries, fails closed", async () => {
    assert.equal(retryAfterMs("7"), 7000);
    assert.equal(
      retryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT", Date.parse("2015-10-21T07:27:50Z")),
      10_000,
    );
    assert.equal(retryAfterMs("soon"), undefined);
    assert.equal(retryAfterMs(null), undefined);
    reg.throttle(1, 3600);
    await assert.rejects(
      reader(reg.host).listTags(REPO),
      /list tags of example-org\/platform\/platform \(page 1\): HTTP 429 Too Many Requests with Retry-After 3600s, longer than the 60s this client waits/,
    );
    assert.equal(reg.counts.list, 1);
    reg.failFrom(1);
    await assert.rejects(
      reader(reg.host).digestOf(REPO, "latest"),
      /read digest of example-org\/platform\/platform:latest: HTTP 500 Internal Server Error \(after 4 attempts\)/,
    );
  });

  it("a registry failing half way: promote-plan, pins and build-plan print nothing and exit 1, at every point", async () => {
    const runs: [string, () => Promise<{ code: number; out: string; err: string }>][] = [
      ["promote-plan", () => cli(promoteWith, promoteArgs())],
      ["pins", () => cli(pinsWith, ["--policy", join(dir, "pins-policy.yaml")])],
      [
        "build-plan",
        () => cli(buildPlanWith, ["--commit", "f".repeat(40), "--artifact", artifact()]),
      ],
    ];
    for (const [name, run] of runs) {
      reg.reset();
      const ok = await run();
      assert.equal(ok.code, 0, `${name}: ${ok.err}`);
      const total = reg.total();
      // Fail from the k-th request on, for k across the whole run (the first page, a later page, a manifest).
      const points = [...new Set([1, 2, Math.ceil(total / 2), total - 1, total])].filter(
        (k) => k >= 1,
      );
      for (const k of points) {
        reg.failFrom(k);
        const r = await run();
        reg.failFrom(undefined);
        assert.equal(
          r.code,
          1,
          `${name} failing from request ${k} of ${total}: ${r.err} ${reg.log.join(" ")}`,
        );
        assert.equal(r.out, "", `${name} failing from request ${k} printed ${r.out}`);
        assert.match(r.err, /HTTP 500 Internal Server Error/);
        assert.equal(reg.counts.put, 0);
      }
    }
  });

  it("ghcr.io: the Packages API gives every digest in ceil(versions / 100) requests; a tag it missed gets a HEAD", async () => {
    const api = await startFakeRegistry({
      repository: REPO,
      maxPageSize: 100,
      packages: { kind: "users", owner: "example-org", name: "platform/platform" },
    });
    try {
      for (const b of builds) api.push(b.manifest, b.tags);
      const policy = policyFor(api.host);
      const versions = () =>
        ghcrPackageVersions({
          owner: "example-org",
          packageName: "platform/platform",
          token: "t",
          apiUrl: `http://${api.host}`,
          sleep: () => Promise.resolve(),
        });
      const read = await readPinsTags(policy, reader(api.host), { packageVersions: versions });
      assert.equal(read.mode, "packages");
      assert.equal(read.heads, 0);
      // /orgs answers 404 (a user's package), then /users page by page.
      assert.equal(api.counts.api, 1 + Math.ceil(builds.length / 100));
      assert.equal(api.log.filter((l) => l.includes("/orgs/")).length, 1);
      const full = new Map(api.tags);
      assert.equal(
        formatLines(expandPolicy(policy, read.tags), "x/y"),
        formatLines(expandPolicy(policy, full), "x/y"),
      );
      // A build pushed after the API listing but before the tag listing: its tags are HEADed.
      const late = buildManifest("c".repeat(40), "9.0.0-rc.1");
      const cached = await versions();
      api.push(late, ["9.0.0-rc.1", "sha-ccccccc", "integration-ccccccc"]);
      const again = await readPinsTags(policy, reader(api.host), {
        packageVersions: () => Promise.resolve(cached),
      });
      assert.equal(again.heads, 3);
      assert.equal(
        formatLines(expandPolicy(policy, again.tags), "x/y"),
        formatLines(expandPolicy(policy, new Map(api.tags)), "x/y"),
      );
      // A token the API refuses, or a package it does not know: nothing was read, so the registry is read.
      const refused = await readPinsTags(policy, reader(api.host), {
        packageVersions: () =>
          ghcrPackageVersions({
            owner: "nobody",
            packageName: "platform/platform",
            token: "t",
            apiUrl: `http://${api.host}`,
          }),
      });
      assert.equal(refused.mode, "selective");
      assert.match(refused.note ?? "", /HTTP 404: no such package, or the token may not read it/);
      assert.equal(
        formatLines(expandPolicy(policy, refused.tags), "x/y"),
        formatLines(expandPolicy(policy, new Map(api.tags)), "x/y"),
      );
      // Failing after the first page is not a refusal: fail closed.
      api.failFrom(3);
      await assert.rejects(
        versions(),
        (e: unknown) =>
          e instanceof RegistryError && /list package versions .* HTTP 500/.test(e.message),
      );
    } finally {
      await api.close();
    }
  });
});
