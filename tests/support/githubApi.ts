/**
 * A MOCK OF GITHUB'S REST API (the only mock in the e2e tests that use it; everything else is real): a
 * local HTTP server holding issues, labels, comments, deployments and deployment statuses for one
 * repository, answering the calls lib/github/client.ts makes, with GitHub's status codes (422 for an
 * existing label), and requiring the bearer token. Tests read its state directly.
 */
import { createServer, type Server } from "node:http";

export interface MockIssue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  state: "open" | "closed";
  comments: string[];
}

export interface MockDeployment {
  id: number;
  ref: string;
  sha: string;
  environment: string;
  description: string;
  payload: unknown;
  task: string;
  created_at: string;
  creator: { login: string };
  statuses: { state: string; environment_url?: string; log_url?: string; description?: string }[];
}

export interface GitHubApiMock {
  /** Base URL, e.g. http://127.0.0.1:1234 (what GITHUB_API_URL is set to). */
  readonly url: string;
  readonly issues: MockIssue[];
  readonly labels: string[];
  readonly deployments: MockDeployment[];
  /** Every call, `METHOD path`. */
  readonly calls: string[];
  close(): Promise<void>;
}

export async function startGitHubApiMock(
  repository: string,
  token: string,
): Promise<GitHubApiMock> {
  const issues: MockIssue[] = [];
  const labels: string[] = [];
  const deployments: MockDeployment[] = [];
  const calls: string[] = [];
  const prefix = `/repos/${repository}`;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      calls.push(`${req.method} ${url.pathname}`);
      const send = (status: number, body?: unknown): void => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(body === undefined ? "" : JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${token}`)
        return send(401, { message: "Bad credentials" });
      if (!url.pathname.startsWith(prefix)) return send(404, { message: "Not Found" });
      const path = url.pathname.slice(prefix.length);
      const str = (v: unknown, def = ""): string => (typeof v === "string" ? v : def);
      const body = chunks.length
        ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>)
        : {};
      let m: RegExpExecArray | null;
      if (req.method === "GET" && path === "/issues") {
        const label = url.searchParams.get("labels");
        const state = url.searchParams.get("state") ?? "open";
        return send(
          200,
          issues
            .filter(
              (i) => (state === "all" || i.state === state) && (!label || i.labels.includes(label)),
            )
            .map((i) => ({
              number: i.number,
              title: i.title,
              body: i.body,
              state: i.state,
              labels: i.labels.map((name) => ({ name })),
            })),
        );
      }
      if (req.method === "POST" && path === "/labels") {
        const name = String(body.name);
        if (labels.includes(name))
          return send(422, { message: "Validation Failed", errors: [{ code: "already_exists" }] });
        labels.push(name);
        return send(201, { name });
      }
      if (req.method === "POST" && path === "/issues") {
        const i: MockIssue = {
          number: issues.length + 1,
          title: String(body.title),
          body: str(body.body),
          labels: (body.labels as string[]) ?? [],
          state: "open",
          comments: [],
        };
        issues.push(i);
        return send(201, { number: i.number });
      }
      if ((m = /^\/issues\/(\d+)$/.exec(path)) && req.method === "PATCH") {
        const i = issues.find((x) => x.number === Number(m![1]));
        if (!i) return send(404, { message: "Not Found" });
        if (typeof body.body === "string") i.body = body.body;
        if (body.state === "open" || body.state === "closed") i.state = body.state;
        return send(200, { number: i.number });
      }
      if ((m = /^\/issues\/(\d+)\/comments$/.exec(path)) && req.method === "POST") {
        const i = issues.find((x) => x.number === Number(m![1]));
        if (!i) return send(404, { message: "Not Found" });
        i.comments.push(String(body.body));
        return send(201, {});
      }
      if (req.method === "POST" && path === "/deployments") {
        const d: MockDeployment = {
          id: 1000 + deployments.length,
          ref: String(body.ref),
          sha: String(body.ref),
          environment: String(body.environment),
          description: str(body.description),
          payload: body.payload ?? {},
          task: str(body.task, "deploy"),
          created_at: new Date().toISOString(),
          creator: { login: "github-actions[bot]" },
          statuses: [],
        };
        deployments.push(d);
        return send(201, d);
      }
      if (req.method === "GET" && path === "/deployments") {
        const env = url.searchParams.get("environment");
        return send(
          200,
          [...deployments].reverse().filter((d) => !env || d.environment === env),
        );
      }
      if ((m = /^\/deployments\/(\d+)\/statuses$/.exec(path))) {
        const d = deployments.find((x) => x.id === Number(m![1]));
        if (!d) return send(404, { message: "Not Found" });
        if (req.method === "POST") {
          d.statuses.push(body as MockDeployment["statuses"][number]);
          return send(201, body);
        }
        return send(200, [...d.statuses].reverse());
      }
      return send(404, { message: "Not Found" });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    issues,
    labels,
    deployments,
    calls,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
