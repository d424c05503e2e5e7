/**
 * The registry integrity probe (issue 20 item 4): does every artifact that must stay pullable still pull?
 * A registry can keep a tag whose manifest or blobs are gone (an "orphan index" after a half-failed push,
 * a garbage collection that raced a push, a storage fault), and nothing notices until a cluster fails to
 * fetch it.
 *
 * Per artifact: one manifest GET by digest, its bytes re-hashed and compared with the digest (and with the
 * size a parent descriptor names); for an image manifest, a HEAD per blob (config and layers) whose
 * Content-Length and Docker-Content-Digest must match the descriptor. Blobs are NOT downloaded and
 * re-hashed: the registry's HEAD answer is trusted for their digest (a registry that stores a corrupt
 * blob under a right name would pass; pulling it would fail at the client). For an index, each child
 * manifest is checked the same way. Every digest is checked once (a blob shared by all artifacts costs one
 * HEAD), with bounded concurrency; 429 and 5xx are retried by the reader. A manifest or blob the registry
 * refuses after the retries is a problem of that artifact; only a registry that does not answer at all
 * (network, authentication) throws.
 */
import { createHash } from "node:crypto";
import type { AlarmIssueSpec } from "../github/alarmIssue";
import { descriptorOf } from "./manifest";
import { mapLimit, type Descriptor, type Probe } from "./types";

/** What the probe reads; OciRegistryReader implements it. */
export interface IntegrityReader {
  probeManifest(repo: string, ref: string, method?: "GET" | "HEAD"): Promise<Probe>;
  probeBlob(repo: string, digest: string): Promise<Probe>;
}

/** One artifact that must be complete. */
export interface IntegrityTarget {
  /** Manifest digest. */
  readonly digest: string;
  /** How to name it in a report: its tags and why it matters. */
  readonly name: string;
}

export type ProblemKind =
  | "tag-broken"
  | "manifest-missing"
  | "manifest-unreadable"
  | "manifest-digest-mismatch"
  | "manifest-size-mismatch"
  | "manifest-malformed"
  | "blob-missing"
  | "blob-unreadable"
  | "blob-size-mismatch"
  | "blob-digest-mismatch"
  | "signature-missing";

export interface IntegrityProblem {
  readonly kind: ProblemKind;
  /** The artifact (target) it belongs to. */
  readonly artifact: string;
  /** The manifest or blob that is broken. */
  readonly object: string;
  /** One line: what, which, expected vs got. */
  readonly message: string;
}

export interface IntegrityReport {
  /** Sorted by artifact, object, kind. */
  readonly problems: readonly IntegrityProblem[];
  /** Manifests and blobs checked. */
  readonly manifests: number;
  readonly blobs: number;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function hashOf(digest: string, bytes: Buffer): string {
  const alg = digest.startsWith("sha512:") ? "sha512" : "sha256";
  return `${alg}:${createHash(alg).update(bytes).digest("hex")}`;
}

function isIndex(m: Record<string, unknown>, contentType: string | undefined): boolean {
  const t = typeof m.mediaType === "string" ? m.mediaType : contentType;
  return (
    Array.isArray(m.manifests) ||
    t === "application/vnd.oci.image.index.v1+json" ||
    t === "application/vnd.docker.distribution.manifest.list.v2+json"
  );
}

/**
 * Checks `targets` (manifests, their blobs, an index's child manifests). `also` are digests checked as
 * targets of their own, so an index that lists them (the referrers tag-schema index) does not read them
 * twice.
 */
export async function checkArtifacts(
  reader: IntegrityReader,
  repo: string,
  targets: readonly IntegrityTarget[],
  opts: { readonly concurrency?: number } = {},
): Promise<IntegrityReport> {
  const limit = opts.concurrency ?? 8;
  const problems: IntegrityProblem[] = [];
  const own = new Set(targets.map((t) => t.digest));
  const blobProbes = new Map<string, Promise<Probe>>();
  const manifestSeen = new Set<string>();
  let manifests = 0;
  const blobOf = (digest: string): Promise<Probe> => {
    let p = blobProbes.get(digest);
    if (!p) blobProbes.set(digest, (p = reader.probeBlob(repo, digest)));
    return p;
  };
  const problem = (kind: ProblemKind, artifact: string, object: string, message: string): void =>
    void problems.push({ kind, artifact, object, message: `${artifact}: ${message}` });

  async function checkBlob(artifact: string, role: string, d: Descriptor): Promise<void> {
    const p = await blobOf(d.digest);
    const what = `${role} blob ${d.digest}${d.size !== undefined ? ` (${d.size} bytes)` : ""}`;
    switch (p.kind) {
      case "missing":
        problem(
          "blob-missing",
          artifact,
          d.digest,
          `${what} is missing: expected it, got HTTP 404.`,
        );
        return;
      case "error":
        problem("blob-unreadable", artifact, d.digest, `${what} cannot be read: ${p.detail}.`);
        return;
      case "ok":
        if (d.size !== undefined && p.contentLength !== undefined && p.contentLength !== d.size)
          problem(
            "blob-size-mismatch",
            artifact,
            d.digest,
            `${what}: expected ${d.size} bytes, the registry has ${p.contentLength}.`,
          );
        if (p.headerDigest !== undefined && p.headerDigest !== d.digest)
          problem(
            "blob-digest-mismatch",
            artifact,
            d.digest,
            `${what}: the registry answers Docker-Content-Digest ${p.headerDigest}.`,
          );
        return;
      default: {
        const never: never = p;
        throw new Error(`unknown probe ${JSON.stringify(never)}`);
      }
    }
  }

  async function checkManifest(
    artifact: string,
    role: string,
    digest: string,
    size: number | undefined,
  ): Promise<void> {
    if (manifestSeen.has(digest)) return;
    manifestSeen.add(digest);
    manifests++;
    const p = await reader.probeManifest(repo, digest, "GET");
    const what = `${role} ${digest}`;
    if (p.kind === "missing") {
      problem(
        "manifest-missing",
        artifact,
        digest,
        `${what} is missing: expected it, got HTTP 404.`,
      );
      return;
    }
    if (p.kind === "error") {
      problem(
        "manifest-unreadable",
        artifact,
        digest,
        `${what} cannot be read (corrupt in storage?): ${p.detail}.`,
      );
      return;
    }
    const bytes = p.bytes ?? Buffer.alloc(0);
    const got = hashOf(digest, bytes);
    if (got !== digest) {
      problem(
        "manifest-digest-mismatch",
        artifact,
        digest,
        `${what}: the ${bytes.length} bytes the registry serves hash to ${got}, not to ${digest} (truncated or rewritten).`,
      );
      return;
    }
    if (size !== undefined && bytes.length !== size)
      problem(
        "manifest-size-mismatch",
        artifact,
        digest,
        `${what}: expected ${size} bytes (its descriptor), the registry serves ${bytes.length}.`,
      );
    let body: unknown;
    try {
      body = JSON.parse(bytes.toString("utf8"));
    } catch {
      body = undefined;
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      problem("manifest-malformed", artifact, digest, `${what} is not a JSON object.`);
      return;
    }
    const m = body as Record<string, unknown>;
    const children: Promise<void>[] = [];
    const descriptor = (raw: unknown, where: string): Descriptor | undefined => {
      const d = descriptorOf(raw, where);
      if (typeof d === "string") {
        problem("manifest-malformed", artifact, digest, `${what}: ${d}.`);
        return undefined;
      }
      return d;
    };
    if (isIndex(m, p.contentType)) {
      const list = Array.isArray(m.manifests) ? (m.manifests as unknown[]) : [];
      list.forEach((raw, i) => {
        const d = descriptor(raw, `manifests[${i}]`);
        // A child that is a target of its own (a referrer in the tag-schema index) is checked as such.
        if (d && !own.has(d.digest))
          children.push(
            checkManifest(artifact, `manifest (${what} manifests[${i}])`, d.digest, d.size),
          );
      });
    } else {
      if (m.config !== undefined) {
        const d = descriptor(m.config, "config");
        if (d) children.push(checkBlob(artifact, "config", d));
      } else if (m.schemaVersion === 2) {
        problem("manifest-malformed", artifact, digest, `${what} has no config descriptor.`);
      }
      const layers = Array.isArray(m.layers) ? (m.layers as unknown[]) : [];
      layers.forEach((raw, i) => {
        const d = descriptor(raw, `layers[${i}]`);
        if (d) children.push(checkBlob(artifact, `layers[${i}]`, d));
      });
    }
    await Promise.all(children);
  }

  await mapLimit(
    [...targets].sort((a, b) => cmp(a.digest, b.digest)),
    limit,
    (t) => checkManifest(t.name, "manifest", t.digest, undefined),
  );
  problems.sort(
    (a, b) => cmp(a.artifact, b.artifact) || cmp(a.object, b.object) || cmp(a.kind, b.kind),
  );
  return { problems, manifests, blobs: blobProbes.size };
}

/** The label of the one integrity issue the scheduled probe keeps (`promotion verify --issue`). */
export const INTEGRITY_LABEL = "registry-integrity";

/** The probe's issue (lib/github/alarmIssue.ts keeps it in step). */
export const INTEGRITY_ISSUE: AlarmIssueSpec = {
  title: "Registry integrity: a protected artifact is broken",
  marker: "promotion-integrity",
  who: "registry integrity probe",
  footer:
    "This issue is opened, updated and closed by the generated workflow `registry-integrity.yaml` (`promotion verify --policy`); it closes itself when every protected artifact and its signatures are complete again. A broken artifact is not repaired in place: push the version again from its commit (a new RC), or pin the clusters away from it; a missing signature is restored by signing the digest again.",
  cleared:
    "every artifact the pin policy protects, and its signatures, is complete, and the registry is readable.",
  labelColor: "B60205",
  labelDescription: "A protected registry artifact is broken (promotion verify)",
  noun: "integrity issue",
};
