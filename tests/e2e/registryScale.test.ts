/**
 * The generated promote workflow against a real registry (docker-registry on 127.0.0.1) behind the
 * paginating front (tests/support/registryProxy.ts): its decision step reads one paginated tag listing
 * and a constant number of manifests, no request per tag; and when the registry fails half way through
 * the decision, the run fails with nothing recorded and nothing tagged.
 */
import { strict as assert } from "node:assert";
import { PROMOTE_WORKFLOW } from "../../lib/workflows/pipeline";
import {
  craneIn,
  e2eBox,
  fluxEvent,
  pipelineConfig,
  pipelineFiles,
  tagListing,
} from "../support/e2eBox";
import { pushArtifact } from "../support/push";

const REPO = "example-org/platform/platform";
const commit = (n: number): string => n.toString(16).padStart(7, "0").repeat(6).slice(0, 40);

describe("e2e: the promote workflow reads the registry at a constant cost", function () {
  this.timeout(180_000);
  // Pages of 7 tags: docker-registry 2.8 ignores `n`, the front paginates as GHCR does. GitHub's API (the
  // double) takes the promotion record, the promote job's last step (issue 13).
  const box = e2eBox({
    name: "promotion-scale-e2e-",
    tools: ["crane", "oras"],
    registries: { main: {} },
    fronts: { front: { upstream: "main", maxPageSize: 7 } },
    github: { tokens: ["unused"], repositories: ["example-org/platform"] },
  });
  let files: Map<string, string>;
  let machineEnv: Record<string, string>;
  /** The RC to promote: the newest build. */
  let rc: { tag: string; digest: string; short: string };
  const BUILDS = 40;

  /** The registry's tags and digests, read directly (crane blocks this process, which serves the front). */
  const listing = (): Map<string, string> =>
    tagListing(craneIn(machineEnv), `${box.registries.main.host}/${REPO}`);

  const ctx = () =>
    box.context({
      workspace: box.workspace(files),
      machine: machineEnv,
      event: ["repository_dispatch", fluxEvent(`${rc.tag}@${rc.digest}`)],
      sha: commit(999),
      secrets: { GITHUB_TOKEN: "unused" },
    });

  before(async () => {
    const reg = box.registries.main;
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
    // The workflows read the registry through the front; the job token is the login, as on ghcr.io (this
    // registry takes any login).
    files = pipelineFiles(
      pipelineConfig({ registry: box.fronts.front.host, registryCredentials: "github-token" }),
    );
    machineEnv = box.machine();
  });

  it("a registry failing half way through the decision: the run fails, nothing recorded, nothing tagged", async () => {
    const front = box.fronts.front;
    const before = listing();
    const run = box.jobRun(files.get(PROMOTE_WORKFLOW)!, "promote", ctx());
    await run.runThrough("Log in to the registry");
    front.resetRequests();
    // The tag listing (ceil(120 / 7) = 18 pages) goes through; the registry fails at the first manifest.
    front.failFrom(19);
    const decide = await run.step();
    front.failFrom(undefined);
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
    assert.equal(front.requests.put, 0);
    assert.deepEqual(listing(), before);
    assert.equal(box.github.deployments.length, 0, "nothing recorded");
  });

  it("the decision reads one paginated listing and a few manifests, never one per tag; then it tags", async () => {
    const front = box.fronts.front;
    const run = box.jobRun(files.get(PROMOTE_WORKFLOW)!, "promote", ctx());
    await run.runThrough("Log in to the registry");
    front.resetRequests();
    front.pagesServed = 0;
    const decide = await run.step();
    assert.equal(decide.status, "success", decide.stderr);
    const tags = BUILDS * 3;
    assert.equal(front.pagesServed, Math.ceil(tags / 7));
    assert.equal(front.requests.list, Math.ceil(tags / 7));
    assert.ok(front.requests.head + front.requests.get <= 10, JSON.stringify(front.requests));
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
    assert.equal(box.github.deployments.length, 1, result.log);
  });
});
