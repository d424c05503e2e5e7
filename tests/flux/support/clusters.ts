/**
 * Two real Kubernetes control planes on 127.0.0.1 for the real-controller suite: one etcd (built from
 * go.etcd.io/etcd/server/v3) shared by two kube-apiservers (k8s.io/kubernetes) with distinct `--etcd-prefix`,
 * cluster `integration` and cluster `live`, each with its own set of Flux controllers (source-,
 * kustomize- and notification-controller of one release line) running as local processes against it.
 * Binaries and CRDs come from `scripts/setup-clusters.sh`. There is no kubelet, scheduler or
 * controller-manager: objects are stored, validated and reconciled by the Flux controllers, but no pod ever
 * runs (a Deployment never becomes available).
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { Kube, waitFor, type KubeObject } from "./kube";
import type { Authority, ServingCert } from "../../support/pki";
import { freePort, type ProcessGroup } from "./processes";

export const CACHE = process.env.PROMOTION_CACHE ?? join(homedir(), ".cache", "promotion-pipeline");
export const CLUSTERS_ROOT = join(CACHE, "clusters");
const BIN = join(CLUSTERS_ROOT, "bin");
const CRDS = join(CLUSTERS_ROOT, "crds");
export const FLUX_NAMESPACE = "flux-system";

export const BINARIES = [
  "etcd",
  "kube-apiserver",
  "source-controller",
  "kustomize-controller",
  "notification-controller",
] as const;

/** Throws with the set-up command when a binary or the CRDs are missing. */
export function assertBuilt(): void {
  const missing = BINARIES.map((b) => join(BIN, b)).filter((p) => !existsSync(p));
  if (!existsSync(CRDS) || readdirSync(CRDS).length === 0) missing.push(CRDS);
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
  readonly name: "integration" | "live";
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
    server: string,
    token: string,
    apiCA: Authority,
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
    const c = new Cluster(o.name, dir, server, token, o.apiCA);
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
}
