/**
 * `expires` timestamps exactly as Go's `time.Time.MarshalJSON` writes them (reference §2.1): RFC 3339, fraction with
 * trailing zeros dropped (no fraction when it is zero), and a zero UTC offset written as `Z`.
 */
import { NotaryError } from "../errors.ts";

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** Go's format of an instant in UTC. JS dates carry milliseconds, so at most 3 fractional digits are written. */
export function formatGoTime(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new NotaryError("INPUT_INVALID", "invalid date");
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const [main, frac] = iso.slice(0, -1).split(".") as [string, string];
  const trimmed = frac.replace(/0+$/, "");
  return trimmed ? `${main}.${trimmed}Z` : `${main}Z`;
}

/** Parse an RFC 3339 time as Go does (fractions up to nanoseconds); returns the instant (ms precision). */
export function parseGoTime(s: string, field = "expires"): Date {
  const m = RFC3339.exec(s);
  if (!m) throw new NotaryError("METADATA_MALFORMED", `${field} is not an RFC 3339 time: ${JSON.stringify(s)}`);
  const d = new Date(s.replace(/\.(\d{3})\d*/, ".$1"));
  if (Number.isNaN(d.getTime())) throw new NotaryError("METADATA_MALFORMED", `${field} is not a valid time: ${s}`);
  return d;
}

/** Re-format a parsed RFC 3339 string the way Go would re-serialize it (zero offset → `Z`, trailing zeros dropped). */
export function normalizeGoTime(s: string): string {
  const m = RFC3339.exec(s);
  if (!m) throw new NotaryError("METADATA_MALFORMED", `not an RFC 3339 time: ${JSON.stringify(s)}`);
  const frac = (m[7] ?? "").replace(/0+$/, "");
  let zone = m[8]!.toUpperCase();
  if (zone === "+00:00" || zone === "-00:00") zone = "Z";
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${frac ? "." + frac : ""}${zone}`;
}

export const DAY_MS = 24 * 60 * 60 * 1000;
/** notary's year is always 365 days (`notary.Year`). */
export const YEAR_MS = 365 * DAY_MS;

/** notary's default lifetimes (`const.go`, `NotaryDefaultExpiries`). */
export const DEFAULT_EXPIRY_MS = {
  root: 10 * YEAR_MS,
  targets: 3 * YEAR_MS,
  snapshot: 3 * YEAR_MS,
  timestamp: 14 * DAY_MS,
} as const;

/** Six calendar months after `now`: notary's "nearing expiry" window (`client/helpers.go › nearExpiry`). */
export function addMonths(now: Date, months: number): Date {
  const d = new Date(now.getTime());
  d.setUTCMonth(d.getUTCMonth() + months);
  return d;
}
