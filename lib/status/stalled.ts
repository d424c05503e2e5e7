/**
 * The pipeline-stalled watch's decision (DESIGN 5: "nothing in this loop may fail silently"), pure: from
 * `promotion status` (or the registry error that kept it from being computed) and the thresholds in
 * `promotion-pipeline:pipeline.watch`, whether to raise the alarm and why; and what to do with the one
 * watch issue on GitHub (open, update, close, nothing). The workflow only runs `promotion watch`.
 *
 * Alarms:
 *   rc-stalled         the newest RC has waited longer than rcWaitHours with no stable tag newer than it
 *   rc-age-unknown     the newest RC waits and its build time cannot be read (the wait cannot be measured,
 *                      so it could stall unnoticed: fail closed)
 *   pin-expiring       a pin expires within pinExpiryDays (or has expired: `pulumi preview` fails then)
 *   registry-unreadable the registry could not be read
 */
import type { WatchSpec } from "../config";
import {
  alarmIssueAction,
  alarmIssueBody,
  alarmKeyOfBody,
  alarmsKey,
  type Alarm,
  type AlarmIssueSpec,
  type IssueAction,
  type OpenIssue,
} from "../github/alarmIssue";
import { formatHours, type PipelineStatus } from "./status";

export type Finding =
  | {
      readonly kind: "rc-stalled";
      readonly rc: string;
      readonly waitingHours: number;
      readonly limitHours: number;
      readonly newestStable?: string;
    }
  | { readonly kind: "rc-age-unknown"; readonly rc: string }
  | {
      readonly kind: "pin-expiring";
      readonly cluster: string;
      readonly ref: string;
      readonly expires: string;
      readonly hoursLeft: number;
      readonly reason: string;
    }
  | { readonly kind: "registry-unreadable"; readonly message: string };

export interface WatchDecision {
  readonly alarm: boolean;
  /** Sorted by kind, then subject. */
  readonly findings: readonly Finding[];
}

export type WatchInput = { readonly status: PipelineStatus } | { readonly registryError: string };

export type Thresholds = Pick<WatchSpec, "rcWaitHours" | "pinExpiryDays">;

const subject = (f: Finding): string => {
  switch (f.kind) {
    case "rc-stalled":
    case "rc-age-unknown":
      return f.rc;
    case "pin-expiring":
      return f.cluster;
    case "registry-unreadable":
      return "";
    default: {
      const never: never = f;
      throw new Error(`unknown finding ${JSON.stringify(never)}`);
    }
  }
};

export function decideWatch(input: WatchInput, t: Thresholds): WatchDecision {
  const findings: Finding[] = [];
  if ("registryError" in input) {
    findings.push({ kind: "registry-unreadable", message: input.registryError });
  } else {
    const s = input.status;
    const rc = s.newestRc;
    if (rc?.waiting) {
      if (rc.waitingHours === undefined) findings.push({ kind: "rc-age-unknown", rc: rc.tag });
      else if (rc.waitingHours > t.rcWaitHours)
        findings.push({
          kind: "rc-stalled",
          rc: rc.tag,
          waitingHours: rc.waitingHours,
          limitHours: t.rcWaitHours,
          ...(s.newestStable ? { newestStable: s.newestStable.tag } : {}),
        });
    }
    for (const c of s.clusters) {
      if (c.pin && c.pin.hoursLeft < t.pinExpiryDays * 24)
        findings.push({
          kind: "pin-expiring",
          cluster: c.name,
          ref: c.pin.ref,
          expires: c.pin.expires,
          hoursLeft: c.pin.hoursLeft,
          reason: c.pin.reason,
        });
    }
  }
  findings.sort((a, b) =>
    a.kind !== b.kind
      ? a.kind < b.kind
        ? -1
        : 1
      : subject(a) < subject(b)
        ? -1
        : subject(a) > subject(b)
          ? 1
          : 0,
  );
  return { alarm: findings.length > 0, findings };
}

/** One line per finding, for the issue and the job log. */
export function describeFinding(f: Finding): string {
  switch (f.kind) {
    case "rc-stalled":
      return `Release candidate ${f.rc} has waited ${formatHours(f.waitingHours)} for promotion (limit ${f.limitHours}h)${f.newestStable ? `; the newest stable is still ${f.newestStable}` : "; nothing is stable yet"}. Integration's gate is likely unhealthy or the dispatch does not arrive: run \`promotion trace\` on its commit, and \`promotion status --kubeconfig integration=<file>\`.`;
    case "rc-age-unknown":
      return `Release candidate ${f.rc} waits for promotion, but its build time (org.opencontainers.image.created) cannot be read, so its wait cannot be measured.`;
    case "pin-expiring":
      return f.hoursLeft < 0
        ? `The pin of ${f.cluster} (${f.ref}: ${f.reason}) expired on ${f.expires}: \`pulumi preview\` of its stack fails until it is lifted or extended.`
        : `The pin of ${f.cluster} (${f.ref}: ${f.reason}) expires on ${f.expires} (${formatHours(f.hoursLeft)} left): lift it (\`pulumi config rm promotion-pipeline:pin\`) or extend it.`;
    case "registry-unreadable":
      return `The registry could not be read: ${f.message}`;
    default: {
      const never: never = f;
      throw new Error(`unknown finding ${JSON.stringify(never)}`);
    }
  }
}

export const WATCH_TITLE = "Promotion pipeline stalled";

/** The watch's issue (lib/github/alarmIssue.ts keeps it in step). */
export const WATCH_ISSUE: AlarmIssueSpec = {
  title: WATCH_TITLE,
  marker: "promotion-watch",
  who: "pipeline-stalled watch",
  footer:
    "This issue is opened, updated and closed by the generated workflow `pipeline-watch.yaml` (`promotion watch`); it closes itself when the condition clears. `promotion status` shows the whole pipeline.",
  cleared:
    "no release candidate waits past the limit, no pin expires soon and the registry is readable.",
  labelColor: "B60205",
  labelDescription: "The promotion pipeline is stalled (promotion watch)",
  noun: "watch issue",
};

/** The decision's findings as alarms: keyed by kind and subject. */
function alarmsOf(d: WatchDecision): Alarm[] {
  return d.findings.map((f) => ({ key: `${f.kind}:${subject(f)}`, line: describeFinding(f) }));
}

/** The marker that records which alarms an issue body describes (a comment is added when they change). */
export function findingsKey(d: WatchDecision): string {
  return alarmsKey(alarmsOf(d));
}

/**
 * The issue body: the findings, where to look, the run that saw them, and the pipeline as `promotion
 * status --output markdown` draws it (`picture`), when the registry could be read.
 */
export function issueBody(d: WatchDecision, at: string, runUrl?: string, picture?: string): string {
  return alarmIssueBody(WATCH_ISSUE, alarmsOf(d), at, runUrl, picture);
}

/** The marker of an existing body, or undefined. */
export function keyOfBody(body: string): string | undefined {
  return alarmKeyOfBody(WATCH_ISSUE, body);
}

export type { IssueAction, OpenIssue };

/**
 * What to do with the watch issue. `open` lists the open issues with the watch label, oldest first: the
 * oldest is THE issue (one issue, never a duplicate); extra ones are left alone.
 */
export function issueAction(
  d: WatchDecision,
  open: readonly OpenIssue[],
  at: string,
  runUrl?: string,
  picture?: string,
): IssueAction {
  return alarmIssueAction(WATCH_ISSUE, d.alarm ? alarmsOf(d) : [], open, at, runUrl, picture);
}
