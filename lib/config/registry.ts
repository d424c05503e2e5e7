/**
 * The registry settings of `promotion-pipeline:pipeline`: its CA (`registryCA`) and how the generated
 * workflows log in to it (`registryCredentials`).
 */
import type { ProblemCollector } from "../errors";
import { parseCa } from "./ca";
import { DNS_SUBDOMAIN, isRecord, Reader } from "./reader";
import type { CaSource, ObjectRef, RegistryCredentials } from "../types";

/** The host of an `oci://<host>/<path>` URL, e.g. `ghcr.io` or `127.0.0.1:5000`. */
export function registryHostOf(url: string): string {
  return url.replace(/^oci:\/\//, "").split("/")[0] ?? "";
}

/** `oci://host/path` -> host and path. */
export function splitOciUrl(url: string): { registry: string; repository: string } {
  const m = /^oci:\/\/([^/\s]+)\/([^\s@]+)$/.exec(url);
  if (!m) throw new Error(`pipeline url ${url} is not oci://<host>/<path>`);
  return { registry: m[1] as string, repository: m[2] as string };
}

/** The one registry whose login default is the job's GITHUB_TOKEN. */
export const GHCR = "ghcr.io";

/** GitHub Actions secret names: letters, digits and `_`, not starting with a digit. */
export const ACTIONS_SECRET = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Reads `k` of `r` as the name of a GitHub Actions secret: the name's syntax, and no `GITHUB_` prefix (GitHub
 * reserves it, so no repository secret can have that name); `fix` is the fix for the prefix.
 */
export function readActionsSecret(
  c: ProblemCollector,
  r: Reader,
  k: string,
  o: { required: true } | { def: string },
  fix: string,
): string | undefined {
  const v = r.string(k, {
    ...o,
    pattern: ACTIONS_SECRET,
    what: "a GitHub Actions secret name (letters, digits and '_', not starting with a digit)",
  });
  if (v !== undefined && /^GITHUB_/i.test(v)) {
    c.add(
      r.key(k),
      v,
      "starts with GITHUB_, a prefix GitHub reserves: no repository secret can have this name.",
      fix,
    );
    return undefined;
  }
  return v;
}

export function parseRegistryCA(
  c: ProblemCollector,
  key: string,
  raw: unknown,
  source: ObjectRef,
): CaSource | undefined {
  if (raw === undefined || raw === null) return undefined;
  const fix =
    "write { pem: <CA certificate PEM> } (the program declares the Secret) or { secretName: <Secret with key ca.crt in the source's namespace> }.";
  if (!isRecord(raw)) {
    c.add(key, raw, "must be a mapping with pem or secretName.", fix);
    return undefined;
  }
  const r = new Reader(c, key, raw, ["secretName", "pem"]);
  const name = r.string("secretName", {
    pattern: DNS_SUBDOMAIN,
    what: "a Secret name (lower-case letters, digits, '-', '.')",
  });
  const pem = r.string("pem", { what: "the CA certificate in PEM" });
  if (raw.secretName === undefined && raw.pem === undefined) {
    c.add(
      key,
      raw,
      "names no CA: it needs pem or secretName.",
      `${fix} Remove registryCA for a registry with a publicly trusted certificate.`,
    );
    return undefined;
  }
  return parseCa(c, r.key("secretName"), name, r.key("pem"), pem, `${source.name}-registry-ca`);
}

export function parseRegistryCredentials(
  c: ProblemCollector,
  key: string,
  raw: unknown,
): RegistryCredentials | undefined {
  if (raw === undefined || raw === null) return undefined;
  const fix =
    "write registryCredentials: { usernameSecret: REGISTRY_USERNAME, passwordSecret: REGISTRY_PASSWORD } (names of GitHub Actions secrets of the platform repository), github-token (the job's GITHUB_TOKEN as github.actor) or none (the registry needs no login).";
  if (raw === "none") return { mode: "none" };
  if (raw === "github-token") return { mode: "github-token" };
  if (!isRecord(raw)) {
    c.add(key, raw, "is not none, github-token or a mapping of secret names.", fix);
    return undefined;
  }
  const r = new Reader(c, key, raw, ["usernameSecret", "passwordSecret"]);
  const secretName = (k: string): string | undefined =>
    readActionsSecret(
      c,
      r,
      k,
      { required: true },
      "name the secret e.g. REGISTRY_USERNAME / REGISTRY_PASSWORD; for the job's own token write registryCredentials: github-token.",
    );
  const usernameSecret = secretName("usernameSecret");
  const passwordSecret = secretName("passwordSecret");
  if (usernameSecret !== undefined && usernameSecret === passwordSecret) {
    c.add(
      r.key("passwordSecret"),
      passwordSecret,
      "is the same secret as usernameSecret.",
      "name two secrets: one holding the registry user name, one its password or token.",
    );
    return undefined;
  }
  if (usernameSecret === undefined || passwordSecret === undefined) return undefined;
  return { mode: "secrets", usernameSecret, passwordSecret };
}
