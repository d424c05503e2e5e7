/**
 * `promotion status` and `promotion trace` (the bundled CLI, as an operator runs it) against a real OCI
 * registry (docker-registry on 127.0.0.1, basic auth) whose tags the generated build and promote workflows
 * made, with their real `run:` scripts (tests/support/workflowRunner.ts). The integration cluster is a
 * tiny HTTPS stub of the Kubernetes API (a self-signed CA from openssl, a bearer token) serving the
 * OCIRepository and the gate Kustomization; that is only a stand-in until the real-cluster suite.
 *
 * The scenario gives the four RCs of issue 13's "Done means": one promoted, one waiting, one that failed
 * the gate, one superseded.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { join } from "node:path";
import { pinsFiles } from "../../lib/pins/delivery";
import { BUILD_WORKFLOW, PROMOTE_WORKFLOW } from "../../lib/workflows/pipeline";
import { watchFile } from "../../lib/workflows/platformFiles";
import { WATCH_WORKFLOW } from "../../lib/workflows/watch";
import {
  CI,
  ciBox,
  ciContext,
  commit,
  pipelineConfig,
  pipelineFiles,
  platformManifests,
} from "../support/e2eBox";
import { tool } from "../support/tools";
import { type JobContext, type JobResult } from "../support/workflowRunner";
import { runCaptured } from "../support/capture";
import { policyWithRegistryDown } from "../support/policyFile";

const KUBE_TOKEN = "kube-read-token";
const CLI = join(__dirname, "..", "..", "dist", "promotion.mjs");

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

describe("e2e: promotion status and trace on a registry the workflows built", function () {
  this.timeout(120_000);
  const box = ciBox("promotion-operator-", ["crane", "oras", "kustomize"]);
  let files: Map<string, string>;
  let machineEnv: Record<string, string>;
  let policyFile: string;
  let kube: Server;
  let kubeconfig: string;
  /** What the stub API server reports for integration. */
  let integration: {
    revision?: string;
    ready: "True" | "False";
    message: string;
    applied?: string;
    /** The OCIRepository's spec.verify and SourceVerified condition, as source-controller writes them. */
    verify?: { spec: unknown; condition: Record<string, string> };
  } = {
    ready: "True",
    message: "Applied revision",
  };
  const digests = new Map<string, string>();

  const workspace = (): string => box.workspace([...files, ...platformManifests()]);

  const ctx = (ws: string, eventName: string, event: unknown, sha = commit("0")): JobContext =>
    ciContext(box, {
      workspace: ws,
      machine: machineEnv,
      event: [eventName, event],
      sha,
      githubEnv: { GITHUB_ACTOR: CI.user },
    });

  const ok = (r: JobResult): void => assert.equal(r.status, "success", r.log);

  async function build(c: string): Promise<string> {
    const sha = commit(c);
    const r = await box.run(
      files.get(BUILD_WORKFLOW)!,
      "build",
      ctx(workspace(), "push", { after: sha }, sha),
    );
    ok(r);
    digests.set(c, r.outputs.push!.digest!);
    return r.outputs.plan!.version!;
  }

  async function promote(c: string): Promise<void> {
    const r = await box.run(
      files.get(PROMOTE_WORKFLOW)!,
      "promote",
      ctx(workspace(), "workflow_dispatch", {
        inputs: { artifact_sha: commit(c), digest: "" },
      }),
    );
    ok(r);
    assert.equal(r.outputs.plan?.action, "promote");
  }

  /** The bundled CLI, as an operator runs it. */
  async function cli(...args: string[]): Promise<CliRun> {
    const r = await runCaptured(process.execPath, [CLI, ...args], {
      env: {
        ...machineEnv,
        PROMOTION_REGISTRY_USERNAME: CI.user,
        PROMOTION_REGISTRY_PASSWORD: CI.password,
        GITHUB_API_URL: box.github.url,
        GITHUB_TOKEN: CI.password,
      },
    });
    // DAY2_TRANSCRIPT=<file>: keeps every command and its output (README's day-2 section quotes it).
    if (process.env.DAY2_TRANSCRIPT)
      appendFileSync(
        process.env.DAY2_TRANSCRIPT,
        `$ promotion ${args.join(" ")}\n${r.stdout}${r.stderr}(exit ${r.code})\n\n`,
      );
    return { code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  const withKube = (): string[] => ["--kubeconfig", `integration=${kubeconfig}`];

  before(async function () {
    const root = box.work;
    const cfg = pipelineConfig({
      registry: box.registries.main.host,
      // The job token as the login, as on ghcr.io (secrets.GITHUB_TOKEN is this registry's password here).
      registryCredentials: "github-token",
    });
    files = new Map([
      ...pipelineFiles(cfg),
      ...[...pinsFiles(cfg).repository, watchFile(cfg)].map((f) => [f.path, f.content] as const),
    ]);
    policyFile = join(root, "pins-policy.yaml");
    writeFileSync(policyFile, pinsFiles(cfg).policy);
    machineEnv = box.machine();

    // The Kubernetes API stand-in: TLS with its own CA, bearer token, the two objects status reads.
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        join(root, "kube.key"),
        "-out",
        join(root, "kube.crt"),
      ],
      { stdio: "ignore" },
    );
    kube = createServer(
      { key: readFileSync(join(root, "kube.key")), cert: readFileSync(join(root, "kube.crt")) },
      (req, res) => {
        if (req.headers.authorization !== `Bearer ${KUBE_TOKEN}`) {
          res.writeHead(401).end("{}");
          return;
        }
        if (
          req.url ===
          "/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/ocirepositories/flux-system"
        ) {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(
            JSON.stringify({
              kind: "OCIRepository",
              metadata: { name: "flux-system", namespace: "flux-system" },
              ...(integration.verify ? { spec: { verify: integration.verify.spec } } : {}),
              status: {
                ...(integration.revision ? { artifact: { revision: integration.revision } } : {}),
                ...(integration.verify
                  ? { conditions: [{ type: "SourceVerified", ...integration.verify.condition }] }
                  : {}),
              },
            }),
          );
        } else if (
          req.url ===
          "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/platform"
        ) {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(
            JSON.stringify({
              kind: "Kustomization",
              status: {
                ...(integration.applied ? { lastAppliedRevision: integration.applied } : {}),
                ...(integration.revision ? { lastAttemptedRevision: integration.revision } : {}),
                conditions: [
                  {
                    type: "Ready",
                    status: integration.ready,
                    reason:
                      integration.ready === "True"
                        ? "ReconciliationSucceeded"
                        : "HealthCheckFailed",
                    message: integration.message,
                  },
                ],
              },
            }),
          );
        } else {
          res.writeHead(404).end("{}");
        }
      },
    );
    await new Promise<void>((r) => kube.listen(0, "127.0.0.1", r));
    box.own("Kubernetes API stand-in", () => new Promise<void>((r) => kube.close(() => r())));
    const port = (kube.address() as { port: number }).port;
    kubeconfig = join(root, "kubeconfig");
    writeFileSync(
      kubeconfig,
      [
        "apiVersion: v1",
        "kind: Config",
        "current-context: integration",
        "clusters:",
        "- name: integration",
        "  cluster:",
        `    server: https://127.0.0.1:${port}`,
        `    certificate-authority-data: ${readFileSync(join(root, "kube.crt")).toString("base64")}`,
        "contexts:",
        "- name: integration",
        "  context: {cluster: integration, user: reader}",
        "users:",
        "- name: reader",
        `  user: {token: ${KUBE_TOKEN}}`,
        "",
      ].join("\n"),
    );
  });

  /** The build time the build job stamped on `tag` (org.opencontainers.image.created). */
  const createdOf = (tag: string): string | undefined =>
    (
      JSON.parse(
        execFileSync(
          tool("crane"),
          ["manifest", `${box.registries.main.host}/example-org/platform/platform:${tag}`],
          { env: machineEnv, encoding: "utf8" },
        ),
      ) as { annotations: Record<string, string> }
    ).annotations["org.opencontainers.image.created"];

  it("the build stamps the build time: the RC's manifest has org.opencontainers.image.created", async () => {
    assert.equal(await build("a"), "0.0.1-rc.1");
    const created = createdOf("0.0.1-rc.1");
    assert.match(created ?? "", /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.ok(Math.abs(Date.parse(created!) - Date.now()) < 5 * 60_000, created);
  });

  it("promoted: trace a reaches live (exit 0); status shows live on 0.0.1", async () => {
    await promote("a");
    const t = await cli("trace", commit("a"), "--policy", policyFile);
    assert.equal(t.code, 0, t.stdout + t.stderr);
    assert.match(t.stdout, /stable {7}reached {6}0\.0\.1\n/);
    assert.match(t.stdout, /on live \(live\)/);
    const s = await cli("status", "--policy", policyFile, "--output", "json");
    assert.equal(s.code, 0, s.stderr);
    const j = JSON.parse(s.stdout) as {
      newestRc: { tag: string; promotedAs: string; waiting: boolean };
      clusters: { name: string; selects: { tag: string } }[];
    };
    assert.deepEqual(
      [j.newestRc.tag, j.newestRc.promotedAs, j.newestRc.waiting],
      ["0.0.1-rc.1", "0.0.1", false],
    );
    // The promote job recorded it: one Deployment to live, ref = the commit, payload = the facts.
    assert.equal(box.github.deployments.length, 1);
    const d = box.github.deployments[0]!;
    assert.deepEqual([d.environment, d.ref, d.task], ["live", commit("a"), "deploy:promotion"]);
    assert.deepEqual(d.payload, {
      kind: "promotion-pipeline/v1",
      digest: digests.get("a"),
      version: "0.0.1",
      rc: "0.0.1-rc.1",
      artifact: `${box.registries.main.host}/example-org/platform/platform`,
      trigger: "manual",
      runUrl: "https://github.com/example-org/platform/actions/runs/1",
      actor: CI.user,
      promotedAt: (d.payload as { promotedAt: string }).promotedAt,
    });
    assert.deepEqual(
      d.statuses.map((x) => [x.state, x.log_url]),
      [["success", "https://github.com/example-org/platform/actions/runs/1"]],
    );
    const tg = await cli(
      "trace",
      commit("a"),
      "--policy",
      policyFile,
      "--github",
      "example-org/platform",
    );
    assert.equal(tg.code, 0, tg.stderr);
    assert.match(
      tg.stdout,
      /stable {7}reached {6}\d{4}-\d\d-\d\dT\S+ {2}0\.0\.1 by https:\/\/github\.com\/example-org\/platform\/actions\/runs\/1 \(ci-bot\)\n/,
    );
    const sg = await cli("status", "--policy", policyFile, "--github", "example-org/platform");
    assert.match(
      sg.stdout,
      /promotions \(GitHub Deployments to live, newest first\):\n {2}0\.0\.1 from 0\.0\.1-rc\.1 {2}sha256:[0-9a-f]{12} {2}\S+ {2}by ci-bot {2}https:\/\/github\.com\/example-org\/platform\/actions\/runs\/1\n/,
    );
    assert.deepEqual(
      j.clusters.map((c) => [c.name, c.selects.tag]),
      [
        ["integration", "0.0.1"],
        ["live", "0.0.1"],
      ],
    );
  });

  it("waiting: trace b is in progress (exit 3); status: the newest RC waits, measured from its build", async () => {
    assert.equal(await build("b"), "0.0.2-rc.1");
    const t = await cli("trace", commit("b").slice(0, 7), "--policy", policyFile);
    assert.equal(t.code, 3, t.stdout + t.stderr);
    assert.match(
      t.stdout,
      /stopped before validated \(in-progress\): waiting for integration's gate \(built \d+m ago\): integration selects it/,
    );
    const s = await cli("status", "--policy", policyFile);
    assert.equal(s.code, 0, s.stderr);
    assert.match(
      s.stdout,
      /newest RC {6}0\.0\.2-rc\.1 {2}sha256:[0-9a-f]{12} {2}built \S+ {2}waiting for promotion for \d+m\n/,
    );
    assert.match(s.stdout, /newest stable {2}0\.0\.1 /);
    // A day after its build it counts as stalled (measured from the stamped build time, so a slow machine
    // cannot add a minute).
    const later = new Date(Date.parse(createdOf("0.0.2-rc.1")!) + 25 * 3_600_000).toISOString();
    const t2 = await cli("trace", commit("b"), "--policy", policyFile, "--now", later);
    assert.equal(t2.code, 4);
    assert.match(t2.stdout, /stalled: waiting for integration's gate for 25h 0m \(more than 24h\)/);
  });

  it("failed the gate: integration read through its kubeconfig (Ready=False on b): trace exit 4; status flags it", async () => {
    const rev = `0.0.2-rc.1@${digests.get("b")}`;
    integration = {
      revision: rev,
      applied: rev,
      ready: "False",
      message: "Canary monitoring/platform-validation: failed",
    };
    const t = await cli("trace", commit("b"), "--policy", policyFile, ...withKube());
    assert.equal(t.code, 4, t.stdout + t.stderr);
    assert.match(
      t.stdout,
      /stopped before validated \(stopped\): failed the gate on integration: Kustomization Ready=False \(HealthCheckFailed\): Canary monitoring\/platform-validation: failed/,
    );
    const s = await cli("status", "--policy", policyFile, ...withKube());
    assert.equal(s.code, 3, s.stdout + s.stderr);
    assert.match(
      s.stdout,
      /integration +integration +>= 0\.0\.0-0 +0\.0\.2-rc\.1 +sha256:[0-9a-f]{12} +- +0\.0\.2-rc\.1, gate Ready=False {2}MISMATCH/,
    );
    assert.match(
      s.stdout,
      /integration: MISMATCH: the gate is not Ready \(False, HealthCheckFailed: Canary monitoring\/platform-validation: failed\)/,
    );
    assert.match(s.stdout, /live +live +>= 0\.0\.0 +0\.0\.1 +sha256:[0-9a-f]{12} +- +\(not read\)/);
  });

  it("superseded: after c is built, trace b stops at integration (exit 4); c waits; a wrong token is reported, not fatal", async () => {
    assert.equal(await build("c"), "0.0.2-rc.2");
    const rev = `0.0.2-rc.2@${digests.get("c")}`;
    integration = {
      revision: rev,
      applied: rev,
      ready: "True",
      message: "Applied revision: " + rev,
    };
    const t = await cli("trace", commit("b"), "--policy", policyFile, ...withKube());
    assert.equal(t.code, 4, t.stdout + t.stderr);
    assert.match(
      t.stdout,
      /stopped before integration \(stopped\): superseded: integration selects 0\.0\.2-rc\.2, a newer candidate/,
    );
    const c = await cli("trace", commit("c"), "--policy", policyFile, ...withKube());
    assert.equal(c.code, 3);
    assert.match(
      c.stdout,
      /integration {2}reached {6}integration selects it; integration applied it/,
    );
    const s = await cli("status", "--policy", policyFile, ...withKube());
    assert.equal(s.code, 0, s.stdout + s.stderr);
    assert.match(s.stdout, /0\.0\.2-rc\.2, gate Ready=True\n/);
    const bad = kubeconfig + ".bad";
    writeFileSync(bad, readFileSync(kubeconfig, "utf8").replace(KUBE_TOKEN, "wrong"));
    const s2 = await cli("status", "--policy", policyFile, "--kubeconfig", `integration=${bad}`);
    assert.equal(s2.code, 3);
    assert.match(
      s2.stdout,
      /integration: cluster not read: GET https:\/\/127\.0\.0\.1:\d+\/apis\/.* HTTP 401 \(the credentials are not accepted/,
    );
  });

  it("a signature integration refused: status shows it with the controller's message (MISMATCH), trace stops there", async () => {
    const served = `0.0.2-rc.1@${digests.get("b")}`;
    const refusedRc = `0.0.2-rc.2@${digests.get("c")}`;
    const message = `failed to verify the signature using provider 'cosign': no matching signatures were found for '${box.registries.main.host}/example-org/platform/platform@${digests.get("c")}'`;
    const saved = integration;
    integration = {
      revision: served,
      applied: served,
      ready: "True",
      message: "Applied revision: " + served,
      verify: {
        spec: { provider: "cosign", secretRef: { name: "flux-system-cosign" } },
        condition: { status: "False", reason: "VerificationError", message },
      },
    };
    try {
      const s = await cli("status", "--policy", policyFile, ...withKube());
      assert.equal(s.code, 3, s.stdout + s.stderr);
      assert.match(s.stdout, /0\.0\.2-rc\.1, signature REFUSED, gate Ready=True {2}MISMATCH\n/);
      assert.ok(
        s.stdout.includes(
          `integration: signature REFUSED (VerificationError: ${message}); it verifies the keys in Secret flux-system/flux-system-cosign and keeps serving its last verified artifact`,
        ),
        s.stdout,
      );
      const t = await cli("trace", commit("c"), "--policy", policyFile, ...withKube());
      assert.equal(t.code, 4, t.stdout + t.stderr);
      assert.ok(
        t.stdout.includes(
          `stopped before validated (stopped): integration refused its signature (VerificationError: ${message}; it verifies the keys in Secret flux-system/flux-system-cosign).`,
        ),
        t.stdout,
      );
      // Verified: the cell and a note say so, by which key.
      integration = {
        revision: refusedRc,
        applied: refusedRc,
        ready: "True",
        message: "Applied revision: " + refusedRc,
        verify: {
          spec: { provider: "cosign", secretRef: { name: "flux-system-cosign" } },
          condition: {
            status: "True",
            reason: "Succeeded",
            message: `verified signature of revision ${refusedRc}`,
          },
        },
      };
      const v = await cli("status", "--policy", policyFile, ...withKube());
      assert.equal(v.code, 0, v.stdout + v.stderr);
      assert.match(v.stdout, /0\.0\.2-rc\.2, verified, gate Ready=True\n/);
      assert.ok(
        v.stdout.includes(
          `integration: signature verified for ${refusedRc} by the keys in Secret flux-system/flux-system-cosign`,
        ),
        v.stdout,
      );
    } finally {
      integration = saved;
    }
  });

  it("then promoted: trace c reaches live; unknown commit exits 5; an unreadable registry exits 1", async () => {
    await promote("c");
    const t = await cli("trace", commit("c"), "--policy", policyFile, "--output", "json");
    assert.equal(t.code, 0, t.stdout + t.stderr);
    const j = JSON.parse(t.stdout) as { verdict: string; stable: string; rcTags: string[] };
    assert.deepEqual([j.verdict, j.stable, j.rcTags], ["live", "0.0.2", ["0.0.2-rc.2"]]);
    const u = await cli("trace", commit("f"), "--policy", policyFile);
    assert.equal(u.code, 5);
    assert.match(u.stdout, /no artifact was built from fffffff/);
    const down = policyWithRegistryDown(policyFile, box.registries.main.host);
    const s = await cli("status", "--policy", down);
    assert.equal(s.code, 1);
    assert.equal(s.stdout, "");
    assert.match(s.stderr, /registry 127\.0\.0\.1:9: list tags of example-org\/platform\/platform/);
  });

  /** The generated watch workflow's real run: step, at `hoursLater` hours from now (PROMOTION_NOW). */
  async function watch(hoursLater: number, policy?: string): Promise<JobResult> {
    const ws = workspace();
    if (policy !== undefined) writeFileSync(join(ws, "registry", "pins-policy.yaml"), policy);
    const c = ctx(ws, "schedule", {});
    const r = await box.run(files.get(WATCH_WORKFLOW)!, "watch", {
      ...c,
      githubEnv: { ...c.githubEnv, GITHUB_RUN_ID: String(hoursLater) },
      machineEnv: {
        ...machineEnv,
        PROMOTION_NOW: new Date(Date.now() + hoursLater * 3_600_000).toISOString(),
      },
    });
    if (process.env.DAY2_TRANSCRIPT)
      appendFileSync(
        process.env.DAY2_TRANSCRIPT,
        `[watch workflow, ${hoursLater}h later]\n${r.log}\n\n`,
      );
    return r;
  }
  const openIssues = () => box.github.issues.filter((i) => i.state === "open");

  it("watch (GitHub's API mocked): clear while nothing waits; an RC waiting 2 h is not stalled; no issue", async () => {
    const r = await watch(0);
    ok(r);
    assert.match(
      r.log,
      /clear: no release candidate waits longer than 24h, no pin expires within 3 days/,
    );
    assert.match(r.log, /no watch issue is open; nothing to do/);
    assert.equal(await build("d"), "0.0.3-rc.1");
    ok(await watch(2));
    assert.equal(box.github.issues.length, 0);
  });

  it("watch: the RC waits 25 h -> the job fails and opens ONE issue; an hour later it is updated, not duplicated", async () => {
    const r = await watch(25);
    assert.equal(r.status, "failure");
    assert.equal(r.steps.at(-1)?.exitCode, 4);
    assert.match(
      r.log,
      /ALARM: Release candidate 0\.0\.3-rc\.1 has waited 25h 0m for promotion \(limit 24h\); the newest stable is still 0\.0\.2/,
    );
    assert.match(r.log, /opened issue #1\./);
    assert.deepEqual(
      openIssues().map((i) => [i.number, i.title, i.labels]),
      [[1, "Promotion pipeline stalled", ["pipeline-stalled"]]],
    );
    assert.match(
      openIssues()[0]!.body,
      /\(\[run\]\(https:\/\/github\.com\/example-org\/platform\/actions\/runs\/25\)\)/,
    );
    const again = await watch(26);
    assert.equal(again.status, "failure");
    assert.match(again.log, /updated issue #1\./);
    assert.equal(box.github.issues.length, 1);
    assert.match(openIssues()[0]!.body, /waited 26h 0m/);
    assert.deepEqual(openIssues()[0]!.comments, []);
  });

  it("watch: the RC is promoted -> clear, the issue is closed with a comment", async () => {
    await promote("d");
    const r = await watch(27);
    ok(r);
    assert.match(r.log, /closed issue #1\./);
    assert.equal(openIssues().length, 0);
    assert.match(box.github.issues[0]!.comments.at(-1)!, /^Cleared at /);
  });

  it("watch: the registry cannot be read, or a pin expires within 3 days -> alarm and an issue", async () => {
    const policy = files.get("registry/pins-policy.yaml")!;
    const down = await watch(0, policy.replace(box.registries.main.host, "127.0.0.1:9"));
    assert.equal(down.status, "failure");
    assert.match(
      down.log,
      /ALARM: The registry could not be read: registry 127\.0\.0\.1:9: list tags of example-org\/platform\/platform/,
    );
    assert.equal(openIssues().length, 1);
    const day = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString().slice(0, 10);
    const pinned = policy.replace(
      /(  - name: live\n    role: live\n    semver: ">= 0\.0\.0"\n    suspended: false\n)/,
      `$1    pin:\n      tag: 0.0.2\n      reason: "INC-42: 0.0.3 breaks ingress"\n      expires: "${day(24)}"\n`,
    );
    assert.notEqual(pinned, policy);
    const pin = await watch(0, pinned);
    assert.equal(pin.status, "failure");
    assert.match(
      pin.log,
      /ALARM: The pin of live \(0\.0\.2: INC-42: 0\.0\.3 breaks ingress\) expires on/,
    );
    assert.match(pin.log, /updated issue #\d+ \(the alarms changed: commented\)/);
    assert.equal(openIssues().length, 1);
    ok(await watch(0));
    assert.equal(openIssues().length, 0);
  });
});
