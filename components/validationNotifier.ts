import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { declareObject, declarePublicSecret } from "./kubeObject";
import type { CaSource, ClusterRole, DispatchTokenSource, ObjectRef } from "../lib/config";
import {
  type StageAlert,
  dispatchEventType,
  dispatchProviderFor,
  dispatchTokenSecret,
  githubCaSecret,
  tokenSecretName,
  validationAlert,
} from "../lib/k8s/validation";

/** Inputs of the validation loop's notification objects. */
export interface ValidationNotifierArgs {
  /** Role of the cluster this stack manages; anything but `integration` or `stage` is refused. */
  readonly clusterRole: ClusterRole;
  /** The stage's additions to the Alert (issue 21: an intermediate stage's name, a soaking stage's failures). */
  readonly stage?: StageAlert;
  /** The gate Kustomization whose `Health check passed` events dispatch (`pipeline.gate`). */
  readonly gate: ObjectRef;
  /** Owner of the platform repository (`pipeline.owner`). */
  readonly owner: string;
  /** The platform repository that receives repository_dispatch (`pipeline.repository`). */
  readonly repository: string;
  /** Where the Provider's token comes from (`StackConfig.dispatchToken`). */
  readonly tokenSource: DispatchTokenSource;
  /** Managed mode only: the token, as a Pulumi secret (`loadConfig().dispatchToken`). */
  readonly token?: pulumi.Output<string>;
  /** `https://github.com` (default) or a GitHub Enterprise Server's address (`pipeline.github.url`). */
  readonly server?: string;
  /** CA of a GitHub Enterprise Server with a private certificate (`pipeline.github.ca`). */
  readonly ca?: CaSource;
}

/** Placeholder handed to the pure builder so it never sees the token; replaced by the secret Output below. */
const TOKEN_PLACEHOLDER = "<dispatch-token>";

/**
 * Secret (managed token only), Provider `github-dispatch` and Alert `validation-success` on the integration
 * cluster: the gate's `Health check passed` event becomes a repository_dispatch with event type
 * `Kustomization/<gate>.<namespace>` (see docs/validation-gate.md). The token is never an output.
 */
export class ValidationNotifier extends pulumi.ComponentResource {
  /** repository_dispatch event type; the promote workflow's `repository_dispatch.types` must equal it. */
  public readonly eventType: string;
  /** `namespace/name` of the Provider. */
  public readonly providerRef: string;
  /** `namespace/name` of the Alert. */
  public readonly alertRef: string;
  /** Name of the Secret the Provider reads (managed or existing). */
  public readonly tokenSecretName: string;
  /** The managed token Secret, when the stack manages it. */
  public readonly tokenSecret?: k8s.core.v1.Secret;
  /** The GitHub Enterprise Server CA Secret, when its PEM is in config. */
  public readonly caSecret?: k8s.core.v1.Secret;
  public readonly provider: k8s.apiextensions.CustomResource;
  public readonly alert: k8s.apiextensions.CustomResource;

  constructor(name: string, args: ValidationNotifierArgs, opts?: pulumi.ComponentResourceOptions) {
    super("promotion:flux:ValidationNotifier", name, {}, opts);
    if (args.clusterRole !== "integration" && args.clusterRole !== "stage") {
      throw new Error(
        `ValidationNotifier ${name}: refusing to declare the validation dispatch on a ${args.clusterRole} cluster. ` +
          `Only the integration cluster validates release candidates; a dispatch from ${args.clusterRole} would ` +
          `promote artifacts integration never validated. Declare it on the integration stack only.`,
      );
    }
    const namespace = args.gate.namespace;
    this.eventType = dispatchEventType(args.gate);
    this.tokenSecretName = tokenSecretName(args.tokenSource);

    if (args.tokenSource.mode === "managed") {
      if (!args.token) {
        throw new Error(
          `ValidationNotifier ${name}: the token source is "managed" but no token was given; pass the ` +
            "dispatchToken secret Output from loadConfig().",
        );
      }
      const shape = dispatchTokenSecret(namespace, TOKEN_PLACEHOLDER);
      const token = pulumi.secret(args.token).apply((t) => {
        if (t.trim() === "") {
          throw new Error(
            "the dispatch token is empty: every repository_dispatch would fail with 401 and nothing would be promoted.",
          );
        }
        return t;
      });
      this.tokenSecret = new k8s.core.v1.Secret(
        `${name}-token`,
        {
          metadata: shape.metadata,
          type: shape.type as string,
          stringData: { token: pulumi.secret(token) },
        },
        { parent: this, additionalSecretOutputs: ["data", "stringData"] },
      );
    }

    const caObj = githubCaSecret(namespace, args.ca);
    if (caObj) this.caSecret = declarePublicSecret(`${name}-github-ca`, caObj, { parent: this });

    const providerObj = dispatchProviderFor({
      gate: args.gate,
      owner: args.owner,
      repository: args.repository,
      tokenSource: args.tokenSource,
      ...(args.server !== undefined ? { server: args.server } : {}),
      ...(args.ca ? { ca: args.ca } : {}),
    });
    // notification-controller reads both Secrets when an event arrives (createNotifier); declaring them
    // first means the first health event after `pulumi up` finds them.
    const secrets = [this.tokenSecret, this.caSecret].filter((x): x is k8s.core.v1.Secret => !!x);
    this.provider = declareObject(`${name}-provider`, providerObj, {
      parent: this,
      ...(secrets.length > 0 ? { dependsOn: secrets } : {}),
    });
    const alertObj = validationAlert(args.gate, args.stage);
    this.alert = declareObject(`${name}-alert`, alertObj, {
      parent: this,
      dependsOn: [this.provider],
    });
    this.providerRef = `${namespace}/${providerObj.metadata.name}`;
    this.alertRef = `${namespace}/${alertObj.metadata.name}`;
    this.registerOutputs({
      eventType: this.eventType,
      providerRef: this.providerRef,
      alertRef: this.alertRef,
      tokenSecretName: this.tokenSecretName,
    });
  }
}
