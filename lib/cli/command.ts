/**
 * The contract between `promotion` and its commands. A command lives in its own file `lib/cli/<name>.ts` and
 * exports `usage` (one line), optionally `help` (the full `--help` text) and `run(argv, io)` returning the exit
 * code; lib/cli/commands.ts registers it with one line.
 */
import type { CommandIo } from "./actionsIo";

export type { CommandIo } from "./actionsIo";

/** What a command file exports. */
export interface CommandModule {
  /** One line: `<name> --flag <value> ...`. */
  readonly usage: string;
  /** What `promotion <name> --help` prints below the usage line. */
  readonly help?: string;
  /** Runs with the arguments after the command name; returns the exit code. May throw UsageError. */
  readonly run: (argv: readonly string[], io: CommandIo) => number | Promise<number>;
}

/**
 * A command's `runWith`: its body, with the outside world it reads and writes (registry, GitHub, clock) passed
 * in as `deps`. Its `run` passes the real one; tests pass stand-ins.
 */
export type RunWith<Deps> = (argv: readonly string[], io: CommandIo, deps: Deps) => Promise<number>;

/** The `--help` text: the usage line, then the command's help. */
export function helpText(module: Pick<CommandModule, "usage" | "help">): string {
  const usageLine = `Usage: promotion ${module.usage}`;
  return module.help === undefined ? usageLine : `${usageLine}\n\n${module.help}`;
}

/** A registered command. */
export interface Command {
  readonly name: string;
  /** One line for `promotion --help`. */
  readonly summary: string;
  readonly module: CommandModule;
}

/** Bad usage or bad input: printed to stderr, exit code 2 (the contract the workflows rely on). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const EXIT_OK = 0;
/** The command ran and the answer is "nothing" (e.g. no tag admitted). */
export const EXIT_NONE = 1;
/** Malformed input or usage. */
export const EXIT_USAGE = 2;

/** Tags from stdin: one per line; blank lines and surrounding whitespace (CRLF) ignored. */
export function readLines(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line !== "") out.push(line);
  }
  return out;
}

/**
 * Input the command could not use although the flags were well formed (a policy file that does not read or
 * validate, a project directory without Pulumi.yaml): `promotion <command>: <message>` on stderr, exit 2,
 * without the usage line (the usage was right).
 */
export function usageFailure(io: CommandIo, command: string, message: string): number {
  io.stderr(`promotion ${command}: ${message}\n`);
  return EXIT_USAGE;
}

/** A registry (or GitHub) that could not be read: `promotion <command>: <message>` on stderr, exit 1. */
export function readFailure(
  io: CommandIo,
  command: string,
  e: Error,
  consequence?: string,
): number {
  io.stderr(`promotion ${command}: ${e.message}\n${consequence ? `${consequence}\n` : ""}`);
  return EXIT_NONE;
}
