/**
 * A small Kubernetes REST client for the real-controller suite: bearer token, the cluster's CA, JSON. It
 * does what the suite needs and nothing more (no kubectl is installed here): server-side apply, get, list,
 * merge patches (also of the status subresource, under a named field manager), delete, and waits.
 */
import { request } from "node:https";

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    generation?: number;
    resourceVersion?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    managedFields?: { manager: string; operation: string; time?: string; subresource?: string }[];
    [k: string]: unknown;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
}

/** Kinds the suite touches: plural resource name and whether the kind is namespaced. */
const RESOURCES: Record<string, { plural: string; namespaced: boolean }> = {
  Namespace: { plural: "namespaces", namespaced: false },
  Secret: { plural: "secrets", namespaced: true },
  ConfigMap: { plural: "configmaps", namespaced: true },
  Event: { plural: "events", namespaced: true },
  Deployment: { plural: "deployments", namespaced: true },
  ReplicaSet: { plural: "replicasets", namespaced: true },
  Pod: { plural: "pods", namespaced: true },
  Node: { plural: "nodes", namespaced: false },
  ServiceAccount: { plural: "serviceaccounts", namespaced: true },
  Service: { plural: "services", namespaced: true },
  CustomResourceDefinition: { plural: "customresourcedefinitions", namespaced: false },
  OCIRepository: { plural: "ocirepositories", namespaced: true },
  GitRepository: { plural: "gitrepositories", namespaced: true },
  Kustomization: { plural: "kustomizations", namespaced: true },
  Provider: { plural: "providers", namespaced: true },
  Alert: { plural: "alerts", namespaced: true },
  Canary: { plural: "canaries", namespaced: true },
  PrometheusRule: { plural: "prometheusrules", namespaced: true },
};

export class KubeError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class Kube {
  constructor(
    /** `https://127.0.0.1:<port>` */
    readonly server: string,
    readonly token: string,
    readonly caPem: string,
  ) {}

  static pathOf(apiVersion: string, kind: string, namespace?: string, name?: string): string {
    const r = RESOURCES[kind];
    if (!r) throw new Error(`kube: unknown kind ${kind} (add it to RESOURCES)`);
    const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const ns = r.namespaced ? `/namespaces/${namespace ?? "default"}` : "";
    return `${base}${ns}/${r.plural}${name ? `/${name}` : ""}`;
  }

  async raw(
    method: string,
    path: string,
    body?: unknown,
    contentType = "application/json",
  ): Promise<{ status: number; text: string }> {
    const url = new URL(path, this.server);
    const data =
      body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: this.caPem,
          headers: {
            authorization: `Bearer ${this.token}`,
            accept: "application/json",
            ...(data !== undefined ? { "content-type": contentType } : {}),
          },
          timeout: 30_000,
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (d: string) => (text += d));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on("error", reject);
      req.on("timeout", () => req.destroy(new Error(`kube: ${method} ${path} timed out`)));
      if (data !== undefined) req.write(data);
      req.end();
    });
  }

  async json<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const r = await this.raw(method, path, body, contentType);
    if (r.status < 200 || r.status >= 300) {
      throw new KubeError(
        r.status,
        `kube: ${method} ${path}: ${r.status} ${r.text.slice(0, 2000)}`,
      );
    }
    return (r.text ? JSON.parse(r.text) : {}) as T;
  }

  /** Server-side apply (force) under `manager`. */
  apply(obj: KubeObject, manager: string): Promise<KubeObject> {
    const path = Kube.pathOf(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name);
    return this.json<KubeObject>(
      "PATCH",
      `${path}?fieldManager=${encodeURIComponent(manager)}&force=true`,
      obj,
      "application/apply-patch+yaml",
    );
  }

  async get(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObject | undefined> {
    try {
      return await this.json<KubeObject>("GET", Kube.pathOf(apiVersion, kind, namespace, name));
    } catch (e) {
      if (e instanceof KubeError && e.status === 404) return undefined;
      throw e;
    }
  }

  async mustGet(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObject> {
    const o = await this.get(apiVersion, kind, namespace, name);
    if (!o) throw new Error(`kube: ${kind} ${namespace ?? ""}/${name} not found`);
    return o;
  }

  /** Lists a kind, in one namespace or all, optionally filtered by a label selector (`a=b,c`). */
  async list(
    apiVersion: string,
    kind: string,
    namespace?: string,
    labelSelector?: string,
  ): Promise<KubeObject[]> {
    const path =
      Kube.pathOf(apiVersion, kind, namespace) +
      (labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : "");
    const r = await this.json<{ items: KubeObject[] }>("GET", path);
    return r.items;
  }

  /** JSON merge patch, of the object or (subresource "status") its status, under `manager`. */
  mergePatch(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    manager: string,
    subresource?: "status",
  ): Promise<KubeObject> {
    const path =
      Kube.pathOf(apiVersion, kind, namespace, name) + (subresource ? `/${subresource}` : "");
    return this.json<KubeObject>(
      "PATCH",
      `${path}?fieldManager=${encodeURIComponent(manager)}`,
      patch,
      "application/merge-patch+json",
    );
  }

  async delete(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): Promise<void> {
    const r = await this.raw("DELETE", Kube.pathOf(apiVersion, kind, namespace, name));
    if (r.status !== 200 && r.status !== 202 && r.status !== 404) {
      throw new KubeError(r.status, `kube: DELETE ${kind} ${name}: ${r.status} ${r.text}`);
    }
  }

  /** Asks a Flux controller to reconcile now, as `flux reconcile` does. */
  requestReconcile(
    apiVersion: string,
    kind: string,
    namespace: string,
    name: string,
  ): Promise<KubeObject> {
    return this.mergePatch(
      apiVersion,
      kind,
      namespace,
      name,
      {
        metadata: { annotations: { "reconcile.fluxcd.io/requestedAt": new Date().toISOString() } },
      },
      "promotion-pipeline-test",
    );
  }
}

/** Polls `probe` every `everyMs` until it returns a value other than undefined, or fails after `timeoutMs`. */
/**
 * An error `waitFor` does not swallow: the box is broken (a process died, a played controller failed), so
 * waiting longer cannot help and the scenario fails at once with the cause.
 */
export class FatalError extends Error {}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      if (e instanceof FatalError) throw e;
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}` +
          (last
            ? `; last error: ${last instanceof Error ? last.message : JSON.stringify(last)}`
            : ""),
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The condition `type` of a Flux object, if any. */
export function condition(
  o: KubeObject | undefined,
  type: string,
): { status: string; reason?: string; message?: string; lastTransitionTime?: string } | undefined {
  const conds = (o?.status?.conditions ?? []) as {
    type: string;
    status: string;
    reason?: string;
    message?: string;
    lastTransitionTime?: string;
  }[];
  return conds.find((c) => c.type === type);
}
