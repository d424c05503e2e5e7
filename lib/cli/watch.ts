/**
 * `promotion watch`: the pipeline-stalled watch the generated `pipeline-watch.yaml` runs on a schedule.
 * Computes `promotion status`, decides (lib/status/stalled.ts) and, with --issue, opens, updates or closes the
 * one watch issue on GitHub. Exit 0: clear; 4: alarm (the job fails, visibly); 1: the issue could not
 * be updated; 2: bad usage or configuration.
 */
import { appendFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { applyIssueAction } from "../github/alarmIssue";
import { formatStatusMarkdown } from "../status/markdown";
import { clientFromEnv, GitHubError, runUrlFromEnv, type GitHubClient } from "../github/client";
import { RegistryError } from "../registry/types";
import {
  decideWatch,
  describeFinding,
  issueAction,
  WATCH_ISSUE,
  WATCH_LABEL,
  type WatchInput,
} from "../status/stalled";
import { DEFAULT_WATCH } from "../config";
import { EXIT_NONE, EXIT_OK, EXIT_USAGE, UsageError, type CommandIo } from "./command";
import {
  envPackages,
  loadFacts,
  noPackages,
  ociRegistry,
  type PackagesFactory,
  type RegistryFactory,
} from "./facts";
import { FACT_OPTIONS, gatherStatus, parseNow, singles } from "./status";
import { clip } from "../clip";

export const usage =
  "watch [--policy <file> | --dir <project dir>] [--rc-wait-hours <n>] [--pin-expiry-days <n>] [--issue] [--label <name>] [--summary <file>]";

export const help = `Usage: promotion ${usage}

The pipeline-stalled watch. Raises the alarm when the newest release
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

function count(flag: string, v: string | undefined, def: number, min: number): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v) || Number(v) < min)
    throw new UsageError(`--${flag} must be a whole number >= ${min}, not ${clip(v)}.`);
  return Number(v);
}

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
  const { values } = parseArgs({
    args: [...argv],
    options: {
      ...FACT_OPTIONS,
      "rc-wait-hours": { type: "string" },
      "pin-expiry-days": { type: "string" },
      issue: { type: "boolean" },
      label: { type: "string" },
      summary: { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  });
  const now = parseNow(values.now);
  const label = values.label ?? WATCH_LABEL;
  if (!/^[A-Za-z0-9._-]{1,50}$/.test(label))
    throw new UsageError(`--label ${clip(label)} is not a plain label name.`);
  const facts = loadFacts(singles(values));
  if (typeof facts === "string") {
    io.stderr(`promotion watch: ${facts}\n`);
    return EXIT_USAGE;
  }
  const defaults = facts.watch ?? DEFAULT_WATCH;
  const thresholds = {
    rcWaitHours: count("rc-wait-hours", values["rc-wait-hours"], defaults.rcWaitHours, 1),
    pinExpiryDays: count("pin-expiry-days", values["pin-expiry-days"], defaults.pinExpiryDays, 0),
  };
  let input: WatchInput;
  try {
    input = {
      status: await gatherStatus(facts, registry, now, values, undefined, packagesOf),
    };
  } catch (e) {
    if (!(e instanceof RegistryError)) throw e;
    input = { registryError: e.message };
  }
  const decision = decideWatch(input, thresholds);
  const picture = "status" in input ? formatStatusMarkdown(input.status) : undefined;
  if (values.summary !== undefined && picture !== undefined)
    appendFileSync(values.summary, picture);
  if (decision.alarm)
    for (const f of decision.findings) io.stdout(`ALARM: ${describeFinding(f)}\n`);
  else
    io.stdout(
      `clear: no release candidate waits longer than ${thresholds.rcWaitHours}h, no pin expires within ${thresholds.pinExpiryDays} days, the registry is readable.\n`,
    );
  if (values.issue) {
    const gh = github();
    if (typeof gh === "string") {
      io.stderr(`promotion watch: --issue: ${gh}\n`);
      return EXIT_USAGE;
    }
    try {
      const open = await gh.openIssues(label);
      io.stdout(
        `${await applyIssueAction(gh, WATCH_ISSUE, issueAction(decision, open, now.toISOString(), runUrlFromEnv(), picture), label)}\n`,
      );
    } catch (e) {
      if (!(e instanceof GitHubError)) throw e;
      io.stderr(`promotion watch: ${e.message}\n`);
      return EXIT_NONE;
    }
  }
  return decision.alarm ? EXIT_ALARM : EXIT_OK;
}
