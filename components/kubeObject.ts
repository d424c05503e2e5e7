import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { KubeObject } from "../lib/k8s/types";

/** Declares a plain object built by a pure builder (lib/k8s) as a custom resource, unchanged. */
export function declareObject(
  name: string,
  obj: KubeObject,
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource(
    name,
    { apiVersion: obj.apiVersion, kind: obj.kind, metadata: obj.metadata, spec: obj.spec },
    opts,
  );
}

/**
 * Declares a Secret built by a pure builder (lib/k8s) with public content only, e.g. a CA certificate
 * (`stringData` passed through unchanged). Secrets holding credentials are declared by their component
 * with secret Outputs instead.
 */
export function declarePublicSecret(
  name: string,
  obj: KubeObject,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
  if (obj.kind !== "Secret") throw new Error(`${name}: ${obj.kind} is not a Secret`);
  return new k8s.core.v1.Secret(
    name,
    {
      metadata: obj.metadata,
      type: obj.type as string,
      stringData: obj.stringData as Record<string, string>,
    },
    opts,
  );
}
