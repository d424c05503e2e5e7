/**
 * Soak (issue 21 item 3): a revision leaves a stage only after that stage's gate has been healthy on it
 * continuously for the stage's soak time; a failure during the soak stops it (a later healthy report starts
 * the clock again from zero). Pure: it reads the gate's health history, wherever it was kept (the soak
 * records of lib/stages/record.ts: GitHub Deployments to the stage's environment, one per digest, whose
 * statuses are the gate's reports).
 */
import { formatDuration } from "./duration";

/** One report of a stage's gate on one digest: healthy (Flux's "Health check passed") or failed. */
export interface HealthReport {
  /** When the gate reported it (the Flux event's timestamp), ISO 8601. */
  readonly at: string;
  readonly healthy: boolean;
}

export type SoakStatus =
  /** The gate never reported this digest healthy: nothing soaks. */
  | { readonly state: "none" }
  /** The last report is a failure: the soak stopped; the revision stays in the stage. */
  | { readonly state: "stopped"; readonly failedAt: string }
  /** Healthy since `since`, `remainingMs` still to go. */
  | {
      readonly state: "soaking";
      readonly since: string;
      readonly until: string;
      readonly remainingMs: number;
    }
  /** Healthy since `since` for at least the soak time: it may leave the stage. */
  | { readonly state: "passed"; readonly since: string; readonly until: string };

/**
 * The soak of one digest on one stage at `now`. The clock starts at the first healthy report after the last
 * failure (continuously healthy since then); reports at the same instant count the failure first.
 */
export function soakStatus(
  history: readonly HealthReport[],
  soakMs: number,
  now: Date,
): SoakStatus {
  const sorted = [...history]
    .filter((r) => !Number.isNaN(Date.parse(r.at)))
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || Number(a.healthy) - Number(b.healthy));
  if (sorted.length === 0) return { state: "none" };
  const last = sorted[sorted.length - 1]!;
  if (!last.healthy) return { state: "stopped", failedAt: last.at };
  let i = sorted.length - 1;
  while (i > 0 && sorted[i - 1]!.healthy) i--;
  const since = sorted[i]!.at;
  const untilMs = Date.parse(since) + soakMs;
  const until = new Date(untilMs).toISOString();
  const remainingMs = untilMs - now.getTime();
  return remainingMs <= 0
    ? { state: "passed", since, until }
    : { state: "soaking", since, until, remainingMs };
}

/** One line for `promotion status` and the workflow's annotations. */
export function describeSoak(stage: string, soakMs: number, s: SoakStatus): string {
  switch (s.state) {
    case "none":
      return `${stage}: not reported healthy yet (soak ${formatDuration(soakMs)})`;
    case "stopped":
      return `${stage}: soak stopped by a failure at ${s.failedAt}; waits for the gate to be healthy again`;
    case "soaking":
      return `${stage}: soaking, ${formatDuration(s.remainingMs)} left (healthy since ${s.since}, until ${s.until})`;
    case "passed":
      return `${stage}: soaked (healthy since ${s.since}, ${formatDuration(soakMs)} passed at ${s.until})`;
    default: {
      const never: never = s;
      throw new Error(`unknown soak state ${JSON.stringify(never)}`);
    }
  }
}

/**
 * The gate `interval` of a soaking stage's clusters. kustomize-controller runs the health checks only when it
 * reconciles (every `interval`, default 10m, or when the source's artifact changes), so a failure during the
 * soak is reported only at the next reconcile: seen on the real controllers (tests/flux/stages.test.ts), a 2 m
 * soak under the default 10 m interval passed with a failed Pod nobody re-checked. A quarter of the soak, at
 * least 30 s, and never more than the default: undefined (the default, unchanged) for a soak of 40 m or more.
 */
export function soakGateInterval(soakMs: number): string | undefined {
  if (soakMs <= 0) return undefined;
  const seconds = Math.max(30, Math.floor(soakMs / 4000));
  return seconds >= 600 ? undefined : `${seconds}s`;
}
