/**
 * One stack's configuration, whole: the raw values Pulumi read (rawConfigFrom), validated section by section
 * into a StackConfig, or a ConfigError that lists every problem. The stack-level keys (cluster, kubernetes,
 * files, the dispatch token) are read here; the sections have their own modules.
 */
import { ConfigError, ProblemCollector } from "../errors";
import { parsePin } from "./pin";
import { parsePipeline } from "./pipeline";
import { attachPins, parsePinsConfig, pinsFromStackFiles } from "./pins";
import { DNS_LABEL, DNS_SUBDOMAIN, isRecord, optionalMapping, Reader } from "./reader";
import { registryHostOf } from "./registry";
import { clusterDispatches } from "./stages";
import {
  NS,
  type DispatchTokenSource,
  type FilesTarget,
  type KubernetesTarget,
  type RawConfig,
  type StackConfig,
} from "../types";

/**
 * RawConfig from config values as the engine hands them to a program: `get(key)` returns the text of
 * `promotion-pipeline:<key>` (structured values as JSON text), `isSecret(key)` whether it is secret config.
 * The token is passed on only as text to check presence and emptiness; it leaves as a secret elsewhere.
 */
export function rawConfigFrom(
  stack: string,
  get: (key: string) => string | undefined,
  isSecret: (key: string) => boolean,
  stackFiles: readonly { readonly stack: string; readonly text: string }[],
): RawConfig {
  const structured = (key: string): unknown => {
    const text = get(key);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  };
  const token = get("dispatchToken");
  return {
    stack,
    pipeline: structured("pipeline"),
    cluster: get("cluster"),
    kubernetes: structured("kubernetes"),
    files: structured("files"),
    pin: structured("pin"),
    dispatchTokenSecret: get("dispatchTokenSecret"),
    renderSecrets: structured("renderSecrets"),
    pins: structured("pins"),
    stackFiles,
    ...(token !== undefined
      ? { dispatchToken: token, dispatchTokenIsSecret: isSecret("dispatchToken") }
      : {}),
  };
}

/** Validates everything for one stack. Throws ConfigError listing every problem. */
export function validateConfig(raw: RawConfig, now: Date = new Date()): StackConfig {
  const c = new ProblemCollector();
  const pipeline = parsePipeline(c, raw.pipeline);
  const clusterKey = `${NS}:cluster`;
  let clusterName = raw.stack;
  if (raw.cluster !== undefined && raw.cluster !== null) {
    if (typeof raw.cluster !== "string" || !DNS_LABEL.test(raw.cluster)) {
      c.add(
        clusterKey,
        raw.cluster,
        "must be the name of a cluster in the pipeline definition.",
        "set it to one of the names under promotion-pipeline:pipeline.clusters.",
      );
    } else {
      clusterName = raw.cluster;
    }
  }
  const cluster = pipeline?.clusters.find((cl) => cl.name === clusterName);
  if (pipeline && pipeline.clusters.length > 0 && !cluster) {
    c.add(
      clusterKey,
      raw.cluster ?? clusterName,
      `names no cluster of the pipeline (known: ${pipeline.clusters.map((cl) => cl.name).join(", ")}).`,
      `set ${clusterKey} to one of them in Pulumi.${raw.stack}.yaml, or add the cluster to the pipeline definition.`,
    );
  }

  const kubernetes = parseKubernetesTarget(c, raw.stack, raw.kubernetes);
  const files = parseFilesTarget(c, raw.stack, raw.files, pipeline?.branch);

  const pin = parsePin(c, raw.stack, raw.pin, now);
  if (pin && cluster && cluster.role === "dev") {
    c.add(
      `${NS}:pin`,
      raw.pin,
      "pins an OCI artifact, but this stack's cluster is a dev cluster that follows Git.",
      `remove it: pulumi config rm ${NS}:pin --stack ${raw.stack}.`,
    );
  }

  // Dispatch token: integration only; either a managed Secret from Pulumi secret config, or an existing one.
  let dispatchToken: DispatchTokenSource | undefined;
  const tkey = `${NS}:dispatchToken`;
  const eskey = `${NS}:dispatchTokenSecret`;
  const existing = raw.dispatchTokenSecret;
  if (
    existing !== undefined &&
    existing !== null &&
    (typeof existing !== "string" || !DNS_SUBDOMAIN.test(existing))
  ) {
    c.add(
      eskey,
      existing,
      "must be the name of an existing Secret (key `token`) in the gate's namespace.",
      "write a Secret name such as github-dispatch-token.",
    );
  }
  if (cluster && pipeline && clusterDispatches(pipeline.stages, cluster)) {
    const hasToken = raw.dispatchToken !== undefined;
    if (hasToken && typeof existing === "string") {
      c.add(
        tkey,
        "[secret]",
        `is set together with ${eskey}; the Provider can use only one token.`,
        `remove one: pulumi config rm ${tkey} --stack ${raw.stack} (to use the existing Secret) or pulumi config rm ${eskey} --stack ${raw.stack}.`,
      );
    } else if (hasToken) {
      if (raw.dispatchToken.trim() === "") {
        c.add(
          tkey,
          "[secret]",
          "is empty, so every repository_dispatch would fail with 401 and nothing would be promoted.",
          `set it with: pulumi config set --secret ${tkey} <token> --stack ${raw.stack} (a fine-grained token with Contents: write on the platform repository).`,
        );
      } else if (raw.dispatchTokenIsSecret === false) {
        c.add(
          tkey,
          "[redacted]",
          "is stored in plain text in the stack file.",
          `store it as a secret: pulumi config set --secret ${tkey} <token> --stack ${raw.stack}.`,
        );
      } else if (kubernetes.mode === "render" && raw.renderSecrets !== true) {
        c.add(
          tkey,
          "[secret]",
          "would be written in plain text into the rendered YAML (render mode writes Secrets as plain files).",
          `create the Secret out of band and set ${eskey} instead, or, knowingly, set ${NS}:renderSecrets true.`,
        );
      } else {
        dispatchToken = { mode: "managed" };
      }
    } else if (typeof existing === "string" && DNS_SUBDOMAIN.test(existing)) {
      dispatchToken = { mode: "existing", secretName: existing };
    } else if (existing === undefined || existing === null) {
      c.add(
        tkey,
        undefined,
        "is missing: the integration cluster's Provider needs a GitHub token to send repository_dispatch.",
        `set it with: pulumi config set --secret ${tkey} <token> --stack ${raw.stack}, or name a Secret created out of band with ${eskey}.`,
      );
    }
  } else if (
    cluster &&
    (raw.dispatchToken !== undefined || (existing !== undefined && existing !== null))
  ) {
    c.add(
      raw.dispatchToken !== undefined ? tkey : eskey,
      "[secret]",
      `is set on the ${cluster.role} stack, but only the clusters of a stage that gates the next (integration) dispatch validation events; a token elsewhere is an unused credential.`,
      `remove it: pulumi config rm ${raw.dispatchToken !== undefined ? tkey : eskey} --stack ${raw.stack}.`,
    );
  }
  if (raw.renderSecrets !== undefined && typeof raw.renderSecrets !== "boolean") {
    c.add(
      `${NS}:renderSecrets`,
      raw.renderSecrets,
      "must be true or false.",
      "write true or false.",
    );
  }

  // The owner stack's workflows log in to the registry; only ghcr.io takes the job's GITHUB_TOKEN by default.
  // Checked for every stack, so that all stacks of a pipeline accept or refuse the same definition.
  const rawCredentials = isRecord(raw.pipeline) ? raw.pipeline.registryCredentials : undefined;
  if (
    pipeline &&
    !pipeline.registryCredentials &&
    (rawCredentials === undefined || rawCredentials === null)
  ) {
    c.add(
      `${NS}:pipeline.registryCredentials`,
      undefined,
      `is required for the registry ${registryHostOf(pipeline.url)}: the generated workflows would log in with the job's GITHUB_TOKEN, which only ghcr.io (and a GitHub Enterprise Server's own registry) accepts.`,
      "name the GitHub Actions secrets that hold the registry login: registryCredentials: { usernameSecret: REGISTRY_USERNAME, passwordSecret: REGISTRY_PASSWORD }; or write registryCredentials: none for a registry that needs no login, or github-token for a GitHub Enterprise Server's registry.",
    );
  }

  const pins = parsePinsConfig(c, raw.pins);
  const stackPins = pinsFromStackFiles(c, raw.stackFiles ?? []);
  // This stack's own pin counts even when its file was not passed (e.g. config set by environment).
  if (pin && cluster && !stackPins.some((p) => p.stack === raw.stack))
    stackPins.push({ stack: raw.stack, cluster: cluster.name, pin });
  const pinClusters = pipeline ? attachPins(c, pipeline.clusters, stackPins) : [];
  if (pipeline && typeof pins.ghcr === "object" && !pipeline.url.startsWith("oci://ghcr.io/")) {
    c.add(
      `${NS}:pins.ghcr`,
      raw.pins,
      `asks for the GHCR retention workflow, but the artifact ${pipeline.url} is not on ghcr.io.`,
      "remove pins.ghcr (or set it to false) and run the registry's own cleaner with `promotion pins --policy` (docs/pins.md).",
    );
  }

  c.throwIfAny();
  if (!pipeline || !cluster)
    throw new ConfigError([
      {
        key: `${NS}:pipeline`,
        value: undefined,
        problem: "could not be read.",
        fix: "see the errors above.",
      },
    ]);
  return {
    stack: raw.stack,
    pipeline,
    cluster,
    kubernetes,
    files,
    ownsFiles: pipeline.ownerStack === raw.stack,
    ...(pin ? { pin } : {}),
    ...(dispatchToken ? { dispatchToken } : {}),
    pins,
    pinClusters,
  };
}

/** `promotion-pipeline:kubernetes`: render to a directory (the default) or apply to a cluster. */
function parseKubernetesTarget(
  c: ProblemCollector,
  stack: string,
  value: unknown,
): KubernetesTarget {
  const key = `${NS}:kubernetes`;
  const def: KubernetesTarget = { mode: "render", directory: `out/${stack}/kubernetes` };
  const raw = optionalMapping(c, key, value, [
    "must be a mapping.",
    "write { renderDirectory: out/<stack>/kubernetes } or { context: <kube context> }.",
  ]);
  if (!raw) return def;
  const r = new Reader(c, key, raw, ["renderDirectory", "context", "kubeconfig"]);
  const dir = r.string("renderDirectory", { what: "a directory path" });
  const context = r.string("context", { what: "a kube context name" });
  const kubeconfig = r.string("kubeconfig", { what: "a kubeconfig path" });
  if (dir !== undefined && (context !== undefined || kubeconfig !== undefined)) {
    c.add(
      key,
      raw,
      "sets both renderDirectory and a cluster; the program either renders YAML or applies to a cluster.",
      "keep renderDirectory (no cluster) or context/kubeconfig (a real cluster).",
    );
    return def;
  }
  if (dir !== undefined) return { mode: "render", directory: dir };
  if (context !== undefined || kubeconfig !== undefined)
    return {
      mode: "cluster",
      ...(context ? { context } : {}),
      ...(kubeconfig ? { kubeconfig } : {}),
    };
  return def;
}

/** `promotion-pipeline:files`: write the repository files to a directory (the default) or commit them. */
function parseFilesTarget(
  c: ProblemCollector,
  stack: string,
  value: unknown,
  pipelineBranch: string | undefined,
): FilesTarget {
  const key = `${NS}:files`;
  const def: FilesTarget = { mode: "directory", directory: `out/${stack}/github` };
  const raw = optionalMapping(c, key, value, [
    "must be a mapping.",
    "write { directory: out/<stack> } or { repository: true }.",
  ]);
  if (!raw) return def;
  const r = new Reader(c, key, raw, ["directory", "repository", "branch"]);
  const dir = r.string("directory", { what: "a directory path" });
  const repo = r.bool("repository", false);
  const branch = r.string("branch", { what: "a branch name" });
  if (repo && dir !== undefined) {
    c.add(
      key,
      raw,
      "sets both directory and repository.",
      "keep one: directory (write files locally) or repository: true (commit them to GitHub).",
    );
    return def;
  }
  if (repo) return { mode: "repository", branch: branch ?? pipelineBranch ?? "main" };
  if (dir !== undefined) return { mode: "directory", directory: dir };
  return def;
}
