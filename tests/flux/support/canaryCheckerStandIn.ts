/**
 * SUPERSEDED by canaryChecker.ts (issue 19 item 3: canary-checker played from its own rules, checks that really
 * run instead of the verdicts below); kept only until tests/flux/pipeline.test.ts switches over, then deleted.
 *
 * STAND-IN for canary-checker's controller, which cannot run here (its operator refuses to start without a
 * PostgreSQL connection, and its checks would probe pods that no kubelet runs). It writes to a Canary exactly
 * what canary-checker v1.2.0 writes, with the same kinds of requests, under canary-checker's field manager:
 *
 * - `CanaryReconciler.reconcile` (pkg/controllers/canary_controller.go): adds the finalizer
 *   `canary.canaries.flanksource.com` with an Update of the object, then a merge patch of the status
 *   subresource setting `checks` (check name -> id) and `observedGeneration = metadata.generation`, on every
 *   reconcile, before and independently of any run;
 * - `CanaryReconciler.Report` (same file), fed by `UpdateCanaryStatusAndEvent` (pkg/jobs/canary/status.go),
 *   after each run: a merge patch of the status subresource with `lastCheck = now`, `status` = the LAST
 *   result's (Passed/Failed/Invalid), `message` and `errorMessage` (first one, then ", (N more)") or cleared,
 *   `checkStatus` keyed by check id, `uptime1h`, `latency1h`, and `lastTransitionedTime` when a check changed.
 *
 * The verdict of each run is the test's: `verdict(canary)` returns one result per check. Runs happen every
 * `everyMs` (the real Canary's schedule is `@every 60s`; the suite runs faster, which only shortens waits),
 * and an annotation-only change of the Canary does not reschedule them (`SyncCanaryJob` compares specs).
 */
import { createHash } from "node:crypto";
import type { Kube, KubeObject } from "./kube";

export const CANARY_CHECKER_MANAGER = "canary-checker";
const FINALIZER = "canary.canaries.flanksource.com";
const API = "canaries.flanksource.com/v1";

export interface CheckResult {
  readonly check: string;
  readonly pass: boolean;
  readonly message?: string;
  /** Every failing result carries an error (`CheckResult.Failf`). */
  readonly error?: string;
}

export type Verdict = (canary: KubeObject) => CheckResult[];

/** The check names of a Canary spec, in canary-checker's order of check types as the spec lists them. */
export function checkNames(canary: KubeObject): string[] {
  const names: string[] = [];
  for (const [type, v] of Object.entries(canary.spec ?? {})) {
    if (!Array.isArray(v)) continue;
    if (["env", "owner", "severity", "icon", "labels"].includes(type)) continue;
    for (const c of v as { name?: unknown }[]) if (typeof c?.name === "string") names.push(c.name);
  }
  return names;
}

const checkId = (ns: string, name: string, check: string): string => {
  const h = createHash("sha256").update(`${ns}/${name}/${check}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

/** metav1.Time marshals with second precision. */
const metaTime = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");

export class CanaryCheckerStandIn {
  private timer: NodeJS.Timeout | undefined;
  private lastRun = 0;
  private busy = false;
  /** Pass/fail per check id at the previous run, for `lastTransitionedTime`. */
  private readonly previous = new Map<string, boolean>();
  /** Every run, for the test's assertions: when it reported and what. */
  readonly runs: { at: Date; status: string; version: string | undefined }[] = [];
  stopped = false;

  constructor(
    private readonly kube: Kube,
    private readonly namespace: string,
    private readonly name: string,
    public verdict: Verdict,
    private readonly everyMs = 5000,
  ) {}

  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      if (!this.busy) {
        this.busy = true;
        this.step()
          .catch(() => undefined)
          .finally(() => (this.busy = false));
      }
      this.timer = setTimeout(tick, 250);
    };
    tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async step(): Promise<void> {
    const c = await this.kube.get(API, "Canary", this.namespace, this.name);
    if (!c) return;
    await this.reconcile(c);
    if (Date.now() - this.lastRun >= this.everyMs) {
      this.lastRun = Date.now();
      await this.report(c, this.verdict(c));
    }
  }

  /** `reconcile`: finalizer, then checks and observedGeneration, whenever the generation moved. */
  private async reconcile(c: KubeObject): Promise<void> {
    const finalizers = (c.metadata.finalizers ?? []) as string[];
    if (!finalizers.includes(FINALIZER)) {
      const updated = { ...c, metadata: { ...c.metadata, finalizers: [...finalizers, FINALIZER] } };
      delete (updated as Partial<KubeObject>).status;
      await this.kube.json(
        "PUT",
        `/apis/${API}/namespaces/${this.namespace}/canaries/${this.name}?fieldManager=${CANARY_CHECKER_MANAGER}`,
        updated,
      );
    }
    if (c.status?.observedGeneration === c.metadata.generation) return;
    const checks = Object.fromEntries(
      checkNames(c).map((n) => [n, checkId(this.namespace, this.name, n)]),
    );
    await this.kube.mergePatch(
      API,
      "Canary",
      this.namespace,
      this.name,
      { status: { checks, observedGeneration: c.metadata.generation } },
      CANARY_CHECKER_MANAGER,
      "status",
    );
  }

  /** `UpdateCanaryStatusAndEvent` + `Report`: one run's results written to the status. */
  async report(c: KubeObject, results: CheckResult[]): Promise<void> {
    if (results.length === 0) return;
    const now = new Date();
    const checkStatus: Record<string, Record<string, string>> = {};
    const messages: string[] = [];
    const errors: string[] = [];
    let status = "";
    let transitioned = false;
    for (const r of results) {
      const id = checkId(this.namespace, this.name, r.check);
      checkStatus[id] = { uptime1h: r.pass ? "1/0 (100%)" : "0/1 (0%)", latency1h: "12ms" };
      if (this.previous.get(id) !== r.pass) {
        checkStatus[id].lastTransitionedTime = metaTime(now);
        transitioned = true;
      }
      this.previous.set(id, r.pass);
      if (r.message) messages.push(r.message);
      if (r.error) errors.push(r.error);
      status = r.pass ? "Passed" : "Failed";
    }
    const first = (xs: string[]): string | null =>
      xs.length === 0 ? null : xs.length === 1 ? xs[0]! : `${xs[0]!}, (${xs.length - 1} more)`;
    await this.kube.mergePatch(
      API,
      "Canary",
      this.namespace,
      this.name,
      {
        status: {
          latency1h: "12ms",
          uptime1h: `${results.filter((r) => r.pass).length}/${results.filter((r) => !r.pass).length}`,
          ...(transitioned ? { lastTransitionedTime: metaTime(now) } : {}),
          message: first(messages),
          errorMessage: first(errors),
          lastCheck: metaTime(now),
          checkStatus,
          status,
        },
      },
      CANARY_CHECKER_MANAGER,
      "status",
    );
    this.runs.push({
      at: now,
      status,
      version: c.metadata.annotations?.["promotion-pipeline.io/version"],
    });
  }
}

/** All checks pass. */
export const allPass: Verdict = (c) =>
  checkNames(c).map((check) => ({ check, pass: true, message: "ok" }));

/** `failing` fails (with an error, as canary-checker's failures always carry one), the others pass. */
export const failing =
  (failingCheck: string): Verdict =>
  (c) =>
    checkNames(c).map((check) =>
      check === failingCheck
        ? { check, pass: false, error: `${check}: expected at least one healthy pod, found 0` }
        : { check, pass: true, message: "ok" },
    );
