/**
 * End to end: a real registry seeded with a realistic history (hundreds of builds, promotions, a pin, a
 * suspended cluster, a floating tag), then `promotion pins` on a project directory with Pulumi.yaml and
 * stack files, and on the pin policy the owner stack delivers (config -> pinsFiles -> pins-policy.yaml ->
 * `promotion pins --policy`, what a cleaner runs). The allowlist must protect exactly what DESIGN section 8
 * lists, be byte-stable across runs (also when the tag list arrives paginated in another order), protect a
 * build pushed after the policy was written, and the hazards must fire.
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { validateConfig } from "../../lib/config";
import { pinsFiles } from "../../lib/pins/delivery";
import { buildHistory, shortSha, type Build } from "../support/history";
import { e2eBox, promotionCli } from "../support/e2eBox";
import { pushArtifact, putManifest, artifactManifest } from "../support/push";
import { type TestRegistry } from "../support/registry";
import { type RegistryProxy } from "../support/registryProxy";

const REPO = "example-org/platform/platform";
const TYPE_NAME = "container/platform/platform";

function project(dir: string, registry: string): void {
  writeFileSync(
    join(dir, "Pulumi.yaml"),
    `name: promotion-pipeline
runtime: nodejs
config:
  promotion-pipeline:pipeline:
    value:
      registry: "${registry}"
      registryCredentials: none
      owner: example-org
      repository: platform
      artifact: platform
      clusters:
        dev: { role: dev, git: { url: "https://github.com/example-org/platform", branch: main } }
        integration: { role: integration }
        live: { role: live }
        staging: { role: live, semver: "< 0.0.20", suspended: true }
      keepStable: 5
      floatingTags: [demo]
  promotion-pipeline:pins:
    value:
      retention:
        - { name: old-shas, deleteMatching: "^sha-" }
`,
  );
  writeFileSync(
    join(dir, "Pulumi.integration.yaml"),
    "config:\n  promotion-pipeline:dispatchTokenSecret: t\n",
  );
  writeFileSync(
    join(dir, "Pulumi.live.yaml"),
    "config:\n  promotion-pipeline:pin:\n    tag: 0.0.10\n    reason: 'INC-7: 0.0.11 breaks ingress'\n    expires: 2099-01-01\n",
  );
}

const cli = (args: string[]) => promotionCli("pins", ...args);

const entries = (lines: string): string[] =>
  lines
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => l.slice(`${TYPE_NAME}==`.length));

describe("e2e: promotion pins on a seeded registry", function () {
  this.timeout(180_000);
  const box = e2eBox({
    name: "pins-e2e-",
    registries: { main: {} },
    fronts: { front: { upstream: "main", maxPageSize: 50 } },
  });
  let reg: TestRegistry;
  let proxy: RegistryProxy;
  let dir: string;
  let proxyDir: string;
  // 60 released versions x 4 RCs + 3 pending RCs of 0.0.61 = 243 builds, ~810 tags.
  const builds = buildHistory({ releases: 60, rcsPerRelease: 4, pending: 3 });
  const promoted = builds.filter((b) => b.promoted);
  const byVersion = (v: string): Build => promoted.find((b) => b.version === v) as Build;

  before(async () => {
    reg = box.registries.main;
    proxy = box.fronts.front;
    const target = { host: reg.host, repo: REPO };
    for (const b of builds) await pushArtifact(target, `build-${b.n}`, b.tags);
    await putManifest(target, "demo", artifactManifest(`build-${(builds[0] as Build).n}`));
    dir = join(box.work, "project");
    proxyDir = join(box.work, "project-proxy");
    for (const d of [dir, proxyDir]) mkdirSync(d);
    project(dir, reg.host);
    project(proxyDir, proxy.host);
  });

  it("protects exactly what DESIGN 8 lists, with every tag on each protected digest", async () => {
    const r = await cli(["--dir", dir]);
    assert.equal(r.code, 0, r.err);
    const expectedBuilds = new Set<Build>([
      ...promoted.slice(-5), // last keepStable stable (the highest included: live's selection)
      ...builds.filter((b) => b.version === "0.0.61"), // pending RCs (integration selects rc.3)
      byVersion("0.0.10"), // live's pin
      byVersion("0.0.19"), // the suspended staging cluster's selection
      builds[0] as Build, // the floating tag demo
    ]);
    const expected = [...[...expectedBuilds].flatMap((b) => b.tags), "demo"].sort();
    assert.deepEqual(entries(r.out), expected);
    assert.equal(expectedBuilds.size, 11);
  });

  it("fires the retention hazard for every protected digest the sha- rule would delete", async () => {
    const r = await cli(["--dir", dir, "--strict"]);
    assert.equal(r.code, 1);
    const hazards = r.err.trim().split("\n");
    assert.equal(hazards.length, 11);
    assert.ok(
      hazards.every((h) =>
        h.startsWith(
          "error: retention-deletes-protected: retention rule old-shas would delete tag sha-",
        ),
      ),
    );
    assert.ok(
      hazards.some((h) =>
        h.includes("cluster staging selects 0.0.19 (suspended: it resumes on this)"),
      ),
      r.err,
    );
  });

  it("is byte-stable across runs, formats and a paginated listing in another order", async () => {
    const a = await cli(["--dir", dir]);
    const b = await cli(["--dir", proxyDir]);
    assert.equal(b.out, a.out);
    assert.ok(proxy.pagesServed >= 17, `pages: ${proxy.pagesServed}`);
    const g1 = await cli(["--dir", dir, "--format", "ghcr"]);
    const g2 = await cli(["--dir", proxyDir, "--format", "ghcr"]);
    assert.equal(g2.out, g1.out);
    assert.match(g1.out, /^skip-shas: "(sha256:[a-f0-9]{64},){10}sha256:[a-f0-9]{64}"$/m);
  });

  it("runs as the promotion bin with the same bytes", async () => {
    const { stdout } = await promisify(execFile)(
      "node",
      ["cli/promotion.mjs", "pins", "--dir", dir],
      {
        env: { ...process.env, PROMOTION_CLI_SOURCE: "1" },
        maxBuffer: 10_000_000,
      },
    );
    assert.equal(stdout, (await cli(["--dir", dir])).out);
  });

  /** What the owner stack's `pulumi up` delivers: the policy, from the project's config and stack files. */
  function deliveredPolicy(projectDir: string): string {
    const project = parse(readFileSync(join(projectDir, "Pulumi.yaml"), "utf8")) as {
      config: Record<string, { value: unknown }>;
    };
    const stackFiles = readdirSync(projectDir)
      .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ stack: m[1]!, text: readFileSync(join(projectDir, m[0]), "utf8") }));
    const cfg = validateConfig({
      stack: "integration",
      pipeline: project.config["promotion-pipeline:pipeline"]?.value,
      pins: project.config["promotion-pipeline:pins"]?.value,
      dispatchTokenSecret: "t",
      stackFiles,
    });
    const files = pinsFiles(cfg);
    const policy = files.repository.find((f) => f.path === "registry/pins-policy.yaml");
    assert.ok(policy, files.repository.map((f) => f.path).join(", "));
    assert.deepEqual(files.registryDir, [{ path: "pins-policy.yaml", content: policy.content }]);
    const file = join(projectDir, "pins-policy.yaml");
    writeFileSync(file, policy.content);
    return file;
  }

  it("the delivered policy, expanded by `promotion pins --policy`, protects exactly the same set", async () => {
    const policy = deliveredPolicy(dir);
    const viaPolicy = await cli(["--policy", policy]);
    assert.equal(viaPolicy.code, 0, viaPolicy.err);
    const viaDir = await cli(["--dir", dir]);
    assert.equal(viaPolicy.out, viaDir.out);
    assert.equal(viaPolicy.err, viaDir.err);
    const expectedBuilds = new Set<Build>([
      ...promoted.slice(-5),
      ...builds.filter((b) => b.version === "0.0.61"),
      byVersion("0.0.10"),
      byVersion("0.0.19"),
      builds[0] as Build,
    ]);
    assert.deepEqual(
      entries(viaPolicy.out),
      [...[...expectedBuilds].flatMap((b) => b.tags), "demo"].sort(),
    );
    // Paginated in another order, through the proxy: same bytes; and the GHCR workflow's outputs.
    const viaProxy = await cli(["--policy", deliveredPolicy(proxyDir)]);
    assert.equal(viaProxy.out, viaPolicy.out);
    const out = await cli(["--policy", policy, "--format", "ghcr-output"]);
    assert.equal(out.code, 0);
    assert.match(out.out, /^skip-shas=(sha256:[a-f0-9]{64},){10}sha256:[a-f0-9]{64}$/m);
    assert.match(out.out, /^image-tags=(![A-Za-z0-9_.-]+ )+![A-Za-z0-9_.-]+$/m);
  });

  it("protects a build pushed AFTER the policy was written (a list written at pulumi up would not)", async () => {
    const policy = deliveredPolicy(dir);
    // The list as a `pulumi up` that expanded the policy would have written it.
    const listAtUp = entries((await cli(["--policy", policy])).out);
    const n = builds.length + 1;
    const sha = shortSha(n);
    const tags = ["0.0.61-rc.4", `sha-${sha}`, `integration-${sha}`];
    await pushArtifact({ host: reg.host, repo: REPO }, `build-${n}`, tags);
    // What `pulumi up` delivers does not change with a build: nothing to redeliver, no nightly drift.
    const delivered = readFileSync(policy, "utf8");
    assert.equal(readFileSync(deliveredPolicy(dir), "utf8"), delivered);
    const now = await cli(["--policy", policy, "--format", "report"]);
    assert.equal(now.code, 0, now.err);
    assert.match(now.out, /  - cluster integration selects 0\.0\.61-rc\.4$/m);
    const lines = entries((await cli(["--policy", policy])).out);
    for (const t of tags) {
      assert.ok(lines.includes(t), `${t} protected now`);
      assert.ok(!listAtUp.includes(t), `${t} was not in the list of the earlier run`);
    }
    assert.deepEqual(
      lines.filter((t) => !listAtUp.includes(t)),
      [...tags].sort(),
    );
  });

  it("runs as the promotion bin on the policy with the same bytes", async () => {
    const policy = deliveredPolicy(dir);
    const { stdout } = await promisify(execFile)(
      "node",
      ["cli/promotion.mjs", "pins", "--policy", policy],
      { env: { ...process.env, PROMOTION_CLI_SOURCE: "1" }, maxBuffer: 10_000_000 },
    );
    assert.equal(stdout, (await cli(["--policy", policy])).out);
  });

  it("warns about a stray pre-release and a pin to a missing tag", async () => {
    await pushArtifact({ host: reg.host, repo: REPO }, "stray", ["9.9.9-test"]);
    writeFileSync(
      join(dir, "Pulumi.live.yaml"),
      "config:\n  promotion-pipeline:pin:\n    tag: 0.0.99\n    reason: typo\n    expires: 2099-01-01\n",
    );
    const r = await cli(["--dir", dir]);
    assert.equal(r.code, 0);
    assert.match(
      r.err,
      /^error: pin-tag-missing: cluster live is pinned to tag 0\.0\.99, which does not exist in the registry/m,
    );
    assert.match(
      r.err,
      /^error: stray-prerelease: cluster integration: ">= 0\.0\.0-0" selects 9\.9\.9-test, not the pending candidate 0\.0\.61-rc\.4; /m,
    );
    assert.ok(entries(r.out).includes("9.9.9-test")); // what integration runs now stays protected too
  });

  it("fails closed when the registry is gone", async () => {
    await reg.stop();
    const p = await cli(["--policy", join(dir, "pins-policy.yaml"), "--format", "ghcr-output"]);
    assert.equal(p.code, 1);
    assert.equal(p.out, "");
    assert.match(p.err, /No allowlist printed: a cleaner must not run on a partial one\.\n$/);
    const r = await cli(["--dir", dir]);
    assert.equal(r.code, 1);
    assert.equal(r.out, "");
    assert.match(
      r.err,
      new RegExp(
        `^promotion pins: registry ${reg.host}: list tags of ${REPO} \\(page 1\\): GET .* failed: fetch failed`,
      ),
    );
  });
});
