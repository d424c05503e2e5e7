/**
 * The generated promote workflow against a real registry (docker-registry on 127.0.0.1) behind the
 * paginating front (tests/support/registryProxy.ts): its decision step reads one paginated tag listing
 * and a constant number of manifests, no request per tag; and when the registry fails half way through
 * the decision, the run fails with nothing recorded and nothing tagged.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { validateConfig } from "../../lib/config";
import { readCliBundle, workflowFiles } from "../../lib/workflows/files";
import { PROMOTE_WORKFLOW } from "../../lib/workflows/pipeline";
import { GitHubStandIn } from "../support/githubStandIn";
import { pushArtifact } from "../support/push";
import { startRegistry, type TestRegistry } from "../support/registry";
import { startRegistryProxy, type RegistryProxy } from "../support/registryProxy";
import { tool, TOOLS_BIN } from "../support/tools";
import { JobRun, type JobContext } from "../support/workflowRunner";

const REPO = "example-org/platform/platform";
const commit = (n: number): string => n.toString(16).padStart(7, "0").repeat(6).slice(0, 40);

describe("e2e: the promote workflow reads the registry at a constant cost", function () {
  this.timeout(180_000);
  let reg: TestRegistry;
  let proxy: RegistryProxy;
  /** GitHub's API (mocked) for the promotion record, the promote job's last step (issue 13). */
  let github: GitHubStandIn;
  let root: string;
  let files: Map<string, string>;
  let machineEnv: Record<string, string>;
  /** The RC to promote: the newest build. */
  let rc: { tag: string; digest: string; short: string };
  const BUILDS = 40;

  const crane = (...args: string[]): string =>
    execFileSync(tool("crane"), args, { env: machineEnv, encoding: "utf8" }).trim();
  /** The registry's tags and digests, read directly (crane blocks this process, which serves the front). */
  const listing = (): Map<string, string> => {
    const direct = `${reg.host}/${REPO}`;
    const tags = crane("ls", direct).split("\n").filter(Boolean).sort();
    return new Map(tags.map((t) => [t, crane("digest", `${direct}:${t}`)]));
  };

  function ctx(): JobContext {
    const ws = join(root, `ws-${Math.random().toString(36).slice(2, 8)}`);
    for (const [p, content] of files) {
      mkdirSync(join(ws, dirname(p)), { recursive: true });
      writeFileSync(join(ws, p), content);
    }
    return {
      workspace: ws,
      eventName: "repository_dispatch",
      event: {
        action: "Kustomization/platform.flux-system",
        client_payload: {
          involvedObject: { kind: "Kustomization", namespace: "flux-system", name: "platform" },
          severity: "info",
          message: "Health check passed in 2s",
          metadata: { revision: `${rc.tag}@${rc.digest}` },
        },
      },
      githubEnv: {
        GITHUB_SHA: commit(999),
        GITHUB_REPOSITORY: "example-org/platform",
        GITHUB_API_URL: github.url,
      },
      secrets: { GITHUB_TOKEN: "unused" },
      machineEnv,
    };
  }

  before(async () => {
    for (const t of ["crane", "oras"] as const) tool(t);
    root = mkdtempSync(join(tmpdir(), "promotion-scale-e2e-"));
    reg = await startRegistry();
    // Pages of 7 tags: docker-registry 2.8 ignores `n`, the front paginates as GHCR does.
    proxy = await startRegistryProxy({ upstream: reg.host, maxPageSize: 7 });
    // 40 builds of 0.0.1 (three tags each), pushed directly, as the build workflow tags them.
    for (let n = 1; n <= BUILDS; n++) {
      const c = commit(n);
      const short = c.slice(0, 7);
      const tag = `0.0.1-rc.${n}`;
      const digest = await pushArtifact({ host: reg.host, repo: REPO }, `main@sha1:${c}`, [
        tag,
        `sha-${short}`,
        `integration-${short}`,
      ]);
      rc = { tag, digest, short };
    }
    const cfg = validateConfig(
      {
        stack: "integration",
        pipeline: {
          registry: proxy.host,
          owner: "example-org",
          repository: "platform",
          // The job token as the login, as on ghcr.io (this registry takes any login).
          registryCredentials: "github-token",
          clusters: { integration: { role: "integration" }, live: { role: "live" } },
          // Unsigned here: signing with real cosign is proven in tests/e2e/signing.test.ts.
          signing: { mode: "none" },
        },
        dispatchTokenSecret: "github-dispatch-token",
      },
      new Date("2026-11-23T12:00:00Z"),
    );
    files = new Map(workflowFiles(cfg, { cli: readCliBundle() }).map((f) => [f.path, f.content]));
    const bin = join(root, "bin");
    mkdirSync(bin);
    writeFileSync(
      join(bin, "oras"),
      `#!/bin/sh\nsub="$1"; shift\nexec "${join(TOOLS_BIN, "oras")}" "$sub" --plain-http "$@"\n`,
    );
    chmodSync(join(bin, "oras"), 0o755);
    machineEnv = {
      PATH: [bin, TOOLS_BIN, dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(
        ":",
      ),
      HOME: join(root, "home"),
      DOCKER_CONFIG: join(root, "docker"),
      LANG: "C.UTF-8",
    };
    mkdirSync(machineEnv.HOME!);
    github = await GitHubStandIn.start({
      tokens: ["unused"],
      repositories: ["example-org/platform"],
    });
  });

  after(async () => {
    await proxy?.close();
    await github?.stop();
    await reg?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("a registry failing half way through the decision: the run fails, nothing recorded, nothing tagged", async () => {
    const before = listing();
    const run = new JobRun(files.get(PROMOTE_WORKFLOW)!, "promote", ctx());
    await run.runThrough("Log in to the registry");
    proxy.resetRequests();
    // The tag listing (ceil(120 / 7) = 18 pages) goes through; the registry fails at the first manifest.
    proxy.failFrom(19);
    const decide = await run.step();
    proxy.failFrom(undefined);
    assert.equal(decide.name, "Decide");
    assert.equal(decide.status, "failure");
    assert.equal(decide.stdout, "");
    assert.match(decide.stderr, /::error::registry .*HTTP 500 .*No decision: nothing is tagged/);
    assert.deepEqual(run.outputs.plan, {});
    const rest = await run.finish();
    assert.equal(rest.status, "failure");
    assert.equal(
      rest.steps.find((s) => s.name === "Tag the digest (no rebuild)")?.status,
      "skipped",
    );
    assert.equal(proxy.requests.put, 0);
    assert.deepEqual(listing(), before);
    assert.equal(github.deployments.length, 0, "nothing recorded");
  });

  it("the decision reads one paginated listing and a few manifests, never one per tag; then it tags", async () => {
    const run = new JobRun(files.get(PROMOTE_WORKFLOW)!, "promote", ctx());
    await run.runThrough("Log in to the registry");
    proxy.resetRequests();
    proxy.pagesServed = 0;
    const decide = await run.step();
    assert.equal(decide.status, "success", decide.stderr);
    const tags = BUILDS * 3;
    assert.equal(proxy.pagesServed, Math.ceil(tags / 7));
    assert.equal(proxy.requests.list, Math.ceil(tags / 7));
    assert.ok(proxy.requests.head + proxy.requests.get <= 10, JSON.stringify(proxy.requests));
    assert.deepEqual(run.outputs.plan, {
      action: "promote",
      digest: rc.digest,
      version: "0.0.1",
      tags: `validated-${rc.short} 0.0.1`,
    });
    const result = await run.finish();
    assert.equal(result.status, "success", result.log);
    const after = listing();
    assert.equal(after.get("0.0.1"), rc.digest);
    assert.equal(after.get(`validated-${rc.short}`), rc.digest);
    assert.equal(after.size, tags + 2);
    assert.equal(github.deployments.length, 1, result.log);
  });
});
