/**
 * Pipeline in a box: the REAL Flux controllers carry a release candidate from the registry to live.
 *
 * Real: etcd and two kube-apiservers (clusters `integration` and `live`), source-, kustomize- and
 * notification-controller v1.9.3 per cluster (all built from the Go module proxy by scripts/setup-clusters.sh),
 * Debian's docker-registry over TLS with a CA this run made (source-controller trusts it only through the
 * OCIRepository's certSecretRef) and basic auth, the real Pulumi engine applying the `integration` and `live`
 * stacks in cluster mode, and the generated build and promote workflows' real `run:` scripts.
 * Stand-ins, named so in every test that depends on them: GitHub (an HTTPS server that receives the
 * repository_dispatch notification-controller sends, as a GitHub Enterprise Server would) and canary-checker
 * (its controller cannot run here; the stand-in writes the Canary status exactly as canary-checker does).
 *
 * Signing is on, key-based (cosign built from the Go module proxy; keyless needs Fulcio and Rekor): the build job
 * signs each RC with the build key, the promote job signs the validated digest with the promote key, integration's
 * source-controller verifies the build key and live's the promote key (scenarios 10-12 push what must be refused).
 *
 * Scenarios run in order on one pipeline, each asserting its own outcome. Logs of every process stay in the
 * directory printed when a test fails (PROMOTION_KEEP_FLUX=1 keeps it after a green run too).
 */
import { strict as assert } from "node:assert";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execFileSync } from "node:child_process";
import { parse, stringify } from "yaml";
import { startRegistry, type TestRegistry } from "../support/registry";
import { tool, TOOLS_BIN } from "../support/tools";
import { runJob, type JobContext, type JobResult } from "../support/workflowRunner";
import { GitHubStandIn, type DispatchRequest } from "../support/githubStandIn";
import { assertToolchain, ok, ProjectCopy } from "../support/projectCopy";
import { BUILD_WORKFLOW, PROMOTE_WORKFLOW } from "../../lib/workflows/pipeline";
import {
  CANARY_NAME,
  CANARY_NAMESPACE,
  KUBERNETES_API_CHECK,
  VERSION_ANNOTATION,
} from "../../lib/k8s/canary";
import { newAuthority, servingCert, serviceAccountKeys, type Authority } from "../support/pki";
import { ProcessGroup } from "./support/processes";
import { assertBuilt, Cluster, Etcd, FLUX_NAMESPACE, NODE_NAME } from "./support/clusters";
import { condition, waitFor, type KubeObject } from "./support/kube";
import { allPass, CanaryCheckerStandIn, failing } from "./support/canaryCheckerStandIn";

const OWNER = "example-org";
const REPOSITORY = "platform";
const REPO_PATH = `${OWNER}/${REPOSITORY}/platform`;
const REGISTRY_USER = "ci-bot";
const REGISTRY_PASSWORD = "registry-s3cret";
const DISPATCH_TOKEN = "ghs_dispatchTokenForTheStandIn0001";
const EVENT_TYPE = "Kustomization/platform.flux-system";
const SOURCE = { api: "source.toolkit.fluxcd.io/v1", kind: "OCIRepository", name: "flux-system" };
const GATE = { api: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", name: "platform" };
const NOTIFY = "notification.toolkit.fluxcd.io/v1beta3";
const CANARY_API = "canaries.flanksource.com/v1";
/** The cosign passwords of the two roles' private keys (GitHub Actions secrets in the workflows). */
const BUILD_KEY_PASSWORD = "build-key-passw0rd";
const PROMOTE_KEY_PASSWORD = "promote-key-passw0rd";

interface CosignKeyPair {
  readonly keyFile: string;
  readonly pubFile: string;
  /** The encrypted private key, as the workflow secret holds it. */
  readonly key: string;
  readonly pub: string;
  readonly password: string;
}

/** `cosign generate-key-pair`, as a user does once per role (README, Trust model). */
function cosignKeyPair(dir: string, role: string, password: string): CosignKeyPair {
  execFileSync(tool("cosign"), ["generate-key-pair", "--output-key-prefix", join(dir, role)], {
    env: { PATH: process.env.PATH ?? "", HOME: dir, COSIGN_PASSWORD: password },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const keyFile = join(dir, `${role}.key`);
  const pubFile = join(dir, `${role}.pub`);
  return {
    keyFile,
    pubFile,
    key: readFileSync(keyFile, "utf8"),
    pub: readFileSync(pubFile, "utf8"),
    password,
  };
}

/** The platform's web Deployment image (kwok runs it; nothing is pulled). */
const WEB_IMAGE = "nginx:1.27.3";

/** The platform's workload: a Deployment and its Service in `apps`. */
function webWorkload(image: string): string {
  return (
    stringify({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "apps" },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: { containers: [{ name: "web", image, ports: [{ containerPort: 80 }] }] },
        },
      },
    }) +
    "---\n" +
    stringify({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: "apps" },
      spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 80 }] },
    })
  );
}

/** 40-hex commit ids: `commit("a")` = aaaa... */
const commit = (c: string): string => c.repeat(40).slice(0, 40);
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("flux: the real Flux controllers carry a release candidate from the registry to live", function () {
  this.timeout(20 * 60_000);
  let work: string;
  let procs: ProcessGroup;
  let reg: TestRegistry;
  let github: GitHubStandIn;
  /**
   * The same GitHub double over plain HTTP, for the promote job's Deployment record (the runner's Node
   * trusts only the registry's CA, so the record goes to a second instance rather than the HTTPS one).
   */
  let githubApi: GitHubStandIn;
  let integration: Cluster;
  let live: Cluster;
  let project: ProjectCopy;
  let registryCA: Authority;
  let githubCA: Authority;
  let machineEnv: Record<string, string>;
  let artifact: string;
  let canary: CanaryCheckerStandIn;
  /** Live runs the same Canary (it is part of the platform artifact), so its gate waits for canary runs too. */
  let liveCanary: CanaryCheckerStandIn;
  let keys: { build: CosignKeyPair; promote: CosignKeyPair };
  /** Promote runs, in the order the dispatches arrived. */
  const promotions: { dispatch: DispatchRequest; result: Promise<JobResult> }[] = [];
  let promoteChain: Promise<unknown> = Promise.resolve();
  let failed = false;

  const crane = (...args: string[]): string =>
    execFileSync(tool("crane"), args, {
      env: machineEnv,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();

  const cosign = (
    env: Record<string, string>,
    ...args: string[]
  ): { code: number; out: string } => {
    try {
      const out = execFileSync(tool("cosign"), args, {
        env: { ...machineEnv, ...env },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
      return { code: 0, out };
    } catch (e) {
      const err = e as { status?: number; stdout?: string; stderr?: string };
      return { code: err.status ?? 1, out: `${err.stdout ?? ""}${err.stderr ?? ""}` };
    }
  };
  /** `cosign verify` of a digest against one role's public key (offline: key-based, no transparency log). */
  const verifiedBy = (digest: string, role: CosignKeyPair): boolean =>
    cosign({}, "verify", "--key", role.pubFile, "--insecure-ignore-tlog", `${artifact}@${digest}`)
      .code === 0;

  /** The registry's listing: tag -> digest. */
  function listing(): Map<string, string> {
    const tags = crane("ls", artifact).split("\n").filter(Boolean).sort();
    return new Map(tags.map((t) => [t, crane("digest", `${artifact}:${t}`)]));
  }

  /** Dispatches for our repository that the stand-in accepted. */
  const ourDispatches = (): DispatchRequest[] =>
    github.accepted().filter((d) => d.owner === OWNER && d.repo === REPOSITORY);

  function jobContext(ws: string, eventName: string, event: unknown, sha: string): JobContext {
    return {
      workspace: ws,
      eventName,
      event,
      githubEnv: {
        GITHUB_SHA: sha,
        GITHUB_REF_NAME: "main",
        GITHUB_REF: "refs/heads/main",
        GITHUB_SERVER_URL: github.url,
        GITHUB_API_URL: githubApi.url,
        GITHUB_ACTOR: REGISTRY_USER,
        GITHUB_REPOSITORY: `${OWNER}/${REPOSITORY}`,
        GITHUB_RUN_ID: String(promotions.length + 1),
      },
      secrets: {
        GITHUB_TOKEN: REGISTRY_PASSWORD,
        REGISTRY_USERNAME: REGISTRY_USER,
        REGISTRY_PASSWORD,
        COSIGN_BUILD_KEY: keys.build.key,
        COSIGN_BUILD_PASSWORD: keys.build.password,
        COSIGN_PROMOTE_KEY: keys.promote.key,
        COSIGN_PROMOTE_PASSWORD: keys.promote.password,
      },
      actor: REGISTRY_USER,
      machineEnv,
    };
  }

  /** The platform repository at a commit: what the owner stack delivered, plus the platform's own manifests. */
  function checkout(name: string, extra: Record<string, string> = {}): string {
    const ws = join(work, `ws-${name}-${Math.random().toString(36).slice(2, 8)}`);
    cpSync(join(project.dir, "out", "integration", "github"), ws, { recursive: true });
    const files: Record<string, string> = {
      "kubernetes/apps/namespace.yaml":
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n",
      "kubernetes/apps/settings.yaml":
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: apps\ndata:\n  greeting: hello\n",
      // A workload that lives: kube-controller-manager makes its ReplicaSet and Pod, kube-scheduler binds the
      // Pod to kwok's node, kwok runs it to Ready, and kustomize-controller's `wait: true` judges it Available.
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
  async function build(
    sha: string,
    extra: Record<string, string> = {},
  ): Promise<{ tag: string; digest: string; at: number }> {
    const text = readFileSync(
      join(project.dir, "out", "integration", "github", BUILD_WORKFLOW),
      "utf8",
    );
    const r = await runJob(
      text,
      "build",
      jobContext(
        checkout(sha.slice(0, 7), extra),
        "push",
        { ref: "refs/heads/main", after: sha },
        sha,
      ),
    );
    assert.equal(r.status, "success", `build failed:\n${r.log}`);
    const tag = r.outputs.plan?.rc_tag;
    const digest = r.outputs.push?.digest;
    assert.ok(tag && digest, `build printed no rc_tag/digest:\n${r.log}`);
    return { tag, digest, at: Date.now() };
  }

  /** Runs the generated promote workflow's real scripts with a dispatch, as GitHub would start it. */
  function promote(d: DispatchRequest): Promise<JobResult> {
    const text = readFileSync(
      join(project.dir, "out", "integration", "github", PROMOTE_WORKFLOW),
      "utf8",
    );
    const ws = checkout(`promote-${promotions.length}`);
    return runJob(
      text,
      "promote",
      jobContext(
        ws,
        "repository_dispatch",
        { action: d.eventType, client_payload: d.clientPayload },
        commit("0"),
      ),
    );
  }

  async function reconcileSource(c: Cluster): Promise<void> {
    await c.kube.requestReconcile(SOURCE.api, SOURCE.kind, FLUX_NAMESPACE, SOURCE.name);
  }
  async function reconcileGate(c: Cluster): Promise<void> {
    await c.kube.requestReconcile(GATE.api, GATE.kind, FLUX_NAMESPACE, GATE.name);
  }

  /** Waits until the cluster's OCIRepository serves `revision`. */
  async function waitSelected(c: Cluster, revision: string, timeoutMs = 120_000): Promise<number> {
    await waitFor(
      `${c.name} OCIRepository to serve ${revision}`,
      async () => {
        procs.assertAlive();
        const o = await c.kube.get(SOURCE.api, SOURCE.kind, FLUX_NAMESPACE, SOURCE.name);
        const got = (o?.status?.artifact as { revision?: string } | undefined)?.revision;
        if (got === revision) return true;
        await reconcileSource(c);
        return undefined;
      },
      timeoutMs,
      1000,
    );
    return Date.now();
  }

  /** Waits until the gate reports Ready with `revision` applied (health check passed). */
  async function waitApplied(c: Cluster, revision: string, timeoutMs = 180_000): Promise<number> {
    await waitFor(
      `${c.name} Kustomization ${GATE.name} to apply ${revision} and report Ready`,
      async () => {
        procs.assertAlive();
        const o = await c.kube.get(GATE.api, GATE.kind, FLUX_NAMESPACE, GATE.name);
        const ready = condition(o, "Ready");
        return o?.status?.lastAppliedRevision === revision && ready?.status === "True"
          ? true
          : undefined;
      },
      timeoutMs,
      500,
    );
    return Date.now();
  }

  /** Waits until integration's Canary carries the version stamp `version` (the gate applied the RC). */
  async function waitCanaryStamp(version: string, timeoutMs = 120_000): Promise<KubeObject> {
    return waitFor(
      `the Canary to carry ${VERSION_ANNOTATION}=${version}`,
      async () => {
        procs.assertAlive();
        const o = await integration.kube.get(CANARY_API, "Canary", CANARY_NAMESPACE, CANARY_NAME);
        return o?.metadata.annotations?.[VERSION_ANNOTATION] === version ? o : undefined;
      },
      timeoutMs,
      250,
    );
  }

  /** Waits for the `n`-th dispatch to our repository and for its promote run to finish. */
  async function waitDispatch(
    n: number,
    timeoutMs = 180_000,
  ): Promise<{ d: DispatchRequest; run: JobResult; at: number }> {
    await waitFor(
      `dispatch #${n}`,
      () => {
        procs.assertAlive();
        return Promise.resolve(ourDispatches().length >= n ? true : undefined);
      },
      timeoutMs,
      250,
    );
    const at = Date.now();
    const entry = promotions.filter((p) => p.dispatch.repo === REPOSITORY)[n - 1]!;
    return { d: entry.dispatch, run: await entry.result, at };
  }

  /**
   * The `n`-th dispatch carries `rc`'s revision, its promote run succeeded, and the stable tag of that version
   * now names the RC's digest (returned; recorded in stableDigests).
   */
  async function expectPromoted(n: number, rc: { tag: string; digest: string }): Promise<string> {
    const { d, run } = await waitDispatch(n);
    assert.equal(
      (d.clientPayload as { metadata?: { revision?: string } }).metadata?.revision,
      `${rc.tag}@${rc.digest}`,
    );
    assert.equal(run.status, "success", `promote failed:\n${run.log}`);
    const stable = rc.tag.replace(/-rc\.\d+$/, "");
    assert.equal(listing().get(stable), rc.digest);
    stableDigests.set(stable, rc.digest);
    return stable;
  }

  before(async function () {
    this.timeout(15 * 60_000);
    assertBuilt();
    assertToolchain();
    for (const t of ["crane", "oras", "cosign"] as const) tool(t);
    work = mkdtempSync(join(tmpdir(), "promotion-flux-"));
    const logs = join(work, "logs");
    const pki = join(work, "pki");
    mkdirSync(logs);
    mkdirSync(pki);
    procs = new ProcessGroup(logs);

    const apiCA = newAuthority(pki, "clusters");
    registryCA = newAuthority(pki, "registry");
    githubCA = newAuthority(pki, "github");
    const apiCert = servingCert(pki, apiCA, "kube-apiserver");
    const registryCert = servingCert(pki, registryCA, "registry");
    const githubCert = servingCert(pki, githubCA, "github");
    const saKeys = serviceAccountKeys(pki);
    keys = {
      build: cosignKeyPair(pki, "build", BUILD_KEY_PASSWORD),
      promote: cosignKeyPair(pki, "promote", PROMOTE_KEY_PASSWORD),
    };

    reg = await startRegistry({
      basicAuth: { user: REGISTRY_USER, password: REGISTRY_PASSWORD },
      tls: {
        certFile: registryCert.certFile,
        keyFile: registryCert.keyFile,
        caPem: registryCA.caPem,
      },
    });
    artifact = `${reg.host}/${REPO_PATH}`;
    github = await GitHubStandIn.start({
      tls: { certPem: githubCert.certPem, keyPem: readFileSync(githubCert.keyFile, "utf8") },
      tokens: [DISPATCH_TOKEN],
      repositories: [`${OWNER}/${REPOSITORY}`, `${OWNER}/homelab`],
      onDispatch: (d) => {
        if (d.repo !== REPOSITORY) return;
        // GitHub starts one workflow run per dispatch; the promote job's concurrency group runs them in turn.
        const result = promoteChain.then(() => promote(d));
        promoteChain = result.catch(() => undefined);
        promotions.push({ dispatch: d, result });
      },
    });

    githubApi = await GitHubStandIn.start({
      tokens: [REGISTRY_PASSWORD],
      repositories: [`${OWNER}/${REPOSITORY}`],
    });
    // The runner's machine: crane, oras, node on PATH; trusts the registry's CA (Go reads SSL_CERT_FILE,
    // Node NODE_EXTRA_CA_CERTS), as a self-hosted runner of a private registry would.
    const home = join(work, "runner-home");
    mkdirSync(home);
    machineEnv = {
      PATH: [TOOLS_BIN, dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
      HOME: home,
      DOCKER_CONFIG: join(work, "runner-docker"),
      LANG: "C.UTF-8",
      SSL_CERT_FILE: registryCA.caFile,
      NODE_EXTRA_CA_CERTS: registryCA.caFile,
      // `promotion` reads 127.0.0.1 over plain HTTP unless told; this registry is TLS-only.
      PROMOTION_REGISTRY_SCHEME: "https",
    };
    crane("auth", "login", reg.host, "--username", REGISTRY_USER, "--password", REGISTRY_PASSWORD);

    const etcd = await Etcd.start(procs, work);
    integration = await Cluster.start(procs, {
      name: "integration",
      dir: work,
      etcd,
      apiCA,
      apiCert,
      saKeys,
    });
    live = await Cluster.start(procs, { name: "live", dir: work, etcd, apiCA, apiCert, saKeys });
    for (const c of [integration, live]) {
      await c.startWorkloads(procs);
      await c.startFlux(procs);
      // Registry credentials, created out of band as the README says (the program only references them).
      await c.kube.apply(
        {
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name: "registry-credentials", namespace: FLUX_NAMESPACE },
          type: "kubernetes.io/dockerconfigjson",
          stringData: {
            ".dockerconfigjson": JSON.stringify({
              auths: { [reg.host]: { username: REGISTRY_USER, password: REGISTRY_PASSWORD } },
            }),
          },
        },
        "promotion-pipeline-test",
      );
    }

    project = ProjectCopy.create(work);
    configureProject();
    for (const stack of ["integration", "live"]) {
      ok(project.pulumi("stack", "select", "--create", stack), `stack select ${stack}`);
    }
    ok(
      project.sh(
        "pulumi",
        [
          "config",
          "set",
          "--secret",
          "promotion-pipeline:dispatchToken",
          "--stack",
          "integration",
          "--non-interactive",
        ],
        {
          input: DISPATCH_TOKEN,
        },
      ),
      "config set dispatchToken",
    );
    for (const stack of ["integration", "live"]) {
      ok(
        project.pulumi("up", "--stack", stack, "--yes", "--skip-preview"),
        `pulumi up --stack ${stack}`,
      );
    }
    // The reference homelab's trigger, beside ours (scenario 7): the same Kustomization, the same kind of
    // provider, its inclusion list. And a control: the same inclusion list on a generic webhook provider,
    // which does receive the event, to show that the event exists and githubdispatch is what drops it.
    await installReferenceTrigger();

    canary = new CanaryCheckerStandIn(
      integration.kube,
      CANARY_NAMESPACE,
      CANARY_NAME,
      allPass,
      5000,
    );
    canary.start();
    liveCanary = new CanaryCheckerStandIn(live.kube, CANARY_NAMESPACE, CANARY_NAME, allPass, 5000);
    liveCanary.start();
  });

  /** Pulumi.yaml and the stack files of the copy, pointed at this run's registry, GitHub and clusters. */
  function configureProject(): void {
    const projectFile = join(project.dir, "Pulumi.yaml");
    const doc = parse(readFileSync(projectFile, "utf8")) as {
      config: Record<string, { value: Record<string, unknown> }>;
    };
    const pipeline = doc.config["promotion-pipeline:pipeline"]!.value;
    Object.assign(pipeline, {
      registry: reg.host,
      owner: OWNER,
      repository: REPOSITORY,
      artifact: "platform",
      registrySecret: "registry-credentials",
      registryCA: { pem: registryCA.caPem },
      registryCredentials: {
        usernameSecret: "REGISTRY_USERNAME",
        passwordSecret: "REGISTRY_PASSWORD",
      },
      github: { url: github.url, caPem: githubCA.caPem },
      // Key-based: the build key signs RCs (integration verifies it), the promote key signs what passed the
      // gate (live verifies it). The private keys are the runner's secrets (jobContext).
      signing: {
        mode: "key",
        build: { publicKey: keys.build.pub },
        promote: { publicKey: keys.promote.pub },
      },
    });
    const clusters = pipeline.clusters as Record<string, Record<string, unknown>>;
    clusters.integration = { role: "integration", interval: "15s" };
    clusters.live = { role: "live", interval: "15s" };
    writeFileSync(projectFile, stringify(doc));
    for (const c of [integration, live]) {
      const file = join(project.dir, `Pulumi.${c.name}.yaml`);
      const salt = /^encryptionsalt: .*$/m.exec(readFileSync(file, "utf8"))![0];
      writeFileSync(
        file,
        stringify({
          config: {
            "promotion-pipeline:kubernetes": { kubeconfig: c.kubeconfig },
            "promotion-pipeline:files": { directory: `out/${c.name}/github` },
          },
        }) + `${salt}\n`,
      );
    }
  }

  async function installReferenceTrigger(): Promise<void> {
    const k = integration.kube;
    const m = "promotion-pipeline-test";
    await k.apply(
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "homelab-dispatch-token", namespace: FLUX_NAMESPACE },
        stringData: { token: DISPATCH_TOKEN, "ca.crt": githubCA.caPem },
      },
      m,
    );
    await k.apply(
      {
        apiVersion: NOTIFY,
        kind: "Provider",
        metadata: { name: "homelab-dispatch", namespace: FLUX_NAMESPACE },
        spec: {
          type: "githubdispatch",
          address: `${github.url}/${OWNER}/homelab`,
          secretRef: { name: "homelab-dispatch-token" },
          certSecretRef: { name: "homelab-dispatch-token" },
        },
      },
      m,
    );
    await k.apply(
      {
        apiVersion: NOTIFY,
        kind: "Provider",
        metadata: { name: "homelab-webhook", namespace: FLUX_NAMESPACE },
        spec: {
          type: "generic",
          address: `${github.url}/hooks/reference`,
          certSecretRef: { name: "homelab-dispatch-token" },
        },
      },
      m,
    );
    for (const [name, provider] of [
      ["homelab-reference", "homelab-dispatch"],
      ["homelab-reference-webhook", "homelab-webhook"],
    ] as const) {
      await k.apply(
        {
          apiVersion: NOTIFY,
          kind: "Alert",
          metadata: { name, namespace: FLUX_NAMESPACE },
          spec: {
            providerRef: { name: provider },
            eventSeverity: "info",
            eventSources: [{ kind: "Kustomization", name: GATE.name, namespace: FLUX_NAMESPACE }],
            inclusionList: [".*Reconciliation finished.*"],
          },
        },
        m,
      );
    }
  }

  afterEach(function () {
    if (this.currentTest?.state === "failed") failed = true;
  });

  after(async function () {
    this.timeout(120_000);
    canary?.stop();
    liveCanary?.stop();
    await procs?.stopAll();
    await github?.stop();
    await githubApi?.stop();
    await reg?.stop();
    if (!work) return;
    if (failed || process.env.PROMOTION_KEEP_FLUX) {
      console.log(
        `\n    flux suite: logs and state kept in ${work} (logs/ has every controller and API server)`,
      );
    } else {
      rmSync(work, { recursive: true, force: true });
    }
  });

  // Filled by the scenarios, in order.
  let first: { tag: string; digest: string };
  let stable1: string;
  const stableDigests = new Map<string, string>();

  it("1. happy path: an RC is selected, applied, validated by a fresh canary run, dispatched ONCE with its digest, promoted by retag, and applied on live (GitHub and canary-checker are stand-ins)", async function () {
    const t0 = Date.now();
    const rc = await build(commit("a"));
    first = rc;
    assert.match(rc.tag, /^0\.0\.1-rc\.1$/);
    const revision = `${rc.tag}@${rc.digest}`;
    const tSelected = await waitSelected(integration, revision);
    const applied = await waitCanaryStamp(rc.tag);
    const tApplied = Date.now();
    const applyTime = applied.metadata.managedFields?.find(
      (f) => f.manager === "kustomize-controller" && !f.subresource,
    )?.time;
    assert.ok(
      applyTime,
      `no kustomize-controller managedFields entry on the Canary: ${JSON.stringify(applied.metadata.managedFields)}`,
    );
    const tHealthy = await waitApplied(integration, revision);
    // The gate opened only after a canary run reported more than 30 s after the apply.
    const fresh = canary.runs.filter(
      (r) => r.at.getTime() > Date.parse(applyTime) + 30_000 && r.version === rc.tag,
    );
    assert.ok(fresh.length > 0, "the gate opened without a canary run later than the apply");
    assert.ok(
      tHealthy >= Date.parse(applyTime) + 30_000,
      "the gate opened less than 30 s after the apply",
    );

    const { d, run, at: tDispatch } = await waitDispatch(1);
    assert.equal(d.token, DISPATCH_TOKEN);
    assert.equal(d.eventType, EVENT_TYPE);
    const payload = d.clientPayload as {
      metadata?: { revision?: string };
      message?: string;
      severity?: string;
    };
    assert.equal(payload.metadata?.revision, revision);
    assert.match(payload.message ?? "", /^Health check passed/);
    assert.equal(payload.severity, "info");
    assert.equal(run.status, "success", `promote failed:\n${run.log}`);
    const tPromoted = Date.now();
    const tags = listing();
    stable1 = "0.0.1";
    assert.equal(tags.get(stable1), rc.digest, "0.0.1 is not the validated digest");
    assert.equal(tags.get(`validated-${commit("a").slice(0, 7)}`), rc.digest);
    stableDigests.set(stable1, rc.digest);
    assert.equal(
      githubApi.deployments.length,
      1,
      "the promotion left no Deployment record (GitHub API mock)",
    );
    assert.match(JSON.stringify(githubApi.deployments[0]!.payload), new RegExp(rc.digest));

    const liveRevision = `${stable1}@${rc.digest}`;
    const tLiveSelected = await waitSelected(live, liveRevision);
    const tLive = await waitApplied(live, liveRevision);
    // Both signatures sit on the one digest: the build's (integration verified it) and the promote job's
    // (live verified it); each source-controller says so in its SourceVerified condition.
    assert.ok(verifiedBy(rc.digest, keys.build), "the RC is not signed by the build key");
    assert.ok(
      verifiedBy(rc.digest, keys.promote),
      "the promoted digest is not signed by the promote key",
    );
    for (const c of [integration, live]) {
      const src = await c.kube.mustGet(SOURCE.api, SOURCE.kind, FLUX_NAMESPACE, SOURCE.name);
      const verified = condition(src, "SourceVerified");
      assert.equal(verified?.status, "True", `${c.name}: ${JSON.stringify(verified)}`);
      assert.match(verified?.message ?? "", /verified signature/i);
    }
    const settings = await live.kube.get("v1", "ConfigMap", "apps", "settings");
    assert.equal(
      settings?.data && (settings.data as Record<string, string>).greeting,
      "hello",
      "live did not apply the platform",
    );
    // The workload lives on both clusters: kustomize-controller waited for it to be Available, and its Pods are
    // real objects made by the ReplicaSet controller, bound by the scheduler and run by kwok.
    for (const c of [integration, live]) {
      const web = await c.kube.mustGet("apps/v1", "Deployment", "apps", "web");
      assert.equal(condition(web, "Available")?.status, "True", `${c.name}: web not Available`);
      const pods = await c.waitPodsReady(procs, "apps", "app=web", 2);
      assert.ok(
        pods.every((p) => (p.spec as { nodeName?: string }).nodeName === NODE_NAME),
        `${c.name}: web Pods not scheduled onto ${NODE_NAME}`,
      );
    }

    // Integration follows the stable tag too (>= 0.0.0-0 ranks 0.0.1 above its RC): same content, no drift,
    // so no second "Health check passed" and no second dispatch.
    await waitApplied(integration, liveRevision);
    await sleep(3000);
    assert.equal(
      ourDispatches().length,
      1,
      `expected exactly one dispatch, got ${ourDispatches().length}`,
    );

    console.log(
      [
        "      lead time, push to live applied (stand-in canary every 5 s; gate freshness 30 s):",
        `        push -> integration selects    ${seconds(tSelected - rc.at)}`,
        `        selects -> applied             ${seconds(tApplied - tSelected)}`,
        `        applied -> gate healthy        ${seconds(tHealthy - tApplied)}`,
        `        healthy -> dispatch received   ${seconds(tDispatch - tHealthy)}`,
        `        dispatch -> promoted (retag)   ${seconds(tPromoted - tDispatch)}`,
        `        promoted -> live selects       ${seconds(tLiveSelected - tPromoted)}`,
        `        live selects -> live applied   ${seconds(tLive - tLiveSelected)}`,
        `        total                          ${seconds(tLive - t0)}`,
      ].join("\n"),
    );
  });

  it("the registry's CA is what source-controller trusts: the same source without certSecretRef fails TLS verification", async function () {
    const k = integration.kube;
    const probe = {
      apiVersion: SOURCE.api,
      kind: SOURCE.kind,
      metadata: { name: "no-ca-probe", namespace: FLUX_NAMESPACE },
      spec: {
        interval: "1m",
        url: `oci://${artifact}`,
        ref: { semver: ">= 0.0.0-0" },
        secretRef: { name: "registry-credentials" },
      },
    };
    await k.apply(probe, "promotion-pipeline-test");
    const ready = await waitFor(
      "the probe OCIRepository to fail",
      async () => {
        const o = await k.get(SOURCE.api, SOURCE.kind, FLUX_NAMESPACE, "no-ca-probe");
        const c = condition(o, "Ready");
        return c?.status === "False" ? c : undefined;
      },
      60_000,
      500,
    );
    assert.match(
      ready.message ?? "",
      /certificate|x509|tls|https/i,
      `unexpected failure: ${ready.message}`,
    );
    await k.delete(SOURCE.api, SOURCE.kind, FLUX_NAMESPACE, "no-ca-probe");
  });

  let unhealthy: { tag: string; digest: string };

  it("2. unhealthy: an RC whose canary fails is never dispatched, no stable tag moves, live keeps the old version (canary-checker stand-in)", async function () {
    // The failing check is the FIRST of two, so status.status is the last (passing) check's "Passed" and only
    // errorMessage tells: the gate's failed expression must catch it (docs/validation-gate.md, trap 2).
    canary.verdict = (c) =>
      c.metadata.annotations?.[VERSION_ANNOTATION] === "0.0.2-rc.1"
        ? failing(KUBERNETES_API_CHECK)(c)
        : allPass(c);
    const before = listing();
    unhealthy = await build(commit("b"));
    assert.equal(unhealthy.tag, "0.0.2-rc.1");
    const revision = `${unhealthy.tag}@${unhealthy.digest}`;
    await waitSelected(integration, revision);
    await waitCanaryStamp(unhealthy.tag);
    const report = await waitFor(
      "the gate to report the failed health check",
      async () => {
        const o = await integration.kube.get(GATE.api, GATE.kind, FLUX_NAMESPACE, GATE.name);
        const ready = condition(o, "Ready");
        return ready?.status === "False" && /health/i.test(`${ready.reason} ${ready.message}`)
          ? ready
          : undefined;
      },
      180_000,
      500,
    );
    assert.match(report.message ?? "", /Canary/);
    const canaryNow = await integration.kube.mustGet(
      CANARY_API,
      "Canary",
      CANARY_NAMESPACE,
      CANARY_NAME,
    );
    assert.equal(
      canaryNow.status?.status,
      "Passed",
      "the stand-in should report the last check's result",
    );
    assert.ok(canaryNow.status?.errorMessage, "errorMessage should carry the failing check");
    // Two more attempts, requested as `flux reconcile` does: still failing, still nothing sent.
    for (let i = 0; i < 2; i++) {
      await reconcileGate(integration);
      await sleep(8000);
    }
    const gate = await integration.kube.mustGet(GATE.api, GATE.kind, FLUX_NAMESPACE, GATE.name);
    assert.equal(condition(gate, "Ready")?.status, "False");
    assert.notEqual(gate.status?.lastAppliedRevision, revision);
    assert.equal(ourDispatches().length, 1, "an unhealthy RC was dispatched");
    assert.deepEqual(
      [...listing()]
        .filter(([t]) => !before.has(t))
        .map(([t]) => t)
        .sort(),
      [
        `integration-${commit("b").slice(0, 7)}`,
        "0.0.2-rc.1",
        `sha-${commit("b").slice(0, 7)}`,
        // cosign's signature tag: the build signed the RC (its digest, `:` -> `-`, `.sig`).
        `${unhealthy.digest.replace(":", "-")}.sig`,
      ].sort(),
      "only the build's own tags may appear",
    );
    assert.equal(listing().get("0.0.2"), undefined);
    const liveSource = await live.kube.mustGet(
      SOURCE.api,
      SOURCE.kind,
      FLUX_NAMESPACE,
      SOURCE.name,
    );
    assert.equal(
      (liveSource.status?.artifact as { revision: string }).revision,
      `0.0.1@${first.digest}`,
    );
  });
  it("4. recovery: the failed RC turns healthy later, is dispatched exactly once and promoted (canary-checker stand-in)", async function () {
    const revision = `${unhealthy.tag}@${unhealthy.digest}`;
    const before = ourDispatches().length;
    canary.verdict = allPass;
    // kustomize-controller retries after retryInterval; ask now, as `flux reconcile` would.
    await reconcileGate(integration);
    await waitApplied(integration, revision);
    assert.equal(await expectPromoted(before + 1, unhealthy), "0.0.2");
    await waitSelected(live, `0.0.2@${unhealthy.digest}`);
    await waitApplied(live, `0.0.2@${unhealthy.digest}`);
    await waitApplied(integration, `0.0.2@${unhealthy.digest}`);
    await sleep(3000);
    assert.equal(
      ourDispatches().length,
      before + 1,
      "the recovered RC was dispatched more than once",
    );
  });

  it("3. stale canary status: a Passed status written before the apply does not open the gate; the next fresh run does (canary-checker stand-in)", async function () {
    const before = ourDispatches().length;
    // No runs until told: the last status is a Passed run from before the rollout.
    canary.stop();
    const current = await integration.kube.mustGet(
      CANARY_API,
      "Canary",
      CANARY_NAMESPACE,
      CANARY_NAME,
    );
    const paused = new CanaryCheckerStandIn(
      integration.kube,
      CANARY_NAMESPACE,
      CANARY_NAME,
      allPass,
      5000,
    );
    await paused.report(current, allPass(current));
    const rc = await build(commit("c"));
    assert.equal(rc.tag, "0.0.3-rc.1");
    const revision = `${rc.tag}@${rc.digest}`;
    await waitSelected(integration, revision);
    const applied = await waitCanaryStamp(rc.tag);
    const staleCheck = applied.status?.lastCheck as string;
    assert.equal(applied.status?.status, "Passed");
    assert.ok(!applied.status?.errorMessage);
    // Generation moved with the apply; canary-checker's reconcile sets observedGeneration before any run,
    // so observedGeneration alone would call this stale status current.
    const reconciled = new CanaryCheckerStandIn(
      integration.kube,
      CANARY_NAMESPACE,
      CANARY_NAME,
      () => [],
      3_600_000,
    );
    reconciled.start();
    await waitFor(
      "observedGeneration to catch up",
      async () => {
        const o = await integration.kube.mustGet(
          CANARY_API,
          "Canary",
          CANARY_NAMESPACE,
          CANARY_NAME,
        );
        return o.status?.observedGeneration === o.metadata.generation ? true : undefined;
      },
      30_000,
    );
    // 40 s: longer than the 30 s freshness margin. The status stays the stale Passed one the whole time.
    const until = Date.now() + 40_000;
    while (Date.now() < until) {
      const g = await integration.kube.mustGet(GATE.api, GATE.kind, FLUX_NAMESPACE, GATE.name);
      assert.notEqual(
        g.status?.lastAppliedRevision,
        revision,
        "the gate accepted a canary status from before the apply",
      );
      assert.equal(ourDispatches().length, before, "a stale canary status was dispatched");
      const c = await integration.kube.mustGet(CANARY_API, "Canary", CANARY_NAMESPACE, CANARY_NAME);
      assert.equal(
        c.status?.lastCheck,
        staleCheck,
        "the canary status changed during the stale window",
      );
      await sleep(2000);
    }
    reconciled.stop();
    // canary-checker runs again: the first run later than apply + 30 s opens the gate.
    canary = new CanaryCheckerStandIn(
      integration.kube,
      CANARY_NAMESPACE,
      CANARY_NAME,
      allPass,
      5000,
    );
    canary.start();
    await waitApplied(integration, revision);
    assert.equal(await expectPromoted(before + 1, rc), "0.0.3");
    await waitApplied(integration, `0.0.3@${rc.digest}`);
  });

  it("5. two RCs in a row whose content differs only by the version stamp: one dispatch each (canary-checker stand-in)", async function () {
    const before = ourDispatches().length;
    for (const [i, c] of [
      [1, "d"],
      [2, "e"],
    ] as const) {
      const rc = await build(commit(c));
      const revision = `${rc.tag}@${rc.digest}`;
      await waitSelected(integration, revision);
      await waitApplied(integration, revision);
      const stable = await expectPromoted(before + i, rc);
      await waitApplied(integration, `${stable}@${rc.digest}`);
    }
    await sleep(3000);
    assert.equal(ourDispatches().length, before + 2);
  });

  it("6. replay: the same dispatch delivered again changes nothing in the registry (GitHub stand-in)", async function () {
    const last = ourDispatches().at(-1)!;
    const before = listing();
    const run = await promote(last);
    assert.equal(run.status, "success", `replayed promote failed:\n${run.log}`);
    assert.deepEqual([...listing()], [...before]);
  });

  it("7. the reference trigger is dead: the homelab's `.*Reconciliation finished.*` Alert never dispatched, while ours did and a generic webhook received that very event", function () {
    const reference = github.dispatches.filter((d) => d.repo === "homelab");
    assert.deepEqual(reference, [], "the homelab trigger dispatched");
    assert.ok(ourDispatches().length >= 5, `ours dispatched ${ourDispatches().length} times`);
    const hooks = github.hooks.filter((h) => h.path === "/hooks/reference");
    assert.ok(
      hooks.some((h) =>
        /Reconciliation finished/.test(String((h.body as { message?: string }).message)),
      ),
      `the generic webhook never received "Reconciliation finished" (got ${hooks.length} events)`,
    );
  });

  it("8. rollback pin: pulumi up of live with a pin serves the pinned digest while a newer stable exists; lifting it returns live to the newest", async function () {
    const pinned = "0.0.2";
    const newest = [...stableDigests.keys()]
      .sort((a, b) => Number(a.split(".")[2]) - Number(b.split(".")[2]))
      .at(-1)!;
    assert.notEqual(newest, pinned);
    const expires = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    const pin: [string, string][] = [
      ["tag", pinned],
      ["reason", "INC-42: test rollback"],
      ["expires", expires],
    ];
    for (const [k, v] of pin) {
      ok(
        project.pulumi(
          "config",
          "set",
          "--path",
          `promotion-pipeline:pin.${k}`,
          v,
          "--stack",
          "live",
        ),
        `config set pin.${k}`,
      );
    }
    ok(project.pulumi("up", "--stack", "live", "--yes", "--skip-preview"), "pulumi up live (pin)");
    const pinnedRevision = `${pinned}@${stableDigests.get(pinned)!}`;
    await waitSelected(live, pinnedRevision);
    await waitApplied(live, pinnedRevision);
    const src = await live.kube.mustGet(SOURCE.api, SOURCE.kind, FLUX_NAMESPACE, SOURCE.name);
    assert.deepEqual(src.spec?.ref, { tag: pinned });
    ok(
      project.pulumi("config", "rm", "promotion-pipeline:pin", "--stack", "live"),
      "config rm pin",
    );
    ok(
      project.pulumi("up", "--stack", "live", "--yes", "--skip-preview"),
      "pulumi up live (unpin)",
    );
    const newestRevision = `${newest}@${stableDigests.get(newest)!}`;
    await waitSelected(live, newestRevision);
    await waitApplied(live, newestRevision);
  });

  it("9. drift on a real API server: a hand-edited OCIRepository ref and a deleted Alert fail `pulumi preview --refresh --expect-no-changes`, and `pulumi up --refresh` restores both", async function () {
    const k = integration.kube;
    await k.mergePatch(
      SOURCE.api,
      SOURCE.kind,
      FLUX_NAMESPACE,
      SOURCE.name,
      { spec: { ref: { semver: ">= 0.0.0" } } },
      "kubectl-edit",
    );
    await k.delete(NOTIFY, "Alert", FLUX_NAMESPACE, "validation-success");
    const preview = project.pulumi(
      "preview",
      "--refresh",
      "--expect-no-changes",
      "--diff",
      "--stack",
      "integration",
    );
    assert.notEqual(preview.code, 0, `drift preview passed:\n${preview.out}`);
    const text = preview.out + preview.err;
    assert.match(text, /validation-success/, "the preview does not name the deleted Alert");
    assert.match(text, /OCIRepository|flux-system/, "the preview does not name the OCIRepository");
    assert.match(text, /semver/, "the preview does not show the edited ref");
    ok(
      project.pulumi("up", "--refresh", "--stack", "integration", "--yes", "--skip-preview"),
      "pulumi up --refresh",
    );
    const src = await k.mustGet(SOURCE.api, SOURCE.kind, FLUX_NAMESPACE, SOURCE.name);
    assert.equal((src.spec?.ref as { semver?: string }).semver, ">= 0.0.0-0");
    assert.ok(
      await k.get(NOTIFY, "Alert", FLUX_NAMESPACE, "validation-success"),
      "the Alert was not restored",
    );
    ok(
      project.pulumi("preview", "--refresh", "--expect-no-changes", "--stack", "integration"),
      "drift preview after up",
    );
  });
  /**
   * A copy of the newest stable's manifest with one more annotation: the same content under a NEW digest that
   * nobody signed, pushed and tagged by hand (oras, as a person with `packages: write` would).
   */
  function pushByHand(tag: string, note: string): string {
    const newest = [...stableDigests.keys()]
      .sort((a, b) => Number(a.split(".")[2]) - Number(b.split(".")[2]))
      .at(-1)!;
    const manifest = JSON.parse(crane("manifest", `${artifact}:${newest}`)) as {
      mediaType?: string;
      annotations?: Record<string, string>;
    };
    manifest.annotations = { ...manifest.annotations, "example.org/pushed-by-hand": note };
    const file = join(work, `hand-${tag}.json`);
    writeFileSync(file, JSON.stringify(manifest));
    execFileSync(
      tool("oras"),
      [
        "manifest",
        "push",
        "--media-type",
        manifest.mediaType ?? "application/vnd.oci.image.manifest.v1+json",
        `${artifact}:${tag}`,
        file,
      ],
      { env: machineEnv, stdio: ["ignore", "pipe", "pipe"] },
    );
    return crane("digest", `${artifact}:${tag}`);
  }

  /**
   * Waits until `c`'s OCIRepository refuses `digest` for failed verification; returns that condition.
   * source-controller v1.9.3 (ocirepository_controller.go) marks SourceVerified False, reason VerificationError,
   * "failed to verify the signature using provider 'cosign': no matching signatures were found for '<url>@<digest>'"
   * and returns before it pulls, so the stored artifact (what the gate applies) stays the last verified one.
   */
  async function waitRefused(
    c: Cluster,
    digest: string,
  ): Promise<{ reason?: string; message?: string }> {
    return waitFor(
      `${c.name} OCIRepository to refuse ${digest} (signature verification)`,
      async () => {
        procs.assertAlive();
        const o = await c.kube.get(SOURCE.api, SOURCE.kind, FLUX_NAMESPACE, SOURCE.name);
        const verified = condition(o, "SourceVerified");
        if (verified?.status === "False" && (verified.message ?? "").includes(digest))
          return verified;
        await reconcileSource(c);
        return undefined;
      },
      120_000,
      1000,
    );
  }

  /** What a cluster serves and its gate applied: the revision, unchanged by a refused tag. */
  async function serving(c: Cluster): Promise<{ artifact?: string; applied?: string }> {
    const src = await c.kube.mustGet(SOURCE.api, SOURCE.kind, FLUX_NAMESPACE, SOURCE.name);
    const gate = await c.kube.mustGet(GATE.api, GATE.kind, FLUX_NAMESPACE, GATE.name);
    return {
      artifact: (src.status?.artifact as { revision?: string } | undefined)?.revision,
      applied: gate.status?.lastAppliedRevision as string | undefined,
    };
  }

  /** Removes a hand-pushed digest (and its signature tag) and waits until `c` serves `revision`, Ready again. */
  async function removeByHand(
    digest: string,
    clusters: Cluster[],
    revisions: string[],
  ): Promise<void> {
    const sigTag = `${digest.replace(":", "-")}.sig`;
    const sig = listing().get(sigTag);
    crane("delete", `${artifact}@${digest}`);
    if (sig) crane("delete", `${artifact}@${sig}`);
    for (const [i, c] of clusters.entries()) {
      await waitFor(
        `${c.name} to serve ${revisions[i]} again, Ready`,
        async () => {
          const o = await c.kube.get(SOURCE.api, SOURCE.kind, FLUX_NAMESPACE, SOURCE.name);
          const got = (o?.status?.artifact as { revision?: string } | undefined)?.revision;
          if (got === revisions[i] && condition(o, "Ready")?.status === "True") return true;
          await reconcileSource(c);
          return undefined;
        },
        120_000,
        1000,
      );
    }
  }

  it("10. a stable tag pushed by hand on an unsigned digest is refused by live's and integration's source-controller (signature verification), and both keep serving the last verified version", async function () {
    const liveBefore = await serving(live);
    const integrationBefore = await serving(integration);
    const dispatches = ourDispatches().length;
    const digest = pushByHand("9.9.9", "unsigned");
    assert.ok(!verifiedBy(digest, keys.promote) && !verifiedBy(digest, keys.build));
    const refusedLive = await waitRefused(live, digest);
    assert.equal(refusedLive.reason, "VerificationError");
    assert.match(
      refusedLive.message ?? "",
      /^failed to verify the signature using provider 'cosign': no matching signatures were found for /,
    );
    const refusedIntegration = await waitRefused(integration, digest);
    assert.match(
      refusedIntegration.message ?? "",
      /^failed to verify the signature using provider 'cosign': no matching signatures were found for /,
    );
    console.log(`      live refused 9.9.9: ${refusedLive.reason}: ${refusedLive.message}`);
    // Longer than a source interval (15 s) and a gate retry: still the last verified version everywhere.
    await sleep(20_000);
    assert.deepEqual(await serving(live), liveBefore, "live moved off its verified version");
    assert.deepEqual(await serving(integration), integrationBefore);
    assert.equal(ourDispatches().length, dispatches, "a refused artifact was dispatched");
    await removeByHand(
      digest,
      [live, integration],
      [liveBefore.artifact!, integrationBefore.artifact!],
    );
  });

  it("11. a stable tag on a digest signed by the BUILD key (not the promote key) is refused by live, while integration (which verifies the build key) accepts it", async function () {
    const liveBefore = await serving(live);
    const integrationBefore = await serving(integration);
    const digest = pushByHand("9.9.9", "signed-by-build-key");
    const signed = cosign(
      { COSIGN_PASSWORD: keys.build.password },
      "sign",
      "--yes",
      "--tlog-upload=false",
      "--key",
      keys.build.keyFile,
      `${artifact}@${digest}`,
    );
    assert.equal(signed.code, 0, `cosign sign with the build key failed: ${signed.out}`);
    assert.ok(
      verifiedBy(digest, keys.build),
      "positive control: the build key's signature verifies",
    );
    assert.ok(!verifiedBy(digest, keys.promote));
    const refused = await waitRefused(live, digest);
    assert.match(
      refused.message ?? "",
      /^failed to verify the signature using provider 'cosign': no matching signatures were found for /,
    );
    await waitSelected(integration, `9.9.9@${digest}`);
    const src = await integration.kube.mustGet(
      SOURCE.api,
      SOURCE.kind,
      FLUX_NAMESPACE,
      SOURCE.name,
    );
    assert.equal(condition(src, "SourceVerified")?.status, "True");
    await sleep(20_000);
    assert.deepEqual(
      await serving(live),
      liveBefore,
      "live took a digest the gate never validated",
    );
    await removeByHand(
      digest,
      [live, integration],
      [liveBefore.artifact!, integrationBefore.artifact!],
    );
  });

  it("12. an unsigned release candidate pushed by hand is refused by integration: nothing applies, nothing is dispatched, integration keeps its version", async function () {
    const before = await serving(integration);
    const dispatches = ourDispatches().length;
    const digest = pushByHand("99.0.0-rc.1", "unsigned-rc");
    const refused = await waitRefused(integration, digest);
    assert.match(
      refused.message ?? "",
      /^failed to verify the signature using provider 'cosign': no matching signatures were found for /,
    );
    await sleep(20_000);
    assert.deepEqual(await serving(integration), before, "integration applied an unsigned RC");
    assert.equal(ourDispatches().length, dispatches, "an unsigned RC was dispatched");
    await removeByHand(digest, [integration], [before.artifact!]);
  });
});
