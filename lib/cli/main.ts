/**
 * `promotion`: the pipeline's one implementation of Flux tag selection, RC allocation and promotion decisions,
 * for workflows and people. Commands are registered in lib/cli/commands.ts. Bundled by scripts/build-cli.mjs
 * into dist/promotion.mjs (self-contained, Node 20+); cli/promotion.mjs starts the bundle or, without one, this
 * file through tsx.
 */
import { processIo } from "./actionsIo";
import { EXIT_OK, EXIT_USAGE, helpText, UsageError, type Command, type CommandIo } from "./command";
import { commands } from "./commands";
import { clip } from "../clip";

export function usage(table: readonly Command[] = commands): string {
  const width = Math.max(...table.map((c) => c.name.length));
  return [
    "Usage: promotion <command> [options]   (promotion <command> --help for details)",
    "",
    "Commands:",
    ...table.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Exit codes: 0 success; 1 empty answer or refused; 2 bad usage or malformed input.",
  ].join("\n");
}

/** Runs one invocation; `argv` excludes node and the script. Never calls process.exit. */
export async function main(
  argv: readonly string[],
  io: CommandIo,
  table: readonly Command[] = commands,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.stderr : io.stdout)(`${usage(table)}\n`);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const cmd = table.find((c) => c.name === name);
  if (!cmd) {
    io.stderr(`promotion: unknown command ${clip(name)}\n\n${usage(table)}\n`);
    return EXIT_USAGE;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout(`${helpText(cmd.module)}\n`);
    return EXIT_OK;
  }
  try {
    return await cmd.module.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(
        `promotion ${name}: ${e.message.replace(new RegExp(`^${name}: `), "")}\nUsage: promotion ${cmd.module.usage}\n`,
      );
      return EXIT_USAGE;
    }
    throw e;
  }
}

/** The process entry: real stdin/stdout/stderr; sets process.exitCode. */
export function run(argv: readonly string[] = process.argv.slice(2)): void {
  main(argv, processIo()).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(
        `promotion: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
      process.exitCode = 70;
    },
  );
}

export { EXIT_OK };
