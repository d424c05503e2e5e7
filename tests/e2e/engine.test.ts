/**
 * End to end with the REAL Pulumi engine (the CLI, language host and plugins `scripts/setup-pulumi.sh` puts in
 * the cache) on the embedded default, in a temporary copy of the project (the git-tracked files of this
 * checkout, node_modules symlinked, dist copied) with its own file backend: this checkout's out/ and
 * .pulumi-state are never touched. Asserts what `pulumi up` writes (exactly these files, with the content the
 * pure builders produce), that a second preview is empty, that a config change shows exactly the expected
 * diff, what the drift mechanisms of the embedded default catch, that destroy removes everything, and that
 * `scripts/main.sh` runs green and leaves the copy's git tree clean (the committed passphrase salts are right).
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createHash } from "node:crypto";
import { join, relative } from "node:path";
import { parse } from "yaml";
import { NS, type StackConfig } from "../../lib/config";
import { e2eBox } from "../support/e2eBox";
import { ok, type ProjectCopy, type Run } from "../support/projectCopy";
import { shippedConfig } from "../support/pulumiMocks";
import { platformFiles } from "../../lib/workflows/platformFiles";
import { pinsFiles } from "../../lib/pins/delivery";
import { workflowFiles } from "../../lib/workflows/files";
import { canaryAlertRules, canaryManifest, platformCanary } from "../../lib/k8s/canary";
import { clusterSource, cosignKeySecret, registryCaSecret } from "../../lib/k8s/source";
import { gateKustomization } from "../../lib/k8s/gate";
import { validationLoopObjects } from "../../lib/k8s/validation";

const STACKS = ["integration", "live"] as const;
type Stack = (typeof STACKS)[number];
const M = "kubernetes/1-manifest";

/** Every file `pulumi up` writes on the embedded default, per stack, relative to out/<stack>. */
const EXPECTED_FILES: Record<Stack, string[]> = {
  integration: [
    "github/.github/promotion/promotion.mjs",
    "github/.github/promotion/schemas.json",
    "github/.github/workflows/build-platform-artifact.yaml",
    "github/.github/workflows/pipeline-watch.yaml",
    "github/.github/workflows/registry-integrity.yaml",
    "github/.github/workflows/registry-retention.yaml",
    "github/.github/workflows/tag-validated-artifact.yaml",
    "github/.github/workflows/validate-platform.yaml",
    "github/kubernetes/validation/platform-validation.canary.yaml",
    "github/registry/pins-policy.yaml",
    `${M}/kustomize.toolkit.fluxcd.io_v1-kustomization-flux-system-platform.yaml`,
    `${M}/monitoring.coreos.com_v1-prometheusrule-monitoring-canary-checker-alerts.yaml`,
    `${M}/notification.toolkit.fluxcd.io_v1beta3-alert-flux-system-validation-success.yaml`,
    `${M}/notification.toolkit.fluxcd.io_v1beta3-provider-flux-system-github-dispatch.yaml`,
    `${M}/source.toolkit.fluxcd.io_v1-ocirepository-flux-system-flux-system.yaml`,
    "registry/pins-policy.yaml",
  ],
  live: [
    `${M}/kustomize.toolkit.fluxcd.io_v1-kustomization-flux-system-platform.yaml`,
    `${M}/monitoring.coreos.com_v1-prometheusrule-monitoring-canary-checker-alerts.yaml`,
    `${M}/source.toolkit.fluxcd.io_v1-ocirepository-flux-system-flux-system.yaml`,
  ],
};
const OCI_FILE = `${M}/source.toolkit.fluxcd.io_v1-ocirepository-flux-system-flux-system.yaml`;
const BUILD_WF = ".github/workflows/build-platform-artifact.yaml";

/** Files below `dir`, relative, sorted ([] when it does not exist). */
function filesBelow(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)))
    .sort();
}

const sha256 = (s: string): string => createHash("sha256").update(s, "utf8").digest("hex");
/** A builder's object as YAML would carry it (no undefined, plain JSON values). */
const plain = (o: unknown): unknown => JSON.parse(JSON.stringify(o));

/** What the pure builders say out/<stack>/{github,registry} must hold: out-relative path -> content. */
function expectedFiles(cfg: StackConfig): Map<string, string> {
  const out = new Map<string, string>();
  if (!cfg.ownsFiles) return out;
  const canary = canaryManifest(platformCanary({ extraChecks: cfg.pipeline.extraChecks }));
  const pins = pinsFiles(cfg);
  for (const f of [...platformFiles(cfg, { canaryManifest: canary }), ...pins.repository])
    out.set(`github/${f.path}`, f.content);
  for (const f of pins.registryDir) out.set(`registry/${f.path}`, f.content);
  return out;
}

/** What the pure builders say the rendered Kubernetes objects are, by `Kind/namespace/name`. */
function expectedObjects(cfg: StackConfig): Map<string, unknown> {
  const { pipeline, cluster } = cfg;
  const src = clusterSource(pipeline, cluster, cfg.pin);
  const ca = registryCaSecret(pipeline, cluster);
  const key = cosignKeySecret(pipeline, cluster);
  const objs = [
    ...(ca ? [ca] : []),
    ...(key ? [key] : []),
    src,
    gateKustomization({
      gate: pipeline.gate,
      source: { kind: src.kind as "OCIRepository", ...pipeline.source },
    }),
    canaryAlertRules({}),
    ...(cluster.role === "integration" && cfg.dispatchToken
      ? validationLoopObjects({
          gate: pipeline.gate,
          owner: pipeline.owner,
          repository: pipeline.repository,
          tokenSource: cfg.dispatchToken,
          server: pipeline.github.url,
          ...(pipeline.github.ca ? { ca: pipeline.github.ca } : {}),
        })
      : []),
  ];
  return new Map(
    objs.map((o) => [`${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`, plain(o)]),
  );
}

interface PreviewStep {
  op: string;
  urn: string;
  detailedDiff?: Record<string, { kind: string }> | null;
}

describe("e2e: the real Pulumi engine on the embedded default", function () {
  this.timeout(180_000);
  const box = e2eBox({ name: "pp-engine-", pulumi: true });
  let copy: string;
  let env: NodeJS.ProcessEnv;

  let project: ProjectCopy;
  const sh = (
    cmd: string,
    args: string[] = [],
    opts: { input?: string; extraEnv?: NodeJS.ProcessEnv } = {},
  ): Run => project.sh(cmd, args, opts);
  const pulumi = (...args: string[]): Run => project.pulumi(...args);
  const up = (stack: Stack): string =>
    ok(pulumi("up", "--stack", stack, "--yes", "--skip-preview"), `pulumi up --stack ${stack}`);
  function previewSteps(
    stack: Stack,
    ...extra: string[]
  ): { code: number; steps: PreviewStep[]; summary: Record<string, number>; err: string } {
    const r = pulumi("preview", "--stack", stack, "--json", ...extra);
    let j: { steps?: PreviewStep[]; changeSummary?: Record<string, number> } = {};
    try {
      j = JSON.parse(r.out) as typeof j;
    } catch {
      assert.notEqual(r.code, 0, `preview --json printed no JSON:\n${r.out}\n${r.err}`);
    }
    return {
      code: r.code,
      steps: j.steps ?? [],
      summary: j.changeSummary ?? {},
      err: r.err + r.out.slice(-2000),
    };
  }
  const changes = (steps: PreviewStep[]): PreviewStep[] =>
    steps.filter((s) => s.op !== "same" && s.op !== "refresh");
  /** Live's preview changes exactly one thing, an update of its OCIRepository: that step. */
  function onlyLiveSourceUpdated(): PreviewStep {
    const live = previewSteps("live");
    assert.equal(live.code, 0, live.err);
    const c = changes(live.steps);
    assert.deepEqual(
      c.map((s) => [s.op, s.urn.split("::").pop()]),
      [["update", "live-source"]],
    );
    return c[0]!;
  }
  const outDir = (stack: Stack): string => join(copy, "out", stack);
  const config = (stack: Stack): StackConfig => shippedConfig(copy, stack, new Date());
  function resourceCount(stack: Stack): number {
    const exported = JSON.parse(
      ok(pulumi("stack", "export", "--stack", stack), "stack export"),
    ) as {
      deployment: { resources?: unknown[] };
    };
    return exported.deployment.resources?.length ?? 0;
  }
  function checkDelivered(stack: Stack): Run {
    const delivered = ok(
      pulumi("stack", "output", "deliveredFiles", "--json", "--stack", stack),
      "stack output",
    );
    return sh(
      "./node_modules/.bin/promotion",
      ["check-delivered", "--dir", `out/${stack}/github`],
      { input: delivered },
    );
  }

  before(function () {
    project = box.project;
    copy = project.dir;
    env = project.env;
    for (const stack of STACKS)
      ok(pulumi("stack", "select", "--create", stack), `stack select ${stack}`);
  });

  // Mocha runs a suite's own tests before its child suites: every phase is a child suite, in order.
  describe("up, idempotence, config changes", function () {
    it("pulumi up of both stacks writes exactly the expected files, with the content the pure builders produce", function () {
      for (const stack of STACKS) {
        const out = up(stack);
        assert.match(out, /Resources:\s+\+ \d+ created/);
      }
      for (const stack of STACKS) {
        assert.deepEqual(
          filesBelow(outDir(stack)),
          [...EXPECTED_FILES[stack]].sort(),
          `files of out/${stack}`,
        );
        const cfg = config(stack);
        // Written files: byte-identical to the builders (workflowFiles, the Canary manifest, the pins policy).
        const files = expectedFiles(cfg);
        for (const [p, content] of files)
          assert.equal(readFileSync(join(outDir(stack), p), "utf8"), content, `out/${stack}/${p}`);
        if (cfg.ownsFiles) {
          for (const f of workflowFiles(cfg)) {
            assert.equal(
              readFileSync(join(outDir(stack), "github", f.path), "utf8"),
              f.content,
              f.path,
            );
          }
          const delivered = JSON.parse(
            ok(pulumi("stack", "output", "deliveredFiles", "--json", "--stack", stack), "output"),
          ) as Record<string, string>;
          assert.deepEqual(
            delivered,
            Object.fromEntries(
              [...files]
                .filter(([p]) => p.startsWith("github/"))
                .map(([p, c]) => [p.slice("github/".length), sha256(c)]),
            ),
          );
        }
        // Rendered objects: the builders' objects, nothing more, nothing less.
        const rendered = new Map<string, unknown>();
        for (const p of filesBelow(join(outDir(stack), "kubernetes"))) {
          const o = parse(readFileSync(join(outDir(stack), "kubernetes", p), "utf8")) as {
            kind: string;
            metadata: { namespace?: string; name: string };
          };
          rendered.set(`${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`, o);
        }
        const expected = expectedObjects(cfg);
        assert.deepEqual(
          [...rendered.keys()].sort(),
          [...expected.keys()].sort(),
          `rendered objects of ${stack}`,
        );
        for (const [k, o] of expected) assert.deepEqual(rendered.get(k), o, k);
      }
      const semver = (stack: Stack): RegExpMatchArray | null =>
        readFileSync(join(outDir(stack), OCI_FILE), "utf8").match(/^ {4}semver: (.*)$/m);
      assert.equal(semver("integration")?.[1], "'>= 0.0.0-0'");
      assert.equal(semver("live")?.[1], "'>= 0.0.0'");
    });

    it("a second preview of each stack proposes no change (pulumi preview --expect-no-changes)", function () {
      for (const stack of STACKS) {
        const r = pulumi("preview", "--stack", stack, "--expect-no-changes");
        ok(r, `preview --expect-no-changes --stack ${stack}`);
      }
    });

    it("a project-config change (live's interval) previews as one update of live's OCIRepository spec.interval", function () {
      const project = join(copy, "Pulumi.yaml");
      const saved = readFileSync(project, "utf8");
      try {
        const changed = saved.replace(
          /(\n {8}live:\n {10}role: live\n {10}interval: )5m\n/,
          "$110m\n",
        );
        assert.notEqual(changed, saved, "Pulumi.yaml: live's interval not found");
        writeFileSync(project, changed);
        const liveSource = onlyLiveSourceUpdated();
        assert.deepEqual(Object.keys(liveSource.detailedDiff ?? {}), ["spec.interval"]);
        assert.equal(liveSource.detailedDiff!["spec.interval"]!.kind, "update");
        const integration = previewSteps("integration");
        assert.equal(integration.code, 0, integration.err);
        assert.deepEqual(
          changes(integration.steps),
          [],
          "integration must not change with live's interval",
        );
      } finally {
        writeFileSync(project, saved);
      }
    });

    it("a pin on live (pulumi config set --path) previews as live's OCIRepository ref and integration's pins policy, nothing else", function () {
      const stackFile = join(copy, "Pulumi.live.yaml");
      const saved = readFileSync(stackFile, "utf8");
      try {
        ok(
          pulumi("config", "set", "--path", `${NS}:pin.tag`, "1.4.2", "--stack", "live"),
          "config set pin.tag",
        );
        ok(
          pulumi(
            "config",
            "set",
            "--path",
            `${NS}:pin.reason`,
            "INC-42: 1.4.3 breaks ingress",
            "--stack",
            "live",
          ),
          "config set",
        );
        ok(
          pulumi("config", "set", "--path", `${NS}:pin.expires`, "2099-12-31", "--stack", "live"),
          "config set",
        );
        const liveSource = onlyLiveSourceUpdated();
        // The pin replaces the semver ref (semver would win over a tag) and records why in an annotation.
        assert.deepEqual(Object.keys(liveSource.detailedDiff ?? {}).sort(), [
          "metadata.annotations",
          "spec.ref.semver",
          "spec.ref.tag",
        ]);
        assert.equal(liveSource.detailedDiff!["spec.ref.semver"]!.kind, "delete");
        assert.equal(liveSource.detailedDiff!["spec.ref.tag"]!.kind, "add");
        // The owner stack's pins policy lists every cluster's pin: its two copies change, nothing else.
        const integration = previewSteps("integration");
        assert.equal(integration.code, 0, integration.err);
        assert.deepEqual(
          changes(integration.steps)
            .map((s) => s.urn.split("::").pop())
            .sort(),
          ["registry-pins-files-registry/pins-policy.yaml", "registry-pins-local-pins-policy.yaml"],
        );
      } finally {
        writeFileSync(stackFile, saved);
      }
      for (const stack of STACKS)
        ok(
          pulumi("preview", "--stack", stack, "--expect-no-changes"),
          `reverted: preview ${stack}`,
        );
    });

    /** The engine's output for a refused run: the message and nothing of the program's insides. */
    function assertOnlyMessage(r: Run, message: RegExp, what: string): void {
      const text = r.out + r.err;
      assert.notEqual(r.code, 0, `${what} succeeded:\n${text}`);
      assert.match(text, message, `${what}:\n${text}`);
      for (const noise of [
        /unhandled exception/,
        /^\s+at .+:\d+:\d+\)?$/m, // stack frames
        /ts-node|TSError/,
        /problems: \[/, // util.inspect of the error object
        /ConfigError|Refusal \[|RunError/,
      ])
        assert.doesNotMatch(text, noise, `${what} shows ${String(noise)}:\n${text}`);
    }

    it("a bad value ends preview and up with only the message (key, value, problem, fix), nothing applied", function () {
      const stackFile = join(copy, "Pulumi.live.yaml");
      const saved = readFileSync(stackFile, "utf8");
      const before = resourceCount("live");
      try {
        ok(
          pulumi("config", "set", "--path", `${NS}:pin.tag`, "1.4.2", "--stack", "live"),
          "config set pin.tag",
        );
        const message =
          /error: invalid configuration \(\d+ problems\):\n\s+- promotion-pipeline:pin\.reason = \(not set\): is required[^\n]*Fix: [^\n]+\n\s+- promotion-pipeline:pin\.expires = \(not set\)/;
        assertOnlyMessage(pulumi("preview", "--stack", "live"), message, "preview");
        assertOnlyMessage(pulumi("up", "--stack", "live", "--yes"), message, "up");
        assert.equal(resourceCount("live"), before, "up changed nothing");
      } finally {
        writeFileSync(stackFile, saved);
      }
    });

    it("a missing or stale CLI bundle ends the owner stack's preview with only the message and the build command", function () {
      const bundle = join(copy, "dist", "promotion.mjs");
      const aside = `${bundle}.aside`;
      copyFileSync(bundle, aside);
      rmSync(bundle);
      try {
        assertOnlyMessage(
          pulumi("preview", "--stack", "integration"),
          /error: \S*dist\/promotion\.mjs is missing \(.*\): run `npm run build` before `pulumi up`/,
          "preview",
        );
      } finally {
        copyFileSync(aside, bundle);
        rmSync(aside);
      }
      // A bundle older than its sources (lib/cli edited after `npm run build`) is refused the same way.
      const source = join(copy, "lib", "cli", "main.ts");
      const saved = readFileSync(source, "utf8");
      writeFileSync(source, `${saved}\n// edited after the build\n`);
      try {
        assertOnlyMessage(
          pulumi("preview", "--stack", "integration"),
          /error: \S*dist\/promotion\.mjs is stale: it was built from other sources than this checkout's .*: run `npm run build`/,
          "preview",
        );
      } finally {
        writeFileSync(source, saved);
      }
      ok(pulumi("preview", "--stack", "integration", "--expect-no-changes"), "restored: preview");
    });

    it("a program bundle older than its sources (dist/program.cjs, what Pulumi runs) ends preview and up with only the message and the build command, nothing applied", function () {
      const source = join(copy, "components", "clusterSource.ts");
      const saved = readFileSync(source, "utf8");
      const before = resourceCount("live");
      writeFileSync(source, `${saved}\n// edited after the build\n`);
      try {
        const message =
          /error: dist\/program\.cjs is stale: it was built from other sources than this checkout's .*so it would deploy the old program: run `npm run build`/;
        assertOnlyMessage(pulumi("preview", "--stack", "live"), message, "preview");
        assertOnlyMessage(
          pulumi("up", "--stack", "live", "--yes", "--skip-preview"),
          message,
          "up",
        );
        assert.equal(resourceCount("live"), before, "up changed the stack");
      } finally {
        writeFileSync(source, saved);
      }
      ok(pulumi("preview", "--stack", "live", "--expect-no-changes"), "restored: preview");
    });

    it("up after a delivered file's content changed rewrites the file (it is not deleted by the replacement)", function () {
      const stackFile = join(copy, "Pulumi.live.yaml");
      const saved = readFileSync(stackFile, "utf8");
      const policy = join(outDir("integration"), "registry", "pins-policy.yaml");
      try {
        ok(
          pulumi("config", "set", "--path", `${NS}:pin.tag`, "1.4.2", "--stack", "live"),
          "config set",
        );
        ok(
          pulumi("config", "set", "--path", `${NS}:pin.reason`, "INC-42", "--stack", "live"),
          "config set",
        );
        ok(
          pulumi("config", "set", "--path", `${NS}:pin.expires`, "2099-12-31", "--stack", "live"),
          "config set",
        );
        up("integration");
        const want = expectedFiles(config("integration"));
        assert.ok(
          existsSync(policy),
          "out/integration/registry/pins-policy.yaml is gone after `pulumi up` changed it: command.local.Command is " +
            "replaced create-before-delete and the old resource's delete (`rm -f $TARGET_FILE`) removes the new file " +
            "(components/repositoryFiles.ts needs deleteBeforeReplace: true)",
        );
        assert.equal(readFileSync(policy, "utf8"), want.get("registry/pins-policy.yaml"));
        assert.match(readFileSync(policy, "utf8"), /1\.4\.2/);
        const check = checkDelivered("integration");
        assert.equal(check.code, 0, check.out + check.err);
      } finally {
        writeFileSync(stackFile, saved);
        up("integration");
      }
      for (const stack of STACKS)
        ok(
          pulumi("preview", "--stack", stack, "--expect-no-changes"),
          `reverted: preview ${stack}`,
        );
    });
  });

  describe("drift on the embedded default", function () {
    const ociOf = (stack: Stack): string => join(outDir(stack), OCI_FILE);
    let untouched: Record<Stack, { code: number; changes: string[]; err: string }>;
    let restore: [string, string][] = [];

    function refreshPreview(stack: Stack): { code: number; changes: string[]; err: string } {
      const p = previewSteps(stack, "--refresh", "--expect-no-changes");
      return {
        code: p.code,
        changes: changes(p.steps).map((s) => `${s.op} ${s.urn.split("::").pop()}`),
        err: p.err,
      };
    }

    before(function () {
      untouched = {
        integration: refreshPreview("integration"),
        live: refreshPreview("live"),
      };
      // Hand edits: a rendered Kubernetes object (both stacks) and a delivered workflow file.
      for (const f of [
        ociOf("integration"),
        ociOf("live"),
        join(outDir("integration"), "github", BUILD_WF),
      ]) {
        restore.push([f, readFileSync(f, "utf8")]);
      }
      for (const stack of STACKS) {
        const f = ociOf(stack);
        writeFileSync(f, readFileSync(f, "utf8").replace(/^ {4}semver: .*$/m, "    tag: 9.9.9"));
      }
      const wf = join(outDir("integration"), "github", BUILD_WF);
      const text = readFileSync(wf, "utf8");
      const edited = text.replace(/^( *runs-on: ).*$/m, "$1self-hosted");
      assert.notEqual(edited, text, "no runs-on in the build workflow");
      writeFileSync(wf, edited);
    });

    after(function () {
      for (const [f, c] of restore) writeFileSync(f, c);
      restore = [];
    });

    it("pulumi preview --refresh cannot run on the embedded default: the kubernetes provider reads from a cluster even in render mode", function () {
      // Upstream pulumi-kubernetes 4.25's Read checks reachability before its render-mode branch. Its escape
      // hatch, skipUpdateUnreachable, also makes Check return the OLD inputs, so `pulumi up` then renders an
      // empty object (provider panic on create) or silently keeps the old one (on update): unusable.
      // On the embedded default the drift check is `pulumi preview --expect-no-changes` (nothing to read),
      // `promotion check-delivered` for written files and the rendered-YAML comparison below.
      for (const stack of STACKS) {
        assert.notEqual(
          untouched[stack].code,
          0,
          `${stack}: preview --refresh now succeeds; revisit the drift design`,
        );
        assert.match(
          untouched[stack].err,
          /failed to read resource state due to unreachable cluster/,
        );
      }
    });

    it("pulumi preview --refresh catches neither edit: its result is the same as on the untouched files", function () {
      for (const stack of STACKS) {
        const edited = refreshPreview(stack);
        assert.deepEqual(
          { code: edited.code, changes: edited.changes },
          { code: untouched[stack].code, changes: untouched[stack].changes },
          `${stack}: render mode and local.Command keep only their inputs, so refresh sees no edit`,
        );
      }
    });

    it("promotion check-delivered catches the workflow edit (exit 1, names the file) and not the rendered YAML", function () {
      const r = checkDelivered("integration");
      assert.equal(r.code, 1, r.out + r.err);
      const delivered = filesBelow(join(outDir("integration"), "github")).length;
      assert.equal(
        r.out,
        `changed: ${BUILD_WF}\n${delivered - 1} unchanged, 1 changed, 0 missing\n`,
      );
      assert.doesNotMatch(r.out, /ocirepository/i);
    });

    it("promotion check-rendered catches the rendered edit (pulumi stack export vs out/<stack>/kubernetes)", function () {
      const check = (stack: Stack): Run =>
        sh(
          "./node_modules/.bin/promotion",
          ["check-rendered", "--dir", `out/${stack}/kubernetes`],
          {
            input: ok(pulumi("stack", "export", "--stack", stack), "stack export"),
          },
        );
      for (const stack of STACKS) {
        const r = check(stack);
        assert.equal(r.code, 1, r.out + r.err);
        assert.match(
          r.out,
          new RegExp(
            `^changed: 1-manifest/${OCI_FILE.slice(M.length + 1).replace(/\./g, "\\.")}\n1 changed, 0 missing, 0 extra\n$`,
          ),
        );
      }
      // ... and reports nothing once the files are restored.
      for (const [f, c] of restore) writeFileSync(f, c);
      for (const stack of STACKS) {
        const r = check(stack);
        assert.equal(r.code, 0, r.out + r.err);
        assert.match(r.out, /^0 changed, 0 missing, 0 extra\n$/);
      }
    });
  });

  describe("destroy, and scripts/main.sh", function () {
    it("pulumi destroy of both stacks removes every resource and every written and rendered file", function () {
      for (const stack of STACKS) {
        ok(pulumi("destroy", "--stack", stack, "--yes", "--skip-preview"), `destroy ${stack}`);
        assert.equal(resourceCount(stack), 0, `${stack}: resources left in the state`);
        const urns = ok(pulumi("stack", "--stack", stack, "--show-urns"), "stack --show-urns");
        assert.doesNotMatch(urns, /urn:pulumi:/, urns);
        assert.deepEqual(filesBelow(join(outDir(stack), "github")), [], `out/${stack}/github`);
        assert.deepEqual(filesBelow(join(outDir(stack), "registry")), [], `out/${stack}/registry`);
        // The kubernetes provider deletes what it rendered (empty directories stay).
        assert.deepEqual(
          filesBelow(join(outDir(stack), "kubernetes")),
          [],
          `out/${stack}/kubernetes`,
        );
      }
    });

    it("scripts/main.sh runs green from the copy and leaves its git tree clean (out/ and the backend aside)", function () {
      rmSync(join(copy, "out"), { recursive: true, force: true });
      const backend = join(box.work, "main-backend");
      const r = spawnSync("bash", ["scripts/main.sh"], {
        cwd: copy,
        env: { ...env, PULUMI_BACKEND_URL: `file://${backend}` },
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      });
      assert.equal(
        r.status,
        0,
        `scripts/main.sh exited ${r.status}:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`,
      );
      for (const stack of STACKS)
        assert.deepEqual(filesBelow(outDir(stack)), [...EXPECTED_FILES[stack]].sort());
      const status = spawnSync(
        "git",
        ["status", "--porcelain", "--untracked-files=all", "--ignored=no"],
        { cwd: copy, encoding: "utf8" },
      );
      const dirty = status.stdout
        .split("\n")
        .filter((l) => l !== "" && !/^\?\? (out|\.pulumi-state)\//.test(l));
      assert.deepEqual(
        dirty,
        [],
        "scripts/main.sh changed tracked files (a wrong encryptionsalt is rewritten)",
      );
    });
  });
});
