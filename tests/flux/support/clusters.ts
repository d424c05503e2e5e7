/**
 * Two real Kubernetes control planes on 127.0.0.1 for the real-controller suite: one etcd (built from
 * go.etcd.io/etcd/server/v3) shared by two kube-apiservers (k8s.io/kubernetes) with distinct `--etcd-prefix`,
 * cluster `integration` and cluster `live`, each with its own set of Flux controllers (source-,
 * kustomize- and notification-controller of one release line) running as local processes against it.
 * Binaries and CRDs come from `scripts/setup-clusters.sh`.
 *
 * Workloads live (`Cluster.startWorkloads`): each cluster runs upstream's kube-controller-manager and
 * kube-scheduler and kwok with one fake node, so a Deployment becomes a ReplicaSet and Pods, the Pods are
 * scheduled onto the node and go Pending -> Running/Ready through kwok's stages (kwok's own stage files,
 * copied from its module by setup-clusters), ServiceAccounts and the `kube-root-ca.crt` ConfigMap appear, and
 * namespace deletion completes. There is no kubelet: no container runs, kwok plays the Pod lifecycle. kwok's
 * chaos stage turns a Running Pod labelled `pod-container-running-failed.stage.kwok.x-k8s.io=true` not ready.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { condition, Kube, waitFor, type KubeObject } from "./kube";
import type { Authority, ServingCert } from "../../support/pki";
import { freePort, type ProcessGroup } from "./processes";
import { CACHE } from "../../support/tools";

export const CLUSTERS_ROOT = join(CACHE, "clusters");
const BIN = join(CLUSTERS_ROOT, "bin");
const CRDS = join(CLUSTERS_ROOT, "crds");
const KWOK_STAGES = join(CLUSTERS_ROOT, "kwok-stages");
export const FLUX_NAMESPACE = "flux-system";
/** Label that makes kwok's chaos stage turn a Running Pod not ready (kustomize/stage/pod/chaos). */
export const NOT_READY_LABEL = "pod-container-running-failed.stage.kwok.x-k8s.io";
/** The fake node's name (one per cluster). */
export const NODE_NAME = "kwok-node-0";
/**
 * An image kwok never "pulls": the box's own stages (neverPullsStages) keep a Pod of this image Pending with
 * ImagePullBackOff, as a kubelet does when a registry has no such tag.
 */
export const NEVER_PULLS_IMAGE = "nginx:0.0.0-does-not-exist";
/** The Flux controllers as Deployments in flux-system, labelled as `flux install` labels them. */
export const FLUX_DEPLOYMENTS = [
  "source-controller",
  "kustomize-controller",
  "notification-controller",
] as const;

export const BINARIES = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
  "source-controller",
  "kustomize-controller",
  "notification-controller",
] as const;

/** Throws with the set-up command when a binary or the CRDs are missing. */
export function assertBuilt(): void {
  const missing = BINARIES.map((b) => join(BIN, b)).filter((p) => !existsSync(p));
  if (!existsSync(CRDS) || readdirSync(CRDS).length === 0) missing.push(CRDS);
  if (!existsSync(KWOK_STAGES) || readdirSync(KWOK_STAGES).length === 0) missing.push(KWOK_STAGES);
  if (missing.length > 0) {
    throw new Error(`missing ${missing.join(", ")}: run \`bash scripts/setup-clusters.sh\``);
  }
}

/**
 * PrometheusRule: the Go module proxy serves no prometheus-operator module holding its CRD, and no
 * controller in this suite reads the kind; a schema-less CRD lets the API server store the object the
 * program declares (its schema is checked by the conformance suite instead).
 */
const PROMETHEUS_RULE_CRD: KubeObject = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "prometheusrules.monitoring.coreos.com" },
  spec: {
    group: "monitoring.coreos.com",
    names: {
      kind: "PrometheusRule",
      listKind: "PrometheusRuleList",
      plural: "prometheusrules",
      singular: "prometheusrule",
    },
    scope: "Namespaced",
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
        },
      },
    ],
  },
};

export class Etcd {
  private constructor(readonly url: string) {}

  static async start(procs: ProcessGroup, dir: string): Promise<Etcd> {
    const client = await freePort();
    const peer = await freePort();
    const url = `http://127.0.0.1:${client}`;
    procs.start("etcd", join(BIN, "etcd"), [
      "--name=suite",
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=suite=http://127.0.0.1:${peer}`,
      "--unsafe-no-fsync=true",
      "--log-level=warn",
    ]);
    await waitFor(
      "etcd /health",
      async () => {
        procs.assertAlive();
        const r = await fetch(`${url}/health`).catch(() => undefined);
        return r?.ok ? true : undefined;
      },
      30_000,
      100,
    );
    return new Etcd(url);
  }
}

export interface ClusterOptions {
  readonly name: string;
  readonly dir: string;
  readonly etcd: Etcd;
  readonly apiCA: Authority;
  readonly apiCert: ServingCert;
  readonly saKeys: { keyFile: string; pubFile: string };
}

/** One control plane and its Flux controllers. */
export class Cluster {
  readonly kube: Kube;
  /** Path of a kubeconfig for this cluster (admin token). */
  readonly kubeconfig: string;
  /** Where kustomize-controller and source-controller send events (notification-controller's event server). */
  eventsUrl = "";

  private constructor(
    readonly name: string,
    readonly dir: string,
    readonly server: string,
    token: string,
    private readonly apiCA: Authority,
    private readonly saKeys: { keyFile: string; pubFile: string },
  ) {
    this.kube = new Kube(server, token, apiCA.caPem);
    this.kubeconfig = join(dir, "kubeconfig.yaml");
    writeFileSync(
      this.kubeconfig,
      stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          {
            name,
            cluster: {
              server,
              "certificate-authority-data": Buffer.from(apiCA.caPem).toString("base64"),
            },
          },
        ],
        users: [{ name: "admin", user: { token } }],
        contexts: [{ name, context: { cluster: name, user: "admin" } }],
        "current-context": name,
      }),
      { mode: 0o600 },
    );
  }

  static async start(procs: ProcessGroup, o: ClusterOptions): Promise<Cluster> {
    const dir = join(o.dir, o.name);
    mkdirSync(dir, { recursive: true });
    const token = randomBytes(24).toString("hex");
    writeFileSync(join(dir, "tokens.csv"), `${token},admin,admin,"system:masters"\n`, {
      mode: 0o600,
    });
    const port = await freePort();
    const server = `https://127.0.0.1:${port}`;
    procs.start(`${o.name}-kube-apiserver`, join(BIN, "kube-apiserver"), [
      `--etcd-servers=${o.etcd.url}`,
      `--etcd-prefix=/${o.name}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${port}`,
      `--cert-dir=${join(dir, "certs")}`,
      `--tls-cert-file=${o.apiCert.certFile}`,
      `--tls-private-key-file=${o.apiCert.keyFile}`,
      `--token-auth-file=${join(dir, "tokens.csv")}`,
      "--authorization-mode=RBAC",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${o.saKeys.pubFile}`,
      `--service-account-signing-key-file=${o.saKeys.keyFile}`,
      "--service-cluster-ip-range=10.96.0.0/24",
      "--enable-priority-and-fairness=false",
      "--profiling=false",
    ]);
    const c = new Cluster(o.name, dir, server, token, o.apiCA, o.saKeys);
    await waitFor(
      `${o.name} kube-apiserver /readyz`,
      async () => {
        procs.assertAlive();
        const r = await c.kube.raw("GET", "/readyz").catch(() => undefined);
        return r?.status === 200 ? true : undefined;
      },
      90_000,
      200,
    );
    await c.installCrds();
    for (const ns of [FLUX_NAMESPACE, "monitoring"]) {
      await c.kube.apply(
        { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
        "promotion-pipeline-test",
      );
    }
    return c;
  }

  /** Every CRD of the Flux controllers, the Canary CRD and the PrometheusRule stand-in; waits until Established. */
  private async installCrds(): Promise<void> {
    const crds: KubeObject[] = [PROMETHEUS_RULE_CRD];
    for (const f of readdirSync(CRDS).sort()) {
      for (const doc of parseAllDocuments(readFileSync(join(CRDS, f), "utf8"))) {
        const o = doc.toJS() as KubeObject | null;
        if (o?.kind === "CustomResourceDefinition") crds.push(o);
      }
    }
    for (const crd of crds) {
      await this.kube.apply(crd, "promotion-pipeline-test");
    }
    await waitFor(
      `${this.name}: CRDs Established`,
      async () => {
        for (const crd of crds) {
          const got = await this.kube.get(crd.apiVersion, crd.kind, undefined, crd.metadata.name);
          const conds = (got?.status?.conditions ?? []) as { type: string; status: string }[];
          if (!conds.some((x) => x.type === "Established" && x.status === "True")) return undefined;
        }
        return true;
      },
      60_000,
      200,
    );
  }

  /** Starts source-, kustomize- and notification-controller against this cluster. */
  async startFlux(procs: ProcessGroup): Promise<void> {
    const env = { KUBECONFIG: this.kubeconfig, RUNTIME_NAMESPACE: FLUX_NAMESPACE };
    const events = await freePort();
    this.eventsUrl = `http://127.0.0.1:${events}`;
    const health: string[] = [];
    const common = async (): Promise<string[]> => {
      const h = await freePort();
      health.push(`http://127.0.0.1:${h}/readyz`);
      return [
        "--enable-leader-election=false",
        "--watch-all-namespaces=true",
        "--log-level=debug",
        `--metrics-addr=127.0.0.1:${await freePort()}`,
        `--health-addr=127.0.0.1:${h}`,
      ];
    };
    procs.start(
      `${this.name}-notification-controller`,
      join(BIN, "notification-controller"),
      [
        ...(await common()),
        `--events-addr=127.0.0.1:${events}`,
        `--receiverAddr=127.0.0.1:${await freePort()}`,
      ],
      env,
    );
    const storage = await freePort();
    mkdirSync(join(this.dir, "storage"), { recursive: true });
    procs.start(
      `${this.name}-source-controller`,
      join(BIN, "source-controller"),
      [
        ...(await common()),
        `--events-addr=${this.eventsUrl}`,
        `--storage-path=${join(this.dir, "storage")}`,
        `--storage-addr=127.0.0.1:${storage}`,
        `--storage-adv-addr=127.0.0.1:${storage}`,
      ],
      env,
    );
    procs.start(
      `${this.name}-kustomize-controller`,
      join(BIN, "kustomize-controller"),
      [...(await common()), `--events-addr=${this.eventsUrl}`, "--no-remote-bases=true"],
      env,
    );
    await waitFor(
      `${this.name}: Flux controllers ready`,
      async () => {
        procs.assertAlive();
        for (const url of health) {
          const r = await fetch(url).catch(() => undefined);
          if (!r?.ok) return undefined;
        }
        return true;
      },
      60_000,
      200,
    );
  }
  /**
   * kube-controller-manager, kube-scheduler and kwok against this cluster, one fake node, and the Flux
   * controllers' Deployments in flux-system (their Pods are kwok's; the controller processes run outside, started
   * by startFlux). Resolves once the node is Ready, `default` ServiceAccounts and `kube-root-ca.crt` exist and
   * every Flux Pod is Running and Ready.
   */
  async startWorkloads(procs: ProcessGroup): Promise<void> {
    const env = { KUBECONFIG: this.kubeconfig };
    procs.start(
      `${this.name}-kube-controller-manager`,
      join(BIN, "kube-controller-manager"),
      [
        `--kubeconfig=${this.kubeconfig}`,
        "--secure-port=0",
        "--leader-elect=false",
        // The root-ca-cert-publisher writes this CA into every namespace's kube-root-ca.crt ConfigMap.
        `--root-ca-file=${this.apiCA.caFile}`,
        `--service-account-private-key-file=${this.saKeys.keyFile}`,
        "--use-service-account-credentials=false",
        "--allocate-node-cidrs=false",
        "--controllers=*",
        // The node lifecycle controller is needed (it lifts the not-ready taint the API server puts on a new
        // node), but kwok renews no heartbeat it counts here: with the default grace period it marked the node
        // NotReady every minute and every Pod on it Ready=False ("Controller detected that all Nodes are
        // not-Ready"), which kwok's pod stages never undo. An hour is longer than the suite.
        "--node-monitor-grace-period=1h",
      ],
      env,
    );
    procs.start(
      `${this.name}-kube-scheduler`,
      join(BIN, "kube-scheduler"),
      [`--kubeconfig=${this.kubeconfig}`, "--secure-port=0", "--leader-elect=false"],
      env,
    );
    // kwok's stages: upstream's files (node initialise + heartbeat with lease, pod ready/complete/delete, the
    // chaos stage that turns a labelled Pod not ready), in one config file.
    const stagesDir = join(this.dir, "kwok");
    mkdirSync(stagesDir, { recursive: true });
    const docs = readdirSync(KWOK_STAGES)
      .filter((f) => f.endsWith(".yaml"))
      .sort()
      .map((f) => readFileSync(join(KWOK_STAGES, f), "utf8").trim());
    docs.push(...neverPullsStages(NEVER_PULLS_IMAGE));
    const config = join(stagesDir, "kwok.yaml");
    writeFileSync(config, docs.join("\n---\n") + "\n");
    procs.start(
      `${this.name}-kwok`,
      join(BIN, "kwok"),
      [
        `--kubeconfig=${this.kubeconfig}`,
        `--config=${config}`,
        "--manage-all-nodes=false",
        "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
        `--server-address=127.0.0.1:${await freePort()}`,
        "--cidr=10.244.0.1/24",
        "--node-ip=10.0.0.10",
      ],
      env,
    );
    const m = "promotion-pipeline-test";
    await this.kube.apply(
      {
        apiVersion: "v1",
        kind: "Node",
        metadata: {
          name: NODE_NAME,
          annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
          labels: {
            "kubernetes.io/hostname": NODE_NAME,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            type: "kwok",
          },
        },
        status: {
          allocatable: { cpu: "32", memory: "256Gi", pods: "110" },
          capacity: { cpu: "32", memory: "256Gi", pods: "110" },
        },
      },
      m,
    );
    await waitFor(
      `${this.name}: node ${NODE_NAME} Ready (kwok)`,
      async () => {
        procs.assertAlive();
        const n = await this.kube.get("v1", "Node", undefined, NODE_NAME);
        return condition(n, "Ready")?.status === "True" ? true : undefined;
      },
      60_000,
      250,
    );
    await waitFor(
      `${this.name}: ServiceAccount default and ConfigMap kube-root-ca.crt in ${FLUX_NAMESPACE} (kube-controller-manager)`,
      async () => {
        procs.assertAlive();
        const sa = await this.kube.get("v1", "ServiceAccount", FLUX_NAMESPACE, "default");
        const ca = await this.kube.get("v1", "ConfigMap", FLUX_NAMESPACE, "kube-root-ca.crt");
        return sa && ca ? true : undefined;
      },
      60_000,
      250,
    );
    for (const name of FLUX_DEPLOYMENTS) await this.kube.apply(fluxDeployment(name), m);
    await this.waitPodsReady(procs, FLUX_NAMESPACE, "app.kubernetes.io/part-of=flux", 3);
  }

  /** Waits until `count` Pods match `selector` in `namespace`, each Running and Ready. */
  async waitPodsReady(
    procs: ProcessGroup,
    namespace: string,
    selector: string,
    count: number,
    timeoutMs = 90_000,
  ): Promise<KubeObject[]> {
    return waitFor(
      `${this.name}: ${count} Pods ${selector} in ${namespace} Running and Ready`,
      async () => {
        procs.assertAlive();
        const pods = (await this.kube.list("v1", "Pod", namespace, selector)).filter(
          (p) => !p.metadata.deletionTimestamp,
        );
        const ready = pods.filter(
          (p) => p.status?.phase === "Running" && condition(p, "Ready")?.status === "True",
        );
        return pods.length === count && ready.length === count ? pods : undefined;
      },
      timeoutMs,
      250,
    );
  }
}

/**
 * The box's own kwok stages: a Pod of `image` never pulls. The first stage writes what a kubelet reports when a
 * registry has no such tag (Pending, ContainersNotReady, the container waiting in ImagePullBackOff); the second
 * holds it there (a day's delay, longer than the suite). Both outweigh upstream's `pod-ready` (weight 0): kwok
 * takes only the positive-weight stages when any matches (pkg/utils/lifecycle/lifecycle.go, kwok v0.8.0).
 */
function neverPullsStages(image: string): string[] {
  const stage = (name: string, statuses: "DoesNotExist" | "Exists", delayMs: number): string =>
    stringify({
      apiVersion: "kwok.x-k8s.io/v1alpha1",
      kind: "Stage",
      metadata: { name },
      spec: {
        resourceRef: { apiGroup: "v1", kind: "Pod" },
        selector: {
          matchExpressions: [
            { key: ".metadata.deletionTimestamp", operator: "DoesNotExist" },
            { key: ".status.phase", operator: "In", values: ["Pending"] },
            { key: ".spec.containers.[].image", operator: "In", values: [image] },
            { key: ".status.containerStatuses", operator: statuses },
          ],
        },
        weight: 10000,
        delay: { durationMilliseconds: delayMs },
        next: {
          statusTemplate: [
            "{{ $now := Now }}",
            "conditions:",
            "- lastTransitionTime: {{ $now | Quote }}",
            '  status: "True"',
            "  type: PodScheduled",
            "- lastTransitionTime: {{ $now | Quote }}",
            '  status: "True"',
            "  type: Initialized",
            "- lastTransitionTime: {{ $now | Quote }}",
            '  status: "False"',
            "  reason: ContainersNotReady",
            "  type: Ready",
            "- lastTransitionTime: {{ $now | Quote }}",
            '  status: "False"',
            "  reason: ContainersNotReady",
            "  type: ContainersReady",
            "containerStatuses:",
            "{{ range .spec.containers }}",
            "- image: {{ .image | Quote }}",
            "  name: {{ .name | Quote }}",
            "  ready: false",
            "  restartCount: 0",
            "  started: false",
            "  state:",
            "    waiting:",
            "      reason: ImagePullBackOff",
            '      message: {{ printf "Back-off pulling image %q" .image | Quote }}',
            "{{ end }}",
            "hostIP: {{ NodeIPWith .spec.nodeName | Quote }}",
            "phase: Pending",
          ].join("\n"),
        },
      },
    }).trim();
  return [
    stage("pod-image-never-pulls", "DoesNotExist", 0),
    stage("pod-image-never-pulls-hold", "Exists", 86_400_000),
  ];
}

/** A Flux controller as `flux install` deploys it (labels the platform canary selects); kwok runs its Pod. */
function fluxDeployment(name: string): KubeObject {
  const labels = {
    app: name,
    "app.kubernetes.io/part-of": "flux",
    "app.kubernetes.io/component": name,
  };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: FLUX_NAMESPACE, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels },
        spec: {
          containers: [{ name: "manager", image: `ghcr.io/fluxcd/${name}:v1.9.3` }],
        },
      },
    },
  };
}
