/**
 * The gate: Kustomization `platform` applies the cluster source's artifact and waits for everything it
 * applied to be healthy, the platform Canary included, before kustomize-controller emits `Health check
 * passed` (the event the validation Alert dispatches). Pure: returns plain objects.
 *
 * Facts this relies on (kustomize-controller and fluxcd/pkg sources, see docs/validation-gate.md):
 * - `checkHealth` (internal/controller/kustomization_controller.go) checks every object of the change set
 *   (applied, unchanged included; skipped excluded) when `wait: true`; `healthCheckExprs` are used "only when
 *   Wait or HealthChecks are specified" (api/v1/kustomization_types.go).
 * - fluxcd/pkg runtime/cel `StatusEvaluator.Evaluate` first returns InProgress when `status.observedGeneration`
 *   differs from `metadata.generation`, then evaluates inProgress, failed, current in that order; none true is
 *   InProgress; an evaluation error (e.g. no `status` yet) makes the object Unknown, so the wait continues
 *   until the timeout (runtime/cel/status_reader_test.go, `TestStatusReader_CustomResourceLifeCycle`).
 */
import type { ObjectRef } from "../types";
import { API, MANAGED_BY_LABELS, type KubeObject } from "./types";

/** The kinds a gate can apply from: OCIRepository (integration, live) or GitRepository (dev). */
export type GateSourceKind = "OCIRepository" | "GitRepository";

/** A Flux `healthCheckExprs` entry (fluxcd/pkg apis/kustomize `CustomHealthCheck`). */
export interface CustomHealthCheck {
  readonly apiVersion: string;
  readonly kind: string;
  readonly current: string;
  readonly inProgress?: string;
  readonly failed?: string;
}

/** The field manager kustomize-controller applies with (`controllerName` in main.go, `ssa.Owner{Field: ...}`). */
export const KUSTOMIZE_FIELD_MANAGER = "kustomize-controller";

/** How long after the gate applied the Canary a canary run must have reported to count. */
export const DEFAULT_CANARY_FRESHNESS = "30s";

const GO_DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;

export class GateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GateError";
  }
}

/** Seconds in a Go duration string (`1m30s`, `5m`, `250ms`). */
export function goDurationSeconds(d: string): number {
  if (!GO_DURATION.test(d))
    throw new GateError(`"${d}" is not a Go duration such as 30s, 5m or 1h.`);
  const unit: Record<string, number> = {
    ns: 1e-9,
    us: 1e-6,
    µs: 1e-6,
    ms: 1e-3,
    s: 1,
    m: 60,
    h: 3600,
  };
  let total = 0;
  for (const m of d.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g))
    total += Number(m[1]) * unit[m[2]!]!;
  return total;
}

/**
 * The Canary health check. canary-checker's status needs three guards beyond `status.status == 'Passed'`:
 *
 * 1. Stale status. The Canary's `status` is written after each run (`CanaryReconciler.Report`,
 *    pkg/controllers/canary_controller.go: `lastCheck = now`, `status`, `errorMessage`), while
 *    `status.observedGeneration` is set on every reconcile of the object, before any run (`reconcile`), and an
 *    annotation-only change does not reschedule the job (`SyncCanaryJob`, pkg/jobs/canary/sync.go, compares
 *    specs). Right after a rollout the status is the previous run's. The only apply time on the object is
 *    kustomize-controller's managedFields entry, updated whenever the gate's server-side apply changes the
 *    Canary. So: in progress until `status.lastCheck` is later than that apply time plus `freshness` (a run that
 *    started before the apply and reported just after it must not count). The platform artifact must change
 *    the Canary on every RC (docs/validation-gate.md: the version stamp).
 * 2. Last result wins. `UpdateCanaryStatusAndEvent` (pkg/jobs/canary/status.go) assigns `status` for each
 *    result in turn, so `status.status` is the LAST check's result, not the canary's. Every failing result
 *    has a non-empty `Error` (`CheckResult.Failf`, pkg/results.go; the http and kubernetes checkers and test
 *    expressions fail through it) and `Report` sets `status.errorMessage` exactly when some result had one,
 *    else clears it. So green = `Passed` and no `errorMessage`.
 * 3. `Invalid` (a check that cannot run) is a failure, not progress.
 */
export function canaryHealthCheck(freshness: string = DEFAULT_CANARY_FRESHNESS): CustomHealthCheck {
  goDurationSeconds(freshness);
  return {
    apiVersion: API.canary,
    kind: "Canary",
    inProgress:
      "!has(status.lastCheck) || metadata.managedFields.exists(f, " +
      `f.manager == '${KUSTOMIZE_FIELD_MANAGER}' && ` +
      `timestamp(status.lastCheck) <= timestamp(f.time) + duration('${freshness}'))`,
    failed: "status.status == 'Failed' || status.status == 'Invalid' || has(status.errorMessage)",
    current: "status.status == 'Passed' && !has(status.errorMessage)",
  };
}

/** What the gate applies and how long it waits. */
export interface GateSpec {
  /** Name and namespace of the gate Kustomization (`pipeline.gate`). */
  readonly gate: ObjectRef;
  /** The cluster source it applies. */
  readonly source: { readonly kind: GateSourceKind } & ObjectRef;
  /** Path inside the artifact or repository (default `./`). */
  readonly path?: string;
  /** Reconcile interval (default `10m`). */
  readonly interval?: string;
  /** Retry interval after a failed health check (default `1m`). */
  readonly retryInterval?: string;
  /** Health check timeout; must leave room for one fresh canary run (default `5m`, at least `2m`). */
  readonly timeout?: string;
  /** See `canaryHealthCheck` (default `30s`). */
  readonly canaryFreshness?: string;
}

/** Minimum timeout: a 60 s canary schedule, the freshness margin and the run itself must fit. */
export const MIN_GATE_TIMEOUT_SECONDS = 120;

/** Kustomization `platform` (kustomize.toolkit.fluxcd.io/v1): applies the source with `wait: true`. */
export function gateKustomization(spec: GateSpec): KubeObject {
  const path = spec.path ?? "./";
  if (path.startsWith("/") || path.split("/").includes("..")) {
    throw new GateError(
      `gate path "${path}" must be relative to the artifact root and stay inside it (e.g. ./ or ./platform).`,
    );
  }
  const interval = spec.interval ?? "10m";
  const retryInterval = spec.retryInterval ?? "1m";
  const timeout = spec.timeout ?? "5m";
  for (const [k, v] of [
    ["interval", interval],
    ["retryInterval", retryInterval],
    ["timeout", timeout],
  ] as const) {
    try {
      goDurationSeconds(v);
    } catch {
      throw new GateError(`gate ${k} "${v}" is not a Go duration such as 30s, 5m or 1h.`);
    }
  }
  const freshness = spec.canaryFreshness ?? DEFAULT_CANARY_FRESHNESS;
  const needed = Math.max(MIN_GATE_TIMEOUT_SECONDS, 60 + goDurationSeconds(freshness) + 30);
  if (goDurationSeconds(timeout) < needed) {
    throw new GateError(
      `gate timeout "${timeout}" is shorter than ${needed}s: the health check waits for a canary run reported ` +
        `${freshness} after the apply (schedule @every 60s), so it would time out on every RC and nothing would be validated.`,
    );
  }
  return {
    apiVersion: API.kustomization,
    kind: "Kustomization",
    metadata: {
      name: spec.gate.name,
      namespace: spec.gate.namespace,
      labels: { ...MANAGED_BY_LABELS },
    },
    spec: {
      interval,
      retryInterval,
      timeout,
      sourceRef: {
        kind: spec.source.kind,
        name: spec.source.name,
        namespace: spec.source.namespace,
      },
      path,
      prune: true,
      wait: true,
      healthCheckExprs: [canaryHealthCheck(freshness)],
    },
  };
}
