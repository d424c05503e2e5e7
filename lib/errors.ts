/** One rejected configuration value: where it is, what it was, why it is wrong and how to fix it. */
import { clip } from "./clip";
export interface ConfigProblem {
  /** Full config key, e.g. `promotion-pipeline:pipeline.clusters.live.semver`. */
  readonly key: string;
  /** The offending value as the user wrote it (rendered with JSON.stringify), or undefined when missing. */
  readonly value: unknown;
  /** What is wrong with it. */
  readonly problem: string;
  /** What to do instead. */
  readonly fix: string;
}

export function renderValue(value: unknown): string {
  if (value === undefined) return "(not set)";
  return clip(value);
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.key} = ${renderValue(p.value)}: ${p.problem} Fix: ${p.fix}`;
}

/**
 * The program refusing to run, for a reason its user can fix: the message says everything (what, why, the
 * fix), so the program shows only it (index.ts turns it into a pulumi.RunError: no stack trace, no dump of the
 * error's fields). Anything else thrown is a bug and keeps its stack.
 */
export class Refusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Refusal";
  }
}

/** Thrown before any resource is registered; lists every problem found, not only the first. */
export class ConfigError extends Refusal {
  constructor(public readonly problems: readonly ConfigProblem[]) {
    super(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${formatProblem(p)}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** Collects problems while a validator walks the input, then throws them together. */
export class ProblemCollector {
  private readonly list: ConfigProblem[] = [];

  add(key: string, value: unknown, problem: string, fix: string): void {
    this.list.push({ key, value, problem, fix });
  }

  get problems(): readonly ConfigProblem[] {
    return this.list;
  }

  get count(): number {
    return this.list.length;
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw new ConfigError(this.list);
  }
}
