/** Timestamp normalisation to epoch milliseconds (docs/nodes/sensor-ingest.md). */

/** Numbers below this are epoch seconds; at or above it, epoch milliseconds. */
export const SECONDS_LIMIT = 1e11;
/** SenML times below 2^28 are relative to now (RFC 8428 section 4.5.3). */
export const SENML_RELATIVE_LIMIT = 2 ** 28;

/** The largest time a JavaScript Date can hold. */
const MAX_EPOCH_MS = 8.64e15;
const inDateRange = (ms: number) => (ms >= 0 && ms <= MAX_EPOCH_MS ? ms : undefined);

/** Date, then optionally time and offset; the fields are read by hand so no host zone ever applies. */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * An ISO 8601 text to epoch ms. A date-time without an offset is UTC (as in sensor-sim), never the host's zone
 * (Date.parse would read it as local time); a date alone is UTC midnight; fractions beyond the ms are cut.
 */
function parseIsoTime(text: string, timeZone = 'UTC'): number | undefined {
  const m = ISO_8601.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || minute > 59 || second > 59) return undefined;
  // 24:00 is the end of the day (ECMAScript accepts it too); any later hour is not a time.
  if (hour > 24 || (hour === 24 && (minute > 0 || second > 0 || /[1-9]/.test(m[7] ?? '')))) return undefined;
  let offsetMinutes = 0;
  const zone = m[8];
  const zoned = zone === undefined && m[4] !== undefined && timeZone !== 'UTC';
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const hours = Number(zone.slice(1, 3));
    const minutes = Number(zone.slice(-2));
    if (hours > 23 || minutes > 59) return undefined;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  // setUTCFullYear, not Date.UTC, which reads years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  if (zoned) return zonedToUtc(date.getTime(), timeZone);
  return date.getTime() - offsetMinutes * 60_000;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** One formatter per zone, kept: a flow names a handful of zones at most (bounded by the flows' config). */
function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether `name` is a time zone this runtime knows (an IANA name such as Europe/Berlin, or UTC). */
export function isTimeZone(name: string): boolean {
  try {
    formatterOf(name);
    return true;
  } catch {
    return false;
  }
}

/** The zone's local wall time at `utcMs`, as if it were UTC (whole seconds). */
export function wallClock(utcMs: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatterOf(timeZone).formatToParts(new Date(utcMs))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const d = new Date(0);
  d.setUTCFullYear(parts.year, parts.month - 1, parts.day);
  d.setUTCHours(parts.hour, parts.minute, parts.second, 0);
  return d.getTime();
}

/**
 * A wall time in `timeZone` (given as if UTC) to epoch ms; undefined when the zone skips that time (the hour a
 * daylight-saving change jumps over). In the hour that repeats, the earlier instant is taken.
 */
function zonedToUtc(wallMs: number, timeZone: string): number | undefined {
  const ms = wallMs % 1000;
  const wall = wallMs - ms;
  // Two tries reach the offset in force at that wall time; then the result must read back as the same wall time.
  const first = wall - (wallClock(wall, timeZone) - wall);
  let utc = wall - (wallClock(first, timeZone) - first);
  const earlier = utc - 3600_000;
  if (wallClock(earlier, timeZone) === wall) utc = earlier;
  return wallClock(utc, timeZone) === wall ? utc + ms : undefined;
}

/** Why an ISO time without an offset cannot be read in `timeZone`, or undefined when it can (or has an offset). */
export function zoneProblem(raw: unknown, timeZone: string): string | undefined {
  if (typeof raw !== 'string' || timeZone === 'UTC') return undefined;
  const text = raw.trim();
  const m = ISO_8601.exec(text);
  if (!m || m[4] === undefined || m[8] !== undefined) return undefined;
  if (parseIsoTime(text, 'UTC') === undefined) return undefined;
  return parseIsoTime(text, timeZone) === undefined ? `${JSON.stringify(text)} does not exist in time zone ${timeZone} (a daylight-saving gap)` : undefined;
}

/** Whether a time field is an ISO date-time without an offset (read in the configured time zone). */
export function isOffsetLess(raw: unknown): boolean {
  if (typeof raw !== 'string') return false;
  const m = ISO_8601.exec(raw.trim());
  return m !== null && m[4] !== undefined && m[8] === undefined;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** A timestamp field as it arrives (number or ISO 8601 string) to epoch ms, or undefined when unreadable. */
export function normaliseTimestamp(raw: unknown, timeZone = 'UTC'): number | undefined {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw) || raw < 0) return undefined;
    return inDateRange(raw < SECONDS_LIMIT ? Math.round(raw * 1000) : Math.round(raw));
  }
  if (typeof raw === 'string') {
    const text = raw.trim();
    if (/^\d+(\.\d+)?$/.test(text)) return normaliseTimestamp(Number(text));
    const ms = parseIsoTime(text, timeZone);
    return ms !== undefined && Number.isFinite(ms) ? inDateRange(ms) : undefined;
  }
  return undefined;
}

/** A resolved SenML time (base time + time, in seconds) to epoch ms; `nowMs` anchors relative times. */
export function senmlTimeToMs(seconds: number, nowMs: number): number | undefined {
  if (!Number.isFinite(seconds)) return undefined;
  if (seconds < SENML_RELATIVE_LIMIT) return inDateRange(Math.round(nowMs + seconds * 1000));
  return inDateRange(seconds < SECONDS_LIMIT ? Math.round(seconds * 1000) : Math.round(seconds));
}
