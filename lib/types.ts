/**
 * The schema of the configuration: every validated type the program and the CLI work with, and the raw
 * values as Pulumi hands them over. Types only (and the namespace and the closed set of roles), so the
 * Kubernetes builders and the workflow models can depend on them without depending on the validators
 * (lib/config produces these values and uses the builders' own checks; lib/k8s consumes them). Everything
 * outside lib/k8s reads them through lib/config's index.
 */

import type { PromotionWindow } from "./stages/window";

/** Config namespace: the project name in Pulumi.yaml. */
export const NS = "promotion-pipeline";

/**
 * dev follows Git; integration takes RCs (the first stage); live takes stable versions (the last stage); stage
 * is a cluster of an intermediate stage (`pipeline.stages`): it follows its stage's channel, X.Y.Z-0.<stage>.N.
 */
export type ClusterRole = "dev" | "integration" | "stage" | "live";
export const CLUSTER_ROLES: readonly ClusterRole[] = ["dev", "integration", "stage", "live"];

/** One stage of the pipeline (`promotion-pipeline:pipeline.stages`), in promotion order. */
export interface StageSpec {
  /** Stage name (DNS label starting with a letter); an intermediate stage's name is its tags' channel. */
  readonly name: string;
  /** The clusters (by name) of this stage; every OCI cluster is in exactly one stage. */
  readonly clusters: readonly string[];
  /** Whether the next stage waits for this stage's gate (false: the next stage is promoted together with this one). */
  readonly gatesNext: boolean;
  /** How long this stage's gate must have been healthy on a revision before it leaves the stage, as written. */
  readonly soak: string;
  /** The same in milliseconds (0: no soak). */
  readonly soakMs: number;
  /** When a promotion INTO this stage may happen; empty: always. */
  readonly windows: readonly PromotionWindow[];
}

/** A Flux object reference. */
export interface ObjectRef {
  readonly name: string;
  readonly namespace: string;
}

/** Who signs: the build workflow signs every RC, the promote workflow every digest it promotes. */
export type SigningRole = "build" | "promote";
export const SIGNING_ROLES: readonly SigningRole[] = ["build", "promote"];

/** A keyless (Fulcio certificate) identity, as OCIRepository `spec.verify.matchOIDCIdentity` matches it. */
export interface KeylessIdentity {
  /** OIDC issuer regular expression (Go syntax), e.g. `^https://token\.actions\.githubusercontent\.com$`. */
  readonly issuer: string;
  /** Certificate subject (the workflow's identity) regular expression (Go syntax). */
  readonly subject: string;
}

/** A cosign key pair of one role: the public half in config, the private half in GitHub Actions secrets. */
export interface SigningKey {
  /** PEM `PUBLIC KEY` (cosign.pub); public, rendered into the verifying cluster's Secret `cosign.pub`. */
  readonly publicKey: string;
  /** GitHub Actions secret holding the encrypted private key (cosign.key). */
  readonly privateKeySecret: string;
  /** GitHub Actions secret holding the private key's password. */
  readonly passwordSecret: string;
}

/**
 * How artifacts are signed and verified (`promotion-pipeline:pipeline.signing`): keyless (the workflows'
 * OIDC identities; the default on github.com), a key pair per role, or none (asked for explicitly; warned).
 */
export type SigningSpec =
  | {
      readonly mode: "keyless";
      readonly build: KeylessIdentity;
      readonly promote: KeylessIdentity;
    }
  | { readonly mode: "key"; readonly build: SigningKey; readonly promote: SigningKey }
  | { readonly mode: "none" };

/** A dev cluster follows a Git branch instead of the OCI artifact. */
export interface GitSourceSpec {
  /** Clone URL of the platform repository. */
  readonly url: string;
  /** Branch the dev cluster follows. */
  readonly branch: string;
  /** Secret with Git credentials, if the repository is private. */
  readonly secretRef?: string;
}

/** One cluster of the pipeline, as declared in the project-level config. */
export interface ClusterSpec {
  /** Cluster name; by default a stack manages the cluster of the same name. */
  readonly name: string;
  /** What the cluster accepts: dev follows Git, integration RCs, live stable versions. */
  readonly role: ClusterRole;
  /** Flux reconcile interval of the source. */
  readonly interval: string;
  /** Flux timeout of source operations. */
  readonly timeout: string;
  /** Semver constraint (OCI clusters only; a stage cluster's comes from its stage). */
  readonly semver: string;
  /** Optional `ref.semverFilter` regular expression (integration and live only). */
  readonly semverFilter?: string;
  /** True while the cluster's source is suspended; its tags are still protected from cleanup. */
  readonly suspended: boolean;
  /** Git source of a dev cluster. */
  readonly git?: GitSourceSpec;
}

/** A rollback pin: replaces the OCIRepository `ref` (semver would win over a tag added beside it). */
export interface PinSpec {
  /** Pinned tag (one of tag or digest). */
  readonly tag?: string;
  /** Pinned digest `sha256:<64 hex>` (one of tag or digest). */
  readonly digest?: string;
  /** Why the cluster is pinned (shown in previews and the allowlist). */
  readonly reason: string;
  /** Day the pin expires, `YYYY-MM-DD`; an expired pin fails preview. */
  readonly expires: string;
}

/** An extra canary-checker check, passed through to the Canary spec under its type key. */
export interface ExtraCheck {
  /** canary-checker check type key, e.g. `http`, `kubernetes`, `dns`, `tcp`. */
  readonly type: string;
  /** The check body; must contain `name`. */
  readonly spec: Readonly<Record<string, unknown>>;
}

/**
 * Where a CA certificate comes from: a PEM in config (public; the program declares the Secret, key
 * `ca.crt`, under the derived `secretName`), or a Secret created out of band with key `ca.crt`.
 */
export type CaSource =
  | { readonly mode: "pem"; readonly secretName: string; readonly pem: string }
  | { readonly mode: "existing"; readonly secretName: string };

/**
 * How the generated workflows log in to the registry: the job's GITHUB_TOKEN as `github.actor` (what
 * ghcr.io and a GitHub Enterprise Server's container registry accept), two GitHub Actions secrets, or no
 * login at all.
 */
export type RegistryCredentials =
  | { readonly mode: "github-token" }
  | { readonly mode: "none" }
  | { readonly mode: "secrets"; readonly usernameSecret: string; readonly passwordSecret: string };

/** The GitHub the integration cluster's Provider sends repository_dispatch to. */
export interface GitHubSpec {
  /** `https://github.com` or a GitHub Enterprise Server's `https://<host>[:port]`, no path. */
  readonly url: string;
  /** CA of a GitHub Enterprise Server with a private certificate (Provider `certSecretRef`). */
  readonly ca?: CaSource;
}

/** The versions the registry starts at and keeps: the pipeline defines them, the pin policy carries them. */
export interface VersionRetention {
  /** First version when the registry has no stable tag yet. */
  readonly startVersion: string;
  /** Registry retention: how many stable versions (and their validated-* tags) stay as rollback targets. */
  readonly keepStable: number;
  /** Floating tags that must never be reaped (e.g. `latest`, `staging`). */
  readonly floatingTags: readonly string[];
}

/** The shared, project-level definition of the pipeline (`promotion-pipeline:pipeline` in Pulumi.yaml). */
export interface PipelineSpec extends VersionRetention {
  /** Registry host, e.g. `ghcr.io`. */
  readonly registry: string;
  /** Owner (GitHub organisation or user) of the platform repository and the registry namespace. */
  readonly owner: string;
  /** Platform repository name (holds the manifests and receives the workflow files). */
  readonly repository: string;
  /** Artifact name below `<registry>/<owner>/<repository>/`. */
  readonly artifact: string;
  /** Full `oci://` URL of the artifact (derived from the four above unless `url` is set). */
  readonly url: string;
  /** Name and namespace of the OCIRepository every OCI cluster declares. */
  readonly source: ObjectRef;
  /** The Kustomization that applies the platform and whose health gates promotion. */
  readonly gate: ObjectRef;
  /** Secret (docker-registry type) for a private registry, in the source's namespace. */
  readonly registrySecret?: string;
  /** CA of a registry with a private certificate (OCIRepository `certSecretRef`), in the source's namespace. */
  readonly registryCA?: CaSource;
  /** Plain-HTTP registry (OCIRepository `insecure: true`); only when asked for explicitly. */
  readonly registryInsecure: boolean;
  /**
   * How the generated workflows log in to the registry; `github-token` by default on ghcr.io, undefined when
   * not configured for another registry (validateConfig refuses that; only the pins CLI, which generates no
   * workflow, reads a pipeline without it).
   */
  readonly registryCredentials?: RegistryCredentials;
  /** The GitHub (github.com or an Enterprise Server) that receives repository_dispatch. */
  readonly github: GitHubSpec;
  /** Who signs what (the workflows) and what each cluster verifies (OCIRepository `spec.verify`). */
  readonly signing: SigningSpec;
  /** Clusters by name, sorted by name. */
  readonly clusters: readonly ClusterSpec[];
  /** The stages in promotion order (default: integration -> live, from the clusters' roles). */
  readonly stages: readonly StageSpec[];
  /** The single stack that writes files to the platform repository (workflows, allowlist). */
  readonly ownerStack: string;
  /** Paths whose change on the main branch triggers a build. */
  readonly buildPaths: readonly string[];
  /** Branch builds follow. */
  readonly branch: string;
  /** Extra canary checks. */
  readonly extraChecks: readonly ExtraCheck[];
  /** The pipeline-stalled watch (a scheduled workflow of the owner stack). */
  readonly watch: WatchSpec;
  /**
   * CRD files (repository paths) the artifact check also knows, for custom resources whose CRD the clusters
   * get from elsewhere (`promotion validate-artifact --crds`).
   */
  readonly artifactCrds: readonly string[];
  /** The registry integrity probe (a scheduled workflow of the owner stack). */
  readonly integrity: IntegritySpec;
}

/** Schedule of the registry integrity probe (`promotion-pipeline:pipeline.integrity`). */
export interface IntegritySpec {
  /** Cron (UTC) of the registry-integrity workflow. */
  readonly schedule: string;
}

/** Thresholds and schedule of the pipeline-stalled watch (`promotion-pipeline:pipeline.watch`). */
export interface WatchSpec {
  /** Cron (UTC) of the watch workflow. */
  readonly schedule: string;
  /** Hours the newest RC may wait for promotion before the watch raises the alarm. */
  readonly rcWaitHours: number;
  /** A pin expiring within this many days raises the alarm. */
  readonly pinExpiryDays: number;
}

/** Where this stack's Kubernetes objects go. */
export type KubernetesTarget =
  | { readonly mode: "render"; readonly directory: string }
  | { readonly mode: "cluster"; readonly context?: string; readonly kubeconfig?: string };

/** Where this stack's repository files (workflows, allowlist) go, if it is the owner stack. */
export type FilesTarget =
  | { readonly mode: "directory"; readonly directory: string }
  | { readonly mode: "repository"; readonly branch: string };

/** How the dispatch token reaches the Provider. */
export type DispatchTokenSource =
  { readonly mode: "managed" } | { readonly mode: "existing"; readonly secretName: string };

/** Everything the program needs for one stack, validated. */
export interface StackConfig {
  readonly stack: string;
  readonly pipeline: PipelineSpec;
  /** The cluster this stack manages. */
  readonly cluster: ClusterSpec;
  readonly kubernetes: KubernetesTarget;
  readonly files: FilesTarget;
  /** True when this stack writes the repository files. */
  readonly ownsFiles: boolean;
  readonly pin?: PinSpec;
  /** Integration only: where the Provider's token comes from. */
  readonly dispatchToken?: DispatchTokenSource;
  /** Delivery of the registry pin policy (`promotion-pipeline:pins`). */
  readonly pins: PinsConfig;
  /** Every cluster of the pipeline with its pin from any stack file (for the pin policy). */
  readonly pinClusters: readonly (ClusterSpec & { readonly pin?: PinSpec })[];
}

/** Raw values as Pulumi read them; secrets are represented only by whether they are set and non-empty. */
export interface RawConfig {
  readonly stack: string;
  readonly pipeline: unknown;
  readonly cluster?: unknown;
  readonly kubernetes?: unknown;
  readonly files?: unknown;
  readonly pin?: unknown;
  readonly dispatchTokenSecret?: unknown;
  /** undefined: not set; "": set but empty; otherwise set. Only presence is inspected. */
  readonly dispatchToken?: string;
  readonly dispatchTokenIsSecret?: boolean;
  readonly renderSecrets?: unknown;
  /** `promotion-pipeline:pins` (project-level). */
  readonly pins?: unknown;
  /** Text of every `Pulumi.<stack>.yaml` of the project, for the pins of all clusters. */
  readonly stackFiles?: readonly { readonly stack: string; readonly text: string }[];
}

// The delivery of the pin policy (`promotion-pipeline:pins`, parsed in pins.ts).

/** A retention rule of the cleaner, checked for protected digests it would delete through another tag. */
export type RetentionRule =
  /** Deletes every tag matching `pattern`. */
  | { readonly kind: "delete-matching"; readonly name: string; readonly pattern: string }
  /** Of the tags matching `pattern` (all when unset), keeps the `count` newest and deletes the rest. */
  | {
      readonly kind: "keep-latest";
      readonly name: string;
      readonly count: number;
      readonly pattern?: string;
    };

/**
 * A host the cleaner runs on: the pin policy and the `promotion` CLI are copied there over SSH, then the
 * reload command runs; it regenerates the lines from the live registry and makes the cleaner re-read them.
 */
export interface PinsHostSpec {
  /** Host name or address. */
  readonly address: string;
  readonly port: number;
  readonly user: string;
  /** Absolute directory on the host for `pins-policy.yaml` and `promotion.mjs`. */
  readonly directory: string;
  /** Command that regenerates the lines and reloads the cleaner (see docs/pins.md for an example). */
  readonly reloadCommand?: string;
}

/**
 * The generated GHCR retention workflow (snok/container-retention-policy v3): when it runs and what it
 * deletes among the versions the allowlist does not protect.
 */
export interface GhcrRetentionSpec {
  /** Cron schedule (UTC) of the cleanup. */
  readonly schedule: string;
  /** Only versions older than this are deleted (humantime, e.g. `2w`, `3d 12h`). */
  readonly cutOff: string;
  /** Of the unprotected tagged versions, how many of the newest to keep anyway. */
  readonly keepNMostRecent: number;
  /** GHCR account: the organisation name, or `user` for a personal account; default the owner. */
  readonly account?: string;
  /** Repository secret with a token that may delete the package's versions; default GITHUB_TOKEN. */
  readonly tokenSecret?: string;
  /** Only print what would be deleted. */
  readonly dryRun: boolean;
}

/** Where the pin policy goes, and how the expanded lines are named. */
export interface PinsConfig {
  /** `type` of the `type/name==version` lines. */
  readonly type: string;
  /** `name` of the lines; default `<repository>/<artifact>` (the package name below the owner). */
  readonly name?: string;
  /** Repository path of the pin policy (owner stack). */
  readonly policyPath: string;
  /**
   * The GHCR retention workflow: a spec, `false` for none, or `auto` (the default spec when the
   * registry is ghcr.io, none otherwise).
   */
  readonly ghcr: GhcrRetentionSpec | "auto" | false;
  /** Copy the policy and the CLI to a cleaner's host, if set. */
  readonly host?: PinsHostSpec;
  /** The cleaner's rules, checked for deletions of protected digests. */
  readonly retention: readonly RetentionRule[];
}
