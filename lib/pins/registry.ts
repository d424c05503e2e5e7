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
 * All with bounded concurrency; any failure throws (the CLI prints nothing: fail closed).
 */
import { protectedTags } from "./allowlist";
import { expandPolicy, type PinsPolicy } from "./policy";
import { PackagesUnavailable } from "../registry/ghcrPackages";
import { commitOfRevision, OCI_REVISION, OCI_VERSION } from "../registry/annotations";
import { mapLimit, type ManifestInfo, type RegistryReader } from "../registry/types";

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
const STABLE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const RC = /^((0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*))-rc\.(0|[1-9]\d*)$/;
const BUILD_TAG = /^(sha|integration|validated)-[0-9a-f]{7}$/;

/** True for a tag the build or the promotion writes: X.Y.Z, X.Y.Z-rc.N, sha-/integration-/validated-<7>. */
export function isSchemeTag(tag: string): boolean {
  return STABLE.test(tag) || RC.test(tag) || BUILD_TAG.test(tag);
}

/** True when `digest` is a placeholder of readPinsTags (a tag whose digest was not read). */
export function isPlaceholder(digest: string): boolean {
  return digest.startsWith(PLACEHOLDER);
}

/** The tag -> digest listing for `expandPolicy(policy, ...)`, reading only what can matter. */
export async function readPinsTags(
  policy: PinsPolicy,
  reader: RegistryReader,
  opts: PinsReadOptions = {},
): Promise<PinsRead> {
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
  const full = (mode: PinsReadMode): PinsRead => ({
    tags: new Map(names.map((t) => [t, known.get(t)!])),
    mode,
    listed: names.length,
    heads,
    manifests,
    ...(note !== undefined ? { note } : {}),
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
    return full("packages");
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
    return full("exhaustive");
  }

  // Phase 1: the tags that decide protection, from the names alone.
  const alone = new Map(names.map((t) => [t, `${PLACEHOLDER}${t}`]));
  const first = expandPolicy(policy, alone);
  const roots = protectedTags(first);
  const pinned = first.digests.map((d) => d.digest).filter((d) => !isPlaceholder(d));
  await head([...roots, ...names.filter((t) => !isSchemeTag(t))]);

  // Phase 2: every tag a protected digest's build can carry.
  const protectedDigests = [...new Set([...roots.map((t) => known.get(t)!), ...pinned])].sort();
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
      return full("exhaustive");
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
  return {
    tags: new Map(names.map((t) => [t, known.get(t) ?? `${PLACEHOLDER}${t}`])),
    mode: "selective",
    listed: names.length,
    heads,
    manifests,
    ...(note !== undefined ? { note } : {}),
  };
}
