/**
 * canary-checker PLAYED (tests/flux/support/canaryChecker.ts) against a real etcd + kube-apiserver
 * (tests/flux/support/clusters.ts) and a real Prometheus (Debian's), with the Canary and the PrometheusRule the
 * program renders (lib/k8s/canary.ts): its checks really run (an HTTPS GET of the API server's /healthz
 * verified with the CA of `kube-root-ca.crt`, a list of the flux-system Pods judged by is-healthy's rules and
 * the "at least one pod" test), on the Canary's own `@every 60s` schedule, and its status writes and metrics
 * follow. Nothing scripts a verdict: a check fails because a Pod is not Ready, or because there is none.
 *
 * No kubelet runs here: the test creates the Pods and patches their status as a kubelet (or kwok) would. No
 * kube-controller-manager runs either, so the test publishes `kube-root-ca.crt` in the Canary's namespace as
 * its root-ca-cert-publisher would (the cluster CA) and the `default` ServiceAccount of flux-system as its
 * serviceaccounts controller would, unless they are already there.
 *
 * `CanaryCheckFailure` keeps its real `for: 2m` (the whole file takes about 4-5 minutes).
 *
 * Logs and state: kept in the printed directory when a test fails (PROMOTION_KEEP_FLUX=1 keeps them always).
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  canaryAlertRules,
  FLUX_PODS_CHECK,
  KUBERNETES_API_CHECK,
  platformCanary,
  stampVersion,
  CANARY_NAME,
  CANARY_NAMESPACE,
} from "../../lib/k8s/canary";
import { newAuthority, servingCert, serviceAccountKeys } from "../support/pki";
import {
  CANARY_CHECKER_MANAGER,
  CANARY_FINALIZER,
  CanaryChecker,
  KUBE_APISERVER_SANS,
  type CanaryRun,
} from "./support/canaryChecker";
import { checkId, metaTime } from "./support/canaryCheckerRules";
import { canaryCrd, canaryValidator } from "./support/canaryCrd";
import { CLUSTERS_ROOT, Cluster, Etcd, FLUX_NAMESPACE } from "./support/clusters";
import { waitFor, type KubeObject } from "./support/kube";
import { ProcessGroup } from "./support/processes";
import { Prometheus, type PrometheusAlert } from "./support/prometheus";
import { prometheusRuleFile } from "./support/prometheusRuleFile";

const API = "canaries.flanksource.com/v1";
const TEST_MANAGER = "promotion-pipeline-test";
/** Stands in for kustomize-controller's apply of the Canary (the gate measures freshness from its time). */
const APPLY_MANAGER = "kustomize-controller";
const SCHEDULE_MS = 60_000;
/** duty's jitter: up to 9% of the interval; plus a little for the API round trips. */
const JITTER_MS = 5_400 + 1_500;
const POD_LABELS = { "app.kubernetes.io/part-of": "flux" };
const asKube = (o: unknown): KubeObject => o as KubeObject;
const PODS = ["source-controller-7d9c8b6f5-x2x7q", "kustomize-controller-5f6d8c7b9-qw4rt"];

describe("canary-checker PLAYED from its own rules (real etcd + kube-apiserver, real Prometheus; not canary-checker itself: it cannot be built here)", function () {
  this.timeout(20 * 60_000);
  let work: string;
  let procs: ProcessGroup;
  let cluster: Cluster;
  let player: CanaryChecker;
  let prometheus: Prometheus;
  let failed = false;
  let caPublishedByTest = false;
  const writes: { what: string; errors: string[]; status: unknown }[] = [];

  const pods = (): string => `/api/v1/namespaces/${FLUX_NAMESPACE}/pods`;
  const canaryNow = (): Promise<KubeObject> =>
    cluster.kube.mustGet(API, "Canary", CANARY_NAMESPACE, CANARY_NAME);

  /** What a kubelet (or kwok) writes for a Running Pod, Ready or not. */
  function podStatus(ready: boolean): Record<string, unknown> {
    const now = metaTime(new Date());
    const cond = (type: string, ok: boolean): Record<string, unknown> => ({
      type,
      status: ok ? "True" : "False",
      lastTransitionTime: now,
      ...(ok
        ? {}
        : { reason: "ContainersNotReady", message: "containers with unready status: [manager]" }),
    });
    return {
      phase: "Running",
      startTime: now,
      conditions: [
        cond("PodReadyToStartContainers", true),
        cond("Initialized", true),
        cond("Ready", ready),
        cond("ContainersReady", ready),
        cond("PodScheduled", true),
      ],
      containerStatuses: [
        {
          name: "manager",
          image: "ghcr.io/fluxcd/controller:v1.9.3",
          imageID: "",
          ready,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: now } },
        },
      ],
    };
  }

  async function setPodReady(name: string, ready: boolean): Promise<void> {
    await cluster.kube.json(
      "PATCH",
      `${pods()}/${name}/status?fieldManager=kubelet`,
      { status: podStatus(ready) },
      "application/merge-patch+json",
    );
  }

  async function createPods(): Promise<void> {
    for (const name of PODS) {
      await cluster.kube.json("POST", pods(), {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: FLUX_NAMESPACE, labels: POD_LABELS },
        spec: {
          nodeName: "kwok-node-0",
          containers: [{ name: "manager", image: "ghcr.io/fluxcd/controller:v1.9.3" }],
        },
      });
      await setPodReady(name, true);
    }
  }

  const runAfter = (n: number, what: string, timeoutMs: number): Promise<CanaryRun> =>
    player.waitForRun(what, (_r, i) => i >= n, timeoutMs);

  /** A ConfigMap `name` in the Canary's namespace with `ca.crt`, as kube-root-ca.crt carries it. */
  async function publishCA(name: string, caPem: string): Promise<void> {
    await cluster.kube.apply(
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name, namespace: CANARY_NAMESPACE },
        data: { "ca.crt": caPem },
      },
      TEST_MANAGER,
    );
  }

  /** Asserts a run's results ([check, pass, error], the http check passing) and returns the Canary after it. */
  async function canaryAfter(
    run: CanaryRun,
    fluxPods: [pass: boolean, error: string],
  ): Promise<KubeObject> {
    assert.deepEqual(
      run.results.map((r) => [r.check, r.pass, r.error]),
      [
        [KUBERNETES_API_CHECK, true, ""],
        [FLUX_PODS_CHECK, ...fluxPods],
      ],
    );
    return canaryNow();
  }

  async function alert(state?: "pending" | "firing"): Promise<PrometheusAlert | undefined> {
    return (await prometheus.alerts()).find(
      (a) =>
        a.labels.alertname === "CanaryCheckFailure" &&
        a.labels.name === FLUX_PODS_CHECK &&
        (state === undefined || a.state === state),
    );
  }

  before(async function () {
    this.timeout(5 * 60_000);
    for (const b of ["etcd", "kube-apiserver"]) {
      const p = join(CLUSTERS_ROOT, "bin", b);
      if (!existsSync(p)) throw new Error(`missing ${p}: run \`bash scripts/setup-clusters.sh\``);
    }
    const crd = canaryCrd();
    const validate = canaryValidator();
    work = mkdtempSync(join(tmpdir(), "promotion-canary-"));
    const logs = join(work, "logs");
    const pki = join(work, "pki");
    mkdirSync(logs);
    mkdirSync(pki);
    procs = new ProcessGroup(logs);
    const apiCA = newAuthority(pki, "clusters");
    // A real API server's certificate names the `kubernetes` Service; the http check verifies that name.
    const apiCert = servingCert(pki, apiCA, "kube-apiserver", KUBE_APISERVER_SANS);
    const etcd = await Etcd.start(procs, work);
    cluster = await Cluster.start(procs, {
      name: "integration",
      dir: work,
      etcd,
      apiCA,
      apiCert,
      saKeys: serviceAccountKeys(pki),
    });
    // The Canary CRD (Cluster.start installs it from the clusters cache when setup-clusters has copied it).
    if (!(await cluster.kube.get(crd.apiVersion, crd.kind, undefined, crd.metadata.name))) {
      await cluster.kube.apply(crd, TEST_MANAGER);
      await waitFor(
        "the Canary CRD Established",
        async () => {
          const o = await cluster.kube.get(crd.apiVersion, crd.kind, undefined, crd.metadata.name);
          const conds = (o?.status?.conditions ?? []) as { type: string; status: string }[];
          return conds.some((c) => c.type === "Established" && c.status === "True")
            ? true
            : undefined;
        },
        60_000,
      );
    }
    // kube-controller-manager's root-ca-cert-publisher is not running here: publish what it would.
    if (!(await cluster.kube.get("v1", "ConfigMap", CANARY_NAMESPACE, "kube-root-ca.crt"))) {
      await publishCA("kube-root-ca.crt", apiCA.caPem);
      caPublishedByTest = true;
    }
    // Nor its serviceaccounts controller: the ServiceAccount admission plugin needs `default` for a Pod.
    const sa = `/api/v1/namespaces/${FLUX_NAMESPACE}/serviceaccounts`;
    if ((await cluster.kube.raw("GET", `${sa}/default`)).status === 404) {
      await cluster.kube.json("POST", sa, {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "default", namespace: FLUX_NAMESPACE },
      });
    }
    await createPods();
    await cluster.kube.apply(asKube(platformCanary()), APPLY_MANAGER);
    const rules = canaryAlertRules();
    await cluster.kube.apply(asKube(rules), APPLY_MANAGER);

    player = new CanaryChecker({
      kube: cluster.kube,
      namespace: CANARY_NAMESPACE,
      name: CANARY_NAME,
      // The one mapping: the `kubernetes` Service's name and port -> this API server's real address.
      hosts: { "kubernetes.default.svc:443": new URL(cluster.kube.server).host },
      onWrite: (o, what) => writes.push({ what, errors: validate(o), status: o.status }),
    });
    const target = await player.metrics.serve();
    // The rule file converted from the PrometheusRule as stored by the API server (what the operator reads).
    const stored = await cluster.kube.mustGet(
      rules.apiVersion,
      "PrometheusRule",
      CANARY_NAMESPACE,
      rules.metadata.name,
    );
    prometheus = await Prometheus.start(procs, {
      dir: join(work, "prometheus"),
      targets: { "canary-checker": [target] },
      rules: prometheusRuleFile(stored.spec),
    });
    player.start();
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") failed = true;
  });

  after(async function () {
    this.timeout(120_000);
    await player?.stop();
    await player?.metrics.close();
    await procs?.stopAll();
    if (!work) return;
    if (failed || process.env.PROMOTION_KEEP_FLUX) {
      console.log(`\n    canary-checker played: logs and state kept in ${work}`);
    } else {
      rmSync(work, { recursive: true, force: true });
    }
  });

  let first: CanaryRun;

  it("1. reconciles as canary-checker does: finalizer by Update, checks and observedGeneration on the status subresource, field manager canary-checker", async function () {
    assert.ok(
      caPublishedByTest,
      "kube-root-ca.crt was expected to be published by this test (no controller-manager)",
    );
    const c = await waitFor(
      "the played reconcile",
      async () => {
        const o = await canaryNow();
        return o.status?.observedGeneration === o.metadata.generation &&
          (o.metadata.finalizers as string[] | undefined)?.includes(CANARY_FINALIZER)
          ? o
          : undefined;
      },
      30_000,
    );
    assert.deepEqual(c.status?.checks, {
      [KUBERNETES_API_CHECK]: checkId(CANARY_NAMESPACE, CANARY_NAME, KUBERNETES_API_CHECK),
      [FLUX_PODS_CHECK]: checkId(CANARY_NAMESPACE, CANARY_NAME, FLUX_PODS_CHECK),
    });
    const mine =
      c.metadata.managedFields?.filter((f) => f.manager === CANARY_CHECKER_MANAGER) ?? [];
    assert.deepEqual(
      mine.map((f) => `${f.operation}/${f.subresource ?? ""}`).sort(),
      ["Update/", "Update/status"],
      `managedFields: ${JSON.stringify(c.metadata.managedFields)}`,
    );
  });

  it("2. the first run is immediate (RunNow) and passes: the API server answers /healthz over TLS verified by kube-root-ca.crt, and every flux pod is Ready", async function () {
    first = await runAfter(0, "the first run", 30_000);
    const c = await canaryAfter(first, [true, ""]);
    assert.equal(c.status?.status, "Passed");
    assert.equal(c.status?.errorMessage, undefined);
    assert.equal(c.status?.lastCheck, metaTime(first.reportedAt!));
    assert.match(String(c.status?.lastCheck), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(
      Object.keys(c.status?.checkStatus as object).sort(),
      Object.values(c.status?.checks as object).sort(),
    );
    assert.equal(
      player.metrics.value("canary_check", {
        key: checkId(CANARY_NAMESPACE, CANARY_NAME, FLUX_PODS_CHECK),
        type: "kubernetes",
        canary_name: CANARY_NAME,
        canary_namespace: CANARY_NAMESPACE,
        name: FLUX_PODS_CHECK,
      }),
      0,
    );
  });

  it("3. the http check's TLS is really verified: a CA that did not sign the API server's certificate fails it", async function () {
    const other = newAuthority(join(work, "pki"), "other");
    await publishCA("other-ca", other.caPem);
    const http = (platformCanary().spec!.http as Record<string, unknown>[])[0]!;
    const control = asKube(
      platformCanary({ canary: { name: "tls-control", namespace: CANARY_NAMESPACE } }),
    );
    control.spec = {
      schedule: "@never",
      http: [
        {
          ...http,
          tlsConfig: {
            ca: { valueFrom: { configMapKeyRef: { name: "other-ca", key: "ca.crt" } } },
          },
        },
      ],
    };
    await cluster.kube.apply(control, TEST_MANAGER);
    const probe = new CanaryChecker({
      kube: cluster.kube,
      namespace: CANARY_NAMESPACE,
      name: "tls-control",
      hosts: { "kubernetes.default.svc:443": new URL(cluster.kube.server).host },
    });
    const run = await probe.runOnce();
    assert.ok(run);
    assert.equal(run.results[0]!.pass, false);
    assert.match(
      run.results[0]!.error,
      /^Get "https:\/\/kubernetes\.default\.svc\/healthz": .*certificate/,
    );
    const c = await cluster.kube.mustGet(API, "Canary", CANARY_NAMESPACE, "tls-control");
    assert.equal(c.status?.status, "Failed");
    await cluster.kube.delete(API, "Canary", CANARY_NAMESPACE, "tls-control");
  });

  let failing: CanaryRun;

  it("4. the next run comes on the Canary's own schedule (@every 60s, ~60 s later, not 5 s) and fails: a flux pod turned not Ready", async function () {
    await setPodReady(PODS[1]!, false);
    failing = await runAfter(1, "the second run", SCHEDULE_MS + 2 * JITTER_MS);
    const gap = failing.startedAt.getTime() - first.startedAt.getTime();
    assert.ok(
      gap > SCHEDULE_MS - JITTER_MS && gap < SCHEDULE_MS + JITTER_MS,
      `runs ${gap} ms apart, expected ${SCHEDULE_MS} ms +- jitter`,
    );
    assert.equal(player.starts.length, 2, "a run happened between the scheduled ones");
    assert.deepEqual(
      failing.results.map((r) => [r.check, r.pass]),
      [
        [KUBERNETES_API_CHECK, true],
        [FLUX_PODS_CHECK, false],
      ],
    );
    const c = await canaryNow();
    // The failing check is the last one, so status.status says Failed too.
    assert.equal(c.status?.status, "Failed");
    assert.match(
      String(c.status?.errorMessage),
      new RegExp(
        `^Pod/flux-system/${PODS[1]!} is not healthy \\(health: unknown, status: Starting\\): Running ContainersNotReady containers with unready status: \\[manager\\]\\n, Pod/flux-system/${PODS[1]!} is not ready `,
      ),
    );
    assert.equal(c.status?.lastCheck, metaTime(failing.reportedAt!));
  });

  it("5. Prometheus scrapes canary_check = 1 and CanaryCheckFailure goes pending", async function () {
    const pending = await waitFor(
      "CanaryCheckFailure pending",
      () => alert("pending"),
      30_000,
      1000,
    );
    assert.equal(pending.labels.severity, "critical");
    assert.equal(pending.labels.canary_name, CANARY_NAME);
    assert.equal(pending.labels.canary_namespace, CANARY_NAMESPACE);
    assert.equal(pending.labels.type, "kubernetes");
    const q = await prometheus.query(`canary_check{canary_name="${CANARY_NAME}"}`);
    assert.deepEqual(q.map((s) => [s.metric.name, s.value[1]]).sort(), [
      [FLUX_PODS_CHECK, "1"],
      [KUBERNETES_API_CHECK, "0"],
    ]);
  });

  it("6. a run that starts before an apply reports after it: lastCheck is later than the apply although the checks looked before it (what the gate's freshness margin is for)", async function () {
    const before = player.starts.length;
    player.checkDelayMs = 5_000;
    await waitFor(
      "the third run to start",
      () => Promise.resolve(player.starts.length > before ? true : undefined),
      SCHEDULE_MS + 2 * JITTER_MS,
      100,
    );
    player.checkDelayMs = 0;
    const applied = await cluster.kube.apply(
      asKube(stampVersion(platformCanary(), "0.0.2-rc.1")),
      APPLY_MANAGER,
    );
    const applyTime = applied.metadata.managedFields?.find(
      (f) => f.manager === APPLY_MANAGER && !f.subresource,
    )?.time;
    assert.ok(applyTime);
    const slow = await runAfter(before, "the slow run", 60_000);
    assert.ok(
      slow.startedAt.getTime() < Date.parse(applyTime) + 1000,
      "the run started after the apply",
    );
    assert.equal(slow.versionAtStart, undefined);
    assert.equal(slow.version, "0.0.2-rc.1");
    const c = await canaryNow();
    assert.equal(c.status?.lastCheck, metaTime(slow.reportedAt!));
    const lastCheck = Date.parse(String(c.status?.lastCheck));
    assert.ok(lastCheck >= Date.parse(applyTime), "lastCheck should be later than the apply");
    assert.ok(
      lastCheck - Date.parse(applyTime) < 30_000,
      "the run reported within the gate's 30 s freshness margin, so the gate does not take it as fresh",
    );
    // The annotation-only change did not reschedule the job (SyncCanaryJob compares specs): no extra run.
    assert.equal(player.starts.length, before + 1);
  });

  it("7. CanaryCheckFailure fires after its 2m `for` while the check keeps failing", async function () {
    const firing = await waitFor(
      "CanaryCheckFailure firing",
      () => alert("firing"),
      3 * 60_000,
      1000,
    );
    const since = Date.now() - Date.parse(firing.activeAt);
    assert.ok(since >= 120_000, `fired ${since} ms after it became active`);
    assert.equal(firing.labels.name, FLUX_PODS_CHECK);
  });

  it("8. the pod Ready again: the next run passes, errorMessage is removed, and the alert resolves", async function () {
    await setPodReady(PODS[1]!, true);
    const n = player.starts.length;
    const ok = await runAfter(n, "a passing run", SCHEDULE_MS + 2 * JITTER_MS);
    assert.equal(ok.status, "Passed");
    const c = await canaryNow();
    assert.equal(c.status?.status, "Passed");
    assert.equal(
      c.status?.errorMessage,
      undefined,
      "Report removes errorMessage when no check fails",
    );
    await waitFor(
      "CanaryCheckFailure resolved",
      async () => ((await alert()) ? undefined : true),
      30_000,
      1000,
    );
  });

  it("9. zero flux pods fail the check (the program's CEL test `dyn(results).size() > 0`)", async function () {
    for (const name of PODS)
      await cluster.kube.raw("DELETE", `${pods()}/${name}?gracePeriodSeconds=0`);
    const n = player.starts.length;
    const none = await runAfter(n, "a run without pods", SCHEDULE_MS + 2 * JITTER_MS);
    const c = await canaryAfter(none, [false, "test failed"]);
    assert.equal(c.status?.status, "Failed");
    assert.equal(c.status?.errorMessage, "test failed");
  });

  it("10. every status the player wrote validates against the Canary CRD of canary-checker v1.2.0 (closed schema), and nothing went wrong in its loop", function () {
    player.assertHealthy();
    // One report per run (passed, failed, the slow one, passed again, no pods: at least five).
    assert.equal(writes.filter((w) => w.what === "report").length, player.runs.length);
    assert.ok(player.runs.length >= 5, `only ${player.runs.length} runs`);
    assert.ok(writes.some((w) => w.what === "reconcile"));
    const bad = writes.filter((w) => w.errors.length > 0);
    assert.deepEqual(bad, [], "status writes that do not validate");
    assert.deepEqual(player.skipped, []);
  });
});
