/**
 * Issue 20 item 2: cleanup never strips a signature. Every protected digest's signature artifacts are
 * protected with it, whether the registry keeps them as cosign tags (`sha256-<hex>.sig|.att|.sbom`), as
 * OCI 1.1 referrers (the referrers API) or in the referrers tag schema (index tag `sha256-<hex>`), and
 * theirs in turn. Pure allowlist, property tests, the selective registry read (bounded requests), and the
 * referrers API client on recorded answers (Debian's distribution 2.8 does not serve the API, so its
 * 200 path is tested here; tests/e2e/pinsSignatures.test.ts covers the real registry's tag schema).
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import fc from "fast-check";
import {
  computeAllowlist,
  formatGhcrOutput,
  formatLines,
  formatReport,
  ghcrInputs,
  signatureTagsOf,
  type AllowlistInput,
} from "../../lib/pins/allowlist";
import { expandPolicy } from "../../lib/pins/policy";
import { readPinsTags } from "../../lib/pins/registry";
import { OciRegistryReader } from "../../lib/registry/oci";
import { RegistryError, type Descriptor, type RegistryReader } from "../../lib/registry/types";
import { buildHistory, fakeDigest, tagMap } from "../support/history";
import { integrationAndLive } from "../support/clusters";
import { examplePolicy } from "./support/policy";

const sha = (s: string): string => `sha256:${createHash("sha256").update(s).digest("hex")}`;
const sigTag = (d: string, suffix = ".sig"): string => `${d.replace(":", "-")}${suffix}`;

const CLUSTERS: AllowlistInput["clusters"] = integrationAndLive();

const history = buildHistory({ releases: 4, rcsPerRelease: 2, pending: 1 });
const baseTags = tagMap(history);

function input(tags: Map<string, string>, extra: Partial<AllowlistInput> = {}): AllowlistInput {
  return {
    clusters: CLUSTERS,
    floatingTags: [],
    keepStable: 2,
    startVersion: "0.0.1",
    tags,
    ...extra,
  };
}

describe("pins: signatures of protected digests (pure)", () => {
  const live = baseTags.get("0.0.4")!; // highest stable: protected
  const old = baseTags.get("0.0.1")!; // outside keepStable 2: not protected

  it("signatureTagsOf: cosign's three tags and the referrers tag-schema index", () => {
    const d = `sha256:${"ab".repeat(32)}`;
    const base = `sha256-${"ab".repeat(32)}`;
    assert.deepEqual(signatureTagsOf(d), [`${base}.sig`, `${base}.att`, `${base}.sbom`, base]);
    assert.deepEqual(signatureTagsOf("unread:0.0.1"), []);
  });

  it("protects the .sig/.att/.sbom tags and the referrers index of a kept digest, not of a deleted one", () => {
    const tags = new Map(baseTags);
    const [s, a, b, idx] = ["sig", "att", "sbom", "idx"].map((k) => sha(`${k}-of-live`));
    tags.set(sigTag(live), s!);
    tags.set(sigTag(live, ".att"), a!);
    tags.set(sigTag(live, ".sbom"), b!);
    tags.set(sigTag(live, ""), idx!);
    tags.set(sigTag(old), sha("sig-of-old"));
    const allow = computeAllowlist(input(tags));
    const byDigest = new Map(allow.digests.map((d) => [d.digest, d]));
    for (const [d, t] of [
      [s, sigTag(live)],
      [a, sigTag(live, ".att")],
      [b, sigTag(live, ".sbom")],
      [idx, sigTag(live, "")],
    ] as const) {
      const p = byDigest.get(d!);
      assert.ok(p, `${t} (${d}) is not protected`);
      assert.deepEqual(p.tags, [t]);
      assert.deepEqual(p.reasons, [{ kind: "signature", subject: live, tag: t }]);
    }
    assert.equal(byDigest.has(old), false);
    assert.equal(byDigest.has(sha("sig-of-old")), false);
    // Both output formats list them: the lines by tag, the GHCR inputs by tag and digest.
    const lines = formatLines(allow, "container/p");
    assert.match(lines, new RegExp(`^container/p==${sigTag(live).replace(/\./g, "\\.")}$`, "m"));
    assert.doesNotMatch(lines, new RegExp(sigTag(old)));
    const ghcr = ghcrInputs(allow);
    for (const d of [s, a, b, idx]) assert.ok(ghcr["skip-shas"].split(",").includes(d!));
    assert.ok(ghcr["image-tags"].split(" ").includes(`!${sigTag(live)}`));
    assert.match(
      formatReport(allow),
      new RegExp(
        `cosign signature ${sigTag(live).replace(/\./g, "\\.")} of kept ${live} \\(deleting it strips the kept digest's signature\\)`,
      ),
    );
  });

  it("protects OCI 1.1 referrers (untagged) and theirs, recursively; lines name them by digest", () => {
    const ref1 = sha("referrer-1");
    const ref2 = sha("signature-of-referrer-1");
    const refOld = sha("referrer-of-old");
    const tags = new Map(baseTags);
    const sigOfRef2 = sha("cosign-sig-of-referrer-2");
    tags.set(sigTag(ref2), sigOfRef2);
    const referrers = new Map<string, Descriptor[]>([
      [live, [{ digest: ref1, artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json" }]],
      [ref1, [{ digest: ref2, artifactType: "application/vnd.dev.cosign.artifact.sig.v1+json" }]],
      [old, [{ digest: refOld }]],
    ]);
    const allow = computeAllowlist(input(tags, { referrers }));
    const got = new Map(allow.digests.map((d) => [d.digest, d]));
    assert.deepEqual(got.get(ref1)?.reasons, [
      {
        kind: "referrer",
        subject: live,
        artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json",
      },
    ]);
    assert.equal(got.get(ref2)?.reasons[0]?.kind, "referrer");
    assert.deepEqual(got.get(sigOfRef2)?.reasons, [
      { kind: "signature", subject: ref2, tag: sigTag(ref2) },
    ]);
    assert.equal(got.has(refOld), false, "a referrer of an unprotected digest is not protected");
    const lines = formatLines(allow, "container/p");
    assert.match(lines, new RegExp(`^container/p==${ref1}$`, "m"));
    assert.ok(formatGhcrOutput(allow).includes(ref2));
  });

  it("a retention rule that deletes a kept digest's signature is an error hazard, like deleting the digest", () => {
    const tags = new Map(baseTags);
    tags.set(sigTag(live), sha("sig"));
    tags.set(sigTag(old), sha("sig-old"));
    const allow = computeAllowlist(
      input(tags, {
        retention: [{ kind: "delete-matching", name: "signatures", pattern: "^sha256-" }],
      }),
    );
    const hz = allow.hazards.filter((h) => h.kind === "retention-deletes-protected");
    assert.equal(hz.length, 1, JSON.stringify(hz));
    assert.match(
      hz[0]!.message,
      new RegExp(
        `retention rule signatures would delete tag ${sigTag(live).replace(/\./g, "\\.")}.*cosign signature`,
      ),
    );
  });
});

/** Signatures on random digests of a random history: tags, referrers, chains of them. */
const arbSigned = fc.record({
  history: fc
    .record({
      releases: fc.nat(6),
      rcsPerRelease: fc.integer({ min: 1, max: 3 }),
      pending: fc.nat(2),
    })
    .map((s) => buildHistory(s)),
  signs: fc.array(
    fc.record({
      pick: fc.nat(),
      suffix: fc.constantFrom(".sig", ".att", ".sbom", ""),
      viaReferrer: fc.boolean(),
      chain: fc.boolean(),
    }),
    { maxLength: 12 },
  ),
  keepStable: fc.integer({ min: 1, max: 4 }),
});

describe("pins: signatures (property)", () => {
  it("every signature of a protected digest is protected, nothing else changes, and the output is order-independent", () => {
    fc.assert(
      fc.property(arbSigned, ({ history: h, signs, keepStable }) => {
        const plain = tagMap(h);
        const digests = [...new Set(plain.values())].sort();
        const tags = new Map(plain);
        const referrers = new Map<string, Descriptor[]>();
        const artifactsOf = new Map<string, string[]>();
        const add = (subject: string, d: string): void =>
          void artifactsOf.set(subject, [...(artifactsOf.get(subject) ?? []), d]);
        signs.forEach((s, i) => {
          if (digests.length === 0) return;
          const subject = digests[s.pick % digests.length]!;
          const art = fakeDigest(`artifact-${i}`);
          // A tag holds one digest: a second signature by the same tag replaces nothing here.
          if (!s.viaReferrer && tags.has(sigTag(subject, s.suffix))) return;
          if (s.viaReferrer)
            referrers.set(subject, [...(referrers.get(subject) ?? []), { digest: art }]);
          else tags.set(sigTag(subject, s.suffix), art);
          add(subject, art);
          if (s.chain) {
            const sub = fakeDigest(`artifact-${i}-signature`);
            tags.set(sigTag(art), sub);
            add(art, sub);
          }
        });
        const without = computeAllowlist({ ...input(plain), keepStable });
        const withSigs = computeAllowlist({ ...input(tags, { referrers }), keepStable });
        const protectedNow = new Set(withSigs.digests.map((d) => d.digest));
        // 1. What was protected stays protected, with the same tags and reasons.
        for (const d of without.digests)
          assert.deepEqual(
            withSigs.digests.find((x) => x.digest === d.digest),
            d,
            `${d.digest} changed`,
          );
        // 2. Closed under "is a signature of": every artifact of a protected digest is protected.
        for (const d of protectedNow)
          for (const a of artifactsOf.get(d) ?? [])
            assert.ok(protectedNow.has(a), `signature ${a} of kept ${d} is not protected`);
        // 3. Nothing else: every newly protected digest is an artifact of a protected digest.
        const base = new Set(without.digests.map((d) => d.digest));
        for (const d of protectedNow) {
          if (base.has(d)) continue;
          assert.ok(
            [...artifactsOf].some(([s, as]) => protectedNow.has(s) && as.includes(d)),
            `${d} is protected but signs nothing kept`,
          );
        }
        // 4. Deterministic: the tag listing and the referrers in another order give the same bytes.
        const shuffled = new Map([...tags].reverse());
        const refShuffled = new Map(
          [...referrers].reverse().map(([k, v]) => [k, [...v].reverse()] as const),
        );
        const again = computeAllowlist({
          ...input(shuffled, { referrers: refShuffled }),
          keepStable,
        });
        assert.equal(formatLines(again, "x/y"), formatLines(withSigs, "x/y"));
        assert.equal(formatGhcrOutput(again), formatGhcrOutput(withSigs));
      }),
      { numRuns: 300 },
    );
  });
});

const POLICY = examplePolicy(integrationAndLive(), {
  registry: "registry.example.org",
  keepStable: 2,
});

describe("pins: the registry read finds signatures with bounded requests", () => {
  /** 40 releases, every build signed by tag; the protected ones also have a referrer via the tag schema. */
  function signedRegistry(api: "none" | "serves") {
    const h = buildHistory({ releases: 40, rcsPerRelease: 3, pending: 2 });
    const tags = tagMap(h);
    const digests = [...new Set(tags.values())];
    for (const d of digests) tags.set(sigTag(d), fakeDigest(`sig-${d}`));
    const referrerOf = (d: string): string => fakeDigest(`ref-${d}`);
    const indexes = new Map<string, Record<string, unknown>>();
    for (const d of digests) {
      const idx = fakeDigest(`index-${d}`);
      tags.set(sigTag(d, ""), idx);
      indexes.set(sigTag(d, ""), {
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.index.v1+json",
        manifests: [{ digest: referrerOf(d), size: 500, artifactType: "application/x-test" }],
      });
    }
    const counts = { list: 0, head: 0, referrers: 0, manifest: 0 };
    const reader: RegistryReader = {
      listTags: () => {
        counts.list++;
        return Promise.resolve([...tags.keys()]);
      },
      digestOf: (_r, t) => {
        counts.head++;
        const d = tags.get(t);
        return d
          ? Promise.resolve(d)
          : Promise.reject(new RegistryError("mem", `HEAD ${t}`, "404"));
      },
      manifestIfExists: (_r, ref) => {
        counts.manifest++;
        const d = ref.startsWith("sha256:") ? ref : tags.get(ref);
        const b = h.find((x) => tags.get(x.tags[0]!) === d);
        return Promise.resolve(
          b === undefined
            ? undefined
            : {
                digest: d!,
                annotations: {
                  "org.opencontainers.image.revision": `main@sha1:${b.sha}${"0".repeat(33)}`,
                  "org.opencontainers.image.version": `${b.version}-rc.${b.rc}`,
                },
              },
        );
      },
      referrers: (_r, d) => {
        counts.referrers++;
        if (api === "none") return Promise.resolve(undefined);
        return Promise.resolve(digests.includes(d) ? [{ digest: fakeDigest(`api-${d}`) }] : []);
      },
      manifest: (_r, ref) => {
        counts.manifest++;
        return Promise.resolve({ digest: tags.get(ref)!, manifest: indexes.get(ref)! });
      },
    };
    return { tags, reader, counts, referrerOf, digests };
  }

  for (const api of ["none", "serves"] as const) {
    it(`selective read = the full listing's answer; requests grow with protected digests only (referrers API: ${api})`, async () => {
      const m = signedRegistry(api);
      const read = await readPinsTags(POLICY, m.reader);
      assert.equal(read.mode, "selective");
      const got = expandPolicy(POLICY, read.tags, read.referrers);
      // The answer on the full listing with every referrer known.
      const allRefs = new Map<string, Descriptor[]>();
      for (const d of m.digests)
        allRefs.set(d, [
          { digest: m.referrerOf(d), size: 500, artifactType: "application/x-test" },
          ...(api === "serves" ? [{ digest: fakeDigest(`api-${d}`) }] : []),
        ]);
      const want = expandPolicy(POLICY, m.tags, allRefs);
      assert.equal(formatLines(got, "x/y"), formatLines(want, "x/y"));
      assert.equal(formatGhcrOutput(got), formatGhcrOutput(want));
      const subjects = want.digests.filter((d) =>
        d.reasons.every((r) => r.kind !== "signature" && r.kind !== "referrer"),
      );
      assert.ok(subjects.length >= 3 && subjects.length <= 8, `${subjects.length} subjects`);
      // Every build is signed (~250 tags of signatures), yet the reads follow the protected digests.
      assert.ok(m.tags.size > 500);
      assert.ok(m.counts.head < 12 * want.digests.length, `${m.counts.head} HEADs`);
      if (api === "none")
        assert.ok(m.counts.referrers <= 8, `${m.counts.referrers} referrer calls`);
      else assert.equal(m.counts.referrers, read.referrerRequests);
      assert.ok(read.referrerRequests <= want.digests.length);
      // The protected RC's signature and referrer are in, an old RC's are not.
      const oldRc = m.tags.get("0.0.1-rc.1")!;
      const lines = formatLines(got, "x/y");
      assert.doesNotMatch(lines, new RegExp(sigTag(oldRc).replace(/\./g, "\\.")));
      const liveD = m.tags.get("0.0.40")!;
      assert.match(lines, new RegExp(`x/y==${sigTag(liveD).replace(/\./g, "\\.")}`));
      assert.match(lines, new RegExp(`x/y==${m.referrerOf(liveD)}`));
    });
  }

  it("fails closed on referrers that never end (each referrer has another)", async () => {
    const m = signedRegistry("serves");
    const reader: RegistryReader = {
      ...m.reader,
      referrers: (_r, d) => Promise.resolve([{ digest: fakeDigest(`next-${d}`) }]),
    };
    await assert.rejects(
      readPinsTags(POLICY, reader),
      /signature artifacts nest deeper than 8 levels/,
    );
  });

  it("fails closed: a referrers request that fails throws (the CLI prints nothing)", async () => {
    const m = signedRegistry("serves");
    const reader: RegistryReader = {
      ...m.reader,
      referrers: () => Promise.reject(new RegistryError("mem", "read referrers", "HTTP 500")),
    };
    await assert.rejects(readPinsTags(POLICY, reader), /read referrers: HTTP 500/);
  });
});

describe("OciRegistryReader.referrers on recorded answers", () => {
  const subject = `sha256:${"c7".repeat(32)}`;
  const sigD = `sha256:${"5a".repeat(32)}`;
  const attD = `sha256:${"a7".repeat(32)}`;
  // As a registry that serves the API (zot, distribution 3, ...) answers: an OCI index, paginated.
  const page1 = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: sigD,
        size: 735,
        artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json",
        annotations: { "dev.sigstore.bundle.predicateType": "https://sigstore.dev/cosign/sign/v1" },
      },
    ],
  };
  const page2 = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: attD,
        size: 1024,
        artifactType: "application/vnd.in-toto+json",
      },
    ],
  };

  function stub(answers: (url: string) => Response): { fetch: typeof fetch; urls: string[] } {
    const urls: string[] = [];
    return {
      urls,
      fetch: ((u: string | URL) => {
        urls.push(String(u));
        return Promise.resolve(answers(String(u)));
      }) as typeof fetch,
    };
  }
  const reader = (f: typeof fetch) =>
    new OciRegistryReader({ host: "127.0.0.1:5000", fetch: f, sleep: () => Promise.resolve() });

  it("reads every page of the API's index (Link rel=next), retrying a 429", async () => {
    let throttled = false;
    const s = stub((u) => {
      if (!throttled) {
        throttled = true;
        return new Response("slow down", { status: 429, headers: { "retry-after": "0" } });
      }
      if (u.endsWith("?last=1"))
        return Response.json(page2, {
          headers: { "content-type": "application/vnd.oci.image.index.v1+json" },
        });
      return Response.json(page1, {
        headers: {
          "content-type": "application/vnd.oci.image.index.v1+json",
          link: `</v2/o/r/referrers/${subject}?last=1>; rel="next"`,
        },
      });
    });
    const got = await reader(s.fetch).referrers("o/r", subject);
    assert.deepEqual(got, [
      {
        digest: sigD,
        size: 735,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json",
      },
      {
        digest: attD,
        size: 1024,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        artifactType: "application/vnd.in-toto+json",
      },
    ]);
    assert.deepEqual(s.urls, [
      `http://127.0.0.1:5000/v2/o/r/referrers/${subject}`,
      `http://127.0.0.1:5000/v2/o/r/referrers/${subject}`,
      `http://127.0.0.1:5000/v2/o/r/referrers/${subject}?last=1`,
    ]);
  });

  it("404 (Debian's distribution 2.8 answers `404 page not found`) means: API not served", async () => {
    const s = stub(
      () =>
        new Response("404 page not found\n", {
          status: 404,
          headers: { "content-type": "text/plain; charset=utf-8" },
        }),
    );
    assert.equal(await reader(s.fetch).referrers("o/r", subject), undefined);
  });

  it("an empty index is no referrers; a malformed one, or a 500 that lasts, fails closed", async () => {
    const empty = stub(() => Response.json({ schemaVersion: 2, manifests: [] }));
    assert.deepEqual(await reader(empty.fetch).referrers("o/r", subject), []);
    const bad = stub(() => Response.json({ schemaVersion: 2, manifests: [{ digest: "nope" }] }));
    await assert.rejects(
      reader(bad.fetch).referrers("o/r", subject),
      /read referrers of o\/r@sha256:c7.*manifests\[0\] has no valid digest/,
    );
    const down = stub(() => new Response("boom", { status: 500 }));
    await assert.rejects(
      reader(down.fetch).referrers("o/r", subject),
      /read referrers of o\/r@sha256:c7.*HTTP 500.*after 4 attempts/,
    );
  });
});
