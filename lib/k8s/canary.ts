/**
 * The platform Canary (canary-checker) and its Prometheus alerts. Pure: returns plain objects.
 *
 * Facts from flanksource/canary-checker:
 * - A Canary runs on `spec.schedule`, else `@every <interval>s`, else never: `CanarySpec.GetSchedule`
 *   (api/v1/canary_types.go) returns `NoSchedule` and `SyncCanaryJob` (pkg/jobs/canary/sync.go) unschedules it.
 * - kubernetes check (`KubernetesChecker.Check`, checks/kubernetes.go): `ready`/`healthy` fail the check for
 *   any selected resource that is not ready/healthy; "no resources found" fails it only when `test` is empty.
 *   A `test` such as `dyn(results).all(...)` (the upstream fixture) is true for zero pods, so ours asserts a
 *   non-empty result explicitly.
 * - Metrics (`pkg/metrics/metrics.go`, `Record`): gauge `canary_check` = 1 failing / 0 passing, labels
 *   `key, type, canary_name, canary_namespace, name` (+ configured extra labels); counters
 *   `canary_check_count`, `canary_check_success_count`, `canary_check_failed_count` with labels `type,
 *   endpoint, canary_name, canary_namespace, owner, severity, key, name`. `canary_check_failed_count` is
 *   added with 0 on success so the ratio below always has both series.
 */
import type { ExtraCheck, ObjectRef } from "../types";
import { KUBE_KEY_ORDER, generatedHeader, toYaml } from "../emit";
import { API, MANAGED_BY_LABELS, type KubeObject } from "./types";

export const CANARY_NAME = "platform-validation";
export const CANARY_NAMESPACE = "monitoring";
export const CANARY_SCHEDULE = "@every 60s";
export const KUBERNETES_API_CHECK = "kubernetes-api";
export const FLUX_PODS_CHECK = "flux-pods-healthy";
export const PROMETHEUS_RULE_NAME = "canary-checker-alerts";
export const RULE_GROUP = "canary-checker.rules";
/**
 * Annotation the build sets to the RC's version on the Canary in the artifact. A changed annotation is a
 * change for the gate's server-side apply, which moves kustomize-controller's managedFields time on the
 * Canary: the gate's freshness expression measures canary runs from there (lib/k8s/gate.ts). Kustomize
 * `commonAnnotations` must NOT be used for this: it also annotates pod templates and would restart every
 * workload on every RC.
 */
export const VERSION_ANNOTATION = "promotion-pipeline.io/version";

/**
 * CanarySpec keys that hold a list of checks (canary-checker config/schemas/canary.schema.json, `CanarySpec`),
 * without the types whose checkers were removed (`removedChecker` in checks/checker.go) and `webhook`
 * (a single object, not a list).
 */
export const CHECK_TYPES: readonly string[] = [
  "alertmanager",
  "awsConfig",
  "awsConfigRule",
  "azureDevops",
  "catalog",
  "cloudwatch",
  "databaseBackup",
  "dns",
  "dynatrace",
  "elasticsearch",
  "exec",
  "folder",
  "http",
  "icmp",
  "jmeter",
  "junit",
  "kubernetes",
  "kubernetesResource",
  "ldap",
  "mongodb",
  "mssql",
  "mysql",
  "namespace",
  "opensearch",
  "pod",
  "postgres",
  "prometheus",
  "pubsub",
  "redis",
  "restic",
  "s3",
  "tcp",
];

export class CanaryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CanaryError";
  }
}

/** Inputs of the platform Canary. */
export interface PlatformCanarySpec {
  /** Canary name and namespace (default `monitoring/platform-validation`). */
  readonly canary?: ObjectRef;
  /** Namespace of the Flux controllers (default `flux-system`). */
  readonly fluxNamespace?: string;
  /** Extra checks from config, appended under their type key. */
  readonly extraChecks?: readonly ExtraCheck[];
}

/** The two built-in checks, keyed by type. */
export function builtInChecks(
  fluxNamespace = "flux-system",
): Record<string, Record<string, unknown>[]> {
  return {
    http: [
      {
        name: KUBERNETES_API_CHECK,
        // No token is sent, so an authenticating API server answers 401: that is a healthy API server.
        url: "https://kubernetes.default.svc/healthz",
        responseCodes: [200, 401],
        // The API server's certificate is signed by the cluster CA, which every namespace has in kube-root-ca.crt.
        tlsConfig: {
          ca: { valueFrom: { configMapKeyRef: { name: "kube-root-ca.crt", key: "ca.crt" } } },
        },
      },
    ],
    kubernetes: [
      {
        name: FLUX_PODS_CHECK,
        kind: "Pod",
        namespaceSelector: { name: fluxNamespace },
        resource: { labelSelector: "app.kubernetes.io/part-of=flux" },
        ready: true,
        healthy: true,
        // With a test set, canary-checker no longer fails on zero resources itself: zero Flux pods is an outage.
        test: { expr: "dyn(results).size() > 0" },
      },
    ],
  };
}

function checkExtra(extra: readonly ExtraCheck[], taken: Set<string>): void {
  extra.forEach((c, i) => {
    const where = `extra check #${i + 1} (type "${c.type}")`;
    if (!CHECK_TYPES.includes(c.type)) {
      throw new CanaryError(
        `${where}: "${c.type}" is not a canary-checker check type; use one of ${CHECK_TYPES.join(", ")}.`,
      );
    }
    const name = c.spec.name;
    if (typeof name !== "string" || name.trim() === "") {
      throw new CanaryError(
        `${where} has no name: canary-checker keys a check's status and metrics by name, so it could not be alerted on.`,
      );
    }
    if (taken.has(name)) {
      throw new CanaryError(
        `${where}: the name "${name}" is already used by another check of the canary.`,
      );
    }
    taken.add(name);
  });
}

/** Canary `platform-validation` (canaries.flanksource.com/v1) in `monitoring`. */
export function platformCanary(spec: PlatformCanarySpec = {}): KubeObject {
  const ref = spec.canary ?? { name: CANARY_NAME, namespace: CANARY_NAMESPACE };
  const checks = builtInChecks(spec.fluxNamespace);
  const taken = new Set(Object.values(checks).flatMap((l) => l.map((c) => String(c.name))));
  const extra = spec.extraChecks ?? [];
  checkExtra(extra, taken);
  for (const c of extra) (checks[c.type] ??= []).push({ ...c.spec });
  return {
    apiVersion: API.canary,
    kind: "Canary",
    metadata: { name: ref.name, namespace: ref.namespace, labels: { ...MANAGED_BY_LABELS } },
    spec: { schedule: CANARY_SCHEDULE, ...checks },
  };
}

/** A copy of `obj` with the version stamp annotation (what the build applies to the Canary in the artifact). */
export function stampVersion(obj: KubeObject, version: string): KubeObject {
  if (!/^[0-9A-Za-z.+-]{1,63}$/.test(version)) {
    throw new CanaryError(
      `"${version}" cannot be a version stamp (1-63 characters of letters, digits, '.', '+', '-').`,
    );
  }
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      annotations: { ...(obj.metadata.annotations ?? {}), [VERSION_ANNOTATION]: version },
    },
  };
}

/**
 * The Canary as a file for the platform repository, so that it is part of the artifact and the gate's
 * `wait: true` health covers it. Deterministic bytes with a generated-file header.
 */
export function canaryManifest(canary: KubeObject): string {
  return (
    generatedHeader("lib/k8s/canary.ts (platformCanary)", [
      "Part of the platform artifact so that the gate Kustomization's health includes it (docs/validation-gate.md).",
    ]) +
    "---\n" +
    toYaml(canary, KUBE_KEY_ORDER)
  );
}

/** Inputs of the alert rules. */
export interface CanaryAlertsSpec {
  /** The Canary the rules watch. */
  readonly canary?: ObjectRef;
  /** Namespace of the PrometheusRule (default `monitoring`). */
  readonly namespace?: string;
  /** Labels the Prometheus `ruleSelector` needs (e.g. `release: kube-prometheus-stack`). */
  readonly ruleLabels?: Readonly<Record<string, string>>;
}

const LABEL_VALUE = /^[A-Za-z0-9._-]*$/;

/** PrometheusRule `canary-checker-alerts`, group `canary-checker.rules`. */
export function canaryAlertRules(spec: CanaryAlertsSpec = {}): KubeObject {
  const ref = spec.canary ?? { name: CANARY_NAME, namespace: CANARY_NAMESPACE };
  for (const v of [ref.name, ref.namespace]) {
    if (!LABEL_VALUE.test(v)) throw new CanaryError(`"${v}" cannot be used in a PromQL matcher.`);
  }
  const sel = `canary_name="${ref.name}",canary_namespace="${ref.namespace}"`;
  const by = "sum by (canary_namespace, canary_name, name)";
  const who = "{{ $labels.canary_namespace }}/{{ $labels.canary_name }}";
  return {
    apiVersion: API.prometheusRule,
    kind: "PrometheusRule",
    metadata: {
      name: PROMETHEUS_RULE_NAME,
      namespace: spec.namespace ?? CANARY_NAMESPACE,
      labels: { ...(spec.ruleLabels ?? {}), ...MANAGED_BY_LABELS },
    },
    spec: {
      groups: [
        {
          name: RULE_GROUP,
          rules: [
            {
              alert: "CanaryCheckFailure",
              expr: `canary_check{${sel}} == 1`,
              for: "2m",
              labels: { severity: "critical" },
              annotations: {
                summary: `Canary check {{ $labels.name }} of ${who} is failing`,
                description:
                  `Check {{ $labels.name }} (type {{ $labels.type }}) of canary ${who} has failed for 2 minutes. ` +
                  "While it fails, the gate Kustomization is not healthy and no release candidate is promoted.",
              },
            },
            {
              alert: "CanaryCheckHighFailureRate",
              expr:
                `(${by} (increase(canary_check_failed_count{${sel}}[15m])) / ` +
                `(${by} (increase(canary_check_success_count{${sel}}[15m])) + ` +
                `${by} (increase(canary_check_failed_count{${sel}}[15m])))) > 0.2`,
              for: "5m",
              labels: { severity: "warning" },
              annotations: {
                summary: `Canary check {{ $labels.name }} of ${who} fails more than 20% of its runs`,
                description: `Over 15 minutes, {{ $value | humanizePercentage }} of the runs of check {{ $labels.name }} of canary ${who} failed.`,
              },
            },
            {
              alert: "CanaryNotReporting",
              // absent(): the canary never reported (or canary-checker lost it); increase() == 0: the gauge
              // is still exported with its last value but no run happened for 10 minutes.
              expr:
                `absent(canary_check{${sel}}) or ` +
                `sum by (canary_namespace, canary_name) (increase(canary_check_count{${sel}}[10m])) == 0`,
              for: "5m",
              labels: { severity: "critical" },
              annotations: {
                summary: `Canary ${who} is not reporting`,
                description:
                  `Canary ${who} has produced no check results for 10 minutes. Without fresh results the gate ` +
                  "Kustomization times out on every release candidate and nothing is validated.",
              },
            },
          ],
        },
      ],
    },
  };
}
