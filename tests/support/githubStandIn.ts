/**
 * STAND-IN for GitHub (the one part of the pipeline that cannot run here): an HTTPS server on 127.0.0.1, with
 * a certificate of a CA the test made, reached the way GitHub Enterprise Server is (`https://<host>/api/v3/`).
 * It answers what notification-controller's githubdispatch notifier calls (go-github
 * `Repositories.Dispatch`: `POST /api/v3/repos/<owner>/<repo>/dispatches`), records every request with the
 * token it carried, and hands each accepted dispatch to the test (which runs the real generated promote
 * workflow's `run:` steps with it, as a GitHub runner would). It also records webhook deliveries to
 * `/hooks/<name>` (a generic notification provider pointed at it). Anything else gets GitHub's 404 body.
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface DispatchRequest {
  readonly owner: string;
  readonly repo: string;
  /** The token from the Authorization header (`Bearer x` or `token x`), or "" when none. */
  readonly token: string;
  readonly eventType: string;
  readonly clientPayload: Record<string, unknown>;
  /** When the request arrived. */
  readonly at: Date;
  /** HTTP status the stand-in answered. */
  readonly status: number;
}

export interface GitHubStandInOptions {
  readonly certPem: string;
  readonly keyPem: string;
  /** The only token accepted (others get GitHub's 401 "Bad credentials"). */
  readonly token: string;
  /** Called for each accepted dispatch, after the 204 is sent. */
  readonly onDispatch?: (d: DispatchRequest) => void;
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
};

export class GitHubStandIn {
  readonly dispatches: DispatchRequest[] = [];
  /** Webhook deliveries to `/hooks/<name>` (a generic notification provider's address), JSON bodies. */
  readonly hooks: { path: string; body: unknown; at: Date }[] = [];
  /** Every request, `METHOD path`, for assertions that nothing else was called. */
  readonly requests: string[] = [];
  private constructor(
    private readonly server: Server,
    /** `https://127.0.0.1:<port>` — the GitHub Enterprise Server address. */
    readonly url: string,
  ) {}

  static async start(o: GitHubStandInOptions): Promise<GitHubStandIn> {
    const box: { self?: GitHubStandIn } = {};
    const server = createServer({ cert: o.certPem, key: o.keyPem }, (req, res) => {
      void handle(req, res);
    });
    async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const path = (req.url ?? "").split("?")[0]!;
      box.self!.requests.push(`${req.method} ${path}`);
      if (req.method === "POST" && /^\/hooks\/[A-Za-z0-9_-]+$/.test(path)) {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
          body = Buffer.concat(chunks).toString("utf8");
        }
        box.self!.hooks.push({ path, body, at: new Date() });
        res.writeHead(200);
        res.end();
        return;
      }
      const m = /^\/api\/v3\/repos\/([^/]+)\/([^/]+)\/dispatches$/.exec(path);
      if (req.method !== "POST" || !m) {
        json(res, 404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
        return;
      }
      const auth = req.headers.authorization ?? "";
      const token = auth.replace(/^(Bearer|token)\s+/i, "");
      let body: { event_type?: unknown; client_payload?: unknown } = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as typeof body;
      } catch {
        json(res, 400, { message: "Problems parsing JSON" });
        return;
      }
      const ok = token === o.token;
      const d: DispatchRequest = {
        owner: m[1]!,
        repo: m[2]!,
        token,
        eventType: typeof body.event_type === "string" ? body.event_type : "",
        clientPayload: (body.client_payload ?? {}) as Record<string, unknown>,
        at: new Date(),
        status: ok ? 204 : 401,
      };
      box.self!.dispatches.push(d);
      if (!ok) {
        json(res, 401, {
          message: "Bad credentials",
          documentation_url: "https://docs.github.com/rest",
        });
        return;
      }
      res.writeHead(204);
      res.end();
      o.onDispatch?.(d);
    }
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    box.self = new GitHubStandIn(server, `https://127.0.0.1:${port}`);
    return box.self;
  }

  /** Accepted dispatches only. */
  accepted(): DispatchRequest[] {
    return this.dispatches.filter((d) => d.status === 204);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
