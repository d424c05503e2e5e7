/**
 * Plain Kubernetes objects built by pure functions (no Pulumi import). Components wrap them in
 * resources; tests and the conformance suite validate them against the upstream schemas.
 */
export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface KubeObject<Spec = Record<string, unknown>> {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
  readonly spec?: Spec;
  readonly [extra: string]: unknown;
}

/** Labels every object this program declares carries, so `kubectl get -l` finds them. */
export const MANAGED_BY_LABELS: Readonly<Record<string, string>> = {
  "app.kubernetes.io/managed-by": "promotion-pipeline",
};

export const API = {
  ociRepository: "source.toolkit.fluxcd.io/v1",
  gitRepository: "source.toolkit.fluxcd.io/v1",
  kustomization: "kustomize.toolkit.fluxcd.io/v1",
  alert: "notification.toolkit.fluxcd.io/v1beta3",
  provider: "notification.toolkit.fluxcd.io/v1beta3",
  canary: "canaries.flanksource.com/v1",
  prometheusRule: "monitoring.coreos.com/v1",
} as const;
