/**
 * Issue 20 items 2 and 4 on the REAL registry (Debian's docker-registry, distribution 2.8, on 127.0.0.1):
 * artifacts pushed with oras as the build does, a kept digest signed with real cosign (key pair from
 * `cosign generate-key-pair`), an SBOM attached with `oras attach` (an OCI 1.1 referrer: distribution 2.8
 * does not serve the referrers API, it answers 404, so oras writes the referrers tag schema's index
 * `sha256-<hex>`; the API path is unit-tested on recorded answers in tests/unit/pinsSignatures.test.ts).
 *
 * Then `promotion pins` keeps the signatures, `promotion verify` passes on the healthy registry and names
 * each breakage (a blob deleted under the pinned version, a deleted and a dangling signature, a truncated
 * and a rewritten manifest in the storage directory), and the generated registry-integrity workflow's
 * real script opens, updates and closes ONE issue on the GitHub API stand-in.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { validateConfig } from "../../lib/config";
import { formatPolicy, pinsPolicy } from "../../lib/pins/policy";
import { readCliBundle } from "../../lib/workflows/files";
import { INTEGRITY_WORKFLOW } from "../../lib/workflows/integrity";
import { integrityFile } from "../../lib/workflows/platformFiles";
import { commit, e2eBox, promotionCli as cli } from "../support/e2eBox";
import { tool } from "../support/tools";
import { type JobResult } from "../support/workflowRunner";
import { policyWithRegistryDown } from "../support/policyFile";

const REPO = "example-org/platform/platform";
const TOKEN = "gh-token";
const sha256 = (b: Buffer | string): string =>
  `sha256:${createHash("sha256").update(b).digest("hex")}`;

describe("e2e: signatures kept and integrity probed on a real registry", function () {
  this.timeout(300_000);
  const box = e2eBox({
    name: "promotion-integrity-",
    tools: ["crane", "oras", "cosign"],
    registries: { main: {} },
    github: { tokens: [TOKEN], repositories: ["example-org/platform"] },
  });
  let root: string;
  /** The registry's storage root, where the tests break blobs and manifests. */
  let storage: string;
  let policyFile: string;
  let env: Record<string, string>;
  const digests = new Map<string, string>();
  let artifact: string;

  const run = (bin: string, args: string[], extra: Record<string, string> = {}): string =>
    execFileSync(bin, args, {
      cwd: root,
      env: { ...env, ...extra },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 120_000,
    });
  const crane = (...args: string[]): string => run(tool("crane"), ["--insecure", ...args]).trim();
  const oras = (...args: string[]): string => run(tool("oras"), args);
  const cosign = (...args: string[]): string =>
    run(tool("cosign"), args, { COSIGN_PASSWORD: "test-password" });
  /** Signs version `v`'s digest as the workflows do, with the suite's cosign key pair, offline. */
  const sign = (v: string): string =>
    cosign(
      "sign",
      "--yes",
      "--tlog-upload=false",
      "--key",
      join(root, "cosign.key"),
      "--allow-http-registry",
      `${artifact}@${digests.get(v)}`,
    );

  /** Pushes one build as the build workflow does: oras push with the annotations, crane tag the rest. */
  function build(id: string, version: string, promoted?: string): string {
    const dir = join(root, `build-${id}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "platform.tgz"), `content of build ${id}\n`);
    writeFileSync(join(dir, "flux-config.json"), "{}");
    execFileSync(
      tool("oras"),
      [
        "push",
        "--plain-http",
        `${artifact}:${version}`,
        "--config",
        "flux-config.json:application/vnd.cncf.flux.config.v1+json",
        "--annotation",
        `org.opencontainers.image.revision=main@sha1:${commit(id)}`,
        "--annotation",
        `org.opencontainers.image.version=${version}`,
        "--annotation",
        "org.opencontainers.image.created=2026-12-01T00:00:00Z",
        "platform.tgz:application/vnd.cncf.flux.content.v1.tar+gzip",
      ],
      { cwd: dir, env, stdio: "ignore" },
    );
    const d = crane("digest", `${artifact}:${version}`);
    const short = commit(id).slice(0, 7);
    for (const t of [`sha-${short}`, `integration-${short}`]) crane("tag", `${artifact}@${d}`, t);
    if (promoted)
      for (const t of [`validated-${short}`, promoted]) crane("tag", `${artifact}@${d}`, t);
    digests.set(version, d);
    if (promoted) digests.set(promoted, d);
    return d;
  }

  const blobFile = (d: string): string =>
    join(storage, "docker/registry/v2/blobs/sha256", d.slice(7, 9), d.slice(7), "data");
  const manifestOf = (ref: string): { layers: { digest: string }[] } =>
    JSON.parse(crane("manifest", `${artifact}${ref.startsWith("sha256:") ? "@" : ":"}${ref}`)) as {
      layers: { digest: string }[];
    };
  const sigTag = (d: string, suffix = ".sig"): string => `${d.replace(":", "-")}${suffix}`;
  const entries = (lines: string): string[] =>
    lines
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("#"))
      .map((l) => l.slice(l.indexOf("==") + 2));

  before(function () {
    root = box.work;
    const reg = box.registries.main;
    artifact = `${reg.host}/${REPO}`;
    storage = reg.storage;
    env = box.machine({ orasPlainHttp: false });

    build("1", "0.0.1-rc.1"); // superseded, never promoted: not protected
    build("2", "0.0.1-rc.2", "0.0.1"); // live's pin
    build("3", "0.0.2-rc.1", "0.0.2"); // rollback target (keepStable 2)
    build("4", "0.0.3-rc.1", "0.0.3"); // highest stable
    build("5", "0.0.4-rc.1"); // pending
    build("6", "0.0.4-rc.2"); // pending, integration's selection

    const cfg = validateConfig(
      {
        stack: "integration",
        pipeline: {
          registry: box.registries.main.host,
          owner: "example-org",
          repository: "platform",
          registryCredentials: "none",
          keepStable: 2,
          clusters: { integration: { role: "integration" }, live: { role: "live" } },
        },
        dispatchTokenSecret: "t",
      },
      new Date("2026-12-01T12:00:00Z"),
    );
    // Live pinned to 0.0.1 (its stack file's pin), as the owner stack writes the policy.
    const delivered = pinsPolicy(cfg);
    const policy = formatPolicy({
      ...delivered,
      clusters: delivered.clusters.map((c) =>
        c.name === "live"
          ? {
              ...c,
              pin: { tag: "0.0.1", reason: "INC-9: 0.0.2 breaks ingress", expires: "2099-01-01" },
            }
          : c,
      ),
    });
    policyFile = join(root, "pins-policy.yaml");
    writeFileSync(policyFile, policy);
    // The workspace of the scheduled workflow: its CLI bundle and the delivered policy.
    const ws = join(root, "ws");
    for (const [p, content] of [
      [".github/promotion/promotion.mjs", readCliBundle()],
      [cfg.pins.policyPath, policy],
      [INTEGRITY_WORKFLOW, integrityFile(cfg).content],
    ] as const) {
      mkdirSync(join(ws, dirname(p)), { recursive: true });
      writeFileSync(join(ws, p), content);
    }

    // Sign every kept digest and the old RC, as the workflows do, with a real cosign key pair.
    cosign("generate-key-pair");
    for (const v of ["0.0.3", "0.0.2", "0.0.1", "0.0.4-rc.1", "0.0.4-rc.2", "0.0.1-rc.1"]) sign(v);
    // An SBOM as an OCI 1.1 referrer of the pending RC integration selects, and of the old RC.
    writeFileSync(join(root, "sbom.json"), '{"spdxVersion":"SPDX-2.3"}');
    for (const v of ["0.0.4-rc.2", "0.0.1-rc.1"])
      oras(
        "attach",
        "--plain-http",
        "--artifact-type",
        "application/spdx+json",
        `${artifact}@${digests.get(v)}`,
        "sbom.json:application/spdx+json",
      );
  });

  it("distribution 2.8 does not serve the referrers API (404): oras wrote the tag schema's index", async () => {
    const d = digests.get("0.0.4-rc.2")!;
    const res = await fetch(`http://${box.registries.main.host}/v2/${REPO}/referrers/${d}`);
    assert.equal(res.status, 404);
    assert.match(await res.text(), /404 page not found/);
    assert.ok(crane("ls", artifact).split("\n").includes(sigTag(d, "")));
  });

  it("pins keeps the cosign .sig of a kept digest and the oras referrer (and its index), in both formats", async () => {
    const lines = await cli("pins", "--policy", policyFile, "--format", "lines");
    assert.equal(lines.code, 0, lines.err);
    const ghcr = await cli("pins", "--policy", policyFile, "--format", "ghcr-output");
    assert.equal(ghcr.code, 0, ghcr.err);
    const skip = /^skip-shas=(.*)$/m.exec(ghcr.out)![1]!.split(",");
    const tags = /^image-tags=(.*)$/m.exec(ghcr.out)![1]!.split(" ");
    for (const v of ["0.0.3", "0.0.2"]) {
      const t = sigTag(digests.get(v)!);
      const sigDigest = crane("digest", `${artifact}:${t}`);
      assert.ok(entries(lines.out).includes(t), `${t} not in the lines`);
      assert.ok(skip.includes(sigDigest), `${t} (${sigDigest}) not in skip-shas`);
      assert.ok(tags.includes(`!${t}`));
    }
    const rc = digests.get("0.0.4-rc.2")!;
    const index = JSON.parse(crane("manifest", `${artifact}:${sigTag(rc, "")}`)) as {
      manifests: { digest: string; artifactType: string }[];
    };
    assert.equal(index.manifests.length, 1);
    assert.equal(index.manifests[0]!.artifactType, "application/spdx+json");
    const referrer = index.manifests[0]!.digest;
    assert.ok(skip.includes(referrer), "the SBOM referrer is not in skip-shas");
    assert.ok(entries(lines.out).includes(referrer), "the untagged referrer is not in the lines");
    assert.ok(skip.includes(crane("digest", `${artifact}:${sigTag(rc, "")}`)));
    // The old RC, its signature and its SBOM are not protected.
    const old = digests.get("0.0.1-rc.1")!;
    assert.ok(!skip.includes(old));
    assert.ok(!entries(lines.out).includes(sigTag(old)));
    assert.ok(!entries(lines.out).includes(sigTag(old, "")));
    const report = await cli("pins", "--policy", policyFile, "--format", "report");
    assert.match(
      report.out,
      new RegExp(`cosign signature ${sigTag(digests.get("0.0.3")!).replace(/\./g, "\\.")} of kept`),
    );
    assert.match(report.out, /OCI 1\.1 referrer \(application\/spdx\+json\) of kept/);
  });

  it("cosign verifies what pins keeps (the kept .sig is a real signature)", () => {
    const out = run(
      tool("cosign"),
      [
        "verify",
        "--key",
        join(root, "cosign.pub"),
        "--insecure-ignore-tlog=true",
        "--allow-http-registry",
        `${artifact}@${digests.get("0.0.3")}`,
      ],
      {},
    );
    assert.match(out, /"docker-manifest-digest":"sha256:/);
  });

  it("verify: a healthy registry passes (exit 0), signatures required and present", async () => {
    const r = await cli("verify", "--policy", policyFile, "--require-signatures");
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(
      r.out,
      /^healthy: all \d+ protected artifacts \(signatures included\) of 127\.0\.0\.1:\d+\/example-org\/platform\/platform are complete/,
    );
  });

  async function workflow(): Promise<JobResult> {
    return box.run(
      readFileSync(join(root, "ws", INTEGRITY_WORKFLOW), "utf8"),
      "verify",
      box.context({
        workspace: join(root, "ws"),
        machine: env,
        event: ["schedule", {}],
        secrets: { GITHUB_TOKEN: TOKEN },
        githubEnv: { GITHUB_RUN_ID: String(box.github.issues.length + 100) },
      }),
    );
  }
  const openIssues = () => box.github.issues.filter((i) => i.state === "open");

  it("the scheduled workflow on a healthy registry: exit 0, no issue", async () => {
    const r = await workflow();
    assert.equal(r.status, "success", r.log);
    assert.match(r.log, /no integrity issue is open; nothing to do\./);
    assert.equal(box.github.issues.length, 0);
  });

  let pinnedLayer: string;
  it("a blob deleted under the pinned version is named; the workflow fails and opens ONE issue", async () => {
    pinnedLayer = manifestOf("0.0.1").layers[0]!.digest;
    const del = await fetch(`http://${box.registries.main.host}/v2/${REPO}/blobs/${pinnedLayer}`, {
      method: "DELETE",
    });
    assert.equal(del.status, 202);
    const r = await cli("verify", "--policy", policyFile);
    assert.equal(r.code, 1, r.out + r.err);
    const pinned = digests.get("0.0.1")!;
    assert.match(
      r.out,
      new RegExp(
        `^BROKEN: \\[0\\.0\\.1, 0\\.0\\.1-rc\\.2, integration-2222222, sha-2222222, validated-2222222\\] ${pinned}: layers\\[0\\] blob ${pinnedLayer} \\(\\d+ bytes\\) is missing: expected it, got HTTP 404\\.$`,
        "m",
      ),
    );
    assert.match(r.out, /^1 problem in 1 of \d+ artifacts/m);
    const w = await workflow();
    assert.equal(w.status, "failure");
    assert.equal(w.steps.at(-1)?.exitCode, 1);
    assert.match(w.log, /opened issue #1\./);
    assert.deepEqual(
      openIssues().map((i) => [i.number, i.title, i.labels]),
      [[1, "Registry integrity: a protected artifact is broken", ["registry-integrity"]]],
    );
    assert.match(openIssues()[0]!.body, new RegExp(`layers\\[0\\] blob ${pinnedLayer}`));
  });

  it("a signed kept digest whose signature is deleted: --require-signatures names it; a dangling .sig tag is named without it", async () => {
    // 0.0.2's signature removed through the API (distribution drops the tag with the manifest).
    const d2 = digests.get("0.0.2")!;
    const sig2 = crane("digest", `${artifact}:${sigTag(d2)}`);
    const del = await fetch(`http://${box.registries.main.host}/v2/${REPO}/manifests/${sig2}`, {
      method: "DELETE",
    });
    assert.equal(del.status, 202);
    assert.ok(!crane("ls", artifact).split("\n").includes(sigTag(d2)), "the tag went with it");
    const plain = await cli("verify", "--policy", policyFile);
    assert.doesNotMatch(plain.out, /no signature/);
    const strict = await cli("verify", "--policy", policyFile, "--require-signatures");
    assert.equal(strict.code, 1);
    assert.match(
      strict.out,
      new RegExp(
        `^BROKEN: \\[0\\.0\\.2, 0\\.0\\.2-rc\\.1, [^\\]]*\\] ${d2}: no signature: expected a ${sigTag(d2).replace(/\./g, "\\.")} tag or a signature referrer, found neither \\(--require-signatures\\)\\.$`,
        "m",
      ),
    );
    // 0.0.3's signature manifest gone from storage while its tag stays listed (an orphan tag).
    const d3 = digests.get("0.0.3")!;
    const sig3 = crane("digest", `${artifact}:${sigTag(d3)}`);
    unlinkSync(
      join(
        storage,
        "docker/registry/v2/repositories",
        REPO,
        "_manifests/revisions/sha256",
        sig3.slice(7),
        "link",
      ),
    );
    const r = await cli("verify", "--policy", policyFile);
    assert.equal(r.code, 1);
    assert.match(
      r.out,
      new RegExp(
        `^BROKEN: \\[${sigTag(d3).replace(/\./g, "\\.")}\\]: tag ${sigTag(d3).replace(/\./g, "\\.")} \\(cosign signature ${sigTag(d3).replace(/\./g, "\\.")} of kept ${d3} \\(deleting it strips the kept digest's signature\\)\\) cannot be resolved: expected a manifest, got HTTP 404 \\(the tag is listed, its manifest is gone\\)\\.$`,
        "m",
      ),
    );
    const w = await workflow();
    assert.equal(w.status, "failure");
    assert.match(w.log, /updated issue #1 \(the alarms changed: commented\)\./);
    assert.equal(box.github.issues.length, 1);
    assert.match(openIssues()[0]!.comments.at(-1)!, /^The alarms changed at /);
  });

  it("a truncated manifest and a rewritten one in the storage directory are each named", async () => {
    // The pending RC integration selects: its manifest bytes cut short (the registry answers 500).
    const rc = digests.get("0.0.4-rc.2")!;
    const rcFile = blobFile(rc);
    const rcBytes = readFileSync(rcFile);
    writeFileSync(rcFile, rcBytes.subarray(0, 100));
    // The older pending RC: rewritten into other valid JSON (served under the old digest).
    const rc1 = digests.get("0.0.4-rc.1")!;
    const rc1File = blobFile(rc1);
    const rc1Bytes = readFileSync(rc1File);
    writeFileSync(rc1File, Buffer.from(rc1Bytes.toString().replace("content", "CONTENT") + " "));
    let r: Awaited<ReturnType<typeof cli>>;
    try {
      r = await cli("verify", "--policy", policyFile);
    } finally {
      // Restored right away: the next test heals the rest.
      writeFileSync(rcFile, rcBytes);
      writeFileSync(rc1File, rc1Bytes);
    }
    assert.equal(r.code, 1);
    assert.match(
      r.out,
      /^BROKEN: \[0\.0\.4-rc\.2\]: tag 0\.0\.4-rc\.2 \(release candidate 0\.0\.4-rc\.2, not promoted yet; cluster integration selects 0\.0\.4-rc\.2\) cannot be resolved: expected a manifest, got HTTP 500 Internal Server Error\.$/m,
    );
    assert.match(
      r.out,
      new RegExp(
        `^BROKEN: \\[0\\.0\\.4-rc\\.1[^\\]]*\\] ${rc1}: manifest ${rc1}: the \\d+ bytes the registry serves hash to sha256:[0-9a-f]{64}, not to ${rc1} \\(truncated or rewritten\\)\\.$`,
        "m",
      ),
    );
  });

  it("healed: verify passes again and the workflow closes the issue", async () => {
    // The blob re-uploaded (the registry links it to the repository again).
    const layer = readFileSync(join(root, "build-2", "platform.tgz"));
    assert.equal(sha256(layer), pinnedLayer);
    const start = await fetch(`http://${box.registries.main.host}/v2/${REPO}/blobs/uploads/`, {
      method: "POST",
    });
    const loc = new URL(start.headers.get("location")!, `http://${box.registries.main.host}`);
    loc.searchParams.set("digest", pinnedLayer);
    assert.equal((await fetch(loc, { method: "PUT", body: layer })).status, 201);
    // Sign 0.0.2 and 0.0.3 again (the orphan tag is replaced).
    for (const v of ["0.0.2", "0.0.3"]) sign(v);
    const r = await cli("verify", "--policy", policyFile, "--require-signatures");
    assert.equal(r.code, 0, r.out + r.err);
    const w = await workflow();
    assert.equal(w.status, "success", w.log);
    assert.match(w.log, /closed issue #1\./);
    assert.equal(openIssues().length, 0);
    assert.match(
      box.github.issues[0]!.comments.at(-1)!,
      /^Cleared at .*every artifact the pin policy protects/,
    );
  });

  it("an unreadable registry exits 3 and prints no verdict", async () => {
    const down = policyWithRegistryDown(policyFile, box.registries.main.host);
    const r = await cli("verify", "--policy", down);
    assert.equal(r.code, 3);
    assert.equal(r.out, "");
    assert.match(r.err, /registry 127\.0\.0\.1:9: list tags of example-org\/platform\/platform/);
  });
});
