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
