/**
 * The e2e fixture: one call at the top of a mocha `describe` states what the suite needs (real registries by
 * name, paginating fronts for them, the GitHub double, the Pulumi toolchain and a project copy, the tools it
 * calls) and gets typed handles to them. It starts them in a `before` hook registered first, and stops every
 * one of them in an `after` hook, newest first and one after the other: processes by pid (checked gone
 * afterwards), servers by closing them. Mocha runs `after` also when a `before` failed (it runs no
 * `afterEach` then), so a half-started box is stopped too.
 *
 * Logs and state live in one work directory (`<tmp>/<name>-XXXXXX`): `logs/` holds each registry's log, the
 * GitHub double's request log (tokens never written) and every job run's log. When a test or hook of the suite
 * failed, the directory is kept and its path printed; `PROMOTION_KEEP_E2E=1` keeps it after a green run too.
 * Otherwise `after` removes it.
 *
 * Also here, for the workflow suites: a runner machine (`machine`: tools on PATH, its own HOME and docker
 * config), a checkout (`workspace`), a job context with GitHub's variables (`context`), job runs whose logs
 * the box keeps (`run`, `jobRun`), the generated files for a pipeline (`pipelineFiles`), the event
 * notification-controller's githubdispatch provider sends (`fluxEvent`) and the registry's listing
 * (`craneIn`, `tagListing`).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { main } from "../../lib/cli/main";
import { validateConfig, type StackConfig } from "../../lib/config";
import { canaryManifest, platformCanary } from "../../lib/k8s/canary";
import { readCliBundle, workflowFiles } from "../../lib/workflows/files";
import { GitHubStandIn, standInTls, type GitHubStandInOptions } from "./githubStandIn";
import { assertToolchain, ProjectCopy } from "./projectCopy";
import { startRegistry, type StartRegistryOptions, type TestRegistry } from "./registry";
import { startRegistryProxy, type ProxyOptions, type RegistryProxy } from "./registryProxy";
import { tool, TOOLS_BIN, type ToolName } from "./tools";
import { JobRun, type JobContext, type JobResult } from "./workflowRunner";

/** A front (`registryProxy.ts`) for one of the box's registries, named by its key in `registries`. */
export interface FrontOptions<R extends string> extends Omit<ProxyOptions, "upstream"> {
  readonly upstream: R;
}

export interface E2eBoxOptions<R extends string = string, F extends string = string> {
  /** The work directory's prefix under the system temp directory, e.g. `promotion-e2e-`. */
  readonly name: string;
  /** Tools the suite calls: each is looked up first, so a missing one fails before anything starts. */
  readonly tools?: readonly ToolName[];
  /** Real registries (docker-registry on 127.0.0.1), by name, each with its options. */
  readonly registries?: { readonly [K in R]: StartRegistryOptions };
  /** Paginating, counting fronts for those registries, by name. */
  readonly fronts?: { readonly [K in F]: FrontOptions<R> };
  /**
   * The GitHub double. `tls: true` makes a CA and a serving certificate in the work directory (the CA's
   * PEM and file are the handle's `githubCa`).
   */
  readonly github?: Omit<GitHubStandInOptions, "tls"> & { readonly tls?: boolean };
  /** The Pulumi toolchain (checked) and a copy of this project to run it on (`project`). */
  readonly pulumi?: boolean;
}

/** What every box has. */
export interface E2eBoxBase {
  /** The work directory (logs in `logs/`). */
  readonly work: string;
  /** Stops `stop` in `after` with the rest, newest first: for a server or process the suite started itself. */
  own(what: string, stop: () => Promise<void> | void, pid?: number): void;
  /**
   * A runner machine: its own HOME and DOCKER_CONFIG (so a login is its own), PATH with the tool cache, Node
   * and the system directories. `orasPlainHttp` (default true) puts first a wrapper that adds `--plain-http`
   * to every oras command (the setup-oras stand-in for a registry without TLS); `usrLocal: false` leaves
   * /usr/local/bin (where a Go toolchain would be) off PATH.
   */
  machine(o?: { orasPlainHttp?: boolean; usrLocal?: boolean }): Record<string, string>;
  /** A fresh checkout: `files` (path -> content) written into a new directory; returns its path. */
  workspace(files: Iterable<readonly [string, string]>): string;
  /** A job context: GitHub's variables for example-org/platform on main (`GITHUB_API_URL`: the double). */
  context(o: ContextOptions): JobContext;
  /** A job run, step by step; its log is kept with the box's logs. */
  jobRun(workflow: string, job: string, ctx: JobContext): JobRun;
  /** A whole job run; its log is kept with the box's logs. */
  run(workflow: string, job: string, ctx: JobContext): Promise<JobResult>;
}

export interface ContextOptions {
  readonly workspace: string;
  readonly machine: Record<string, string>;
  /** `[event name, event payload]`. */
  readonly event: readonly [string, unknown];
  /** GITHUB_SHA; default `commit("0")`. */
  readonly sha?: string;
  readonly secrets: Record<string, string>;
  readonly actor?: string;
  /** More or other GitHub variables (over the defaults). */
  readonly githubEnv?: Record<string, string>;
}

type Handles<O> = (O extends { registries: infer RS }
  ? { readonly registries: { readonly [K in keyof RS]: TestRegistry } }
  : unknown) &
  (O extends { fronts: infer FS }
    ? { readonly fronts: { readonly [K in keyof FS]: RegistryProxy } }
    : unknown) &
  (O extends { github: infer G }
    ? { readonly github: GitHubStandIn } & (G extends { tls: true }
        ? { readonly githubCa: { readonly pem: string; readonly file: string } }
        : unknown)
    : unknown) &
  (O extends { pulumi: true } ? { readonly project: ProjectCopy } : unknown);

export type E2eBox<O> = E2eBoxBase & Handles<O>;

interface Owned {
  readonly what: string;
  readonly pid?: number;
  readonly stop: () => Promise<void> | void;
}

/** The CI account: the registry's user and password; the password is also the GitHub token the double takes. */
export const CI = { user: "ci-bot", password: "registry-s3cret" } as const;

/** Box options: registry `main` with CI's basic auth, and the GitHub double for example-org/platform. */
export const CI_REGISTRY_AND_GITHUB = {
  registries: { main: { basicAuth: { user: CI.user, password: CI.password } } },
  github: { tokens: [CI.password], repositories: ["example-org/platform"] },
};

/** A box with registry `main` behind CI's login and the GitHub double (CI_REGISTRY_AND_GITHUB). */
export const ciBox = (name: string, tools: readonly ToolName[]) =>
  e2eBox({ name, tools, ...CI_REGISTRY_AND_GITHUB });

/** A job context of a run CI started (actor ci-bot, GITHUB_TOKEN its password), unless `o` says otherwise. */
export const ciContext = (
  box: E2eBoxBase,
  o: Omit<ContextOptions, "secrets"> & { readonly secrets?: Record<string, string> },
): JobContext => box.context({ secrets: { GITHUB_TOKEN: CI.password }, actor: CI.user, ...o });

/** 40-hex commit ids: `commit("a")` = aaaa...; its short sha is the first 7. */
export const commit = (c: string): string => c.repeat(40).slice(0, 40);

/** Whether process `pid` still runs. */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Whether any test or hook of `suite` or its child suites failed. */
function suiteFailed(suite: Mocha.Suite): boolean {
  const hooks = (s: Mocha.Suite): Mocha.Hook[] => {
    const get = (s as unknown as { getHooks?: (n: string) => Mocha.Hook[] }).getHooks;
    // Without the hook list a failed before cannot be seen: keep the logs rather than lose them.
    if (typeof get !== "function") return [{ state: "failed" } as Mocha.Hook];
    return ["beforeAll", "beforeEach", "afterEach", "afterAll"].flatMap((n) => get.call(s, n));
  };
  const walk = (s: Mocha.Suite): boolean =>
    s.tests.some((t) => t.state === "failed") ||
    hooks(s).some((h) => h.state === "failed") ||
    s.suites.some(walk);
  return walk(suite);
}

/**
 * Registers the box's `before` and `after` in the calling `describe` (call it first, before the suite's own
 * hooks) and returns its handles, usable from the suite's `before` on.
 */
export function e2eBox<
  const O extends E2eBoxOptions<R, F>,
  R extends string = never,
  F extends string = never,
>(options: O & E2eBoxOptions<R, F>): E2eBox<O> {
  const owned: Owned[] = [];
  const runs: { job: string; run: JobRun }[] = [];
  const state: {
    work?: string;
    registries: Record<string, TestRegistry>;
    fronts: Record<string, RegistryProxy>;
    github?: GitHubStandIn;
    githubCa?: { pem: string; file: string };
    project?: ProjectCopy;
    orasBin?: string;
  } = { registries: {}, fronts: {} };
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined)
      throw new Error(`e2eBox(${options.name}): ${what} is used before the box's before hook ran`);
    return v;
  };
  const work = (): string => need(state.work, "the work directory");

  const box: E2eBoxBase & Record<string, unknown> = {
    get work() {
      return work();
    },
    own(what, stop, pid) {
      owned.push({ what, stop, pid });
    },
    machine(o = {}) {
      const bin: string[] = [];
      if (o.orasPlainHttp ?? true) {
        if (!state.orasBin) {
          state.orasBin = join(work(), "bin");
          mkdirSync(state.orasBin);
          writeFileSync(
            join(state.orasBin, "oras"),
            `#!/bin/sh\nsub="$1"; shift\nexec "${join(TOOLS_BIN, "oras")}" "$sub" --plain-http "$@"\n`,
          );
          chmodSync(join(state.orasBin, "oras"), 0o755);
        }
        bin.push(state.orasBin);
      }
      const home = mkdtempSync(join(work(), "home-"));
      return {
        PATH: [
          ...bin,
          TOOLS_BIN,
          dirname(process.execPath),
          ...((o.usrLocal ?? true) ? ["/usr/local/bin"] : []),
          "/usr/bin",
          "/bin",
        ].join(":"),
        HOME: home,
        DOCKER_CONFIG: join(home, "docker"),
        LANG: "C.UTF-8",
      };
    },
    workspace(files) {
      const ws = mkdtempSync(join(work(), "ws-"));
      for (const [p, content] of files) {
        mkdirSync(join(ws, dirname(p)), { recursive: true });
        writeFileSync(join(ws, p), content);
      }
      return ws;
    },
    context(o) {
      const sha = o.sha ?? commit("0");
      return {
        workspace: o.workspace,
        eventName: o.event[0],
        event: o.event[1],
        githubEnv: {
          GITHUB_SHA: sha,
          GITHUB_REF_NAME: "main",
          GITHUB_REF: "refs/heads/main",
          GITHUB_SERVER_URL: "https://github.com",
          GITHUB_REPOSITORY: "example-org/platform",
          GITHUB_RUN_ID: "1",
          ...(state.github ? { GITHUB_API_URL: state.github.url } : {}),
          ...o.githubEnv,
        },
        secrets: o.secrets,
        ...(o.actor === undefined ? {} : { actor: o.actor }),
        machineEnv: o.machine,
      };
    },
    jobRun(workflow, job, ctx) {
      const run = new JobRun(workflow, job, ctx);
      runs.push({ job, run });
      return run;
    },
    run(workflow, job, ctx) {
      return box.jobRun(workflow, job, ctx).finish();
    },
  };
  Object.defineProperties(box, {
    registries: { get: () => need(state.work && state.registries, "registries") },
    fronts: { get: () => need(state.work && state.fronts, "fronts") },
    github: { get: () => need(state.github, "the GitHub double") },
    githubCa: { get: () => need(state.githubCa, "the GitHub double's CA") },
    project: { get: () => need(state.project, "the project copy") },
  });

  before(`e2eBox: start ${options.name}`, async function () {
    for (const t of options.tools ?? []) tool(t);
    if (options.pulumi) assertToolchain();
    state.work = mkdtempSync(join(tmpdir(), options.name));
    const logs = join(state.work, "logs");
    mkdirSync(logs);
    for (const [name, o] of Object.entries<StartRegistryOptions>(options.registries ?? {})) {
      const reg = await startRegistry({
        ...o,
        dir: join(state.work, `registry-${name}`),
        logFile: join(logs, `registry-${name}.log`),
      });
      state.registries[name] = reg;
      owned.push({ what: `registry ${name} (${reg.host})`, pid: reg.pid, stop: () => reg.stop() });
    }
    for (const [name, o] of Object.entries<FrontOptions<string>>(options.fronts ?? {})) {
      const upstream = state.registries[o.upstream];
      if (!upstream)
        throw new Error(
          `e2eBox(${options.name}): fronts.${name}.upstream "${o.upstream}" names no registry; use one of: ${Object.keys(state.registries).join(", ")}`,
        );
      const front = await startRegistryProxy({ ...o, upstream: upstream.host });
      state.fronts[name] = front;
      owned.push({ what: `front ${name} (${front.host})`, stop: () => front.close() });
    }
    if (options.github) {
      const { tls: wantTls, ...gh } = options.github;
      let tls: GitHubStandInOptions["tls"];
      if (wantTls) {
        const t = standInTls(state.work);
        state.githubCa = { pem: t.caPem, file: t.authority.caFile };
        tls = { certPem: t.certPem, keyPem: t.keyPem };
      }
      const github = await GitHubStandIn.start({ ...gh, ...(tls ? { tls } : {}) });
      state.github = github;
      owned.push({
        what: `GitHub double (${github.url})`,
        stop: async () => {
          writeFileSync(
            join(logs, "github-requests.log"),
            github.requests
              .map((r) => `${r.at.toISOString()} ${r.status} ${r.method} ${r.path}\n`)
              .join(""),
          );
          await github.stop();
        },
      });
    }
    if (options.pulumi) state.project = ProjectCopy.create(state.work);
  });

  after(`e2eBox: stop ${options.name}`, async function () {
    const problems: string[] = [];
    for (const o of owned.splice(0).reverse()) {
      try {
        await o.stop();
      } catch (e) {
        problems.push(`${o.what}: stop failed: ${String(e)}`);
      }
      if (o.pid !== undefined && alive(o.pid)) {
        process.kill(o.pid, "SIGKILL");
        problems.push(`${o.what}: pid ${o.pid} still ran after stop (killed)`);
      }
    }
    const dir = state.work;
    if (dir && existsSync(dir)) {
      const failed = problems.length > 0 || suiteFailed(this.test!.parent!);
      if (failed || process.env.PROMOTION_KEEP_E2E) {
        runs.forEach(({ job, run }, i) => {
          const jobs = join(dir, "logs", "jobs");
          mkdirSync(jobs, { recursive: true });
          writeFileSync(
            join(jobs, `${String(i + 1).padStart(3, "0")}-${job}.log`),
            run.result().log,
          );
        });
        console.log(`\n    ${options.name}: logs and state kept in ${dir} (logs/)`);
      } else {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    if (problems.length > 0) throw new Error(`e2eBox(${options.name}): ${problems.join("; ")}`);
  });

  return box as unknown as E2eBox<O>;
}

// ---- what the workflow suites share -------------------------------------------------------------------

/**
 * The validated config of the integration (owner) stack for example-org/platform with an integration and a
 * live cluster, unsigned unless `pipeline` says otherwise, at 2026-11-23T12:00:00Z; `pipeline` adds or
 * overrides keys (`registry` is required).
 */
export function pipelineConfig(
  pipeline: { readonly registry: string } & Record<string, unknown>,
  now = new Date("2026-11-23T12:00:00Z"),
): StackConfig {
  return validateConfig(
    {
      stack: "integration",
      pipeline: {
        owner: "example-org",
        repository: "platform",
        clusters: { integration: { role: "integration" }, live: { role: "live" } },
        // Unsigned unless asked: signing with real cosign is proven in tests/e2e/signing.test.ts.
        signing: { mode: "none" },
        ...pipeline,
      },
      dispatchTokenSecret: "github-dispatch-token",
    },
    now,
  );
}

/** The generated workflow files (and the CLI bundle, the schema set) for `cfg`: path -> content. */
export const pipelineFiles = (cfg: StackConfig): Map<string, string> =>
  new Map(workflowFiles(cfg, { cli: readCliBundle() }).map((f) => [f.path, f.content]));

/**
 * The platform's manifests as a checkout holds them: a Namespace and the canary, and (unless false) a
 * kustomization.yaml listing both.
 */
export function platformManifests(kustomization = true): [string, string][] {
  return [
    ["kubernetes/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n"],
    ["kubernetes/monitoring/platform-canary.yaml", canaryManifest(platformCanary())],
    ...(kustomization
      ? ([
          [
            "kubernetes/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n# the platform\nresources:\n  - namespace.yaml\n  - monitoring/platform-canary.yaml\n",
          ],
        ] as [string, string][])
      : []),
  ];
}

/** A Flux event as notification-controller's githubdispatch provider sends it for a healthy revision. */
export function fluxEvent(
  revision: string,
  over: Record<string, unknown> = {},
): { action: string; client_payload: Record<string, unknown> } {
  return {
    action: "Kustomization/platform.flux-system",
    client_payload: {
      involvedObject: {
        kind: "Kustomization",
        namespace: "flux-system",
        name: "platform",
        apiVersion: "kustomize.toolkit.fluxcd.io/v1",
      },
      severity: "info",
      timestamp: "2026-11-23T12:00:00Z",
      message: "Health check passed in 2.5s",
      reason: "Progressing",
      metadata: { revision },
      reportingController: "kustomize-controller",
      reportingInstance: "kustomize-controller-7c9d",
      ...over,
    },
  };
}

/** crane with `env` (a machine's, or a reader's docker config); returns stdout trimmed. */
export const craneIn =
  (env: Record<string, string>) =>
  (...args: string[]): string =>
    execFileSync(tool("crane"), args, {
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();

/** The registry's listing of `artifact` now, tag -> digest, tags sorted; none for an artifact not pushed yet. */
export function tagListing(
  crane: (...a: string[]) => string,
  artifact: string,
): Map<string, string> {
  let tags: string[];
  try {
    tags = crane("ls", artifact).split("\n").filter(Boolean).sort();
  } catch (e) {
    if (/NAME_UNKNOWN/.test(String((e as { stderr?: unknown }).stderr))) return new Map();
    throw e;
  }
  return new Map(tags.map((t) => [t, crane("digest", `${artifact}:${t}`)]));
}

/** The `promotion` CLI in this process (its `main`), output captured. */
export async function promotionCli(
  ...args: string[]
): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, {
    stdout: (s) => (out += s),
    stderr: (s) => (err += s),
    stdin: () => Promise.resolve(""),
  });
  return { code, out, err };
}
