/**
 * `promotion watch`: the pipeline-stalled watch the generated `pipeline-watch.yaml` runs on a schedule.
 * Computes `promotion status`, decides (lib/status/stalled.ts) and, with --issue, opens, updates or closes the
 * one watch issue on GitHub. Exit 0: clear; 4: alarm (the job fails, visibly); 1: the issue could not
 * be updated; 2: bad usage or configuration.
 */
import { appendFileSync } from "node:fs";
import { applyIssueAction } from "../github/alarmIssue";
import { formatStatusMarkdown } from "../status/markdown";
import { clientFromEnv, GitHubError, runUrlFromEnv, type GitHubClient } from "../github/client";
import { RegistryError } from "../registry/types";
import {
  decideWatch,
  describeFinding,
  issueAction,
  WATCH_ISSUE,
  type WatchInput,
} from "../status/stalled";
import { DEFAULT_WATCH, WATCH_LABEL } from "../config";
import { FACT_FLAGS, labelFlag, parseArgs, parseNow, wholeNumber, withFlags } from "./args";
import { EXIT_OK, readFailure, usageFailure, type CommandIo } from "./command";
import {
  envPackages,
  loadFacts,
  noPackages,
  ociRegistry,
  type PackagesFactory,
  type RegistryFactory,
} from "./facts";
import { gatherStatus } from "./status";

export const usage =
  "watch [--policy <file> | --dir <project dir>] [--rc-wait-hours <n>] [--pin-expiry-days <n>] [--issue] [--label <name>] [--summary <file>]";

export const help = `The pipeline-stalled watch. Raises the alarm when the newest release
candidate has waited longer than --rc-wait-hours with no stable tag newer
than it (or its wait cannot be measured), when a pin expires within
--pin-expiry-days, or when the registry cannot be read.

Options: --policy, --dir, --kubeconfig, --context, --source, --gate, --now as
for \`promotion status\`, and
  --rc-wait-hours <n>    default: pipeline.watch.rcWaitHours with --dir, else 24
  --pin-expiry-days <n>  default: pipeline.watch.pinExpiryDays with --dir, else 3
  --issue                keep one GitHub issue (label --label) in step: open it
                         on an alarm, update it while the alarm lasts (a
                         comment when the alarms change), close it when clear.
                         Needs GITHUB_TOKEN (issues: write) and
                         GITHUB_REPOSITORY; GITHUB_API_URL is honoured.
  --label <name>         the issue's label (default ${WATCH_LABEL})
  --summary <file>       append the pipeline as \`promotion status --output
                         markdown\` draws it (a Mermaid flowchart and the table)
                         to this file: $GITHUB_STEP_SUMMARY in the workflow. The
                         issue carries the same picture.

Exit codes: 0 clear; 4 alarm; 1 the issue could not be updated; 2 bad usage
or configuration.`;

export const EXIT_ALARM = 4;

export function run(argv: readonly string[], io: CommandIo): Promise<number> {
  return runWith(argv, io, ociRegistry, () => clientFromEnv(), envPackages);
}

export async function runWith(
  argv: readonly string[],
  io: CommandIo,
  registry: RegistryFactory,
  github: () => GitHubClient | string,
  packagesOf: PackagesFactory = noPackages,
): Promise<number> {
  const a = parseArgs(
    "watch",
    argv,
    withFlags(FACT_FLAGS, {
      values: ["rc-wait-hours", "pin-expiry-days", "label", "summary"],
      booleans: ["issue"],
    }),
  );
  const now = parseNow(a.values.get("now"));
  const label = labelFlag(a.values.get("label"), WATCH_LABEL);
  const facts = loadFacts(a.values);
  if (typeof facts === "string") return usageFailure(io, "watch", facts);
  const defaults = facts.watch ?? DEFAULT_WATCH;
  const thresholds = {
    rcWaitHours: wholeNumber(
      "rc-wait-hours",
      a.values.get("rc-wait-hours"),
      defaults.rcWaitHours,
      1,
      "hours",
    ),
    pinExpiryDays: wholeNumber(
      "pin-expiry-days",
      a.values.get("pin-expiry-days"),
      defaults.pinExpiryDays,
      0,
      "days",
    ),
  };
  let input: WatchInput;
  try {
    input = {
      status: await gatherStatus(facts, { registry, packages: packagesOf }, now, a),
    };
  } catch (e) {
    if (!(e instanceof RegistryError)) throw e;
    input = { registryError: e.message };
  }
  const decision = decideWatch(input, thresholds);
  const picture = "status" in input ? formatStatusMarkdown(input.status) : undefined;
  const summary = a.values.get("summary");
  if (summary !== undefined && picture !== undefined) appendFileSync(summary, picture);
  if (decision.alarm)
    for (const f of decision.findings) io.stdout(`ALARM: ${describeFinding(f)}\n`);
  else
    io.stdout(
      `clear: no release candidate waits longer than ${thresholds.rcWaitHours}h, no pin expires within ${thresholds.pinExpiryDays} days, the registry is readable.\n`,
    );
  if (a.booleans.has("issue")) {
    const gh = github();
    if (typeof gh === "string") return usageFailure(io, "watch", `--issue: ${gh}`);
    try {
      const open = await gh.openIssues(label);
      io.stdout(
        `${await applyIssueAction(gh, WATCH_ISSUE, issueAction(decision, open, now.toISOString(), runUrlFromEnv(), picture), label)}\n`,
      );
    } catch (e) {
      if (!(e instanceof GitHubError)) throw e;
      return readFailure(io, "watch", e);
    }
  }
  return decision.alarm ? EXIT_ALARM : EXIT_OK;
}
