/**
 * Issue 20 item 4: the registry integrity probe. The artifact check on a stub registry (every kind of
 * breakage named, each digest read once), `promotion verify`'s usage and exit codes, the build job's
 * step, and the scheduled registry-integrity workflow (config, permissions, GitHub's parser, actionlint,
 * its example). The real registry: tests/e2e/integrity.test.ts.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { runWith, type VerifyReaderFactory } from "../../lib/cli/verify";
import { main } from "../../lib/cli/main";
import { DEFAULT_INTEGRITY } from "../../lib/config";
import { ConfigError } from "../../lib/errors";
import { checkArtifacts, type IntegrityReader } from "../../lib/registry/integrity";
import type { Probe } from "../../lib/registry/types";
import { integrityFile } from "../../lib/workflows/platformFiles";
import { buildWorkflow } from "../../lib/workflows/pipeline";
import { INTEGRITY_WORKFLOW } from "../../lib/workflows/integrity";
import { shippedConfig } from "../support/pulumiMocks";
import { FLUX_CONFIG as CONFIG, fluxManifest, sha256 as sha } from "../support/ociManifest";
import { assertExample, EXAMPLES } from "./support/examples";
import { captureIo } from "./support/io";
import { assertScheduledWorkflow, itParsesAndLints } from "./support/scheduledWorkflow";
import { exampleConfig } from "./support/config";

const LAYER = Buffer.from("layer bytes\n");
const manifest = (layer = LAYER, layerDigest = sha(layer)): Buffer =>
  fluxManifest([{ digest: layerDigest, size: layer.length }]);

/** A registry as maps: manifests by digest (bytes served), blobs by digest (size), answers overridable. */
function stub(
  manifests: Map<string, Buffer>,
  blobs: Map<string, number>,
  over: Map<string, Probe> = new Map(),
) {
  const reads: string[] = [];
  /** Records the read, then answers as `over` says, else from `answer` (missing when it has none). */
  const probe =
    <T>(what: string, answer: (ref: string) => T | undefined) =>
    (_repo: string, ref: string): Promise<T | Probe> => {
      reads.push(`${what} ${ref}`);
      return Promise.resolve(over.get(ref) ?? answer(ref) ?? { kind: "missing" });
    };
  const reader: IntegrityReader = {
    probeManifest: probe("manifest", (ref) => {
      const b = manifests.get(ref);
      return b && { kind: "ok", bytes: b, headerDigest: ref, contentLength: b.length };
    }),
    probeBlob: probe("blob", (d) => {
      const n = blobs.get(d);
      return n === undefined ? undefined : { kind: "ok", headerDigest: d, contentLength: n };
    }),
  };
  return { reader, reads };
}

describe("registry integrity: the artifact check (stub registry)", () => {
  const good = manifest();
  const goodD = sha(good);
  const other = manifest(Buffer.from("other layer\n"));
  const otherD = sha(other);
  const blobs = () =>
    new Map([
      [sha(CONFIG), 2],
      [sha(LAYER), LAYER.length],
      [sha("other layer\n"), 12],
    ]);

  it("a healthy artifact: one manifest GET, a HEAD per distinct blob (shared blobs once), no problem", async () => {
    const s = stub(
      new Map([
        [goodD, good],
        [otherD, other],
      ]),
      blobs(),
    );
    const r = await checkArtifacts(s.reader, "o/r", [
      { digest: goodD, name: "[0.0.1] a" },
      { digest: otherD, name: "[0.0.2] b" },
    ]);
    assert.deepEqual(r.problems, []);
    assert.equal(r.manifests, 2);
    assert.equal(r.blobs, 3);
    assert.equal(s.reads.filter((x) => x === `blob ${sha(CONFIG)}`).length, 1);
  });

  it("names each breakage: missing manifest, rewritten bytes, missing blob, wrong size, wrong digest, refusal", async () => {
    const rewritten = Buffer.from(good.toString().replace("layer", "LAYER"));
    const wrongSize = other;
    const sizeD = otherD;
    const sameLayer = Buffer.from(
      good.toString().replace('"schemaVersion":2', '"schemaVersion":2,"annotations":{"k":"v"}'),
    );
    const missingBlob = manifest(Buffer.from("never pushed\n"));
    const m = new Map([
      [goodD, rewritten], // bytes no longer hash to the digest
      [sizeD, wrongSize],
      [sha(missingBlob), missingBlob],
      [sha(sameLayer), sameLayer],
    ]);
    const b = blobs();
    const s = stub(
      m,
      b,
      new Map<string, Probe>([
        [sha(LAYER), { kind: "ok", headerDigest: sha("x"), contentLength: LAYER.length }],
        [
          sha("other layer\n"),
          { kind: "ok", headerDigest: sha("other layer\n"), contentLength: 99 },
        ],
        [sha(CONFIG), { kind: "error", status: 500, detail: "HTTP 500 Internal Server Error" }],
      ]),
    );
    const gone = sha("gone");
    const r = await checkArtifacts(s.reader, "o/r", [
      { digest: goodD, name: "[0.0.1] a" },
      { digest: sizeD, name: "[0.0.2] b" },
      { digest: sha(missingBlob), name: "[0.0.3] c" },
      { digest: gone, name: "[0.0.4] d" },
      { digest: sha(sameLayer), name: "[0.0.5] e" },
    ]);
    const by = (kind: string) => r.problems.filter((p) => p.kind === kind).map((p) => p.message);
    assert.deepEqual(by("manifest-digest-mismatch"), [
      `[0.0.1] a: manifest ${goodD}: the ${rewritten.length} bytes the registry serves hash to ${sha(rewritten)}, not to ${goodD} (truncated or rewritten).`,
    ]);
    assert.deepEqual(by("manifest-missing"), [
      `[0.0.4] d: manifest ${gone} is missing: expected it, got HTTP 404.`,
    ]);
    assert.ok(
      by("blob-missing").includes(
        `[0.0.3] c: layers[0] blob ${sha("never pushed\n")} (13 bytes) is missing: expected it, got HTTP 404.`,
      ),
    );
    assert.ok(
      by("blob-size-mismatch").includes(
        `[0.0.2] b: layers[0] blob ${sha("other layer\n")} (12 bytes): expected 12 bytes, the registry has 99.`,
      ),
    );
    assert.deepEqual(by("blob-digest-mismatch"), [
      `[0.0.5] e: layers[0] blob ${sha(LAYER)} (12 bytes): the registry answers Docker-Content-Digest ${sha("x")}.`,
    ]);
    assert.ok(
      by("blob-unreadable")[0]!.includes(
        `config blob ${sha(CONFIG)} (2 bytes) cannot be read: HTTP 500`,
      ),
    );
  });

  it("an index: every child manifest is checked, except children that are targets of their own", async () => {
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.index.v1+json",
        manifests: [
          {
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            digest: goodD,
            size: good.length,
          },
          { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: otherD, size: 5 },
          {
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            digest: sha("absent"),
            size: 3,
          },
        ],
      }),
    );
    const s = stub(
      new Map([
        [sha(index), index],
        [goodD, good],
        [otherD, other],
      ]),
      blobs(),
    );
    const r = await checkArtifacts(s.reader, "o/r", [
      { digest: sha(index), name: "[sha256-x] idx" },
      { digest: goodD, name: "[0.0.1] a" },
    ]);
    assert.equal(s.reads.filter((x) => x === `manifest ${goodD}`).length, 1);
    assert.deepEqual(
      r.problems.map((p) => [p.kind, p.object]),
      [
        ["manifest-size-mismatch", otherD],
        ["manifest-missing", sha("absent")],
      ].sort((a, b) => (a[1]! < b[1]! ? -1 : 1)),
    );
    assert.match(
      r.problems.find((p) => p.object === otherD)!.message,
      /expected 5 bytes \(its descriptor\), the registry serves \d+/,
    );
  });
});

async function cli(
  args: string[],
  readerOf: VerifyReaderFactory = () => assert.fail("no registry read expected"),
) {
  const { out, io } = captureIo();
  const code = await runWith(args, io, readerOf, () => "GITHUB_TOKEN is not set");
  return { code, out: out.stdout, err: out.stderr };
}

describe("promotion verify: usage and exit codes", () => {
  it("--help documents every exit code; the command is registered", async () => {
    let out = "";
    const code = await main(["verify", "--help"], {
      stdout: (s) => (out += s),
      stderr: () => undefined,
      stdin: () => Promise.resolve(""),
    });
    assert.equal(code, 0);
    assert.match(
      out,
      /Exit codes: 0 healthy; 1 broken artifacts found; 2 bad usage, invalid\nconfiguration or policy; 3 the registry could not be read/,
    );
    let top = "";
    await main(["--help"], {
      stdout: (s) => (top += s),
      stderr: () => undefined,
      stdin: () => Promise.resolve(""),
    });
    assert.match(top, /verify +registry integrity probe/);
  });

  it("bad usage exits 2 with the problem named", async () => {
    await assert.rejects(
      cli(["--policy", "a", "--artifact", "h/r", "--digest", sha("x")]),
      /give one of --policy, --dir and --artifact/,
    );
    await assert.rejects(
      cli(["--artifact", "127.0.0.1:5000/o/r"]),
      /--artifact and --digest go together/,
    );
    await assert.rejects(
      cli(["--artifact", "127.0.0.1:5000/o/r", "--digest", "sha256:abc"]),
      /--digest "sha256:abc" is not a digest/,
    );
    const r = await cli(["--policy", "/nonexistent/pins-policy.yaml"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /cannot read the pin policy \/nonexistent\/pins-policy\.yaml/);
  });

  it("--artifact: healthy exits 0, broken exits 1 and names the blob; unreadable exits 3", async () => {
    const good = manifest();
    const s = stub(
      new Map([[sha(good), good]]),
      new Map([
        [sha(CONFIG), 2],
        [sha(LAYER), LAYER.length],
      ]),
    );
    const ok = await cli(["--artifact", "127.0.0.1:5000/o/r", "--digest", sha(good)], () => ({
      ...s.reader,
      listTags: () => Promise.reject(new Error("unused")),
      digestOf: () => Promise.reject(new Error("unused")),
    }));
    assert.equal(ok.code, 0, ok.err);
    assert.match(
      ok.out,
      /^healthy: the artifact of 127\.0\.0\.1:5000\/o\/r is complete \(1 manifest, 2 blobs checked/,
    );
    const broken = stub(new Map([[sha(good), good]]), new Map([[sha(CONFIG), 2]]));
    const bad = await cli(["--artifact", "127.0.0.1:5000/o/r", "--digest", sha(good)], () => ({
      ...broken.reader,
      listTags: () => Promise.reject(new Error("unused")),
      digestOf: () => Promise.reject(new Error("unused")),
    }));
    assert.equal(bad.code, 1);
    assert.match(
      bad.out,
      new RegExp(
        `^BROKEN: 127\\.0\\.0\\.1:5000/o/r@${sha(good)}: layers\\[0\\] blob ${sha(LAYER)} \\(12 bytes\\) is missing: expected it, got HTTP 404\\.$`,
        "m",
      ),
    );
  });
});

/** The integration stack of example-org/platform, with pipeline.integrity when given. */
const cfg = (integrity?: unknown) => exampleConfig(integrity !== undefined ? { integrity } : {});

describe("registry-integrity workflow and the build's check", () => {
  it("config: daily by default; a bad schedule names the key, the value and the fix", () => {
    assert.deepEqual(cfg().pipeline.integrity, DEFAULT_INTEGRITY);
    assert.deepEqual(cfg({ schedule: "5 */6 * * *" }).pipeline.integrity, {
      schedule: "5 */6 * * *",
    });
    assert.throws(
      () => cfg({ schedule: "daily", extra: 1 }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(
          e.message,
          /promotion-pipeline:pipeline\.integrity\.schedule = "daily": is not a five-field cron schedule .* Fix: write e\.g\. "41 5 \* \* \*" \(daily\)\./,
        );
        assert.match(
          e.message,
          /promotion-pipeline:pipeline\.integrity\.extra = 1: is not a known setting/,
        );
        return true;
      },
    );
  });

  const file = () => integrityFile(cfg({ schedule: "17 */4 * * *" }));

  it("runs promotion verify --policy --issue on the schedule, least permissions, no expression in scripts", () => {
    const { env, steps } = assertScheduledWorkflow(
      file(),
      INTEGRITY_WORKFLOW,
      "verify",
      "17 */4 * * *",
    );
    assert.equal(env.INTEGRITY_LABEL, "registry-integrity");
    assert.match(
      steps.at(-1)!.run!,
      // Signing is on (keyless, the default on github.com): a kept digest must keep its signature too.
      /node "\$PROMOTION_CLI" verify --policy "\$PINS_POLICY" --require-signatures --issue --label "\$INTEGRITY_LABEL"/,
    );
  });

  itParsesAndLints(file);

  it("the build job proves the pushed artifact complete right after the push, in the CLI (no shell logic)", () => {
    const steps = buildWorkflow(cfg().pipeline).jobs.build!.steps as {
      name: string;
      id?: string;
      run?: string;
      env?: Record<string, string>;
    }[];
    const push = steps.findIndex((s) => s.id === "push");
    const probe = steps.findIndex((s) => s.name === "Prove the pushed artifact is complete");
    assert.ok(push >= 0 && probe === push + 1, `push at ${push}, probe at ${probe}`);
    assert.equal(
      steps[probe]!.run,
      'set -euo pipefail\nnode "$PROMOTION_CLI" verify --artifact "$ARTIFACT" --digest "$DIGEST"\n',
    );
    assert.equal(steps[probe]!.env!.DIGEST, "${{ steps.push.outputs.digest }}");
  });

  it("example docs/examples/workflows/registry-integrity.yaml is what the program generates (UPDATE_EXAMPLES=1)", () => {
    const root = join(__dirname, "..", "..");
    const f = integrityFile(shippedConfig(root, "integration"));
    assertExample(join(EXAMPLES, "workflows", "registry-integrity.yaml"), f.content);
  });
});
