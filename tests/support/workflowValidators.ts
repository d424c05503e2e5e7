/**
 * GitHub's own workflow parser and actionlint, for every test that checks a generated workflow.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { GeneratedFile } from "../../lib/files";
import { tool, toolsPath } from "./tools";

/** Errors of @actions/workflow-parser (parse and template conversion) for one workflow; [] when valid. */
export async function githubParserErrors(
  f: GeneratedFile,
): Promise<{ errors: string[]; jobs: number }> {
  const parser = await import("@actions/workflow-parser");
  const result = parser.parseWorkflow(
    { name: f.path, content: f.content },
    new parser.NoOperationTraceWriter(),
  );
  const errors = result.context.errors.getErrors().map((e) => e.message);
  if (!result.value) return { errors: [...errors, "no template"], jobs: 0 };
  const template = await parser.convertWorkflowTemplate(result.context, result.value);
  return {
    errors: [...errors, ...(template.errors ?? []).map((e) => e.Message)],
    jobs: template.jobs.length,
  };
}

/** actionlint's output (with shellcheck on run: blocks) for the workflows; "" when clean. */
export function actionlint(files: readonly GeneratedFile[]): {
  output: string;
  status: number | null;
} {
  const dir = mkdtempSync(join(tmpdir(), "actionlint-"));
  try {
    for (const f of files) {
      mkdirSync(join(dir, dirname(f.path)), { recursive: true });
      writeFileSync(join(dir, f.path), f.content);
    }
    const r = spawnSync(tool("actionlint"), ["-no-color", ...files.map((f) => f.path)], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, PATH: toolsPath() },
    });
    return { output: r.stdout + r.stderr, status: r.status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `run:` scripts that interpolate an expression (script injection); [] when every value comes via env. */
export function interpolatedRunScripts(text: string): string[] {
  const out: string[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)(- )?run: ?(.*)$/.exec(lines[i]!);
    if (!m) continue;
    const indent = m[1]!.length + (m[2] ? 2 : 0);
    const block = [m[3]!];
    while (
      i + 1 < lines.length &&
      (lines[i + 1]!.trim() === "" || lines[i + 1]!.search(/\S/) > indent)
    )
      block.push(lines[++i]!);
    const script = block.join("\n");
    if (script.includes("${{")) out.push(script);
  }
  return out;
}
