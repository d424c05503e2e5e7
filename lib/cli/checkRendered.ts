/** `promotion check-rendered`: drift of rendered Kubernetes YAML (render mode), against `pulumi stack export`. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { formatRenderedDrift, renderedDrift } from "../operations/renderedDrift";
import { parseArgs } from "./args";
import { EXIT_NONE, EXIT_OK, EXIT_USAGE, UsageError, type CommandIo } from "./command";

export const usage = "check-rendered --dir <render dir> < stack-export.json";

export const help = `Compares every YAML file below <dir> (the kubernetes provider's
renderYamlToDirectory) with the inputs Pulumi recorded for its resource; stdin
is \`pulumi stack export --stack <stack>\`. Prints one line per changed, missing
or extra file and a count.

Exit codes: 0 no drift; 1 drift found; 2 bad usage or input.`;

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const a = parseArgs("check-rendered", argv, { values: ["dir"] });
  const dir = a.values.get("dir");
  if (dir === undefined) throw new UsageError("check-rendered: --dir is required (see --help).");
  const rendered = new Map<string, string>();
  if (existsSync(dir)) {
    for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (e.isFile() && /\.ya?ml$/.test(e.name)) {
        const p = join(e.parentPath, e.name);
        rendered.set(relative(dir, p), readFileSync(p, "utf8"));
      }
    }
  }
  let drift;
  try {
    drift = renderedDrift(await io.stdin(), rendered);
  } catch (e) {
    io.stderr(
      `check-rendered: stdin is not a stack export (${(e as Error).message}); pipe \`pulumi stack export\`.\n`,
    );
    return EXIT_USAGE;
  }
  io.stdout(`${formatRenderedDrift(drift)}\n`);
  return drift.changed.length + drift.missing.length + drift.extra.length === 0
    ? EXIT_OK
    : EXIT_NONE;
}
