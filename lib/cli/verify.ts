/**
 * `promotion verify`: the registry integrity probe (issue 20 item 4). With `--policy` (or `--dir`), every
 * digest the pin policy protects NOW (the same expansion as `promotion pins`, signatures included) must
 * still pull: manifest, config and layers present with the digests and sizes the manifest names
 * (lib/registry/integrity.ts). With `--artifact --digest`, one artifact: what the build workflow runs
 * right after its push, before it prints its outputs. `--issue` keeps one `registry-integrity` issue in
 * step (lib/github/alarmIssue.ts, the mechanism of the pipeline-stalled watch).
 */
import { applyIssueAction, alarmIssueAction, type Alarm } from "../github/alarmIssue";
import { clientFromEnv, GitHubError, runUrlFromEnv, type GitHubClient } from "../github/client";
import { describeReason, type Allowlist, type ProtectedDigest } from "../pins/allowlist";
import { expandPolicy, type PinsPolicy } from "../pins/policy";
import { isDigest, readPinsTags } from "../pins/registry";
import {
  checkArtifacts,
  INTEGRITY_ISSUE,
  INTEGRITY_LABEL,
  type IntegrityProblem,
  type IntegrityReader,
  type IntegrityTarget,
} from "../registry/integrity";
import { RegistryError, type ManifestInfo, type RegistryReader } from "../registry/types";
import { labelFlag, parseArgs } from "./args";
import { EXIT_OK, EXIT_USAGE, UsageError, type CommandIo } from "./command";
import { factsFromDir, factsFromPolicy } from "./facts";
import { CREDENTIALS_HELP, readerFromEnv, splitArtifact } from "./registryEnv";
import { createHash } from "node:crypto";

export const usage =
  "verify (--policy <file> | --dir <project dir> | --artifact <host/repository> --digest <digest>) [--require-signatures] [--exhaustive] [--issue] [--label <name>]";

/** Broken artifacts found (each printed by name). */
export const EXIT_BROKEN = 1;
/** The registry could not be read: nothing was verified. */
export const EXIT_UNREADABLE = 3;
/** --issue: the verdict stands, but the GitHub issue could not be updated. */
export const EXIT_ISSUE = 4;

export const help = `The registry integrity probe: proves that what must stay pullable still
pulls. For every digest the pin policy protects now (each cluster's
selection, pins, floating tags, the stable window, pending RCs: the
expansion of \`promotion pins\`) and every signature artifact of those
(cosign's sha256-<hex>.sig/.att/.sbom tags, OCI 1.1 referrers, the
referrers tag-schema index): the manifest is read by digest and its bytes
re-hashed (they must hash to the digest, and match the size a parent
index names); the config and every layer (an index: every child manifest)
must answer a HEAD whose Content-Length and Docker-Content-Digest match
the descriptor. Blobs are not downloaded: their digests are the registry's
HEAD answer. A listed tag whose manifest is gone is reported too.

Options:
  --policy <file>        the pin policy the owner stack delivers
                         (registry/pins-policy.yaml)
  --dir <dir>            or: a Pulumi project directory
  --artifact <ref> --digest <digest>
                         or: only this artifact (host/repository and its
                         manifest digest); what the build workflow runs
                         after its push
  --require-signatures   a protected digest without a signature (no
                         sha256-<hex>.sig tag, no signature referrer) is
                         broken too
  --exhaustive           read the digest of every tag (see promotion pins)
  --issue                keep one GitHub issue (label --label) in step: open
                         it when something is broken or the registry is
                         unreadable, update it while that lasts (a comment
                         when the problems change), close it when healthy.
                         Needs GITHUB_TOKEN (issues: write) and
                         GITHUB_REPOSITORY; GITHUB_API_URL is honoured.
  --label <name>         the issue's label (default ${INTEGRITY_LABEL})

Each problem is one line on stdout, "BROKEN: " then the artifact (its tags
and digest), the manifest or blob, and what was expected against what the
registry answered.

Registry reads: those of \`promotion pins\`, then one manifest GET per
protected digest and one HEAD per distinct blob, at most 8 at once; a 429
or 5xx is retried with backoff (Retry-After honoured). A manifest or blob
the registry still refuses after the retries is reported as broken.

${CREDENTIALS_HELP}

Exit codes: 0 healthy; ${EXIT_BROKEN} broken artifacts found; ${EXIT_USAGE} bad usage, invalid
configuration or policy; ${EXIT_UNREADABLE} the registry could not be read (nothing
verified); ${EXIT_ISSUE} with --issue, the verdict was printed but the issue could not
be updated.`;

/** The registry a host is read with; injected by tests. */
export type VerifyReaderFactory = (host: string) => RegistryReader & IntegrityReader;

const ociReader: VerifyReaderFactory = (host) => readerFromEnv(host);

export function run(argv: readonly string[], io: CommandIo): Promise<number> {
  return runWith(argv, io, ociReader, () => clientFromEnv());
}

function policyOf(values: ReadonlyMap<string, string>): PinsPolicy | string {
  const file = values.get("policy");
  const f = file !== undefined ? factsFromPolicy(file) : factsFromDir(values.get("dir") ?? ".");
  return typeof f === "string" ? f : f.policy;
}

/**
 * The pins reader for the probe: a tag whose manifest is gone (HEAD 404) or refused reads as a marker
 * (`missing:<tag>`) instead of failing the whole read, so the probe names it; a protected digest's
 * manifest that cannot be read or parsed reads as absent (the integrity check reports it).
 */
function tolerantReader(
  oci: RegistryReader & IntegrityReader,
  tagFailures: Map<string, string>,
): RegistryReader {
  return {
    listTags: (repo) => oci.listTags(repo),
    digestOf: async (repo, tag) => {
      const p = await oci.probeManifest(repo, tag, "HEAD");
      if (p.kind === "ok" && p.headerDigest !== undefined && isDigest(p.headerDigest))
        return p.headerDigest;
      tagFailures.set(
        tag,
        p.kind === "missing"
          ? "HTTP 404 (the tag is listed, its manifest is gone)"
          : p.kind === "error"
            ? p.detail
            : "the HEAD answer has no Docker-Content-Digest",
      );
      return `missing:${tag}`;
    },
    manifestIfExists: async (repo, ref): Promise<ManifestInfo | undefined> => {
      const p = await oci.probeManifest(repo, ref, "GET");
      if (p.kind !== "ok" || p.bytes === undefined) return undefined;
      if (`sha256:${createHash("sha256").update(p.bytes).digest("hex")}` !== ref) return undefined;
      try {
        const body = JSON.parse(p.bytes.toString("utf8")) as { annotations?: unknown };
        const annotations: Record<string, string> = {};
        const raw = body.annotations;
        if (typeof raw === "object" && raw !== null && !Array.isArray(raw))
          for (const [k, v] of Object.entries(raw)) if (typeof v === "string") annotations[k] = v;
        return { digest: ref, annotations };
      } catch {
        return undefined;
      }
    },
    ...(oci.referrers ? { referrers: oci.referrers.bind(oci) } : {}),
    ...(oci.manifest ? { manifest: oci.manifest.bind(oci) } : {}),
  };
}

/** How a protected digest is named in a report: its tags, its digest, and what it signs. */
function nameOf(d: ProtectedDigest): string {
  const tags = d.tags.length > 0 ? d.tags.join(", ") : "untagged";
  const signs = d.reasons.find((r) => r.kind === "signature" || r.kind === "referrer");
  const role =
    signs === undefined
      ? ""
      : signs.kind === "signature"
        ? ` (${describeReason(signs).replace(/ \(deleting.*$/, "")})`
        : ` (OCI 1.1 referrer${signs.artifactType ? ` ${signs.artifactType}` : ""} of ${signs.subject})`;
  return `[${tags}] ${d.digest}${role}`;
}

const isSignatureOf = (subject: string) => (d: ProtectedDigest) =>
  d.reasons.some(
    (r) =>
      (r.kind === "signature" && r.subject === subject && r.tag.endsWith(".sig")) ||
      (r.kind === "referrer" && r.subject === subject && /sig/i.test(r.artifactType ?? "")),
  );

/** Problems the allowlist itself shows: broken tags, and (asked for) kept digests without signature. */
function listingProblems(
  allow: Allowlist,
  tagFailures: ReadonlyMap<string, string>,
  requireSignatures: boolean,
): IntegrityProblem[] {
  const out: IntegrityProblem[] = [];
  for (const d of allow.digests) {
    if (!isDigest(d.digest)) {
      const tag = d.digest.slice("missing:".length);
      const why = d.reasons.map(describeReason).join("; ");
      out.push({
        kind: "tag-broken",
        artifact: `[${tag}]`,
        object: tag,
        message: `[${tag}]: tag ${tag} (${why}) cannot be resolved: expected a manifest, got ${tagFailures.get(tag) ?? "no digest"}.`,
      });
      continue;
    }
    if (!requireSignatures) continue;
    if (d.reasons.some((r) => r.kind === "signature" || r.kind === "referrer")) continue;
    if (allow.digests.some(isSignatureOf(d.digest))) continue;
    const name = nameOf(d);
    out.push({
      kind: "signature-missing",
      artifact: name,
      object: d.digest,
      message: `${name}: no signature: expected a ${d.digest.replace(":", "-")}.sig tag or a signature referrer, found neither (--require-signatures).`,
    });
  }
  return out;
}

export async function runWith(
  argv: readonly string[],
  io: CommandIo,
  readerOf: VerifyReaderFactory,
  github: () => GitHubClient | string,
): Promise<number> {
  const a = parseArgs("verify", argv, {
    values: ["policy", "dir", "artifact", "digest", "label"],
    booleans: ["require-signatures", "exhaustive", "issue"],
  });
  const modes = ["policy", "dir", "artifact"].filter((k) => a.values.has(k));
  if (modes.length > 1)
    throw new UsageError(
      `verify: give one of --policy, --dir and --artifact, not ${modes.map((m) => `--${m}`).join(" and ")}.`,
    );
  if (a.values.has("artifact") !== a.values.has("digest"))
    throw new UsageError("verify: --artifact and --digest go together.");
  const label = labelFlag(a.values.get("label"), INTEGRITY_LABEL);

  let host: string;
  let repo: string;
  let policy: PinsPolicy | undefined;
  const artifact = a.values.get("artifact");
  if (artifact !== undefined) {
    const split = splitArtifact(artifact);
    if (typeof split === "string") throw new UsageError(`verify: ${split}`);
    const digest = a.values.get("digest")!;
    if (!isDigest(digest) || !/^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/.test(digest))
      throw new UsageError(
        `verify: --digest ${JSON.stringify(digest)} is not a digest (sha256:<64 hex>).`,
      );
    if (a.booleans.has("require-signatures") || a.booleans.has("exhaustive"))
      throw new UsageError("verify: --require-signatures and --exhaustive need --policy or --dir.");
    ({ host, repository: repo } = split);
  } else {
    const p = policyOf(a.values);
    if (typeof p === "string") {
      io.stderr(`promotion verify: ${p}\n`);
      return EXIT_USAGE;
    }
    policy = p;
    host = p.registry;
    repo = p.repository;
  }

  let problems: IntegrityProblem[] = [];
  let summary: string;
  let unreadable: string | undefined;
  try {
    const oci = readerOf(host);
    let targets: IntegrityTarget[];
    if (policy === undefined) {
      const digest = a.values.get("digest")!;
      targets = [{ digest, name: `${host}/${repo}@${digest}` }];
    } else {
      const tagFailures = new Map<string, string>();
      const read = await readPinsTags(policy, tolerantReader(oci, tagFailures), {
        exhaustive: a.booleans.has("exhaustive"),
      });
      const allow = expandPolicy(policy, read.tags, read.referrers);
      problems.push(...listingProblems(allow, tagFailures, a.booleans.has("require-signatures")));
      targets = allow.digests
        .filter((d) => isDigest(d.digest))
        .map((d) => ({ digest: d.digest, name: nameOf(d) }));
    }
    const report = await checkArtifacts(oci, repo, targets);
    problems = [...problems, ...report.problems];
    const broken = new Set(problems.map((p) => p.artifact)).size;
    const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? "" : "s"}`;
    const counted = `${plural(report.manifests, "manifest")}, ${plural(report.blobs, "blob")} checked; blob digests as the registry's HEAD reports them`;
    summary =
      problems.length === 0
        ? `healthy: ${targets.length === 1 && policy === undefined ? "the artifact" : `all ${targets.length} protected artifacts (signatures included)`} of ${host}/${repo} ${targets.length === 1 && policy === undefined ? "is" : "are"} complete (${counted}).`
        : `${problems.length} problem${problems.length === 1 ? "" : "s"} in ${broken} of ${targets.length + problems.filter((p) => p.kind === "tag-broken").length} artifacts of ${host}/${repo} (${counted}).`;
  } catch (e) {
    if (!(e instanceof RegistryError)) throw e;
    unreadable = e.message;
    summary = "";
  }

  if (unreadable !== undefined)
    io.stderr(
      `promotion verify: ${unreadable}\nNothing was verified: the registry could not be read.\n`,
    );
  else {
    for (const p of problems) io.stdout(`BROKEN: ${p.message}\n`);
    io.stdout(`${summary}\n`);
  }
  const verdict =
    unreadable !== undefined ? EXIT_UNREADABLE : problems.length > 0 ? EXIT_BROKEN : EXIT_OK;

  if (a.booleans.has("issue")) {
    const gh = github();
    if (typeof gh === "string") {
      io.stderr(`promotion verify: --issue: ${gh}\n`);
      return EXIT_USAGE;
    }
    const alarms: Alarm[] =
      unreadable !== undefined
        ? [{ key: "registry-unreadable:", line: `The registry could not be read: ${unreadable}` }]
        : problems.map((p) => ({ key: `${p.kind}:${p.object}`, line: p.message }));
    try {
      const open = await gh.openIssues(label);
      const action = alarmIssueAction(
        INTEGRITY_ISSUE,
        alarms,
        open,
        new Date().toISOString(),
        runUrlFromEnv(),
      );
      io.stdout(`${await applyIssueAction(gh, INTEGRITY_ISSUE, action, label)}\n`);
    } catch (e) {
      if (!(e instanceof GitHubError)) throw e;
      io.stderr(`promotion verify: ${e.message}\n`);
      return EXIT_ISSUE;
    }
  }
  return verdict;
}
