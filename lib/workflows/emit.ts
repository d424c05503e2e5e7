/**
 * Workflow model -> YAML text. Deterministic: keys in GitHub's conventional order (name, on, permissions,
 * concurrency, env, jobs; in a job name, runs-on, ..., steps; in a step name, id, if, uses, with, env, run),
 * everything else sorted; YAML 1.1 (so `on` is quoted and cannot turn into a boolean); no line folding; a
 * generated-file header. Actions are written `owner/repo@<sha> # <tag>`: the pin is the SHA, the comment
 * tells a reader (and Dependabot) which release it is.
 */
import { Document, isScalar, visit } from "yaml";
import { generatedHeader, sortKeysDeep } from "../emit";
import type { ActionRef, Job, Step, Workflow } from "./model";

/** One order for every level; keys that never share a mapping do not interfere. */
export const WORKFLOW_KEY_ORDER = [
  "name",
  "id",
  "on",
  "runs-on",
  "needs",
  "if",
  "permissions",
  "concurrency",
  "timeout-minutes",
  "outputs",
  "uses",
  "with",
  "env",
  "defaults",
  "run",
  "steps",
  "jobs",
  "description",
  "required",
  "type",
  "default",
  "options",
  "branches",
  "paths",
  "types",
  "group",
  "cancel-in-progress",
] as const;

const SHA = /^[0-9a-f]{40}$/;

export function actionString(a: ActionRef): string {
  if (!SHA.test(a.sha))
    throw new Error(
      `action ${a.action} must be pinned by a full 40-hex commit SHA, got "${a.sha}"`,
    );
  return `${a.action}@${a.sha}`;
}

function plainStep(s: Step): Record<string, unknown> {
  if ("uses" in s) return { ...s, uses: actionString(s.uses) };
  return { ...s };
}

function plainJob(j: Job): Record<string, unknown> {
  return { ...j, steps: j.steps.map(plainStep) };
}

/** The workflow as plain data, keys ordered; the shape GitHub's parser sees. */
export function workflowData(w: Workflow): Record<string, unknown> {
  const jobs: Record<string, unknown> = {};
  for (const [id, j] of Object.entries(w.jobs)) jobs[id] = plainJob(j);
  return sortKeysDeep({ ...w, jobs }, WORKFLOW_KEY_ORDER);
}

/** YAML text of a workflow, with the generated header naming `source`. */
export function emitWorkflow(w: Workflow, source: string): string {
  const versions = new Map<string, string>();
  for (const j of Object.values(w.jobs)) {
    for (const s of j.steps) if ("uses" in s) versions.set(actionString(s.uses), s.uses.version);
  }
  const doc = new Document(workflowData(w), { version: "1.1", aliasDuplicateObjects: false });
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === "uses" && isScalar(pair.value)) {
        const v = versions.get(String(pair.value.value));
        if (v) pair.value.comment = ` ${v}`;
      }
    },
  });
  const body = doc.toString({ lineWidth: 0, indent: 2 });
  return generatedHeader(source) + body;
}
