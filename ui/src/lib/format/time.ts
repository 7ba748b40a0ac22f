// Times as people read them: "in 42 min", "3 days ago", "12 Mar 2026, 14:02". Pure functions of (time, now), so
// they are unit-tested and the screens stay deterministic under a fixed clock.

const MINUTE = 60;
const HOUR = 3_600;
const DAY = 86_400;

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const dateTime = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium" });

/** Unix seconds, now. */
export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/** "12 Mar 2026, 14:02" in the user's time zone. */
export function formatDateTime(unix: number): string {
  return dateTime.format(new Date(unix * 1000));
}

/** "12 Mar 2026" in the user's time zone. */
export function formatDate(unix: number): string {
  return dateOnly.format(new Date(unix * 1000));
}

/** "2026-03-12T14:02:00Z": for exports, unambiguous in any locale. */
export function isoUtc(unix: number): string {
  return new Date(unix * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** "in 5 minutes", "3 days ago", "now": the largest whole unit that fits. */
export function relativeTime(at: number, now: number): string {
  const delta = at - now;
  const abs = Math.abs(delta);
  if (abs < 45) return "just now";
  if (abs < 45 * MINUTE) return relative.format(Math.round(delta / MINUTE), "minute");
  if (abs < 22 * HOUR) return relative.format(Math.round(delta / HOUR), "hour");
  if (abs < 45 * DAY) return relative.format(Math.round(delta / DAY), "day");
  if (abs < 320 * DAY) return relative.format(Math.round(delta / (30 * DAY)), "month");
  return relative.format(Math.round(delta / (365 * DAY)), "year");
}

/**
 * A live countdown: "59:07" under an hour, "2 h 05 min" under a day, "3 days" beyond; `null` once it is over.
 */
export function countdown(secondsLeft: number): string | null {
  const s = Math.floor(secondsLeft);
  if (s <= 0) return null;
  if (s < HOUR) {
    const m = Math.floor(s / MINUTE);
    return `${m}:${String(s % MINUTE).padStart(2, "0")}`;
  }
  if (s < DAY) {
    const h = Math.floor(s / HOUR);
    return `${h} h ${String(Math.floor((s % HOUR) / MINUTE)).padStart(2, "0")} min`;
  }
  return plural(Math.floor(s / DAY), "day");
}

/** "1 day", "3 days". */
export function plural(n: number, word: string): string {
  return `${n.toLocaleString("en-GB")} ${word}${n === 1 ? "" : "s"}`;
}

/** "3 days left", "expires today", "expired 5 days ago", for a whole-day count (negative once expired). */
export function daysLeftText(days: number | null): string {
  if (days === null) return "No end date";
  if (days > 0) return `${plural(days, "day")} left`;
  if (days === 0) return "Expires today";
  return days === -1 ? "Expired yesterday" : `Expired ${plural(-days, "day")} ago`;
}
