/**
 * The scheduled workflows the owner stack delivers (the registry integrity probe, the pipeline-stalled watch):
 * one job each, held to the same rules.
 */
import { strict as assert } from "node:assert";
import { parse } from "yaml";
import type { GeneratedFile } from "../../../lib/files";
import {
  actionlint,
  githubParserErrors,
  interpolatedRunScripts,
} from "../../support/workflowValidators";

export interface ScheduledJob {
  readonly env: Record<string, string>;
  readonly steps: readonly { uses?: string; run?: string }[];
}

/**
 * Asserts `f` is the workflow `path` whose one job `job` runs on `cron` with no permission at the top, read
 * contents and packages and write issues in the job, every action pinned by commit and no expression in a
 * script; returns the workflow's env and the job's steps.
 */
export function assertScheduledWorkflow(
  f: GeneratedFile,
  path: string,
  job: string,
  cron: string,
): ScheduledJob {
  assert.equal(f.path, path);
  const wf = parse(f.content) as {
    on: { schedule: { cron: string }[] };
    permissions: unknown;
    env: Record<string, string>;
    jobs: Record<string, { permissions: unknown; steps: { uses?: string; run?: string }[] }>;
  };
  assert.deepEqual(wf.on.schedule, [{ cron }]);
  assert.deepEqual(wf.permissions, {});
  assert.deepEqual(wf.jobs[job]!.permissions, {
    contents: "read",
    issues: "write",
    packages: "read",
  });
  const steps = wf.jobs[job]!.steps;
  for (const s of steps) if (s.uses) assert.match(s.uses, /^[^@]+@[0-9a-f]{40}$/);
  assert.deepEqual(interpolatedRunScripts(f.content), []);
  return { env: wf.env, steps };
}

/** Declares the test that GitHub's own parser and actionlint accept the workflow `file()` gives. */
export function itParsesAndLints(file: () => GeneratedFile): void {
  it("parses with GitHub's own parser and passes actionlint", async function () {
    this.timeout(60_000);
    assert.deepEqual(await githubParserErrors(file()), { errors: [], jobs: 1 });
    assert.deepEqual(actionlint([file()]), { output: "", status: 0 });
  });
}
