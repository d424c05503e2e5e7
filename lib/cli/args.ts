/** A tiny, strict flag parser for `promotion` commands: `--name value`, `--name=value`, boolean `--flag`. */
import { UsageError } from "./command";
import { clip } from "../clip";

export interface FlagSpec {
  /** Flags that take a value. */
  readonly values?: readonly string[];
  /** Flags without a value. */
  readonly booleans?: readonly string[];
}

export interface ParsedArgs {
  readonly values: ReadonlyMap<string, string>;
  readonly booleans: ReadonlySet<string>;
  readonly help: boolean;
}

/** Parses `args`; unknown flags, missing values, repeated flags and positional arguments are UsageErrors. */
export function parseArgs(command: string, args: readonly string[], spec: FlagSpec): ParsedArgs {
  const values = new Map<string, string>();
  const booleans = new Set<string>();
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--help" || a === "-h") {
      help = true;
      continue;
    }
    if (!a.startsWith("--"))
      throw new UsageError(`${command}: unexpected argument ${clip(a)} (see --help).`);
    const eq = a.indexOf("=");
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    if (spec.values?.includes(name)) {
      let value: string | undefined;
      if (eq >= 0) value = a.slice(eq + 1);
      else if (i + 1 < args.length) value = args[++i];
      if (value === undefined)
        throw new UsageError(`${command}: --${name} needs a value (see --help).`);
      if (values.has(name)) throw new UsageError(`${command}: --${name} given twice.`);
      values.set(name, value);
    } else if (spec.booleans?.includes(name) && eq < 0) {
      booleans.add(name);
    } else {
      throw new UsageError(`${command}: unknown option --${name} (see --help).`);
    }
  }
  return { values, booleans, help };
}
