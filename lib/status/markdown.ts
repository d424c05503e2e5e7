/**
 * `promotion status --output markdown`, pure: the pipeline as a Mermaid flowchart (GitHub renders
 * ```mermaid blocks in job summaries, issues and Markdown files) followed by the status table: the newest
 * RC and how long it has waited, each cluster with the version and digest it selects and runs, its pin
 * with days left, and what is blocked and why. The watch workflow and every promote run append it to the
 * job summary; the pipeline-stalled issue carries it.
 *
 * Everything shown comes from config, the registry or a cluster, so every text is escaped for its place:
 * Mermaid labels keep only plain characters (anything else becomes Mermaid's `#<code>;` entity, so no label
 * can close its quotes, start a directive or inject HTML), table cells escape `|` and line breaks.
 */
import { formatHours, shortDigest, type ClusterStatus, type PipelineStatus } from "./status";

/** Longest text a diagram node shows on one line; the table and the notes carry the whole text. */
const NODE_TEXT = 60;

const SAFE = /[A-Za-z0-9 ._:,/()=+@-]/;

/** Text for a quoted Mermaid label: plain characters as they are, any other as `#<code>;`. */
export function mermaidText(s: string): string {
  const clipped = s.length > NODE_TEXT ? `${s.slice(0, NODE_TEXT - 3)}...` : s;
  let out = "";
  for (const ch of clipped) out += SAFE.test(ch) ? ch : `#${ch.codePointAt(0)!};`;
  return out;
}

/** Text for a Markdown table cell: no line breaks, no column separators, no HTML tag or entity. */
export function cellText(s: string): string {
  return s
    .replace(/\r?\n/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/\|/g, "\\|");
}

/** A Mermaid node id from a cluster name (names are validated, but the id must never need quoting). */
const nodeId = (prefix: string, name: string): string =>
  `${prefix}_${name.replace(/[^A-Za-z0-9]/g, (c) => `_${c.charCodeAt(0)}_`)}`;

function label(lines: readonly string[]): string {
  return `["${lines.map(mermaidText).join("<br/>")}"]`;
}

function clusterLines(c: ClusterStatus): string[] {
  const lines = [`${c.name} (${c.role}${c.suspended ? ", suspended" : ""})`];
  if (c.selects)
    lines.push(
      `selects ${c.selects.tag ?? "a digest"}${c.selects.pinned ? " (pinned)" : ""}`,
      shortDigest(c.selects.digest),
    );
  else lines.push("selects nothing");
  if (c.pin)
    lines.push(
      `pin ${c.pin.kind === "digest" ? shortDigest(c.pin.ref) : c.pin.ref}: ${c.pin.daysLeft < 0 ? "EXPIRED" : `${c.pin.daysLeft}d left`}`,
    );
  if (c.runs) {
    if (c.runs.error !== undefined) lines.push("runs: not readable");
    else {
      const rev = c.runs.sourceRevision;
      lines.push(
        `runs ${rev ? rev.split("@")[0]! : "nothing"}, gate Ready=${c.runs.gateReady ?? "?"}`,
      );
    }
  }
  const why = blockedWhy(c);
  if (why !== undefined) lines.push(`${classOf(c) === "blocked" ? "BLOCKED" : "HELD"}: ${why}`);
  return lines;
}

/** Why a cluster does not move on, in a few words (the notes below the table say it in full). */
function blockedWhy(c: ClusterStatus): string | undefined {
  if (c.mismatch !== undefined) return c.mismatch;
  if (c.selectProblem !== undefined) return c.selectProblem;
  if (c.pin && c.pin.daysLeft < 0) return `pin expired on ${c.pin.expires}`;
  if (c.pin) return `pinned: ${c.pin.reason}`;
  if (c.suspended) return "suspended";
  return undefined;
}

/** blocked (will not move without a person), held (pinned or suspended on purpose), or ok. */
function classOf(c: ClusterStatus): "blocked" | "held" | "ok" {
  if (c.mismatch !== undefined || c.selectProblem !== undefined) return "blocked";
  if (c.pin && c.pin.daysLeft < 0) return "blocked";
  return c.pin || c.suspended ? "held" : "ok";
}

/** The flowchart: newest RC -> integration clusters -> newest stable -> live clusters. */
export function statusMermaid(s: PipelineStatus): string {
  const lines = ["flowchart LR"];
  const rc = s.newestRc;
  const rcLines = rc
    ? [
        `newest RC ${rc.tag}`,
        shortDigest(rc.digest),
        rc.promotedAs !== undefined
          ? `promoted as ${rc.promotedAs}`
          : rc.waiting
            ? `waiting ${rc.waitingHours !== undefined ? formatHours(rc.waitingHours) : "(build time unknown)"}`
            : "not promoted; older than the newest stable",
      ]
    : ["newest RC: none"];
  lines.push(`  rc${label(rcLines)}`);
  const stable = s.newestStable
    ? [`newest stable ${s.newestStable.tag}`, shortDigest(s.newestStable.digest)]
    : ["newest stable: none"];
  lines.push(`  stable${label(stable)}`);
  const classes: string[] = [];
  for (const c of s.clusters) {
    const id = nodeId("cluster", c.name);
    lines.push(`  ${id}${label(clusterLines(c))}`);
    if (c.role === "integration") lines.push(`  rc --> ${id}`, `  ${id} -->|validated| stable`);
    else lines.push(`  stable --> ${id}`);
    classes.push(`  class ${id} ${classOf(c)}`);
  }
  if (rc?.waiting) classes.push("  class rc waiting");
  lines.push(
    "  classDef ok fill:#dafbe1,stroke:#1a7f37",
    "  classDef held fill:#fff8c5,stroke:#9a6700",
    "  classDef blocked fill:#ffebe9,stroke:#cf222e",
    "  classDef waiting fill:#ddf4ff,stroke:#0969da",
    ...classes,
  );
  return lines.join("\n");
}

/** The whole Markdown: heading, flowchart, table, notes. */
export function formatStatusMarkdown(s: PipelineStatus): string {
  const out: string[] = [
    `### Promotion pipeline \`${cellText(`${s.registry}/${s.repository}`)}\``,
    "",
    `${s.tagCount} tags, at ${s.now}.`,
    "",
    "```mermaid",
    statusMermaid(s),
    "```",
    "",
    "| cluster | role | constraint | selects | digest | pin | runs |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const c of s.clusters) {
    const pin = c.pin
      ? `${c.pin.kind === "digest" ? shortDigest(c.pin.ref) : c.pin.ref} until ${c.pin.expires} (${c.pin.daysLeft < 0 ? "EXPIRED" : `${c.pin.daysLeft}d left`})`
      : "-";
    const runs = !c.runs
      ? "(not read)"
      : c.runs.error !== undefined
        ? "(unreadable)"
        : `${c.runs.sourceRevision?.split("@")[0] ?? "nothing"}, gate Ready=${c.runs.gateReady ?? "?"}${c.mismatch !== undefined ? " **MISMATCH**" : ""}`;
    const row = [
      `${c.name}${c.suspended ? " (suspended)" : ""}`,
      c.role,
      `${c.constraint}${c.semverFilter ? ` /${c.semverFilter}/` : ""}`,
      c.selects
        ? `${c.selects.tag ?? "(digest)"}${c.selects.pinned ? " (pinned)" : ""}`
        : "nothing",
      c.selects ? shortDigest(c.selects.digest) : "-",
      pin,
      runs,
    ];
    out.push(`| ${row.map(cellText).join(" | ")} |`);
  }
  const notes: string[] = [];
  const rc = s.newestRc;
  if (rc?.waiting)
    notes.push(
      `${rc.tag} waits for promotion${rc.waitingHours !== undefined ? ` since ${rc.created} (${formatHours(rc.waitingHours)})` : " (build time unknown)"}.`,
    );
  for (const c of s.clusters) {
    const why = blockedWhy(c);
    if (why !== undefined) notes.push(`${c.name}: ${why}`);
  }
  if (notes.length > 0) out.push("", ...notes.map((n) => `- ${cellText(n)}`));
  return `${out.join("\n")}\n`;
}
