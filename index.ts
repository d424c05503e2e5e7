/**
 * promotion-pipeline: one stack per cluster. Reads and validates the configuration first (nothing is
 * registered when it is invalid), then declares, by the cluster's role:
 *   every cluster    the Flux source, the gating Kustomization and the canary's alert rules;
 *   integration      the validation loop (token Secret, Provider github-dispatch, Alert validation-success);
 *   the owner stack  the files of the platform repository (workflows, CLI bundle, Canary manifest).
 * In repository mode one authenticated request checks, before anything is registered, that the github
 * provider's token may write those files (lib/github/access.ts). The program is therefore an async function,
 * which the Pulumi runtime awaits; its return value holds the stack outputs.
 */
// First: Node's compile cache and stack-trace settings for the bundle, before the SDKs load.
import "./lib/bundleRuntime";
import * as github from "@pulumi/github";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Refusal } from "./lib/errors";
import { loadConfig } from "./lib/config/read";
import type { KubernetesTarget } from "./lib/config";
import { clusterDispatches, stageOfCluster } from "./lib/config/stages";
import { soakGateInterval } from "./lib/stages/soak";
import { dispatchEventType as eventTypeOf } from "./lib/k8s/validation";
import { platformFiles } from "./lib/workflows/platformFiles";
import { ClusterSource } from "./components/clusterSource";
import { PlatformGate } from "./components/platformGate";
import { PlatformCanary } from "./components/platformCanary";
import { ValidationNotifier } from "./components/validationNotifier";
import { RepositoryFiles } from "./components/repositoryFiles";
import { RegistryPins } from "./components/registryPins";
import { pinsFiles } from "./lib/pins/delivery";
import { readCliBundle, readSchemaSet, SCHEMAS_SOURCE } from "./lib/workflows/files";
import { SCHEMAS_PATH } from "./lib/workflows/artifactCheck";
import { CLI_PATH } from "./lib/workflows/pipeline";
import { checkProgramSources, type ProgramSources } from "./lib/workflows/bundleSources";
import { canaryManifest, platformCanary } from "./lib/k8s/canary";
import { signingWarning } from "./lib/k8s/source";
import {
  accessProblems,
  probeRepository,
  providerBaseUrl,
  restApiBase,
  type RepositoryTarget,
} from "./lib/github/access";

/**
 * Everything that can refuse the stack runs before the first resource is registered. A refusal (bad config,
 * missing CLI bundle) ends `pulumi preview`/`up` with its message only, as Pulumi's own errors read:
 * pulumi.RunError has no stack trace and no dump of the error object.
 */
function beforeAnyResource<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof Refusal) throw new pulumi.RunError(e.message);
    throw e;
  }
}

/**
 * Pulumi runs this program from dist/program.cjs (package.json "main"), which `npm run build` type-checks and
 * bundles from index.ts; the build defines PROMOTION_PROGRAM_SOURCES there (the unit tests load index.ts
 * through tsx, where it is not defined). The project directory is the working directory Pulumi gives the program.
 */
declare const PROMOTION_PROGRAM_SOURCES: ProgramSources | undefined;
const root = process.cwd();

const { config, dispatchToken, pinsHostPrivateKey, githubToken, cli, schemas } = beforeAnyResource(
  () => {
    if (typeof PROMOTION_PROGRAM_SOURCES !== "undefined")
      checkProgramSources(PROMOTION_PROGRAM_SOURCES, root);
    const loaded = loadConfig();
    // The owner stack delivers the CLI bundle (and a cleaner host runs it): read it now, not mid-registration.
    return {
      ...loaded,
      cli: loaded.config.ownsFiles ? readCliBundle(root) : undefined,
      schemas: loaded.config.ownsFiles ? readSchemaSet(root) : undefined,
    };
  },
);
const { pipeline, cluster, stack } = config;

function providerArgs(t: KubernetesTarget): k8s.ProviderArgs {
  switch (t.mode) {
    case "render":
      // Not skipUpdateUnreachable: with it, kubernetes 4.25's Check returns the old inputs, so a new stack
      // renders empty objects and a changed one keeps its old content. The price: `pulumi preview --refresh`
      // fails in render mode (its Read wants a cluster); drift there is `promotion check-delivered`.
      return { renderYamlToDirectory: t.directory };
    case "cluster":
      return {
        ...(t.context ? { context: t.context } : {}),
        ...(t.kubeconfig ? { kubeconfig: t.kubeconfig } : {}),
      };
    default: {
      const never: never = t;
      throw new Error(`unknown kubernetes target ${JSON.stringify(never)}`);
    }
  }
}
/** Repository mode: the pre-flight refuses a token that cannot write the files, before any resource. */
async function checkRepositoryAccess(paths: readonly string[]): Promise<void> {
  if (githubToken === undefined) return;
  const target: RepositoryTarget = {
    api: restApiBase(pipeline.github.url),
    owner: pipeline.owner,
    repository: pipeline.repository,
  };
  const result = await probeRepository(target, githubToken.value);
  const problems = accessProblems(target, githubToken.source, result, paths);
  if (problems.length > 0)
    throw new pulumi.RunError(
      `promotion-pipeline:files = {repository: true}: the github provider could not write the platform repository:\n  - ${problems.join("\n  - ")}`,
    );
}

export = async function main(): Promise<Record<string, unknown>> {
  // The files the owner stack delivers, computed before anything is registered: the pre-flight checks the
  // token against their paths. The pins POLICY (constraints, pins of every cluster, floating tags, retention
  // depth), not the expanded allowlist: the cleaner expands it against the live registry right before it
  // deletes anything, so an RC pushed after the last `pulumi up` is protected too (see docs/pins.md).
  const repositoryFiles = config.ownsFiles
    ? platformFiles(config, {
        canaryManifest: canaryManifest(platformCanary({ extraChecks: pipeline.extraChecks })),
        ...(cli !== undefined ? { cli } : {}),
        ...(schemas !== undefined ? { schemas } : {}),
      })
    : [];
  const pins = config.ownsFiles ? pinsFiles(config) : undefined;
  await checkRepositoryAccess([
    ...repositoryFiles.map((f) => f.path),
    ...(pins?.repository ?? []).map((f) => f.path),
  ]);

  const kubernetes = new k8s.Provider(`${stack}-kubernetes`, providerArgs(config.kubernetes));
  const k8sOpts = { providers: [kubernetes] };

  // signing: none is allowed only when written out, and every preview says what it costs.
  const unsigned = signingWarning(pipeline, cluster);
  if (unsigned !== undefined) void pulumi.log.warn(unsigned);

  const source = new ClusterSource(
    cluster.name,
    { pipeline, cluster, ...(config.pin ? { pin: config.pin } : {}) },
    k8sOpts,
  );

  // A soaking stage's gate re-checks health often enough to see a failure during the soak (lib/stages/soak.ts).
  const soakInterval = soakGateInterval(stageOfCluster(pipeline.stages, cluster.name)?.soakMs ?? 0);
  const gate = new PlatformGate(
    `${cluster.name}-gate`,
    {
      gate: pipeline.gate,
      source: { kind: source.kind, ...pipeline.source },
      ...(soakInterval !== undefined ? { interval: soakInterval } : {}),
    },
    { ...k8sOpts, dependsOn: [source] },
  );

  // The Canary itself is part of the platform artifact, so the gate applies it and waits for it; Pulumi
  // declares only its alert rules here (see docs/validation-gate.md).
  new PlatformCanary(
    `${cluster.name}-canary`,
    { delivery: "artifact", extraChecks: pipeline.extraChecks },
    k8sOpts,
  );

  // Every stage that gates the next dispatches its gate's health (issue 21); for the default that is integration.
  const stage = stageOfCluster(pipeline.stages, cluster.name);
  if (clusterDispatches(pipeline.stages, cluster) && config.dispatchToken) {
    const stageAlert = {
      ...(cluster.role === "stage" && stage ? { name: stage.name } : {}),
      ...(stage && stage.soakMs > 0 ? { forwardFailures: true } : {}),
    };
    new ValidationNotifier(
      `${cluster.name}-validation`,
      {
        clusterRole: cluster.role,
        ...(Object.keys(stageAlert).length > 0 ? { stage: stageAlert } : {}),
        gate: pipeline.gate,
        owner: pipeline.owner,
        repository: pipeline.repository,
        tokenSource: config.dispatchToken,
        ...(dispatchToken ? { token: dispatchToken } : {}),
        server: pipeline.github.url,
        ...(pipeline.github.ca ? { ca: pipeline.github.ca } : {}),
      },
      { ...k8sOpts, dependsOn: [gate] },
    );
  }

  // Repository mode: one github provider for every file, pointed at pipeline.github.url (github.com or the
  // GitHub Enterprise Server the dispatch goes to) and pipeline.owner, so nothing is configured twice. Its
  // token is github:token (a secret) or, unset, the GITHUB_TOKEN the provider reads itself.
  const githubProvider = githubToken
    ? new github.Provider("platform-repository", {
        owner: pipeline.owner,
        baseUrl: providerBaseUrl(pipeline.github.url),
        ...(githubToken.secret ? { token: githubToken.secret } : {}),
      })
    : undefined;
  const githubOpts = githubProvider ? { providers: { github: githubProvider } } : {};

  const files = config.ownsFiles
    ? new RepositoryFiles(
        "platform-files",
        {
          files: repositoryFiles,
          target: config.files,
          repository: pipeline.repository,
          commitMessage: "promotion-pipeline: update",
          // readCliBundle read it from there, and the delivered file is the bundle byte for byte.
          ...(cli !== undefined
            ? {
                copies: {
                  [CLI_PATH]: "dist/promotion.mjs",
                  ...(schemas !== undefined ? { [SCHEMAS_PATH]: SCHEMAS_SOURCE } : {}),
                },
              }
            : {}),
        },
        githubOpts,
      )
    : undefined;

  const registryPins = pins
    ? new RegistryPins(
        "registry-pins",
        {
          policy: pins.policy,
          repositoryFiles: {
            files: pins.repository,
            target: config.files,
            repository: pipeline.repository,
          },
          ...(pins.registryDir.length > 0
            ? { directoryFiles: { files: pins.registryDir, directory: pins.registryDirectory } }
            : {}),
          ...(config.pins.host
            ? { host: config.pins.host, ...(cli !== undefined ? { cli } : {}) }
            : {}),
          ...(pinsHostPrivateKey ? { privateKey: pinsHostPrivateKey } : {}),
        },
        githubOpts,
      )
    : undefined;

  const clusterName = cluster.name;
  const role = cluster.role;
  const sourceKind = source.kind;
  const sourceRef = source.ref;
  const artifactUrl = cluster.role === "dev" ? cluster.git?.url : pipeline.url;
  const pin = config.pin ?? null;
  const gateKustomization = gate.objectRef;
  const dispatchEventType = eventTypeOf(pipeline.gate);
  /** sha256 of every file this stack delivered, for `promotion check-delivered` (drift of local files). */
  const deliveredFiles = {
    ...(files?.hashes ?? {}),
    ...(registryPins?.repositoryHashes ?? {}),
  };
  /** sha256 of the delivered pins policy (owner stack). */
  const pinsPolicyHash = registryPins?.policyHash ?? null;
  return {
    clusterName,
    role,
    sourceKind,
    sourceRef,
    artifactUrl,
    pin,
    gateKustomization,
    dispatchEventType,
    deliveredFiles,
    pinsPolicyHash,
  };
};
