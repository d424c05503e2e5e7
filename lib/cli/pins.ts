/**
 * `promotion pins`: the registry pin allowlist, expanded against the registry's tags NOW
 * (OciRegistryReader). The policy comes from the pins-policy.yaml the owner stack delivers (`--policy`,
 * what cleaners use) or from a Pulumi project directory (`--dir`: Pulumi.yaml plus every
 * Pulumi.<stack>.yaml for the pins). The allowlist goes to stdout; hazards go to stderr. Fails closed: a
 * registry that cannot be read, or an allowlist that protects nothing, prints nothing and exits 1, so a
 * cleaner that runs only on success never runs on a partial or empty list.
 */
import { envPackages, loadFacts, type PackagesFactory } from "./facts";
import { formatGhcr, formatGhcrOutput, formatLines, formatReport } from "../pins/allowlist";
import { expandPolicy, type PinsPolicy } from "../pins/policy";
import { RegistryError, type RegistryReader } from "../registry/types";
import { isPlaceholder, readPinsTags, type PinsRead } from "../pins/registry";
import { oneOf, parseArgs } from "./args";
import { CREDENTIALS_HELP, readerFromEnv } from "./registryEnv";
import { EXIT_NONE, EXIT_OK, helpText, readFailure, usageFailure, type CommandIo } from "./command";

export const usage =
  "pins [--policy <file> | --dir <project dir>] [--format lines|ghcr|ghcr-output|report] [--strict] [--exhaustive]";

export const help = `Prints the registry pin allowlist: every digest a cluster references or may
fall back to (each cluster's selection, suspended ones included; every pin;
floatingTags; the highest stable; the pending RCs; the last keepStable stable
versions) and every tag on those digests, computed from the registry's tags
now; and every signature artifact of a protected digest (cosign's
sha256-<hex>.sig/.att/.sbom tags, OCI 1.1 referrers and the referrers
tag-schema index sha256-<hex>), with its digest: deleting a kept digest's
signature counts as deleting the digest. Run it right before a cleanup, and run the cleaner only if it succeeded.

Options:
  --policy <file>   the pin policy the owner stack delivers
                    (registry/pins-policy.yaml); what cleaners use
  --dir <dir>       or: a Pulumi project directory (Pulumi.yaml and every
                    Pulumi.<stack>.yaml); default: the current directory
  --format <f>      lines        type/name==version lines for a self-hosted
                                 cleaner (default)
                    ghcr         inputs for snok/container-retention-policy v3
                                 (image-tags excludes, skip-shas digests), YAML
                    ghcr-output  the same as $GITHUB_OUTPUT lines
                    report       every protected digest, its tags and why
  --strict          exit 1 when a hazard of severity error is found
  --exhaustive      read the digest of every tag (a HEAD each), for a
                    registry whose tags do not follow the build's naming
  -h, --help        this text

Registry reads: one paginated tag listing, then a HEAD only for the tags whose
digest decides protection (selections, pins, floating tags, the stable window,
pending RCs, tags outside the build's naming) and the other tags of each
protected digest's build (found from its revision and version annotations).
Signatures: a HEAD per existing cosign tag of a protected digest, one
referrers API request per protected digest (none more once the registry
answers 404: it does not serve the API) and one GET per referrers index tag.
For ghcr.io with a password (a GitHub token), the GitHub Packages API lists
every version with its tags instead (100 per page; GITHUB_API_URL).

${CREDENTIALS_HELP}

Hazards (stderr, "error:" or "warning:"): a pin to a missing tag, a stray
pre-release that stops integration from taking RCs, a retention rule in
promotion-pipeline:pins that would delete a protected digest, ...

Exit codes: 0 printed; 1 registry unreadable, nothing to protect, or --strict
and an error hazard (stdout empty unless it was the hazard); 2 bad usage,
invalid configuration or invalid policy.`;

type Format = "lines" | "ghcr" | "ghcr-output" | "report";
const FORMATS: readonly Format[] = ["lines", "ghcr", "ghcr-output", "report"];

/** Reads the registry; injected by tests. */
export type ReaderFactory = (policy: PinsPolicy) => RegistryReader;

const ociReader: ReaderFactory = (policy) => readerFromEnv(policy.registry);

export function run(argv: readonly string[], io: CommandIo): Promise<number> {
  return runWith(argv, io, ociReader, envPackages);
}

export async function runWith(
  argv: readonly string[],
  io: CommandIo,
  readerOf: ReaderFactory,
  packagesOf: PackagesFactory = () => undefined,
): Promise<number> {
  const a = parseArgs("pins", argv, {
    values: ["dir", "policy", "format"],
    booleans: ["strict", "exhaustive"],
  });
  if (a.help) {
    io.stdout(`${helpText({ usage, help })}\n`);
    return EXIT_OK;
  }
  const format = oneOf("format", a.values.get("format"), FORMATS, "lines");
  const facts = loadFacts(a.values);
  if (typeof facts === "string") return usageFailure(io, "pins", facts);
  const { policy } = facts;

  let tags: Map<string, string>;
  let referrers: PinsRead["referrers"];
  let note: string | undefined;
  try {
    const packageVersions = packagesOf(policy);
    const read = await readPinsTags(policy, readerOf(policy), {
      exhaustive: a.booleans.has("exhaustive"),
      ...(packageVersions ? { packageVersions } : {}),
    });
    tags = read.tags;
    referrers = read.referrers;
    note = read.note;
  } catch (e) {
    if (e instanceof RegistryError)
      return readFailure(
        io,
        "pins",
        e,
        "No allowlist printed: a cleaner must not run on a partial one.",
      );
    throw e;
  }

  const allow = expandPolicy(policy, tags, referrers);
  if (allow.digests.some((d) => isPlaceholder(d.digest))) {
    // Cannot happen (placeholders stand only for tags no protection depends on); fail closed if it does.
    throw new Error("internal: the allowlist protects a digest that was never read");
  }
  if (allow.digests.length === 0 && format !== "report") {
    io.stderr(
      `promotion pins: the allowlist of ${policy.registry}/${policy.repository} protects nothing (${tags.size} tags in the registry).\n` +
        "No allowlist printed: a cleaner would read an empty one as 'delete everything'.\n",
    );
    return EXIT_NONE;
  }
  switch (format) {
    case "lines":
      io.stdout(formatLines(allow, policy.lines));
      break;
    case "ghcr":
      io.stdout(formatGhcr(allow));
      break;
    case "ghcr-output":
      io.stdout(formatGhcrOutput(allow));
      break;
    case "report":
      io.stdout(formatReport(allow));
      break;
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
  if (note !== undefined) io.stderr(`warning: packages-api: ${note}\n`);
  for (const h of allow.hazards) io.stderr(`${h.severity}: ${h.kind}: ${h.message}\n`);
  return a.booleans.has("strict") && allow.hazards.some((h) => h.severity === "error")
    ? EXIT_NONE
    : EXIT_OK;
}
