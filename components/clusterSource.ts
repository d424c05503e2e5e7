import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { declareObject, declarePublicSecret } from "./kubeObject";
import type { ClusterSpec, PinSpec, PipelineSpec } from "../lib/config";
import { clusterSource, cosignKeySecret, registryCaSecret } from "../lib/k8s/source";
import type { GateSourceKind } from "../lib/k8s/gate";

/** Inputs of a cluster's Flux source. */
export interface ClusterSourceArgs {
  /** The validated, shared pipeline definition (URL, source name, registry secret, verification). */
  readonly pipeline: PipelineSpec;
  /** The cluster this source belongs to; its role decides OCIRepository or GitRepository. */
  readonly cluster: ClusterSpec;
  /** A rollback pin that replaces the semver ref (integration and live only). */
  readonly pin?: PinSpec;
}

/**
 * The cluster's Flux source: OCIRepository `flux-system` for integration (`>= 0.0.0-0`) and live
 * (`>= 0.0.0`), GitRepository for dev. Pulumi owns the object: if Flux was bootstrapped by a flux-operator
 * FluxInstance whose `sync` also creates it, name ours differently (`pipeline.source`) or drop `sync`.
 * With `pipeline.registryCA.pem` it also declares the CA Secret `<source>-registry-ca` beside it, and with
 * key-based signing the public key Secret `<source>-cosign` its `spec.verify.secretRef` names.
 */
export class ClusterSource extends pulumi.ComponentResource {
  /** Kind of the declared source object. */
  public readonly kind: GateSourceKind;
  /** `namespace/name` of the source object. */
  public readonly objectRef: string;
  /** The effective ref: the semver constraint, or the pin that replaced it. */
  public readonly ref: Readonly<Record<string, string>>;
  /** The declared object. */
  public readonly resource: k8s.apiextensions.CustomResource;
  /** The registry CA Secret (`ca.crt`), when the CA's PEM is in config. */
  public readonly caSecret?: k8s.core.v1.Secret;
  /** The verified role's public key Secret (`cosign.pub`), with key-based signing. */
  public readonly cosignSecret?: k8s.core.v1.Secret;

  constructor(name: string, args: ClusterSourceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("promotion:flux:ClusterSource", name, {}, opts);
    const obj = clusterSource(args.pipeline, args.cluster, args.pin);
    this.kind = obj.kind as GateSourceKind;
    this.objectRef = `${obj.metadata.namespace ?? ""}/${obj.metadata.name}`;
    this.ref = ((obj.spec ?? {}) as { ref: Record<string, string> }).ref;
    const ca = registryCaSecret(args.pipeline, args.cluster);
    if (ca) this.caSecret = declarePublicSecret(`${name}-registry-ca`, ca, { parent: this });
    const key = cosignKeySecret(args.pipeline, args.cluster);
    if (key) this.cosignSecret = declarePublicSecret(`${name}-cosign`, key, { parent: this });
    const secrets = [this.caSecret, this.cosignSecret].filter(
      (x): x is k8s.core.v1.Secret => x !== undefined,
    );
    // The source reads its certSecretRef and verify.secretRef on every reconcile; declared after the Secrets
    // so that its first reconcile already finds them.
    this.resource = declareObject(`${name}-source`, obj, {
      parent: this,
      ...(secrets.length > 0 ? { dependsOn: secrets } : {}),
    });
    this.registerOutputs({ kind: this.kind, objectRef: this.objectRef, ref: this.ref });
  }
}
