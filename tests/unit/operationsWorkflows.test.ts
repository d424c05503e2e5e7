import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { operationsFiles, stacksIn } from "../../lib/workflows/operationsFiles";
import { driftWorkflow, previewWorkflow } from "../../lib/workflows/operations";
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

  it("refuses a stack name that could inject into the script", () => {
    assert.throws(() => previewWorkflow(["live; rm -rf /"]), /not a plain stack name/);
    assert.throws(() => driftWorkflow([]), /no stacks/);
  });
});
