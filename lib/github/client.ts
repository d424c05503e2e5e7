/**
 * A minimal GitHub REST client (fetch) for what the generated workflows record and read: the watch issue
 * and the promotion record. `api` is $GITHUB_API_URL on a runner (https://api.github.com by default), so
 * GitHub Enterprise works and tests point it at a local stand-in of GitHub's API.
 */
import { clip } from "../clip";

export class GitHubError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "GitHubError";
  }
}

export interface GitHubOptions {
  /** API base URL, e.g. https://api.github.com. */
  readonly api: string;
  /** `owner/repo`. */
  readonly repository: string;
  readonly token: string;
  readonly fetch?: typeof fetch;
}

const REPO = /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/;

export class GitHubClient {
  private readonly fetchFn: typeof fetch;
  private readonly base: string;

  constructor(private readonly opts: GitHubOptions) {
    if (!REPO.test(opts.repository))
      throw new GitHubError(`repository ${clip(opts.repository)} is not owner/name.`);
    this.fetchFn = opts.fetch ?? fetch;
    this.base = `${opts.api.replace(/\/+$/, "")}/repos/${opts.repository}`;
  }

  /** One call; JSON in and out; non-2xx throws GitHubError naming the call (never the token). */
  async call<T>(
    method: string,
    path: string,
    body?: unknown,
    okStatuses: readonly number[] = [],
  ): Promise<T> {
    const url = `${this.base}${path}`;
    let res: Response;
    try {
      res = await this.fetchFn(url, {
        method,
        headers: {
          accept: "application/vnd.github+json",
          authorization: `Bearer ${this.opts.token}`,
          "x-github-api-version": "2022-11-28",
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (e) {
      throw new GitHubError(`${method} ${url} failed: ${(e as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok && !okStatuses.includes(res.status)) {
      const hint =
        res.status === 403 || res.status === 404
          ? " (the token lacks the permission for this call: see docs/workflows.md for what each job needs)"
          : "";
      throw new GitHubError(
        `${method} ${url}: HTTP ${res.status}${hint}: ${text.slice(0, 300)}`,
        res.status,
      );
    }
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }

  /** Open issues (not pull requests) with `label`, oldest first. */
  async openIssues(label: string): Promise<{ number: number; body: string }[]> {
    const list = await this.call<
      { number: number; body?: string | null; pull_request?: unknown }[]
    >(
      "GET",
      `/issues?state=open&labels=${encodeURIComponent(label)}&sort=created&direction=asc&per_page=100`,
    );
    return list
      .filter((i) => i.pull_request === undefined)
      .map((i) => ({ number: i.number, body: i.body ?? "" }));
  }

  /** Creates the label unless it exists (422). */
  async ensureLabel(name: string, color: string, description: string): Promise<void> {
    await this.call("POST", "/labels", { name, color, description }, [422]);
  }

  async openIssue(title: string, body: string, label: string): Promise<number> {
    const r = await this.call<{ number: number }>("POST", "/issues", {
      title,
      body,
      labels: [label],
    });
    return r.number;
  }

  async updateIssue(
    n: number,
    fields: { body?: string; state?: "open" | "closed"; state_reason?: string },
  ): Promise<void> {
    await this.call("PATCH", `/issues/${n}`, fields);
  }

  async comment(n: number, body: string): Promise<void> {
    await this.call("POST", `/issues/${n}/comments`, { body });
  }
}

/** The client from a runner's environment: GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL. */
export function clientFromEnv(env: NodeJS.ProcessEnv = process.env): GitHubClient | string {
  const token = env.GITHUB_TOKEN;
  const repository = env.GITHUB_REPOSITORY;
  if (!token) return "GITHUB_TOKEN is not set";
  if (!repository) return "GITHUB_REPOSITORY (owner/name) is not set";
  return new GitHubClient({
    api: env.GITHUB_API_URL ?? "https://api.github.com",
    repository,
    token,
  });
}

/** The run's URL from a runner's environment, when there is one. */
export function runUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const { GITHUB_SERVER_URL: s, GITHUB_REPOSITORY: r, GITHUB_RUN_ID: id } = env;
  return s && r && id && /^\d+$/.test(id) ? `${s}/${r}/actions/runs/${id}` : undefined;
}
