/**
 * `promotion status`: per cluster of the pipeline, its constraint, what it selects from the registry now
 * (Flux's exact model), its pin, and, with --kubeconfig/--context, what it runs; the newest RC, the
 * newest stable and how long the RC has waited. See lib/status/status.ts.
 */
import { RegistryError } from "../registry/types";
import { formatStatusMarkdown } from "../status/markdown";
import { readForStatus } from "../status/reads";
import { computeStatus, formatStatus, type PipelineStatus } from "../status/status";
import { FACT_FLAGS, oneOf, parseArgs, parseNow, withFlags, type ParsedArgs } from "./args";
import { EXIT_OK, readFailure, usageFailure, type CommandIo, type RunWith } from "./command";
import {
  gatherFacts,
  githubFor,
  LIVE_READERS,
  loadFacts,
  type FactReaders,
  type PipelineFacts,
} from "./facts";
import { stagesFromWire } from "../stages/wire";
import { readOpenSoaks, soakLines } from "./stagePlan";

export const usage =
  "status [--policy <file> | --dir <project dir>] [--output text|json|markdown] [--kubeconfig <cluster>=<file>]... [--context <cluster>=<context>]... [--github <owner/repo> [--stages <json>]]";

export const help = `Where the pipeline stands, from the registry now: per cluster its semver
constraint, the tag and digest it selects (the exact Flux model), its pin
(reason, expiry, days left); the newest release candidate, the newest stable
version and how long the newest RC has waited for promotion (its build time is
the artifact's org.opencontainers.image.created annotation).

Options:
  --policy <file>        the pin policy the owner stack delivers
                         (registry/pins-policy.yaml)
  --dir <dir>            or: a Pulumi project directory (Pulumi.yaml and every
                         Pulumi.<stack>.yaml); default: the current directory
  --output text|json|markdown
                         a table (default), JSON for scripts, or Markdown for
                         GitHub (job summaries, issues): a Mermaid flowchart of
                         the stages, then the table
  --kubeconfig <c>=<f>   also read cluster <c> with this kubeconfig: its
                         OCIRepository's status.artifact.revision and signature
                         verification (spec.verify and the SourceVerified
                         condition: verified by which identity or key, or
                         refused and why), and the gate Kustomization's Ready
                         condition and lastAppliedRevision; a cluster that does
                         not run what it selects, or refused a signature, is
                         flagged MISMATCH (repeat per cluster)
  --context <c>=<ctx>    the kubeconfig context for cluster <c> (default: the
                         file's current-context; the file defaults to
                         $KUBECONFIG or ~/.kube/config)
  --source <ns>/<name>   with --policy: the OCIRepository (default
                         flux-system/flux-system)
  --gate <ns>/<name>     with --policy: the gate Kustomization (default
                         flux-system/platform)
  --github <owner/repo>  also list the promotions recorded on GitHub (the
                         promote workflow's Deployments to live); the token is
                         GITHUB_TOKEN or GH_TOKEN (read access to deployments)
  --stages <json>        with --github: the stages as the promote workflow has
                         them ($PROMOTION_STAGES); adds one line per revision
                         that soaks or waits for a window, with the soak's time
                         left (issue 21; GitHub Deployments per stage)
  --now <RFC 3339 time>  evaluate at this time instead of the clock (for
                         reproducible reports; also $PROMOTION_NOW)
  -h, --help             this text

Registry credentials (optional): PROMOTION_REGISTRY_USERNAME and
PROMOTION_REGISTRY_PASSWORD; PROMOTION_REGISTRY_SCHEME as for promote-plan. Kubernetes: a bearer token or a client
certificate in the kubeconfig (read-only: get on ocirepositories and
kustomizations); exec plugins are not run.

Exit codes: 0 printed; 1 the registry could not be read (nothing printed);
2 bad usage, invalid configuration or policy; 3 printed, and a cluster that
was read does not run what it selects, refused a signature, or could not be
read.`;

export const EXIT_MISMATCH = 3;

/** Everything status needs, read; a registry failure is thrown as RegistryError. */
export async function gatherStatus(
  facts: PipelineFacts,
  readers: FactReaders,
  now: Date,
  args: ParsedArgs,
): Promise<PipelineStatus> {
  const { registry, ...read } = await gatherFacts(facts, args, readers, (reader, options) =>
    readForStatus(reader, facts.policy.repository, facts.policy.clusters, options),
  );
  return computeStatus({
    ...read,
    registry: facts.policy.registry,
    repository: facts.policy.repository,
    clusters: facts.policy.clusters,
    tags: registry.tags,
    created: registry.created,
    now,
  });
}

export function run(argv: readonly string[], io: CommandIo): Promise<number> {
  return runWith(argv, io, LIVE_READERS);
}

export const runWith: RunWith<FactReaders> = async (argv, io, readers) => {
  const a = parseArgs("status", argv, withFlags(FACT_FLAGS, { values: ["output", "stages"] }));
  const output = oneOf("output", a.values.get("output"), ["text", "json", "markdown"], "text");
  const now = parseNow(a.values.get("now"));
  const facts = loadFacts(a.values);
  if (typeof facts === "string") return usageFailure(io, "status", facts);
  let status: PipelineStatus;
  try {
    status = await gatherStatus(facts, readers, now, a);
  } catch (e) {
    if (e instanceof RegistryError) return readFailure(io, "status", e);
    throw e;
  }
  io.stdout(
    output === "json"
      ? `${JSON.stringify(status, null, 2)}\n`
      : output === "markdown"
        ? formatStatusMarkdown(status)
        : formatStatus(status),
  );
  const stagesWire = a.values.get("stages");
  if (stagesWire !== undefined && output !== "json") {
    const repo = a.values.get("github");
    if (repo === undefined)
      return usageFailure(io, "status", "--stages needs --github <owner/repo>.");
    let stages;
    try {
      stages = stagesFromWire(stagesWire);
    } catch (e) {
      return usageFailure(io, "status", `--stages: ${(e as Error).message}`);
    }
    const gh = githubFor(readers, repo);
    if (typeof gh === "string") return usageFailure(io, "status", gh);
    io.stdout(soakLines(await readOpenSoaks(gh, stages), now));
  }
  return status.clusters.some((c) => c.mismatch !== undefined) ? EXIT_MISMATCH : EXIT_OK;
};
