/**
 * Untrusted text in messages. A value from config, the registry, a dispatch payload or the command line is
 * quoted in errors and annotations so its owner can find it, but it may be 40 kB long or hold line breaks
 * (a forged event field, a hostile tag, a pasted file): every message shows at most CLIP_LIMIT characters
 * of it, and when it was longer, how long it was, so the message stays one readable line of bounded size.
 */

/** The longest prefix of an untrusted value a message shows. */
export const CLIP_LIMIT = 120;

/** `… (N characters)` after a clipped prefix: the length tells a cut value from a short one. */
const more = (n: number): string => `... (${n} characters)`;

/**
 * A value for a message: a string as a JSON string literal (quotes, escapes: nothing can break the line),
 * anything else as its JSON; at most `limit` characters of the text, then `... (N characters)` when it was
 * longer. `raw: true` shows a string without the quotes (text that is already a message, e.g. a parser's
 * error, which names the value itself); its line breaks are still escaped.
 */
export function clip(
  value: unknown,
  opts: { readonly limit?: number; readonly raw?: boolean } = {},
): string {
  const limit = Math.max(1, opts.limit ?? CLIP_LIMIT);
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  let head = text.length > limit ? text.slice(0, limit) : text;
  // Never end on half of a surrogate pair.
  if (head.length < text.length && /[\ud800-\udbff]$/.test(head)) head = head.slice(0, -1);
  const shown = typeof value === "string" && !opts.raw ? JSON.stringify(head) : head;
  return `${escapeControls(shown)}${head.length < text.length ? more(text.length) : ""}`;
}

/** Control characters and Unicode line separators as `\uXXXX` (JSON.stringify leaves DEL, U+2028/9). */
function escapeControls(s: string): string {
  return s.replace(
    /[\u0000-\u001f\u007f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
