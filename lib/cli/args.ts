/**
 * The one argument-handling path of `promotion` commands: a tiny, strict flag parser (`--name value`,
 * `--name=value`, boolean `--flag`, repeatable `--name value`...) and the checks of values that several
 * commands share, so an unknown flag, a missing value or a bad value reads the same in every command:
 * a UsageError `<command>: <what>` that lib/cli/main.ts prints as `promotion <command>: <what>` and the
 * usage line, with exit code 2 (EXIT_USAGE).
 */
import { UsageError } from "./command";
import { clip } from "../clip";

export interface FlagSpec {
  /** Flags that take one value. */
  readonly values?: readonly string[];
  /** Flags that take a value and may be repeated (`--kubeconfig a=x --kubeconfig b=y`). */
  readonly lists?: readonly string[];
  /** Flags without a value. */
  readonly booleans?: readonly string[];
  /** Whether arguments that are not flags are allowed (the command checks how many). */
  readonly positionals?: boolean;
}

export interface ParsedArgs {
  readonly values: ReadonlyMap<string, string>;
  readonly lists: ReadonlyMap<string, readonly string[]>;
  readonly booleans: ReadonlySet<string>;
  readonly positionals: readonly string[];
  readonly help: boolean;
}

/** The flags `status`, `trace` and `watch` share: where the pipeline comes from and which clusters to read. */
export const FACT_FLAGS = {
  values: ["policy", "dir", "source", "gate", "now", "github"],
  lists: ["kubeconfig", "context"],
} as const satisfies FlagSpec;

/** `a` and `b` together (the shared flags plus a command's own). */
export function withFlags(a: FlagSpec, b: FlagSpec): FlagSpec {
  return {
    values: [...(a.values ?? []), ...(b.values ?? [])],
    lists: [...(a.lists ?? []), ...(b.lists ?? [])],
    booleans: [...(a.booleans ?? []), ...(b.booleans ?? [])],
    positionals: (a.positionals ?? false) || (b.positionals ?? false),
  };
}

/**
 * Parses `args`; an unknown flag, a missing value, a value given to a boolean, a repeated single-valued flag
 * and (unless allowed) a positional argument are UsageErrors. A value may not look like a flag (`--dir
 * --policy x` is a missing value); write `--name=--value` for one that does.
 */
export function parseArgs(command: string, args: readonly string[], spec: FlagSpec): ParsedArgs {
  const values = new Map<string, string>();
  const lists = new Map<string, string[]>();
  const booleans = new Set<string>();
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--help" || a === "-h") {
      help = true;
      continue;
    }
    if (!a.startsWith("--") || a === "--") {
      if (spec.positionals && !a.startsWith("-")) {
        positionals.push(a);
        continue;
      }
      throw new UsageError(`${command}: unexpected argument ${clip(a)} (see --help).`);
    }
    const eq = a.indexOf("=");
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    const takesValue = spec.values?.includes(name) === true || spec.lists?.includes(name) === true;
    if (takesValue) {
      let value: string | undefined;
      if (eq >= 0) value = a.slice(eq + 1);
      else if (i + 1 < args.length && !args[i + 1]!.startsWith("--")) value = args[++i];
      if (value === undefined)
        throw new UsageError(`${command}: --${name} needs a value (see --help).`);
      if (spec.lists?.includes(name) === true) {
        lists.set(name, [...(lists.get(name) ?? []), value]);
        continue;
      }
      if (values.has(name)) throw new UsageError(`${command}: --${name} given twice.`);
      values.set(name, value);
    } else if (spec.booleans?.includes(name) === true) {
      if (eq >= 0) throw new UsageError(`${command}: --${name} takes no value (see --help).`);
      booleans.add(name);
    } else {
      throw new UsageError(`${command}: unknown option --${name} (see --help).`);
    }
  }
  return { values, lists, booleans, positionals, help };
}

/** The flags among `required` that were not given. */
export function missingFlags(a: ParsedArgs, required: readonly string[]): string[] {
  return required.filter((k) => !a.values.has(k));
}

/** The single-valued flags as a record (`values["start-version"]`), for commands that read many. */
export function flagRecord(a: ParsedArgs): Readonly<Record<string, string | undefined>> {
  return Object.fromEntries(a.values);
}

/** The usage error for a flag's bad value: `--<flag> must be <expected>, not "<value>".` */
export function badValue(flag: string, value: string, expected: string): UsageError {
  return new UsageError(`--${flag} must be ${expected}, not ${clip(value)}.`);
}

/** `a`, `a or b`, `a, b or c`. */
function orList(items: readonly string[]): string {
  return items.length <= 1
    ? items.join("")
    : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]!}`;
}

/** The value of a flag with a closed set of values, else `def`. */
export function oneOf<T extends string>(
  flag: string,
  value: string | undefined,
  choices: readonly T[],
  def: T,
): T {
  if (value === undefined) return def;
  if (!(choices as readonly string[]).includes(value)) throw badValue(flag, value, orList(choices));
  return value as T;
}

/** A whole number >= `min` (`unit`: "hours", "days", ... for the message), else `def`. */
export function wholeNumber(
  flag: string,
  value: string | undefined,
  def: number,
  min: number,
  unit?: string,
): number {
  if (value === undefined) return def;
  if (!/^\d+$/.test(value) || Number(value) < min)
    throw badValue(flag, value, `a whole number${unit ? ` of ${unit}` : ""} >= ${min}`);
  return Number(value);
}

/** --label: a GitHub label name the commands keep their one issue under. */
export function labelFlag(value: string | undefined, def: string): string {
  const label = value ?? def;
  if (!/^[A-Za-z0-9._-]{1,50}$/.test(label))
    throw badValue("label", label, "a plain label name ([A-Za-z0-9._-], at most 50)");
  return label;
}

/** --now, else $PROMOTION_NOW (tests and reproducible reports), else the clock. */
export function parseNow(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Date {
  const v =
    flag ??
    (env.PROMOTION_NOW !== undefined && env.PROMOTION_NOW !== "" ? env.PROMOTION_NOW : undefined);
  if (v === undefined) return new Date();
  const d = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(d.getTime()))
    throw badValue("now", v, "an RFC 3339 time such as 2026-12-01T12:00:00Z");
  return d;
}
