import { strict as assert } from "node:assert";
import { validateConfig } from "../../lib/config";
import { workflowFiles } from "../../lib/workflows/files";
import { registered, settle, useMocks } from "../support/pulumiMocks";

const NOW = new Date("2026-11-23T12:00:00Z");
const pipeline = {
  registry: "ghcr.io",
  owner: "example-org",
  repository: "platform",
  clusters: { integration: { role: "integration" }, live: { role: "live" } },
};

describe("WorkflowFiles component", () => {
  before(async () => {
    await useMocks("integration");
  });

  it("delivers the workflows and the CLI bundle as RepositoryFile resources, content unchanged", async () => {
    const { WorkflowFiles } = await import("../../components/workflowFiles.js");
    registered.length = 0;
    const cfg = validateConfig({ stack: "integration", pipeline, dispatchTokenSecret: "t" }, NOW);
    const files = workflowFiles(cfg, { cli: "console.log(1);\n" });
    const w = new WorkflowFiles("workflows", {
      files,
      target: { mode: "repository", branch: "main" },
      repository: "platform",
    });
    await settle();
    assert.ok(
      registered.some((r) => r.type === "promotion:github:WorkflowFiles" && r.name === "workflows"),
    );
    const rf = registered.filter((r) => r.type === "github:index/repositoryFile:RepositoryFile");
    assert.deepEqual(
      rf.map((r) => r.inputs.file).sort(),
      files.map((f) => f.path),
    );
    for (const f of files) {
      const r = rf.find((x) => x.inputs.file === f.path)!;
      assert.equal(r.inputs.content, f.content);
      assert.equal(r.inputs.branch, "main");
      assert.equal(r.inputs.repository, "platform");
    }
    assert.deepEqual(
      w.paths,
      files.map((f) => f.path),
    );
  });

  it("refuses files that are not workflow files", async () => {
    const { WorkflowFiles } = await import("../../components/workflowFiles.js");
    assert.throws(
      () =>
        new WorkflowFiles("bad", {
          files: [{ path: "pins.txt", content: "" }],
          target: { mode: "directory", directory: "out" },
          repository: "platform",
        }),
      /WorkflowFiles delivers only workflows and \.github\/promotion\/promotion\.mjs; got pins\.txt\./,
    );
  });
});
