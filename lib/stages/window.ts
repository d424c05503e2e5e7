/**
 * Promotion windows (issue 21 item 4): when a promotion INTO a stage may happen. One syntax, always with an
 * explicit IANA time zone, so a window means the same on every runner whatever its TZ:
 *
 *   <days> <HH:MM>-<HH:MM> <zone>      e.g.  Mon-Fri 09:00-16:00 Europe/Berlin
 *
 *   days   a day (Mon Tue Wed Thu Fri Sat Sun), a range of days (Mon-Fri, Fri-Mon wraps over the week end),
 *          a comma list of both (Mon,Wed,Fri-Sat), or * for every day
 *   time   local wall-clock start (inclusive) and end (exclusive), 00:00 to 24:00, start before end; a window
 *          over midnight is two windows (Fri 22:00-24:00 ..., Sat 00:00-02:00 ...)
 *   zone   an IANA zone name Node's Intl knows (Europe/Berlin, America/New_York, UTC)
 *
 * A stage with no window is always open. Local times follow the zone's daylight-saving rules through Intl
 * (no time-zone database of our own, no dependency): 02:30 on a spring-forward day does not exist and is
 * never reached; an instant is inside a window when its local day and wall-clock minute are.
 * Pure logic, no Pulumi import.
 */

export const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;
export type Day = (typeof DAYS)[number];

/** A parsed window. */
export interface PromotionWindow {
  /** The window as written (for messages, status and records). */
  readonly text: string;
  /** Days it is open on (local, in `zone`). */
  readonly days: readonly Day[];
  /** Local start, minutes after midnight (inclusive). */
  readonly start: number;
  /** Local end, minutes after midnight (exclusive; 1440 = midnight at the end of the day). */
  readonly end: number;
  /** IANA time zone. */
  readonly zone: string;
}

export const WINDOW_SYNTAX =
  "<days> <HH:MM>-<HH:MM> <IANA zone>, e.g. Mon-Fri 09:00-16:00 Europe/Berlin";

/** Why a window text is not a window; the message names what is wrong. */
export class WindowError extends Error {}

const dayIndex = (d: string): number => DAYS.findIndex((x) => x.toLowerCase() === d.toLowerCase());

function parseDays(text: string): Day[] {
  if (text === "*") return [...DAYS];
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const m = /^([A-Za-z]{3})(?:-([A-Za-z]{3}))?$/.exec(part);
    const a = m ? dayIndex(m[1]!) : -1;
    const b = m?.[2] !== undefined ? dayIndex(m[2]) : a;
    if (!m || a < 0 || b < 0)
      throw new WindowError(
        `days ${JSON.stringify(part)} are not Mon..Sun, a range such as Mon-Fri, a comma list of those, or *`,
      );
    for (let i = a; ; i = (i + 1) % 7) {
      out.add(i);
      if (i === b) break;
    }
  }
  return [...out].sort((x, y) => x - y).map((i) => DAYS[i]!);
}

function parseClock(t: string, what: string): number {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(t);
  if (!m) throw new WindowError(`${what} ${JSON.stringify(t)} is not HH:MM (00:00 to 24:00)`);
  const v = Number(m[1]) * 60 + Number(m[2]);
  if (v > 1440) throw new WindowError(`${what} ${JSON.stringify(t)} is after 24:00`);
  return v;
}

/** True when Node's Intl knows `zone` as a time zone. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Parses one window; throws WindowError saying what is wrong. */
export function parseWindow(text: string): PromotionWindow {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 3)
    throw new WindowError(
      `has ${parts.length} part${parts.length === 1 ? "" : "s"}, not three (days, times, time zone)`,
    );
  const [d, span, zone] = parts as [string, string, string];
  const days = parseDays(d);
  const sm = /^([^-]+)-([^-]+)$/.exec(span);
  if (!sm) throw new WindowError(`times ${JSON.stringify(span)} are not HH:MM-HH:MM`);
  const start = parseClock(sm[1]!, "start");
  const end = parseClock(sm[2]!, "end");
  if (start === 1440) throw new WindowError("start 24:00 is the end of the day");
  if (end <= start)
    throw new WindowError(
      `end ${sm[2]} is not after start ${sm[1]} (a window over midnight is two windows)`,
    );
  // Intl accepts offsets such as "+01:00" as zones; a window needs a named zone (its DST rules).
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(zone) || !isTimeZone(zone))
    throw new WindowError(`time zone ${JSON.stringify(zone)} is not an IANA zone name Node knows`);
  return { text: parts.join(" "), days, start, end, zone };
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The local weekday and minute of the day of `at` in `zone`. */
export function localTime(at: Date, zone: string): { day: Day; minute: number } {
  const parts = formatter(zone).formatToParts(at);
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? "";
  const day = DAYS[dayIndex(get("weekday"))]!;
  return { day, minute: Number(get("hour")) * 60 + Number(get("minute")) };
}

/** True when `at` lies inside the window. */
export function isWindowOpen(w: PromotionWindow, at: Date): boolean {
  const { day, minute } = localTime(at, w.zone);
  return w.days.includes(day) && minute >= w.start && minute < w.end;
}

/** True when `at` lies inside any of the windows; no window at all means always open. */
export function isOpen(windows: readonly PromotionWindow[], at: Date): boolean {
  return windows.length === 0 || windows.some((w) => isWindowOpen(w, at));
}

/**
 * The first instant at or after `from` at which one of the windows is open (whole minutes), or undefined when
 * none opens within `horizonDays` (windows can always open within a week; the horizon is a guard).
 */
export function nextOpening(
  windows: readonly PromotionWindow[],
  from: Date,
  horizonDays = 8,
): Date | undefined {
  if (isOpen(windows, from)) return from;
  const first = Math.ceil(from.getTime() / 60_000) * 60_000;
  for (let t = first; t <= from.getTime() + horizonDays * 86_400_000; t += 60_000) {
    const at = new Date(t);
    if (isOpen(windows, at)) return at;
  }
  return undefined;
}
