/**
 * The generated build and promote workflows against a real OCI registry (Debian's docker-registry on
 * 127.0.0.1, basic auth): their real `run:` scripts, executed with bash as a runner would, with crane,
 * oras and `node .github/promotion/promotion.mjs` (the bundle from `npm run build`). Asserts the registry's
 * tags and digests exactly as DESIGN section 2 requires.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { parse } from "yaml";
import { dirname, join } from "node:path";
import { VALIDATE_WORKFLOW } from "../../lib/workflows/artifactCheck";
import {
  BUILD_WORKFLOW,
  PROMOTE_WORKFLOW,
  FLUX_CONFIG_MEDIA_TYPE,
  FLUX_CONTENT_MEDIA_TYPE,
} from "../../lib/workflows/pipeline";
import { VERSION_ANNOTATION } from "../../lib/k8s/canary";
import {
  ciBox,
  ciContext,
  commit,
  craneIn,
  e2eBox,
  fluxEvent,
  pipelineConfig,
  pipelineFiles,
  platformManifests,
  tagListing,
} from "../support/e2eBox";
import { startRegistry } from "../support/registry";
import { tool } from "../support/tools";
import { type JobResult } from "../support/workflowRunner";

const REPO_PATH = "example-org/platform/platform";
/** The artifact check's refusal of BROKEN_CONFIG (a list where a string belongs). */
const MODE_NOT_A_STRING =
  /::error::kubernetes\/app\/config\.yaml: ConfigMap flux-system\/settings: \.data\.mode: must be string, got array/;

describe("e2e: build and promote workflows on a real registry", function () {
  this.timeout(120_000);
  // GitHub's API is the double (the promote job records each promotion there).
  const box = ciBox("promotion-e2e-", ["crane", "oras", "shellcheck", "kustomize"]);
  let files: Map<string, string>;
  let artifact: string;
  let machineEnv: Record<string, string>;
  /** Every stable, RC and build tag the scenario expects, tag -> digest. */
  const expected = new Map<string, string>();
  const digestOf = new Map<string, string>();

  const crane = (...args: string[]): string => craneIn(machineEnv)(...args);

  /** The registry's listing now: tag -> digest. */
  const listing = (): Map<string, string> => tagListing(crane, artifact);

  /** A fresh checkout of the platform repository. */
  const workspace = (kustomization = true): string =>
    box.workspace([...files, ...platformManifests(kustomization)]);

  const ctx = (ws: string, eventName: string, event: unknown, sha = commit("0")) =>
    ciContext(box, { workspace: ws, machine: machineEnv, event: [eventName, event], sha });

  const buildCtx = (sha: string) =>
    ctx(workspace(), "push", { ref: "refs/heads/main", after: sha }, sha);

  async function build(sha: string): Promise<JobResult> {
    return box.run(files.get(BUILD_WORKFLOW)!, "build", buildCtx(sha));
  }

  function promote(event: unknown, eventName = "repository_dispatch"): Promise<JobResult> {
    return box.run(
      files.get(PROMOTE_WORKFLOW)!,
      "promote",
      ctx(workspace(false), eventName, event),
    );
  }

  function assertRegistry(): void {
    assert.deepEqual(listing(), new Map([...expected].sort(([a], [b]) => (a < b ? -1 : 1))));
  }

  const ok = (r: JobResult): void => assert.equal(r.status, "success", r.log);

  before(function () {
    const reg = box.registries.main;
    // The workflows exactly as the program generates them, for a pipeline whose registry is this one; the
    // job token as the login, as on ghcr.io (secrets.GITHUB_TOKEN is this registry's password here).
    files = pipelineFiles(
      pipelineConfig({ registry: reg.host, registryCredentials: "github-token" }),
    );
    artifact = `${reg.host}/${REPO_PATH}`;
    // The runner's machine: tools on PATH (setup-oras/setup-crane stand-ins; oras needs --plain-http for a
    // registry without TLS, the wrapper adds it, nothing else changes), its own docker config.
    machineEnv = box.machine();
  });

  it("build: the first merge pushes 0.0.1-rc.1 with sha- and integration- tags on one digest", async () => {
    const r = await build(commit("a"));
    ok(r);
    const d = r.outputs.push?.digest;
    assert.match(d ?? "", /^sha256:[0-9a-f]{64}$/);
    assert.equal(r.outputs.plan?.version, "0.0.1-rc.1");
    assert.match(r.log, /does not exist yet: this is its first build/);
    // After the push the CLI proved the artifact complete (issue 20): manifest re-hashed, blobs by HEAD.
    assert.match(
      r.log,
      /healthy: the artifact of 127\.0\.0\.1:\d+\/example-org\/platform\/platform is complete \(1 manifest, 2 blobs checked/,
    );
    digestOf.set("a", d!);
    for (const t of ["0.0.1-rc.1", "sha-aaaaaaa", "integration-aaaaaaa"]) expected.set(t, d!);
    assertRegistry();
  });

  it("the artifact is a Flux artifact: media types, revision and source annotations, stamped version", () => {
    const manifest = JSON.parse(crane("manifest", `${artifact}:0.0.1-rc.1`)) as {
      config: { mediaType: string };
      layers: { mediaType: string; digest: string }[];
      annotations: Record<string, string>;
    };
    assert.equal(manifest.config.mediaType, FLUX_CONFIG_MEDIA_TYPE);
    assert.deepEqual(
      manifest.layers.map((l) => l.mediaType),
      [FLUX_CONTENT_MEDIA_TYPE],
    );
    assert.equal(
      manifest.annotations["org.opencontainers.image.revision"],
      `main@sha1:${commit("a")}`,
    );
    assert.equal(
      manifest.annotations["org.opencontainers.image.source"],
      "https://github.com/example-org/platform",
    );
    assert.equal(manifest.annotations["org.opencontainers.image.version"], "0.0.1-rc.1");
    const out = join(box.work, "pulled");
    mkdirSync(out);
    const blob = join(out, "layer.tgz");
    writeFileSync(
      blob,
      execFileSync(tool("crane"), ["blob", `${artifact}@${manifest.layers[0]!.digest}`], {
        env: machineEnv,
      }),
    );
    execFileSync("tar", ["-xzf", blob, "-C", out]);
    assert.deepEqual(readdirSync(out).sort(), [
      "kustomization.yaml",
      "layer.tgz",
      "monitoring",
      "namespace.yaml",
      "platform-version.yaml",
    ]);
    const stamp = readFileSync(join(out, "platform-version.yaml"), "utf8");
    assert.match(
      stamp,
      /kind: ConfigMap\nmetadata:\n  name: platform-version\n  namespace: flux-system\n/,
    );
    assert.match(stamp, /version: 0\.0\.1-rc\.1/);
    assert.match(
      readFileSync(join(out, "kustomization.yaml"), "utf8"),
      /resources:\n  - namespace.yaml\n  - monitoring\/platform-canary.yaml\n  - platform-version.yaml\n/,
    );
    // The Canary carries the stamp too (docs/validation-gate.md): the gate needs it to change with every RC.
    const canary = parse(
      readFileSync(join(out, "monitoring", "platform-canary.yaml"), "utf8").split("---\n")[1]!,
    ) as { metadata: { annotations: Record<string, string> } };
    assert.equal(canary.metadata.annotations[VERSION_ANNOTATION], "0.0.1-rc.1");
  });

  it("build: a second merge with the same manifests still gets its own digest (the stamp), 0.0.1-rc.2", async () => {
    const r = await build(commit("b"));
    ok(r);
    const d = r.outputs.push!.digest!;
    assert.notEqual(d, digestOf.get("a"));
    assert.equal(r.outputs.plan?.version, "0.0.1-rc.2");
    digestOf.set("b", d);
    for (const t of ["0.0.1-rc.2", "sha-bbbbbbb", "integration-bbbbbbb"]) expected.set(t, d);
    assertRegistry();
  });

  it("promote: the validated digest gets validated-<7> and 0.0.1, by retag (same digest, no rebuild)", async () => {
    const d = digestOf.get("b")!;
    const r = await promote(fluxEvent(`0.0.1-rc.2@${d}`));
    ok(r);
    assert.equal(r.outputs.plan?.action, "promote");
    assert.equal(r.steps.find((s) => s.name === "Tag the digest (no rebuild)")?.status, "success");
    expected.set("validated-bbbbbbb", d);
    expected.set("0.0.1", d);
    assertRegistry();
  });

  it("promote: the same dispatch replayed is a no-op", async () => {
    const r = await promote(fluxEvent(`0.0.1-rc.2@${digestOf.get("b")}`));
    ok(r);
    assert.equal(r.outputs.plan?.action, "noop");
    assert.equal(r.steps.find((s) => s.name === "Tag the digest (no rebuild)")?.status, "skipped");
    assertRegistry();
  });

  it("promote: a stale RC validated after a newer one moves no stable tag (refused, run fails)", async () => {
    const r = await promote(fluxEvent(`0.0.1-rc.1@${digestOf.get("a")}`));
    assert.equal(r.status, "failure");
    assert.equal(r.outputs.plan?.action, "refuse");
    assert.match(
      r.log,
      /::error::refuse: 0\.0\.1 already points at sha256:[0-9a-f]{64}; 0\.0\.1-rc\.1 .* stable tag is never moved/,
    );
    assertRegistry();
  });

  it("promote: non-info events never run the job; a stable revision is ignored", async () => {
    const warn = await promote(fluxEvent(`0.0.1-rc.1@${digestOf.get("a")}`, { severity: "error" }));
    assert.equal(warn.status, "skipped");
    const stable = await promote(fluxEvent(`0.0.1@${digestOf.get("b")}`));
    ok(stable);
    assert.equal(stable.outputs.plan?.action, "ignore");
    assertRegistry();
  });

  it("build: the next merge after a promotion starts 0.0.2-rc.1", async () => {
    const r = await build(commit("c"));
    ok(r);
    assert.equal(r.outputs.plan?.version, "0.0.2-rc.1");
    const d = r.outputs.push!.digest!;
    digestOf.set("c", d);
    for (const t of ["0.0.2-rc.1", "sha-ccccccc", "integration-ccccccc"]) expected.set(t, d);
    assertRegistry();
  });

  it("build race: two builds planned on the same tags; the second is refused before pushing, nothing is overwritten", async () => {
    const first = box.jobRun(files.get(BUILD_WORKFLOW)!, "build", buildCtx(commit("d")));
    const second = box.jobRun(files.get(BUILD_WORKFLOW)!, "build", buildCtx(commit("e")));
    await first.runThrough("Plan the version and tags");
    await second.runThrough("Plan the version and tags");
    assert.equal(first.outputs.plan?.version, "0.0.2-rc.2");
    assert.equal(second.outputs.plan?.version, "0.0.2-rc.2");
    const a = await first.finish();
    ok(a);
    const b = await second.finish();
    assert.equal(b.status, "failure");
    assert.equal(b.steps.find((s) => s.status === "failure")?.name, "Push the release candidate");
    assert.equal(b.steps.at(-1)?.status, "skipped");
    assert.match(
      b.log,
      /the registry changed since this build planned 0\.0\.2-rc\.2: the next version is now 0\.0\.2-rc\.3/,
    );
    const d = a.outputs.push!.digest!;
    digestOf.set("d", d);
    for (const t of ["0.0.2-rc.2", "sha-ddddddd", "integration-ddddddd"]) expected.set(t, d);
    assertRegistry();
  });

  it("build: the same commit is never built twice (tags are not overwritten)", async () => {
    const r = await build(commit("c"));
    assert.equal(r.status, "failure");
    assert.match(
      r.log,
      /refusing to overwrite existing tag\(s\) sha-ccccccc, integration-ccccccc: commit ccccccc was built already/,
    );
    assertRegistry();
  });

  it("promote by hand (workflow_dispatch artifact_sha) promotes that commit's RC", async () => {
    const r = await promote(
      { inputs: { artifact_sha: commit("d").slice(0, 12), digest: "" } },
      "workflow_dispatch",
    );
    ok(r);
    expected.set("validated-ddddddd", digestOf.get("d")!);
    expected.set("0.0.2", digestOf.get("d")!);
    assertRegistry();
  });

  it("hostile client_payload and inputs run nothing and change nothing", async () => {
    const marker = join(box.work, "pwned");
    const evil = [
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `x; touch ${marker}; echo `,
      `x\ntouch ${marker}\n`,
      `x" && touch ${marker} && echo "`,
      `::set-output name=action::promote`,
      `x\naction=promote\ntags=0.0.1`,
    ];
    for (const e of evil) {
      const events: [string, unknown][] = [
        ["repository_dispatch", fluxEvent(e)],
        ["repository_dispatch", fluxEvent(`0.0.2-rc.1@${digestOf.get("c")}${e}`)],
        [
          "repository_dispatch",
          fluxEvent(`0.0.2-rc.1@${digestOf.get("c")}`, {
            message: e,
            reason: e,
            involvedObject: { kind: "Kustomization", namespace: "flux-system", name: e },
          }),
        ],
        [
          "repository_dispatch",
          fluxEvent(`0.0.2-rc.1@${digestOf.get("c")}`, { severity: `info${e}` }),
        ],
        ["workflow_dispatch", { inputs: { artifact_sha: e, digest: "" } }],
        ["workflow_dispatch", { inputs: { artifact_sha: "", digest: e } }],
      ];
      for (const [name, ev] of events) {
        const r = await promote(ev, name);
        assert.ok(!existsSync(marker), `payload ran: ${JSON.stringify(e)}\n${r.log}`);
        assert.notEqual(r.outputs.plan?.action, "promote", r.log);
        assert.equal(
          r.steps.find((s) => s.name === "Tag the digest (no rebuild)")?.status ?? "skipped",
          "skipped",
        );
      }
    }
    assertRegistry();
  });

  it("final registry state is exactly DESIGN 2's: one digest per build, stable tags only on validated digests", () => {
    const l = listing();
    assert.deepEqual(
      [...l.keys()],
      [
        "0.0.1",
        "0.0.1-rc.1",
        "0.0.1-rc.2",
        "0.0.2",
        "0.0.2-rc.1",
        "0.0.2-rc.2",
        "integration-aaaaaaa",
        "integration-bbbbbbb",
        "integration-ccccccc",
        "integration-ddddddd",
        "sha-aaaaaaa",
        "sha-bbbbbbb",
        "sha-ccccccc",
        "sha-ddddddd",
        "validated-bbbbbbb",
        "validated-ddddddd",
      ],
    );
    assert.equal(new Set([...l.values()]).size, 4);
    assert.equal(l.get("0.0.1"), l.get("0.0.1-rc.2"));
    assert.equal(l.get("0.0.2"), l.get("0.0.2-rc.2"));
  });

  /** A manual run of the promote workflow with rollback_to, for the job `job`. */
  function rollback(version: string, job = "rollback"): Promise<JobResult> {
    return box.run(
      files.get(PROMOTE_WORKFLOW)!,
      job,
      ctx(workspace(false), "workflow_dispatch", {
        inputs: { artifact_sha: "", digest: "", rollback_to: version },
      }),
    );
  }

  it("rollback_to=0.0.1: its digest becomes 0.0.3 (next patch above 0.0.2), no tag moves, recorded; the promote job skips", async () => {
    const skipped = await rollback("0.0.1", "promote");
    assert.equal(skipped.status, "skipped");
    const before = box.github.deployments.length;
    const r = await rollback("0.0.1");
    ok(r);
    assert.deepEqual(
      [r.outputs.plan?.action, r.outputs.plan?.version, r.outputs.plan?.rollback_of],
      ["rollback", "0.0.3", "0.0.1"],
    );
    expected.set("0.0.3", digestOf.get("b")!);
    assertRegistry();
    assert.equal(box.github.deployments.length, before + 1);
    const d = box.github.deployments.at(-1)!;
    assert.deepEqual(
      [
        d.environment,
        d.ref,
        (d.payload as { rollbackOf: string; trigger: string; version: string }).rollbackOf,
      ],
      ["live", commit("b"), "0.0.1"],
    );
    assert.equal((d.payload as { trigger: string }).trigger, "rollback");
    // The next build continues above the rollback.
    const next = await build(commit("f"));
    ok(next);
    assert.equal(next.outputs.plan?.version, "0.0.4-rc.1");
    for (const t of ["0.0.4-rc.1", "sha-fffffff", "integration-fffffff"])
      expected.set(t, next.outputs.push!.digest!);
    assertRegistry();
  });

  it("rollback_to is refused for a version that does not exist, one never validated, and hostile input; nothing changes", async () => {
    const missing = await rollback("0.0.9");
    assert.equal(missing.status, "failure");
    assert.match(missing.log, /::error::refuse: version 0\.0\.9 does not exist in the registry/);
    // A stable tag someone added by hand to an RC that never passed integration.
    crane("tag", `${artifact}@${digestOf.get("c")}`, "0.0.0");
    expected.set("0.0.0", digestOf.get("c")!);
    const unvalidated = await rollback("0.0.0");
    assert.equal(unvalidated.status, "failure");
    assert.match(
      unvalidated.log,
      /::error::refuse: 0\.0\.0 \(sha256:[0-9a-f]{64}\) was never validated/,
    );
    const marker = join(box.work, "pwned-rollback");
    const evil = await rollback(`0.0.1$(touch ${marker})`);
    assert.equal(evil.status, "failure");
    assert.ok(!existsSync(marker));
    assert.equal(
      [unvalidated, missing, evil].every(
        (r) => r.steps.find((s) => s.name.startsWith("Tag the earlier"))?.status === "skipped",
      ),
      true,
    );
    assertRegistry();
  });
});

describe("e2e: test registry lifecycle", () => {
  it("stop() leaves nothing running and removes its storage", async () => {
    const reg = await startRegistry();
    const res = await fetch(`http://${reg.host}/v2/`);
    assert.equal(res.status, 200);
    const pids = () =>
      readdirSync("/proc")
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return readFileSync(`/proc/${p}/cmdline`, "utf8").includes("docker-registry");
          } catch {
            return false;
          }
        });
    const before = new Set(pids());
    assert.ok(before.has(String(reg.pid)), "the registry's pid is a docker-registry process");
    const dir = dirname(reg.storage);
    assert.ok(existsSync(join(dir, "config.yml")));
    await reg.stop();
    const after = pids().filter((p) => before.has(p));
    await assert.rejects(fetch(`http://${reg.host}/v2/`));
    assert.ok(after.length < before.size, "the registry process is gone");
    assert.ok(!after.includes(String(reg.pid)), "its pid is gone");
    assert.ok(!existsSync(dir), "its directory (config, storage) is removed");
  });
});

/**
 * `pipeline.registryCredentials` against real registries: the login takes the configured secret NAMES
 * (`NEXUS_USER`/`NEXUS_PASSWORD`, not GITHUB_TOKEN) for a basic-auth registry, fails loudly when a secret is
 * missing or wrong, and `none` logs in to nothing. Every job run gets a fresh docker config, so a push can
 * only succeed through the job's own login step.
 */
describe("e2e: registry login with the configured secret names (registryCredentials)", function () {
  this.timeout(120_000);
  const NEXUS_USER = "nexus-bot";
  const NEXUS_PASSWORD = "n3xus-pa55word";
  // The job token (github.token): GitHub's API (mocked) takes it for the promotion record; the registry does not.
  const JOB_TOKEN = "ghs_job-token-not-accepted-by-the-registry";
  const box = e2eBox({
    name: "promotion-e2e-login-",
    tools: ["crane", "oras"],
    registries: {
      auth: { basicAuth: { user: NEXUS_USER, password: NEXUS_PASSWORD } },
      open: {},
    },
    github: { tokens: [JOB_TOKEN], repositories: ["example-org/platform"] },
  });

  const generated = (
    host: string,
    registryCredentials: unknown,
    extra: Record<string, unknown> = {},
  ): Map<string, string> =>
    pipelineFiles(pipelineConfig({ registry: host, registryCredentials, ...extra }));

  /** A job on a fresh runner machine (its own docker config) with a checkout of the files. */
  function run(
    files: Map<string, string>,
    job: "build" | "promote",
    sha: string,
    secrets: Record<string, string>,
    event: [string, unknown] = ["push", { ref: "refs/heads/main", after: sha }],
    orasWrapper = true,
  ): Promise<JobResult> {
    const ctx = box.context({
      workspace: box.workspace([...files, platformManifests(false)[0]!]),
      machine: box.machine({ orasPlainHttp: orasWrapper }),
      event,
      sha,
      secrets,
      actor: "github-actions[bot]",
      githubEnv: { GITHUB_SERVER_URL: "https://github.example.com" },
    });
    return box.run(files.get(job === "build" ? BUILD_WORKFLOW : PROMOTE_WORKFLOW)!, job, ctx);
  }

  /** Tags of the artifact, read with the registry's own credentials (not the jobs' docker config). */
  function tags(host: string, auth: boolean): string[] {
    const dir = mkdtempSync(join(box.work, "reader-"));
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, DOCKER_CONFIG: dir };
    if (auth) {
      execFileSync(tool("crane"), ["auth", "login", host, "-u", NEXUS_USER, "-p", NEXUS_PASSWORD], {
        env,
        stdio: "ignore",
      });
    }
    return craneIn(env)("ls", `${host}/${REPO_PATH}`).split("\n").filter(Boolean).sort();
  }

  const secretsOk = {
    NEXUS_USER,
    NEXUS_PASSWORD,
    // The job token is NOT the registry's password: a login with it would be refused.
    GITHUB_TOKEN: JOB_TOKEN,
  };
  const creds = { usernameSecret: "NEXUS_USER", passwordSecret: "NEXUS_PASSWORD" };

  it("build logs in with secrets.NEXUS_USER / secrets.NEXUS_PASSWORD and pushes the RC", async () => {
    const files = generated(box.registries.auth.host, creds);
    const r = await run(files, "build", commit("a"), secretsOk);
    assert.equal(r.status, "success", r.log);
    assert.equal(r.steps.find((s) => s.name === "Log in to the registry")?.status, "success");
    assert.deepEqual(tags(box.registries.auth.host, true), [
      "0.0.1-rc.1",
      "integration-aaaaaaa",
      "sha-aaaaaaa",
    ]);
  });

  it("promote (by hand) logs in the same way and tags the RC's digest 0.0.1", async () => {
    const files = generated(box.registries.auth.host, creds);
    const r = await run(files, "promote", commit("0"), secretsOk, [
      "workflow_dispatch",
      { inputs: { artifact_sha: commit("a").slice(0, 7), digest: "" } },
    ]);
    assert.equal(r.status, "success", r.log);
    assert.deepEqual(tags(box.registries.auth.host, true), [
      "0.0.1",
      "0.0.1-rc.1",
      "integration-aaaaaaa",
      "sha-aaaaaaa",
      "validated-aaaaaaa",
    ]);
    // The record (issue 13) read the artifact's manifest with the same secrets (registryReadEnv): its
    // ref is the commit the build's revision annotation names, which an anonymous read could not see.
    assert.equal(box.github.deployments.length, 1, r.log);
    assert.equal(box.github.deployments[0]!.ref, commit("a"));
  });

  it("a missing secret stops the job at the login, naming both secrets; nothing is pushed", async () => {
    const files = generated(box.registries.auth.host, creds);
    const r = await run(files, "build", commit("b"), { NEXUS_USER, GITHUB_TOKEN: "x" });
    assert.equal(r.status, "failure");
    const login = r.steps.find((s) => s.name === "Log in to the registry")!;
    assert.equal(login.status, "failure");
    assert.match(
      login.stdout,
      /::error::the repository secrets NEXUS_USER and NEXUS_PASSWORD must hold the login of 127\.0\.0\.1:\d+ \(promotion-pipeline:pipeline\.registryCredentials\); at least one is empty or not set\./,
    );
    assert.ok(!r.log.includes(NEXUS_USER + ":"), "no credential is printed");
    assert.equal(r.steps.at(-1)?.status, "skipped");
    assert.ok(!tags(box.registries.auth.host, true).includes("sha-bbbbbbb"));
  });

  it("a wrong password fails the login (the registry refuses it); nothing is pushed", async () => {
    const files = generated(box.registries.auth.host, creds);
    const r = await run(files, "build", commit("b"), { ...secretsOk, NEXUS_PASSWORD: "wrong" });
    assert.equal(r.status, "failure");
    assert.equal(
      r.steps.find((s) => s.name === "Log in to the registry")?.status,
      "failure",
      r.log,
    );
    assert.ok(!r.log.includes(NEXUS_PASSWORD), "the password is never printed");
    assert.ok(!tags(box.registries.auth.host, true).includes("sha-bbbbbbb"));
  });

  it("the job token alone (registryCredentials: github-token) is refused by this registry", async () => {
    const files = generated(box.registries.auth.host, "github-token");
    const r = await run(files, "build", commit("b"), secretsOk);
    assert.equal(r.status, "failure");
    assert.equal(
      r.steps.find((s) => s.name === "Log in to the registry")?.status,
      "failure",
      r.log,
    );
  });

  it("registryCredentials: none has no login step and pushes to a registry without auth", async () => {
    const files = generated(box.registries.open.host, "none");
    assert.ok(!files.get(BUILD_WORKFLOW)!.includes("Log in to the registry"));
    const r = await run(files, "build", commit("c"), { GITHUB_TOKEN: "x" });
    assert.equal(r.status, "success", r.log);
    assert.deepEqual(tags(box.registries.open.host, false), [
      "0.0.1-rc.1",
      "integration-ccccccc",
      "sha-ccccccc",
    ]);
  });

  it("registryInsecure: the workflows' own --plain-http / --insecure reach a plain-HTTP registry (no oras wrapper)", async () => {
    const files = generated(box.registries.open.host, "none", { registryInsecure: true });
    const plain = await run(files, "build", commit("d"), { GITHUB_TOKEN: "x" }, undefined, false);
    assert.equal(plain.status, "success", plain.log);
    assert.ok(tags(box.registries.open.host, false).includes("sha-ddddddd"));
    // The same build without registryInsecure fails: oras speaks https to a plain-HTTP registry.
    const secure = generated(box.registries.open.host, "none");
    const failed = await run(secure, "build", commit("e"), { GITHUB_TOKEN: "x" }, undefined, false);
    assert.equal(failed.status, "failure");
    assert.equal(
      failed.steps.find((st) => st.status === "failure")?.name,
      "Push the release candidate",
    );
    assert.ok(!tags(box.registries.open.host, false).includes("sha-eeeeeee"));
  });
});

/**
 * Issue 20 item 5: the build job checks what the gate will apply before it pushes. An RC whose ConfigMap has
 * a list where a string belongs used to be pushed and fail 24 s later in integration's dry-run; here the
 * generated build job refuses it at "Validate what the gate will apply", naming the file, the object and the
 * field, and the registry's listing is byte for byte what it was. The fixed content is pushed.
 */
describe("e2e: the build refuses an artifact the gate would fail to apply, before any push", function () {
  this.timeout(120_000);
  const box = e2eBox({
    name: "promotion-e2e-validate-",
    tools: ["crane", "oras", "kustomize"],
    registries: { main: {} },
  });
  let files: Map<string, string>;
  let artifact: string;
  let machineEnv: Record<string, string>;

  const BROKEN_CONFIG =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: flux-system\ndata:\n  mode:\n    - fast\n    - safe\n";
  const GOOD_CONFIG =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: flux-system\ndata:\n  mode: fast\n";

  const crane = (...args: string[]): string => craneIn(machineEnv)(...args);

  /** tag -> digest; an artifact that does not exist yet lists nothing. */
  const listing = (): Map<string, string> => tagListing(crane, artifact);

  function build(sha: string, content: Record<string, string>): Promise<JobResult> {
    const ws = box.workspace([...files, ...Object.entries(content)]);
    return box.run(
      files.get(BUILD_WORKFLOW)!,
      "build",
      box.context({
        workspace: ws,
        machine: machineEnv,
        event: ["push", { ref: "refs/heads/main", after: sha }],
        sha,
        secrets: { GITHUB_TOKEN: "x" },
      }),
    );
  }

  before(function () {
    const reg = box.registries.main;
    // The delivered files, the schema set among them (.github/promotion/schemas.json).
    files = pipelineFiles(pipelineConfig({ registry: reg.host, registryCredentials: "none" }));
    assert.ok(files.has(".github/promotion/schemas.json"));
    artifact = `${reg.host}/${REPO_PATH}`;
    // No Go on this runner's PATH: the pinned kustomize must come from the tool cache, as setup would put it.
    machineEnv = box.machine({ usrLocal: false });
  });

  const refusedAtValidation = (r: JobResult): void => {
    assert.equal(r.status, "failure", r.log);
    assert.equal(
      r.steps.find((s) => s.status === "failure")?.name,
      "Validate what the gate will apply",
      r.log,
    );
    const push = r.steps.find((s) => s.name === "Push the release candidate");
    assert.ok(push && push.status === "skipped", `the push step must not run: ${push?.status}`);
  };

  it("a valid artifact (no kustomization: every YAML file, as kustomize-controller generates it) is pushed", async () => {
    const r = await build(commit("a"), {
      "kubernetes/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n",
      "kubernetes/app/config.yaml": GOOD_CONFIG,
    });
    assert.equal(r.status, "success", r.log);
    assert.match(r.log, /validate-artifact: 3 object\(s\) from 3 file\(s\) in kubernetes match/);
    assert.deepEqual([...listing().keys()], ["0.0.1-rc.1", "integration-aaaaaaa", "sha-aaaaaaa"]);
  });

  it("a ConfigMap with a list where a string belongs is refused before the push, named; the registry is unchanged", async () => {
    const before = listing();
    const r = await build(commit("b"), {
      "kubernetes/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n",
      "kubernetes/app/config.yaml": BROKEN_CONFIG,
    });
    refusedAtValidation(r);
    assert.match(r.log, MODE_NOT_A_STRING);
    assert.deepEqual(listing(), before);
  });

  it("the pull-request job (validate-platform.yaml) runs the same check, without registry or secret", async () => {
    const pr = async (config: string): Promise<JobResult> => {
      const ws = box.workspace([...files, ["kubernetes/app/config.yaml", config] as const]);
      return box.run(files.get(VALIDATE_WORKFLOW)!, "validate", {
        workspace: ws,
        eventName: "pull_request",
        event: { number: 7, pull_request: { number: 7 } },
        githubEnv: { GITHUB_SHA: commit("e"), GITHUB_REPOSITORY: "example-org/platform" },
        secrets: {},
        machineEnv,
      });
    };
    const before = listing();
    const bad = await pr(BROKEN_CONFIG);
    assert.equal(bad.status, "failure", bad.log);
    assert.match(bad.log, MODE_NOT_A_STRING);
    const good = await pr(GOOD_CONFIG);
    assert.equal(good.status, "success", good.log);
    assert.match(good.log, /1 object\(s\) from 1 file\(s\) in kubernetes match/);
    assert.deepEqual(listing(), before);
  });

  it("with a kustomization.yaml (kustomize v5.8.1): a patch that breaks a field is refused the same way; fixed, it is pushed", async () => {
    const before = listing();
    const kustomization = (value: string) =>
      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - app/config.yaml\npatches:\n" +
      `  - target: {kind: ConfigMap, name: settings}\n    patch: |\n      - op: replace\n        path: /data/mode\n        value: ${value}\n`;
    const broken = await build(commit("c"), {
      "kubernetes/kustomization.yaml": kustomization("[fast, safe]"),
      "kubernetes/app/config.yaml": GOOD_CONFIG,
    });
    refusedAtValidation(broken);
    assert.match(broken.log, MODE_NOT_A_STRING);
    assert.deepEqual(listing(), before);

    const fixed = await build(commit("d"), {
      "kubernetes/kustomization.yaml": kustomization("safe"),
      "kubernetes/app/config.yaml": GOOD_CONFIG,
    });
    assert.equal(fixed.status, "success", fixed.log);
    assert.match(fixed.log, /rendered by kustomize build \(kubernetes\/kustomization\.yaml\)/);
    const after = listing();
    assert.equal(after.get("0.0.1-rc.2"), fixed.outputs.push?.digest);
    assert.deepEqual(
      [...after.keys()].filter((t) => !before.has(t)),
      ["0.0.1-rc.2", "integration-ddddddd", "sha-ddddddd"],
    );
  });
});
