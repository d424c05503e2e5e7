/**
 * Soak durations (issue 21 item 3), Go-style as Flux writes intervals: `0`, `90s`, `30m`, `1h30m`, `2d` is
 * refused (write `48h`). Pure.
 */

const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** Milliseconds of `text`, or undefined when it is not a duration of hours, minutes and seconds. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === "0") return 0;
  const m = DURATION.exec(t);
  if (!m || t === "") return undefined;
  const [h, min, s] = [m[1], m[2], m[3]].map((x) => (x === undefined ? 0 : Number(x)));
  return ((h! * 60 + min!) * 60 + s!) * 1000;
}

/** `1h 30m 5s` style for messages and status (`0s` for zero). */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const out = [h ? `${h}h` : "", m ? `${m}m` : "", s ? `${s}s` : ""].filter(Boolean).join(" ");
  return out === "" ? "0s" : out;
}
