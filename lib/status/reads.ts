/**
 * The registry reads behind `promotion status`, `watch`, `trace` and `rollback-plan`: one paginated tag
 * listing and a bounded number of manifest requests, whatever the registry's age (the technique of
 * `promote-plan`, lib/promotion/promote.ts readPromotionListing). Before, each command read every tag's
 * digest (one HEAD per tag ever pushed).
 *
 * Each command's decision depends on the digests of a few tags only, found from the tag NAMES: what each
 * cluster's constraint selects (Flux's model on the names alone) and its pinned tag, the newest RC and the
 * newest stable; for one build, the tags its manifest's annotations name (`org.opencontainers.image.version`
 * is its RC, `.revision` its commit, hence `sha-`/`validated-<7>`), as the build workflow writes them. Those
 * get a HEAD (or the one GET that also gives a build time); every other tag keeps a placeholder digest that
 * never equals a real one, so it never counts as "on the same digest". A build whose manifest lacks the
 * annotations (not made by the build workflow) makes the command read every tag, as before.
 *
 * What the names cannot tell: a stable tag a rollback added to an older build's digest is seen when a
 * cluster selects it, when it is the newest stable, or (status) when it is newer than the newest RC; trace
 * and status otherwise show the build's own X.Y.Z for it. On ghcr.io with a token the GitHub Packages API
 * gives every tag's digest in ceil(versions / 100) requests instead (lib/registry/ghcrPackages.ts), which
 * sees those too; when the API refuses the token, the reads above are made instead.
 *
 * Any failure throws (the commands print nothing and exit 1: a report is never made from a partial view).
 */
import { selectionOf } from "../flux/select";
import { compareParsed, parseFluxVersion, type ParsedVersion } from "../flux/semver";
import type { PinCluster } from "../pins/allowlist";
import { commitOfRevision, OCI_REVISION, OCI_VERSION } from "../registry/annotations";
import { PackagesUnavailable } from "../registry/ghcrPackages";
import { annotationsOf, createdOf, type ManifestReader } from "../registry/manifest";
import { mapLimit, type RegistryReader } from "../registry/types";
import { newestRcTag, newestStableTag, RC_TAG, STABLE_TAG } from "./status";

/** What these commands read a registry with (OciRegistryReader; tests inject their own). */
export type OperatorReader = RegistryReader & ManifestReader;

export type OperatorReadMode = "packages" | "selective" | "exhaustive";

export interface OperatorReadOptions {
  /** Requests in flight at once (default 8). */
  readonly concurrency?: number;
  /** ghcr.io: digest -> tags of every package version (GitHub Packages API). */
  readonly packageVersions?: () => Promise<Map<string, string[]>>;
}

export interface RegistryView {
  /** Every tag (sorted) with its digest, or a placeholder digest for a tag that was not read. */
  readonly tags: Map<string, string>;
  /** Build times (`org.opencontainers.image.created`) of the manifests read, by digest. */
  readonly created: Map<string, Date>;
  readonly mode: OperatorReadMode;
  /** Digests read by HEAD and manifests read by GET, for reports and the benchmark. */
  readonly heads: number;
  readonly manifests: number;
  /** Why the Packages API was not used, when it was offered. */
  readonly note?: string;
}

const PLACEHOLDER = "unread:";

/** True when `digest` is a placeholder (a tag whose digest was not read). */
export function isUnread(digest: string): boolean {
  return digest.startsWith(PLACEHOLDER);
}

/** One command's reads: the tag names first, then only what it asks for. */
class Reads {
  private readonly known = new Map<string, string>();
  private readonly listed: ReadonlySet<string>;
  readonly created = new Map<string, Date>();
  heads = 0;
  manifests = 0;
  mode: OperatorReadMode = "selective";
  note: string | undefined;

  private constructor(
    private readonly reader: OperatorReader,
    private readonly repo: string,
    private readonly limit: number,
    /** Sorted, unique: the order the full listing had, which ties in Flux's ordering depend on. */
    readonly names: readonly string[],
  ) {
    this.listed = new Set(names);
  }

  static async open(
    reader: OperatorReader,
    repo: string,
    opts: OperatorReadOptions,
  ): Promise<Reads> {
    const limit = opts.concurrency ?? 8;
    if (opts.packageVersions) {
      try {
        const versions = await opts.packageVersions();
        const onVersion = new Map<string, string>();
        for (const [digest, tags] of versions) for (const t of tags) onVersion.set(t, digest);
        const r = new Reads(reader, repo, limit, [...onVersion.keys()].sort());
        for (const [t, d] of onVersion) r.known.set(t, d);
        r.mode = "packages";
        return r;
      } catch (e) {
        // Only a refusal before anything was read falls back; a failure half way fails closed.
        if (!(e instanceof PackagesUnavailable)) throw e;
        const r = new Reads(reader, repo, limit, [...new Set(await reader.listTags(repo))].sort());
        r.note = `${e.message}; reading the registry's manifests instead.`;
        return r;
      }
    }
    return new Reads(reader, repo, limit, [...new Set(await reader.listTags(repo))].sort());
  }

  has(tag: string): boolean {
    return this.listed.has(tag);
  }

  /** HEADs the listed tags whose digest is not known yet. */
  async head(tags: Iterable<string>): Promise<void> {
    const todo = [...new Set(tags)].filter((t) => this.has(t) && !this.known.has(t)).sort();
    this.heads += todo.length;
    const ds = await mapLimit(todo, this.limit, (t) => this.reader.digestOf(this.repo, t));
    todo.forEach((t, i) => this.known.set(t, ds[i]!));
  }

  /** GETs a listed tag's manifest: its digest, build time and annotations. */
  async manifest(
    tag: string,
  ): Promise<{ digest: string; annotations: Record<string, string> } | undefined> {
    if (!this.has(tag)) return undefined;
    this.manifests++;
    const m = await this.reader.manifest(this.repo, tag);
    if (m.digest !== undefined && !this.known.has(tag)) this.known.set(tag, m.digest);
    if (!this.known.has(tag)) await this.head([tag]);
    const digest = this.known.get(tag)!;
    const created = createdOf(m.manifest);
    if (created) this.created.set(digest, created);
    return { digest, annotations: annotationsOf(m.manifest) };
  }

  /** Every tag's digest: for a build the names cannot link (no annotations). */
  async all(): Promise<void> {
    if (this.mode === "packages") return;
    this.mode = "exhaustive";
    await this.head(this.names);
  }

  view(): RegistryView {
    return {
      tags: new Map(this.names.map((t) => [t, this.known.get(t) ?? `${PLACEHOLDER}${t}`])),
      created: this.created,
      mode: this.mode,
      heads: this.heads,
      manifests: this.manifests,
      ...(this.note !== undefined ? { note: this.note } : {}),
    };
  }
}

/** The tags whose digest tells what each (integration or live) cluster selects: selection and pin. */
function clusterTags(clusters: readonly PinCluster[], names: readonly string[]): string[] {
  const out: string[] = [];
  for (const c of clusters) {
    if (c.role === "dev") continue;
    const t = selectionOf(c, names);
    if (t !== undefined) out.push(t);
    if (c.pin?.tag !== undefined) out.push(c.pin.tag);
  }
  return out;
}

const coreOf = (rc: string): string => rc.replace(/-rc\.\d+$/, "");

/** Stable `X.Y.Z` tags at or above `version`: a build's own stable tag and the rollbacks made since. */
function stableFrom(names: readonly string[], version: string): string[] {
  const floor = parseFluxVersion(version);
  if (!floor) return [];
  return names.filter((t) => {
    if (!STABLE_TAG.test(t)) return false;
    const v = parseFluxVersion(t);
    return v !== undefined && compareParsed(v, floor) >= 0;
  });
}

/**
 * `promotion status` and `watch`: the names; the newest RC's manifest (digest and build time); the
 * stable tags at or above its version (its own X.Y.Z and any rollback since) and the newest stable; each
 * cluster's selection and pinned tag.
 */
export async function readForStatus(
  reader: OperatorReader,
  repo: string,
  clusters: readonly PinCluster[],
  opts: OperatorReadOptions = {},
): Promise<RegistryView> {
  const r = await Reads.open(reader, repo, opts);
  const wanted: string[] = [];
  const rc = newestRcTag(r.names);
  if (rc !== undefined) {
    await r.manifest(rc);
    wanted.push(...stableFrom(r.names, coreOf(rc)));
  }
  const top = newestStableTag(r.names);
  if (top !== undefined) wanted.push(top);
  wanted.push(...clusterTags(clusters, r.names));
  await r.head(wanted);
  return r.view();
}

/**
 * `promotion trace <commit>`: the names; `sha-<7>`'s manifest (digest, build time, and the RC and commit
 * its annotations name); that RC, its X.Y.Z and `validated-<7>`; the newest stable; each cluster's
 * selection and pinned tag. A build without the annotations: every tag.
 */
export async function readForTrace(
  reader: OperatorReader,
  repo: string,
  commit: string,
  clusters: readonly PinCluster[],
  opts: OperatorReadOptions = {},
): Promise<RegistryView> {
  const r = await Reads.open(reader, repo, opts);
  const short = commit.toLowerCase().slice(0, 7);
  const built = await r.manifest(`sha-${short}`);
  const wanted: string[] = [];
  if (built !== undefined) {
    const c = commitOfRevision(built.annotations[OCI_REVISION]);
    const version = built.annotations[OCI_VERSION];
    if (
      c === undefined ||
      c.slice(0, 7) !== short ||
      version === undefined ||
      !RC_TAG.test(version)
    )
      await r.all();
    else wanted.push(version, coreOf(version), `validated-${short}`);
  }
  const top = newestStableTag(r.names);
  if (top !== undefined) wanted.push(top);
  wanted.push(...clusterTags(clusters, r.names));
  await r.head(wanted);
  return r.view();
}

/** The highest stable version as planRollback finds it (Flux's parse, first of equals in name order). */
function highestStable(names: readonly string[]): string | undefined {
  let top: { tag: string; v: ParsedVersion } | undefined;
  for (const t of names) {
    const v = parseFluxVersion(t);
    if (v && v.pre === "" && (!top || compareParsed(v, top.v) > 0)) top = { tag: t, v };
  }
  return top?.tag;
}

/**
 * `promotion rollback-plan --version <X.Y.Z>`: the names; the version's manifest (digest, and the commit
 * that names its `validated-<7>`); that tag; the highest stable. A build without the annotations: every tag.
 */
export async function readForRollback(
  reader: OperatorReader,
  repo: string,
  version: string,
  opts: OperatorReadOptions = {},
): Promise<RegistryView> {
  const r = await Reads.open(reader, repo, opts);
  const wanted: string[] = [];
  if (STABLE_TAG.test(version)) {
    const target = await r.manifest(version);
    if (target !== undefined) {
      const c = commitOfRevision(target.annotations[OCI_REVISION]);
      if (c === undefined) await r.all();
      else wanted.push(`validated-${c.slice(0, 7)}`);
    }
  }
  const top = highestStable(r.names);
  if (top !== undefined) wanted.push(top);
  await r.head(wanted);
  return r.view();
}
