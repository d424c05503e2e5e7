/**
 * `promotion pins`: the registry pin allowlist for the pipeline in a Pulumi project directory (Pulumi.yaml
 * plus every Pulumi.<stack>.yaml for the pins) and the registry's current tags (OciRegistryReader).
 * The allowlist goes to stdout; hazards go to stderr. A registry that cannot be read fails the command:
 * it never prints an allowlist computed from a partial listing.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { NS, parsePipeline } from "../config";
import { ConfigError, ProblemCollector } from "../errors";
import { computeAllowlist, formatGhcr, formatLines, formatReport } from "../pins";
import { attachPins, parsePinsConfig, pinsTypeName, readPinsFromStackFiles } from "../pinsConfig";
import { OciRegistryReader } from "../registry/oci";
import { RegistryError } from "../registry/types";
import { parseArgs } from "./args";
import { EXIT_NONE, EXIT_OK, EXIT_USAGE, UsageError, type CommandIo } from "./command";

export const usage = "pins [--dir <project dir>] [--format lines|ghcr|report] [--strict]";

export const help = `Usage: promotion ${usage}

Prints the registry pin allowlist: every digest a cluster references or may
fall back to (each cluster's selection, suspended ones included; every pin in
the Pulumi.<stack>.yaml files; floatingTags; the highest stable; the pending
RCs; the last keepStable stable versions) and every tag on those digests.

Options:
  --dir <dir>       Pulumi project directory (default: the current directory)
  --format <f>      lines   type/name==version lines for a self-hosted cleaner (default)
                    ghcr    inputs for snok/container-retention-policy v3
                            (image-tags excludes, shas-to-skip digests)
                    report  every protected digest, its tags and why
  --strict          exit 1 when a hazard of severity error is found
  -h, --help        this text

Registry credentials (optional; anonymous otherwise, e.g. public GHCR packages):
  PROMOTION_REGISTRY_USERNAME, PROMOTION_REGISTRY_PASSWORD (basic auth, or the
  credentials for the registry's token endpoint).

Hazards (stderr, "error:" or "warning:"): a pin to a missing tag, a stray
pre-release that stops integration from taking RCs, a retention rule in
promotion-pipeline:pins that would delete a protected digest, ...

Exit codes: 0 printed; 1 registry unreadable, or --strict and an error hazard;
2 bad usage or invalid configuration.`;

type Format = "lines" | "ghcr" | "report";
const FORMATS: readonly Format[] = ["lines", "ghcr", "report"];

/** A project-level config value: `key: value` or `key: { value: ... }`. */
function projectValue(config: Record<string, unknown>, key: string): unknown {
  const v = config[key];
  if (typeof v === "object" && v !== null && !Array.isArray(v) && "value" in v) return v.value;
  return v;
}

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const a = parseArgs("pins", argv, { values: ["dir", "format"], booleans: ["strict"] });
  if (a.help) {
    io.stdout(`${help}\n`);
    return EXIT_OK;
  }
  const dir = a.values.get("dir") ?? ".";
  const rawFormat = a.values.get("format") ?? "lines";
  if (!(FORMATS as readonly string[]).includes(rawFormat)) {
    throw new UsageError(
      `pins: --format must be lines, ghcr or report, not ${JSON.stringify(rawFormat)}.`,
    );
  }
  const format = rawFormat as Format;

  let project: unknown;
  try {
    project = parse(readFileSync(join(dir, "Pulumi.yaml"), "utf8"));
  } catch (e) {
    io.stderr(`promotion pins: cannot read ${join(dir, "Pulumi.yaml")}: ${(e as Error).message}\n`);
    return EXIT_USAGE;
  }
  const config = (project as { config?: unknown } | null)?.config;
  const cfg =
    typeof config === "object" && config !== null ? (config as Record<string, unknown>) : {};
  const c = new ProblemCollector();
  const pipeline = parsePipeline(c, projectValue(cfg, `${NS}:pipeline`));
  const pinsConfig = parsePinsConfig(c, projectValue(cfg, `${NS}:pins`));
  const stackPins = readPinsFromStackFiles(dir, c);
  const clusters = pipeline ? attachPins(c, pipeline.clusters, stackPins) : [];
  if (c.count > 0 || !pipeline) {
    io.stderr(`promotion pins: ${new ConfigError(c.problems).message}\n`);
    return EXIT_USAGE;
  }

  const m = /^oci:\/\/([^/]+)\/(.+)$/.exec(pipeline.url);
  if (!m) throw new UsageError(`pins: pipeline url ${pipeline.url} is not oci://<host>/<path>.`);
  const [, host, repo] = m as unknown as [string, string, string];
  const user = process.env.PROMOTION_REGISTRY_USERNAME;
  const password = process.env.PROMOTION_REGISTRY_PASSWORD;
  const reader = new OciRegistryReader({
    host,
    ...(user && password !== undefined ? { credentials: { username: user, password } } : {}),
  });
  let tags: Map<string, string>;
  try {
    tags = await reader.tagDigests(repo);
  } catch (e) {
    if (e instanceof RegistryError) {
      io.stderr(
        `promotion pins: ${e.message}\nNo allowlist printed: a cleaner must not run on a partial one.\n`,
      );
      return EXIT_NONE;
    }
    throw e;
  }

  const allow = computeAllowlist({
    clusters,
    floatingTags: pipeline.floatingTags,
    keepStable: pipeline.keepStable,
    startVersion: pipeline.startVersion,
    tags,
    retention: pinsConfig.retention,
  });
  switch (format) {
    case "lines":
      io.stdout(formatLines(allow, pinsTypeName(pinsConfig, pipeline)));
      break;
    case "ghcr":
      io.stdout(formatGhcr(allow));
      break;
    case "report":
      io.stdout(formatReport(allow));
      break;
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
  for (const h of allow.hazards) io.stderr(`${h.severity}: ${h.kind}: ${h.message}\n`);
  return a.booleans.has("strict") && allow.hazards.some((h) => h.severity === "error")
    ? EXIT_NONE
    : EXIT_OK;
}
