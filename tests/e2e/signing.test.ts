/**
 * Key-based signing with REAL cosign (issue 20, item 1): the generated build and promote jobs' `run:` steps
 * against a real registry (docker-registry on 127.0.0.1, basic auth), with two key pairs made by
 * `cosign generate-key-pair` and handed to the jobs as the Actions secrets the config names. Proves that the
 * build job signs each RC with the BUILD key, that the promote job signs the digest with the PROMOTE key
 * before any stable tag exists, that a replayed event signs nothing again, and that a failing signature
 * (wrong password, a private key that is not the configured public key's pair, an empty secret) fails the
 * run before any stable or validated tag is pushed. Every signature is checked the way source-controller
 * checks it: `cosign verify --key <the role's cosign.pub> --insecure-ignore-tlog`.
 */
import { strict as assert } from "node:assert";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BUILD_WORKFLOW, PROMOTE_TAG_STEP, PROMOTE_WORKFLOW } from "../../lib/workflows/pipeline";
import { RECORD_STEP } from "../../lib/workflows/record";
import { ROLLBACK_TAG_STEP } from "../../lib/workflows/rollback";
import { SIGN_STEP } from "../../lib/workflows/signing";
import {
  CI,
  ciBox,
  ciContext,
  commit,
  craneIn,
  fluxEvent,
  pipelineConfig,
  pipelineFiles,
  platformManifests,
} from "../support/e2eBox";
import { tool } from "../support/tools";
import { type JobContext, type JobResult } from "../support/workflowRunner";

const REPO_PATH = "example-org/platform/platform";

interface KeyPair {
  readonly pubFile: string;
  readonly pub: string;
  readonly key: string;
  readonly password: string;
}

describe("e2e: key-based signing with real cosign (build key signs RCs, promote key signs before the stable tag)", function () {
  this.timeout(180_000);
  const box = ciBox("promotion-e2e-signing-", ["cosign", "crane", "oras"]);
  let files: Map<string, string>;
  let artifact: string;
  let machineEnv: Record<string, string>;
  /** A docker config logged in to the registry, for the test's own reads and verifications. */
  let readerEnv: Record<string, string>;
  const keys: Partial<Record<"build" | "promote", KeyPair>> = {};
  const digestOf = new Map<string, string>();

  /** `cosign generate-key-pair` in its own directory, the password as COSIGN_PASSWORD (no prompt). */
  function generateKeyPair(name: string, password: string): KeyPair {
    const dir = join(box.work, `keys-${name}`);
    mkdirSync(dir);
    execFileSync(tool("cosign"), ["generate-key-pair"], {
      cwd: dir,
      env: { ...readerEnv, COSIGN_PASSWORD: password },
      stdio: ["ignore", "pipe", "pipe"],
    });
    return {
      pubFile: join(dir, "cosign.pub"),
      pub: readFileSync(join(dir, "cosign.pub"), "utf8"),
      key: readFileSync(join(dir, "cosign.key"), "utf8"),
      password,
    };
  }

  const crane = (...args: string[]): string => craneIn(readerEnv)(...args);
  const tags = (): string[] => crane("ls", artifact).split("\n").filter(Boolean).sort();

  /** source-controller's check: the role's public key, offline (no transparency log). */
  function verify(pair: KeyPair, digest: string): { ok: boolean; output: string } {
    const r = spawnSync(
      tool("cosign"),
      ["verify", "--key", pair.pubFile, "--insecure-ignore-tlog=true", `${artifact}@${digest}`],
      { env: readerEnv, encoding: "utf8" },
    );
    return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
  }

  function secrets(over: Record<string, string> = {}): Record<string, string> {
    return {
      GITHUB_TOKEN: CI.password,
      COSIGN_BUILD_KEY: keys.build!.key,
      COSIGN_BUILD_PASSWORD: keys.build!.password,
      COSIGN_PROMOTE_KEY: keys.promote!.key,
      COSIGN_PROMOTE_PASSWORD: keys.promote!.password,
      ...over,
    };
  }

  function ctx(
    eventName: string,
    event: unknown,
    sha: string,
    over: Record<string, string> = {},
  ): JobContext {
    return ciContext(box, {
      workspace: box.workspace([...files, ...platformManifests(false)]),
      machine: machineEnv,
      event: [eventName, event],
      sha,
      secrets: secrets(over),
    });
  }

  const buildCtx = (sha: string, over: Record<string, string> = {}) =>
    ctx("push", { ref: "refs/heads/main", after: sha }, sha, over);
  const promoteCtx = (revision: string, over: Record<string, string> = {}) =>
    ctx("repository_dispatch", fluxEvent(revision), commit("0"), over);
  /** The promote job on the gate's event for `revision`, with the secrets `over` changes. */
  const promote = (revision: string, over: Record<string, string> = {}): Promise<JobResult> =>
    box.run(files.get(PROMOTE_WORKFLOW)!, "promote", promoteCtx(revision, over));

  const status = (r: JobResult, name: string): string | undefined =>
    r.steps.find((s) => s.name === name)?.status;
  const ok = (r: JobResult): void => assert.equal(r.status, "success", r.log);
  const sigTag = (digest: string): string => `${digest.replace(":", "-")}.sig`;

  async function build(sha: string): Promise<string> {
    const r = await box.run(files.get(BUILD_WORKFLOW)!, "build", buildCtx(sha));
    ok(r);
    assert.equal(status(r, SIGN_STEP.build), "success");
    return r.outputs.push!.digest!;
  }

  before(function () {
    const reg = box.registries.main;
    artifact = `${reg.host}/${REPO_PATH}`;
    readerEnv = box.machine({ orasPlainHttp: false });
    crane("auth", "login", reg.host, "-u", CI.user, "-p", CI.password);
    keys.build = generateKeyPair("build", "build-key-pw");
    keys.promote = generateKeyPair("promote", "promote-key-pw");
    assert.notEqual(keys.build.pub, keys.promote.pub);
    // The config a user writes: the two cosign.pub files; the private keys and passwords are the Actions
    // secrets of the default names.
    const cfg = pipelineConfig({
      registry: reg.host,
      registryCredentials: "github-token",
      signing: {
        mode: "key",
        build: { publicKey: keys.build.pub },
        promote: { publicKey: keys.promote.pub },
      },
    });
    files = pipelineFiles(cfg);
    // The runner's machine: cosign (cosign-installer's stand-in), crane and oras on PATH, its own docker config.
    machineEnv = box.machine();
  });

  it("build: the RC is signed with the build key after the push; the promote key does not verify it", async () => {
    const d = await build(commit("a"));
    digestOf.set("a", d);
    assert.deepEqual(tags(), ["0.0.1-rc.1", "integration-aaaaaaa", "sha-aaaaaaa", sigTag(d)]);
    const byBuild = verify(keys.build!, d);
    assert.ok(byBuild.ok, byBuild.output);
    assert.match(byBuild.output, /The signatures were verified against the specified public key/);
    // What live's source-controller would say about this RC with a stable tag pushed by hand.
    const byPromote = verify(keys.promote!, d);
    assert.equal(byPromote.ok, false);
    assert.match(byPromote.output, /no matching signatures/);
  });

  it("promote: the digest is signed with the promote key BEFORE validated-<7> and the stable tag exist", async () => {
    const d = digestOf.get("a")!;
    const run = box.jobRun(files.get(PROMOTE_WORKFLOW)!, "promote", promoteCtx(`0.0.1-rc.1@${d}`));
    await run.runThrough(SIGN_STEP.promote);
    assert.equal(run.steps.at(-1)?.status, "success", run.result().log);
    assert.equal(run.outputs.plan?.action, "promote");
    // Signed, and no stable or validated tag yet: the signature comes first.
    const signed = verify(keys.promote!, d);
    assert.ok(signed.ok, signed.output);
    assert.deepEqual(tags(), ["0.0.1-rc.1", "integration-aaaaaaa", "sha-aaaaaaa", sigTag(d)]);
    const r = await run.finish();
    ok(r);
    assert.equal(status(r, PROMOTE_TAG_STEP), "success");
    assert.deepEqual(tags(), [
      "0.0.1",
      "0.0.1-rc.1",
      "integration-aaaaaaa",
      "sha-aaaaaaa",
      sigTag(d),
      "validated-aaaaaaa",
    ]);
    assert.equal(crane("digest", `${artifact}:0.0.1`), d);
    // Both roles' signatures sit on the digest; each verifies only with its own key.
    assert.ok(verify(keys.build!, d).ok);
    assert.ok(verify(keys.promote!, d).ok);
  });

  it("promote: a replayed event is a no-op and signs nothing again", async () => {
    const d = digestOf.get("a")!;
    const sigBefore = crane("digest", `${artifact}:${sigTag(d)}`);
    const r = await promote(`0.0.1-rc.1@${d}`);
    ok(r);
    assert.equal(r.outputs.plan?.action, "noop");
    assert.equal(status(r, SIGN_STEP.promote), "skipped");
    assert.equal(status(r, PROMOTE_TAG_STEP), "skipped");
    assert.equal(crane("digest", `${artifact}:${sigTag(d)}`), sigBefore);
  });

  it("promote: signing fails (wrong password): the run fails, no stable or validated tag, no record", async () => {
    const d = await build(commit("b"));
    digestOf.set("b", d);
    const before = tags();
    const deployments = box.github.deployments.length;
    const r = await promote(`0.0.2-rc.1@${d}`, { COSIGN_PROMOTE_PASSWORD: "not-the-password" });
    assert.equal(r.status, "failure");
    assert.equal(r.outputs.plan?.action, "promote");
    assert.equal(status(r, SIGN_STEP.promote), "failure");
    assert.equal(status(r, PROMOTE_TAG_STEP), "skipped");
    assert.equal(status(r, RECORD_STEP), "skipped");
    assert.match(r.log, /decrypt/i);
    assert.deepEqual(tags(), before);
    assert.ok(!tags().includes("0.0.2") && !tags().includes("validated-bbbbbbb"));
    assert.equal(verify(keys.promote!, d).ok, false);
    assert.equal(box.github.deployments.length, deployments);
  });

  it("promote: a private key that is not the configured public key's pair signs, fails the check, and pushes no stable tag", async () => {
    const d = digestOf.get("b")!;
    const before = tags();
    const r = await promote(`0.0.2-rc.1@${d}`, {
      COSIGN_PROMOTE_KEY: keys.build!.key,
      COSIGN_PROMOTE_PASSWORD: keys.build!.password,
    });
    assert.equal(r.status, "failure");
    assert.equal(status(r, SIGN_STEP.promote), "failure");
    assert.match(r.log, /no matching signatures/);
    assert.equal(status(r, PROMOTE_TAG_STEP), "skipped");
    assert.deepEqual(tags(), before, "the build key's extra signature went into the existing .sig");
    assert.equal(verify(keys.promote!, d).ok, false);
  });

  it("promote: an empty key secret is named, and nothing is tagged", async () => {
    const d = digestOf.get("b")!;
    const before = tags();
    const r = await promote(`0.0.2-rc.1@${d}`, { COSIGN_PROMOTE_KEY: "" });
    assert.equal(r.status, "failure");
    assert.match(
      r.log,
      /::error::the repository secret COSIGN_PROMOTE_KEY must hold the promote role's cosign\.key \(promotion-pipeline:pipeline\.signing\.promote\); it is empty or not set\./,
    );
    assert.equal(status(r, PROMOTE_TAG_STEP), "skipped");
    assert.deepEqual(tags(), before);
  });

  it("promote: with the right secrets the same event then promotes it, signed by the promote key", async () => {
    const d = digestOf.get("b")!;
    const r = await promote(`0.0.2-rc.1@${d}`);
    ok(r);
    assert.equal(crane("digest", `${artifact}:0.0.2`), d);
    assert.equal(crane("digest", `${artifact}:validated-bbbbbbb`), d);
    assert.ok(verify(keys.promote!, d).ok);
  });

  it("rollback: the earlier digest is signed with the promote key before its new stable tag", async () => {
    const d = digestOf.get("a")!;
    const r = await box.run(
      files.get(PROMOTE_WORKFLOW)!,
      "rollback",
      ctx(
        "workflow_dispatch",
        { inputs: { artifact_sha: "", digest: "", rollback_to: "0.0.1" } },
        commit("0"),
      ),
    );
    ok(r);
    const names = r.steps.map((s) => s.name);
    assert.ok(names.indexOf(SIGN_STEP.promote) < names.indexOf(ROLLBACK_TAG_STEP));
    assert.equal(status(r, SIGN_STEP.promote), "success");
    assert.equal(crane("digest", `${artifact}:0.0.3`), d);
    assert.ok(verify(keys.promote!, d).ok);
  });

  it("registryInsecure: cosign signs with --allow-http-registry --allow-insecure-registry, as crane gets --insecure", async () => {
    const insecure = pipelineFiles(
      pipelineConfig({
        registry: box.registries.main.host,
        registryCredentials: "github-token",
        registryInsecure: true,
        signing: {
          mode: "key",
          build: { publicKey: keys.build!.pub },
          promote: { publicKey: keys.promote!.pub },
        },
      }),
    );
    assert.match(
      insecure.get(BUILD_WORKFLOW)!,
      /cosign sign --allow-http-registry --allow-insecure-registry --yes --tlog-upload=false --key env:\/\/COSIGN_PRIVATE_KEY "\$ARTIFACT@\$DIGEST"/,
    );
    const saved = files;
    files = insecure;
    try {
      // The workflows' own flags reach the plain-HTTP registry: no oras wrapper on PATH.
      const r = await box.run(files.get(BUILD_WORKFLOW)!, "build", {
        ...buildCtx(commit("c")),
        machineEnv: box.machine({ orasPlainHttp: false }),
      });
      ok(r);
      assert.equal(status(r, SIGN_STEP.build), "success");
      const d = r.outputs.push!.digest!;
      assert.ok(tags().includes(sigTag(d)));
      assert.ok(verify(keys.build!, d).ok);
    } finally {
      files = saved;
    }
  });
});
