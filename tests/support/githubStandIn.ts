/**
 * STAND-IN for GitHub's REST API (a test double: GitHub itself cannot run here), the one every test that
 * talks to GitHub uses. A server on 127.0.0.1 (HTTPS with a certificate of a CA the test made when `tls` is
 * given, plain HTTP otherwise) that serves every route both at the root (api.github.com style, what
 * GITHUB_API_URL points at) and under `/api/v3` (GitHub Enterprise Server style, what a `baseUrl` of
 * `https://<host>/` leads go-github and the Terraform provider to).
 *
 * It answers, with state the test can read and change:
 * - what terraform-provider-github v6.13.0 (go-github v88) calls for `github_repository_file`: `GET /user`,
 *   `GET /orgs/{owner}`, `GET /repos/{o}/{r}`, `GET /repos/{o}/{r}/branches/{b}`, `GET|PUT|DELETE
 *   /repos/{o}/{r}/contents/{path}` (base64 content, git blob SHAs, one commit per write), `GET
 *   /repos/{o}/{r}/commits?sha=&path=` (newest first, `Link` pagination), `GET /repos/{o}/{r}/commits/{ref}`
 *   (with `files`), `GET /repos/{o}/{r}/git/ref/heads/{b}`, `POST /repos/{o}/{r}/git/refs`. Blob, tree and
 *   commit SHAs are git's own (a test checks them with git);
 * - what notification-controller's githubdispatch notifier calls (`POST /repos/{o}/{r}/dispatches`, handed
 *   to `onDispatch`), and webhook deliveries to `/hooks/<name>` (no auth, a generic notification provider);
 * - what lib/github/client.ts calls: issues, labels, comments, deployments and deployment statuses.
 *
 * Errors carry GitHub's status codes and bodies: 401 `Bad credentials` (`Requires authentication` with no
 * token); 404 `Not Found` for anything a token cannot see; 409 `<path> does not match <sha>` and 422
 * `Invalid request.\n\n"sha" wasn't supplied.` on the contents API. Tokens are classic-token style:
 * responses carry `X-OAuth-Scopes`, and a token without the `workflow` scope gets GitHub's bare 404 `Not
 * Found` on a PUT or DELETE of `.github/workflows/*` while it still reads the file: that is what GitHub
 * answers a classic token lacking the scope (octokit/octokit.rb#1184, integrations/terraform-provider-github#633
 * and #762: `PUT .../contents/.github/workflows/...: 404 Not Found []`), and what it declined to change into
 * a 403 (github/docs#4770). A few messages GitHub does not document (a missing branch on PUT/DELETE, a path
 * that clashes with a directory) are the double's own wording. It sends no ETag, so clients never get a 304. Every
 * request is recorded (method, path, query, status, token); nothing is printed.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { newAuthority, servingCert, type Authority } from "./pki";

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

/** A token the double accepts, classic personal-access-token style. */
export interface StandInToken {
  readonly token: string;
  /**
   * Its scopes, sent back in `X-OAuth-Scopes`; default `["repo", "workflow"]`. Every repository here is
   * private, so without `repo` none is visible (404).
   */
  readonly scopes?: readonly string[];
  /** The repositories (`owner/name`) it can see; default all. Others answer 404, as GitHub does. */
  readonly repositories?: readonly string[];
  /** The user it authenticates as (`GET /user`, commit author); default `stand-in-user`. */
  readonly login?: string;
}

export interface GitHubStandInOptions {
  /** HTTPS with this certificate (see `standInTls`); plain HTTP when absent. */
  readonly tls?: { readonly certPem: string; readonly keyPem: string };
  /** The tokens accepted (others get 401 "Bad credentials"); a string is a token with the default scopes. */
  readonly tokens: readonly (string | StandInToken)[];
  /** Repositories (`owner/name`, default branch `main`) to create at start. */
  readonly repositories?: readonly string[];
  /** Called for each accepted dispatch, after the 204 is sent. */
  readonly onDispatch?: (d: DispatchRequest) => void;
}

export interface RepositoryOptions {
  /** Default `main`. */
  readonly defaultBranch?: string;
  /** More branches, each at the initial commit. */
  readonly branches?: readonly string[];
  /** Files of the initial commit, path -> content. */
  readonly files?: Readonly<Record<string, string>>;
  /** An archived repository refuses writes with GitHub's 403. */
  readonly archived?: boolean;
}

export interface RecordedRequest {
  readonly method: string;
  /** The path as requested, `/api/v3` included when used, without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly status: number;
  /** The token from the Authorization header, or "" when none. Kept for assertions; never printed. */
  readonly token: string;
  readonly at: Date;
}

/** A commit made on a branch through the contents API (`PUT`, `DELETE`) or by `editFile` (`edit`). */
export interface RecordedCommit {
  /** `owner/name`. */
  readonly repository: string;
  readonly branch: string;
  readonly path: string;
  readonly message: string;
  readonly method: "PUT" | "DELETE" | "edit";
  readonly sha: string;
}

export interface MockIssue {
  /** `owner/name`. */
  repository: string;
  number: number;
  title: string;
  body: string;
  labels: string[];
  state: "open" | "closed";
  comments: string[];
}

export interface MockLabel {
  /** `owner/name`. */
  repository: string;
  name: string;
}

export interface MockDeployment {
  /** `owner/name`. */
  repository: string;
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

/** A fresh CA and a serving certificate for 127.0.0.1 signed by it (files in `dir`), for `tls`. */
export function standInTls(
  dir: string,
  name = "github",
): {
  readonly authority: Authority;
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
} {
  const authority = newAuthority(dir, name);
  const cert = servingCert(dir, authority, name);
  return {
    authority,
    caPem: authority.caPem,
    certPem: cert.certPem,
    keyPem: readFileSync(cert.keyFile, "utf8"),
  };
}

// ---- git objects: SHAs exactly as git computes them -------------------------------------------------

const gitHash = (type: string, body: Buffer): string =>
  createHash("sha1").update(`${type} ${body.length}\0`).update(body).digest("hex");

/** The git blob SHA-1 of `content` (`sha1("blob <len>\0<content>")`), what the contents API calls `sha`. */
export const blobSha = (content: Buffer | string): string => gitHash("blob", Buffer.from(content));

interface TreeNode {
  readonly entries: Map<string, TreeNode | Buffer>;
}

function treeSha(files: ReadonlyMap<string, Buffer>): string {
  const root: TreeNode = { entries: new Map() };
  for (const [path, content] of files) {
    const parts = path.split("/");
    let node = root;
    for (const part of parts.slice(0, -1)) {
      let next = node.entries.get(part);
      if (!next || Buffer.isBuffer(next)) {
        next = { entries: new Map() };
        node.entries.set(part, next);
      }
      node = next;
    }
    node.entries.set(parts.at(-1)!, content);
  }
  const hash = (node: TreeNode): string => {
    const entries = [...node.entries].map(([name, v]) =>
      Buffer.isBuffer(v)
        ? { key: name, mode: "100644", name, sha: blobSha(v) }
        : { key: `${name}/`, mode: "40000", name, sha: hash(v) },
    );
    // git orders entries by name bytes, a tree's name compared as if it ended in "/".
    entries.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    return gitHash(
      "tree",
      Buffer.concat(
        entries.flatMap((e) => [Buffer.from(`${e.mode} ${e.name}\0`), Buffer.from(e.sha, "hex")]),
      ),
    );
  };
  return hash(root);
}

interface Signature {
  readonly name: string;
  readonly email: string;
  /** ISO 8601 to the second, `Z`. */
  readonly date: string;
}

interface FileChange {
  readonly filename: string;
  readonly status: "added" | "modified" | "removed";
  /** The blob SHA after the change (before it, for a removal). */
  readonly sha: string;
  readonly additions: number;
  readonly deletions: number;
}

interface StoredCommit {
  readonly sha: string;
  readonly tree: string;
  readonly message: string;
  readonly parents: readonly string[];
  readonly author: Signature;
  readonly committer: Signature;
  /** The whole tree after this commit, path -> content. */
  readonly files: ReadonlyMap<string, Buffer>;
  readonly changes: readonly FileChange[];
}

interface StoredRepo {
  readonly id: number;
  readonly owner: string;
  readonly name: string;
  readonly defaultBranch: string;
  readonly archived: boolean;
  readonly createdAt: string;
  /** Branch -> head commit SHA. */
  readonly branches: Map<string, string>;
  readonly commits: Map<string, StoredCommit>;
}

const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
const lines = (b: Buffer | undefined): number =>
  b === undefined || b.length === 0 ? 0 : b.toString("utf8").replace(/\n$/, "").split("\n").length;

function makeCommit(
  parent: StoredCommit | undefined,
  files: ReadonlyMap<string, Buffer>,
  message: string,
  author: Signature,
  committer: Signature,
): StoredCommit {
  const tree = treeSha(files);
  const before = parent?.files ?? new Map<string, Buffer>();
  const changes: FileChange[] = [];
  for (const path of [...new Set([...before.keys(), ...files.keys()])].sort()) {
    const a = before.get(path);
    const b = files.get(path);
    if (a && b && a.equals(b)) continue;
    changes.push({
      filename: path,
      status: !a ? "added" : !b ? "removed" : "modified",
      sha: blobSha((b ?? a)!),
      additions: lines(b),
      deletions: lines(a),
    });
  }
  const sig = (s: Signature): string =>
    `${s.name} <${s.email}> ${Math.floor(Date.parse(s.date) / 1000)} +0000`;
  const parents = parent ? [parent.sha] : [];
  const body =
    `tree ${tree}\n` +
    parents.map((p) => `parent ${p}\n`).join("") +
    `author ${sig(author)}\ncommitter ${sig(committer)}\n\n${message}` +
    (message.endsWith("\n") ? "" : "\n");
  const sha = gitHash("commit", Buffer.from(body));
  return { sha, tree, message, parents, author, committer, files, changes };
}

// ---- HTTP plumbing ------------------------------------------------------------------------------------

const DOCS = "https://docs.github.com/rest";
const DOC_CONTENTS_GET = `${DOCS}/repos/contents#get-repository-content`;
const DOC_CONTENTS_PUT = `${DOCS}/repos/contents#create-or-update-file-contents`;
const DOC_CONTENTS_DELETE = `${DOCS}/repos/contents#delete-a-file`;
const DOC_BRANCH = `${DOCS}/branches/branches#get-a-branch`;
const DOC_COMMIT = `${DOCS}/commits/commits#get-a-commit`;
const DOC_COMMITS = `${DOCS}/commits/commits#list-commits`;
const DOC_REFS = `${DOCS}/git/refs#create-a-reference`;

/** Where a contents write lands: the branch, its head commit and the file's path. */
interface ContentsTarget {
  readonly branch: string;
  readonly head: StoredCommit;
  readonly path: string;
}

/** What a contents write changes: the branch's files after it, and the commit's message and signatures. */
interface ContentsChange {
  readonly files: Map<string, Buffer>;
  readonly message: string;
  readonly author: Signature;
  readonly committer: Signature;
}

interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Runs once the answer is sent. */
  readonly after?: () => void;
}

const reply = (status: number, body?: unknown, headers?: Record<string, string>): Reply => ({
  status,
  body,
  ...(headers ? { headers } : {}),
});
const error = (status: number, message: string, documentation_url = DOCS): Reply =>
  reply(status, { message, documentation_url, status: String(status) });
const notFound = (doc = DOCS): Reply => error(404, "Not Found", doc);
const invalid = (field: string, doc: string): Reply =>
  error(422, `Invalid request.\n\n"${field}" wasn't supplied.`, doc);
const badJson = (): Reply => error(400, "Problems parsing JSON");

/** The current request: where it came from and who sent it. */
interface Ctx {
  readonly method: string;
  /** Route path: without `/api/v3`, percent-encoded as received. */
  readonly route: string;
  readonly query: URLSearchParams;
  readonly body: Buffer;
  /** `https://127.0.0.1:<port>` or with `/api/v3`: what the request used, for the URLs in answers. */
  readonly api: string;
  /** The web address (html_url). */
  readonly web: string;
  readonly user: User | undefined;
  readonly token: string;
}

interface User {
  readonly login: string;
  readonly id: number;
  readonly scopes: readonly string[];
  readonly repositories: readonly string[] | undefined;
}

const userEmail = (u: { login: string; id: number }): string =>
  `${u.id}+${u.login}@users.noreply.github.com`;

const encodePath = (path: string): string => path.split("/").map(encodeURIComponent).join("/");

/** Base64 as GitHub sends it: wrapped at 60 characters (Go and Node decoders skip the newlines). */
const base64Wrapped = (b: Buffer): string =>
  (b.toString("base64").match(/.{1,60}/g) ?? []).map((l) => `${l}\n`).join("");

export class GitHubStandIn {
  readonly dispatches: DispatchRequest[] = [];
  /** Webhook deliveries to `/hooks/<name>` (a generic notification provider's address), JSON bodies. */
  readonly hooks: { path: string; body: unknown; at: Date }[] = [];
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  /** Every commit made through the contents API or `editFile`, in order. */
  readonly commits: RecordedCommit[] = [];
  readonly issues: MockIssue[] = [];
  readonly labels: MockLabel[] = [];
  readonly deployments: MockDeployment[] = [];

  private readonly repos = new Map<string, StoredRepo>();
  private readonly users = new Map<string, User>();
  private nextId = 1000;

  private constructor(
    private readonly server: Server,
    /** `https://127.0.0.1:<port>` (or `http://`): GITHUB_API_URL, and the GHES address (`/api/v3` below it). */
    readonly url: string,
    private readonly onDispatch: ((d: DispatchRequest) => void) | undefined,
  ) {}

  static async start(o: GitHubStandInOptions): Promise<GitHubStandIn> {
    // Checked before listening, so a bad option leaves no server behind.
    const specs = o.tokens.map((t): StandInToken => (typeof t === "string" ? { token: t } : t));
    specs.forEach((t, i) => {
      if (specs.findIndex((x) => x.token === t.token) !== i)
        throw new Error(
          `GitHubStandIn: tokens[${i}] repeats an earlier token (value not shown); list each token once`,
        );
    });
    const repositories = (o.repositories ?? []).map((full) => {
      const [owner, name, ...rest] = full.split("/");
      if (!owner || !name || rest.length)
        throw new Error(
          `GitHubStandIn: repositories entry "${full}" is not owner/name; write it as "example-org/platform"`,
        );
      return [owner, name] as const;
    });
    const box: { self?: GitHubStandIn } = {};
    const listener = (req: IncomingMessage, res: ServerResponse): void => {
      box.self!.handle(req, res).catch(() => res.destroy());
    };
    const server = o.tls
      ? createHttpsServer({ cert: o.tls.certPem, key: o.tls.keyPem }, listener)
      : createHttpServer(listener);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const self = new GitHubStandIn(
      server,
      `${o.tls ? "https" : "http"}://127.0.0.1:${port}`,
      o.onDispatch,
    );
    box.self = self;
    for (const t of specs) {
      self.users.set(t.token, {
        login: t.login ?? "stand-in-user",
        id: self.nextId++,
        scopes: t.scopes ?? ["repo", "workflow"],
        repositories: t.repositories,
      });
    }
    for (const [owner, name] of repositories) self.repository(owner, name);
    return self;
  }

  /** `METHOD path` of every request (the old API mock's `calls`). */
  get calls(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  /** Accepted dispatches only. */
  accepted(): DispatchRequest[] {
    return this.dispatches.filter((d) => d.status === 204);
  }

  /** Creates `owner/name` with an initial commit (`files`, or none) on its default branch and `branches`. */
  repository(owner: string, name: string, opts: RepositoryOptions = {}): void {
    const full = `${owner}/${name}`;
    if (this.repos.has(full.toLowerCase()))
      throw new Error(`GitHubStandIn.repository: "${full}" exists already; create it once`);
    const defaultBranch = opts.defaultBranch ?? "main";
    const files = new Map(
      Object.entries(opts.files ?? {}).map(([p, c]) => [p, Buffer.from(c)] as const),
    );
    const bot: Signature = { name: "GitHub", email: "noreply@github.com", date: now() };
    const initial = makeCommit(undefined, files, "Initial commit", bot, bot);
    const repo: StoredRepo = {
      id: this.nextId++,
      owner,
      name,
      defaultBranch,
      archived: opts.archived ?? false,
      createdAt: now(),
      branches: new Map([defaultBranch, ...(opts.branches ?? [])].map((b) => [b, initial.sha])),
      commits: new Map([[initial.sha, initial]]),
    };
    this.repos.set(full.toLowerCase(), repo);
  }

  /** The content of `path` at the head of `branch`, or undefined when there is no such file. */
  file(owner: string, repo: string, branch: string, path: string): string | undefined {
    return this.head(this.repo(owner, repo, "file"), branch, "file")
      .files.get(path)
      ?.toString("utf8");
  }

  /** Every file at the head of `branch`, path -> content, paths sorted. */
  files(owner: string, repo: string, branch: string): Record<string, string> {
    const files = this.head(this.repo(owner, repo, "files"), branch, "files").files;
    return Object.fromEntries([...files.keys()].sort().map((p) => [p, files.get(p)!.toString()]));
  }

  /** The head commit SHA of `branch`. */
  headSha(owner: string, repo: string, branch: string): string {
    return this.head(this.repo(owner, repo, "headSha"), branch, "headSha").sha;
  }

  /**
   * Changes a file "by hand" (as a person editing on github.com would): a new commit on `branch` that sets
   * `path` to `content`, or deletes it when `content` is undefined. Returns the commit SHA.
   */
  editFile(
    owner: string,
    repo: string,
    branch: string,
    path: string,
    content: string | undefined,
    message = `${content === undefined ? "Delete" : "Update"} ${path} by hand`,
  ): string {
    const r = this.repo(owner, repo, "editFile");
    const head = this.head(r, branch, "editFile");
    if (content === undefined && !head.files.has(path))
      throw new Error(
        `GitHubStandIn.editFile: no file "${path}" on ${owner}/${repo}@${branch} to delete; pass content to create it`,
      );
    const files = new Map(head.files);
    if (content === undefined) files.delete(path);
    else files.set(path, Buffer.from(content));
    const hand: Signature = { name: "Someone By Hand", email: "by-hand@example.com", date: now() };
    const change = { files, message, author: hand, committer: hand };
    return this.commitWrite(r, "edit", { branch, head, path }, change).sha;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- state helpers ----

  private repo(owner: string, name: string, helper: string): StoredRepo {
    const r = this.repos.get(`${owner}/${name}`.toLowerCase());
    if (!r)
      throw new Error(
        `GitHubStandIn.${helper}: no repository "${owner}/${name}"; create it with repository("${owner}", "${name}")`,
      );
    return r;
  }

  private head(r: StoredRepo, branch: string, helper: string): StoredCommit {
    const sha = r.branches.get(branch);
    if (!sha)
      throw new Error(
        `GitHubStandIn.${helper}: no branch "${branch}" in ${r.owner}/${r.name} (branches: ${[...r.branches.keys()].join(", ")}); create it with repository(..., { branches })`,
      );
    return r.commits.get(sha)!;
  }

  private commit(
    r: StoredRepo,
    branch: string,
    parent: StoredCommit,
    files: ReadonlyMap<string, Buffer>,
    message: string,
    author: Signature,
    committer: Signature,
  ): StoredCommit {
    const c = makeCommit(parent, files, message, author, committer);
    r.commits.set(c.sha, c);
    r.branches.set(branch, c.sha);
    return c;
  }

  /** A branch name or a full commit SHA -> the commit. */
  private resolve(r: StoredRepo, ref: string): StoredCommit | undefined {
    const branch = r.branches.get(ref.replace(/^refs\/heads\//, ""));
    return r.commits.get(branch ?? ref);
  }

  /** The repository if `user` may see it (private: needs the `repo` scope and, when listed, access). */
  private visible(ctx: Ctx, owner: string, name: string): StoredRepo | undefined {
    const r = this.repos.get(`${owner}/${name}`.toLowerCase());
    const u = ctx.user;
    if (!r || !u || !u.scopes.includes("repo")) return undefined;
    const full = `${r.owner}/${r.name}`.toLowerCase();
    if (u.repositories && !u.repositories.some((x) => x.toLowerCase() === full)) return undefined;
    return r;
  }

  // ---- request handling ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const method = req.method ?? "GET";
    const raw = req.url ?? "/";
    const q = raw.indexOf("?");
    const path = q < 0 ? raw : raw.slice(0, q);
    const query = new URLSearchParams(q < 0 ? "" : raw.slice(q + 1));
    const token = (req.headers.authorization ?? "").replace(/^(Bearer|token)\s+/i, "").trim();
    const web = this.url;
    const ghes = path === "/api/v3" || path.startsWith("/api/v3/");
    const ctx: Ctx = {
      method,
      route: ghes ? path.slice("/api/v3".length) || "/" : path,
      query,
      body: Buffer.concat(chunks),
      api: ghes ? `${web}/api/v3` : web,
      web,
      user: this.users.get(token),
      token,
    };
    let r: Reply;
    try {
      r = this.route(ctx, path);
    } catch (e) {
      r = error(500, `stand-in failure: ${(e as Error).message}`);
    }
    this.requests.push({
      method,
      path,
      query: Object.fromEntries(query),
      status: r.status,
      token,
      at: new Date(),
    });
    const headers: Record<string, string> = {
      "x-github-media-type": "github.v3; format=json",
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": "4999",
      "x-ratelimit-used": "1",
      "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
      "x-ratelimit-resource": "core",
      ...(ctx.user ? { "x-oauth-scopes": ctx.user.scopes.join(", ") } : {}),
      ...r.headers,
    };
    if (r.body === undefined) {
      res.writeHead(r.status, headers);
      res.end();
    } else {
      res.writeHead(r.status, { ...headers, "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(r.body));
    }
    r.after?.();
  }

  private route(ctx: Ctx, rawPath: string): Reply {
    if (ctx.method === "POST" && /^\/hooks\/[A-Za-z0-9_-]+$/.test(rawPath)) {
      const text = ctx.body.toString("utf8");
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      this.hooks.push({ path: rawPath, body, at: new Date() });
      return reply(200);
    }
    const seg = ctx.route.split("/").slice(1);
    const dispatch = ctx.method === "POST" && seg[0] === "repos" && seg[3] === "dispatches";
    if (!ctx.user) {
      const r = error(401, ctx.token ? "Bad credentials" : "Requires authentication");
      if (dispatch && seg.length === 4) this.recordDispatch(ctx, seg[1]!, seg[2]!, r.status);
      return r;
    }
    if (ctx.method === "GET" && ctx.route === "/user") return reply(200, this.userJson(ctx.user));
    if (ctx.method === "GET" && seg[0] === "orgs" && seg.length === 2)
      return this.org(ctx, seg[1]!);
    if (seg[0] === "repos" && seg.length >= 3) {
      const owner = decodeURIComponent(seg[1]!);
      const name = decodeURIComponent(seg[2]!);
      const repo = this.visible(ctx, owner, name);
      const rest = seg.slice(3);
      if (!repo) {
        if (dispatch && rest.length === 1) this.recordDispatch(ctx, owner, name, 404);
        return notFound();
      }
      return this.repoRoute(ctx, repo, rest);
    }
    return notFound();
  }

  private recordDispatch(
    ctx: Ctx,
    owner: string,
    repo: string,
    status: number,
    body: { event_type?: unknown; client_payload?: unknown } = {},
  ): DispatchRequest {
    const d: DispatchRequest = {
      owner,
      repo,
      token: ctx.token,
      eventType: typeof body.event_type === "string" ? body.event_type : "",
      clientPayload: (body.client_payload ?? {}) as Record<string, unknown>,
      at: new Date(),
      status,
    };
    this.dispatches.push(d);
    return d;
  }

  private org(ctx: Ctx, login: string): Reply {
    const isUser = [...this.users.values()].some((u) => u.login === login);
    const owned = [...this.repos.values()].find(
      (r) => r.owner.toLowerCase() === login.toLowerCase(),
    );
    if (isUser || !owned) return notFound(`${DOCS}/orgs/orgs#get-an-organization`);
    return reply(200, {
      login: owned.owner,
      id: this.ownerId(owned.owner),
      node_id: Buffer.from(`Organization${owned.owner}`).toString("base64"),
      url: `${ctx.api}/orgs/${owned.owner}`,
      repos_url: `${ctx.api}/orgs/${owned.owner}/repos`,
      html_url: `${ctx.web}/${owned.owner}`,
      name: owned.owner,
      type: "Organization",
      description: null,
    });
  }

  private readonly ownerIds = new Map<string, number>();
  private ownerId(login: string): number {
    const user = [...this.users.values()].find((u) => u.login === login);
    if (user) return user.id;
    let id = this.ownerIds.get(login.toLowerCase());
    if (id === undefined) {
      id = this.nextId++;
      this.ownerIds.set(login.toLowerCase(), id);
    }
    return id;
  }

  private userJson(u: User): Record<string, unknown> {
    return {
      login: u.login,
      id: u.id,
      node_id: Buffer.from(`User${u.id}`).toString("base64"),
      type: "User",
      site_admin: false,
      name: u.login,
      email: userEmail(u),
    };
  }

  /** The JSON object in the body ({} when empty), or undefined when it is not one. */
  private parseBody(ctx: Ctx): Record<string, unknown> | undefined {
    if (ctx.body.length === 0) return {};
    try {
      const v: unknown = JSON.parse(ctx.body.toString("utf8"));
      if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // not JSON: undefined
    }
    return undefined;
  }

  private repoRoute(ctx: Ctx, repo: StoredRepo, rest: string[]): Reply {
    const m = ctx.method;
    const full = `${repo.owner}/${repo.name}`;
    if (rest.length === 0) return m === "GET" ? reply(200, this.repoJson(ctx, repo)) : notFound();
    const [head, ...tail] = rest;
    switch (head) {
      case "dispatches":
        return m === "POST" && tail.length === 0 ? this.dispatch(ctx, repo) : notFound();
      case "contents":
        return this.contents(ctx, repo, tail.map(decodeURIComponent).join("/"));
      case "branches":
        return m === "GET" && tail.length >= 1
          ? this.branch(ctx, repo, tail.map(decodeURIComponent).join("/"))
          : notFound();
      case "commits":
        if (m !== "GET") return notFound();
        return tail.length === 0
          ? this.listCommits(ctx, repo)
          : this.getCommit(ctx, repo, tail.map(decodeURIComponent).join("/"));
      case "git":
        return this.git(ctx, repo, tail.map(decodeURIComponent));
      case "issues":
      case "labels":
      case "deployments":
        return this.records(ctx, full, rest);
      default:
        return notFound();
    }
  }

  private dispatch(ctx: Ctx, repo: StoredRepo): Reply {
    const body = this.parseBody(ctx);
    if (!body) return badJson();
    const d = this.recordDispatch(ctx, repo.owner, repo.name, 204, body);
    return { status: 204, after: () => this.onDispatch?.(d) };
  }

  private repoJson(ctx: Ctx, r: StoredRepo): Record<string, unknown> {
    const full = `${r.owner}/${r.name}`;
    return {
      id: r.id,
      node_id: Buffer.from(`Repository${r.id}`).toString("base64"),
      name: r.name,
      full_name: full,
      private: true,
      visibility: "private",
      owner: {
        login: r.owner,
        id: this.ownerId(r.owner),
        type: [...this.users.values()].some((u) => u.login === r.owner) ? "User" : "Organization",
      },
      html_url: `${ctx.web}/${full}`,
      url: `${ctx.api}/repos/${full}`,
      description: null,
      fork: false,
      default_branch: r.defaultBranch,
      archived: r.archived,
      disabled: false,
      created_at: r.createdAt,
      updated_at: r.createdAt,
      pushed_at: r.createdAt,
      permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
    };
  }

  // ---- contents ----

  private contentUrls(
    ctx: Ctx,
    r: StoredRepo,
    path: string,
    ref: string,
    sha: string,
    dir = false,
  ) {
    const full = `${r.owner}/${r.name}`;
    const url = `${ctx.api}/repos/${full}/contents/${encodePath(path)}?ref=${encodeURIComponent(ref)}`;
    const git_url = `${ctx.api}/repos/${full}/git/${dir ? "trees" : "blobs"}/${sha}`;
    const html_url = `${ctx.web}/${full}/${dir ? "tree" : "blob"}/${ref}/${encodePath(path)}`;
    return {
      url,
      html_url,
      git_url,
      download_url: dir ? null : `${ctx.web}/${full}/raw/${ref}/${encodePath(path)}`,
      _links: { self: url, git: git_url, html: html_url },
    };
  }

  private fileMeta(ctx: Ctx, r: StoredRepo, path: string, ref: string, content: Buffer) {
    const sha = blobSha(content);
    return {
      name: path.split("/").at(-1)!,
      path,
      sha,
      size: content.length,
      ...this.contentUrls(ctx, r, path, ref, sha),
      type: "file",
    };
  }

  private contents(ctx: Ctx, r: StoredRepo, rawPath: string): Reply {
    const path = rawPath.replace(/\/+$/, "");
    switch (ctx.method) {
      case "GET":
        return this.getContents(ctx, r, path);
      case "PUT":
        return this.putContents(ctx, r, path);
      case "DELETE":
        return this.deleteContents(ctx, r, path);
      default:
        return notFound();
    }
  }

  private getContents(ctx: Ctx, r: StoredRepo, path: string): Reply {
    const ref = ctx.query.get("ref") || r.defaultBranch;
    const c = this.resolve(r, ref);
    if (!c) return error(404, `No commit found for the ref ${ref}`, DOC_CONTENTS_GET);
    const content = c.files.get(path);
    if (content) {
      return reply(200, {
        type: "file",
        encoding: "base64",
        size: content.length,
        name: path.split("/").at(-1)!,
        path,
        content: base64Wrapped(content),
        sha: blobSha(content),
        ...this.contentUrls(ctx, r, path, ref, blobSha(content)),
      });
    }
    const prefix = path ? `${path}/` : "";
    const below = [...c.files.keys()].filter((p) => p.startsWith(prefix));
    if (below.length === 0) return notFound(DOC_CONTENTS_GET);
    const children = new Map<string, "file" | "dir">();
    for (const p of below) {
      const restOf = p.slice(prefix.length);
      const i = restOf.indexOf("/");
      children.set(i < 0 ? restOf : restOf.slice(0, i), i < 0 ? "file" : "dir");
    }
    return reply(
      200,
      [...children]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, type]) => {
          const child = prefix + name;
          if (type === "file") return this.fileMeta(ctx, r, child, ref, c.files.get(child)!);
          const sub = new Map(
            [...c.files]
              .filter(([p]) => p.startsWith(`${child}/`))
              .map(([p, b]) => [p.slice(child.length + 1), b] as const),
          );
          const sha = treeSha(sub);
          return {
            name,
            path: child,
            sha,
            size: 0,
            ...this.contentUrls(ctx, r, child, ref, sha, true),
            type: "dir",
          };
        }),
    );
  }

  /**
   * Writes GitHub refuses before looking at the request: an archived repository (403), and a workflow file
   * for a token without the `workflow` scope, which GitHub answers as if the path did not exist (404).
   */
  private writeRefusal(ctx: Ctx, r: StoredRepo, path: string, doc: string): Reply | undefined {
    if (r.archived) return error(403, "Repository was archived so is read-only.", doc);
    if (path.startsWith(".github/workflows/") && !ctx.user!.scopes.includes("workflow"))
      return notFound(doc);
    return undefined;
  }

  private signatures(
    ctx: Ctx,
    body: Record<string, unknown>,
  ): { author: Signature; committer: Signature } {
    const u = ctx.user!;
    const date = now();
    const sig = (v: unknown): Signature | undefined => {
      const o = v as { name?: unknown; email?: unknown; date?: unknown } | undefined;
      if (!o || typeof o.name !== "string" || typeof o.email !== "string") return undefined;
      return {
        name: o.name,
        email: o.email,
        date:
          typeof o.date === "string" && !Number.isNaN(Date.parse(o.date))
            ? new Date(o.date).toISOString().replace(/\.\d{3}Z$/, "Z")
            : date,
      };
    };
    const committer = sig(body.committer) ?? { name: u.login, email: userEmail(u), date };
    return { author: sig(body.author) ?? committer, committer };
  }

  /**
   * What a contents write (PUT or DELETE) checks first, in GitHub's order: a path, the right to write it, a
   * JSON body with a commit message. The refusal, or the body and its message.
   */
  private contentsWrite(
    ctx: Ctx,
    r: StoredRepo,
    path: string,
    doc: string,
  ): { refused: Reply } | { body: Record<string, unknown>; message: string } {
    if (!path) return { refused: notFound(doc) };
    const refused = this.writeRefusal(ctx, r, path, doc);
    if (refused) return { refused };
    const body = this.parseBody(ctx);
    if (!body) return { refused: badJson() };
    if (typeof body.message !== "string" || !body.message)
      return { refused: invalid("message", doc) };
    return { body, message: body.message };
  }

  /** Commits `change` on the target's branch, and records the commit as a write (`method`) of its path. */
  private commitWrite(
    r: StoredRepo,
    method: "PUT" | "DELETE" | "edit",
    { branch, head, path }: ContentsTarget,
    { files, message, author, committer }: ContentsChange,
  ): StoredCommit {
    const c = this.commit(r, branch, head, files, message, author, committer);
    this.commits.push({
      repository: `${r.owner}/${r.name}`,
      branch,
      path,
      message,
      method,
      sha: c.sha,
    });
    return c;
  }

  private putContents(ctx: Ctx, r: StoredRepo, path: string): Reply {
    const w = this.contentsWrite(ctx, r, path, DOC_CONTENTS_PUT);
    if ("refused" in w) return w.refused;
    const { body, message } = w;
    if (typeof body.content !== "string") return invalid("content", DOC_CONTENTS_PUT);
    const branch = typeof body.branch === "string" && body.branch ? body.branch : r.defaultBranch;
    if (!r.branches.has(branch)) return error(404, `Branch ${branch} not found`, DOC_CONTENTS_PUT);
    if (!/^[A-Za-z0-9+/\r\n]*={0,2}[\r\n]*$/.test(body.content))
      return error(422, "content is not valid Base64", DOC_CONTENTS_PUT);
    const head = this.head(r, branch, "PUT");
    const existing = head.files.get(path);
    if (existing) {
      if (typeof body.sha !== "string" || !body.sha) return invalid("sha", DOC_CONTENTS_PUT);
      if (body.sha !== blobSha(existing))
        return error(409, `${path} does not match ${body.sha}`, DOC_CONTENTS_PUT);
    }
    const clash = [...head.files.keys()].find(
      (p) => p.startsWith(`${path}/`) || path.startsWith(`${p}/`),
    );
    if (clash)
      return error(422, `Invalid request.\n\n"${path}" clashes with "${clash}".`, DOC_CONTENTS_PUT);
    const content = Buffer.from(body.content, "base64");
    const files = new Map(head.files).set(path, content);
    const change = { files, message, ...this.signatures(ctx, body) };
    const c = this.commitWrite(r, "PUT", { branch, head, path }, change);
    return reply(existing ? 200 : 201, {
      content: this.fileMeta(ctx, r, path, branch, content),
      commit: this.gitCommitJson(ctx, r, c),
    });
  }

  private deleteContents(ctx: Ctx, r: StoredRepo, path: string): Reply {
    const w = this.contentsWrite(ctx, r, path, DOC_CONTENTS_DELETE);
    if ("refused" in w) return w.refused;
    const { body, message } = w;
    if (typeof body.sha !== "string" || !body.sha) return invalid("sha", DOC_CONTENTS_DELETE);
    const branch = typeof body.branch === "string" && body.branch ? body.branch : r.defaultBranch;
    if (!r.branches.has(branch))
      return error(404, `Branch ${branch} not found`, DOC_CONTENTS_DELETE);
    const head = this.head(r, branch, "DELETE");
    const existing = head.files.get(path);
    if (!existing) return notFound(DOC_CONTENTS_DELETE);
    if (body.sha !== blobSha(existing))
      return error(409, `${path} does not match ${body.sha}`, DOC_CONTENTS_DELETE);
    const files = new Map(head.files);
    files.delete(path);
    const change = { files, message, ...this.signatures(ctx, body) };
    const c = this.commitWrite(r, "DELETE", { branch, head, path }, change);
    return reply(200, { content: null, commit: this.gitCommitJson(ctx, r, c) });
  }

  // ---- commits, branches, refs ----

  private gitCommitJson(ctx: Ctx, r: StoredRepo, c: StoredCommit): Record<string, unknown> {
    const full = `${r.owner}/${r.name}`;
    return {
      sha: c.sha,
      node_id: Buffer.from(`Commit${c.sha}`).toString("base64"),
      url: `${ctx.api}/repos/${full}/git/commits/${c.sha}`,
      html_url: `${ctx.web}/${full}/commit/${c.sha}`,
      author: { ...c.author },
      committer: { ...c.committer },
      message: c.message,
      tree: { sha: c.tree, url: `${ctx.api}/repos/${full}/git/trees/${c.tree}` },
      parents: c.parents.map((p) => ({
        sha: p,
        url: `${ctx.api}/repos/${full}/git/commits/${p}`,
        html_url: `${ctx.web}/${full}/commit/${p}`,
      })),
      verification: {
        verified: false,
        reason: "unsigned",
        signature: null,
        payload: null,
        verified_at: null,
      },
    };
  }

  /** A RepositoryCommit (the commits API's shape); `detail` adds stats and files, as `GET commits/{ref}`. */
  private repositoryCommitJson(
    ctx: Ctx,
    r: StoredRepo,
    c: StoredCommit,
    detail: boolean,
  ): Record<string, unknown> {
    const full = `${r.owner}/${r.name}`;
    const git = this.gitCommitJson(ctx, r, c);
    const account = (s: Signature): Record<string, unknown> | null => {
      const u = [...this.users.values()].find((x) => userEmail(x) === s.email);
      return u ? this.userJson(u) : null;
    };
    const json: Record<string, unknown> = {
      sha: c.sha,
      node_id: git.node_id,
      commit: {
        author: git.author,
        committer: git.committer,
        message: c.message,
        tree: git.tree,
        url: git.url,
        comment_count: 0,
        verification: git.verification,
      },
      url: `${ctx.api}/repos/${full}/commits/${c.sha}`,
      html_url: `${ctx.web}/${full}/commit/${c.sha}`,
      comments_url: `${ctx.api}/repos/${full}/commits/${c.sha}/comments`,
      author: account(c.author),
      committer: account(c.committer),
      parents: c.parents.map((p) => ({
        sha: p,
        url: `${ctx.api}/repos/${full}/commits/${p}`,
        html_url: `${ctx.web}/${full}/commit/${p}`,
      })),
    };
    if (!detail) return json;
    const additions = c.changes.reduce((n, f) => n + f.additions, 0);
    const deletions = c.changes.reduce((n, f) => n + f.deletions, 0);
    json.stats = { total: additions + deletions, additions, deletions };
    json.files = c.changes.map((f) => ({
      sha: f.sha,
      filename: f.filename,
      status: f.status,
      additions: f.additions,
      deletions: f.deletions,
      changes: f.additions + f.deletions,
      blob_url: `${ctx.web}/${full}/blob/${c.sha}/${encodePath(f.filename)}`,
      raw_url: `${ctx.web}/${full}/raw/${c.sha}/${encodePath(f.filename)}`,
      contents_url: `${ctx.api}/repos/${full}/contents/${encodePath(f.filename)}?ref=${c.sha}`,
    }));
    return json;
  }

  private listCommits(ctx: Ctx, r: StoredRepo): Reply {
    const start = ctx.query.get("sha") || r.defaultBranch;
    const head = this.resolve(r, start);
    if (!head) return error(404, `No commit found for SHA: ${start}`, DOC_COMMITS);
    const path = (ctx.query.get("path") ?? "").replace(/^\/+|\/+$/g, "");
    const all: StoredCommit[] = [];
    for (let c: StoredCommit | undefined = head; c; c = r.commits.get(c.parents[0] ?? "")) {
      if (!path || c.changes.some((f) => f.filename === path || f.filename.startsWith(`${path}/`)))
        all.push(c);
    }
    const perPage = Math.min(100, Math.max(1, Number(ctx.query.get("per_page")) || 30));
    const page = Math.max(1, Number(ctx.query.get("page")) || 1);
    const last = Math.max(1, Math.ceil(all.length / perPage));
    const link = (p: number, rel: string): string => {
      const q = new URLSearchParams(ctx.query);
      q.set("page", String(p));
      return `<${ctx.api}/repos/${r.owner}/${r.name}/commits?${q.toString()}>; rel="${rel}"`;
    };
    const links = [
      ...(page > 1 ? [link(page - 1, "prev"), link(1, "first")] : []),
      ...(page < last ? [link(page + 1, "next"), link(last, "last")] : []),
    ];
    return reply(
      200,
      all
        .slice((page - 1) * perPage, page * perPage)
        .map((c) => this.repositoryCommitJson(ctx, r, c, false)),
      links.length ? { link: links.join(", ") } : undefined,
    );
  }

  private getCommit(ctx: Ctx, r: StoredRepo, ref: string): Reply {
    const c = this.resolve(r, ref);
    if (!c) return error(422, `No commit found for SHA: ${ref}`, DOC_COMMIT);
    return reply(200, this.repositoryCommitJson(ctx, r, c, true));
  }

  private branch(ctx: Ctx, r: StoredRepo, name: string): Reply {
    const sha = r.branches.get(name);
    if (!sha) return error(404, "Branch not found", DOC_BRANCH);
    const full = `${r.owner}/${r.name}`;
    return reply(200, {
      name,
      commit: this.repositoryCommitJson(ctx, r, r.commits.get(sha)!, false),
      _links: {
        self: `${ctx.api}/repos/${full}/branches/${encodeURIComponent(name)}`,
        html: `${ctx.web}/${full}/tree/${name}`,
      },
      protected: false,
      protection: {
        enabled: false,
        required_status_checks: { enforcement_level: "off", contexts: [], checks: [] },
      },
      protection_url: `${ctx.api}/repos/${full}/branches/${encodeURIComponent(name)}/protection`,
    });
  }

  private refJson(ctx: Ctx, r: StoredRepo, branch: string): Record<string, unknown> {
    const full = `${r.owner}/${r.name}`;
    const sha = r.branches.get(branch)!;
    return {
      ref: `refs/heads/${branch}`,
      node_id: Buffer.from(`Ref${full}:${branch}`).toString("base64"),
      url: `${ctx.api}/repos/${full}/git/refs/heads/${branch}`,
      object: { sha, type: "commit", url: `${ctx.api}/repos/${full}/git/commits/${sha}` },
    };
  }

  private git(ctx: Ctx, r: StoredRepo, seg: string[]): Reply {
    const [kind, ...rest] = seg;
    if (ctx.method === "GET" && (kind === "ref" || kind === "refs") && rest[0] === "heads") {
      const branch = rest.slice(1).join("/");
      return r.branches.has(branch) ? reply(200, this.refJson(ctx, r, branch)) : notFound();
    }
    if (ctx.method === "GET" && kind === "commits" && rest.length === 1) {
      const c = r.commits.get(rest[0]!);
      return c ? reply(200, this.gitCommitJson(ctx, r, c)) : notFound();
    }
    if (ctx.method === "POST" && kind === "refs" && rest.length === 0) {
      if (r.archived) return error(403, "Repository was archived so is read-only.", DOC_REFS);
      const body = this.parseBody(ctx);
      if (!body) return badJson();
      const ref = typeof body.ref === "string" ? body.ref : "";
      const sha = typeof body.sha === "string" ? body.sha : "";
      if (!ref.startsWith("refs/heads/") || ref === "refs/heads/")
        return error(422, "Reference name must start with refs/heads/ here", DOC_REFS);
      if (!r.commits.has(sha)) return error(422, "Object does not exist", DOC_REFS);
      const branch = ref.slice("refs/heads/".length);
      if (r.branches.has(branch)) return error(422, "Reference already exists", DOC_REFS);
      r.branches.set(branch, sha);
      return reply(201, this.refJson(ctx, r, branch));
    }
    return notFound();
  }

  // ---- issues, labels, deployments (lib/github/client.ts) ----

  private records(ctx: Ctx, repository: string, rest: string[]): Reply {
    const body = this.parseBody(ctx);
    if (!body) return badJson();
    const str = (v: unknown, def = ""): string => (typeof v === "string" ? v : def);
    const path = `/${rest.join("/")}`;
    const m = ctx.method;
    const issues = this.issues.filter((i) => i.repository === repository);
    let g: RegExpExecArray | null;
    if (m === "GET" && path === "/issues") {
      const label = ctx.query.get("labels");
      const state = ctx.query.get("state") ?? "open";
      return reply(
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
    if (m === "POST" && path === "/labels") {
      const name = String(body.name);
      if (this.labels.some((l) => l.repository === repository && l.name === name))
        return reply(422, { message: "Validation Failed", errors: [{ code: "already_exists" }] });
      this.labels.push({ repository, name });
      return reply(201, { name });
    }
    if (m === "POST" && path === "/issues") {
      const i: MockIssue = {
        repository,
        number: issues.length + 1,
        title: String(body.title),
        body: str(body.body),
        labels: (body.labels as string[]) ?? [],
        state: "open",
        comments: [],
      };
      this.issues.push(i);
      return reply(201, { number: i.number });
    }
    if ((g = /^\/issues\/(\d+)$/.exec(path)) && m === "PATCH") {
      const i = issues.find((x) => x.number === Number(g![1]));
      if (!i) return notFound();
      if (typeof body.body === "string") i.body = body.body;
      if (body.state === "open" || body.state === "closed") i.state = body.state;
      return reply(200, { number: i.number });
    }
    if ((g = /^\/issues\/(\d+)\/comments$/.exec(path)) && m === "POST") {
      const i = issues.find((x) => x.number === Number(g![1]));
      if (!i) return notFound();
      i.comments.push(String(body.body));
      return reply(201, {});
    }
    if (m === "POST" && path === "/deployments") {
      const d: MockDeployment = {
        repository,
        id: 1000 + this.deployments.length,
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
      this.deployments.push(d);
      return reply(201, d);
    }
    if (m === "GET" && path === "/deployments") {
      const env = ctx.query.get("environment");
      return reply(
        200,
        [...this.deployments]
          .reverse()
          .filter((d) => d.repository === repository && (!env || d.environment === env)),
      );
    }
    if ((g = /^\/deployments\/(\d+)\/statuses$/.exec(path))) {
      const d = this.deployments.find((x) => x.repository === repository && x.id === Number(g![1]));
      if (!d) return notFound();
      if (m === "POST") {
        d.statuses.push(body as MockDeployment["statuses"][number]);
        return reply(201, body);
      }
      return reply(200, [...d.statuses].reverse());
    }
    return notFound();
  }
}
