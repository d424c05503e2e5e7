/**
 * canary-checker's rules, PLAYED (pure functions, no I/O): how a Canary is scheduled, how its `http` and
 * `kubernetes` checks judge what they saw, and what a run writes to the Canary's status. canary-checker v1.2.0
 * cannot be built here (its dependencies github.com/flanksource/duty and github.com/flanksource/is-healthy are
 * refused by the Go module proxy), so the flux suite plays its part from its source. Every rule below names the
 * file and function it was taken from:
 *
 * - canary-checker v1.2.0: pkg/jobs/canary/sync.go (`SyncCanaryJob`, `newCanaryJob`), pkg/jobs/canary/
 *   canary_jobs.go (`CanaryJob.Run`, `MinimumTimeBetweenCanaryRuns`), pkg/jobs/canary/status.go
 *   (`UpdateCanaryStatusAndEvent`), pkg/controllers/canary_controller.go (`reconcile`, `Report`),
 *   checks/runchecks.go (`RunChecks`, `processTemplates`), checks/checker.go (`All`: the order of check types),
 *   checks/http.go (`HTTPChecker.Check`), checks/kubernetes.go (`KubernetesChecker.Check`), pkg/results.go
 *   (`Failf`), pkg/metrics/metrics.go (`Record`), api/v1/canary_types.go (`GetSchedule`), api/v1/checks.go
 *   (`KubernetesCheck.GetEndpoint`);
 * - github.com/flanksource/duty v1.0.1348 (the version canary-checker v1.2.0 pins): job/job.go (`Job.Run`: the
 *   jitter and the singleton lock; `AddToScheduler`: `RunNow`), types/uptime.go (`Uptime.String`),
 *   types/latency.go (`Latency.String`), kubernetes/dynamic.go (`QueryResources`);
 * - github.com/robfig/cron v3.0.1: parser.go (`ParseStandard`, `getRange`, `parseDescriptor`),
 *   constantdelay.go (`Every`, `ConstantDelaySchedule.Next`), spec.go (`SpecSchedule.Next`, `dayMatches`);
 * - github.com/flanksource/is-healthy: pkg/health/health_pod.go (`getCorev1PodHealth`, `getContainerStatus`,
 *   `getPodStatus`), pkg/health/health.go (`GetResourceHealth`, `Health.Worst`, `IsWorseThan`),
 *   pkg/health/utils.go (`HealthStatus.Merge`, `AppendMessage`, `IsPodReady`, `GetStartDeadline`). v1.2.0 pins
 *   is-healthy v1.0.88, which no source here holds; these rules are from the newest snapshot available,
 *   commit c303572 (2026-03-19, after v1.0.86).
 *
 * What is not played fails loudly (`NotPlayedError`) instead of being guessed.
 */
import { createHash } from "node:crypto";

/** A Canary field or value whose canary-checker behaviour this suite does not play. */
export class NotPlayedError extends Error {
  constructor(message: string) {
    super(`canary-checker (played): ${message}`);
    this.name = "NotPlayedError";
  }
}

// ---------------------------------------------------------------------------------------------------------
// Schedules: robfig/cron v3 `cron.New()` (the standard parser: 5 fields or a descriptor), as `newCanaryJob`
// uses it through duty's `Job.AddToScheduler`.

/** `DefaultCanarySchedule` (sync.go), used by `newCanaryJob` when neither schedule nor interval is set. */
export const DEFAULT_CANARY_SCHEDULE = "@every 5m";
/** `MinimumTimeBetweenCanaryRuns` (canary_jobs.go): a run within 10 s of the previous run's end is skipped. */
export const MINIMUM_TIME_BETWEEN_RUNS_MS = 10_000;
/** duty job.go: `iterationJitterPercent` and `maxJitterDuration`. */
export const JITTER_PERCENT = 10;
export const MAX_JITTER_MS = 15 * 60_000;

export interface Schedule {
  /** The spec as written. */
  readonly spec: string;
  /** The next activation strictly after `t` (robfig's `Schedule.Next`), or undefined when none in 5 years. */
  next(t: Date): Date | undefined;
}

/**
 * `CanarySpec.GetSchedule` (canary_types.go): `schedule`, else `@every <interval>s`, else `NoSchedule`; with
 * `@never` or `NoSchedule`, `SyncCanaryJob` unschedules the Canary: it never runs (returns undefined).
 */
export function canarySchedule(spec: Record<string, unknown> | undefined): Schedule | undefined {
  const schedule = typeof spec?.schedule === "string" ? spec.schedule : "";
  const interval = typeof spec?.interval === "number" ? spec.interval : 0;
  const s = schedule !== "" ? schedule : interval > 0 ? `@every ${interval}s` : "NoSchedule";
  if (s === "@never" || s === "NoSchedule") return undefined;
  return parseSchedule(s);
}

const GO_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's `time.ParseDuration`, in milliseconds. */
export function parseGoDuration(s: string): number {
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(s);
  if (s === "0") return 0;
  if (!m) throw new Error(`time: invalid duration "${s}"`);
  let total = 0;
  for (const part of s.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * GO_UNITS[part[2]!]!;
  }
  return m[1] === "-" ? -total : total;
}

/** `cron.Every` + `ConstantDelaySchedule.Next`: at least 1 s, whole seconds, next = t + delay - t's sub-second. */
function every(spec: string, durationMs: number): Schedule {
  const delay = Math.max(1000, durationMs - (durationMs % 1000));
  return {
    spec,
    next: (t) => new Date(t.getTime() + delay - (t.getTime() % 1000)),
  };
}

interface Bounds {
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
}
const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = {
  min: 1,
  max: 12,
  names: {
    jan: 1,
    feb: 2,
    mar: 3,
    apr: 4,
    may: 5,
    jun: 6,
    jul: 7,
    aug: 8,
    sep: 9,
    oct: 10,
    nov: 11,
    dec: 12,
  },
};
const DOW: Bounds = {
  min: 0,
  max: 6,
  names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 },
};

interface Field {
  readonly set: ReadonlySet<number>;
  /** robfig's `starBit`: the field was `*` or `?` (a step > 1 clears it). */
  readonly star: boolean;
}

function parseInt10(expr: string, names?: Readonly<Record<string, number>>): number {
  const named = names?.[expr.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^-?\d+$/.test(expr)) throw new Error(`failed to parse int from ${expr}`);
  const n = Number(expr);
  if (n < 0) throw new Error(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

/** robfig `getField` / `getRange`. */
function parseField(field: string, r: Bounds): Field {
  const set = new Set<number>();
  let star = false;
  for (const expr of field.split(",")) {
    const rangeAndStep = expr.split("/");
    const lowAndHigh = rangeAndStep[0]!.split("-");
    let start: number;
    let end: number;
    let extra = false;
    if (lowAndHigh[0] === "*" || lowAndHigh[0] === "?") {
      start = r.min;
      end = r.max;
      extra = true;
    } else {
      start = parseInt10(lowAndHigh[0]!, r.names);
      if (lowAndHigh.length === 1) end = start;
      else if (lowAndHigh.length === 2) end = parseInt10(lowAndHigh[1]!, r.names);
      else throw new Error(`too many hyphens: ${expr}`);
    }
    let step = 1;
    if (rangeAndStep.length === 2) {
      step = parseInt10(rangeAndStep[1]!);
      if (lowAndHigh.length === 1) end = r.max;
      if (step > 1) extra = false;
    } else if (rangeAndStep.length > 2) {
      throw new Error(`too many slashes: ${expr}`);
    }
    if (start < r.min)
      throw new Error(`beginning of range (${start}) below minimum (${r.min}): ${expr}`);
    if (end > r.max) throw new Error(`end of range (${end}) above maximum (${r.max}): ${expr}`);
    if (start > end)
      throw new Error(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
    if (step === 0) throw new Error(`step of range should be a positive number: ${expr}`);
    for (let i = start; i <= end; i += step) set.add(i);
    star ||= extra;
  }
  return { set, star };
}

const all = (r: Bounds): Field => parseField("*", r);
const only = (n: number): Field => ({ set: new Set([n]), star: false });

/** robfig `SpecSchedule.Next` (seconds fixed at 0 by the standard parser), in the process's local time zone. */
function specSchedule(
  spec: string,
  minute: Field,
  hour: Field,
  dom: Field,
  month: Field,
  dow: Field,
): Schedule {
  const dayMatches = (t: Date): boolean => {
    const domMatch = dom.set.has(t.getDate());
    const dowMatch = dow.set.has(t.getDay());
    return dom.star || dow.star ? domMatch && dowMatch : domMatch || dowMatch;
  };
  return {
    spec,
    next(from: Date): Date | undefined {
      // Start at the next whole second; the standard parser's second field is 0, so the next whole minute.
      const t = new Date(from.getTime() + 1000 - (from.getTime() % 1000));
      if (t.getSeconds() !== 0) {
        t.setSeconds(0, 0);
        t.setMinutes(t.getMinutes() + 1);
      }
      const limit = t.getFullYear() + 5;
      for (;;) {
        if (t.getFullYear() > limit) return undefined;
        if (!month.set.has(t.getMonth() + 1)) {
          t.setMonth(t.getMonth() + 1, 1);
          t.setHours(0, 0, 0, 0);
          continue;
        }
        if (!dayMatches(t)) {
          t.setDate(t.getDate() + 1);
          t.setHours(0, 0, 0, 0);
          continue;
        }
        if (!hour.set.has(t.getHours())) {
          t.setHours(t.getHours() + 1, 0, 0, 0);
          continue;
        }
        if (!minute.set.has(t.getMinutes())) {
          t.setMinutes(t.getMinutes() + 1, 0, 0);
          continue;
        }
        return t;
      }
    },
  };
}

/** robfig/cron v3 `ParseStandard`: `@every <Go duration>`, the `@yearly`..`@hourly` descriptors, or 5 fields. */
export function parseSchedule(spec: string): Schedule {
  const fail = (why: string): never => {
    throw new Error(`canary schedule "${spec}": ${why}`);
  };
  if (spec === "") fail("empty spec string");
  if (/^(CRON_)?TZ=/.test(spec)) {
    throw new NotPlayedError(
      `schedule "${spec}": a TZ= prefix is not played; use a schedule in the controller's time zone`,
    );
  }
  if (spec.startsWith("@")) {
    if (spec.startsWith("@every ")) {
      try {
        return every(spec, parseGoDuration(spec.slice("@every ".length)));
      } catch (e) {
        return fail(`failed to parse duration ${spec}: ${(e as Error).message}`);
      }
    }
    const descriptors: Record<string, [Field, Field, Field, Field, Field]> = {
      "@yearly": [only(0), only(0), only(1), only(1), all(DOW)],
      "@annually": [only(0), only(0), only(1), only(1), all(DOW)],
      "@monthly": [only(0), only(0), only(1), all(MONTHS), all(DOW)],
      "@weekly": [only(0), only(0), all(DOM), all(MONTHS), only(0)],
      "@daily": [only(0), only(0), all(DOM), all(MONTHS), all(DOW)],
      "@midnight": [only(0), only(0), all(DOM), all(MONTHS), all(DOW)],
      "@hourly": [only(0), all(HOURS), all(DOM), all(MONTHS), all(DOW)],
    };
    const [m, h, d, mo, w] = descriptors[spec] ?? fail(`unrecognized descriptor: ${spec}`);
    return specSchedule(spec, m, h, d, mo, w);
  }
  const fields = spec.split(/\s+/).filter((f) => f !== "");
  if (fields.length !== 5) {
    fail(`expected exactly 5 fields, found ${fields.length}: [${fields.join(" ")}]`);
  }
  try {
    return specSchedule(
      spec,
      parseField(fields[0]!, MINUTES),
      parseField(fields[1]!, HOURS),
      parseField(fields[2]!, DOM),
      parseField(fields[3]!, MONTHS),
      parseField(fields[4]!, DOW),
    );
  } catch (e) {
    return fail((e as Error).message);
  }
}

/**
 * duty `Job.Run`: before every run (the immediate `RunNow` one too) the job sleeps a jitter of
 * `rand.Intn(10)`% of the time until the schedule's next activation, capped at 15 minutes.
 */
export function jitterMs(schedule: Schedule, now: Date, random: () => number): number {
  const next = schedule.next(now);
  if (!next) return 0;
  const interval = Math.min(next.getTime() - now.getTime(), MAX_JITTER_MS);
  const percent = Math.floor(random() * JITTER_PERCENT);
  return Math.floor((interval * percent) / 100);
}

// ---------------------------------------------------------------------------------------------------------
// Check results

export type CheckType = "http" | "kubernetes";

/** `checks/checker.go` `All`: results come in this order of types, each type's checks in spec order. */
export const PLAYED_CHECK_ORDER: readonly CheckType[] = ["http", "kubernetes"];

/** One check result (`pkg.CheckResult`, the fields the status and the metrics use). */
export interface CheckResult {
  readonly check: string;
  readonly type: CheckType;
  /** `Canary.GetDescription`: the check's description, else `GetEndpoint()`. */
  readonly endpoint: string;
  readonly pass: boolean;
  readonly invalid: boolean;
  readonly message: string;
  readonly error: string;
  /** Milliseconds (`result.Duration`). */
  readonly durationMs: number;
}

/** `pkg.Results.Failf` / `CheckResult.Failf`: errors accumulate, joined by ", ". */
export function failf(error: string, more: string): string {
  return error === "" ? more : `${error}, ${more}`;
}

// --- is-healthy: Pod health ---

export type Health = "healthy" | "unhealthy" | "unknown" | "warning";
const HEALTH_ORDER: readonly Health[] = ["unknown", "healthy", "warning", "unhealthy"];
const rank = (h: Health): number => Math.max(0, HEALTH_ORDER.indexOf(h));
/** `Health.IsWorseThan`: CompareTo >= 0 (equal counts as worse). */
export const isWorseThan = (h: Health, other: Health): boolean => rank(h) >= rank(other);
/** `Health.Worst`. */
export const worst = (...hs: Health[]): Health => hs.reduce((a, b) => (rank(b) >= rank(a) ? b : a));

export interface HealthStatus {
  health: Health;
  status: string;
  ready: boolean;
  message: string;
}

interface ContainerStatus {
  readonly name?: string;
  readonly restartCount?: number;
  readonly state?: { waiting?: { reason?: string; message?: string } };
  readonly lastState?: {
    terminated?: { reason?: string; message?: string; exitCode?: number; finishedAt?: string };
  };
}
interface Probe {
  readonly initialDelaySeconds?: number;
  readonly failureThreshold?: number;
  readonly periodSeconds?: number;
  readonly timeoutSeconds?: number;
}
/** The fields of a Pod that is-healthy reads. */
export interface PodLike {
  readonly kind?: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly creationTimestamp?: string;
    readonly deletionTimestamp?: string;
  };
  readonly spec?: {
    readonly containers?: readonly { readinessProbe?: Probe }[];
    readonly initContainers?: readonly { readinessProbe?: Probe }[];
  };
  readonly status?: {
    readonly phase?: string;
    readonly reason?: string;
    readonly message?: string;
    readonly conditions?: readonly {
      type: string;
      status: string;
      reason?: string;
      message?: string;
    }[];
    readonly containerStatuses?: readonly ContainerStatus[];
    readonly initContainerStatuses?: readonly ContainerStatus[];
  };
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** utils.go `AppendMessage`. */
function appendMessage(hs: HealthStatus, msg: string): void {
  if (msg === "") return;
  if (hs.message.trim() !== "") hs.message += ", ";
  hs.message += msg;
}

/** utils.go `HealthStatus.Merge`. */
function merge(hs: HealthStatus, ...others: (HealthStatus | undefined)[]): HealthStatus {
  const out = { ...hs };
  for (const other of others) {
    if (!other) continue;
    out.status = out.status !== "" ? out.status : other.status;
    out.health = worst(out.health, other.health);
    if (isWorseThan(other.health, out.health)) {
      out.health = other.health;
      out.status = other.status;
    }
    out.ready = out.ready && other.ready;
    out.message = out.message.trim();
    out.message =
      out.message !== ""
        ? [out.message, other.message].filter((m) => m !== "").join(", ")
        : other.message;
  }
  return out;
}

/** utils.go `IsPodReady`: the Ready condition, with "<reason> <message>". */
export function isPodReady(pod: PodLike): [boolean, string] {
  const c = pod.status?.conditions?.find((x) => x.type === "Ready");
  if (!c) return [false, ""];
  return [c.status === "True", `${c.reason ?? ""} ${c.message ?? ""}`];
}

/** utils.go `GetStartDeadline`: 10 minutes, or longer readiness probes, truncated to the minute. */
function startDeadlineMs(pod: PodLike): number {
  let max = 10 * MINUTE;
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    const p = c.readinessProbe;
    if (!p) continue;
    const ms =
      1000 *
      ((p.initialDelaySeconds ?? 0) +
        (p.failureThreshold ?? 0) * ((p.periodSeconds ?? 0) + (p.timeoutSeconds ?? 0)));
    if (ms > max) max = ms;
  }
  return max - (max % MINUTE);
}

const isErrorStatus = (s: string): boolean =>
  s.startsWith("Err") || s.endsWith("Error") || s.endsWith("BackOff");

/** health_pod.go `getContainerStatus`. */
function containerStatus(
  cs: ContainerStatus,
  now: Date,
): [HealthStatus | undefined, HealthStatus | undefined] {
  const restarts = cs.restartCount ?? 0;
  let waiting: HealthStatus | undefined;
  let terminated: HealthStatus | undefined;
  const w = cs.state?.waiting;
  if (w) {
    const reason = w.reason ?? "";
    waiting = {
      status: reason,
      health: isErrorStatus(reason) || restarts > 0 ? "unhealthy" : "unknown",
      ready: false,
      message: w.message ?? "",
    };
  }
  const t = cs.lastState?.terminated;
  if (t) {
    const finished = t.finishedAt ? Date.parse(t.finishedAt) : 0;
    const age = now.getTime() - finished;
    const exitCode = t.exitCode ?? 0;
    const reason = t.reason ?? "";
    if (restarts === 0 && exitCode === 0) {
      terminated = { status: "Completed", health: "healthy", ready: false, message: "" };
    } else if (age < 24 * HOUR) {
      const term: HealthStatus = {
        status: "",
        health: age < HOUR ? "unhealthy" : "warning",
        ready: false,
        message: t.message ?? "",
      };
      if (restarts > 0)
        appendMessage(term, `restarted ${restarts} time${restarts === 1 ? "" : "s"}`);
      if (reason === "Error") {
        if (age < 15 * MINUTE) term.status = restarts === 1 ? "CrashedOnce" : "CrashLoopBackOff";
        else if (age < HOUR) term.status = "Restarted";
      } else if (reason === "Completed" && exitCode !== 0) {
        term.status = reason;
        appendMessage(term, `exit=${exitCode}`);
      } else if (reason === "Completed") {
        term.status = waiting?.status === "CrashLoopBackOff" ? "RestartLoopBackOff" : "RestartLoop";
      } else {
        term.status = reason;
      }
      terminated = term;
    }
  }
  return [waiting, terminated];
}

/** health_pod.go `getPodStatus`: the worst waiting and the worst terminated container. */
function podContainerStatus(
  containers: readonly ContainerStatus[],
  now: Date,
): [HealthStatus | undefined, HealthStatus | undefined] {
  let waiting: HealthStatus | undefined;
  let terminated: HealthStatus | undefined;
  for (const c of containers) {
    const [w, t] = containerStatus(c, now);
    if (w && (!waiting || isWorseThan(w.health, waiting.health))) waiting = w;
    if (t && (!terminated || isWorseThan(t.health, terminated.health))) terminated = t;
  }
  return [waiting, terminated];
}

/**
 * is-healthy `GetResourceHealth` for a Pod (health.go), which calls `getCorev1PodHealth` (health_pod.go).
 * Phases other than Pending/Running/Succeeded/Failed leave the status empty, where is-healthy falls back to
 * `GetDefaultHealth` (conditions of any kind): not played, so such a Pod throws.
 */
export function podHealth(pod: PodLike, now: Date): HealthStatus {
  const deletion = pod.metadata.deletionTimestamp
    ? Date.parse(pod.metadata.deletionTimestamp)
    : undefined;
  if (deletion !== undefined && now.getTime() - deletion > HOUR) {
    // health.go: a deletion older than an hour is "TerminatingStalled" before any kind-specific rule.
    const hours = Math.floor((now.getTime() - deletion) / HOUR);
    return {
      status: "TerminatingStalled",
      health: "warning",
      ready: false,
      message: `terminating for ${hours}h`,
    };
  }
  const hr = ((): HealthStatus => {
    const [isReady, readyMsg] = isPodReady(pod);
    const containers = [
      ...(pod.status?.initContainerStatuses ?? []),
      ...(pod.status?.containerStatuses ?? []),
    ];
    const created = pod.metadata.creationTimestamp ? Date.parse(pod.metadata.creationTimestamp) : 0;
    const ageMs = Math.abs(now.getTime() - created);
    const isStarting = ageMs - (ageMs % MINUTE) < startDeadlineMs(pod);
    let h: HealthStatus = {
      health: isReady ? "healthy" : "unhealthy",
      status: "",
      ready: isReady,
      message: readyMsg,
    };
    if (deletion !== undefined) {
      const terminatingFor = now.getTime() - deletion;
      return {
        status: "Terminating",
        ready: false,
        health: terminatingFor >= 15 * MINUTE ? "warning" : "unknown",
        message:
          terminatingFor >= 15 * MINUTE
            ? `stuck in 'Terminating' for ${Math.floor(terminatingFor / MINUTE)}m0s`
            : "",
      };
    }
    if (pod.status?.reason === "Evicted") {
      return {
        health: "warning",
        status: "Evicted",
        ready: true,
        message: pod.status.message ?? "",
      };
    }
    const unschedulable = pod.status?.conditions?.find((c) => c.reason === "Unschedulable");
    if (unschedulable) {
      return {
        health: "unhealthy",
        status: "Unschedulable",
        ready: false,
        message: unschedulable.message ?? "",
      };
    }
    const [waiting, terminated] = podContainerStatus(containers, now);
    switch (pod.status?.phase) {
      case "Succeeded":
        return {
          health: "healthy",
          status: "Completed",
          ready: true,
          message: pod.status.message ?? "",
        };
      case "Failed":
        h.health = "unhealthy";
        h.ready = true;
        h.status = h.status !== "" ? h.status : "Failed";
        h.message = pod.status.message || h.message;
        break;
      case "Running":
      case "Pending":
        h = merge(h, terminated, waiting);
        if (terminated && isWorseThan(terminated.health, "warning")) {
          if (["CrashLoopBackOff", "CrashedOnce"].includes(h.status)) {
            h.status = terminated.status;
            h.health = worst(h.health, terminated.health);
          }
        }
        h.status = h.status !== "" ? h.status : "Running";
        h.health = worst(h.health, isReady ? "healthy" : "unhealthy");
        break;
      default:
        throw new NotPlayedError(
          `Pod ${pod.metadata.namespace ?? ""}/${pod.metadata.name} has phase "${pod.status?.phase ?? ""}": ` +
            "is-healthy falls back to GetDefaultHealth there, which is not played",
        );
    }
    if (isStarting && isWorseThan(h.health, "warning")) {
      h.health = "unknown";
      h.message = `${h.status} ${h.message}`.trim();
      h.status = "Starting";
      if (terminated?.status === "OOMKilled") {
        h.health = "unhealthy";
        h.status = "Starting OOMKilled";
      }
    }
    return h;
  })();
  if (deletion !== undefined) {
    hr.status = "Terminating";
    hr.ready = false;
  }
  return hr;
}

// --- the `kubernetes` check ---

/** The fields of a `kubernetes` check this suite plays (api/v1/checks.go `KubernetesCheck`). */
export interface KubernetesCheckSpec {
  readonly name: string;
  readonly kind: string;
  readonly apiVersion?: string;
  readonly description?: string;
  readonly namespaceSelector?: { readonly name?: string };
  readonly resource?: { readonly labelSelector?: string };
  readonly ready?: boolean;
  readonly healthy?: boolean;
  readonly test?: { readonly expr?: string };
}

const KUBERNETES_FIELDS = new Set([
  "name",
  "kind",
  "apiVersion",
  "description",
  "namespaceSelector",
  "resource",
  "ready",
  "healthy",
  "test",
]);

/** The only CEL `test.expr` the program renders (lib/k8s/canary.ts `builtInChecks`). */
export const AT_LEAST_ONE_EXPR = "dyn(results).size() > 0";

/** Validates a `kubernetes` check against what is played; throws NotPlayedError naming the field. */
export function kubernetesCheckSpec(raw: Record<string, unknown>): KubernetesCheckSpec {
  const name = typeof raw.name === "string" ? raw.name : "";
  for (const k of Object.keys(raw)) {
    if (!KUBERNETES_FIELDS.has(k)) {
      throw new NotPlayedError(
        `kubernetes check "${name}": field "${k}" is not played (played: ${[...KUBERNETES_FIELDS].join(", ")})`,
      );
    }
  }
  const c = raw as unknown as KubernetesCheckSpec;
  if (c.kind !== "Pod" || (c.apiVersion ?? "v1") !== "v1") {
    throw new NotPlayedError(
      `kubernetes check "${name}": kind "${c.apiVersion ?? ""}/${c.kind}" is not played; only Pods (is-healthy's Pod rules) are`,
    );
  }
  for (const [k, sel] of Object.entries({
    namespaceSelector: c.namespaceSelector,
    resource: c.resource,
  })) {
    const extra = Object.keys(sel ?? {}).filter(
      (f) => f !== (k === "namespaceSelector" ? "name" : "labelSelector"),
    );
    if (extra.length > 0) {
      throw new NotPlayedError(
        `kubernetes check "${name}": ${k}.${extra[0]} is not played (namespaceSelector.name and resource.labelSelector are)`,
      );
    }
  }
  const ns = c.namespaceSelector?.name;
  if (ns !== undefined && /[*!,]/.test(ns)) {
    throw new NotPlayedError(
      `kubernetes check "${name}": namespaceSelector.name "${ns}" is a pattern (duty IsMatchItem); only a plain name is played`,
    );
  }
  const expr = c.test?.expr;
  if (
    c.test !== undefined &&
    (Object.keys(c.test).some((k) => k !== "expr") || expr !== AT_LEAST_ONE_EXPR)
  ) {
    throw new NotPlayedError(
      `kubernetes check "${name}": test ${JSON.stringify(c.test)} is not played; the only expression played is ` +
        `{"expr":"${AT_LEAST_ONE_EXPR}"} (the one lib/k8s/canary.ts renders)`,
    );
  }
  return c;
}

/** `KubernetesCheck.GetEndpoint` (api/v1/checks.go): `Kind/Description/namespaceSelector.name`. */
export const kubernetesEndpoint = (c: KubernetesCheckSpec): string =>
  `${c.kind}/${c.description ?? ""}/${c.namespaceSelector?.name ?? ""}`;

/**
 * `KubernetesChecker.Check` (checks/kubernetes.go) on the Pods the query returned (or the query's error),
 * then `processTemplates` (checks/runchecks.go) for `test.expr`. A failed query returns before the details
 * are added, so `results` is the empty map `pkg.New` set, of size 0.
 */
export function judgeKubernetes(
  c: KubernetesCheckSpec,
  found: { pods: readonly PodLike[] } | { error: string },
  now: Date,
  durationMs: number,
): CheckResult {
  let error = "";
  let size = 0;
  let returnedEarly = false;
  if ("error" in found) {
    error = failf(error, found.error);
    returnedEarly = true;
  } else {
    for (const pod of found.pods) {
      const h = podHealth(pod, now);
      const id = `${pod.kind ?? "Pod"}/${pod.metadata.namespace ?? ""}/${pod.metadata.name}`;
      if (c.healthy && h.health !== "healthy") {
        error = failf(
          error,
          `${id} is not healthy (health: ${h.health}, status: ${h.status}): ${h.message}\n`,
        );
      }
      if (c.ready && !h.ready) {
        error = failf(error, `${id} is not ready (status: ${h.status}): ${h.message}\n`);
      }
    }
    if (c.test === undefined && found.pods.length === 0) {
      error = failf(error, "no resources found");
      returnedEarly = true;
    }
    if (!returnedEarly) size = found.pods.length;
  }
  if (c.test !== undefined && !(size > 0)) error = failf(error, "test failed");
  return {
    check: c.name,
    type: "kubernetes",
    endpoint: c.description || kubernetesEndpoint(c),
    pass: error === "",
    invalid: false,
    message: "",
    error,
    durationMs,
  };
}

// --- the `http` check ---

/** The fields of an `http` check this suite plays (api/v1/checks.go `HTTPCheck`). */
export interface HttpCheckSpec {
  readonly name: string;
  readonly url: string;
  readonly description?: string;
  readonly responseCodes?: readonly number[];
  readonly tlsConfig?: {
    readonly ca?: {
      readonly value?: string;
      readonly valueFrom?: {
        readonly configMapKeyRef?: { readonly name: string; readonly key: string };
        readonly secretKeyRef?: { readonly name: string; readonly key: string };
      };
    };
  };
}

const HTTP_FIELDS = new Set(["name", "url", "description", "responseCodes", "tlsConfig"]);

/** Validates an `http` check against what is played; throws NotPlayedError naming the field. */
export function httpCheckSpec(raw: Record<string, unknown>): HttpCheckSpec {
  const name = typeof raw.name === "string" ? raw.name : "";
  for (const k of Object.keys(raw)) {
    if (!HTTP_FIELDS.has(k)) {
      throw new NotPlayedError(
        `http check "${name}": field "${k}" is not played (played: ${[...HTTP_FIELDS].join(", ")})`,
      );
    }
  }
  const tls = (raw.tlsConfig ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(tls)) {
    if (k !== "ca") {
      throw new NotPlayedError(
        `http check "${name}": tlsConfig.${k} is not played (tlsConfig.ca is)`,
      );
    }
  }
  return raw as unknown as HttpCheckSpec;
}

/** What the request gave: a response, or the client's error. */
export type HttpOutcome =
  | { readonly status: number; readonly contentType: string; readonly body: string }
  | { readonly error: string };

/** `HTTPChecker.Check` (checks/http.go) on the outcome of the request. */
export function judgeHttp(c: HttpCheckSpec, outcome: HttpOutcome, durationMs: number): CheckResult {
  let error = "";
  if ("error" in outcome) {
    error = outcome.error;
  } else {
    const codes = c.responseCodes ?? [];
    let bad = false;
    if (/json/i.test(outcome.contentType)) {
      try {
        JSON.parse(outcome.body);
      } catch (e) {
        error = failf(error, `invalid json response: ${(e as Error).message}`);
        bad = true;
      }
    }
    if (!bad) {
      // commons/http `Response.IsOK`: 200..299 without codes, else one of the codes.
      const ok =
        codes.length === 0
          ? outcome.status >= 200 && outcome.status < 300
          : codes.includes(outcome.status);
      if (!ok) {
        error = failf(
          error,
          codes.length === 0
            ? `expected ${outcome.status} to be 200..299`
            : `expected ${outcome.status} to be in [${codes.join(" ")}]`,
        );
      }
    }
  }
  return {
    check: c.name,
    type: "http",
    endpoint: c.description || c.url,
    pass: error === "",
    invalid: false,
    message: "",
    error,
    durationMs,
  };
}

// ---------------------------------------------------------------------------------------------------------
// The Canary's checks, in the order canary-checker runs and reports them.

export type PlayedCheck =
  | { readonly type: "http"; readonly spec: HttpCheckSpec }
  | { readonly type: "kubernetes"; readonly spec: KubernetesCheckSpec };

const CANARY_SPEC_FIELDS = new Set([
  "schedule",
  "interval",
  // The CRD defaults it to 1; 0 suspends the Canary (`isSuspended`).
  "replicas",
  "owner",
  "severity",
  "http",
  "kubernetes",
]);

/**
 * The checks of a Canary spec in `RunChecks` order (`All`: every http check, then every kubernetes check);
 * any other spec field (another check type, `resultMode`, `replicas`, `dependsOn`...) throws NotPlayedError.
 */
export function playedChecks(spec: Record<string, unknown> | undefined): PlayedCheck[] {
  for (const k of Object.keys(spec ?? {})) {
    if (!CANARY_SPEC_FIELDS.has(k)) {
      throw new NotPlayedError(
        `Canary spec field "${k}" is not played (played: ${[...CANARY_SPEC_FIELDS].join(", ")})`,
      );
    }
  }
  const list = (k: string): Record<string, unknown>[] =>
    Array.isArray(spec?.[k]) ? (spec[k] as Record<string, unknown>[]) : [];
  return [
    ...list("http").map((raw) => ({ type: "http" as const, spec: httpCheckSpec(raw) })),
    ...list("kubernetes").map((raw) => ({
      type: "kubernetes" as const,
      spec: kubernetesCheckSpec(raw),
    })),
  ];
}

/**
 * runner.go `IsCanarySuspended`: `spec.replicas: 0` or the annotation `suspend: "true"`; `SyncCanaryJob`
 * unschedules a suspended Canary and `CanaryJob.Run` does nothing for it.
 */
export function isSuspended(canary: {
  metadata: { annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}): boolean {
  return canary.spec?.replicas === 0 || canary.metadata.annotations?.suspend === "true";
}

/** Check name -> id, as `status.checks` holds it (canary-checker's ids are database UUIDs; these are stable). */
export function checkId(namespace: string, name: string, check: string): string {
  const h = createHash("sha256").update(`${namespace}/${name}/${check}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

// ---------------------------------------------------------------------------------------------------------
// Status

/** `metav1.Time` marshals as RFC 3339 in UTC to the second. */
export const metaTime = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** duty types/uptime.go `Uptime.String`. */
export function uptimeString(passed: number, failed: number): string {
  if (passed === 0 && failed === 0) return "";
  if (passed === 0) return `0/${failed} 0%`;
  const pct = 100 * (1 - failed / (passed + failed));
  return `${passed}/${passed + failed} (${pct.toFixed(1)}%)`;
}

/** canary-checker pkg/utils `Age` (k8s `duration.HumanDuration` from one second). */
export function age(ms: number): string {
  const whole = Math.trunc(ms);
  if (whole === 0) return "0ms";
  if (whole < 1000) return `${whole}ms`;
  const seconds = Math.floor(whole / 1000);
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

/**
 * The in-memory history canary-checker keeps per check key (pkg/metrics `Record`: rolling one-hour windows
 * of passes, fails and latencies) and in its database (`db.LatestCheckStatus`, for transitions). Share one
 * between players of the same cluster when a test replaces a player, as canary-checker's database outlives a
 * job.
 */
export class CheckHistory {
  private readonly samples = new Map<string, { t: number; pass?: boolean; latency?: number }[]>();
  private readonly last = new Map<string, boolean>();

  private window(key: string, now: number): { t: number; pass?: boolean; latency?: number }[] {
    const kept = (this.samples.get(key) ?? []).filter((s) => now - s.t < 3600_000);
    this.samples.set(key, kept);
    return kept;
  }

  /** `Record`: appends the result, returns the check's one-hour uptime and p95 latency. */
  record(
    key: string,
    r: CheckResult,
    now: number,
  ): { passed: number; failed: number; p95: number } {
    const w = this.window(key, now);
    if (r.durationMs > 0) w.push({ t: now, latency: r.durationMs });
    if (r.pass) w.push({ t: now, pass: true });
    else if (!r.invalid) w.push({ t: now, pass: false });
    const latencies = w.flatMap((s) => (s.latency === undefined ? [] : [s.latency]));
    let p = percentile(latencies, 95);
    if (p === 0) p = percentile(latencies, 99);
    return {
      passed: w.filter((s) => s.pass === true).length,
      failed: w.filter((s) => s.pass === false).length,
      p95: p,
    };
  }

  /** `db.LatestCheckStatus` compared with this result: true on the first result or a change. */
  transitioned(key: string, pass: boolean): boolean {
    const before = this.last.get(key);
    this.last.set(key, pass);
    return before === undefined || before !== pass;
  }
}

/** asecurityteam/rolling `Percentile` (linear interpolation between closest ranks). */
function percentile(values: readonly number[], perc: number): number {
  if (values.length === 0) return 0;
  const v = [...values].sort((a, b) => a - b);
  const position = v.length * (perc / 100) + 0.5 - 1;
  const k = Math.max(0, Math.floor(position));
  const f = position - Math.floor(position);
  if (f === 0) return v[k]!;
  const plusOne = k + 1 > v.length - 1 ? k : k + 1;
  return (1 - f) * v[k]! + f * v[plusOne]!;
}

/** `CanaryStatusPayload` (pkg/jobs/canary/status.go). */
export interface StatusPayload {
  readonly status: "Passed" | "Failed" | "Invalid";
  readonly checkStatus: Record<string, { uptime1h?: string; lastTransitionedTime?: string }>;
  readonly lastTransitionedTime?: string;
  readonly message: string;
  readonly errorMessage: string;
  readonly uptime: string;
  readonly latency: string;
}

/**
 * `UpdateCanaryStatusAndEvent`: one run's results folded into the payload `Report` writes. `status` is the
 * LAST result's (Passed/Failed, Invalid wins for an invalid one), messages and errors are "first, (N more)".
 * Returns undefined for a run without results (nothing is reported).
 */
export function statusPayload(
  results: readonly CheckResult[],
  ids: Readonly<Record<string, string>>,
  history: CheckHistory,
  now: Date,
): StatusPayload | undefined {
  if (results.length === 0) return undefined;
  const checkStatus: Record<string, { uptime1h?: string; lastTransitionedTime?: string }> = {};
  const messages: string[] = [];
  const errors: string[] = [];
  let status: StatusPayload["status"] = "Passed";
  let lastTransitionedTime: string | undefined;
  let highestLatency = 0;
  let passed = 0;
  let failed = 0;
  for (const r of results) {
    const id = ids[r.check] ?? "";
    const u = history.record(id, r, now.getTime());
    const cs: { uptime1h?: string; lastTransitionedTime?: string } = {};
    const up = uptimeString(u.passed, u.failed);
    if (up !== "") cs.uptime1h = up;
    // `Latency.String()` prints only the p95/p97/p99 fields, which `Record` never sets: always empty.
    passed += u.passed;
    failed += u.failed;
    if (u.p95 > highestLatency) highestLatency = u.p95;
    if (history.transitioned(id, r.pass)) {
      cs.lastTransitionedTime = metaTime(now);
      lastTransitionedTime = metaTime(now);
    }
    checkStatus[id] = cs;
    if (r.message !== "") messages.push(r.message);
    if (r.error !== "") errors.push(r.error);
    status = r.pass ? "Passed" : "Failed";
    if (r.invalid) status = "Invalid";
  }
  const first = (xs: string[]): string =>
    xs.length === 0 ? "" : xs.length === 1 ? xs[0]! : `${xs[0]!}, (${xs.length - 1} more)`;
  return {
    status,
    checkStatus,
    ...(lastTransitionedTime ? { lastTransitionedTime } : {}),
    message: first(messages),
    errorMessage: first(errors),
    uptime: uptimeString(passed, failed),
    latency: age(highestLatency),
  };
}

/** pkg/api.go `ellipsis` with `TruncateMessage` (4 KiB) and `TruncateError` (128 KiB). */
function ellipsis(s: string, length: number): string {
  if (length <= 3 || s.length <= length) return s;
  return `${s
    .trim()
    .slice(0, length - 3)
    .trim()}...`;
}

/**
 * `Report` (canary_controller.go): the status after the payload is applied to the Canary's current status
 * (what goes into `client.MergeFrom`). `reportedAt` becomes `lastCheck`.
 */
export function reportedStatus(
  current: Record<string, unknown> | undefined,
  p: StatusPayload,
  reportedAt: Date,
): Record<string, unknown> {
  const s: Record<string, unknown> = { ...(current ?? {}) };
  if (p.latency !== "") s.latency1h = p.latency;
  else delete s.latency1h;
  if (p.uptime !== "") s.uptime1h = p.uptime;
  else delete s.uptime1h;
  if (p.lastTransitionedTime) s.lastTransitionedTime = p.lastTransitionedTime;
  if (p.message !== "") s.message = ellipsis(p.message, 4 * 1024);
  else delete s.message;
  if (p.errorMessage !== "") s.errorMessage = ellipsis(p.errorMessage, 128 * 1024);
  else delete s.errorMessage;
  s.lastCheck = metaTime(reportedAt);
  s.checkStatus = p.checkStatus;
  s.status = p.status;
  return s;
}

/**
 * RFC 7386 merge patch from `original` to `modified`, as evanphx/json-patch `CreateMergePatch` (what
 * controller-runtime's `client.MergeFrom` sends): removed keys become null, objects recurse, anything else
 * (arrays included) is replaced whole.
 */
export function mergePatch(original: unknown, modified: unknown): unknown {
  const isObj = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObj(original) || !isObj(modified)) return modified;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(original)) if (!(k in modified)) out[k] = null;
  for (const [k, v] of Object.entries(modified)) {
    const o = original[k];
    if (!(k in original)) out[k] = v;
    else if (isObj(o) && isObj(v)) {
      const d = mergePatch(o, v) as Record<string, unknown>;
      if (Object.keys(d).length > 0) out[k] = d;
    } else if (JSON.stringify(o) !== JSON.stringify(v)) out[k] = v;
  }
  return out;
}
