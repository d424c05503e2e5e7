/**
 * The pull-request comment that summarises `pulumi preview` of every stack. GitHub refuses an issue or PR
 * comment body over 65,536 characters, and a large preview (a first run, a renamed component) easily exceeds
 * that, so each stack's output is cut to a fair share of the budget, keeping its head (the plan) and its tail
 * (the `Resources:` summary and any error) and saying what was cut.
 */

/** GitHub's limit on a comment body, in characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** A marker that lets the workflow find and update its own comment instead of adding a new one. */
export const SUMMARY_MARKER = "<!-- promotion-pipeline:preview-summary -->";

export interface StackPreview {
  /** Stack name. */
  readonly stack: string;
  /** Exit code of `pulumi preview`. */
  readonly exitCode: number;
  /** Its combined output (ANSI colour codes are removed). */
  readonly output: string;
}

const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** Cuts `text` to at most `max` characters, keeping a head and a tail and noting what was left out. */
export function cutMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const notice = (n: number): string =>
    `\n… ${n} characters cut; the full preview is in the workflow log …\n`;
  const room = max - notice(text.length).length;
  if (room <= 0) return text.slice(0, Math.max(0, max));
  const tail = Math.floor(room / 2);
  const head = room - tail;
  const cut = text.length - head - tail;
  return text.slice(0, head) + notice(cut) + text.slice(text.length - tail);
}

/** The change counts Pulumi prints under `Resources:`, e.g. `+ 3 to create`. */
export function changeCounts(output: string): string[] {
  const clean = output.replace(ANSI, "");
  const at = clean.lastIndexOf("Resources:");
  if (at === -1) return [];
  return clean
    .slice(at + "Resources:".length)
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^(\+-|[-+~])?\s*\d+ (to [a-z]+|unchanged)$/.test(l));
}

function fence(text: string): string {
  // A fence longer than any backtick run inside keeps the output from closing it early.
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const f = "`".repeat(longest + 1);
  return `${f}\n${text}\n${f}`;
}

/** Builds the comment body; the result is never longer than `limit`. */
export function previewSummary(
  previews: readonly StackPreview[],
  opts: { readonly limit?: number; readonly title?: string; readonly runUrl?: string } = {},
): string {
  const limit = opts.limit ?? GITHUB_COMMENT_LIMIT;
  const sorted = [...previews].sort((a, b) => (a.stack < b.stack ? -1 : a.stack > b.stack ? 1 : 0));
  const header = [
    SUMMARY_MARKER,
    `### ${opts.title ?? "Pulumi preview"}`,
    "",
    "| stack | result | changes |",
    "|---|---|---|",
    ...sorted.map((p) => {
      const counts = changeCounts(p.output);
      return `| \`${p.stack}\` | ${p.exitCode === 0 ? "ok" : `**failed** (exit ${p.exitCode})`} | ${counts.length ? counts.join(", ") : "–"} |`;
    }),
    "",
    ...(opts.runUrl ? [`Full output: ${opts.runUrl}`, ""] : []),
  ].join("\n");
  const blocks = sorted.map((p) => ({
    open: `<details${p.exitCode === 0 ? "" : " open"}><summary>${p.stack}</summary>\n\n`,
    body: p.output.replace(ANSI, "").trimEnd(),
    close: "\n\n</details>\n",
  }));
  // Fence overhead is computed on the uncut text; cutting never lengthens a backtick run.
  const overhead =
    header.length +
    blocks.reduce(
      (n, b) => n + b.open.length + b.close.length + fence(b.body).length - b.body.length,
      0,
    );
  let budget = limit - overhead;
  if (budget < 0) return cutMiddle(header, limit);
  // Fair share: small outputs keep everything, the rest split what remains.
  const order = blocks.map((b, i) => ({ i, len: b.body.length })).sort((a, b) => a.len - b.len);
  const allowed = new Array<number>(blocks.length).fill(0);
  let left = order.length;
  for (const { i, len } of order) {
    const share = Math.min(len, Math.floor(budget / left));
    allowed[i] = share;
    budget -= share;
    left -= 1;
  }
  const body = blocks
    .map((b, i) => b.open + fence(cutMiddle(b.body, allowed[i]!)) + b.close)
    .join("");
  const out = header + body;
  return out.length <= limit ? out : cutMiddle(out, limit);
}
