/**
 * ONE GitHub issue per scheduled check, kept in step with its alarms: opened on an alarm, its body
 * rewritten while the alarm lasts (a comment when the set of alarms changes), closed with a comment when
 * it clears; never a duplicate (the oldest open issue with the check's label is THE issue). Shared by the
 * pipeline-stalled watch (`promotion watch`, lib/status/stalled.ts) and the registry integrity probe
 * (`promotion verify --issue`). The decision is pure; `applyIssueAction` performs it.
 */
import type { GitHubClient } from "./client";

/** What a check says in its issue. */
export interface AlarmIssueSpec {
  /** Title of the issue it opens. */
  readonly title: string;
  /** HTML comment marker recording which alarms a body describes: `<!-- <marker> <keys> -->`. */
  readonly marker: string;
  /** Who speaks: "The <who> found a problem at ...". */
  readonly who: string;
  /** Paragraph after the alarms: who keeps the issue, where to look. */
  readonly footer: string;
  /** Why it closed: "Cleared at <at>: <cleared>". */
  readonly cleared: string;
  /** Label colour and description, for the label created with the first issue. */
  readonly labelColor: string;
  readonly labelDescription: string;
  /** How the log calls the issue ("watch issue"). */
  readonly noun: string;
}

/** One alarm: a stable key (what it is about) and its line of text. */
export interface Alarm {
  readonly key: string;
  readonly line: string;
}

export interface OpenIssue {
  readonly number: number;
  readonly body: string;
}

export type IssueAction =
  | { readonly kind: "none" }
  | { readonly kind: "open"; readonly title: string; readonly body: string }
  /** Rewrite the body; `comment` when the alarms changed since the body was written. */
  | {
      readonly kind: "update";
      readonly number: number;
      readonly body: string;
      readonly comment?: string;
    }
  | { readonly kind: "close"; readonly number: number; readonly comment: string };

/** GitHub refuses bodies over 65536 characters: a long list is cut, with the count of the rest. */
const MAX_LINES = 200;

function bulletList(alarms: readonly Alarm[]): string[] {
  const shown = alarms.slice(0, MAX_LINES).map((a) => `- ${a.line}`);
  if (alarms.length > MAX_LINES)
    shown.push(`- ... and ${alarms.length - MAX_LINES} more (the run's log lists every one).`);
  return shown;
}

/** The marker value: which alarms a body describes (a comment is added when they change). */
export function alarmsKey(alarms: readonly Alarm[]): string {
  return alarms.map((a) => a.key).join(",");
}

const run = (runUrl?: string): string => (runUrl ? ` ([run](${runUrl}))` : "");

/** The issue body: the alarms, where to look, the run that saw them, and a picture when there is one. */
export function alarmIssueBody(
  spec: AlarmIssueSpec,
  alarms: readonly Alarm[],
  at: string,
  runUrl?: string,
  picture?: string,
): string {
  return [
    `<!-- ${spec.marker} ${alarmsKey(alarms)} -->`,
    `The ${spec.who} found ${alarms.length === 1 ? "a problem" : `${alarms.length} problems`} at ${at}${run(runUrl)}:`,
    "",
    ...bulletList(alarms),
    "",
    spec.footer,
    "",
    ...(picture !== undefined ? [picture] : []),
  ].join("\n");
}

/** The marker of an existing body, or undefined. */
export function alarmKeyOfBody(spec: AlarmIssueSpec, body: string): string | undefined {
  const marker = spec.marker.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const m = new RegExp(`^<!-- ${marker} (.*) -->`).exec(body);
  return m ? m[1] : undefined;
}

/** What to do with the check's issue, given its alarms now and the open issues with its label. */
export function alarmIssueAction(
  spec: AlarmIssueSpec,
  alarms: readonly Alarm[],
  open: readonly OpenIssue[],
  at: string,
  runUrl?: string,
  picture?: string,
): IssueAction {
  const issue = [...open].sort((a, b) => a.number - b.number)[0];
  if (alarms.length === 0) {
    return issue
      ? {
          kind: "close",
          number: issue.number,
          comment: `Cleared at ${at}${run(runUrl)}: ${spec.cleared}`,
        }
      : { kind: "none" };
  }
  const body = alarmIssueBody(spec, alarms, at, runUrl, picture);
  if (!issue) return { kind: "open", title: spec.title, body };
  const changed = alarmKeyOfBody(spec, issue.body) !== alarmsKey(alarms);
  return {
    kind: "update",
    number: issue.number,
    body,
    ...(changed
      ? { comment: `The alarms changed at ${at}:\n\n${bulletList(alarms).join("\n")}` }
      : {}),
  };
}

/** Performs an action on GitHub; returns one line for the log. */
export async function applyIssueAction(
  gh: GitHubClient,
  spec: AlarmIssueSpec,
  a: IssueAction,
  label: string,
): Promise<string> {
  switch (a.kind) {
    case "none":
      return `no ${spec.noun} is open; nothing to do.`;
    case "open": {
      await gh.ensureLabel(label, spec.labelColor, spec.labelDescription);
      const n = await gh.openIssue(a.title, a.body, label);
      return `opened issue #${n}.`;
    }
    case "update":
      await gh.updateIssue(a.number, { body: a.body });
      if (a.comment !== undefined) await gh.comment(a.number, a.comment);
      return `updated issue #${a.number}${a.comment !== undefined ? " (the alarms changed: commented)" : ""}.`;
    case "close":
      await gh.comment(a.number, a.comment);
      await gh.updateIssue(a.number, { state: "closed", state_reason: "completed" });
      return `closed issue #${a.number}.`;
    default: {
      const never: never = a;
      throw new Error(`unknown action ${JSON.stringify(never)}`);
    }
  }
}
