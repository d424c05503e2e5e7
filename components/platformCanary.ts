import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { declareObject } from "./kubeObject";
import type { ExtraCheck, ObjectRef } from "../lib/config";
import { canaryAlertRules, canaryManifest, platformCanary } from "../lib/k8s/canary";

/**
 * Where the Canary object comes from. `artifact`: it is a file of the platform repository (`manifest`), so the
 * gate applies it and its health is part of the gate's `wait` (the gating setup; Pulumi must not also declare
 * it, or Pulumi and kustomize-controller would fight over it). `cluster`: Pulumi declares it directly; it then
 * monitors but does not gate.
 */
export type CanaryDelivery = "artifact" | "cluster";

/** Inputs of the platform canary and its alerts. */
export interface PlatformCanaryArgs {
  /** Who applies the Canary object; see CanaryDelivery. */
  readonly delivery: CanaryDelivery;
  /** Extra checks from config (`pipeline.extraChecks`). */
  readonly extraChecks: readonly ExtraCheck[];
  /** Canary name and namespace (default `monitoring/platform-validation`). */
  readonly canary?: ObjectRef;
  /** Namespace of the Flux controllers (default `flux-system`). */
  readonly fluxNamespace?: string;
  /** Labels the Prometheus `ruleSelector` requires on the PrometheusRule. */
  readonly ruleLabels?: Readonly<Record<string, string>>;
}

/** Canary `platform-validation` (declared here or delivered in the artifact) and PrometheusRule `canary-checker-alerts`. */
export class PlatformCanary extends pulumi.ComponentResource {
  /** `namespace/name` of the Canary. */
  public readonly canaryRef: string;
  /** The Canary as a generated file for the platform repository (delivery `artifact`). */
  public readonly manifest: string;
  /** The declared Canary (delivery `cluster` only). */
  public readonly canaryResource?: k8s.apiextensions.CustomResource;
  public readonly rule: k8s.apiextensions.CustomResource;

  constructor(name: string, args: PlatformCanaryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("promotion:canary:PlatformCanary", name, {}, opts);
    const canary = platformCanary({
      extraChecks: args.extraChecks,
      ...(args.canary ? { canary: args.canary } : {}),
      ...(args.fluxNamespace ? { fluxNamespace: args.fluxNamespace } : {}),
    });
    this.canaryRef = `${canary.metadata.namespace ?? ""}/${canary.metadata.name}`;
    this.manifest = canaryManifest(canary);
    switch (args.delivery) {
      case "artifact":
        break;
      case "cluster":
        this.canaryResource = declareObject(`${name}-canary`, canary, { parent: this });
        break;
      default: {
        const never: never = args.delivery;
        throw new Error(`unknown canary delivery ${String(never)}`);
      }
    }
    const rule = canaryAlertRules({
      ...(args.canary ? { canary: args.canary, namespace: args.canary.namespace } : {}),
      ...(args.ruleLabels ? { ruleLabels: args.ruleLabels } : {}),
    });
    this.rule = declareObject(`${name}-rules`, rule, { parent: this });
    this.registerOutputs({ canaryRef: this.canaryRef, delivery: args.delivery });
  }
}
