import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { declareObject } from "./kubeObject";
import { gateKustomization, type GateSpec } from "../lib/k8s/gate";

/** Inputs of the gate Kustomization: exactly what the builder takes (lib/k8s/gate.ts `GateSpec`). */
export type PlatformGateArgs = GateSpec;

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
