import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConfig } from "../../lib/config";
import { cliFile, workflowFiles } from "../../lib/workflows/files";
import { declared, describeComponents, registered, useMocks } from "../support/pulumiMocks";

const NOW = new Date("2026-11-23T12:00:00Z");
const pipeline = {
  registry: "ghcr.io",
  owner: "example-org",
  repository: "platform",
  clusters: { integration: { role: "integration" }, live: { role: "live" } },
};

describeComponents("WorkflowFiles component", "integration", () => {
  it("delivers the workflows and the CLI bundle as RepositoryFile resources, content unchanged", async () => {
    const { WorkflowFiles } = await import("../../components/workflowFiles.js");
    const cfg = validateConfig({ stack: "integration", pipeline, dispatchTokenSecret: "t" }, NOW);
    const files = workflowFiles(cfg, { cli: "console.log(1);\n" });
    const w = await declared(
      () =>
        new WorkflowFiles("workflows", {
          files,
          target: { mode: "repository", branch: "main" },
          repository: "platform",
        }),
    );
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
      /WorkflowFiles delivers only workflows, \.github\/promotion\/promotion\.mjs and \.github\/promotion\/schemas\.json; got pins\.txt\./,
    );
  });
});

describe("RepositoryFiles in a directory: a file copied from the project (the CLI bundle)", function () {
  this.timeout(60_000);
  let dir: string;
  const bundle = `#!/usr/bin/env node\n${"// bundle line\n".repeat(1000)}`;
  const file = cliFile(bundle);
  const sha = createHash("sha256").update(file.content, "utf8").digest("hex");

  before(async () => {
    await useMocks("integration");
    dir = mkdtempSync(join(tmpdir(), "promotion-copy-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** The command the component registers for the copied file, with its inputs. */
  async function copyCommand(source: string): Promise<Record<string, unknown>> {
    const { RepositoryFiles } = await import("../../components/repositoryFiles.js");
    await declared(
      () =>
        new RepositoryFiles("files", {
          files: [file, { path: "a.txt", content: "a\n" }],
          target: { mode: "directory", directory: join(dir, "out") },
          repository: "platform",
          copies: { [file.path]: source },
        }),
    );
    const cmds = registered.filter((r) => r.type === "command:local:Command");
    assert.equal(cmds.length, 2);
    // The other file still goes through stdin.
    assert.equal(cmds.find((r) => r.name === "files-a.txt")!.inputs.stdin, "a\n");
    return cmds.find((r) => r.name === `files-${file.path}`)!.inputs;
  }

  /** Runs one of the command's scripts as the command provider does (interpreter + script, its environment). */
  function run(inputs: Record<string, unknown>, script: "create" | "delete") {
    const [cmd, ...args] = inputs.interpreter as string[];
    return spawnSync(cmd!, [...args, inputs[script] as string], {
      env: { ...process.env, ...(inputs.environment as Record<string, string>) },
      encoding: "utf8",
    });
  }

  it("registers no content: node copies the project file, replaced when its sha256 changes", async () => {
    const source = join(dir, "promotion.mjs");
    writeFileSync(source, file.content);
    const inputs = await copyCommand(source);
    assert.equal(inputs.stdin, undefined);
    assert.deepEqual(inputs.interpreter, ["node", "-e"]);
    assert.deepEqual(inputs.environment, {
      TARGET_FILE: join(dir, "out", file.path),
      SOURCE_FILE: source,
      CONTENT_SHA256: sha,
    });
    assert.deepEqual(inputs.triggers, [sha]);
    assert.ok(!JSON.stringify(inputs).includes("// bundle line"), "the content is in the inputs");
  });

  it("create writes the delivered bytes; delete removes them", async () => {
    const source = join(dir, "promotion.mjs");
    writeFileSync(source, file.content);
    const inputs = await copyCommand(source);
    const target = join(dir, "out", file.path);
    const c = run(inputs, "create");
    assert.equal(c.status, 0, c.stderr);
    assert.equal(readFileSync(target, "utf8"), file.content);
    assert.ok(!existsSync(`${target}.tmp`));
    const d = run(inputs, "delete");
    assert.equal(d.status, 0, d.stderr);
    assert.ok(!existsSync(target));
    assert.equal(run(inputs, "delete").status, 0, "deleting a deleted file");
  });

  it("create refuses a project file that changed after the program read it, and writes nothing", async () => {
    const source = join(dir, "promotion.mjs");
    writeFileSync(source, file.content);
    const inputs = await copyCommand(source);
    writeFileSync(source, `${file.content}// rebuilt during the update\n`);
    const c = run(inputs, "create");
    assert.equal(c.status, 1);
    assert.match(
      c.stderr,
      new RegExp(
        `^\\S+promotion\\.mjs changed after pulumi read it \\(sha256 [0-9a-f]{64}, delivered ${sha}\\): run pulumi up again\\n$`,
      ),
    );
    assert.ok(!existsSync(join(dir, "out", file.path)));
  });

  it("refuses a copy whose project file does not hold the delivered bytes", async () => {
    const source = join(dir, "other.mjs");
    writeFileSync(source, "something else\n");
    const { RepositoryFiles } = await import("../../components/repositoryFiles.js");
    assert.throws(
      () =>
        new RepositoryFiles("bad", {
          files: [file],
          target: { mode: "directory", directory: join(dir, "out") },
          repository: "platform",
          copies: { [file.path]: source },
        }),
      /RepositoryFiles: \.github\/promotion\/promotion\.mjs is not a copy of \S+other\.mjs/,
    );
  });
});
