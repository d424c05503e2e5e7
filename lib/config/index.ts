/**
 * The one place configuration is validated. Pure: it takes the raw values Pulumi read (see `read.ts`, the
 * only module that talks to `pulumi.Config`; it is not exported here, so the CLI bundle never loads Pulumi)
 * and returns typed, checked values or throws a ConfigError that names every bad key, its value and the
 * fix. Nothing is registered before this returns.
 *
 *   ../types.ts  the schema: every validated type, the raw values, the namespace (outside this folder,
 *                so the builders in lib/k8s read it without depending on the validators)
 *   reader.ts    formats and the Reader that records problems instead of throwing
 *   stack.ts     one stack whole (validateConfig) and the stack-level keys
 *   pipeline.ts  promotion-pipeline:pipeline, with clusters.ts, registry.ts, github.ts and ca.ts
 *   pin.ts       promotion-pipeline:pin, a stack's rollback pin
 *   pins.ts      promotion-pipeline:pins, and every stack file's pin
 */
export { ConfigError } from "../errors";
export { checkConstraint, defaultConstraint } from "./clusters";
export { DEFAULT_INTEGRITY, DEFAULT_WATCH, parsePipeline, WATCH_LABEL } from "./pipeline";
export { parseDay, parsePin } from "./pin";
export {
  attachPins,
  DEFAULT_GHCR,
  DEFAULT_PINS,
  parsePinsConfig,
  pinsFromStackFiles,
  pinsTypeName,
  readPinsFromStackFiles,
  readStackFiles,
  type StackPin,
} from "./pins";
export { DIGEST_PATTERN, TAG_PATTERN } from "./reader";
export { GHCR, registryHostOf, splitOciUrl } from "./registry";
export { rawConfigFrom, validateConfig } from "./stack";
export {
  CLUSTER_ROLES,
  NS,
  type CaSource,
  type ClusterRole,
  type ClusterSpec,
  type DispatchTokenSource,
  type ExtraCheck,
  type FilesTarget,
  type GhcrRetentionSpec,
  type GitHubSpec,
  type GitSourceSpec,
  type KubernetesTarget,
  type ObjectRef,
  type PinSpec,
  type PinsConfig,
  type PinsHostSpec,
  type PipelineSpec,
  type RawConfig,
  type RegistryCredentials,
  type RetentionRule,
  type StackConfig,
  type KeylessIdentity,
  type SigningKey,
  type SigningRole,
  type SigningSpec,
  SIGNING_ROLES,
  type IntegritySpec,
  type WatchSpec,
  type StageSpec,
  type VersionRetention,
} from "../types";
export { defaultStages, parseStages } from "./stages";
