/**
 * `promotion-pipeline:pipeline` (Pulumi.yaml), the shared definition every stack reads: the artifact, its
 * registry, the Flux source and gate, the clusters, the build and the watch. Sections with more to say
 * have their own module (clusters, registry, github).
 */
import type { ProblemCollector } from "../errors";
import { CHECK_TYPES } from "../k8s/canary";
import { dispatchEventType } from "../k8s/validation";
import { parseClusters } from "./clusters";
import { parseStages } from "./stages";
import { parseGitHub } from "./github";
import { parseSigning, refuseVerify } from "./signing";
import {
  DNS_LABEL,
  DNS_SUBDOMAIN,
  isRecord,
  Reader,
  readList,
  TAG_PATTERN,
  optionalMapping,
} from "./reader";
import { GHCR, parseRegistryCA, parseRegistryCredentials, registryHostOf } from "./registry";
import {
  NS,
  type ExtraCheck,
  type ObjectRef,
  type PipelineSpec,
  type WatchSpec,
  type IntegritySpec,
} from "../types";

const REGISTRY_HOST = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?$/;
const GH_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$/;
const REPO_NAME = /^[A-Za-z0-9._-]{1,100}$/;
const OCI_PATH_COMPONENT = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$/;

/** The label of the watch's one issue (`promotion watch --label`, the generated pipeline-watch.yaml). */
export const WATCH_LABEL = "pipeline-stalled";

export const DEFAULT_WATCH: WatchSpec = {
  schedule: "23 * * * *",
  rcWaitHours: 24,
  pinExpiryDays: 3,
};

/** Five cron fields of GitHub's schedule syntax (digits, `*`, `/`, `,`, `-`; no names, no seconds). */
const CRON = /^(\S+\s+){4}\S+$/;
const CRON_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;

/** A CRD file in the platform repository: it reaches workflow scripts through env, so a plain path only. */
const ARTIFACT_CRD_PATH = /^(?!\/)(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9._/-]+\.ya?ml$/;
export const DEFAULT_INTEGRITY: IntegritySpec = { schedule: "41 5 * * *" };

/**
 * The `schedule` of `r`: a five-field cron, `def` when unset or when it is not one (a problem recorded, with
 * `def` as the example, running at `cadence`).
 */
function scheduleOf(c: ProblemCollector, r: Reader, def: string, cadence: string): string {
  const key = r.key("schedule");
  const schedule =
    r.string("schedule", { def, what: `a five-field cron schedule such as "${def}"` }) ?? def;
  if (
    !CRON.test(schedule.trim()) ||
    !schedule
      .trim()
      .split(/\s+/)
      .every((f) => CRON_FIELD.test(f))
  ) {
    c.add(
      key,
      schedule,
      "is not a five-field cron schedule (minute hour day month weekday; digits, *, /, ',' and -).",
      `write e.g. "${def}" (${cadence}).`,
    );
    return def;
  }
  return schedule.trim();
}

function parseIntegrity(c: ProblemCollector, key: string, value: unknown): IntegritySpec {
  const raw = optionalMapping(c, key, value, [
    "must be a mapping.",
    'write e.g. integrity: { schedule: "41 5 * * *" }.',
  ]);
  if (!raw) return DEFAULT_INTEGRITY;
  const r = new Reader(c, key, raw, ["schedule"]);
  return { schedule: scheduleOf(c, r, DEFAULT_INTEGRITY.schedule, "daily") };
}

function parseWatch(c: ProblemCollector, key: string, value: unknown): WatchSpec {
  const raw = optionalMapping(c, key, value, [
    "must be a mapping.",
    'write e.g. watch: { rcWaitHours: 24, pinExpiryDays: 3, schedule: "23 * * * *" }.',
  ]);
  if (!raw) return DEFAULT_WATCH;
  const r = new Reader(c, key, raw, ["schedule", "rcWaitHours", "pinExpiryDays"]);
  return {
    schedule: scheduleOf(c, r, DEFAULT_WATCH.schedule, "hourly"),
    rcWaitHours: r.int("rcWaitHours", DEFAULT_WATCH.rcWaitHours, 1, 24 * 90),
    pinExpiryDays: r.int("pinExpiryDays", DEFAULT_WATCH.pinExpiryDays, 0, 365),
  };
}

function parseRef(c: ProblemCollector, key: string, value: unknown, def: ObjectRef): ObjectRef {
  const raw = optionalMapping(c, key, value, [
    "must be a mapping with name and namespace.",
    `write { name: ${def.name}, namespace: ${def.namespace} }.`,
  ]);
  if (!raw) return def;
  const r = new Reader(c, key, raw, ["name", "namespace"]);
  return {
    name:
      r.string("name", {
        def: def.name,
        pattern: DNS_SUBDOMAIN,
        what: "a Kubernetes object name (lower-case letters, digits, '-', '.')",
      }) ?? def.name,
    namespace:
      r.string("namespace", {
        def: def.namespace,
        pattern: DNS_LABEL,
        what: "a Kubernetes namespace name (lower-case letters, digits, '-')",
      }) ?? def.namespace,
  };
}

function parseExtraChecks(c: ProblemCollector, key: string, raw: unknown): ExtraCheck[] {
  const names = new Set<string>();
  return readList(
    c,
    key,
    raw,
    {
      notAList: [
        "must be a list of checks.",
        "write a YAML list such as [{ type: http, spec: { name: ingress, url: https://... } }].",
      ],
      notAMapping: [
        "must be a mapping with type and spec.",
        "write { type: http, spec: { name: ..., ... } }.",
      ],
    },
    (ikey, item): ExtraCheck | undefined => {
      const r = new Reader(c, ikey, item, ["type", "spec"]);
      const type = r.string("type", {
        required: true,
        pattern: /^[a-zA-Z][a-zA-Z0-9]*$/,
        what: "a canary-checker check type such as http, dns, tcp or kubernetes",
      });
      const spec = r.record("spec");
      if (!spec) {
        c.add(
          `${ikey}.spec`,
          item.spec,
          "is required.",
          "write the check's fields, including name.",
        );
        return undefined;
      }
      const name = spec.name;
      if (typeof name !== "string" || name.trim() === "") {
        c.add(
          `${ikey}.spec.name`,
          name,
          "is required: canary-checker reports and alerts by check name, and an unnamed check cannot be alerted on.",
          "give the check a unique name.",
        );
        return undefined;
      }
      if (names.has(name) || name === "kubernetes-api" || name === "flux-pods-healthy") {
        c.add(
          `${ikey}.spec.name`,
          name,
          "duplicates another check's name.",
          "give each check a unique name.",
        );
        return undefined;
      }
      names.add(name);
      if (type && !CHECK_TYPES.includes(type)) {
        c.add(
          `${ikey}.type`,
          type,
          "is not a canary-checker check type.",
          `use one of: ${CHECK_TYPES.join(", ")}.`,
        );
        return undefined;
      }
      return type ? { type, spec } : undefined;
    },
  );
}

export function parsePipeline(c: ProblemCollector, raw: unknown): PipelineSpec | undefined {
  const key = `${NS}:pipeline`;
  if (!isRecord(raw)) {
    c.add(
      key,
      raw,
      "is missing or not a mapping; the shared pipeline definition lives in Pulumi.yaml under config.",
      `restore the \`${key}\` block in Pulumi.yaml (see README, Configuration).`,
    );
    return undefined;
  }
  const r = new Reader(c, key, raw, [
    "registry",
    "owner",
    "repository",
    "artifact",
    "url",
    "source",
    "gate",
    "registrySecret",
    "verify",
    "signing",
    "registryCA",
    "registryInsecure",
    "registryCredentials",
    "github",
    "clusters",
    "stages",
    "ownerStack",
    "buildPaths",
    "branch",
    "startVersion",
    "keepStable",
    "floatingTags",
    "extraChecks",
    "watch",
    "artifactCrds",
    "integrity",
  ]);
  const registry = r.string("registry", {
    required: true,
    pattern: REGISTRY_HOST,
    what: "a registry host such as ghcr.io or 127.0.0.1:5000 (no scheme, no path)",
  });
  const owner = r.string("owner", {
    required: true,
    pattern: GH_NAME,
    what: "a GitHub owner name",
  });
  const repository = r.string("repository", {
    required: true,
    pattern: REPO_NAME,
    what: "a repository name",
  });
  const artifact =
    r.string("artifact", {
      def: "platform",
      pattern: OCI_PATH_COMPONENT,
      what: "an OCI repository path component (lower-case)",
    }) ?? "platform";
  let url = r.string("url", { what: "an oci:// URL" });
  if (url !== undefined) {
    const m = /^oci:\/\/([^/\s]+)\/([^\s@]+)$/.exec(url);
    if (!m) {
      c.add(
        r.key("url"),
        url,
        "must be oci://<host>/<path> with no digest.",
        "write oci://ghcr.io/<owner>/<repo>/platform; pick versions with the cluster's semver, not in the URL.",
      );
    } else if (/:[^/]*$/.test(m[2] ?? "")) {
      c.add(
        r.key("url"),
        url,
        "contains a tag; the cluster's semver constraint (or a pin) selects the tag, and Flux rejects a tagged URL.",
        `drop the tag: ${url.replace(/:[^/:]*$/, "")}.`,
      );
    }
  } else if (registry && owner && repository) {
    url = `oci://${registry}/${owner.toLowerCase()}/${repository.toLowerCase()}/${artifact}`;
  }
  if (url !== undefined && /@sha256:/.test(url)) {
    c.add(
      r.key("url"),
      url,
      "contains a digest; use a pin to fix a cluster to a digest.",
      "remove @sha256:... from the URL and set a pin in the stack's config instead.",
    );
  }
  const source = parseRef(c, r.key("source"), raw.source, {
    name: "flux-system",
    namespace: "flux-system",
  });
  const gate = parseRef(c, r.key("gate"), raw.gate, { name: "platform", namespace: "flux-system" });
  try {
    dispatchEventType(gate);
  } catch (e) {
    c.add(
      r.key("gate"),
      raw.gate,
      `gives a repository_dispatch event type GitHub refuses: ${(e as Error).message}`,
      "use a shorter Kustomization name or namespace.",
    );
  }
  const registrySecret = r.string("registrySecret", {
    pattern: DNS_SUBDOMAIN,
    what: "a Secret name",
  });
  const registryCA = parseRegistryCA(c, r.key("registryCA"), raw.registryCA, source);
  const registryInsecure = r.bool("registryInsecure", false);
  const host = url !== undefined ? registryHostOf(url) : registry;
  if (registryInsecure && raw.registryCA !== undefined && raw.registryCA !== null) {
    c.add(
      r.key("registryInsecure"),
      raw.registryInsecure,
      "is set together with registryCA: a registry with a CA is served over TLS, and insecure would still let source-controller fall back to plain HTTP (parseRepository adds name.Insecure; getTLSConfig skips verification only without certSecretRef).",
      "remove registryInsecure and keep registryCA (TLS verified against your CA).",
    );
  }
  if (registryInsecure && host === GHCR) {
    c.add(
      r.key("registryInsecure"),
      raw.registryInsecure,
      "asks for plain HTTP to ghcr.io, which is served only over TLS with a public certificate.",
      "remove registryInsecure.",
    );
  }
  let registryCredentials = parseRegistryCredentials(
    c,
    r.key("registryCredentials"),
    raw.registryCredentials,
  );
  if (raw.registryCredentials === undefined || raw.registryCredentials === null) {
    if (host === GHCR) registryCredentials = { mode: "github-token" };
  }
  const github = parseGitHub(c, r.key("github"), raw.github, owner, repository);
  refuseVerify(c, r.key("verify"), raw.verify);
  const parsedClusters = parseClusters(c, r.key("clusters"), raw.clusters);
  const { stages, clusters } = parseStages(c, r.key("stages"), raw.stages, parsedClusters);
  const integrationCount = clusters.filter((cl) => cl.role === "integration").length;
  if (clusters.length > 0 && integrationCount === 0) {
    c.add(
      r.key("clusters"),
      Object.keys(raw.clusters as object),
      "has no integration cluster, so nothing would validate RCs and nothing would be promoted.",
      "add a cluster with role: integration.",
    );
  }
  const ownerStack =
    r.string("ownerStack", {
      def: "integration",
      pattern: /^[A-Za-z0-9._-]+$/,
      what: "a stack name",
    }) ?? "integration";
  const buildPaths = r.stringList("buildPaths", ["kubernetes/**"], /^[^\s]+$/, "path globs");
  const branch =
    r.string("branch", { def: "main", pattern: /^[^\s~^:?*[\\]+$/, what: "a branch name" }) ??
    "main";
  const startVersion =
    r.string("startVersion", {
      def: "0.0.1",
      pattern: /^\d+\.\d+\.\d+$/,
      what: "a stable X.Y.Z version",
    }) ?? "0.0.1";
  const signing = parseSigning(c, r.key("signing"), raw.signing, {
    githubUrl: github.url,
    owner,
    repository,
    branch,
  });
  const keepStable = r.int("keepStable", 5, 1, 1000);
  const floatingTags = r.stringList("floatingTags", [], TAG_PATTERN, "OCI tags");
  const extraChecks = parseExtraChecks(c, r.key("extraChecks"), raw.extraChecks);
  const watch = parseWatch(c, r.key("watch"), raw.watch);
  const artifactCrds = r.stringList(
    "artifactCrds",
    [],
    ARTIFACT_CRD_PATH,
    "repository paths of CRD files (letters, digits, '.', '_', '-', '/'; ending in .yaml or .yml; no '..')",
  );
  if (!registry || !owner || !repository || url === undefined || !signing) return undefined;
  const integrity = parseIntegrity(c, r.key("integrity"), raw.integrity);
  if (!registry || !owner || !repository || url === undefined) return undefined;
  return {
    registry,
    owner,
    repository,
    artifact,
    url,
    source,
    gate,
    ...(registrySecret ? { registrySecret } : {}),
    ...(registryCA ? { registryCA } : {}),
    registryInsecure,
    ...(registryCredentials ? { registryCredentials } : {}),
    github,
    signing,
    clusters,
    stages,
    ownerStack,
    buildPaths,
    branch,
    startVersion,
    keepStable,
    floatingTags,
    extraChecks,
    watch,
    artifactCrds,
    integrity,
  };
}
