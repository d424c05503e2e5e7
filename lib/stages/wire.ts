/**
 * The stages as the generated promote workflow hands them to `promotion stage-plan` (env PROMOTION_STAGES,
 * compact JSON from the validated config: names, gatesNext, soak and window texts; no cluster names, which the
 * workflow does not need). Parsed again on the runner with the same window and duration parsers.
 */
import type { StageSpec } from "../types";
import { parseDuration } from "./duration";
import { parseWindow } from "./window";

export interface WireStage {
  readonly name: string;
  readonly gatesNext: boolean;
  readonly soak: string;
  readonly windows: readonly string[];
}

export function stagesToWire(stages: readonly StageSpec[]): string {
  return JSON.stringify(
    stages.map((s): WireStage => ({
      name: s.name,
      gatesNext: s.gatesNext,
      soak: s.soak,
      windows: s.windows.map((w) => w.text),
    })),
  );
}

/** Throws an Error naming what is wrong. */
export function stagesFromWire(text: string): StageSpec[] {
  const raw = JSON.parse(text) as unknown;
  if (!Array.isArray(raw) || raw.length < 2)
    throw new Error("--stages must be a JSON list of at least two stages");
  return raw.map((s: unknown, i) => {
    const o = s as Partial<WireStage>;
    const soakMs = typeof o.soak === "string" ? parseDuration(o.soak) : undefined;
    if (
      typeof o.name !== "string" ||
      typeof o.gatesNext !== "boolean" ||
      soakMs === undefined ||
      !Array.isArray(o.windows)
    )
      throw new Error(`--stages[${i}] is not {name, gatesNext, soak, windows}`);
    return {
      name: o.name,
      clusters: [],
      gatesNext: o.gatesNext,
      soak: o.soak!,
      soakMs,
      windows: o.windows.map((w) => parseWindow(String(w))),
    };
  });
}

/** True when a stage's promotions can wait (a soak, or a window on a stage it promotes into). */
export function needsRecords(stages: readonly StageSpec[], from: string): boolean {
  const i = stages.findIndex((s) => s.name === from);
  if (i < 0 || !stages[i]!.gatesNext) return false;
  if (stages[i]!.soakMs > 0) return true;
  for (let j = i + 1; j < stages.length; j++) {
    if (stages[j]!.windows.length > 0) return true;
    if (stages[j]!.gatesNext) break;
  }
  return false;
}

/**
 * True when a stage may hold open soak records: it gates the next stage (so it is not the last). The re-plan
 * reads these whatever the stages say NOW: a promotion deferred while a window existed stays due after the
 * window was removed from the configuration (deferred, not dropped), and a soak shortened or removed applies.
 */
export function mayHaveRecords(stages: readonly StageSpec[], from: string): boolean {
  const i = stages.findIndex((s) => s.name === from);
  return i >= 0 && i < stages.length - 1 && stages[i]!.gatesNext;
}
