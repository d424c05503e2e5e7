import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { operationsFiles, stacksIn } from "../../lib/workflows/operationsFiles";
import { driftWorkflow, previewWorkflow } from "../../lib/workflows/operations";
import { isRunStep, type UsesStep } from "../../lib/workflows/model";
import {
  actionlint,
  githubParserErrors,
  interpolatedRunScripts,
} from "../support/workflowValidators";

const root = join(__dirname, "..", "..");
const files = operationsFiles(stacksIn(root));

describe("this repository's own CI (preview on PRs, nightly drift)", () => {
  it("covers every stack file of the project", () => {
    assert.deepEqual(stacksIn(root), ["integration", "live"]);
  });

  it("committed workflows are exactly what the generator writes (npm run generate:ci)", () => {
    for (const f of files)
      assert.equal(readFileSync(join(root, f.path), "utf8"), f.content, f.path);
  });

  it("parse with GitHub's own workflow parser", async () => {
    for (const f of files)
      assert.deepEqual(await githubParserErrors(f), { errors: [], jobs: 1 }, f.path);
  });

  it("pass actionlint with shellcheck", function () {
    this.timeout(60_000);
    assert.deepEqual(actionlint(files), { output: "", status: 0 });
  });

  it("never interpolate an expression inside a run: script", () => {
    for (const f of files) assert.deepEqual(interpolatedRunScripts(f.content), [], f.path);
  });

  it("the injection detector does catch an interpolated script", () => {
    assert.equal(
      interpolatedRunScripts("    steps:\n      - run: echo ${{ github.event.comment.body }}\n")
        .length,
      1,
    );
  });

  it("drift uses preview --refresh --expect-no-changes, never a state-writing refresh", () => {
    const text = files.find((f) => f.path.endsWith("pulumi-drift.yaml"))!.content;
    assert.match(text, /pulumi preview --refresh --expect-no-changes/);
    assert.doesNotMatch(text, /pulumi refresh/);
  });

  it("drift runs nightly and on demand, one at a time, and may open issues only", () => {
    const w = driftWorkflow(["integration", "live"]);
    assert.deepEqual(w.on, { schedule: [{ cron: "17 3 * * *" }], workflow_dispatch: {} });
    assert.deepEqual(w.permissions, {});
    assert.deepEqual(w.jobs.drift!.permissions, { contents: "read", issues: "write" });
    assert.equal(w.concurrency?.["cancel-in-progress"], false);
  });

  it("preview runs on pull requests with a comment that replaces the previous one", () => {
    const w = previewWorkflow(["integration", "live"]);
    assert.deepEqual(w.on, { pull_request: { branches: ["main"] } });
    assert.deepEqual(w.jobs.preview!.permissions, { contents: "read", "pull-requests": "write" });
    const doc = parse(files.find((f) => f.path.endsWith("pulumi-preview.yaml"))!.content) as {
      jobs: { preview: { steps: { name: string; run?: string }[] } };
    };
    const comment = doc.jobs.preview.steps.find((s) => s.name === "Comment the summary")!;
    assert.match(comment.run!, /preview-summary --dir/);
    assert.match(comment.run!, /--edit-last/);
  });

  it("keep Node's compile cache between runs: restored after the build (keyed on the OS, Node, the lock file and the bundle), used by every Pulumi step, saved even when the check failed", () => {
    for (const w of [previewWorkflow(["integration", "live"]), driftWorkflow(["integration"])]) {
      const steps = Object.values(w.jobs)[0]!.steps;
      const at = (name: string): number => steps.findIndex((s) => s.name === name);
      const restore = steps[at("Restore Node's compile cache")] as UsesStep;
      assert.deepEqual(restore.uses, {
        action: "actions/cache/restore",
        sha: "0057852bfaa89a56745cba8c7296529d2fc39830",
        version: "v4.3.0",
      });
      assert.equal(restore.id, "compile-cache");
      assert.deepEqual(restore.with, {
        path: "${{ runner.temp }}/node-compile-cache",
        key: "node-compile-cache-${{ runner.os }}-${{ steps.node.outputs.node-version }}-${{ hashFiles('package-lock.json', 'dist/program.cjs') }}",
        "restore-keys":
          "node-compile-cache-${{ runner.os }}-${{ steps.node.outputs.node-version }}-",
      });
      assert.equal(steps[at("Set up Node")]!.id, "node", "the key reads setup-node's output");
      assert.ok(
        at("Install") < at("Restore Node's compile cache"),
        "dist/program.cjs is built first",
      );
      const pulumiSteps = steps.filter((s) => isRunStep(s) && /pulumi (preview|up)/.test(s.run));
      assert.equal(pulumiSteps.length, 1);
      for (const s of pulumiSteps) {
        assert.equal(s.env?.NODE_COMPILE_CACHE, "${{ runner.temp }}/node-compile-cache");
        assert.ok(at(s.name) > at("Restore Node's compile cache"));
      }
      const save = steps[at("Save Node's compile cache")] as UsesStep;
      assert.equal(save.uses.action, "actions/cache/save");
      assert.equal(save.uses.sha, restore.uses.sha);
      assert.deepEqual(save.with, {
        path: restore.with?.path,
        key: "${{ steps.compile-cache.outputs.cache-primary-key }}",
      });
      assert.match(save.if!, /^always\(\) && /);
      assert.match(save.if!, /steps\.compile-cache\.outputs\.cache-hit != 'true'/);
      assert.ok(at(save.name) > at(pulumiSteps[0]!.name));
    }
  });

  it("refuses a stack name that could inject into the script", () => {
    assert.throws(() => previewWorkflow(["live; rm -rf /"]), /not a plain stack name/);
    assert.throws(() => driftWorkflow([]), /no stacks/);
  });
});
