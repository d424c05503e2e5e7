/**
 * The promotion decision (DESIGN section 2), pure: given what triggered the promote workflow and the
 * registry's tag -> digest listing, decide which tags to add to which digest, or why nothing happens.
 * The workflow only gathers the listing, runs this (`promotion promote-plan`), and retags by digest.
 *
 * Every value that leaves this module (digest, tags) is checked against a strict pattern, because the
 * workflow writes it to $GITHUB_OUTPUT; nothing from the event is ever passed through unchecked.
 */
import { DIGEST_PATTERN } from "../config";
import { compareParsed, parseFluxVersion, type ParsedVersion } from "../flux/semver";
import { commitOfRevision, OCI_REVISION, OCI_VERSION } from "../registry/annotations";
import { mapLimit, type ManifestInfo } from "../registry/types";
import { parseRevision, VersionError } from "./versions";
import { clip } from "../clip";
import { isRecord } from "../guards";

/** What started the run: a Flux event relayed by repository_dispatch, or a person (workflow_dispatch). */
export type PromoteRequest =
  | { readonly kind: "event"; readonly payload: unknown }
  | { readonly kind: "manual"; readonly artifactSha?: string; readonly digest?: string };

export interface PromoteInput {
  readonly request: PromoteRequest;
  /** Every tag of the artifact repository and the digest it points at now. */
  readonly listing: ReadonlyMap<string, string>;
  /** The Kustomization whose health event may promote. */
  readonly gate: { readonly name: string; readonly namespace: string };
}

export type PromoteDecision =
  /** Not a promotion request (non-info event, stable revision, other object): succeed, do nothing. */
  | { readonly action: "ignore"; readonly reason: string }
  /** Already done (the digest has a stable tag): succeed, do nothing. */
  | {
      readonly action: "noop";
      readonly reason: string;
      readonly digest: string;
      readonly stable: string;
    }
  /** Add `tags` (in this order) to `digest`. */
  | {
      readonly action: "promote";
      readonly reason: string;
      readonly digest: string;
      readonly version: string;
      readonly tags: readonly string[];
    }
  /** Something is wrong or would break a rule: fail loudly, tag nothing. */
  | { readonly action: "refuse"; readonly reason: string };

/** Our own RC tags, exactly as the build creates them (`nextVersion`): `X.Y.Z-rc.N`. */
const RC_TAG = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)-rc\.(0|[1-9]\d*)$/;
const SHORT_SHA = /^[0-9a-f]{7,40}$/;
const SHA_TAG = /^sha-([0-9a-f]{7})$/;

/**
 * A stable version as Flux reads it (the same parser `nextVersion` and selection use): `v1.2.3` and
 * `1.2.3+build` are stable 1.2.3 too, so they count for "already stable" and "already exists".
 */
function stable(tag: string): ParsedVersion | undefined {
  const v = parseFluxVersion(tag);
  return v && v.pre === "" ? v : undefined;
}

function sameCore(a: ParsedVersion, b: ParsedVersion): boolean {
  return (
    BigInt(a.maj) === BigInt(b.maj) &&
    BigInt(a.min) === BigInt(b.min) &&
    BigInt(a.pat) === BigInt(b.pat)
  );
}

/** Whether a Flux event (its payload) is about the gate Kustomization `gate`. */
export function isAboutGate(payload: Record<string, unknown>, gate: PromoteInput["gate"]): boolean {
  const obj = payload.involvedObject;
  return (
    isRecord(obj) &&
    obj.kind === "Kustomization" &&
    obj.name === gate.name &&
    obj.namespace === gate.namespace
  );
}

/** Shows an untrusted value (an event field) in a message, quoted as a string, clipped (lib/clip.ts). */
export function quote(v: unknown): string {
  return clip(typeof v === "string" ? v : (JSON.stringify(v) ?? String(v)));
}

/** Splits a Flux OCI revision `<tag>@sha256:<hex>` (lib/promotion/versions.ts); undefined when it is not one. */
export function splitRevision(rev: string): { tag: string; digest: string } | undefined {
  try {
    return parseRevision(rev);
  } catch (e) {
    if (e instanceof VersionError) return undefined;
    throw e;
  }
}

function tagsOn(listing: ReadonlyMap<string, string>, digest: string): string[] {
  return [...listing]
    .filter(([, d]) => d === digest)
    .map(([t]) => t)
    .sort();
}

function highestStable(
  listing: ReadonlyMap<string, string>,
): { tag: string; v: ParsedVersion } | undefined {
  let best: { tag: string; v: ParsedVersion } | undefined;
  for (const t of listing.keys()) {
    const v = stable(t);
    if (v && (!best || compareParsed(v, best.v) > 0)) best = { tag: t, v };
  }
  return best;
}

/** Reads the Flux event: ignore what is not an info health event of the gate; returns the RC revision. */
function fromEvent(
  payload: unknown,
  gate: PromoteInput["gate"],
): { rev: { tag: string; digest: string } } | PromoteDecision {
  if (!isRecord(payload)) {
    return {
      action: "refuse",
      reason: "client_payload is not a JSON object (a Flux event was expected).",
    };
  }
  if (payload.severity !== "info") {
    return {
      action: "ignore",
      reason: `event severity is ${quote(payload.severity)}, not "info": only a healthy platform promotes.`,
    };
  }
  if (!isAboutGate(payload, gate)) {
    const obj = payload.involvedObject;
    const who = isRecord(obj)
      ? `${quote(obj.kind)} ${quote(obj.namespace)}/${quote(obj.name)}`
      : quote(obj);
    return {
      action: "ignore",
      reason: `event is about ${who}, not Kustomization ${gate.namespace}/${gate.name} (the gate).`,
    };
  }
  const meta = payload.metadata;
  const revision = isRecord(meta) ? meta.revision : undefined;
  if (typeof revision !== "string") {
    return {
      action: "refuse",
      reason: "event has no metadata.revision; cannot tell which artifact was validated.",
    };
  }
  const rev = splitRevision(revision);
  if (!rev) {
    return {
      action: "refuse",
      reason: `metadata.revision ${quote(revision)} is not <tag>@sha256:<digest> (an OCI revision).`,
    };
  }
  if (stable(rev.tag)) {
    return {
      action: "ignore",
      reason: `revision ${rev.tag} has no pre-release part: it is already stable (integration follows stable tags too).`,
    };
  }
  if (!RC_TAG.test(rev.tag)) {
    return {
      action: "ignore",
      reason: `revision tag ${quote(rev.tag)} is not a release candidate X.Y.Z-rc.N.`,
    };
  }
  return { rev };
}

/** Finds the RC a person asked to promote, by commit (sha-<7>) or digest. */
function fromManual(
  req: Extract<PromoteRequest, { kind: "manual" }>,
  listing: ReadonlyMap<string, string>,
): { rev: { tag: string; digest: string } } | PromoteDecision {
  const sha = req.artifactSha?.trim() ?? "";
  const wanted = req.digest?.trim() ?? "";
  if ((sha === "") === (wanted === "")) {
    return {
      action: "refuse",
      reason:
        "give exactly one of the inputs artifact_sha (the commit, 7+ hex) or digest (sha256:<64 hex>).",
    };
  }
  let digest: string;
  if (sha !== "") {
    if (!SHORT_SHA.test(sha))
      return {
        action: "refuse",
        reason: `artifact_sha ${quote(sha)} is not a commit SHA (7 to 40 lower-case hex).`,
      };
    const d = listing.get(`sha-${sha.slice(0, 7)}`);
    if (!d)
      return {
        action: "refuse",
        reason: `no artifact was built from commit ${sha.slice(0, 7)} (tag sha-${sha.slice(0, 7)} not found).`,
      };
    digest = d;
  } else {
    if (!DIGEST_PATTERN.test(wanted))
      return {
        action: "refuse",
        reason: `digest ${quote(wanted)} is not sha256:<64 lower-case hex>.`,
      };
    digest = wanted;
  }
  const rcs = tagsOn(listing, digest)
    .filter((t) => RC_TAG.test(t))
    .map((t) => ({ t, v: parseFluxVersion(t)! }))
    .sort((a, b) => compareParsed(b.v, a.v));
  const already = tagsOn(listing, digest).find((t) => stable(t));
  if (already) {
    return {
      action: "noop",
      reason: `digest ${digest} is already stable as ${already}.`,
      digest,
      stable: already,
    };
  }
  const top = rcs[0];
  if (!top)
    return {
      action: "refuse",
      reason: `digest ${digest} has no release candidate tag X.Y.Z-rc.N; only RCs are promoted.`,
    };
  return { rev: { tag: top.t, digest } };
}

/** The decision. Never throws for bad input: bad input is a `refuse` with the reason. */
export function decidePromotion(input: PromoteInput): PromoteDecision {
  const { listing } = input;
  for (const [t, d] of listing) {
    if (!DIGEST_PATTERN.test(d))
      return {
        action: "refuse",
        reason: `registry listing: tag ${quote(t)} has digest ${quote(d)}, not sha256:<64 hex>.`,
      };
  }
  const found =
    input.request.kind === "event"
      ? fromEvent(input.request.payload, input.gate)
      : fromManual(input.request, listing);
  if ("action" in found) return found;
  const { tag, digest } = found.rev;

  const now = listing.get(tag);
  if (now === undefined) {
    return {
      action: "refuse",
      reason: `tag ${tag} is not in the registry any more; ${digest} is not promoted.`,
    };
  }
  if (now !== digest) {
    return {
      action: "refuse",
      reason: `tag ${tag} now points at ${now}, not at the validated ${digest}; RC tags are never moved, so this needs a person.`,
    };
  }
  const onDigest = tagsOn(listing, digest);
  const already = onDigest.find((t) => stable(t));
  if (already) {
    return {
      action: "noop",
      reason: `digest ${digest} (${tag}) is already stable as ${already}; nothing to do.`,
      digest,
      stable: already,
    };
  }
  const rc = parseFluxVersion(tag)!;
  const version = `${rc.maj}.${rc.min}.${rc.pat}`;
  const same = [...listing.keys()].sort().find((t) => {
    const v = stable(t);
    return v !== undefined && sameCore(v, rc);
  });
  if (same !== undefined) {
    return {
      action: "refuse",
      reason: `${same} already points at ${listing.get(same)}; ${tag} (${digest}) is a stale candidate and a stable tag is never moved.`,
    };
  }
  const top = highestStable(listing);
  if (top && compareParsed(top.v, rc) > 0) {
    return {
      action: "refuse",
      reason: `${tag} is older than the newest stable ${top.tag}; a stale candidate is not promoted.`,
    };
  }
  const shaTags = onDigest.filter((t) => SHA_TAG.test(t));
  if (shaTags.length !== 1) {
    return {
      action: "refuse",
      reason: `digest ${digest} carries ${shaTags.length === 0 ? "no" : "several"} sha-<commit> tags (${shaTags.join(", ") || "none"}); it was not built by the build workflow.`,
    };
  }
  const short = SHA_TAG.exec(shaTags[0]!)![1]!;
  const validated = `validated-${short}`;
  const v = listing.get(validated);
  if (v !== undefined && v !== digest) {
    return {
      action: "refuse",
      reason: `${validated} already points at ${v}, another digest; refusing to move it.`,
    };
  }
  const tags = [...(v === undefined ? [validated] : []), version];
  return {
    action: "promote",
    reason: `${tag} (${digest}) passed integration: tagging ${tags.join(", ")}.`,
    digest,
    version,
    tags,
  };
}

/** `key=value` lines for $GITHUB_OUTPUT; every value is pattern-checked, so no newline can slip in. */
export function decisionOutputs(d: PromoteDecision): string {
  const lines: string[] = [`action=${d.action}`];
  if (d.action === "promote" || d.action === "noop") lines.push(`digest=${d.digest}`);
  if (d.action === "promote") {
    lines.push(`version=${d.version}`, `tags=${d.tags.join(" ")}`);
  }
  if (d.action === "noop") lines.push(`stable=${d.stable}`);
  const text = lines.join("\n") + "\n";
  if (
    !/^[a-z]+=[A-Za-z0-9_.:@ -]*$/m.test(text) ||
    text.split("\n").some((l) => l !== "" && !/^[a-z]+=[A-Za-z0-9_.:@ -]*$/.test(l))
  ) {
    throw new Error(`internal: unsafe output ${quote(text)}`);
  }
  return text;
}

/** Parses `tag digest` lines (as `crane ls` + `crane digest` produce them). */
export function parseListing(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "") continue;
    const parts = line.split(/\s+/);
    if (parts.length !== 2)
      throw new Error(`listing line ${i + 1}: expected "<tag> <digest>", got ${quote(line)}`);
    out.set(parts[0]!, parts[1]!);
  }
  return out;
}

/** What the promotion reads from the artifact's repository: the tag names once, then a few manifests. */
export interface PromotionRegistry {
  /** Every tag (all pages of one listing). */
  listTags(): Promise<readonly string[]>;
  /** The digest a tag points at (a manifest HEAD). */
  digestOf(tag: string): Promise<string>;
  /** The manifest a tag or digest names, with its annotations (a GET); undefined when there is none. */
  manifestOf(ref: string): Promise<ManifestInfo | undefined>;
}

function highestStableOf(tags: Iterable<string>): string | undefined {
  let best: { tag: string; v: ParsedVersion } | undefined;
  for (const t of tags) {
    const v = stable(t);
    if (v && (!best || compareParsed(v, best.v) > 0)) best = { tag: t, v };
  }
  return best?.tag;
}

/**
 * The part of the registry's tag -> digest listing the decision depends on, from ONE tag listing and a
 * constant number of manifest requests, whatever the number of tags: the event's RC tag (a GET, which also
 * gives the source commit from the artifact's `org.opencontainers.image.revision`), or for a manual run
 * `sha-<7>` / the digest and the RC its `org.opencontainers.image.version` names; then `sha-<7>` and
 * `validated-<7>` of that commit, every stable tag of the candidate's X.Y.Z (normally one, or none) and
 * the highest stable. decidePromotion on this listing decides exactly as on the full one, given the
 * build's naming scheme: the tags of one build are linked by its commit and version, so a stable tag of
 * another version moved by hand onto an RC's digest is not seen (the result is then a refusal as a stale
 * candidate, or a promotion that adds tags and moves none).
 */
export async function readPromotionListing(
  request: PromoteRequest,
  registry: PromotionRegistry,
): Promise<Map<string, string>> {
  const names = new Set(await registry.listTags());
  const listing = new Map<string, string>();
  const read = async (tag: string): Promise<void> => {
    if (names.has(tag) && !listing.has(tag)) listing.set(tag, await registry.digestOf(tag));
  };
  let digest: string;
  let commit: string | undefined;
  let rc: ParsedVersion | undefined;
  if (request.kind === "event") {
    const meta = isRecord(request.payload) ? request.payload.metadata : undefined;
    const revision = isRecord(meta) ? meta.revision : undefined;
    const rev = typeof revision === "string" ? splitRevision(revision) : undefined;
    if (!rev || !RC_TAG.test(rev.tag) || !names.has(rev.tag)) return listing;
    const m = await registry.manifestOf(rev.tag);
    if (!m) return listing;
    listing.set(rev.tag, m.digest);
    // The tag moved: the decision refuses on that alone.
    if (m.digest !== rev.digest) return listing;
    digest = rev.digest;
    rc = parseFluxVersion(rev.tag);
    commit = commitOfRevision(m.annotations[OCI_REVISION]);
  } else {
    const sha = request.artifactSha?.trim() ?? "";
    const wanted = request.digest?.trim() ?? "";
    if ((sha === "") === (wanted === "")) return listing;
    if (sha !== "") {
      if (!SHORT_SHA.test(sha)) return listing;
      const shaTag = `sha-${sha.slice(0, 7)}`;
      if (!names.has(shaTag)) return listing;
      digest = await registry.digestOf(shaTag);
      listing.set(shaTag, digest);
    } else {
      if (!DIGEST_PATTERN.test(wanted)) return listing;
      digest = wanted;
    }
    const m = await registry.manifestOf(digest);
    if (!m) return listing;
    commit = commitOfRevision(m.annotations[OCI_REVISION]);
    const version = m.annotations[OCI_VERSION];
    if (version !== undefined && RC_TAG.test(version)) {
      await read(version);
      if (listing.get(version) === digest) rc = parseFluxVersion(version);
    }
  }
  const wants = new Set<string>();
  if (commit !== undefined) {
    wants.add(`sha-${commit.slice(0, 7)}`);
    wants.add(`validated-${commit.slice(0, 7)}`);
  }
  if (rc) {
    for (const t of [...names].sort()) {
      const v = stable(t);
      if (v && sameCore(v, rc)) wants.add(t);
    }
  }
  const top = highestStableOf(names);
  if (top !== undefined) wants.add(top);
  const todo = [...wants].filter((t) => names.has(t) && !listing.has(t)).sort();
  const digests = await mapLimit(todo, todo.length, (t) => registry.digestOf(t));
  todo.forEach((t, i) => listing.set(t, digests[i]!));
  return listing;
}

/**
 * The decision against the registry itself: an event that is not a promotion request is decided without
 * any registry request; otherwise readPromotionListing, then decidePromotion. Registry failures throw
 * (fail closed: no decision, nothing tagged).
 */
export async function decidePromotionFromRegistry(
  request: PromoteRequest,
  gate: PromoteInput["gate"],
  registry: PromotionRegistry,
): Promise<PromoteDecision> {
  if (request.kind === "event") {
    const found = fromEvent(request.payload, gate);
    if ("action" in found) return found;
  }
  const listing = await readPromotionListing(request, registry);
  return decidePromotion({ request, listing, gate });
}
