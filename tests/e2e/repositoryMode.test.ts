/**
 * Repository mode end to end: the REAL Pulumi engine runs the owner stack with
 * `promotion-pipeline:files: {repository: true}`, and the REAL github plugin (terraform-provider-github
 * v6.13.0 bridged by pulumi-terraform-bridge, built by scripts/setup-pulumi.sh) commits the files to a
 * STAND-IN of the GitHub API (tests/support/githubStandIn.ts: HTTPS on 127.0.0.1 with a CA made for this run,
 * reached as a GitHub Enterprise Server through `pipeline.github.url`). GitHub itself cannot run here: the
 * stand-in is the only mock, and it says so in the test names.
 */
import { strict as assert } from "node:assert";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { type StackConfig } from "../../lib/config";
import { platformFiles } from "../../lib/workflows/platformFiles";
import { pinsFiles } from "../../lib/pins/delivery";
import { canaryManifest, platformCanary } from "../../lib/k8s/canary";
import { readCliBundle } from "../../lib/workflows/files";
import { e2eBox } from "../support/e2eBox";
import { type GitHubStandIn } from "../support/githubStandIn";
import { ok, type ProjectCopy, type Run } from "../support/projectCopy";
import { shippedConfig } from "../support/pulumiMocks";

const OWNER = "platform-team";
const REPOSITORY = "platform";
const BRANCH = "main";
const STACK = "integration";
/** A classic token with the scopes repository mode needs, and one without `workflow`. */
const TOKEN = "ghp_e2eRepositoryModeToken0000000000000001";
const TOKEN_NO_WORKFLOW = "ghp_e2eRepositoryModeToken0000000000000002";
const MESSAGE = "promotion-pipeline: update";
const PINS_MESSAGE = "promotion-pipeline: registry pin policy";
/**
 * The repository files only: the Kubernetes objects of this stack are rendered to a directory (no cluster),
 * and the kubernetes provider cannot refresh rendered objects, so the drift check targets the files.
 */
const FILES = "urn:pulumi:integration::promotion-pipeline::**RepositoryFile::**";

describe("e2e: repository mode, the real engine and the real github plugin against a GitHub API STAND-IN", function () {
  this.timeout(300_000);
  // The real engine on a copy of this project; the GitHub API stand-in over HTTPS with a CA made for this run.
  const box = e2eBox({
    name: "pp-repo-mode-",
    pulumi: true,
    github: {
      tls: true,
      tokens: [
        { token: TOKEN, scopes: ["repo", "workflow"] },
        { token: TOKEN_NO_WORKFLOW, scopes: ["repo"] },
      ],
    },
  });
  let project: ProjectCopy;
  let caFile: string;
  let caPem: string;
  let gh: GitHubStandIn;
  /** Everything pulumi printed in this suite, for the token-leak check. */
  const printed: string[] = [];

  const pulumi = async (...args: string[]): Promise<Run> => {
    const r = await project.pulumiAsync({ SSL_CERT_FILE: caFile, GITHUB_TOKEN: "" }, ...args);
    printed.push(r.out, r.err);
    return r;
  };
  /** The drift check: preview --refresh --expect-no-changes of the repository files. */
  const driftCheck = (): Promise<Run> =>
    pulumi("preview", "--refresh", "--expect-no-changes", "--target", FILES, "--stack", STACK);
  const up = async (...extra: string[]): Promise<string> =>
    ok(await pulumi("up", "--stack", STACK, "--yes", "--skip-preview", ...extra), "pulumi up");
  /** What the pure builders say the repository must hold: path -> content. */
  const expected = (): Map<string, string> => {
    const cfg: StackConfig = shippedConfig(project.dir, STACK, new Date());
    const cli = readCliBundle(project.dir);
    const files = [
      ...platformFiles(cfg, {
        canaryManifest: canaryManifest(platformCanary({ extraChecks: cfg.pipeline.extraChecks })),
        cli,
      }),
      ...pinsFiles(cfg).repository,
    ];
    return new Map(files.map((f) => [f.path, f.content]));
  };
  /** Writes (PUT) and deletes (DELETE) of repository contents since request number `from`. */
  const writes = (from: number): { method: string; path: string }[] =>
    gh.requests
      .slice(from)
      .filter((r) => (r.method === "PUT" || r.method === "DELETE") && r.path.includes("/contents/"))
      .map((r) => ({
        method: r.method,
        path: decodeURIComponent(r.path.replace(/^.*?\/contents\//, "")),
      }));
  const setPipeline = (edit: (p: Record<string, unknown>) => void): void => {
    const file = join(project.dir, "Pulumi.yaml");
    const doc = parse(readFileSync(file, "utf8")) as {
      config: Record<string, { value: Record<string, unknown> }>;
    };
    edit(doc.config["promotion-pipeline:pipeline"]!.value);
    writeFileSync(file, stringify(doc));
  };

  before(async function () {
    ({ project, github: gh } = box);
    ({ file: caFile, pem: caPem } = box.githubCa);
    gh.repository(OWNER, REPOSITORY, { defaultBranch: BRANCH });
    setPipeline((p) =>
      Object.assign(p, {
        owner: OWNER,
        repository: REPOSITORY,
        github: { url: gh.url, caPem },
        // A GHES has no keyless default; what is delivered does not depend on the signing mode.
        signing: { mode: "none" },
      }),
    );
    const stackFile = join(project.dir, `Pulumi.${STACK}.yaml`);
    const salt = /^encryptionsalt: .*$/m.exec(readFileSync(stackFile, "utf8"))![0];
    writeFileSync(
      stackFile,
      stringify({
        config: {
          "promotion-pipeline:kubernetes": { renderDirectory: `out/${STACK}/kubernetes` },
          "promotion-pipeline:files": { repository: true, branch: BRANCH },
          "promotion-pipeline:dispatchTokenSecret": "github-dispatch-token",
        },
      }) + `${salt}\n`,
    );
    ok(await pulumi("stack", "select", "--create", STACK), "stack select");
    ok(
      await pulumi("config", "set", "--secret", "github:token", TOKEN, "--stack", STACK),
      "config set",
    );
  });

  it("pulumi up commits every file to the configured branch with the commit message, with the configured token only", async function () {
    const from = gh.requests.length;
    assert.match(await up(), /Resources:\s+\+ \d+ created/);
    const want = expected();
    assert.ok(want.size >= 6, `files expected: ${[...want.keys()].join(", ")}`);
    for (const [path, content] of want)
      assert.equal(gh.file(OWNER, REPOSITORY, BRANCH, path), content, path);
    assert.deepEqual(
      writes(from)
        .map((w) => `${w.method} ${w.path}`)
        .sort(),
      [...want.keys()].map((p) => `PUT ${p}`).sort(),
    );
    const commits = gh.commits.filter((c) => c.branch === BRANCH);
    const pinsPaths = new Set(
      pinsFiles(shippedConfig(project.dir, STACK, new Date())).repository.map((f) => f.path),
    );
    assert.ok(pinsPaths.size > 0);
    assert.deepEqual(
      commits.map((c) => c.message).sort(),
      [...want.keys()].map((p) => `${pinsPaths.has(p) ? PINS_MESSAGE : MESSAGE} ${p}`).sort(),
    );
    const tokens = new Set(gh.requests.slice(from).map((r) => r.token));
    assert.deepEqual([...tokens], [TOKEN]);
  });

  it("a second pulumi up changes nothing: no PUT, no DELETE", async function () {
    const from = gh.requests.length;
    const out = await up();
    assert.doesNotMatch(out, /[~+-] \d+ (updated|created|deleted)/);
    assert.deepEqual(writes(from), []);
  });

  it("a changed input updates exactly the files whose content changed", async function () {
    const before = expected();
    setPipeline((p) => Object.assign(p, { keepStable: 7 }));
    const after = expected();
    const changed = [...after.keys()].filter((p) => after.get(p) !== before.get(p)).sort();
    assert.ok(changed.length > 0 && changed.length < after.size, `changed: ${changed.join(", ")}`);
    const from = gh.requests.length;
    await up();
    assert.deepEqual(
      writes(from)
        .map((w) => `${w.method} ${w.path}`)
        .sort(),
      changed.map((p) => `PUT ${p}`),
    );
    for (const p of changed) assert.equal(gh.file(OWNER, REPOSITORY, BRANCH, p), after.get(p), p);
  });

  it("a file edited by hand in the repository is drift: preview --refresh --expect-no-changes names it, up --refresh restores it", async function () {
    const path = ".github/workflows/build-platform-artifact.yaml";
    const want = expected().get(path)!;
    gh.editFile(OWNER, REPOSITORY, BRANCH, path, `${want}# edited by hand\n`);
    const preview = await driftCheck();
    assert.notEqual(preview.code, 0, "the drift check must fail");
    // The one file is an update, nothing else changes.
    assert.match(preview.out, /~ .*RepositoryFile.*build-platform-artifact\.yaml.* update/);
    assert.match(preview.out, /1 to update/);
    assert.doesNotMatch(preview.out, /to (create|delete|replace)/);
    const from = gh.requests.length;
    await up("--refresh", "--target", FILES);
    assert.equal(gh.file(OWNER, REPOSITORY, BRANCH, path), want);
    assert.deepEqual(writes(from), [{ method: "PUT", path }]);
    ok(await driftCheck(), "clean again");
  });

  it("a token without the workflow scope is refused before anything changes, naming the scope", async function () {
    ok(
      await pulumi(
        "config",
        "set",
        "--secret",
        "github:token",
        TOKEN_NO_WORKFLOW,
        "--stack",
        STACK,
      ),
      "set",
    );
    setPipeline((p) => Object.assign(p, { keepStable: 8 })); // something to write, were it allowed
    const from = gh.requests.length;
    const r = await pulumi("up", "--stack", STACK, "--yes", "--skip-preview");
    assert.notEqual(r.code, 0);
    const text = r.out + r.err;
    assert.match(text, /github:token: the token lacks the workflow scope/);
    assert.match(text, /\.github\/workflows\/build-platform-artifact\.yaml/);
    assert.doesNotMatch(text, /unhandled exception|at .*\.ts:\d+/);
    assert.deepEqual(writes(from), []);
    ok(
      await pulumi("config", "set", "--secret", "github:token", TOKEN, "--stack", STACK),
      "restore",
    );
    await up();
  });

  it("the token appears nowhere: not in the state, the outputs, the stack file or anything pulumi printed", async function () {
    const state = ok(await pulumi("stack", "export", "--stack", STACK), "export");
    const outputs = ok(await pulumi("stack", "output", "--json", "--stack", STACK), "outputs");
    const stackFile = readFileSync(join(project.dir, `Pulumi.${STACK}.yaml`), "utf8");
    for (const [what, text] of [
      ["state", state],
      ["outputs", outputs],
      ["stack file", stackFile],
      ["pulumi output", printed.join("\n")],
    ] as const) {
      assert.ok(!text.includes(TOKEN), `token in ${what}`);
      assert.ok(!text.includes(TOKEN_NO_WORKFLOW), `second token in ${what}`);
    }
    // The provider did use it: the stand-in saw it on every request.
    assert.ok(gh.requests.some((r) => r.token === TOKEN));
  });

  it("pulumi destroy deletes every file it wrote", async function () {
    const want = [...expected().keys()];
    const from = gh.requests.length;
    ok(await pulumi("destroy", "--stack", STACK, "--yes", "--skip-preview"), "destroy");
    for (const p of want) assert.equal(gh.file(OWNER, REPOSITORY, BRANCH, p), undefined, p);
    assert.deepEqual(
      writes(from)
        .map((w) => `${w.method} ${w.path}`)
        .sort(),
      want.map((p) => `DELETE ${p}`).sort(),
    );
  });
});
