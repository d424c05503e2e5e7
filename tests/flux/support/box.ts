/**
 * The pipeline in a box, as ONE fixture: a scenario asks for it (`useBox()`, tests/flux/support/useBox.ts) and
 * gets typed handles; it never reaches into another scenario's state.
 *
 * Real: etcd and one kube-apiserver per named cluster (kube-controller-manager, kube-scheduler and kwok with one
 * fake node beside each; source-, kustomize- and notification-controller v1.9.3 per cluster), Debian's
 * docker-registry over TLS with a CA this run made (source-controller trusts it only through the
 * OCIRepository's certSecretRef) and basic auth, the real Pulumi engine applying one stack per cluster in
 * cluster mode, the generated build and promote workflows' real `run:` scripts, cosign with two key pairs.
 * Stand-ins, named so in every test that depends on them: GitHub (an HTTPS server that receives the
 * repository_dispatch notification-controller sends, as a GitHub Enterprise Server would) and canary-checker,
 * PLAYED from its own rules on every cluster (tests/flux/support/canaryChecker.ts: it cannot be built here), on
 * the Canary's real `@every 60s` schedule.
 *
 * What a scenario gets: `build` (the build job for a commit), `waitSelected`/`waitApplied` (a cluster's source
 * and gate), `expectPromoted` (the dispatch of exactly that revision and its promote run), `expectNoDispatch`
 * and `expectDispatchedOnce` (both wait a full quiet window: the gate's retry interval plus a source interval
 * plus a canary period, so a second event has time to come), `waitRefused` (signature verification),
 * `seedStable` (a stable version made through the registry and the promote job, without waiting for a gate),
 * `serving`, `listing`, `pushByHand`, `removeByHand`, and the played canary of each cluster. With stages
 * (a BoxLayout with a `stage` cluster and `pipeline.stages`, e.g. THREE_STAGES_LAYOUT): `replan` (the promote
 * workflow's schedule run, or a person's workflow_dispatch), `reconfigure` (pipeline keys changed in Pulumi.yaml
 * and `pulumi up` on every stack, as a user would) and `stageVersions`; `seedStable` goes through every stage.
 *
 * Every process is stopped by pid when the box stops. When `start` fails half way, what it started is stopped
 * and its logs stay in the printed directory, as they do after a failed scenario.
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execFileSync } from "node:child_process";
import { parse, stringify } from "yaml";
import { startRegistry, type TestRegistry } from "../../support/registry";
import { tool, TOOLS_BIN } from "../../support/tools";
import { runJob, type JobContext, type JobResult } from "../../support/workflowRunner";
import { GitHubStandIn, type DispatchRequest } from "../../support/githubStandIn";
import { assertToolchain, ok, ProjectCopy } from "../../support/projectCopy";
import { BUILD_WORKFLOW, PROMOTE_WORKFLOW } from "../../../lib/workflows/pipeline";
import { compare as semverCompare } from "semver";
import { CANARY_NAME, CANARY_NAMESPACE, VERSION_ANNOTATION } from "../../../lib/k8s/canary";
import { goDurationSeconds } from "../../../lib/k8s/gate";
import { STAGE_METADATA_KEY } from "../../../lib/k8s/validation";
import { stageFilter, stageTag } from "../../../lib/stages/channel";
import { newAuthority, servingCert, serviceAccountKeys, type Authority } from "../../support/pki";
import { ProcessGroup } from "./processes";
import { assertBuilt, Cluster, Etcd, FLUX_NAMESPACE, NOT_READY_LABEL } from "./clusters";
export { FLUX_NAMESPACE, NEVER_PULLS_IMAGE } from "./clusters";
import { condition, FatalError, waitFor, type KubeObject } from "./kube";
import { CanaryChecker, KUBE_APISERVER_SANS } from "./canaryChecker";
import { canaryValidator } from "./canaryCrd";

export const OWNER = "example-org";
export const REPOSITORY = "platform";
const REPO_PATH = `${OWNER}/${REPOSITORY}/platform`;
export const REGISTRY_USER = "ci-bot";
const REGISTRY_PASSWORD = "registry-s3cret";
export const DISPATCH_TOKEN = "ghs_dispatchTokenForTheStandIn0001";
export const EVENT_TYPE = "Kustomization/platform.flux-system";
export const SOURCE = {
  api: "source.toolkit.fluxcd.io/v1",
  kind: "OCIRepository",
  name: "flux-system",
};
export const GATE = {
  api: "kustomize.toolkit.fluxcd.io/v1",
  kind: "Kustomization",
  name: "platform",
};
export const NOTIFY = "notification.toolkit.fluxcd.io/v1beta3";
export const CANARY_API = "canaries.flanksource.com/v1";
export const TEST_MANAGER = "promotion-pipeline-test";
/** The web workload's image; kwok runs it to Ready (an image the never-pulls stage names does not). */
export const WEB_IMAGE = "nginx:1.27.3";

/** The box's extra canary check (`pipeline.extraChecks`): the platform's web Pods are Ready. */
export const WEB_PODS_CHECK = "web-pods-ready";

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** A 40-hex commit id named by a label, unique per label: `commitOf("happy-path")`. */
export const commitOf = (label: string): string => createHash("sha1").update(label).digest("hex");

/** The web Deployment (2 replicas) and its Service, on `image`. */
export function webWorkload(image: string): string {
  return [
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata:\n  name: web\n  namespace: apps\n  labels:\n    app: web",
    "spec:",
    "  replicas: 2",
    "  selector:\n    matchLabels:\n      app: web",
    "  template:",
    "    metadata:\n      labels:\n        app: web",
    "    spec:",
    "      containers:",
    `        - name: web\n          image: ${image}\n          ports:\n            - containerPort: 80`,
    "---",
    "apiVersion: v1",
    "kind: Service",
    "metadata:\n  name: web\n  namespace: apps",
    "spec:\n  selector:\n    app: web\n  ports:\n    - port: 80\n      targetPort: 80",
    "",
  ].join("\n");
}

export interface CosignKeyPair {
  readonly key: string;
  readonly keyFile: string;
  readonly pub: string;
  readonly pubFile: string;
  readonly password: string;
}

function cosignKeyPair(dir: string, role: string, password: string): CosignKeyPair {
  const prefix = join(dir, `cosign-${role}`);
  execFileSync(tool("cosign"), ["generate-key-pair", "--output-key-prefix", prefix], {
    env: { PATH: process.env.PATH ?? "", COSIGN_PASSWORD: password },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return {
    key: readFileSync(`${prefix}.key`, "utf8"),
    keyFile: `${prefix}.key`,
    pub: readFileSync(`${prefix}.pub`, "utf8"),
    pubFile: `${prefix}.pub`,
    password,
  };
}

/** A built release candidate. */
export interface Rc {
  readonly tag: string;
  readonly digest: string;
  /** When the build job finished. */
  readonly at: number;
  readonly sha: string;
}

export const revisionOf = (tag: string, digest: string): string => `${tag}@${digest}`;
export const stableOf = (rcTag: string): string => rcTag.replace(/-rc\.\d+$/, "");
const dispatchedRevision = (d: DispatchRequest): string | undefined =>
  (d.clientPayload as { metadata?: { revision?: string } }).metadata?.revision;

/** Versions the box's clusters may select (X.Y.Z and X.Y.Z-rc.N), oldest first, as Flux's semver orders them. */
export function versionsOf(listing: Map<string, string>, stableOnly = false): string[] {
  const pattern = stableOnly ? /^\d+\.\d+\.\d+$/ : /^\d+\.\d+\.\d+(-rc\.\d+)?$/;
  return [...listing.keys()].filter((t) => pattern.test(t)).sort(semverCompare);
}

export interface BoxCluster {
  readonly name: string;
  /** `stage`: a cluster of an intermediate stage (`pipeline.stages`, issue 21). */
  readonly role: "integration" | "stage" | "live";
}

export const TWO_CLUSTERS: readonly BoxCluster[] = [
  { name: "integration", role: "integration" },
  { name: "live", role: "live" },
];

/**
 * A box by name: its clusters and the extra `pipeline` configuration (e.g. `stages`) its scenarios need.
 * `useBox(layout)` starts one box per layout name and mocha run.
 */
export interface BoxLayout {
  readonly name: string;
  readonly clusters: readonly BoxCluster[];
  /** Merged into `promotion-pipeline:pipeline` (after the box's own keys; `clusters` stays the box's). */
  readonly pipeline?: Readonly<Record<string, unknown>>;
}

/** A `pipeline.stages` entry as a layout writes it (the config's own keys, before validation). */
export interface BoxStage {
  readonly name: string;
  readonly clusters: readonly string[];
  readonly soak?: string;
  readonly windows?: readonly string[];
}

export const TWO_CLUSTERS_LAYOUT: BoxLayout = { name: "two-clusters", clusters: TWO_CLUSTERS };

/** Always open: a window over the whole day, every day (a stage with a window keeps its soak records). */
export const OPEN_WINDOW = "* 00:00-24:00 UTC";

/**
 * The three stages of tests/unit/stages.test.ts (`THREE_STAGES`): integration -> staging -> live, staging with a
 * soak and a promotion window; the soak short (2 m) and the window open (OPEN_WINDOW) so a scenario waits for
 * what it tests only. tests/flux/stages.test.ts changes the window through configuration (`Box.reconfigure`).
 */
export const THREE_STAGES = [
  { name: "integration", clusters: ["integration"] },
  { name: "staging", clusters: ["staging"], soak: "2m", windows: [OPEN_WINDOW] },
  { name: "live", clusters: ["live"] },
] as const;

export const THREE_STAGES_LAYOUT: BoxLayout = {
  name: "three-stages",
  clusters: [
    { name: "integration", role: "integration" },
    { name: "staging", role: "stage" },
    { name: "live", role: "live" },
  ],
  pipeline: { stages: THREE_STAGES },
};

/** The canary's period (`@every 60s`) plus duty's jitter (at most 9% of it). */
const CANARY_PERIOD_MS = 60_000 + 5_400;

/**
 * The event notification-controller forwards for the gate (what the githubdispatch provider puts in
 * client_payload: the eventv1.Event of kustomize-controller) at `at`, with `metadata`.
 */
function gateEvent(at: Date, metadata: Record<string, string>): Record<string, unknown> {
  return {
    involvedObject: {
      kind: "Kustomization",
      namespace: FLUX_NAMESPACE,
      name: GATE.name,
      apiVersion: GATE.api,
    },
    severity: "info",
    timestamp: at.toISOString(),
    message: "Health check passed in 1s",
    reason: "Progressing",
    metadata,
    reportingController: "kustomize-controller",
  };
}

export class Box {
  readonly procs: ProcessGroup;
  reg!: TestRegistry;
  github!: GitHubStandIn;
  /**
   * The same GitHub double over plain HTTP, for the promote job's Deployment record (the runner's Node
   * trusts only the registry's CA, so the record goes to a second instance rather than the HTTPS one).
   */
  githubApi!: GitHubStandIn;
  project!: ProjectCopy;
  registryCA!: Authority;
  githubCA!: Authority;
  machineEnv!: Record<string, string>;
  /** `<registry>/<owner>/<repo>/platform`. */
  artifact!: string;
  keys!: { build: CosignKeyPair; promote: CosignKeyPair };
  readonly clusters = new Map<string, Cluster>();
  /** canary-checker, played, one per cluster. */
  readonly canaries = new Map<string, CanaryChecker>();
  /** Canary statuses the played canary-checker wrote that the Canary CRD refuses (should stay empty). */
  readonly canaryWriteErrors: string[] = [];
  /** Promote runs, in the order the dispatches arrived. */
  readonly promotions: { dispatch: DispatchRequest; result: Promise<JobResult> }[] = [];
  private promoteChain: Promise<unknown> = Promise.resolve();
  private runs = 0;

  private constructor(
    readonly work: string,
    readonly layout: readonly BoxCluster[],
    /** Extra `promotion-pipeline:pipeline` keys (BoxLayout.pipeline); `reconfigure` changes them. */
    private extraPipeline: Readonly<Record<string, unknown>> = {},
  ) {
    mkdirSync(join(work, "logs"));
    this.procs = new ProcessGroup(join(work, "logs"));
  }

  /** Starts the box; on failure stops what it started and keeps the logs (the error names where). */
  static async start(
    layout: readonly BoxCluster[] = TWO_CLUSTERS,
    pipeline: Readonly<Record<string, unknown>> = {},
  ): Promise<Box> {
    assertBuilt();
    assertToolchain();
    for (const t of ["crane", "oras", "cosign"] as const) tool(t);
    const box = new Box(mkdtempSync(join(tmpdir(), "promotion-flux-")), layout, pipeline);
    try {
      await box.boot();
      return box;
    } catch (e) {
      await box.stop(true);
      const msg = e instanceof Error ? e.message : String(e);
      throw new Error(`the box did not start (logs kept in ${box.work}/logs): ${msg}`, {
        cause: e,
      });
    }
  }

  cluster(name: string): Cluster {
    const c = this.clusters.get(name);
    if (!c)
      throw new Error(`no cluster "${name}" in this box (${[...this.clusters.keys()].join(", ")})`);
    return c;
  }
  canary(name: string): CanaryChecker {
    return this.canaries.get(name)!;
  }
  get integration(): Cluster {
    return this.cluster(this.layout.find((c) => c.role === "integration")!.name);
  }
  get live(): Cluster {
    return this.cluster(this.layout.find((c) => c.role === "live")!.name);
  }

  private async boot(): Promise<void> {
    const pki = join(this.work, "pki");
    mkdirSync(pki);
    const apiCA = newAuthority(pki, "clusters");
    this.registryCA = newAuthority(pki, "registry");
    this.githubCA = newAuthority(pki, "github");
    // A real API server's certificate names the `kubernetes` Service; the canary's http check verifies that name.
    const apiCert = servingCert(pki, apiCA, "kube-apiserver", KUBE_APISERVER_SANS);
    const registryCert = servingCert(pki, this.registryCA, "registry");
    const githubCert = servingCert(pki, this.githubCA, "github");
    const saKeys = serviceAccountKeys(pki);
    this.keys = {
      build: cosignKeyPair(pki, "build", "build-key-passw0rd"),
      promote: cosignKeyPair(pki, "promote", "promote-key-passw0rd"),
    };

    this.reg = await startRegistry({
      basicAuth: { user: REGISTRY_USER, password: REGISTRY_PASSWORD },
      tls: {
        certFile: registryCert.certFile,
        keyFile: registryCert.keyFile,
        caPem: this.registryCA.caPem,
      },
    });
    this.artifact = `${this.reg.host}/${REPO_PATH}`;
    this.github = await GitHubStandIn.start({
      tls: { certPem: githubCert.certPem, keyPem: readFileSync(githubCert.keyFile, "utf8") },
      tokens: [DISPATCH_TOKEN],
      repositories: [`${OWNER}/${REPOSITORY}`, `${OWNER}/homelab`],
      onDispatch: (d) => {
        if (d.repo !== REPOSITORY) return;
        // GitHub starts one workflow run per dispatch; the promote job's concurrency group runs them in turn.
        const result = this.promoteChain.then(() => this.promote(d));
        this.promoteChain = result.catch(() => undefined);
        this.promotions.push({ dispatch: d, result });
      },
    });
    this.githubApi = await GitHubStandIn.start({
      tokens: [REGISTRY_PASSWORD],
      repositories: [`${OWNER}/${REPOSITORY}`],
    });
    // The runner's machine: crane, oras, cosign, node on PATH; trusts the registry's CA (Go reads
    // SSL_CERT_FILE, Node NODE_EXTRA_CA_CERTS), as a self-hosted runner of a private registry would.
    const home = join(this.work, "runner-home");
    mkdirSync(home);
    this.machineEnv = {
      PATH: [TOOLS_BIN, dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
      HOME: home,
      DOCKER_CONFIG: join(this.work, "runner-docker"),
      LANG: "C.UTF-8",
      SSL_CERT_FILE: this.registryCA.caFile,
      NODE_EXTRA_CA_CERTS: this.registryCA.caFile,
      // `promotion` reads 127.0.0.1 over plain HTTP unless told; this registry is TLS-only.
      PROMOTION_REGISTRY_SCHEME: "https",
    };
    this.crane(
      "auth",
      "login",
      this.reg.host,
      "--username",
      REGISTRY_USER,
      "--password",
      REGISTRY_PASSWORD,
    );

    const etcd = await Etcd.start(this.procs, this.work);
    for (const { name } of this.layout) {
      const c = await Cluster.start(this.procs, {
        name,
        dir: this.work,
        etcd,
        apiCA,
        apiCert,
        saKeys,
      });
      this.clusters.set(name, c);
      await c.startWorkloads(this.procs);
      await c.startFlux(this.procs);
      // Registry credentials, created out of band as the README says (the program only references them).
      await c.kube.apply(
        {
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name: "registry-credentials", namespace: FLUX_NAMESPACE },
          type: "kubernetes.io/dockerconfigjson",
          stringData: {
            ".dockerconfigjson": JSON.stringify({
              auths: { [this.reg.host]: { username: REGISTRY_USER, password: REGISTRY_PASSWORD } },
            }),
          },
        },
        TEST_MANAGER,
      );
    }

    this.project = ProjectCopy.create(this.work);
    this.configureProject();
    for (const { name } of this.layout) {
      ok(this.project.pulumi("stack", "select", "--create", name), `stack select ${name}`);
    }
    // Every stack whose gate dispatches: integration's, and an intermediate stage's.
    for (const { name } of this.layout.filter((c) => c.role !== "live")) {
      ok(
        this.project.sh(
          "pulumi",
          [
            "config",
            "set",
            "--secret",
            "promotion-pipeline:dispatchToken",
            "--stack",
            name,
            "--non-interactive",
          ],
          { input: DISPATCH_TOKEN },
        ),
        `config set dispatchToken --stack ${name}`,
      );
    }
    for (const { name } of this.layout) {
      ok(
        this.project.pulumi("up", "--stack", name, "--yes", "--skip-preview"),
        `pulumi up --stack ${name}`,
      );
    }

    // canary-checker, played on every cluster: the Canary the program rendered, its checks really run.
    const validate = canaryValidator();
    for (const [name, c] of this.clusters) {
      const player = new CanaryChecker({
        kube: c.kube,
        namespace: CANARY_NAMESPACE,
        name: CANARY_NAME,
        // The one mapping: the `kubernetes` Service's name and port -> this API server's real address.
        hosts: { "kubernetes.default.svc:443": new URL(c.kube.server).host },
        onWrite: (o) => {
          for (const err of validate(o)) this.canaryWriteErrors.push(`${name}: ${err}`);
        },
      });
      player.start();
      this.canaries.set(name, player);
    }
  }

  /** Pulumi.yaml and the stack files of the copy, pointed at this run's registry, GitHub and clusters. */
  private configureProject(): void {
    const projectFile = join(this.project.dir, "Pulumi.yaml");
    const doc = parse(readFileSync(projectFile, "utf8")) as {
      config: Record<string, { value: Record<string, unknown> }>;
    };
    const pipeline = doc.config["promotion-pipeline:pipeline"]!.value;
    Object.assign(pipeline, {
      registry: this.reg.host,
      owner: OWNER,
      repository: REPOSITORY,
      artifact: "platform",
      registrySecret: "registry-credentials",
      registryCA: { pem: this.registryCA.caPem },
      registryCredentials: {
        usernameSecret: "REGISTRY_USERNAME",
        passwordSecret: "REGISTRY_PASSWORD",
      },
      github: { url: this.github.url, caPem: this.githubCA.caPem },
      // Key-based: the build key signs RCs (integration verifies it), the promote key signs what passed the
      // gate (live verifies it). The private keys are the runner's secrets (jobContext).
      signing: {
        mode: "key",
        build: { publicKey: this.keys.build.pub },
        promote: { publicKey: this.keys.promote.pub },
      },
      // The platform's own check beside the built-in ones (`pipeline.extraChecks`): its web Pods Ready. It is the
      // LAST check canary-checker runs (kubernetes after http, extra after built-in), so when the flux-pods check
      // fails and this one passes, `status.status` is "Passed" and only `errorMessage` tells (trap 2 of
      // docs/validation-gate.md, on the real kustomize-controller in unhealthy.test.ts).
      extraChecks: [
        {
          type: "kubernetes",
          spec: {
            name: WEB_PODS_CHECK,
            kind: "Pod",
            namespaceSelector: { name: "apps" },
            resource: { labelSelector: "app=web" },
            ready: true,
            healthy: true,
            test: { expr: "dyn(results).size() > 0" },
          },
        },
      ],
    });
    Object.assign(pipeline, this.extraPipeline);
    const clusters: Record<string, Record<string, unknown>> = {};
    for (const { name, role } of this.layout) clusters[name] = { role, interval: "15s" };
    pipeline.clusters = clusters;
    writeFileSync(projectFile, stringify(doc));
    for (const { name } of this.layout) {
      const file = join(this.project.dir, `Pulumi.${name}.yaml`);
      let salt = "";
      try {
        salt = /^encryptionsalt: .*$/m.exec(readFileSync(file, "utf8"))?.[0] ?? "";
      } catch {
        // a stack the project does not ship: Pulumi makes its salt
      }
      writeFileSync(
        file,
        stringify({
          config: {
            "promotion-pipeline:kubernetes": { kubeconfig: this.cluster(name).kubeconfig },
            "promotion-pipeline:files": { directory: `out/${name}/github` },
          },
        }) + (salt ? `${salt}\n` : ""),
      );
    }
  }

  /** Stops every process by pid and the servers; removes the work directory unless `keep`. */
  async stop(keep: boolean): Promise<void> {
    await Promise.all([...this.canaries.values()].map((c) => c.stop()));
    await this.procs.stopAll();
    await this.github?.stop();
    await this.githubApi?.stop();
    await this.reg?.stop();
    if (keep || process.env.PROMOTION_KEEP_FLUX) {
      console.log(
        `\n    flux box: logs and state kept in ${this.work} (logs/ has every controller and API server)`,
      );
    } else {
      rmSync(this.work, { recursive: true, force: true });
    }
  }

  crane(...args: string[]): string {
    return execFileSync(tool("crane"), args, {
      env: this.machineEnv,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  }

  cosign(env: Record<string, string>, ...args: string[]): { code: number; out: string } {
    try {
      const out = execFileSync(tool("cosign"), args, {
        env: { ...this.machineEnv, ...env },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
      return { code: 0, out };
    } catch (e) {
      const err = e as { status?: number; stdout?: string; stderr?: string };
      return { code: err.status ?? 1, out: `${err.stdout ?? ""}${err.stderr ?? ""}` };
    }
  }

  /** `cosign verify` of a digest against one role's public key (offline: key-based, no transparency log). */
  verifiedBy(digest: string, role: CosignKeyPair): boolean {
    return (
      this.cosign(
        {},
        "verify",
        "--key",
        role.pubFile,
        "--insecure-ignore-tlog",
        `${this.artifact}@${digest}`,
      ).code === 0
    );
  }

  /** The registry's whole listing: tag -> digest. */
  listing(): Map<string, string> {
    let out: string;
    try {
      out = this.crane("ls", this.artifact);
    } catch (e) {
      // Nothing pushed yet: the registry does not know the repository.
      if (/NAME_UNKNOWN/.test(String((e as { stderr?: string }).stderr))) return new Map();
      throw e;
    }
    const tags = out.split("\n").filter(Boolean).sort();
    return new Map(tags.map((t) => [t, this.crane("digest", `${this.artifact}:${t}`)]));
  }

  /**
   * The WHOLE listing against `before`: every tag that was there names the same digest (none moved or
   * vanished), and the only new tags are the build's own for `rc` (RC tag, integration-<7>, sha-<7>, signature)
   * and `extra`.
   */
  expectOnlyBuildTagsAdded(
    before: ReadonlyMap<string, string>,
    rc: Rc,
    extra: string[] = [],
  ): void {
    const after = this.listing();
    for (const [t, d] of before) assert.equal(after.get(t), d, `tag ${t} moved or vanished`);
    assert.deepEqual(
      [...after.keys()].filter((t) => !before.has(t)).sort(),
      [
        `integration-${rc.sha.slice(0, 7)}`,
        rc.tag,
        `sha-${rc.sha.slice(0, 7)}`,
        `${rc.digest.replace(":", "-")}.sig`,
        ...extra,
      ].sort(),
      "only the build's own tags may appear",
    );
  }

  /** The newest stable tag X.Y.Z in the registry, if any. */
  newestStable(): { tag: string; digest: string } | undefined {
    const l = this.listing();
    const tag = versionsOf(l, true).at(-1);
    return tag ? { tag, digest: l.get(tag)! } : undefined;
  }

  /** Dispatches for our repository the stand-in accepted (optionally: only those of one digest). */
  dispatches(digest?: string): DispatchRequest[] {
    return this.github
      .accepted()
      .filter((d) => d.owner === OWNER && d.repo === REPOSITORY)
      .filter((d) => digest === undefined || (dispatchedRevision(d) ?? "").endsWith(`@${digest}`));
  }

  private jobContext(ws: string, eventName: string, event: unknown, sha: string): JobContext {
    return {
      workspace: ws,
      eventName,
      event,
      githubEnv: {
        GITHUB_SHA: sha,
        GITHUB_REF_NAME: "main",
        GITHUB_REF: "refs/heads/main",
        GITHUB_SERVER_URL: this.github.url,
        GITHUB_API_URL: this.githubApi.url,
        GITHUB_ACTOR: REGISTRY_USER,
        GITHUB_REPOSITORY: `${OWNER}/${REPOSITORY}`,
        GITHUB_RUN_ID: String(++this.runs),
      },
      secrets: {
        GITHUB_TOKEN: REGISTRY_PASSWORD,
        REGISTRY_USERNAME: REGISTRY_USER,
        REGISTRY_PASSWORD,
        COSIGN_BUILD_KEY: this.keys.build.key,
        COSIGN_BUILD_PASSWORD: this.keys.build.password,
        COSIGN_PROMOTE_KEY: this.keys.promote.key,
        COSIGN_PROMOTE_PASSWORD: this.keys.promote.password,
      },
      actor: REGISTRY_USER,
      machineEnv: this.machineEnv,
    };
  }

  /** The platform repository at a commit: what the owner stack delivered, plus the platform's own manifests. */
  checkout(name: string, extra: Record<string, string> = {}): string {
    const ws = join(this.work, `ws-${name}-${Math.random().toString(36).slice(2, 8)}`);
    cpSync(join(this.project.dir, "out", this.integration.name, "github"), ws, {
      recursive: true,
    });
    const files: Record<string, string> = {
      "kubernetes/apps/namespace.yaml":
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n",
      "kubernetes/apps/settings.yaml":
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: apps\ndata:\n  greeting: hello\n",
      // A workload that lives: kube-controller-manager makes its ReplicaSet and Pods, kube-scheduler binds the
      // Pods to kwok's node, kwok runs them to Ready, and kustomize-controller's `wait: true` judges it Available.
      "kubernetes/apps/web.yaml": webWorkload(WEB_IMAGE),
      ...extra,
    };
    for (const [p, content] of Object.entries(files)) {
      mkdirSync(dirname(join(ws, p)), { recursive: true });
      writeFileSync(join(ws, p), content);
    }
    return ws;
  }

  /** Runs the generated build workflow's real scripts for `sha`; returns the pushed RC tag and digest. */
  async build(sha: string, extra: Record<string, string> = {}): Promise<Rc> {
    const text = readFileSync(
      join(this.project.dir, "out", this.integration.name, "github", BUILD_WORKFLOW),
      "utf8",
    );
    const r = await runJob(
      text,
      "build",
      this.jobContext(
        this.checkout(sha.slice(0, 7), extra),
        "push",
        { ref: "refs/heads/main", after: sha },
        sha,
      ),
    );
    assert.equal(r.status, "success", `build failed:\n${r.log}`);
    const tag = r.outputs.plan?.rc_tag;
    const digest = r.outputs.push?.digest;
    assert.ok(tag && digest, `build printed no rc_tag/digest:\n${r.log}`);
    assert.match(tag, /^\d+\.\d+\.\d+-rc\.\d+$/);
    return { tag, digest, at: Date.now(), sha };
  }

  /** Runs the generated promote workflow's real scripts with a dispatch, as GitHub would start it. */
  promote(d: Pick<DispatchRequest, "eventType" | "clientPayload">): Promise<JobResult> {
    const text = readFileSync(
      join(this.project.dir, "out", this.integration.name, "github", PROMOTE_WORKFLOW),
      "utf8",
    );
    return runJob(
      text,
      "promote",
      this.jobContext(
        this.checkout(`promote-${this.runs}`),
        "repository_dispatch",
        { action: d.eventType, client_payload: d.clientPayload },
        commitOf("promote"),
      ),
    );
  }

  /**
   * A stable version made fast, through the registry: the build job for `sha`, then the promote job run with the
   * dispatch notification-controller sends for that revision, without waiting for a gate. (Integration applies
   * and validates it later as usual; its own dispatch then finds the version promoted and changes nothing.)
   */
  async seedStable(sha: string): Promise<{ tag: string; digest: string }> {
    const rc = await this.build(sha);
    const run = await this.promote({
      eventType: EVENT_TYPE,
      clientPayload: gateEvent(new Date(), { revision: revisionOf(rc.tag, rc.digest) }),
    });
    assert.equal(run.status, "success", `seeding promote failed:\n${run.log}`);
    // With intermediate stages (pipeline.stages), the promotion above went into the first of them; each then
    // reports its stage tag healthy as its gate's Alert would, dated before its soak so the soak has passed.
    for (const s of this.stages().slice(1, -1)) {
      const at = new Date(Date.now() - goDurationSeconds(s.soak ?? "0s") * 1000 - 60_000);
      const staged = await this.promote({
        eventType: EVENT_TYPE,
        clientPayload: gateEvent(at, {
          revision: revisionOf(stageTag(s.name, rc.tag), rc.digest),
          [STAGE_METADATA_KEY]: s.name,
        }),
      });
      assert.equal(
        staged.status,
        "success",
        `seeding promote from ${s.name} failed:\n${staged.log}`,
      );
    }
    const tag = stableOf(rc.tag);
    assert.equal(this.listing().get(tag), rc.digest, `seeding did not tag ${tag}`);
    return { tag, digest: rc.digest };
  }

  /** The newest stable version; seeds one (seedStable) when the registry has none yet. */
  async ensureStable(): Promise<{ tag: string; digest: string }> {
    return this.newestStable() ?? (await this.seedStable(commitOf("seed-stable-0")));
  }

  /**
   * Labels one Pod with kwok's chaos label: kwok's `pod-container-running-failed` stage fails its container
   * (phase Failed, Ready False), as a crashed container would; its ReplicaSet starts a replacement. Returns
   * the Pod's name once kwok has failed it.
   */
  async failPod(c: Cluster, namespace: string, selector: string): Promise<string> {
    const pod = (await c.kube.list("v1", "Pod", namespace, selector)).find(
      (p) => p.status?.phase === "Running",
    );
    assert.ok(pod, `${c.name}: no Running Pod ${selector} in ${namespace}`);
    const name = pod.metadata.name;
    await c.kube.mergePatch(
      "v1",
      "Pod",
      namespace,
      name,
      { metadata: { labels: { [NOT_READY_LABEL]: "true" } } },
      TEST_MANAGER,
    );
    await this.waitFor(
      `${c.name}: kwok to fail Pod ${name}`,
      async () => {
        const p = await c.kube.get("v1", "Pod", namespace, name);
        return p && condition(p, "Ready")?.status === "False" ? true : undefined;
      },
      30_000,
      250,
    );
    return name;
  }

  async reconcileSource(c: Cluster): Promise<void> {
    await c.kube.requestReconcile(SOURCE.api, SOURCE.kind, FLUX_NAMESPACE, SOURCE.name);
  }
  async reconcileGate(c: Cluster): Promise<void> {
    await c.kube.requestReconcile(GATE.api, GATE.kind, FLUX_NAMESPACE, GATE.name);
  }
  /** Suspends (`flux suspend source oci`) or resumes the cluster's OCIRepository: it takes nothing new meanwhile. */
  async suspendSource(c: Cluster, on: boolean): Promise<void> {
    await c.kube.mergePatch(
      SOURCE.api,
      SOURCE.kind,
      FLUX_NAMESPACE,
      SOURCE.name,
      { spec: { suspend: on ? true : null } },
      TEST_MANAGER,
    );
  }

  /** `waitFor`, failing at once when a process of the box died. */
  waitFor<T>(
    what: string,
    probe: () => Promise<T | undefined>,
    timeoutMs: number,
    everyMs = 500,
  ): Promise<T> {
    return waitFor(
      what,
      async () => {
        this.procs.assertAlive();
        for (const [n, p] of this.canaries) {
          if (p.errors.length) throw new FatalError(`played canary-checker (${n}): ${p.errors[0]}`);
        }
        return probe();
      },
      timeoutMs,
      everyMs,
    );
  }

  /** Waits until the cluster's OCIRepository serves `revision`. */
  async waitSelected(c: Cluster, revision: string, timeoutMs = 120_000): Promise<number> {
    await this.waitFor(
      `${c.name} OCIRepository to serve ${revision}`,
      async () => {
        const o = await c.kube.get(SOURCE.api, SOURCE.kind, FLUX_NAMESPACE, SOURCE.name);
        const got = (o?.status?.artifact as { revision?: string } | undefined)?.revision;
        if (got === revision) return true;
        await this.reconcileSource(c);
        return undefined;
      },
      timeoutMs,
      1000,
    );
    return Date.now();
  }

  /** Waits until the gate reports Ready with `revision` applied (health check passed). */
  async waitApplied(c: Cluster, revision: string, timeoutMs = 300_000): Promise<number> {
    await this.waitFor(
      `${c.name} Kustomization ${GATE.name} to apply ${revision} and report Ready`,
      async () => {
        const o = await c.kube.get(GATE.api, GATE.kind, FLUX_NAMESPACE, GATE.name);
        return o?.status?.lastAppliedRevision === revision &&
          condition(o, "Ready")?.status === "True"
          ? true
          : undefined;
      },
      timeoutMs,
      500,
    );
    return Date.now();
  }

  /** Waits until the cluster's Canary carries the version stamp `version` (the gate applied that artifact). */
  waitCanaryStamp(c: Cluster, version: string, timeoutMs = 120_000): Promise<KubeObject> {
    return this.waitFor(
      `${c.name}: the Canary to carry ${VERSION_ANNOTATION}=${version}`,
      async () => {
        const o = await c.kube.get(CANARY_API, "Canary", CANARY_NAMESPACE, CANARY_NAME);
        return o?.metadata.annotations?.[VERSION_ANNOTATION] === version ? o : undefined;
      },
      timeoutMs,
      250,
    );
  }

  /** When kustomize-controller applied the Canary it now holds (its managedFields entry). */
  static appliedAt(canary: KubeObject): number {
    const t = canary.metadata.managedFields?.find(
      (f) => f.manager === "kustomize-controller" && !f.subresource,
    )?.time;
    assert.ok(t, `no kustomize-controller entry on the Canary: ${JSON.stringify(canary.metadata)}`);
    return Date.parse(t);
  }

  /**
   * How long a scenario waits before it may say "no (second) event": the gate's retry interval (a failed health
   * check is tried again after it), one source interval (a reconcile), one canary period (a fresh run) and a
   * margin, read from the objects on the cluster.
   */
  async quietWindowMs(c: Cluster = this.integration): Promise<number> {
    const gate = await c.kube.mustGet(GATE.api, GATE.kind, FLUX_NAMESPACE, GATE.name);
    const src = await c.kube.mustGet(SOURCE.api, SOURCE.kind, FLUX_NAMESPACE, SOURCE.name);
    const spec = gate.spec as { retryInterval?: string; interval: string };
    return (
      goDurationSeconds(spec.retryInterval ?? spec.interval) * 1000 +
      goDurationSeconds((src.spec as { interval: string }).interval) * 1000 +
      CANARY_PERIOD_MS +
      5_000
    );
  }

  /** Waits for the dispatch of `revision` and for its promote run to finish. */
  async waitDispatch(
    revision: string,
    timeoutMs = 300_000,
  ): Promise<{ d: DispatchRequest; run: JobResult; at: number }> {
    const d = await this.waitFor(
      `the dispatch of ${revision}`,
      () => Promise.resolve(this.dispatches().find((x) => dispatchedRevision(x) === revision)),
      timeoutMs,
      250,
    );
    const at = Date.now();
    const entry = this.promotions.find((p) => p.dispatch === d)!;
    return { d, run: await entry.result, at };
  }

  /**
   * `rc` was dispatched (its revision, exactly), its promote run succeeded, and the stable tag of its version
   * now names its digest (returned).
   */
  async expectPromoted(rc: { tag: string; digest: string }): Promise<string> {
    const { run } = await this.waitDispatch(revisionOf(rc.tag, rc.digest));
    assert.equal(run.status, "success", `promote failed:\n${run.log}`);
    const stable = stableOf(rc.tag);
    assert.equal(this.listing().get(stable), rc.digest);
    return stable;
  }

  /** Exactly one dispatch names `digest` (under any tag), a full quiet window after the first one arrived. */
  async expectDispatchedOnce(digest: string): Promise<void> {
    const first = this.dispatches(digest)[0];
    assert.ok(first, `${digest} was never dispatched`);
    await sleep(Math.max(0, first.at.getTime() + (await this.quietWindowMs()) - Date.now()));
    const got = this.dispatches(digest).map(dispatchedRevision);
    assert.equal(
      got.length,
      1,
      `expected exactly one dispatch of ${digest}, got ${got.join(", ")}`,
    );
  }

  /** During a full quiet window no dispatch names `digest`. */
  async expectNoDispatch(digest: string): Promise<void> {
    const until = Date.now() + (await this.quietWindowMs());
    while (Date.now() < until) {
      this.procs.assertAlive();
      assert.deepEqual(this.dispatches(digest), [], `${digest} was dispatched`);
      await sleep(1000);
    }
  }

  /** What a cluster serves and its gate applied. */
  async serving(c: Cluster): Promise<{ artifact?: string; applied?: string }> {
    const src = await c.kube.mustGet(SOURCE.api, SOURCE.kind, FLUX_NAMESPACE, SOURCE.name);
    const gate = await c.kube.mustGet(GATE.api, GATE.kind, FLUX_NAMESPACE, GATE.name);
    return {
      artifact: (src.status?.artifact as { revision?: string } | undefined)?.revision,
      applied: gate.status?.lastAppliedRevision as string | undefined,
    };
  }

  /**
   * Waits until every cluster serves the newest version it may take (integration the newest of all, live the
   * newest stable) and its gate has finished judging it: applied and healthy, or failed (a scenario that left
   * a broken RC behind leaves integration failing on it; the next RC supersedes it). The quiet state a
   * scenario starts from.
   */
  async settle(timeoutMs = 420_000): Promise<void> {
    const l = this.listing();
    for (const { name, role } of this.layout) {
      const tag =
        role === "stage"
          ? this.stageVersions(name, l).at(-1)
          : versionsOf(l, role === "live").at(-1);
      if (!tag) continue;
      const c = this.cluster(name);
      const rev = revisionOf(tag, l.get(tag)!);
      await this.waitSelected(c, rev);
      await this.waitFor(
        `${name}: the gate to finish judging ${rev}`,
        async () => {
          const o = await c.kube.get(GATE.api, GATE.kind, FLUX_NAMESPACE, GATE.name);
          const ready = condition(o, "Ready");
          if (o?.status?.lastAppliedRevision === rev && ready?.status === "True") return true;
          return o?.status?.lastAttemptedRevision === rev && ready?.status === "False"
            ? true
            : undefined;
        },
        timeoutMs,
      );
    }
    // Promote runs still going (e.g. the dispatch of a seeded version) finish before the scenario starts.
    await Promise.all(this.promotions.map((p) => p.result.catch(() => undefined)));
    await Promise.all(this.replans.map((p) => p.catch(() => undefined)));
  }

  // ---- stages (issue 21): a box whose layout has a `stage` cluster and `pipeline.stages` ----

  /** `pipeline.stages` as the box's extra pipeline configuration has it now (none: the two-stage default). */
  private stages(): readonly BoxStage[] {
    return (this.extraPipeline.stages ?? []) as readonly BoxStage[];
  }

  /** The `pipeline.stages` entry holding cluster `name`. */
  stageOf(name: string): BoxStage {
    const stages = this.stages();
    const s = stages.find((x) => x.clusters.includes(name));
    assert.ok(s, `cluster ${name} is in no stage of ${JSON.stringify(stages)}`);
    return s;
  }

  /** Versions on an intermediate stage's channel (X.Y.Z-0.<stage>.N), oldest first, as Flux orders them. */
  stageVersions(cluster: string, listing: Map<string, string>): string[] {
    // The very filter the program renders for the stage's OCIRepository (what Flux admits).
    const channel = new RegExp(stageFilter(this.stageOf(cluster).name));
    return [...listing.keys()].filter((t) => channel.test(t)).sort(semverCompare);
  }

  /** Scheduled re-plans (and runs by hand) of the promote workflow, in the order they were started. */
  readonly replans: Promise<JobResult>[] = [];

  /**
   * Runs the promote workflow as GitHub's `schedule` would (the re-plan of every open soak record), or, with
   * `inputs`, as a person's `workflow_dispatch`; serialised with the dispatched runs (the job's concurrency
   * group).
   */
  replan(inputs?: Record<string, string>): Promise<JobResult> {
    const text = () =>
      readFileSync(
        join(this.project.dir, "out", this.integration.name, "github", PROMOTE_WORKFLOW),
        "utf8",
      );
    const result = this.promoteChain.then(() =>
      runJob(
        text(),
        "promote",
        this.jobContext(
          this.checkout(`replan-${this.runs}`),
          inputs ? "workflow_dispatch" : "schedule",
          inputs ? { inputs: { rollback_to: "", ...inputs } } : { schedule: "*/10 * * * *" },
          commitOf("promote"),
        ),
      ),
    );
    this.promoteChain = result.catch(() => undefined);
    this.replans.push(result);
    return result;
  }

  /**
   * Changes `promotion-pipeline:pipeline` keys (e.g. `stages`) in Pulumi.yaml and runs `pulumi up` on every
   * stack, as a user would; nothing when they are already so. Async (the GitHub stand-in and the played
   * canary-checker run in this process and must keep serving during the update). Returns whether it changed.
   */
  async reconfigure(keys: Readonly<Record<string, unknown>>): Promise<boolean> {
    const next = { ...this.extraPipeline, ...keys };
    if (JSON.stringify(next) === JSON.stringify(this.extraPipeline)) return false;
    const projectFile = join(this.project.dir, "Pulumi.yaml");
    const doc = parse(readFileSync(projectFile, "utf8")) as {
      config: Record<string, { value: Record<string, unknown> }>;
    };
    Object.assign(doc.config["promotion-pipeline:pipeline"]!.value, keys);
    writeFileSync(projectFile, stringify(doc));
    this.extraPipeline = next;
    for (const { name } of this.layout) {
      ok(
        await this.project.shAsync("pulumi", [
          "up",
          "--stack",
          name,
          "--yes",
          "--skip-preview",
          "--non-interactive",
        ]),
        `pulumi up --stack ${name}`,
      );
    }
    return true;
  }

  /**
   * Waits until `c`'s OCIRepository refuses `digest` for failed verification; returns that condition.
   * source-controller v1.9.3 (ocirepository_controller.go) marks SourceVerified False, reason VerificationError,
   * "failed to verify the signature using provider 'cosign': no matching signatures were found for '<url>@<digest>'"
   * and returns before it pulls, so the stored artifact (what the gate applies) stays the last verified one.
   */
  waitRefused(c: Cluster, digest: string): Promise<{ reason?: string; message?: string }> {
    return this.waitFor(
      `${c.name} OCIRepository to refuse ${digest} (signature verification)`,
      async () => {
        const o = await c.kube.get(SOURCE.api, SOURCE.kind, FLUX_NAMESPACE, SOURCE.name);
        const verified = condition(o, "SourceVerified");
        if (verified?.status === "False" && (verified.message ?? "").includes(digest))
          return verified;
        await this.reconcileSource(c);
        return undefined;
      },
      120_000,
      1000,
    );
  }

  /**
   * A copy of `from`'s manifest with one more annotation: the same content under a NEW digest that nobody signed,
   * pushed and tagged by hand (oras, as a person with `packages: write` would).
   */
  pushByHand(from: string, tag: string, note: string): string {
    const manifest = JSON.parse(this.crane("manifest", `${this.artifact}:${from}`)) as {
      mediaType?: string;
      annotations?: Record<string, string>;
    };
    manifest.annotations = { ...manifest.annotations, "example.org/pushed-by-hand": note };
    const file = join(this.work, `hand-${tag}-${note}.json`);
    writeFileSync(file, JSON.stringify(manifest));
    execFileSync(
      tool("oras"),
      [
        "manifest",
        "push",
        "--media-type",
        manifest.mediaType ?? "application/vnd.oci.image.manifest.v1+json",
        `${this.artifact}:${tag}`,
        file,
      ],
      { env: this.machineEnv, stdio: ["ignore", "pipe", "pipe"] },
    );
    return this.crane("digest", `${this.artifact}:${tag}`);
  }

  /** Removes a hand-pushed digest (and its signature tag) and waits until each cluster serves its revision again. */
  async removeByHand(digest: string, back: [Cluster, string][]): Promise<void> {
    const sigTag = `${digest.replace(":", "-")}.sig`;
    const sig = this.listing().get(sigTag);
    this.crane("delete", `${this.artifact}@${digest}`);
    if (sig) this.crane("delete", `${this.artifact}@${sig}`);
    for (const [c, revision] of back) {
      await this.waitFor(
        `${c.name} to serve ${revision} again, Ready`,
        async () => {
          const o = await c.kube.get(SOURCE.api, SOURCE.kind, FLUX_NAMESPACE, SOURCE.name);
          const got = (o?.status?.artifact as { revision?: string } | undefined)?.revision;
          if (got === revision && condition(o, "Ready")?.status === "True") return true;
          await this.reconcileSource(c);
          return undefined;
        },
        120_000,
        1000,
      );
    }
  }
}
