/**
 * What every section parser shares: the formats of names and references, and a Reader whose typed accessors
 * record a problem (key, value, problem, fix) in a ProblemCollector instead of throwing, so one run reports
 * every bad key.
 */
import type { ProblemCollector } from "../errors";
import { clip } from "../clip";
import { isRecord } from "../guards";

export { isRecord };

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
/** A Docker/OCI tag. */
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

/** Typed accessors that record a problem instead of throwing, so one run reports every bad key. */
export class Reader {
  constructor(
    private readonly c: ProblemCollector,
    private readonly prefix: string,
    private readonly obj: Record<string, unknown>,
    private readonly known: readonly string[],
  ) {
    for (const k of Object.keys(obj)) {
      if (!known.includes(k)) {
        c.add(
          `${prefix}.${k}`,
          obj[k],
          "is not a known setting.",
          `remove it, or use one of: ${known.join(", ")}.`,
        );
      }
    }
  }

  key(k: string): string {
    return `${this.prefix}.${k}`;
  }

  raw(k: string): unknown {
    return this.obj[k];
  }

  string(
    k: string,
    opts: { def?: string; pattern?: RegExp; what?: string; required?: boolean } = {},
  ): string | undefined {
    const v = this.obj[k];
    if (v === undefined || v === null) {
      if (opts.required) {
        this.c.add(this.key(k), v, "is required.", `set ${opts.what ?? "it"}.`);
      }
      return opts.def;
    }
    if (typeof v !== "string") {
      this.c.add(this.key(k), v, "must be a string.", `write ${opts.what ?? "a string"}.`);
      return opts.def;
    }
    if (v.trim() === "") {
      this.c.add(
        this.key(k),
        v,
        "must not be empty.",
        `set ${opts.what ?? "a value"} or remove the key.`,
      );
      return opts.def;
    }
    if (opts.pattern && !opts.pattern.test(v)) {
      this.c.add(
        this.key(k),
        v,
        `is not ${opts.what ?? `a value matching ${String(opts.pattern)}`}.`,
        `write ${opts.what ?? "a valid value"}.`,
      );
      return opts.def;
    }
    return v;
  }

  bool(k: string, def: boolean): boolean {
    const v = this.obj[k];
    if (v === undefined || v === null) return def;
    if (typeof v === "boolean") return v;
    if (v === "true" || v === "false") return v === "true";
    this.c.add(this.key(k), v, "must be true or false.", "write true or false.");
    return def;
  }

  int(k: string, def: number, min: number, max: number): number {
    const v = this.obj[k];
    if (v === undefined || v === null) return def;
    const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
      this.c.add(
        this.key(k),
        v,
        `must be a whole number from ${min} to ${max}.`,
        `write a number from ${min} to ${max}.`,
      );
      return def;
    }
    return n;
  }

  stringList(
    k: string,
    def: readonly string[],
    pattern?: RegExp,
    what?: string,
  ): readonly string[] {
    const v = this.obj[k];
    if (v === undefined || v === null) return def;
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string" || x.trim() === "")) {
      this.c.add(
        this.key(k),
        v,
        "must be a list of non-empty strings.",
        `write a YAML list of ${what ?? "strings"}.`,
      );
      return def;
    }
    const list = v as string[];
    if (pattern) {
      for (const [i, x] of list.entries()) {
        if (!pattern.test(x)) {
          this.c.add(
            `${this.key(k)}[${i}]`,
            x,
            `is not ${what ?? "valid"}.`,
            `write ${what ?? "a valid value"}.`,
          );
        }
      }
    }
    return [...new Set(list)].sort();
  }

  record(k: string): Record<string, unknown> | undefined {
    const v = this.obj[k];
    if (v === undefined || v === null) return undefined;
    if (!isRecord(v)) {
      this.c.add(
        this.key(k),
        v,
        "must be a mapping (YAML object).",
        "write it as a YAML mapping of keys to values.",
      );
      return undefined;
    }
    return v;
  }
}

export function checkRegex(c: ProblemCollector, key: string, value: string | undefined): void {
  if (value === undefined) return;
  try {
    new RegExp(value);
  } catch (e) {
    c.add(
      key,
      value,
      `is not a valid regular expression (${clip((e as Error).message, { raw: true })}).`,
      "write a valid Go/RE2-compatible regular expression.",
    );
  }
}

/** What a list parser says when the list or one of its items has the wrong shape: [problem, fix]. */
export interface ListShape {
  readonly notAList: readonly [problem: string, fix: string];
  readonly notAMapping: readonly [problem: string, fix: string];
}

/**
 * An optional mapping setting: undefined when unset (absent or null) or when it is not a mapping, which is
 * reported under `key` as `notAMapping` (problem, fix); else the mapping.
 */
export function optionalMapping(
  c: ProblemCollector,
  key: string,
  raw: unknown,
  notAMapping: readonly [problem: string, fix: string],
): Record<string, unknown> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isRecord(raw)) {
    c.add(key, raw, ...notAMapping);
    return undefined;
  }
  return raw;
}

/**
 * A config list of mappings (`pipeline.extraChecks`, `pins.retention`, ...): absent is empty; a value that is
 * not a list, or an item that is not a mapping, is a problem under its key (`<key>[<i>]`); every mapping item
 * goes to `item` with its key, which records its own problems and returns the parsed item or undefined.
 */
export function readList<T>(
  c: ProblemCollector,
  key: string,
  raw: unknown,
  shape: ListShape,
  item: (ikey: string, value: Record<string, unknown>) => T | undefined,
): T[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    c.add(key, raw, ...shape.notAList);
    return [];
  }
  const out: T[] = [];
  raw.forEach((value: unknown, i) => {
    const ikey = `${key}[${i}]`;
    if (!isRecord(value)) {
      c.add(ikey, value, ...shape.notAMapping);
      return;
    }
    const parsed = item(ikey, value);
    if (parsed !== undefined) out.push(parsed);
  });
  return out;
}
