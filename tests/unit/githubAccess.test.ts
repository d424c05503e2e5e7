import { strict as assert } from "node:assert";
import {
  accessProblems,
  providerBaseUrl,
  restApiBase,
  type RepositoryTarget,
} from "../../lib/github/access";

const T: RepositoryTarget = {
  api: "https://ghes.example.com/api/v3",
  owner: "platform-team",
  repository: "platform",
};
const WF = ".github/workflows/build-platform-artifact.yaml";
const PATHS = [WF, "kubernetes/validation/platform-validation.canary.yaml"];
const ok = (scopes?: string, body: unknown = { permissions: { push: true } }) => ({
  status: 200,
  ...(scopes !== undefined ? { scopes } : {}),
  body,
});

describe("repository mode pre-flight (lib/github/access.ts)", () => {
  it("derives the REST base and the provider's baseUrl from pipeline.github.url", () => {
    assert.equal(restApiBase("https://github.com"), "https://api.github.com");
    assert.equal(providerBaseUrl("https://github.com"), "https://api.github.com/");
    assert.equal(
      restApiBase("https://ghes.example.com:8443"),
      "https://ghes.example.com:8443/api/v3",
    );
    assert.equal(
      providerBaseUrl("https://ghes.example.com:8443"),
      "https://ghes.example.com:8443/",
    );
  });

  it("passes a classic token with repo and workflow, and a token that reports no scopes", () => {
    assert.deepEqual(accessProblems(T, "github:token", ok("repo, workflow"), PATHS), []);
    assert.deepEqual(accessProblems(T, "GITHUB_TOKEN", ok(), PATHS), []);
  });

  it("names the workflow scope when a classic token lacks it and a workflow file is delivered", () => {
    const [p, ...rest] = accessProblems(T, "github:token", ok("repo, read:org"), PATHS);
    assert.deepEqual(rest, []);
    assert.match(p!, /^github:token: the token lacks the workflow scope/);
    assert.match(p!, /its scopes: repo, read:org/);
    assert.match(p!, /\.github\/workflows\/build-platform-artifact\.yaml/);
    assert.match(p!, /Fix: add the workflow scope/);
    // Without a workflow file among the paths, the workflow scope is not needed.
    assert.deepEqual(accessProblems(T, "github:token", ok("repo"), [PATHS[1]!]), []);
  });

  it("asks for the repo scope when a classic token has none that writes contents", () => {
    const problems = accessProblems(T, "GITHUB_TOKEN", ok("workflow"), PATHS);
    assert.equal(problems.length, 1);
    assert.match(
      problems[0]!,
      /^GITHUB_TOKEN: the token has neither the repo nor the public_repo scope/,
    );
  });

  it("refuses 401, 403 and 404 with the token's source, the request and the permissions to grant", () => {
    const [bad] = accessProblems(T, "github:token", { status: 401 }, PATHS);
    assert.match(
      bad!,
      /^github:token: GitHub rejected the token \(GET https:\/\/ghes\.example\.com\/api\/v3\/repos\/platform-team\/platform: 401 Bad credentials\)/,
    );
    for (const status of [403, 404]) {
      const [p] = accessProblems(T, "GITHUB_TOKEN", { status }, PATHS);
      assert.match(
        p!,
        new RegExp(
          `^GITHUB_TOKEN: the token cannot see platform-team/platform \\(GET .*: ${status}\\)`,
        ),
      );
      assert.match(p!, /Contents: read and write and Workflows: read and write/);
      assert.match(p!, /check pipeline\.owner and pipeline\.repository/);
    }
  });

  it("refuses read-only access and an archived repository", () => {
    const problems = accessProblems(
      T,
      "github:token",
      ok(undefined, { archived: true, permissions: { push: false, pull: true } }),
      PATHS,
    );
    assert.equal(problems.length, 2);
    assert.match(
      problems[0]!,
      /^pipeline\.repository = platform: platform-team\/platform is archived/,
    );
    assert.match(
      problems[1]!,
      /^github:token: the token may read platform-team\/platform but not push to it/,
    );
  });

  it("tells a TLS failure apart from other network errors", () => {
    const [tls] = accessProblems(
      T,
      "github:token",
      { error: "unable to verify the first certificate" },
      PATHS,
    );
    assert.match(tls!, /export SSL_CERT_FILE=<bundle with your GitHub Enterprise Server's CA>/);
    const [net] = accessProblems(
      T,
      "github:token",
      { error: "connect ECONNREFUSED 127.0.0.1:9" },
      PATHS,
    );
    assert.match(net!, /Fix: check pipeline\.github\.url/);
  });
});
