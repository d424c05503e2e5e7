/**
 * Repository mode's pre-flight: before the owner stack registers a single resource, one authenticated
 * `GET /repos/<owner>/<repository>` tells whether the github provider's token can write the files it is
 * about to commit. GitHub itself answers a classic token that lacks the `workflow` scope with a bare 404 on
 * `PUT .../contents/.github/workflows/...`, half way through `pulumi up` (octokit/octokit.rb#1184,
 * integrations/terraform-provider-github#762; GitHub declined to make it a 403, github/docs#4770); the
 * pre-flight names the missing permission instead, and nothing has been changed yet.
 *
 * What can be known in advance: a classic token's scopes (`X-OAuth-Scopes` on every response) and the
 * caller's `permissions.push` on the repository. A fine-grained token or a GitHub App token reports no
 * scopes; its Workflows permission shows only when the write is refused.
 *
 * The decision (`accessProblems`) is pure; `probeRepository` makes the one request, trusting what the github
 * provider (Go) trusts: the file in SSL_CERT_FILE when set, else the usual public roots.
 */
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { rootCertificates } from "node:tls";

/** Where the provider's token came from, named in every message. */
export type TokenSource = "github:token" | "GITHUB_TOKEN";

export interface RepositoryTarget {
  /** REST API base, e.g. `https://api.github.com` or `https://ghes.example.com/api/v3`. */
  readonly api: string;
  readonly owner: string;
  readonly repository: string;
}

/** What `GET /repos/<owner>/<repository>` answered (or why it could not be asked). */
export type ProbeResult =
  | {
      readonly status: number;
      /** `X-OAuth-Scopes`: present for classic tokens only. */
      readonly scopes?: string;
      readonly body?: unknown;
    }
  | { readonly error: string };

/** The REST API base of a github.url (`https://github.com` or a GHES web address without a path). */
export function restApiBase(githubUrl: string): string {
  const u = new URL(githubUrl);
  return u.host === "github.com" ? "https://api.github.com" : `${u.origin}/api/v3`;
}

/** The github provider's `baseUrl` for the same server (the provider appends `api/v3/` for a GHES host). */
export function providerBaseUrl(githubUrl: string): string {
  const u = new URL(githubUrl);
  return u.host === "github.com" ? "https://api.github.com/" : `${u.origin}/`;
}

const WORKFLOWS = /^\.github\/workflows\//;

const record = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;

/**
 * Problems that would make repository mode fail, each with the key, what GitHub said and the fix. Empty when
 * the token may write every path in `paths` (as far as GitHub lets a client know in advance).
 */
export function accessProblems(
  target: RepositoryTarget,
  source: TokenSource,
  result: ProbeResult,
  paths: readonly string[],
): string[] {
  const repo = `${target.owner}/${target.repository}`;
  const where = `GET ${target.api}/repos/${repo}`;
  const access =
    "a fine-grained token or GitHub App needs Contents: read and write" +
    (paths.some((p) => WORKFLOWS.test(p)) ? " and Workflows: read and write" : "") +
    "; a classic token the repo" +
    (paths.some((p) => WORKFLOWS.test(p)) ? " and workflow scopes" : " scope");
  if ("error" in result) {
    const tls = /certificate|self[- ]signed|unable to verify|CERT_|UNABLE_TO/i.test(result.error);
    return [
      `${where} failed: ${result.error}. ` +
        (tls
          ? "Fix: the github provider trusts the system roots or the bundle in SSL_CERT_FILE; export SSL_CERT_FILE=<bundle with your GitHub Enterprise Server's CA> for pulumi."
          : "Fix: check pipeline.github.url and that this machine reaches the GitHub API."),
    ];
  }
  const { status } = result;
  if (status === 401)
    return [
      `${source}: GitHub rejected the token (${where}: 401 Bad credentials). Fix: set a valid token (pulumi config set --secret github:token <token>, or GITHUB_TOKEN); ${access}.`,
    ];
  if (status === 403 || status === 404)
    return [
      `${source}: the token cannot see ${repo} (${where}: ${status}). Fix: give it access to the repository (${access}), or check pipeline.owner and pipeline.repository.`,
    ];
  if (status !== 200)
    return [`${where} answered ${status}. Fix: retry; if it persists, check GitHub's status.`];
  const problems: string[] = [];
  const body = record(result.body) ?? {};
  if (body["archived"] === true)
    problems.push(
      `pipeline.repository = ${target.repository}: ${repo} is archived, so no file can be written. Fix: unarchive it or point pipeline.repository at the platform repository.`,
    );
  const permissions = record(body["permissions"]);
  if (permissions && permissions["push"] === false)
    problems.push(
      `${source}: the token may read ${repo} but not push to it (permissions.push is false). Fix: ${access}.`,
    );
  if (result.scopes !== undefined) {
    const scopes = new Set(
      result.scopes
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== ""),
    );
    const workflows = paths.filter((p) => WORKFLOWS.test(p));
    if (workflows.length > 0 && !scopes.has("workflow"))
      problems.push(
        `${source}: the token lacks the workflow scope (its scopes: ${[...scopes].join(", ") || "none"}), which GitHub requires to create or update ${workflows.join(", ")}. Fix: add the workflow scope to the token (classic), or use a fine-grained token with Contents and Workflows: read and write.`,
      );
    if (!scopes.has("repo") && !scopes.has("public_repo"))
      problems.push(
        `${source}: the token has neither the repo nor the public_repo scope (its scopes: ${[...scopes].join(", ") || "none"}), so it cannot write contents. Fix: add the repo scope.`,
      );
  }
  return problems;
}

/** The trust the github provider has: SSL_CERT_FILE when set (Go reads only that file then), else public roots. */
function trustedRoots(env: NodeJS.ProcessEnv): string[] {
  const file = env["SSL_CERT_FILE"];
  return file ? [readFileSync(file, "utf8")] : [...rootCertificates];
}

/** One authenticated `GET /repos/<owner>/<repository>`; never throws, never logs the token. */
export function probeRepository(
  target: RepositoryTarget,
  token: string,
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 30_000,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let ca: string[];
    try {
      ca = trustedRoots(env);
    } catch (e) {
      resolve({ error: `SSL_CERT_FILE cannot be read (${(e as Error).message})` });
      return;
    }
    const url = new URL(`${target.api}/repos/${target.owner}/${target.repository}`);
    if (url.protocol !== "https:") {
      resolve({ error: `${url.origin} is not https` });
      return;
    }
    const req = request(
      url,
      {
        method: "GET",
        ca,
        timeout: timeoutMs,
        headers: {
          authorization: `Bearer ${token}`,
          accept: "application/vnd.github+json",
          "user-agent": "promotion-pipeline",
          "x-github-api-version": "2022-11-28",
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch {
            body = undefined;
          }
          const scopes = res.headers["x-oauth-scopes"];
          resolve({
            status: res.statusCode ?? 0,
            ...(typeof scopes === "string" ? { scopes } : {}),
            body,
          });
        });
        res.on("error", (e) => resolve({ error: e.message }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (e) => resolve({ error: e.message }));
    req.end();
  });
}
