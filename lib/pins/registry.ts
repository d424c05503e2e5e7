/**
 * The registry reads behind `promotion pins`: the tag -> digest listing the allowlist is computed from,
 * without a manifest HEAD per tag. A registry after years of builds holds tens of thousands of tags; only
 * the tags whose digest decides protection need one.
 *
 * - `packages`: ghcr.io with a token: the GitHub Packages API lists every version (a digest) with its
 *   tags, 100 per page; the OCI tag listing is still read, and a tag the API did not show (pushed between
 *   the two reads) gets a HEAD of its own.
 * - `selective`: any registry whose reader can read manifests. Phase 1 runs the allowlist on the tag names
 *   alone (every tag on a digest of its own), which yields the tags that decide protection: each
 *   cluster's selection, pinned and floating tags, the stable window, the pending RCs. Those, and every
 *   tag outside the build's naming scheme (X.Y.Z, X.Y.Z-rc.N, sha-/integration-/validated-<7>), get a
 *   HEAD. Each protected digest's manifest then names its build (`org.opencontainers.image.revision` and
 *   `.version`), which gives the other tags a digest of the pipeline can carry: its RC, sha-<7>,
 *   integration-<7>, validated-<7> and X.Y.Z; those get a HEAD too. A protected digest whose manifest
 *   lacks the annotations (not built by the build workflow) switches to `exhaustive`. Every other tag
 *   stands in with a placeholder digest that never equals a real one and can never be protected.
 * - `exhaustive`: a HEAD per tag (readers without manifest access, or `--exhaustive`).
 * Then, in every mode, the signatures of what is protected (lib/pins/allowlist.ts protects them with
 * their subject): cosign's `sha256-<hex>.sig|.att|.sbom` tags are found in the listing by name (a HEAD
 * each only in `selective` mode, and only for tags that exist); the OCI 1.1 referrers cost one request per
 * protected digest (`GET /v2/<name>/referrers/<digest>`; after the registry answers 404 once, the API is
 * known to be unsupported and is not asked again), plus one GET of the referrers tag-schema index
 * (`sha256-<hex>`) where the listing has one. Repeated for the artifacts found (a signed attestation)
 * until nothing new is protected.
 * All with bounded concurrency; any failure throws (the CLI prints nothing: fail closed).
 */
import { isSignatureTag, protectedTags, signatureTagsOf } from "./allowlist";
import { expandPolicy, type PinsPolicy } from "./policy";
import { PackagesUnavailable } from "../registry/ghcrPackages";
import { commitOfRevision, OCI_REVISION, OCI_VERSION } from "../registry/annotations";
import { indexDescriptors } from "../registry/manifest";
import {
  mapLimit,
  RegistryError,
  type Descriptor,
  type ManifestInfo,
  type RegistryReader,
} from "../registry/types";

export type PinsReadMode = "packages" | "selective" | "exhaustive";

export interface PinsRead {
  /** Every tag of the repository with its digest, or a placeholder for a tag that cannot matter. */
  readonly tags: Map<string, string>;
  readonly mode: PinsReadMode;
  /** Tags listed, digests read by HEAD, manifests read by GET: for reports and the benchmark. */
  readonly listed: number;
  readonly heads: number;
  readonly manifests: number;
  /** Why the Packages API was not used, when it was asked for. */
  readonly note?: string;
  /** Subject digest -> its OCI 1.1 referrers, for every protected digest that has some. */
  readonly referrers: Map<string, readonly Descriptor[]>;
  /** Referrers API requests made (one per protected digest at most). */
  readonly referrerRequests: number;
}

export interface PinsReadOptions {
  /** Requests in flight at once (default 8). */
  readonly concurrency?: number;
  /** HEAD every tag (today's behaviour): for a registry whose tags do not follow the build's scheme. */
  readonly exhaustive?: boolean;
  /** ghcr.io: digest -> tags of every package version (GitHub Packages API). */
  readonly packageVersions?: () => Promise<Map<string, string[]>>;
  /** A manifest by digest, undefined when the registry has none (defaults to reader.manifestOf). */
  readonly manifestIfExists?: (digest: string) => Promise<ManifestInfo | undefined>;
}

const PLACEHOLDER = "unread:";
/** Signatures of signatures of ...: a real chain is 2 or 3 deep (a signed attestation). */
const MAX_SIGNATURE_DEPTH = 8;
const STABLE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const RC = /^((0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*))-rc\.(0|[1-9]\d*)$/;
const BUILD_TAG = /^(sha|integration|validated)-[0-9a-f]{7}$/;

/** True for a tag the build or the promotion writes: X.Y.Z, X.Y.Z-rc.N, sha-/integration-/validated-<7>. */
export function isSchemeTag(tag: string): boolean {
  return STABLE.test(tag) || RC.test(tag) || BUILD_TAG.test(tag);
}

/**
 * True for a real digest. A reader may answer a tag's digest with a marker of its own (the integrity
 * probe's `missing:<tag>` for a tag whose manifest is gone): nothing is read below such a marker.
 */
export function isDigest(d: string): boolean {
  return /^sha(256|512):[a-f0-9]+$/.test(d);
}

/** True when `digest` is a placeholder of readPinsTags (a tag whose digest was not read). */
export function isPlaceholder(digest: string): boolean {
  return digest.startsWith(PLACEHOLDER);
}

type TagsRead = Omit<PinsRead, "referrers" | "referrerRequests"> & {
  /** Reads digests of more tags (HEADs, counted in the result's `heads`). */
  readonly head: (tags: Iterable<string>) => Promise<void>;
  readonly known: Map<string, string>;
  readonly names: readonly string[];
};

/**
 * The tag -> digest listing for `expandPolicy(policy, tags, referrers)`, reading only what can matter,
 * and the referrers of every protected digest (and of its signatures).
 */
export async function readPinsTags(
  policy: PinsPolicy,
  reader: RegistryReader,
  opts: PinsReadOptions = {},
): Promise<PinsRead> {
  const read = await readTags(policy, reader, opts);
  const repo = policy.repository;
  const limit = opts.concurrency ?? 8;
  const { known, names } = read;
  const listed = new Set(names);
  const current = (): Map<string, string> =>
    new Map(names.map((t) => [t, known.get(t) ?? `${PLACEHOLDER}${t}`]));
  const referrers = new Map<string, readonly Descriptor[]>();
  const examined = new Set<string>();
  let referrerRequests = 0;
  let manifests = read.manifests;
  let apiUnsupported = false;
  for (let depth = 0; ; depth++) {
    const todo = expandPolicy(policy, current(), referrers)
      .digests.map((d) => d.digest)
      .filter((d) => isDigest(d) && !examined.has(d));
    if (todo.length === 0) break;
    if (depth > MAX_SIGNATURE_DEPTH)
      throw new RegistryError(
        policy.registry,
        `read signatures of ${repo}`,
        `signature artifacts nest deeper than ${MAX_SIGNATURE_DEPTH} levels (${todo.slice(0, 3).join(", ")} ...): refusing to compute an allowlist from a registry that never ends`,
      );
    for (const d of todo) examined.add(d);
    // cosign's tags, by name from the listing; the tag-schema index is read by GET below.
    await read.head(
      todo.flatMap((d) => signatureTagsOf(d).slice(0, 3)).filter((t) => listed.has(t)),
    );
    const found = await mapLimit(todo, limit, async (subject) => {
      const out: Descriptor[] = [];
      if (reader.referrers && !apiUnsupported) {
        referrerRequests++;
        const r = await reader.referrers(repo, subject);
        if (r === undefined) apiUnsupported = true;
        else out.push(...r);
      }
      const indexTag = signatureTagsOf(subject)[3];
      if (indexTag !== undefined && listed.has(indexTag)) {
        if (!reader.manifest)
          throw new RegistryError(
            policy.registry,
            `read referrers index ${repo}:${indexTag}`,
            "this reader cannot read manifests, so the referrers it lists cannot be protected",
          );
        manifests++;
        const m = await reader.manifest(repo, indexTag);
        const list = indexDescriptors(m.manifest);
        if (typeof list === "string")
          throw new RegistryError(
            policy.registry,
            `read referrers index ${repo}:${indexTag}`,
            list,
          );
        if (m.digest !== undefined) known.set(indexTag, m.digest);
        else await read.head([indexTag]);
        out.push(...list);
      }
      return out;
    });
    todo.forEach((d, i) => {
      const list = found[i]!;
      if (list.length === 0) return;
      const seen = new Set<string>();
      referrers.set(
        d,
        list
          .filter((r) => !seen.has(r.digest) && seen.add(r.digest))
          .sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0)),
      );
    });
  }
  return {
    tags: current(),
    mode: read.mode,
    listed: read.listed,
    heads: read.heads,
    manifests,
    ...(read.note !== undefined ? { note: read.note } : {}),
    referrers,
    referrerRequests,
  };
}

async function readTags(
  policy: PinsPolicy,
  reader: RegistryReader,
  opts: PinsReadOptions,
): Promise<TagsRead> {
  const repo = policy.repository;
  const limit = opts.concurrency ?? 8;
  // The tag listing and the Packages API are independent: read both at once.
  const [tagList, fromApi] = await Promise.allSettled([
    reader.listTags(repo),
    opts.packageVersions ? opts.packageVersions() : Promise.resolve(undefined),
  ]);
  if (tagList.status === "rejected") throw tagList.reason;
  const names = [...new Set(tagList.value)].sort();
  let heads = 0;
  let manifests = 0;
  const known = new Map<string, string>();
  const head = async (tags: Iterable<string>): Promise<void> => {
    const todo = [...new Set(tags)].filter((t) => !known.has(t)).sort();
    heads += todo.length;
    const ds = await mapLimit(todo, limit, (t) => reader.digestOf(repo, t));
    todo.forEach((t, i) => known.set(t, ds[i]!));
  };
  /** What was read; a tag not headed (selective mode only) maps to a placeholder. */
  const result = (mode: PinsReadMode): TagsRead => ({
    tags: new Map(names.map((t) => [t, known.get(t) ?? `${PLACEHOLDER}${t}`])),
    mode,
    listed: names.length,
    get heads() {
      return heads;
    },
    manifests,
    ...(note !== undefined ? { note } : {}),
    head,
    known,
    names,
  });

  let note: string | undefined;
  let versions: Map<string, string[]> | undefined;
  if (fromApi.status === "fulfilled") versions = fromApi.value;
  else if (fromApi.reason instanceof PackagesUnavailable) {
    // Only a refusal before anything was read falls back; a failure half way fails closed.
    note = `${fromApi.reason.message}; reading the registry's manifests instead.`;
  } else throw fromApi.reason;
  if (versions) {
    const onVersion = new Map<string, string>();
    for (const [digest, tags] of versions) for (const t of tags) onVersion.set(t, digest);
    const listed = new Set(names);
    for (const [t, d] of onVersion) if (listed.has(t)) known.set(t, d);
    await head(names.filter((t) => !known.has(t)));
    return result("packages");
  }

  const manifestOf =
    opts.manifestIfExists ??
    (reader.manifestIfExists
      ? (d: string) => reader.manifestIfExists!(repo, d)
      : reader.manifestOf
        ? (d: string) => reader.manifestOf!(repo, d)
        : undefined);
  if (opts.exhaustive || manifestOf === undefined) {
    await head(names);
    return result("exhaustive");
  }

  // Phase 1: the tags that decide protection, from the names alone.
  const alone = new Map(names.map((t) => [t, `${PLACEHOLDER}${t}`]));
  const first = expandPolicy(policy, alone);
  const roots = protectedTags(first);
  const pinned = first.digests.map((d) => d.digest).filter((d) => !isPlaceholder(d));
  // Signature tags are not the build's, but only a protected digest's own ones matter (read later).
  await head([...roots, ...names.filter((t) => !isSchemeTag(t) && !isSignatureTag(t))]);

  // Phase 2: every tag a protected digest's build can carry.
  const protectedDigests = [...new Set([...roots.map((t) => known.get(t)!), ...pinned])]
    .filter(isDigest)
    .sort();
  manifests += protectedDigests.length;
  const infos = await mapLimit(protectedDigests, limit, (d) => manifestOf(d));
  const listed = new Set(names);
  const related: string[] = [];
  for (const m of infos) {
    if (m === undefined) continue; // a pinned digest the registry does not have: no tag points at it
    const commit = commitOfRevision(m.annotations[OCI_REVISION]);
    const version = m.annotations[OCI_VERSION];
    const rc = version === undefined ? undefined : RC.exec(version);
    if (commit === undefined || rc === null || rc === undefined) {
      // Not built by the build workflow: its other tags cannot be found by name.
      await head(names);
      return result("exhaustive");
    }
    const short = commit.slice(0, 7);
    for (const t of [
      version!,
      rc[1]!,
      `sha-${short}`,
      `integration-${short}`,
      `validated-${short}`,
    ])
      if (listed.has(t)) related.push(t);
  }
  await head(related);
  return result("selective");
}
