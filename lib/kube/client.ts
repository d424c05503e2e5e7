/**
 * A minimal Kubernetes GET client for `promotion status` and `trace`: reads a kubeconfig (server, CA,
 * bearer token or client certificate; exec plugins and auth providers are not supported: use a token)
 * and GETs one object. node:https carries the CA and the client certificate; nothing else is needed
 * (no kubectl on the runner). Read-only by construction: it has no other verb.
 */
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { parse } from "yaml";
import { clip } from "../clip";
import { isRecord } from "../guards";

/** A kubeconfig or a request problem, naming the file, the context and what to fix. */
export class KubeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KubeError";
  }
}

/** What one context of a kubeconfig resolves to. */
export interface KubeTarget {
  readonly context: string;
  readonly server: string;
  readonly ca?: Buffer;
  readonly insecureSkipTlsVerify: boolean;
  readonly token?: string;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

type Rec = Record<string, unknown>;

function named(list: unknown, name: string, what: string, file: string): Rec {
  const found = Array.isArray(list)
    ? (list as unknown[]).find((e) => isRecord(e) && e.name === name)
    : undefined;
  if (!isRecord(found) || !isRecord(found[what]))
    throw new KubeError(`${file}: no ${what} named ${clip(name)}.`);
  return found[what];
}

/** The default kubeconfig: the first file of $KUBECONFIG, else ~/.kube/config. */
export function defaultKubeconfig(env: NodeJS.ProcessEnv = process.env): string {
  const first = env.KUBECONFIG?.split(":").find((p) => p !== "");
  return first ?? join(homedir(), ".kube", "config");
}

/** Resolves `context` (default: current-context) of the kubeconfig text read from `file`. */
export function kubeTarget(text: string, file: string, context?: string): KubeTarget {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new KubeError(`${file}: not YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  if (!isRecord(doc)) throw new KubeError(`${file}: not a kubeconfig (no mapping).`);
  const ctxName =
    context ?? (typeof doc["current-context"] === "string" ? doc["current-context"] : "");
  if (ctxName === "")
    throw new KubeError(`${file}: no current-context; pass --context <cluster>=<context>.`);
  const ctx = named(doc.contexts, ctxName, "context", file);
  const cluster = named(doc.clusters, String(ctx.cluster), "cluster", file);
  const user =
    isRecord(ctx) && typeof ctx.user === "string" ? named(doc.users, ctx.user, "user", file) : {};
  const base = dirname(file);
  const readRel = (p: unknown): Buffer => {
    const path = String(p);
    try {
      return readFileSync(isAbsolute(path) ? path : join(base, path));
    } catch (e) {
      throw new KubeError(`${file}: cannot read ${path}: ${(e as Error).message}`);
    }
  };
  const b64 = (v: unknown): Buffer => Buffer.from(String(v), "base64");
  const server = cluster.server;
  if (typeof server !== "string" || !/^https?:\/\//.test(server))
    throw new KubeError(
      `${file}: context ${ctxName}: cluster server ${clip(server)} is not an http(s) URL.`,
    );
  if (user.exec !== undefined || user["auth-provider"] !== undefined)
    throw new KubeError(
      `${file}: context ${ctxName}: the user authenticates with an exec plugin or auth provider, which promotion does not run; use a kubeconfig with a bearer token (e.g. a read-only ServiceAccount token) or a client certificate.`,
    );
  const token =
    typeof user.token === "string"
      ? user.token
      : user.tokenFile !== undefined
        ? readRel(user.tokenFile).toString("utf8").trim()
        : undefined;
  /** `<name>-data` (base64) or else `<name>` (a file, relative to the kubeconfig), as kubectl reads them. */
  const dataOrFile = (o: Rec, name: string): Buffer | undefined =>
    o[`${name}-data`] !== undefined
      ? b64(o[`${name}-data`])
      : o[name] !== undefined
        ? readRel(o[name])
        : undefined;
  const ca = dataOrFile(cluster, "certificate-authority");
  const cert = dataOrFile(user, "client-certificate");
  const key = dataOrFile(user, "client-key");
  return {
    context: ctxName,
    server: server.replace(/\/+$/, ""),
    insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
    ...(ca ? { ca } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
  };
}

/** Reads the kubeconfig file and resolves the context. */
export function loadKubeTarget(file: string, context?: string): KubeTarget {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new KubeError(`cannot read kubeconfig ${file}: ${(e as Error).message}`);
  }
  return kubeTarget(text, file, context);
}

/** GETs `path` (e.g. `/apis/.../namespaces/x/kind/name`); undefined on 404; KubeError otherwise. */
export function kubeGet(t: KubeTarget, path: string, timeoutMs = 15_000): Promise<unknown> {
  const url = new URL(t.server + path);
  const opts: RequestOptions = {
    method: "GET",
    headers: {
      accept: "application/json",
      ...(t.token !== undefined ? { authorization: `Bearer ${t.token}` } : {}),
    },
    timeout: timeoutMs,
    ...(t.ca ? { ca: t.ca } : {}),
    ...(t.cert ? { cert: t.cert } : {}),
    ...(t.key ? { key: t.key } : {}),
    rejectUnauthorized: !t.insecureSkipTlsVerify,
  };
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const status = res.statusCode ?? 0;
        if (status === 404) return resolve(undefined);
        if (status < 200 || status > 299)
          return reject(
            new KubeError(
              `GET ${url.origin}${path} (context ${t.context}): HTTP ${status}${status === 401 || status === 403 ? " (the credentials are not accepted or may not get this object; it needs get on OCIRepositories and Kustomizations)" : ""}: ${text.slice(0, 200)}`,
            ),
          );
        try {
          resolve(JSON.parse(text));
        } catch {
          reject(
            new KubeError(`GET ${url.origin}${path}: response is not JSON: ${text.slice(0, 200)}`),
          );
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on("error", (e) =>
      reject(new KubeError(`GET ${url.origin}${path} (context ${t.context}) failed: ${e.message}`)),
    );
    req.end();
  });
}
