/**
 * canary-checker, PLAYED. canary-checker v1.2.0 cannot run here: it cannot be built (github.com/flanksource/
 * duty and github.com/flanksource/is-healthy are refused by the Go module proxy) and its operator needs
 * PostgreSQL. This player does its part from its own rules (tests/flux/support/canaryCheckerRules.ts names
 * the source file and function of each), never from verdicts a test scripts:
 *
 * - it watches one Canary (polling, every `pollMs`) and reconciles it as `CanaryReconciler.reconcile` does:
 *   the finalizer `canary.canaries.flanksource.com` by an Update, then a merge patch of the status
 *   subresource with `checks` (name -> id), `replicas` (= `spec.replicas`, which the CRD defaults to 1) and
 *   `observedGeneration`, before and independently of any run; `replicas: 0` or `suspend: "true"` suspends;
 * - it schedules the Canary's checks as `SyncCanaryJob`/`newCanaryJob` do: on `spec.schedule` (else
 *   `@every <interval>s`; neither: never), robfig/cron semantics, the first run at once (`RunNow`), each run
 *   after duty's jitter (0-9% of the time to the next activation), one run at a time (`Singleton`), none within
 *   10 s of the previous one (`MinimumTimeBetweenCanaryRuns`); a changed spec reschedules (and runs at once),
 *   a changed annotation does not, and a job keeps the spec it was scheduled with;
 * - it RUNS the checks: `http` (a real HTTPS request; the CA from the ConfigMap/Secret the check names, in
 *   the Canary's namespace, e.g. `kube-root-ca.crt`; no token is sent) and `kubernetes` (a real list of the
 *   Pods the check selects, judged by is-healthy's Pod rules, `ready`/`healthy`, and the program's CEL test
 *   "at least one pod");
 * - it writes each run's status as `UpdateCanaryStatusAndEvent` + `Report` do: a merge patch (computed like
 *   `client.MergeFrom`) of the status subresource under the field manager `canary-checker`, `lastCheck` =
 *   the REPORT time (RFC 3339, to the second), `status` = the LAST result's, `errorMessage`/`message` set or
 *   removed, `checkStatus` keyed by check id; and it records canary-checker's metrics (canaryCheckerMetrics.ts).
 *
 * The host mapping (the one liberty, stated): canary-checker runs in a Pod, where `kubernetes.default.svc`
 * resolves to the `kubernetes` Service and port 443 reaches the API server. Here the API server listens on
 * 127.0.0.1:<port>, so `hosts` maps a URL's `host:port` to the address to connect to, e.g.
 * `{"kubernetes.default.svc:443": "127.0.0.1:6443"}`. Only the TCP destination changes: TLS still verifies
 * the certificate for the URL's host name against the CA of the check (so the API server's serving
 * certificate must carry `kubernetes.default.svc`, as a real one does: KUBE_APISERVER_SANS), and the Host
 * header is the URL's. Unmapped hosts are connected to as they are.
 *
 * Timing is observable: each run records `startedAt` (after the jitter, when the checks begin), `reportedAt`
 * (the `lastCheck` it wrote) and the version stamp of the Canary at both moments. `checkDelayMs` makes every
 * check of the following runs slow (it answers after the delay, with what it saw before it), so a test can show
 * a run that starts before an apply and reports after it.
 *
 * Not played: Kubernetes Events of failed checks (`Report` records them; nothing in the pipeline reads them),
 * the `next-runtime` annotation (`runOnce` triggers a run directly), check types other than http and
 * kubernetes, and the fields each check type lists as played (others throw NotPlayedError).
 */
import { request } from "node:https";
import {
  canarySchedule,
  checkId,
  CheckHistory,
  isSuspended,
  jitterMs,
  judgeHttp,
  judgeKubernetes,
  mergePatch,
  MINIMUM_TIME_BETWEEN_RUNS_MS,
  NotPlayedError,
  playedChecks,
  reportedStatus,
  statusPayload,
  type CheckResult,
  type HttpCheckSpec,
  type HttpOutcome,
  type KubernetesCheckSpec,
  type PlayedCheck,
  type PodLike,
  type Schedule,
} from "./canaryCheckerRules";
import { CanaryCheckerMetrics } from "./canaryCheckerMetrics";
import { Kube, KubeError, type KubeObject } from "./kube";

export const CANARY_CHECKER_MANAGER = "canary-checker";
export const CANARY_FINALIZER = "canary.canaries.flanksource.com";
const API = "canaries.flanksource.com/v1";
const VERSION_ANNOTATION = "promotion-pipeline.io/version";
/** canary-checker's User-Agent (`"canary-checker/" + runner.Version`). */
const USER_AGENT = "canary-checker/v1.2.0";

/** Subject alternative names of a real kube-apiserver serving certificate (the `kubernetes` Service's names). */
export const KUBE_APISERVER_SANS: readonly string[] = [
  "DNS:kubernetes",
  "DNS:kubernetes.default",
  "DNS:kubernetes.default.svc",
  "DNS:kubernetes.default.svc.cluster.local",
  "IP:10.96.0.1",
];

export interface CanaryCheckerOptions {
  /** The cluster (the admin client stands in for canary-checker's service account). */
  readonly kube: Kube;
  readonly namespace: string;
  readonly name: string;
  /** URL `host:port` -> `127.0.0.1:<port>` to connect to (see the module comment). */
  readonly hosts?: Readonly<Record<string, string>>;
  /** Where the results are recorded (one per cluster, like one canary-checker process). */
  readonly metrics?: CanaryCheckerMetrics;
  /** canary-checker's memory and database of past results (share it when a player replaces another). */
  readonly history?: CheckHistory;
  /** The jitter's random source (default Math.random). */
  readonly random?: () => number;
  /** How often the Canary is read (the controller's watch), default 500 ms. */
  readonly pollMs?: number;
  /** Called with every Canary object a status write returned (e.g. a CRD schema check). */
  readonly onWrite?: (written: KubeObject, what: "reconcile" | "report") => void;
}

/** One run, for assertions. */
export interface CanaryRun {
  /** When the checks began (after the jitter). */
  readonly startedAt: Date;
  /** When `Report` wrote the status (`lastCheck`, truncated to the second there). */
  reportedAt?: Date;
  readonly results: CheckResult[];
  status?: string;
  errorMessage?: string;
  /** The Canary's version stamp annotation when the run started / when it reported. */
  readonly versionAtStart: string | undefined;
  version?: string | undefined;
}

interface Job {
  readonly specKey: string;
  readonly spec: Record<string, unknown>;
  readonly schedule: Schedule;
  next: Date | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** Stable JSON of a spec (Go's `reflect.DeepEqual` on `Canary.Spec`). */
function stableKey(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableKey).join(",")}]`;
  if (typeof v === "object" && v !== null) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableKey((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class CanaryChecker {
  readonly kube: Kube;
  readonly namespace: string;
  readonly name: string;
  readonly metrics: CanaryCheckerMetrics;
  readonly history: CheckHistory;
  /** Every run that reported, in order. */
  readonly runs: CanaryRun[] = [];
  /** When each run began its checks (reported or not yet), in order. */
  readonly starts: Date[] = [];
  /** Runs that did not happen, and why (singleton lock, minimum time between runs). */
  readonly skipped: { at: Date; why: string }[] = [];
  /** Errors of the loop (API errors, NotPlayedError); a test asserts there are none. */
  readonly errors: Error[] = [];
  /** Test knob: every check of the runs that start from now on answers this much later. */
  checkDelayMs = 0;

  private readonly hosts: Readonly<Record<string, string>>;
  private readonly random: () => number;
  private readonly pollMs: number;
  private readonly onWrite: CanaryCheckerOptions["onWrite"];
  private poller: NodeJS.Timeout | undefined;
  private job: Job | undefined;
  private running: Promise<void> | undefined;
  private lastRunEnd: number | undefined;
  private runsEnabled = true;
  private stopped = true;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(o: CanaryCheckerOptions) {
    this.kube = o.kube;
    this.namespace = o.namespace;
    this.name = o.name;
    this.hosts = o.hosts ?? {};
    this.metrics = o.metrics ?? new CanaryCheckerMetrics();
    this.history = o.history ?? new CheckHistory();
    this.random = o.random ?? Math.random;
    this.pollMs = o.pollMs ?? 500;
    this.onWrite = o.onWrite;
  }

  /**
   * Starts watching and reconciling the Canary; with `runs: false` it only reconciles (finalizer, checks,
   * observedGeneration), as canary-checker does between runs.
   */
  start(o: { runs?: boolean } = {}): void {
    this.runsEnabled = o.runs ?? true;
    this.stopped = false;
    const tick = (): void => {
      if (this.stopped) return;
      void this.track(
        this.step()
          .catch((e: unknown) => this.fail(e))
          .finally(() => {
            if (!this.stopped) this.poller = setTimeout(tick, this.pollMs);
          }),
      );
    };
    tick();
  }

  /** Stops watching and scheduling; waits for a run in progress to report. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poller) clearTimeout(this.poller);
    this.unschedule();
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /**
   * One run now with the Canary's current spec, as a triggered run (`TriggerAt`, the `next-runtime`
   * annotation) would, without the jitter; still subject to the singleton lock and to the 10 s minimum
   * between runs (`CanaryJob.Run`). Resolves with the run, or undefined when it was skipped (see `skipped`).
   */
  async runOnce(): Promise<CanaryRun | undefined> {
    const c = await this.kube.mustGet(API, "Canary", this.namespace, this.name);
    const before = this.runs.length;
    await this.execute(c.spec ?? {});
    return this.runs.length > before ? this.runs[this.runs.length - 1] : undefined;
  }

  /** Waits for a run (already reported or future) that satisfies `pred`. */
  async waitForRun(
    what: string,
    pred: (r: CanaryRun, i: number) => boolean,
    timeoutMs: number,
  ): Promise<CanaryRun> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.assertHealthy();
      const i = this.runs.findIndex((r, j) => r.reportedAt !== undefined && pred(r, j));
      if (i >= 0) return this.runs[i]!;
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for a canary run: ${what}; runs: ${JSON.stringify(
            this.runs.map((r) => ({
              startedAt: r.startedAt,
              reportedAt: r.reportedAt,
              status: r.status,
              errorMessage: r.errorMessage,
            })),
          )}`,
        );
      }
      await sleep(200);
    }
  }

  /** Throws the first error of the loop (an API error, a NotPlayedError). */
  assertHealthy(): void {
    if (this.errors.length > 0) throw this.errors[0]!;
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p)).catch(() => undefined);
    return p;
  }

  private fail(e: unknown): void {
    this.errors.push(e instanceof Error ? e : new Error(String(e)));
  }

  private async step(): Promise<void> {
    const c = await this.kube.get(API, "Canary", this.namespace, this.name);
    if (!c) {
      this.unschedule();
      return;
    }
    if (c.metadata.deletionTimestamp) {
      // `reconcile`: unschedule, then remove the finalizer.
      this.unschedule();
      const fin = ((c.metadata.finalizers ?? []) as string[]).filter((f) => f !== CANARY_FINALIZER);
      if (fin.length !== ((c.metadata.finalizers ?? []) as string[]).length) {
        await this.update({ ...c, metadata: { ...c.metadata, finalizers: fin } });
      }
      return;
    }
    await this.reconcile(c);
    if (this.runsEnabled) this.sync(c);
  }

  private async update(c: KubeObject): Promise<KubeObject> {
    const body = { ...c };
    delete (body as Partial<KubeObject>).status;
    return this.kube.json<KubeObject>(
      "PUT",
      `${Kube.pathOf(API, "Canary", this.namespace, this.name)}?fieldManager=${CANARY_CHECKER_MANAGER}`,
      body,
    );
  }

  /** `CanaryReconciler.reconcile`: finalizer by Update, then checks and observedGeneration by a status patch. */
  private async reconcile(c: KubeObject): Promise<void> {
    const finalizers = (c.metadata.finalizers ?? []) as string[];
    if (!finalizers.includes(CANARY_FINALIZER)) {
      c = await this.update({
        ...c,
        metadata: { ...c.metadata, finalizers: [...finalizers, CANARY_FINALIZER] },
      });
    }
    const checks = Object.fromEntries(
      playedChecks(c.spec).map((k) => [
        k.spec.name,
        checkId(this.namespace, this.name, k.spec.name),
      ]),
    );
    const current = c.status ?? {};
    // `Status.Replicas` follows `spec.replicas` (the CRD defaults it to 1).
    const replicas = typeof c.spec?.replicas === "number" ? { replicas: c.spec.replicas } : {};
    const desired = { ...current, ...replicas, checks, observedGeneration: c.metadata.generation };
    const patch = mergePatch(current, desired) as Record<string, unknown>;
    if (Object.keys(patch).length === 0) return;
    const written = await this.kube.mergePatch(
      API,
      "Canary",
      this.namespace,
      this.name,
      { status: patch },
      CANARY_CHECKER_MANAGER,
      "status",
    );
    this.onWrite?.(written, "reconcile");
  }

  /** `SyncCanaryJob`: (re)schedule when there is no job or the spec changed; unschedule without a schedule. */
  private sync(c: KubeObject): void {
    const spec = c.spec ?? {};
    if (isSuspended(c)) {
      this.unschedule();
      return;
    }
    const key = stableKey(spec);
    if (this.job?.specKey === key) return;
    this.unschedule();
    const schedule = canarySchedule(spec);
    if (!schedule) return;
    playedChecks(spec); // NotPlayedError before anything is scheduled
    const job: Job = { specKey: key, spec, schedule, next: undefined, timer: undefined };
    this.job = job;
    this.arm(job, new Date());
    // `RunNow`: the first run at once (after the jitter), beside the cron entry.
    this.fire(job);
  }

  private unschedule(): void {
    if (this.job?.timer) clearTimeout(this.job.timer);
    this.job = undefined;
  }

  /** robfig/cron: the entry's next activation from `now`, and a timer for it. */
  private arm(job: Job, now: Date): void {
    job.next = job.schedule.next(now);
    if (!job.next || this.stopped) return;
    job.timer = setTimeout(
      () => {
        if (this.job !== job || this.stopped) return;
        this.arm(job, new Date());
        this.fire(job);
      },
      Math.max(0, job.next.getTime() - Date.now()),
    );
  }

  /** duty `Job.Run`: the jitter, then the run. */
  private fire(job: Job): void {
    const jitter = jitterMs(job.schedule, new Date(), this.random);
    void this.track(
      (async () => {
        await sleep(jitter);
        if (this.job !== job || this.stopped) return;
        await this.execute(job.spec);
      })().catch((e: unknown) => this.fail(e)),
    );
  }

  /** The singleton lock and `CanaryJob.Run`'s minimum time between runs, then the run. */
  private async execute(spec: Record<string, unknown>): Promise<void> {
    if (this.running) {
      this.skipped.push({ at: new Date(), why: "job already running, skipping" });
      return;
    }
    if (
      this.lastRunEnd !== undefined &&
      Date.now() - this.lastRunEnd < MINIMUM_TIME_BETWEEN_RUNS_MS
    ) {
      this.skipped.push({
        at: new Date(),
        why: `skipping since it last ran ${((Date.now() - this.lastRunEnd) / 1000).toFixed(2)} seconds ago`,
      });
      return;
    }
    const p = this.run(spec);
    this.running = p;
    try {
      await p;
    } finally {
      this.running = undefined;
      this.lastRunEnd = Date.now();
    }
  }

  private async run(spec: Record<string, unknown>): Promise<void> {
    const startedAt = new Date();
    const delay = this.checkDelayMs;
    const atStart = await this.kube.get(API, "Canary", this.namespace, this.name);
    this.starts.push(startedAt);
    const results: CheckResult[] = [];
    for (const check of playedChecks(spec)) results.push(await this.runCheck(check, spec, delay));
    const run: CanaryRun = {
      startedAt,
      results,
      versionAtStart: atStart?.metadata.annotations?.[VERSION_ANNOTATION],
    };
    // `UpdateCanaryStatusAndEvent`: metrics.Record per result, then the payload for `Report`.
    const ids = Object.fromEntries(
      results.map((r) => [r.check, checkId(this.namespace, this.name, r.check)]),
    );
    for (const r of results) {
      this.metrics.record(
        {
          canaryName: this.name,
          canaryNamespace: this.namespace,
          owner: typeof spec.owner === "string" ? spec.owner : "",
          severity: typeof spec.severity === "string" ? spec.severity : "",
          key: ids[r.check]!,
        },
        r,
      );
    }
    const payload = statusPayload(results, ids, this.history, new Date());
    if (!payload) return;
    // `Report`: get the Canary, apply the payload, patch the status with the difference.
    const c = await this.kube.get(API, "Canary", this.namespace, this.name);
    if (!c) return;
    const reportedAt = new Date();
    const next = reportedStatus(c.status, payload, reportedAt);
    const written = await this.kube.mergePatch(
      API,
      "Canary",
      this.namespace,
      this.name,
      { status: mergePatch(c.status ?? {}, next) },
      CANARY_CHECKER_MANAGER,
      "status",
    );
    this.onWrite?.(written, "report");
    run.reportedAt = reportedAt;
    run.status = payload.status;
    run.errorMessage = payload.errorMessage;
    run.version = c.metadata.annotations?.[VERSION_ANNOTATION];
    this.runs.push(run);
  }

  private async runCheck(
    check: PlayedCheck,
    spec: Record<string, unknown>,
    delayMs: number,
  ): Promise<CheckResult> {
    const t0 = Date.now();
    switch (check.type) {
      case "http": {
        const outcome = await this.httpOutcome(check.spec);
        await sleep(delayMs);
        return judgeHttp(check.spec, outcome, Date.now() - t0);
      }
      case "kubernetes": {
        const found = await this.listPods(check.spec);
        await sleep(delayMs);
        return judgeKubernetes(check.spec, found, new Date(), Date.now() - t0);
      }
      default: {
        const never: never = check;
        throw new NotPlayedError(`check ${JSON.stringify(never)} in ${JSON.stringify(spec)}`);
      }
    }
  }

  /** The CA of an http check: `tlsConfig.ca` (value, or a ConfigMap/Secret key in the Canary's namespace). */
  private async caOf(c: HttpCheckSpec): Promise<string | undefined> {
    const ca = c.tlsConfig?.ca;
    if (!ca) return undefined;
    if (ca.value !== undefined) return ca.value;
    // Either reference, read as canary-checker's connection hydration does (a Secret's data is base64).
    const refs = [
      { kind: "ConfigMap", ref: ca.valueFrom?.configMapKeyRef, decode: (v: string) => v },
      {
        kind: "Secret",
        ref: ca.valueFrom?.secretKeyRef,
        decode: (v: string) => Buffer.from(v, "base64").toString("utf8"),
      },
    ];
    for (const { kind, ref, decode } of refs) {
      if (!ref) continue;
      const o = await this.kube.get("v1", kind, this.namespace, ref.name);
      const v = (o?.data as Record<string, string> | undefined)?.[ref.key];
      if (v === undefined) {
        throw new Error(
          `hydrate connection: could not get ${ref.key} from ${kind.toLowerCase()} ${this.namespace}/${ref.name}`,
        );
      }
      return decode(v);
    }
    throw new NotPlayedError(`http check "${c.name}": tlsConfig.ca ${JSON.stringify(ca)}`);
  }

  /** GET the URL (no token), with the mapped destination and the check's CA. */
  private async httpOutcome(c: HttpCheckSpec): Promise<HttpOutcome> {
    let ca: string | undefined;
    try {
      ca = await this.caOf(c);
    } catch (e) {
      if (e instanceof NotPlayedError) throw e;
      return { error: (e as Error).message };
    }
    const url = new URL(c.url);
    const port = url.port || (url.protocol === "https:" ? "443" : "80");
    if (url.protocol !== "https:") {
      throw new NotPlayedError(`http check "${c.name}": only https URLs are played (${c.url})`);
    }
    const mapped = this.hosts[`${url.hostname}:${port}`];
    const [host, mappedPort] = mapped ? mapped.split(":") : [url.hostname, port];
    return new Promise((resolve) => {
      const req = request(
        {
          host,
          port: Number(mappedPort),
          path: `${url.pathname}${url.search}`,
          method: "GET",
          servername: url.hostname,
          ...(ca !== undefined ? { ca } : {}),
          headers: { host: url.host, "user-agent": USER_AGENT },
          timeout: 30_000,
        },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (d: string) => (body += d));
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              contentType: String(res.headers["content-type"] ?? ""),
              body,
            }),
          );
        },
      );
      // Go's *url.Error: `Get "<url>": <cause>`.
      req.on("error", (e) => resolve({ error: `Get "${c.url}": ${e.message}` }));
      req.on("timeout", () => req.destroy(new Error("context deadline exceeded")));
      req.end();
    });
  }

  /** duty `QueryResources`: Pods of the selected namespace (the Canary's without a selector), by label. */
  private async listPods(c: KubernetesCheckSpec): Promise<{ pods: PodLike[] } | { error: string }> {
    const ns = c.namespaceSelector?.name || this.namespace;
    const sel = c.resource?.labelSelector ?? "";
    const q = sel ? `?labelSelector=${encodeURIComponent(sel)}` : "";
    try {
      const list = await this.kube.json<{ items: PodLike[] }>(
        "GET",
        `/api/v1/namespaces/${ns}/pods${q}`,
      );
      return { pods: list.items.map((p) => ({ ...p, kind: "Pod" })) };
    } catch (e) {
      const msg = e instanceof KubeError ? e.message : String(e);
      return {
        error: `failed to get resources (namespace=${ns} types=Pod labelSelector=${sel}): ${msg}`,
      };
    }
  }
}
