/**
 * promotion-pipeline: one stack per cluster. Reads and validates the configuration first (nothing is
 * registered when it is invalid), then declares the cluster's Flux source and, depending on the cluster's
 * role and whether this stack owns the repository files, the validation loop, the canary and the files.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { loadConfig } from "./lib/readConfig";
import { ClusterSource } from "./components/clusterSource";

const { config } = loadConfig();
const { pipeline, cluster, stack } = config;

const kubernetes = new k8s.Provider(`${stack}-kubernetes`, (() => {
  const t = config.kubernetes;
  switch (t.mode) {
    case "render":
      return { renderYamlToDirectory: t.directory };
    case "cluster":
      return { ...(t.context ? { context: t.context } : {}), ...(t.kubeconfig ? { kubeconfig: t.kubeconfig } : {}) };
    default: {
      const never: never = t;
      throw new Error(`unknown kubernetes target ${JSON.stringify(never)}`);
    }
  }
})());

const source = new ClusterSource(
  `${cluster.name}`,
  { pipeline, cluster, ...(config.pin ? { pin: config.pin } : {}) },
  { providers: [kubernetes] },
);

export const clusterName = cluster.name;
export const role = cluster.role;
export const sourceKind = source.kind;
export const sourceRef = source.ref;
export const artifactUrl = cluster.role === "dev" ? cluster.git?.url : pipeline.url;
export const pin = config.pin ?? null;
void pulumi;
