/**
 * Every third-party action the generated workflows use, pinned by full commit SHA. The SHAs were read
 * from the actions' own Git repositories (the commit each release tag points at), not typed from memory;
 * to update, resolve the new tag to its commit (`git ls-remote https://github.com/<action> refs/tags/<tag>`,
 * peeling annotated tags) and change both fields together.
 */
import type { ActionRef, Step } from "./model";

/** `action` at commit `sha`, read from the release tag `version`. */
export function pinned(action: string, sha: string, version: string): ActionRef {
  return { action, sha, version };
}

export const CHECKOUT = pinned(
  "actions/checkout",
  "3d3c42e5aac5ba805825da76410c181273ba90b1",
  "v7.0.1",
);

export const SETUP_NODE = pinned(
  "actions/setup-node",
  "820762786026740c76f36085b0efc47a31fe5020",
  "v7.0.0",
);

/** Installs the ORAS CLI release named by ORAS_VERSION (one its v2.0.0 checksum table knows). */
export const SETUP_ORAS = pinned(
  "oras-project/setup-oras",
  "38de303aac69abb66f3e6255b7198bff35f323e3",
  "v2.0.0",
);

/** Installs crane; it also logs crane in to ghcr.io with the job token. */
export const SETUP_CRANE = pinned(
  "imjasonh/setup-crane",
  "6da1ae018866400525525ce74ff892880c099987",
  "v0.5",
);

/**
 * Installs cosign: the release named by COSIGN_VERSION, checked against the installer's own pinned checksums
 * and signatures. v3.10.1 is the last release of the installer's v3 line (whose default is cosign v2); a
 * lightweight tag on this commit (read from the sigstore/cosign-installer repository's refs).
 */
export const COSIGN_INSTALLER = pinned(
  "sigstore/cosign-installer",
  "7e8b541eb2e61bf99390e1afd4be13a184e9ebc5",
  "v3.10.1",
);

/** Tool releases the workflows install; scripts/install-tools.sh builds the same versions for the tests. */
export const ORAS_VERSION = "1.3.1";
export const CRANE_VERSION = "v0.22.1";
export const NODE_VERSION = "24";
/** cosign v2: its signatures are `sha256-<hex>.sig` tags, what source-controller v1.9.3 verifies. */
export const COSIGN_VERSION = "v2.6.5";

/**
 * GHCR retention (deletes package versions the pin allowlist leaves unprotected). v3.1.0 is a
 * lightweight tag on this commit (read from the snok/container-retention-policy repository's refs).
 */
export const CONTAINER_RETENTION_POLICY = pinned(
  "snok/container-retention-policy",
  "d3bdcf5ce9b05f685154e4a16c39233b245e3d53",
  "v3.1.0",
);

/**
 * A job that only runs the delivered CLI against a file of the repository: a sparse checkout of exactly those
 * paths (no credentials kept) and Node.js.
 */
export function sparseCliSteps(paths: readonly string[]): Step[] {
  return [
    {
      name: "Check out",
      uses: CHECKOUT,
      with: {
        "persist-credentials": false,
        "sparse-checkout": paths.join("\n"),
        "sparse-checkout-cone-mode": false,
      },
    },
    { name: "Set up Node.js", uses: SETUP_NODE, with: { "node-version": NODE_VERSION } },
  ];
}

/**
 * Go, for `go install` of the pinned kustomize when the artifact has a kustomization file (v6.5.0, read
 * from the actions/setup-go repository's tags).
 */
export const SETUP_GO = pinned(
  "actions/setup-go",
  "924ae3a1cded613372ab5595356fb5720e22ba16",
  "v6.5.0",
);
/** The Go release setup-go installs for that build (kustomize v5.8.1's go.mod asks for go 1.24). */
export const GO_VERSION = "1.25";
/**
 * kustomize/v5 v5.8.1: the CLI of the kustomize API v0.21.1 that kustomize-controller v1.9.3 builds with;
 * scripts/install-tools.sh builds the same version for the tests.
 */
export const KUSTOMIZE_VERSION = "v5.8.1";
