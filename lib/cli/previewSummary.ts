/** `promotion preview-summary`: the PR comment body for the `pulumi preview` outputs in a directory. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { previewSummary, type StackPreview } from "../operations/previewSummary";
import { parseArgs } from "./args";
import { EXIT_OK, UsageError, type CommandIo } from "./command";

export const usage = "preview-summary --dir <dir> [--title <text>] [--run-url <url>]";

export const help = `Reads <dir>/<stack>.txt (the output of \`pulumi preview --stack <stack>\`) and
<dir>/<stack>.exit (its exit code) for every stack, and prints a Markdown
comment that summarises them, never longer than GitHub's 65,536-character
comment limit: each stack's output is cut in the middle to a fair share.

Exit codes: 0 printed; 2 bad usage or no preview found.`;

export function run(argv: readonly string[], io: CommandIo): number {
  const a = parseArgs("preview-summary", argv, { values: ["dir", "title", "run-url"] });
  const dir = a.values.get("dir");
  if (dir === undefined) throw new UsageError("preview-summary: --dir is required (see --help).");
  if (!existsSync(dir)) throw new UsageError(`preview-summary: directory ${dir} does not exist.`);
  const previews: StackPreview[] = readdirSync(dir)
    .filter((f) => f.endsWith(".txt"))
    .sort()
    .map((f) => {
      const stack = f.slice(0, -".txt".length);
      const exitFile = join(dir, `${stack}.exit`);
      const exitCode = existsSync(exitFile)
        ? Number(readFileSync(exitFile, "utf8").trim() || "1")
        : 1;
      return {
        stack,
        exitCode: Number.isInteger(exitCode) ? exitCode : 1,
        output: readFileSync(join(dir, f), "utf8"),
      };
    });
  if (previews.length === 0) throw new UsageError(`preview-summary: no <stack>.txt in ${dir}.`);
  const title = a.values.get("title");
  const runUrl = a.values.get("run-url");
  io.stdout(
    previewSummary(previews, { ...(title ? { title } : {}), ...(runUrl ? { runUrl } : {}) }),
  );
  return EXIT_OK;
}
