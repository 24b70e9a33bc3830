/** Timestamp normalisation to epoch milliseconds (CONTRACT.md, Timestamps). */

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
function parseIsoTime(text: string): number | undefined {
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
  return date.getTime() - offsetMinutes * 60_000;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** A timestamp field as it arrives (number or ISO 8601 string) to epoch ms, or undefined when unreadable. */
export function normaliseTimestamp(raw: unknown): number | undefined {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw) || raw < 0) return undefined;
    return inDateRange(raw < SECONDS_LIMIT ? Math.round(raw * 1000) : Math.round(raw));
  }
  if (typeof raw === 'string') {
    const text = raw.trim();
    if (/^\d+(\.\d+)?$/.test(text)) return normaliseTimestamp(Number(text));
    const ms = parseIsoTime(text);
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
