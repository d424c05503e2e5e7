/** `promotion check-delivered`: drift of files written by the embedded default (no provider reads them back). */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkDelivered, formatDrift } from "../operations/delivered";
import { parseArgs } from "./args";
import { EXIT_NONE, EXIT_OK, EXIT_USAGE, UsageError, type CommandIo } from "./command";

export const usage = "check-delivered --dir <dir> < deliveredFiles.json";

export const help = `Compares the files below <dir> with the sha256 the program recorded when it
delivered them: stdin is the stack output \`deliveredFiles\`
(\`pulumi stack output deliveredFiles --json --stack <stack>\`), a map of
path to sha256. Prints one line per missing or changed file and a count.

Exit codes: 0 every file matches; 1 drift found; 2 bad usage or input.`;

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const a = parseArgs("check-delivered", argv, { values: ["dir"] });
  const dir = a.values.get("dir");
  if (dir === undefined) throw new UsageError("check-delivered: --dir is required (see --help).");
  let expected: unknown;
  try {
    expected = JSON.parse(await io.stdin());
  } catch (e) {
    io.stderr(
      `check-delivered: stdin is not JSON (${(e as Error).message}); pipe \`pulumi stack output deliveredFiles --json\`.\n`,
    );
    return EXIT_USAGE;
  }
  if (
    typeof expected !== "object" ||
    expected === null ||
    Array.isArray(expected) ||
    Object.values(expected).some((v) => typeof v !== "string" || !/^[a-f0-9]{64}$/.test(v))
  ) {
    io.stderr("check-delivered: stdin must map each path to a sha256 hex digest.\n");
    return EXIT_USAGE;
  }
  const drift = checkDelivered(expected as Record<string, string>, (p) => {
    const f = join(dir, p);
    return existsSync(f) ? readFileSync(f, "utf8") : undefined;
  });
  io.stdout(`${formatDrift(drift)}\n`);
  return drift.missing.length + drift.changed.length === 0 ? EXIT_OK : EXIT_NONE;
}
