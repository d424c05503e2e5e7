/** `promotion-pipeline:pipeline.github`: the GitHub the integration cluster's Provider dispatches to. */
import type { ProblemCollector } from "../errors";
import {
  checkGithubAddress,
  GITHUB_CA_SECRET_NAME,
  GITHUB_COM,
  githubRepositoryAddress,
} from "../k8s/validation";
import { parseCa } from "./ca";
import { DNS_SUBDOMAIN, Reader, optionalMapping } from "./reader";
import type { GitHubSpec } from "../types";
import { clip } from "../clip";

/**
 * `github: { url, caSecretName?, caPem? }`. notification-controller v1.9.3 addresses the dispatch from the
 * Provider's address alone (internal/notifier/github_helpers.go, `NewGitHubClient`): `parseGitAddress`
 * (internal/notifier/util.go) keeps `<scheme>://<host[:port]>` and takes the WHOLE path, minus a leading
 * `/` and a trailing `.git`, as `owner/repo`, which must split into exactly two parts. So the server URL
 * can carry no path. `createGitHubClient` then returns a plain github.com client when the host is
 * `github.com` (the TLS config is not used), and otherwise go-github's `WithEnterpriseURLs(host, host)`,
 * which appends `/api/v3/` unless the host starts with `api.` or contains `.api.`.
 */
export function parseGitHub(
  c: ProblemCollector,
  key: string,
  value: unknown,
  owner: string | undefined,
  repository: string | undefined,
): GitHubSpec {
  const def: GitHubSpec = { url: GITHUB_COM };
  const raw = optionalMapping(c, key, value, [
    "must be a mapping { url, caSecretName?, caPem? }.",
    "write github: { url: https://github.example.com } for a GitHub Enterprise Server, or remove it for github.com.",
  ]);
  if (!raw) return def;
  const r = new Reader(c, key, raw, ["url", "caSecretName", "caPem"]);
  const text = r.string("url", {
    required: true,
    what: "the GitHub web address, e.g. https://github.example.com",
  });
  const caName = r.string("caSecretName", {
    pattern: DNS_SUBDOMAIN,
    what: "a Secret name (lower-case letters, digits, '-', '.')",
  });
  const caPem = r.string("caPem", { what: "the CA certificate in PEM" });
  const ca = parseCa(
    c,
    r.key("caSecretName"),
    caName,
    r.key("caPem"),
    caPem,
    GITHUB_CA_SECRET_NAME,
  );
  if (text === undefined) return def;
  const urlKey = r.key("url");
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    c.add(
      urlKey,
      text,
      "is not a URL.",
      "write the server's web address, e.g. https://github.example.com.",
    );
    return def;
  }
  const bad = (problem: string, fix: string): GitHubSpec => {
    c.add(urlKey, text, problem, fix);
    return def;
  };
  const base = `https://${u.host}`;
  if (u.protocol !== "https:") {
    return bad(
      "is not https: the Provider sends the dispatch token in an Authorization header, which plain HTTP would expose.",
      `serve GitHub over TLS and write ${base}${ca ? "" : " (with caPem or caSecretName for a private CA)"}.`,
    );
  }
  if (u.username !== "" || u.password !== "") {
    return bad(
      "contains credentials; the token comes from the dispatch token Secret.",
      `write ${base}.`,
    );
  }
  if (u.search !== "" || u.hash !== "") {
    return bad("has a query or fragment.", `write ${base}.`);
  }
  if (u.pathname !== "/" && u.pathname !== "") {
    const parts = u.pathname.split("/").filter(Boolean);
    const ownerRepo =
      parts.length === 2
        ? " It looks like owner/repository: they come from pipeline.owner and pipeline.repository."
        : "";
    return bad(
      `has a path (${clip(u.pathname, { raw: true })}): notification-controller takes everything after the host as owner/repository (parseGitAddress), so a server below a path cannot be addressed.${ownerRepo}`,
      `write only the server, ${base}.`,
    );
  }
  if (/^api\./.test(u.hostname) || u.hostname.includes(".api.")) {
    return bad(
      "is an API host: go-github's WithEnterpriseURLs adds no /api/v3/ to a host starting with api. or containing .api., so the dispatch would miss the Enterprise Server's API.",
      "write the server's web address (the one in a repository's URL), e.g. https://github.example.com.",
    );
  }
  if (u.host === "github.com" && ca) {
    c.add(
      r.key(ca.mode === "pem" ? "caPem" : "caSecretName"),
      ca.mode === "pem" ? caPem : caName,
      "is set for github.com: createGitHubClient builds a plain github.com client and never uses a CA.",
      "remove the CA; it is for a GitHub Enterprise Server with a private certificate.",
    );
    return def;
  }
  if (owner !== undefined && repository !== undefined) {
    try {
      checkGithubAddress(githubRepositoryAddress(owner, repository, base), base);
    } catch (e) {
      return bad(
        `gives a Provider address the controller cannot use: ${clip((e as Error).message, { raw: true })}`,
        "check pipeline.owner, pipeline.repository and github.url.",
      );
    }
  }
  return { url: base, ...(ca ? { ca } : {}) };
}
