/**
 * The cluster's Flux source: an OCIRepository for integration and live (the semver constraint decides
 * what the cluster accepts), a GitRepository for dev. Pure: returns plain objects.
 */
import type { ClusterSpec, PinSpec, PipelineSpec, SigningRole } from "../types";
import { caSecret } from "./ca";
import { API, MANAGED_BY_LABELS, type KubeObject } from "./types";

/** Annotations that make a pin visible on the object itself (`kubectl describe` shows why and until when). */
export const PIN_ANNOTATIONS = {
  reason: "promotion-pipeline.io/pin-reason",
  expires: "promotion-pipeline.io/pin-expires",
} as const;

/**
 * The OCIRepository `ref`. A pin REPLACES the semver ref: source-controller gives `digest` precedence over
 * `semver` over `tag` (`ocirepository_controller.go`, `getArtifactRef`: `if ref.Digest != ""` ... `if
 * ref.SemVer != ""` ... `if ref.Tag != ""`), so a tag added next to semver, as the reference homelab's
 * rollback patch did, is ignored.
 */
export function sourceRef(cluster: ClusterSpec, pin?: PinSpec): Record<string, string> {
  if (pin?.digest) return { digest: pin.digest };
  if (pin?.tag) return { tag: pin.tag };
  return {
    semver: cluster.semver,
    ...(cluster.semverFilter !== undefined ? { semverFilter: cluster.semverFilter } : {}),
  };
}

/** Which signature a cluster verifies: integration the build workflow's (RCs), live the promote workflow's. */
export function verifiedRole(cluster: ClusterSpec): SigningRole | undefined {
  switch (cluster.role) {
    case "dev":
      return undefined;
    case "integration":
      return "build";
    // An intermediate stage's tags, like live's, are made by the promote workflow only.
    case "stage":
    case "live":
      return "promote";
    default: {
      const never: never = cluster.role;
      throw new Error(`unknown role ${String(never)}`);
    }
  }
}

/**
 * The Secret key-based verification reads: `<source name>-cosign` beside the source. source-controller
 * v1.9.3 (internal/controller/ocirepository_controller.go, `verifySignature`, line 714:
 * `if strings.HasSuffix(k, ".pub")`) tries EVERY `*.pub` key of the Secret and accepts a signature that any
 * of them verifies, so the Secret holds exactly one: the verified role's `cosign.pub`. With a public key
 * it verifies offline (internal/oci/cosign/cosign.go: `checkOpts.Offline = true`, `IgnoreTlog = true`), which
 * is why the workflows sign with `--tlog-upload=false`.
 */
export const COSIGN_KEY = "cosign.pub";
export const cosignSecretName = (pipeline: PipelineSpec): string =>
  `${pipeline.source.name}-cosign`;

/** OCIRepository `spec.verify` for the cluster's role, or undefined (mode none, dev). */
export function sourceVerify(
  pipeline: PipelineSpec,
  cluster: ClusterSpec,
): Record<string, unknown> | undefined {
  const role = verifiedRole(cluster);
  if (role === undefined) return undefined;
  const s = pipeline.signing;
  switch (s.mode) {
    case "none":
      return undefined;
    case "keyless":
      return {
        provider: "cosign",
        matchOIDCIdentity: [{ issuer: s[role].issuer, subject: s[role].subject }],
      };
    case "key":
      return { provider: "cosign", secretRef: { name: cosignSecretName(pipeline) } };
    default: {
      const never: never = s;
      throw new Error(`unknown signing mode ${JSON.stringify(never)}`);
    }
  }
}

/** The public key Secret of key-based verification (`cosign.pub` of the verified role), or undefined. */
export function cosignKeySecret(
  pipeline: PipelineSpec,
  cluster: ClusterSpec,
): KubeObject | undefined {
  const role = verifiedRole(cluster);
  if (role === undefined || pipeline.signing.mode !== "key") return undefined;
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: cosignSecretName(pipeline),
      namespace: pipeline.source.namespace,
      labels: { ...MANAGED_BY_LABELS, "promotion-pipeline.io/signing-role": role },
    },
    type: "Opaque",
    stringData: { [COSIGN_KEY]: pipeline.signing[role].publicKey },
  };
}

/** Why preview should warn about this cluster's verification: `signing: none` on an OCI cluster. */
export function signingWarning(pipeline: PipelineSpec, cluster: ClusterSpec): string | undefined {
  if (pipeline.signing.mode !== "none" || verifiedRole(cluster) === undefined) return undefined;
  return `promotion-pipeline:pipeline.signing = {mode: none}: ${cluster.name}'s OCIRepository verifies no signature, so ${cluster.role === "stage" ? "any X.Y.Z-0.<stage>.N tag pushed to the registry goes to this stage without having passed the stage before it" : cluster.role === "live" ? "any stable X.Y.Z tag pushed to the registry (by hand, by a broken build, by any token with write access) goes to live without having passed integration" : "any RC tag pushed to the registry is applied on integration, whoever pushed it"}. Remove signing (keyless on github.com) or use mode: key (README, Trust model).`;
}

export function ociRepository(
  pipeline: PipelineSpec,
  cluster: ClusterSpec,
  pin?: PinSpec,
): KubeObject {
  if (cluster.role === "dev") {
    throw new Error(
      `cluster ${cluster.name} is a dev cluster: it follows Git, not the OCI artifact`,
    );
  }
  const verify = sourceVerify(pipeline, cluster);
  const annotations: Record<string, string> = pin
    ? { [PIN_ANNOTATIONS.reason]: pin.reason, [PIN_ANNOTATIONS.expires]: pin.expires }
    : {};
  return {
    apiVersion: API.ociRepository,
    kind: "OCIRepository",
    metadata: {
      name: pipeline.source.name,
      namespace: pipeline.source.namespace,
      labels: { ...MANAGED_BY_LABELS, "promotion-pipeline.io/cluster-role": cluster.role },
      ...(pin ? { annotations } : {}),
    },
    spec: {
      interval: cluster.interval,
      timeout: cluster.timeout,
      url: pipeline.url,
      ref: sourceRef(cluster, pin),
      ...(pipeline.registrySecret ? { secretRef: { name: pipeline.registrySecret } } : {}),
      // source-controller's getTLSConfig reads ca.crt from this Secret in the OCIRepository's namespace and
      // adds it to the system roots (WithSystemCertPool).
      ...(pipeline.registryCA ? { certSecretRef: { name: pipeline.registryCA.secretName } } : {}),
      // Plain HTTP only when asked for: parseRepository then adds name.Insecure (http allowed) and, without
      // certSecretRef, getTLSConfig turns off certificate verification for https.
      ...(pipeline.registryInsecure ? { insecure: true } : {}),
      ...(verify ? { verify } : {}),
      ...(cluster.suspended ? { suspend: true } : {}),
    },
  };
}

/**
 * The registry CA Secret (key `ca.crt`) next to the OCIRepository, when the PEM comes from config; none
 * for a Secret created out of band or for a dev cluster (its GitRepository does not use the registry).
 */
export function registryCaSecret(
  pipeline: PipelineSpec,
  cluster: ClusterSpec,
): KubeObject | undefined {
  if (cluster.role === "dev" || pipeline.registryCA?.mode !== "pem") return undefined;
  return caSecret(
    pipeline.registryCA.secretName,
    pipeline.source.namespace,
    pipeline.registryCA.pem,
  );
}

export function gitRepository(pipeline: PipelineSpec, cluster: ClusterSpec): KubeObject {
  if (cluster.role !== "dev" || !cluster.git) {
    throw new Error(
      `cluster ${cluster.name} is a ${cluster.role} cluster: it follows the OCI artifact, not Git`,
    );
  }
  return {
    apiVersion: API.gitRepository,
    kind: "GitRepository",
    metadata: {
      name: pipeline.source.name,
      namespace: pipeline.source.namespace,
      labels: { ...MANAGED_BY_LABELS, "promotion-pipeline.io/cluster-role": cluster.role },
    },
    spec: {
      interval: cluster.interval,
      timeout: cluster.timeout,
      url: cluster.git.url,
      ref: { branch: cluster.git.branch },
      ...(cluster.git.secretRef ? { secretRef: { name: cluster.git.secretRef } } : {}),
      ...(cluster.suspended ? { suspend: true } : {}),
    },
  };
}

/** The source object for a cluster, whichever its role. */
export function clusterSource(
  pipeline: PipelineSpec,
  cluster: ClusterSpec,
  pin?: PinSpec,
): KubeObject {
  switch (cluster.role) {
    case "dev":
      return gitRepository(pipeline, cluster);
    case "integration":
    case "stage":
    case "live":
      return ociRepository(pipeline, cluster, pin);
    default: {
      const never: never = cluster.role;
      throw new Error(`unknown role ${String(never)}`);
    }
  }
}
