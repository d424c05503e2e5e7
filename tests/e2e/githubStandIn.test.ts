/**
 * The GitHub STAND-IN (tests/support/githubStandIn.ts, the one GitHub double of the test suites) checked on
 * its own, over HTTPS with a CA this test makes, with requests shaped exactly as go-github v88 sends them
 * for terraform-provider-github's `github_repository_file` (paths, query parameters, JSON field names,
 * base64 content, the `/api/v3` prefix of a GitHub Enterprise Server `base_url`). Its SHAs are checked
 * against git itself.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { dirname, join } from "node:path";
import { e2eBox } from "../support/e2eBox";
import { GitHubStandIn, type DispatchRequest } from "../support/githubStandIn";

const OWNER = "example-org";
const REPO = "platform";
const BRANCH = "deploy";
/** Classic tokens: every scope; `repo` without `workflow`; every scope, but for another repository only. */
const TOKEN = {
  full: "ghp_standInFullScopes0000000000000000001",
  noWorkflow: "ghp_standInRepoScopeOnly000000000000002",
  otherRepo: "ghp_standInOtherRepoOnly000000000000003",
};
const PUT_DOC = "https://docs.github.com/rest/repos/contents#create-or-update-file-contents";

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** GitHub's JSON, of many shapes; each test asserts the fields it reads. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly json: any;
}

/** git's own SHA of a blob, for comparison with the double's. */
const gitBlobSha = (content: string): string =>
  execFileSync("git", ["hash-object", "--stdin"], { input: content, encoding: "utf8" }).trim();

/** go-github's []byte encoding (encoding/json: standard base64 with padding). */
const b64 = (s: string): string => Buffer.from(s).toString("base64");

describe("GitHub API STAND-IN (the test double of GitHub's REST API): contents, commits and refs as go-github calls them, over HTTPS", function () {
  const dispatched: DispatchRequest[] = [];
  const box = e2eBox({
    name: "github-stand-in-",
    github: {
      tls: true,
      tokens: [
        { token: TOKEN.full, login: "pulumi-bot" },
        { token: TOKEN.noWorkflow, scopes: ["repo"], login: "reader" },
        { token: TOKEN.otherRepo, repositories: [`${OWNER}/other`], login: "outsider" },
      ],
      onDispatch: (d) => dispatched.push(d),
    },
  });
  let caPem: string;
  let github: GitHubStandIn;

  /** One request as go-github sends it: Bearer token, its Accept and User-Agent, JSON body. */
  function api(
    method: string,
    path: string,
    o: { token?: string | null; body?: unknown; prefix?: string; trust?: boolean } = {},
  ): Promise<Answer> {
    const token = o.token === undefined ? TOKEN.full : o.token;
    const body = o.body === undefined ? undefined : JSON.stringify(o.body);
    const url = new URL(`${github.url}${o.prefix ?? "/api/v3"}${path}`);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ...(o.trust === false ? {} : { ca: caPem }),
          headers: {
            accept: "application/vnd.github.v3+json",
            "user-agent": "go-github/v88.0.0",
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(body
              ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            resolve({
              status: res.statusCode!,
              headers: res.headers,
              json: text ? JSON.parse(text) : undefined,
            });
          });
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  const contents = (path: string, ref?: string): string =>
    `/repos/${OWNER}/${REPO}/contents/${path
      .split("/")
      .map(encodeURIComponent)
      .join("/")}${ref === undefined ? "" : `?ref=${encodeURIComponent(ref)}`}`;

  /** What the provider's Create/Update sends (RepositoryContentFileOptions). */
  const put = (
    path: string,
    content: string,
    extra: Record<string, unknown> = {},
    token?: string,
  ) =>
    api("PUT", contents(path), {
      ...(token ? { token } : {}),
      body: { message: `Add ${path}`, content: b64(content), branch: BRANCH, ...extra },
    });

  before(function () {
    ({ github } = box);
    caPem = box.githubCa.pem;
    github.repository(OWNER, REPO, { branches: [BRANCH], files: { "README.md": "platform\n" } });
    github.repository(OWNER, "other");
  });

  it("serves HTTPS only to clients that trust the test CA; GET /user and GET /orgs/{owner} answer the provider's configure step", async () => {
    assert.match(github.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    await assert.rejects(api("GET", "/user", { trust: false }), (e: NodeJS.ErrnoException) =>
      /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(String(e.code)),
    );
    const user = await api("GET", "/user");
    assert.equal(user.status, 200);
    assert.equal(user.json.login, "pulumi-bot");
    const org = await api("GET", `/orgs/${OWNER}`);
    assert.deepEqual([org.status, org.json.login, org.json.type], [200, OWNER, "Organization"]);
    assert.equal(
      (await api("GET", "/orgs/pulumi-bot")).status,
      404,
      "a user is not an organization",
    );
  });

  it("answers the same at the root (api.github.com style) and under /api/v3 (GHES style)", async () => {
    const root = await api("GET", `/repos/${OWNER}/${REPO}`, { prefix: "" });
    const ghes = await api("GET", `/repos/${OWNER}/${REPO}`);
    assert.equal(root.status, 200);
    assert.equal(ghes.status, 200);
    for (const r of [root, ghes]) {
      assert.deepEqual(
        [r.json.id, r.json.name, r.json.full_name, r.json.default_branch, r.json.archived],
        [root.json.id, REPO, `${OWNER}/${REPO}`, "main", false],
      );
    }
    assert.equal(ghes.json.url, `${github.url}/api/v3/repos/${OWNER}/${REPO}`);
    assert.equal(root.json.url, `${github.url}/repos/${OWNER}/${REPO}`);
  });

  it("401 without a token or with an unknown one; X-OAuth-Scopes lists the token's scopes", async () => {
    const none = await api("GET", `/repos/${OWNER}/${REPO}`, { token: null });
    assert.equal(none.status, 401);
    assert.equal(none.json.message, "Requires authentication");
    const bad = await api("GET", `/repos/${OWNER}/${REPO}`, { token: "ghp_unknown" });
    assert.equal(bad.status, 401);
    assert.deepEqual(bad.json, {
      message: "Bad credentials",
      documentation_url: "https://docs.github.com/rest",
      status: "401",
    });
    assert.equal(bad.headers["x-oauth-scopes"], undefined);
    const full = await api("GET", `/repos/${OWNER}/${REPO}`);
    assert.equal(full.headers["x-oauth-scopes"], "repo, workflow");
    const narrow = await api("GET", `/repos/${OWNER}/${REPO}`, { token: TOKEN.noWorkflow });
    assert.equal(narrow.headers["x-oauth-scopes"], "repo");
  });

  it("a token without access to the repository gets 404 for it and its contents, and sees its own", async () => {
    const r = await api("GET", `/repos/${OWNER}/${REPO}`, { token: TOKEN.otherRepo });
    assert.equal(r.status, 404);
    assert.equal(r.json.message, "Not Found");
    assert.equal((await api("GET", contents("README.md"), { token: TOKEN.otherRepo })).status, 404);
    assert.equal(
      (await api("GET", `/repos/${OWNER}/other`, { token: TOKEN.otherRepo })).status,
      200,
    );
  });

  const POLICY = ".github/promotion/pins-policy.yaml";

  it("create: PUT without sha makes the file in one commit on the branch; GET ?ref= returns it base64 with git's blob SHA", async () => {
    const parent = github.headSha(OWNER, REPO, BRANCH);
    const before = (await api("GET", contents(POLICY, BRANCH))).json;
    assert.deepEqual(before, {
      message: "Not Found",
      documentation_url: "https://docs.github.com/rest/repos/contents#get-repository-content",
      status: "404",
    });
    const content = "keep:\n  - 0.0.1\n";
    const created = await put(POLICY, content, { message: "Deliver the pins policy" });
    assert.equal(created.status, 201);
    assert.equal(created.json.content.sha, gitBlobSha(content));
    assert.equal(created.json.content.path, POLICY);
    assert.equal(created.json.commit.message, "Deliver the pins policy");
    assert.deepEqual(
      created.json.commit.parents.map((p: { sha: string }) => p.sha),
      [parent],
    );
    assert.equal(created.json.commit.author.name, "pulumi-bot");
    assert.equal(github.headSha(OWNER, REPO, BRANCH), created.json.commit.sha);

    const got = await api("GET", contents(POLICY, BRANCH));
    assert.equal(got.status, 200);
    assert.deepEqual(
      [got.json.type, got.json.encoding, got.json.name, got.json.path, got.json.size, got.json.sha],
      ["file", "base64", "pins-policy.yaml", POLICY, content.length, gitBlobSha(content)],
    );
    assert.equal(Buffer.from(got.json.content, "base64").toString("utf8"), content);
    // The provider reads `ref` back out of the url's query (resource_github_repository_file.go).
    assert.equal(new URL(got.json.url).searchParams.get("ref"), BRANCH);
    assert.equal(github.file(OWNER, REPO, BRANCH, POLICY), content);
    assert.equal(github.file(OWNER, REPO, "main", POLICY), undefined, "main is untouched");
    assert.equal((await api("GET", contents(POLICY))).status, 404, "no ref: the default branch");
    assert.deepEqual(github.commits.at(-1), {
      repository: `${OWNER}/${REPO}`,
      branch: BRANCH,
      path: POLICY,
      message: "Deliver the pins policy",
      method: "PUT",
      sha: created.json.commit.sha,
    });
  });

  it("update: a PUT of an existing file without sha is 422, with a wrong sha 409, with the current sha 200", async () => {
    const old = github.file(OWNER, REPO, BRANCH, POLICY)!;
    const commits = github.commits.length;
    const missing = await put(POLICY, "keep: []\n");
    assert.equal(missing.status, 422);
    assert.deepEqual(missing.json, {
      message: 'Invalid request.\n\n"sha" wasn\'t supplied.',
      documentation_url: PUT_DOC,
      status: "422",
    });
    const wrongSha = gitBlobSha("something else\n");
    const wrong = await put(POLICY, "keep: []\n", { sha: wrongSha });
    assert.equal(wrong.status, 409);
    assert.deepEqual(wrong.json, {
      message: `${POLICY} does not match ${wrongSha}`,
      documentation_url: PUT_DOC,
      status: "409",
    });
    assert.equal(github.commits.length, commits, "refused writes commit nothing");
    assert.equal(github.file(OWNER, REPO, BRANCH, POLICY), old);

    const right = await put(POLICY, "keep: []\n", {
      sha: gitBlobSha(old),
      message: "Update policy",
    });
    assert.equal(right.status, 200);
    assert.equal(right.json.content.sha, gitBlobSha("keep: []\n"));
    assert.equal(github.file(OWNER, REPO, BRANCH, POLICY), "keep: []\n");
    assert.equal(github.commits.length, commits + 1);
  });

  it("GET by ref: a branch, a commit SHA (the content then), the default branch; an unknown ref is 404; a directory lists its entries", async () => {
    const history = await api(
      "GET",
      `/repos/${OWNER}/${REPO}/commits?sha=${BRANCH}&path=${encodeURIComponent(POLICY)}`,
    );
    const firstSha = history.json.at(-1).sha as string;
    const then = await api("GET", contents(POLICY, firstSha));
    assert.equal(Buffer.from(then.json.content, "base64").toString(), "keep:\n  - 0.0.1\n");
    const readme = await api("GET", contents("README.md"));
    assert.equal(Buffer.from(readme.json.content, "base64").toString(), "platform\n");
    assert.equal(new URL(readme.json.url).searchParams.get("ref"), "main");
    const unknown = await api("GET", contents("README.md", "no-such-branch"));
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.message, "No commit found for the ref no-such-branch");
    const listing = await api("GET", contents(".github", BRANCH));
    assert.deepEqual(
      listing.json.map((e: { type: string; path: string }) => [e.type, e.path]),
      [["dir", ".github/promotion"]],
    );
  });

  it("commits: listing by path and branch is newest first and only what touched the path; GET commits/{sha} names the file; per_page paginates with Link", async () => {
    const list = await api(
      "GET",
      `/repos/${OWNER}/${REPO}/commits?path=${encodeURIComponent(POLICY)}&sha=${BRANCH}`,
    );
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.json.map((c: { commit: { message: string } }) => c.commit.message),
      ["Update policy", "Deliver the pins policy"],
    );
    assert.equal(list.json[0].sha, github.headSha(OWNER, REPO, BRANCH));
    assert.equal(list.headers.link, undefined, "one page");
    const detail = await api("GET", `/repos/${OWNER}/${REPO}/commits/${list.json[0].sha}`);
    assert.equal(detail.status, 200);
    assert.deepEqual(
      detail.json.files.map((f: { filename: string; status: string }) => [f.filename, f.status]),
      [[POLICY, "modified"]],
    );
    assert.deepEqual(
      [detail.json.commit.committer.name, detail.json.commit.message],
      ["pulumi-bot", "Update policy"],
    );
    assert.match(detail.json.commit.committer.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const page1 = await api("GET", `/repos/${OWNER}/${REPO}/commits?sha=${BRANCH}&per_page=1`);
    assert.equal(page1.json.length, 1);
    const next = /<([^>]+)>; rel="next"/.exec(String(page1.headers.link));
    assert.ok(next, `no rel="next" in ${String(page1.headers.link)}`);
    assert.equal(new URL(next[1]!).searchParams.get("page"), "2");
    const page2 = await api(
      "GET",
      `/repos/${OWNER}/${REPO}/commits?sha=${BRANCH}&per_page=1&page=2`,
    );
    assert.equal(page2.json[0].commit.message, "Deliver the pins policy");

    const bad = await api("GET", `/repos/${OWNER}/${REPO}/commits/${"0".repeat(40)}`);
    assert.equal(bad.status, 422);
  });

  it("a file edited by hand is a new commit; a PUT with the sha the provider remembers then conflicts (409)", async () => {
    const remembered = gitBlobSha(github.file(OWNER, REPO, BRANCH, POLICY)!);
    const sha = github.editFile(OWNER, REPO, BRANCH, POLICY, "keep: [edited]\n");
    assert.equal(github.headSha(OWNER, REPO, BRANCH), sha);
    assert.equal(github.commits.at(-1)!.method, "edit");
    const got = await api("GET", contents(POLICY, BRANCH));
    assert.equal(got.json.sha, gitBlobSha("keep: [edited]\n"));
    const stale = await put(POLICY, "keep: []\n", { sha: remembered });
    assert.equal(stale.status, 409);
    const restored = await put(POLICY, "keep: []\n", { sha: got.json.sha });
    assert.equal(restored.status, 200);
  });

  it("DELETE: without sha 422, wrong sha 409, right sha 200 with content null; the file is gone and the commit lists it removed", async () => {
    const sha = gitBlobSha(github.file(OWNER, REPO, BRANCH, POLICY)!);
    // go-github's DeleteFile body: RepositoryContentFileOptions (content null, branch, message, sha).
    const del = (extra: Record<string, unknown>) =>
      api("DELETE", contents(POLICY), {
        body: { message: `Delete ${POLICY}`, content: null, branch: BRANCH, ...extra },
      });
    const missing = await del({});
    assert.equal(missing.status, 422);
    assert.equal(missing.json.message, 'Invalid request.\n\n"sha" wasn\'t supplied.');
    const wrong = await del({ sha: "1".repeat(40) });
    assert.equal(wrong.status, 409);
    assert.equal(wrong.json.message, `${POLICY} does not match ${"1".repeat(40)}`);
    assert.equal(github.file(OWNER, REPO, BRANCH, POLICY), "keep: []\n");
    const ok = await del({ sha });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.content, null);
    assert.equal(ok.json.commit.message, `Delete ${POLICY}`);
    assert.equal(github.file(OWNER, REPO, BRANCH, POLICY), undefined);
    assert.equal((await api("GET", contents(POLICY, BRANCH))).status, 404);
    const detail = await api("GET", `/repos/${OWNER}/${REPO}/commits/${ok.json.commit.sha}`);
    assert.deepEqual(
      detail.json.files.map((f: { filename: string; status: string }) => [f.filename, f.status]),
      [[POLICY, "removed"]],
    );
    assert.equal(github.commits.at(-1)!.method, "DELETE");
    assert.equal((await del({ sha })).status, 404, "deleting a missing file");
  });

  it("workflows need the `workflow` scope: GitHub's bare 404 on PUT and DELETE for a token without it (it still reads the file), and nothing committed", async () => {
    const path = ".github/workflows/promote.yaml";
    const commits = github.commits.length;
    const refused = await put(path, "on: push\n", {}, TOKEN.noWorkflow);
    assert.equal(refused.status, 404);
    assert.deepEqual(refused.json, {
      message: "Not Found",
      documentation_url: PUT_DOC,
      status: "404",
    });
    assert.equal(refused.headers["x-oauth-scopes"], "repo");
    assert.equal(github.commits.length, commits);
    assert.equal(github.file(OWNER, REPO, BRANCH, path), undefined);
    assert.equal((await put(path, "on: push\n")).status, 201, "the token with the scope writes");
    const read = await api("GET", contents(path, BRANCH), { token: TOKEN.noWorkflow });
    assert.equal(read.status, 200, "the token without the scope still reads the workflow file");
    assert.equal(Buffer.from(read.json.content, "base64").toString(), "on: push\n");
    const sha = gitBlobSha("on: push\n");
    const update = await put(path, "on: pull_request\n", { sha }, TOKEN.noWorkflow);
    assert.deepEqual([update.status, update.json.message], [404, "Not Found"], "an update too");
    const delRefused = await api("DELETE", contents(path), {
      token: TOKEN.noWorkflow,
      body: { message: "Delete", branch: BRANCH, sha },
    });
    assert.deepEqual(delRefused.json, {
      message: "Not Found",
      documentation_url: "https://docs.github.com/rest/repos/contents#delete-a-file",
      status: "404",
    });
    assert.equal(delRefused.status, 404);
    assert.equal(github.file(OWNER, REPO, BRANCH, path), "on: push\n");
    assert.equal(github.commits.length, commits + 1, "only the scoped token's write committed");
    const other = await put(".github/promotion/cli.mjs", "x\n", {}, TOKEN.noWorkflow);
    assert.equal(other.status, 201, "outside .github/workflows the repo scope is enough");
  });

  it("branches and git refs: GET branches/{b} gives the head commit, a missing one 404 'Branch not found'; GET git/ref; POST git/refs makes a branch", async () => {
    const b = await api("GET", `/repos/${OWNER}/${REPO}/branches/${BRANCH}`);
    assert.equal(b.status, 200);
    assert.deepEqual(
      [b.json.name, b.json.commit.sha],
      [BRANCH, github.headSha(OWNER, REPO, BRANCH)],
    );
    const missing = await api("GET", `/repos/${OWNER}/${REPO}/branches/nope`);
    assert.deepEqual([missing.status, missing.json.message], [404, "Branch not found"]);
    const ref = await api("GET", `/repos/${OWNER}/${REPO}/git/ref/heads/main`);
    assert.deepEqual(
      [ref.json.ref, ref.json.object.sha, ref.json.object.type],
      ["refs/heads/main", github.headSha(OWNER, REPO, "main"), "commit"],
    );
    const made = await api("POST", `/repos/${OWNER}/${REPO}/git/refs`, {
      body: { ref: "refs/heads/feature/x", sha: ref.json.object.sha },
    });
    assert.equal(made.status, 201);
    assert.equal(github.file(OWNER, REPO, "feature/x", "README.md"), "platform\n");
    const branch = await api(
      "GET",
      `/repos/${OWNER}/${REPO}/branches/${encodeURIComponent("feature/x")}`,
    );
    assert.equal(branch.status, 200);
    const again = await api("POST", `/repos/${OWNER}/${REPO}/git/refs`, {
      body: { ref: "refs/heads/feature/x", sha: ref.json.object.sha },
    });
    assert.deepEqual([again.status, again.json.message], [422, "Reference already exists"]);
    const noBranch = await put("x.txt", "x\n", { branch: "nope" });
    assert.equal(noBranch.status, 404);
  });

  it("blob, tree and commit SHAs are git's own (checked with git write-tree and git hash-object)", async () => {
    const head = await api("GET", `/repos/${OWNER}/${REPO}/commits/${BRANCH}`);
    const c = head.json.commit;
    const work = join(box.work, "git-check");
    mkdirSync(work);
    execFileSync("git", ["init", "-q"], { cwd: work });
    for (const [path, content] of Object.entries(github.files(OWNER, REPO, BRANCH))) {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      writeFileSync(join(work, path), content);
    }
    execFileSync("git", ["add", "-A"], { cwd: work });
    const tree = execFileSync("git", ["write-tree"], { cwd: work, encoding: "utf8" }).trim();
    assert.equal(c.tree.sha, tree);
    const sig = (s: { name: string; email: string; date: string }): string =>
      `${s.name} <${s.email}> ${Date.parse(s.date) / 1000} +0000`;
    const text =
      `tree ${c.tree.sha}\n` +
      head.json.parents.map((p: { sha: string }) => `parent ${p.sha}\n`).join("") +
      `author ${sig(c.author)}\ncommitter ${sig(c.committer)}\n\n${c.message}\n`;
    const sha = execFileSync("git", ["hash-object", "-t", "commit", "--stdin"], {
      input: text,
      encoding: "utf8",
    }).trim();
    assert.equal(head.json.sha, sha);
  });

  it("records every request with method, path, query, status and token", async () => {
    const n = github.requests.length;
    await api("GET", contents("README.md", BRANCH));
    await api("GET", contents("README.md"), { token: "ghp_unknown" });
    assert.deepEqual(
      github.requests.slice(n).map((r) => [r.method, r.path, r.query, r.status, r.token]),
      [
        [
          "GET",
          `/api/v3/repos/${OWNER}/${REPO}/contents/README.md`,
          { ref: BRANCH },
          200,
          TOKEN.full,
        ],
        ["GET", `/api/v3/repos/${OWNER}/${REPO}/contents/README.md`, {}, 401, "ghp_unknown"],
      ],
    );
    assert.ok(github.calls.includes(`GET /api/v3/repos/${OWNER}/${REPO}/contents/README.md`));
  });

  it("keeps the other doubles' routes: repository_dispatch (handed to onDispatch), webhooks, deployments", async () => {
    const d = await api("POST", `/repos/${OWNER}/${REPO}/dispatches`, {
      body: { event_type: "promote", client_payload: { revision: "r1" } },
    });
    assert.equal(d.status, 204);
    assert.deepEqual(
      dispatched.map((x) => [x.owner, x.repo, x.eventType, x.clientPayload, x.token]),
      [[OWNER, REPO, "promote", { revision: "r1" }, TOKEN.full]],
    );
    const refused = await api("POST", `/repos/${OWNER}/${REPO}/dispatches`, {
      token: "ghp_unknown",
      body: { event_type: "promote" },
    });
    assert.equal(refused.status, 401);
    assert.deepEqual(
      github.dispatches.map((x) => x.status),
      [204, 401],
    );
    assert.equal(github.accepted().length, 1);
    assert.equal(
      (await api("POST", "/hooks/reference", { prefix: "", body: { message: "hi" } })).status,
      200,
    );
    assert.deepEqual(github.hooks.at(-1)!.body, { message: "hi" });
    const dep = await api("POST", `/repos/${OWNER}/${REPO}/deployments`, {
      prefix: "",
      body: { ref: "abc", environment: "live", task: "deploy:promotion", payload: { a: 1 } },
    });
    assert.equal(dep.status, 201);
    assert.deepEqual(
      github.deployments.map((x) => [x.repository, x.environment, x.ref, x.task]),
      [[`${OWNER}/${REPO}`, "live", "abc", "deploy:promotion"]],
    );
  });

  it("without tls it serves plain HTTP on 127.0.0.1", async () => {
    const plain = await GitHubStandIn.start({ tokens: ["t0"], repositories: [`${OWNER}/${REPO}`] });
    try {
      assert.match(plain.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${plain.url}/repos/${OWNER}/${REPO}`, {
        headers: { authorization: "token t0" },
      });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { default_branch: string }).default_branch, "main");
    } finally {
      await plain.stop();
    }
  });
});
