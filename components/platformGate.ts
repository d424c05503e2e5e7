import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { declareObject } from "./kubeObject";
import type { ObjectRef } from "../lib/config";
import { gateKustomization, type GateSourceKind } from "../lib/k8s/gate";

/** Inputs of the gate Kustomization. */
export interface PlatformGateArgs {
  /** Name and namespace of the gate Kustomization (`pipeline.gate`). */
  readonly gate: ObjectRef;
  /** The cluster source it applies (ClusterSource's kind and `pipeline.source`). */
  readonly source: { readonly kind: GateSourceKind } & ObjectRef;
  /** Path inside the artifact (default `./`). */
  readonly path?: string;
  /** Reconcile interval (default `10m`). */
  readonly interval?: string;
  /** Retry interval after a failed health check (default `1m`). */
  readonly retryInterval?: string;
  /** Health check timeout (default `5m`, at least `2m`). */
  readonly timeout?: string;
  /** How long after the apply a canary run must report to count (default `30s`). */
  readonly canaryFreshness?: string;
}

/**
 * Kustomization `platform`: applies the cluster source with `wait: true` and a Canary health expression,
 * so its `Health check passed` event means "this revision applied, healthy, canary green after the apply".
 */
export class PlatformGate extends pulumi.ComponentResource {
  /** `namespace/name` of the Kustomization. */
  public readonly objectRef: string;
  public readonly kustomization: k8s.apiextensions.CustomResource;

  constructor(name: string, args: PlatformGateArgs, opts?: pulumi.ComponentResourceOptions) {
    super("promotion:flux:PlatformGate", name, {}, opts);
    const obj = gateKustomization(args);
    this.kustomization = declareObject(`${name}-kustomization`, obj, { parent: this });
    this.objectRef = `${args.gate.namespace}/${args.gate.name}`;
    this.registerOutputs({ objectRef: this.objectRef });
  }
}
