/**
 * The facts `promotion status`, `trace` and `watch` read: the pipeline (from the delivered pin policy
 * or a Pulumi project directory, as `promotion pins` reads it), the registry's tags and digests, the
 * build time of chosen manifests, and, per cluster when asked, the cluster's source and gate objects.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import {
  attachPins,
  NS,
  parsePinsConfig,
  parsePipeline,
  readPinsFromStackFiles,
  type ObjectRef,
  type WatchSpec,
} from "../config";
import { ConfigError, ProblemCollector } from "../errors";
import { loadKubeTarget, defaultKubeconfig, KubeError } from "../kube/client";
import { observeCluster } from "../kube/observe";
import { parsePolicy, policyOf, type PinsPolicy } from "../pins/policy";
import { ghcrPackageVersions } from "../registry/ghcrPackages";
import type { ManifestReader } from "../registry/manifest";
import type { RegistryReader } from "../registry/types";
import type { OperatorReadOptions, OperatorReader, RegistryView } from "../status/reads";
import type { ClusterObservation } from "../status/status";
import { badValue, type ParsedArgs } from "./args";
import { UsageError } from "./command";
import { readerFromEnv } from "./registryEnv";
import { GitHubClient, GitHubError } from "../github/client";
import { recordsOf, RECORD_ENVIRONMENT, type PromotionRecordFact } from "../promotion/record";
import { clip } from "../clip";

/** The pipeline as these commands need it. */
export interface PipelineFacts {
  readonly policy: PinsPolicy;
  /** The OCIRepository every cluster declares. */
  readonly source: ObjectRef;
  /** The gate Kustomization. */
  readonly gate: ObjectRef;
  /** The watch thresholds, when read from a project directory. */
  readonly watch?: WatchSpec;
}

const DEFAULT_SOURCE: ObjectRef = { name: "flux-system", namespace: "flux-system" };
const DEFAULT_GATE: ObjectRef = { name: "platform", namespace: "flux-system" };

function projectValue(config: Record<string, unknown>, key: string): unknown {
  const v = config[key];
  if (typeof v === "object" && v !== null && !Array.isArray(v) && "value" in v) return v.value;
  return v;
}

/** From a Pulumi project directory, or a message for stderr. */
export function factsFromDir(dir: string): PipelineFacts | string {
  let project: unknown;
  try {
    project = parse(readFileSync(join(dir, "Pulumi.yaml"), "utf8"));
  } catch (e) {
    return `cannot read ${join(dir, "Pulumi.yaml")}: ${(e as Error).message}`;
  }
  const config = (project as { config?: unknown } | null)?.config;
  const cfg =
    typeof config === "object" && config !== null ? (config as Record<string, unknown>) : {};
  const c = new ProblemCollector();
  const pipeline = parsePipeline(c, projectValue(cfg, `${NS}:pipeline`));
  const pinsConfig = parsePinsConfig(c, projectValue(cfg, `${NS}:pins`));
  const stackPins = readPinsFromStackFiles(dir, c);
  const clusters = pipeline ? attachPins(c, pipeline.clusters, stackPins) : [];
  if (c.count > 0 || !pipeline) return new ConfigError(c.problems).message;
  return {
    policy: policyOf(pipeline, pinsConfig, clusters),
    source: pipeline.source,
    gate: pipeline.gate,
    // `trace` and `watch` take their thresholds from here unless a flag says otherwise (their --help says so).
    watch: pipeline.watch,
  };
}

/** From the delivered policy file, or a message for stderr. */
export function factsFromPolicy(
  file: string,
  source?: ObjectRef,
  gate?: ObjectRef,
): PipelineFacts | string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    return `cannot read the pin policy ${file}: ${(e as Error).message}`;
  }
  try {
    return {
      policy: parsePolicy(text),
      source: source ?? DEFAULT_SOURCE,
      gate: gate ?? DEFAULT_GATE,
    };
  } catch (e) {
    if (e instanceof ConfigError) return `${file}: ${e.message}`;
    throw e;
  }
}

/** `namespace/name` of --source / --gate. */
export function parseObjectRef(flag: string, v: string | undefined): ObjectRef | undefined {
  if (v === undefined) return undefined;
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(v);
  if (!m) throw badValue(flag, v, "<namespace>/<name>");
  return { namespace: m[1]!, name: m[3]! };
}

/** The pipeline from --policy or --dir (default: the current directory). */
export function loadFacts(values: ReadonlyMap<string, string>): PipelineFacts | string {
  const policy = values.get("policy");
  const source = parseObjectRef("source", values.get("source"));
  const gate = parseObjectRef("gate", values.get("gate"));
  if (policy !== undefined && values.has("dir"))
    throw new UsageError("give --policy or --dir, not both.");
  if (policy === undefined && (source || gate))
    throw new UsageError(
      "--source and --gate go with --policy; with --dir they come from Pulumi.yaml.",
    );
  return policy !== undefined
    ? factsFromPolicy(policy, source, gate)
    : factsFromDir(values.get("dir") ?? ".");
}

/** Reads the registry; injected by tests. */
export type RegistryFactory = (policy: PinsPolicy) => RegistryReader & ManifestReader;

/** The registry with the environment's credentials and scheme, as `pins` and `promote-plan` read it. */
export const ociRegistry: RegistryFactory = (policy) => readerFromEnv(policy.registry);

/** ghcr.io: the package's versions (digest -> tags) from the GitHub Packages API, or undefined. */
export type PackagesFactory = (
  policy: PinsPolicy,
) => (() => Promise<Map<string, string[]>>) | undefined;

/** The Packages API for a ghcr.io artifact when a token (the registry password) is set. */
export const envPackages: PackagesFactory = (policy) => {
  const token = process.env.PROMOTION_REGISTRY_PASSWORD;
  const [owner, ...rest] = policy.repository.split("/");
  if (policy.registry !== "ghcr.io" || !token || !owner || rest.length === 0) return undefined;
  const apiUrl = process.env.GITHUB_API_URL;
  return () =>
    ghcrPackageVersions({
      owner,
      packageName: rest.join("/"),
      token,
      ...(apiUrl ? { apiUrl } : {}),
    });
};

/** No Packages API (what tests inject by default). */
export const noPackages: PackagesFactory = () => undefined;

/** The read options for `policy`'s registry: the Packages API when `packagesOf` offers it. */
function readOptions(
  policy: PinsPolicy,
  packagesOf: PackagesFactory,
): { packageVersions?: () => Promise<Map<string, string[]>> } {
  const packageVersions = packagesOf(policy);
  return packageVersions ? { packageVersions } : {};
}

/** `cluster=value` pairs of a repeatable flag. */
function perCluster(
  flag: string,
  list: readonly string[],
  clusters: readonly string[],
): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of list) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new UsageError(`--${flag} takes <cluster>=<value>, not ${clip(item)}.`);
    const name = item.slice(0, eq);
    if (!clusters.includes(name))
      throw new UsageError(
        `--${flag} ${item}: no cluster ${clip(name)} in the pipeline (known: ${clusters.join(", ")}).`,
      );
    if (out.has(name)) throw new UsageError(`--${flag} names cluster ${name} twice.`);
    out.set(name, item.slice(eq + 1));
  }
  return out;
}

/** The kubeconfig file and context per cluster, from the repeatable --kubeconfig and --context flags. */
export interface ClusterTargets {
  readonly kubeconfigs: ReadonlyMap<string, string>;
  readonly contexts: ReadonlyMap<string, string>;
}

/** Reads --kubeconfig and --context. */
function clusterTargets(facts: PipelineFacts, args: ParsedArgs): ClusterTargets {
  const names = facts.policy.clusters.map((c) => c.name);
  return {
    kubeconfigs: perCluster("kubeconfig", args.lists.get("kubeconfig") ?? [], names),
    contexts: perCluster("context", args.lists.get("context") ?? [], names),
  };
}

/** Observes every cluster named by --kubeconfig or --context. */
async function observeClusters(
  facts: PipelineFacts,
  { kubeconfigs, contexts }: ClusterTargets,
): Promise<Map<string, ClusterObservation>> {
  const names = [...new Set([...kubeconfigs.keys(), ...contexts.keys()])].sort();
  const out = new Map<string, ClusterObservation>();
  await Promise.all(
    names.map(async (name) => {
      try {
        const target = loadKubeTarget(
          kubeconfigs.get(name) ?? defaultKubeconfig(),
          contexts.get(name),
        );
        out.set(name, await observeCluster(target, facts.source, facts.gate));
      } catch (e) {
        if (e instanceof KubeError) out.set(name, { error: e.message });
        else throw e;
      }
    }),
  );
  return out;
}

/** Promotion records from GitHub when --github <owner/repo> is given (token: GITHUB_TOKEN or GH_TOKEN). */
async function readRecords(
  repository: string | undefined,
  github: (repository: string) => GitHubClient | string,
): Promise<{ records?: PromotionRecordFact[]; recordsError?: string }> {
  if (repository === undefined) return {};
  const gh = github(repository);
  if (typeof gh === "string") return { recordsError: gh };
  try {
    return {
      records: recordsOf(
        await gh.call("GET", `/deployments?environment=${RECORD_ENVIRONMENT}&per_page=100`),
      ),
    };
  } catch (e) {
    if (e instanceof GitHubError) return { recordsError: e.message };
    throw e;
  }
}

export type GitHubFactory = (repository: string) => GitHubClient | string;

export const githubFromEnv: GitHubFactory = (repository) => {
  const token = process.env.GITHUB_TOKEN ?? process.env.GH_TOKEN;
  if (!token) return "--github needs a token in GITHUB_TOKEN or GH_TOKEN";
  try {
    return new GitHubClient({
      api: process.env.GITHUB_API_URL ?? "https://api.github.com",
      repository,
      token,
    });
  } catch (e) {
    if (e instanceof GitHubError) throw new UsageError(`--github: ${e.message}`);
    throw e;
  }
};

/** Where `status` and `trace` read from; tests pass stand-ins. */
export interface FactReaders {
  readonly registry: RegistryFactory;
  /** GitHub for --github (default: a client with GITHUB_TOKEN or GH_TOKEN). */
  readonly github?: GitHubFactory;
  /** The Packages API, when the registry offers one (default: none). */
  readonly packages?: PackagesFactory;
}

/** The real registry, GitHub and Packages API. */
export const LIVE_READERS: FactReaders = {
  registry: ociRegistry,
  github: githubFromEnv,
  packages: envPackages,
};

/** GitHub for `repository`, through `readers` (default: GITHUB_TOKEN or GH_TOKEN). */
export function githubFor(readers: FactReaders, repository: string): GitHubClient | string {
  return (readers.github ?? githubFromEnv)(repository);
}

/** What `status` and `trace` read about the pipeline besides `facts`. */
export interface GatheredFacts {
  /** The registry's tags and build times, as `readRegistry` chose them. */
  readonly registry: RegistryView;
  /** Per cluster named by --kubeconfig or --context: what it runs, or why it could not be read. */
  readonly observed: Map<string, ClusterObservation>;
  /** The promotion records, with --github. */
  readonly records?: PromotionRecordFact[];
  /** Why the records could not be read (the report goes on without them). */
  readonly recordsError?: string;
}

/**
 * Reads, in this order: --kubeconfig and --context (a typo fails before anything is read), the registry through
 * `readRegistry`, every cluster those flags name, and the promotion records when --github is given. A registry
 * failure is thrown as RegistryError.
 */
export async function gatherFacts(
  facts: PipelineFacts,
  args: ParsedArgs,
  readers: FactReaders,
  readRegistry: (reader: OperatorReader, options: OperatorReadOptions) => Promise<RegistryView>,
): Promise<GatheredFacts> {
  const targets = clusterTargets(facts, args);
  const registry = await readRegistry(
    readers.registry(facts.policy),
    readOptions(facts.policy, readers.packages ?? noPackages),
  );
  const observed = await observeClusters(facts, targets);
  const records = await readRecords(args.values.get("github"), (repo) => githubFor(readers, repo));
  return { registry, observed, ...records };
}
