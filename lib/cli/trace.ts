/**
 * `promotion trace <commit>`: where one commit is in the pipeline, the first stage it did not reach and
 * why, with exit codes a script can use. See lib/status/trace.ts.
 */
import { RegistryError } from "../registry/types";
import { EXIT_CODES, formatTrace, traceCommit, TraceInputError, type Trace } from "../status/trace";
import { FACT_FLAGS, parseArgs, oneOf, parseNow, wholeNumber, withFlags } from "./args";
import { readFailure, usageFailure, UsageError, type CommandIo, type RunWith } from "./command";
import { readForTrace } from "../status/reads";
import { gatherFacts, LIVE_READERS, loadFacts, type FactReaders } from "./facts";

export const usage =
  "trace <commit-sha> [--policy <file> | --dir <project dir>] [--output text|json] [--rc-wait-hours <n>] [--kubeconfig <cluster>=<file>]... [--context <cluster>=<context>]... [--github <owner/repo>]";

export const help = `The journey of one commit: built (its RC tags and digest, build time),
integration (validated, or selected now; applied, when the cluster is read),
validated (validated-<7>), stable (X.Y.Z), live (selected, or running when the
cluster is read). Prints each stage, with its time where known, and the first
stage it did NOT reach with the likely reason: superseded by a newer RC,
failed the gate (needs --kubeconfig for integration), stalled (waiting longer
than --rc-wait-hours), stale, live pinned, its signature refused by the
cluster's source-controller (SourceVerified=False; needs --kubeconfig), ...

Options: --policy, --dir, --kubeconfig, --context, --source, --gate, --now,
--github as for \`promotion status\` (with --github, the validation and
promotion times and the run come from the promotion record), and
  --output text|json     a report (default) or JSON
  --rc-wait-hours <n>    hours an RC may wait for the gate before it counts as
                         stalled (default: pipeline.watch.rcWaitHours with
                         --dir, else 24)

Exit codes:
  0  on live (live runs or selects it, or ran it and has moved on)
  3  in progress: waiting for the gate, or live has not picked it up yet
  4  stopped: failed the gate, superseded, stale, stalled, live pinned, refused,
     signature refused
  5  unknown commit: no artifact was built from it
  1  the registry could not be read;  2  bad usage or configuration`;

export function run(argv: readonly string[], io: CommandIo): Promise<number> {
  return runWith(argv, io, LIVE_READERS);
}

export const runWith: RunWith<FactReaders> = async (argv, io, readers) => {
  const a = parseArgs(
    "trace",
    argv,
    withFlags(FACT_FLAGS, { values: ["output", "rc-wait-hours"], positionals: true }),
  );
  if (a.positionals.length !== 1) throw new UsageError("give exactly one commit SHA.");
  const output = oneOf("output", a.values.get("output"), ["text", "json"], "text");
  const waitFlag = a.values.get("rc-wait-hours");
  const waitHours =
    waitFlag === undefined ? undefined : wholeNumber("rc-wait-hours", waitFlag, 0, 1, "hours");
  const now = parseNow(a.values.get("now"));
  const facts = loadFacts(a.values);
  if (typeof facts === "string") return usageFailure(io, "trace", facts);
  const commit = a.positionals[0]!;
  let trace: Trace;
  try {
    const { registry, observed, records, recordsError } = await gatherFacts(
      facts,
      a,
      readers,
      (reader, options) =>
        readForTrace(reader, facts.policy.repository, commit, facts.policy.clusters, options),
    );
    if (recordsError !== undefined)
      io.stderr(`promotion trace: promotion records not read: ${recordsError}\n`);
    trace = traceCommit({
      ...(records ? { records } : {}),
      commit,
      tags: registry.tags,
      created: registry.created,
      clusters: facts.policy.clusters,
      now,
      // Default: pipeline.watch.rcWaitHours with --dir, else 24 (the watch's default).
      rcWaitHours: waitHours ?? facts.watch?.rcWaitHours ?? 24,
      observed,
    });
  } catch (e) {
    if (e instanceof TraceInputError) throw new UsageError(e.message);
    if (e instanceof RegistryError) return readFailure(io, "trace", e);
    throw e;
  }
  io.stdout(output === "json" ? `${JSON.stringify(trace, null, 2)}\n` : formatTrace(trace));
  return EXIT_CODES[trace.verdict];
};
