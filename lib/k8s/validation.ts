/**
 * The validation loop's Flux notification objects (integration only): the dispatch token Secret, the
 * `githubdispatch` Provider and the Alert that sends `repository_dispatch` when the gate Kustomization
 * reports `Health check passed`. Pure: returns plain objects; the token is a parameter of any type, so
 * components pass a Pulumi secret Output and this code never sees the real value.
 *
 * Why this Alert fires (see docs/validation-gate.md for the whole flow):
 * - kustomize-controller emits `Health check passed in <duration>` (severity info) from
 *   `KustomizationReconciler.checkHealth` (internal/controller/kustomization_controller.go) only when
 *   `wait: true` or `healthChecks` is set, and only `if !wasHealthy || (isNewRevision && drifted)`.
 * - The `Reconciliation finished in ...` event the reference homelab filtered on carries
 *   `kustomize.toolkit.fluxcd.io/commit_status: update` (`Reconcile`, deferred block), and
 *   notification-controller's `getNotificationParams` (internal/server/event_handlers.go) returns early for
 *   such events when the provider is neither a commit-status nor a generic provider: githubdispatch never
 *   receives it.
 */
import type { CaSource, DispatchTokenSource, ObjectRef } from "../types";
import { caSecret } from "./ca";
import { API, MANAGED_BY_LABELS, type KubeObject } from "./types";

export const DISPATCH_PROVIDER_NAME = "github-dispatch";
export const VALIDATION_ALERT_NAME = "validation-success";
/** github.com; any other server is addressed as a GitHub Enterprise Server. */
export const GITHUB_COM = "https://github.com";
/** Name of the CA Secret the program declares from `github.caPem` (Provider `certSecretRef`). */
export const GITHUB_CA_SECRET_NAME = "github-dispatch-ca";
/** Name of the Secret this program manages when the token comes from Pulumi secret config. */
export const MANAGED_TOKEN_SECRET_NAME = "github-dispatch-token";
/** notification-controller reads the token from this key of the Provider's secretRef (`extractAuthFromSecret`). */
export const TOKEN_KEY = "token";
/**
 * The message kustomize-controller gives the health event: `fmt.Sprintf("Health check passed in %s", ...)`
 * in `checkHealth`. The Alert's inclusionList is matched with Go `regexp.Match` against the message
 * (`messageIsIncluded`, internal/server/event_handlers.go), so the anchor is honoured.
 */
export const HEALTH_CHECK_PASSED_REGEX = "^Health check passed";
/** GitHub rejects a repository_dispatch `event_type` longer than 100 characters. */
export const GITHUB_EVENT_TYPE_MAX = 100;

const GH_OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$/;
const GH_REPO = /^[A-Za-z0-9._-]{1,100}$/;

/** A builder was given values that would produce an object Flux or GitHub rejects or never acts on. */
export class ValidationLoopError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ValidationLoopError";
  }
}

/**
 * The `repository_dispatch` event type notification-controller sends for the gate:
 * `fmt.Sprintf("%s/%s.%s", event.InvolvedObject.Kind, .Name, .Namespace)` in `GitHubDispatch.Post`
 * (internal/notifier/github_dispatch.go). The promote workflow's `repository_dispatch.types` must be this
 * exact string, so it is derived here once and both sides use it.
 */
export function dispatchEventType(gate: ObjectRef): string {
  if (gate.name.trim() === "" || gate.namespace.trim() === "") {
    throw new ValidationLoopError(
      `gate Kustomization needs a name and a namespace (got name "${gate.name}", namespace "${gate.namespace}").`,
    );
  }
  const eventType = `Kustomization/${gate.name}.${gate.namespace}`;
  if (eventType.length > GITHUB_EVENT_TYPE_MAX) {
    throw new ValidationLoopError(
      `repository_dispatch event_type "${eventType}" is ${eventType.length} characters; GitHub accepts at most ` +
        `${GITHUB_EVENT_TYPE_MAX}, so every dispatch would be rejected and nothing would be promoted. ` +
        `Shorten pipeline.gate.name or pipeline.gate.namespace.`,
    );
  }
  return eventType;
}

/**
 * `<server>/<owner>/<repository>`, the address form the githubdispatch notifier parses; `server` is
 * `https://github.com` or a GitHub Enterprise Server's `https://<host>[:port]` (see checkGithubAddress).
 */
export function githubRepositoryAddress(
  owner: string,
  repository: string,
  server: string = GITHUB_COM,
): string {
  if (!GH_OWNER.test(owner)) {
    throw new ValidationLoopError(
      `"${owner}" is not a GitHub owner name (letters, digits and single '-', at most 39).`,
    );
  }
  if (!GH_REPO.test(repository) || repository === "." || repository === "..") {
    throw new ValidationLoopError(`"${repository}" is not a GitHub repository name.`);
  }
  return `${server}/${owner}/${repository}`;
}

/**
 * Checks an address is exactly `<server>/<owner>/<repository>` and returns it. This is what
 * notification-controller v1.9.3 does with it (internal/notifier/github_helpers.go, `NewGitHubClient`):
 * `parseGitAddress` (internal/notifier/util.go) keeps `<scheme>://<host>` and takes the whole path, minus
 * the leading `/` and a trailing `.git`, as the repository id, which must split on `/` into exactly two
 * parts (`invalid repository id`). `createGitHubClient` uses github.com's API for host `github.com` and, for
 * any other host, go-github's `WithEnterpriseURLs(host, host)`: the API is `<server>/api/v3/`, so the
 * dispatch goes to `POST <server>/api/v3/repos/<owner>/<repository>/dispatches`.
 */
export function checkGithubAddress(address: string, server: string = GITHUB_COM): string {
  const fail = (): never => {
    throw new ValidationLoopError(
      `Provider address "${address}" is not a GitHub repository URL on ${server}: the githubdispatch provider sends ` +
        `repository_dispatch to the owner/repository parsed from it (NewGitHubClient splits the path into exactly ` +
        `two parts). Write ${server}/<owner>/<repository>.`,
    );
  };
  if (!/^https:\/\/[^/\s?#@]+$/.test(server) || !address.startsWith(`${server}/`)) return fail();
  const id = address.slice(server.length + 1);
  const m = /^([^/]+)\/([^/]+)$/.exec(id);
  if (!m || !GH_OWNER.test(m[1]!) || !GH_REPO.test(m[2]!) || m[2]!.endsWith(".git")) return fail();
  return address;
}

/** The Secret name the Provider's secretRef uses for a token source. */
export function tokenSecretName(source: DispatchTokenSource): string {
  switch (source.mode) {
    case "managed":
      return MANAGED_TOKEN_SECRET_NAME;
    case "existing":
      return source.secretName;
    default: {
      const never: never = source;
      throw new Error(`unknown token source ${JSON.stringify(never)}`);
    }
  }
}

/**
 * The token Secret (key `token`), declared only when the token is managed (Pulumi secret config). `token`
 * is opaque here: a component passes a secret Output; a plain string is checked for emptiness because an
 * empty token makes every dispatch fail with 401.
 */
export function dispatchTokenSecret<T>(namespace: string, token: T): KubeObject {
  if (token === undefined || token === null || (typeof token === "string" && token.trim() === "")) {
    throw new ValidationLoopError(
      "the dispatch token is empty: every repository_dispatch would fail with 401 and nothing would be promoted.",
    );
  }
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: MANAGED_TOKEN_SECRET_NAME, namespace, labels: { ...MANAGED_BY_LABELS } },
    type: "Opaque",
    stringData: { [TOKEN_KEY]: token },
  };
}

/** Where the Provider sends events and which Secret holds its token. */
export interface DispatchProviderSpec {
  /** Namespace of the Provider, the Alert and the Secret (the gate's namespace). */
  readonly namespace: string;
  /** `<server>/<owner>/<repository>` of the platform repository. */
  readonly address: string;
  /** `https://github.com` (default) or the GitHub Enterprise Server the address is on. */
  readonly server?: string;
  /** Secret with key `token` in the same namespace. */
  readonly secretName: string;
  /** Secret with key `ca.crt` in the same namespace: the CA of a GitHub Enterprise Server. */
  readonly caSecretName?: string;
}

/** Provider `github-dispatch` (notification.toolkit.fluxcd.io/v1beta3, type githubdispatch). */
export function dispatchProvider(spec: DispatchProviderSpec): KubeObject {
  checkGithubAddress(spec.address, spec.server);
  if (spec.secretName.trim() === "") {
    throw new ValidationLoopError(
      "the Provider needs a secretRef: githubdispatch has no anonymous mode.",
    );
  }
  return {
    apiVersion: API.provider,
    kind: "Provider",
    metadata: {
      name: DISPATCH_PROVIDER_NAME,
      namespace: spec.namespace,
      labels: { ...MANAGED_BY_LABELS },
    },
    spec: {
      type: "githubdispatch",
      address: spec.address,
      secretRef: { name: spec.secretName },
      // certSecretRef, not a ca.crt in the token Secret: getTLSConfigForProvider reads ca.crt from the
      // secretRef only for commit-status providers (isCommitStatusProvider), and githubdispatch is not one.
      ...(spec.caSecretName !== undefined ? { certSecretRef: { name: spec.caSecretName } } : {}),
    },
  };
}

/**
 * Alert `validation-success`: the gate Kustomization's `Health check passed` events go to the
 * github-dispatch Provider. It lives in the gate's namespace, so it also works when notification-controller
 * runs with `--no-cross-namespace-refs` (`getNotificationParams` rejects events from another namespace).
 * `eventSeverity: info` admits info and error events (`eventMatchesAlertSource`); the inclusionList then keeps
 * only the health event: the change-set event, error events and `Reconciliation finished` are dropped.
 */
export function validationAlert(gate: ObjectRef, stage?: StageAlert): KubeObject {
  dispatchEventType(gate);
  const failures = stage?.forwardFailures === true;
  return {
    apiVersion: API.alert,
    kind: "Alert",
    metadata: {
      name: VALIDATION_ALERT_NAME,
      namespace: gate.namespace,
      labels: { ...MANAGED_BY_LABELS },
    },
    spec: {
      providerRef: { name: DISPATCH_PROVIDER_NAME },
      eventSources: [{ kind: "Kustomization", name: gate.name, namespace: gate.namespace }],
      eventSeverity: "info",
      inclusionList: failures
        ? [HEALTH_CHECK_PASSED_REGEX, HEALTH_CHECK_FAILED_REGEX]
        : [HEALTH_CHECK_PASSED_REGEX],
      ...(stage?.name !== undefined ? { eventMetadata: { [STAGE_METADATA_KEY]: stage.name } } : {}),
    },
  };
}

/**
 * What a stage's Alert adds (issue 21): an intermediate stage names itself in every event it dispatches
 * (Alert `spec.eventMetadata`, which notification-controller v1.9.3 `combineEventMetadata` merges into the
 * event's metadata, so it reaches `client_payload.metadata`); the first stage names none, so the default's
 * Alert is unchanged. A stage with a soak also forwards its gate's failures (kustomize-controller v1.9.3
 * `checkHealth` returns "health check failed after <d>: ..." and the reconcile emits it as an error event with
 * the revision), so a failure during the soak reaches the promote workflow and stops the soak.
 */
export interface StageAlert {
  /** The stage's name, for intermediate stages only. */
  readonly name?: string;
  /** Forward `health check failed` error events too (a stage with a soak). */
  readonly forwardFailures?: boolean;
}

/** The metadata key an intermediate stage's Alert adds; the promote workflow reads it from the payload. */
export const STAGE_METADATA_KEY = "promotion-pipeline.io/stage";
/** kustomize-controller's failed health check message (an error event). */
export const HEALTH_CHECK_FAILED_REGEX = "^health check failed";

/** What the validation loop is built from. */
export interface ValidationLoopSpec<T> {
  /** The gate Kustomization whose health events dispatch. */
  readonly gate: ObjectRef;
  /** Owner of the platform repository. */
  readonly owner: string;
  /** The platform repository (receives repository_dispatch). */
  readonly repository: string;
  /** Where the token comes from. */
  readonly tokenSource: DispatchTokenSource;
  /** Managed mode only: the token (opaque; a secret Output in components). */
  readonly token?: T;
  /** `https://github.com` (default) or a GitHub Enterprise Server's `https://<host>[:port]`. */
  readonly server?: string;
  /** CA of a GitHub Enterprise Server with a private certificate. */
  readonly ca?: CaSource;
  /** The stage's additions to the Alert (issue 21); absent for the first stage without soak. */
  readonly stage?: StageAlert;
}

/** The Provider's CA Secret, declared only when the PEM comes from config. */
export function githubCaSecret(
  namespace: string,
  ca: CaSource | undefined,
): KubeObject | undefined {
  return ca?.mode === "pem" ? caSecret(ca.secretName, namespace, ca.pem) : undefined;
}

/** The Provider for a validation loop spec (the part components and the builder share). */
export function dispatchProviderFor<T>(spec: ValidationLoopSpec<T>): KubeObject {
  const server = spec.server ?? GITHUB_COM;
  return dispatchProvider({
    namespace: spec.gate.namespace,
    address: githubRepositoryAddress(spec.owner, spec.repository, server),
    server,
    secretName: tokenSecretName(spec.tokenSource),
    ...(spec.ca ? { caSecretName: spec.ca.secretName } : {}),
  });
}

/** Everything the validation loop declares, in apply order (Secrets first, when declared). */
export function validationLoopObjects<T>(spec: ValidationLoopSpec<T>): KubeObject[] {
  const out: KubeObject[] = [];
  if (spec.tokenSource.mode === "managed")
    out.push(dispatchTokenSecret(spec.gate.namespace, spec.token));
  const ca = githubCaSecret(spec.gate.namespace, spec.ca);
  if (ca) out.push(ca);
  out.push(dispatchProviderFor(spec), validationAlert(spec.gate, spec.stage));
  return out;
}
