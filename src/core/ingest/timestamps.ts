/** Timestamp normalisation to epoch milliseconds (CONTRACT.md, Timestamps). */

/** Numbers below this are epoch seconds; at or above it, epoch milliseconds. */
export const SECONDS_LIMIT = 1e11;
/** SenML times below 2^28 are relative to now (RFC 8428 section 4.5.3). */
export const SENML_RELATIVE_LIMIT = 2 ** 28;

/** The largest time a JavaScript Date can hold. */
const MAX_EPOCH_MS = 8.64e15;
const inDateRange = (ms: number) => (ms >= 0 && ms <= MAX_EPOCH_MS ? ms : undefined);

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/** A timestamp field as it arrives (number or ISO 8601 string) to epoch ms, or undefined when unreadable. */
export function normaliseTimestamp(raw: unknown): number | undefined {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw) || raw < 0) return undefined;
    return inDateRange(raw < SECONDS_LIMIT ? Math.round(raw * 1000) : Math.round(raw));
  }
  if (typeof raw === 'string') {
    const text = raw.trim();
    if (/^\d+(\.\d+)?$/.test(text)) return normaliseTimestamp(Number(text));
    if (!ISO_8601.test(text)) return undefined;
    const ms = Date.parse(text);
    return Number.isFinite(ms) ? inDateRange(ms) : undefined;
  }
  return undefined;
}

/** A resolved SenML time (base time + time, in seconds) to epoch ms; `nowMs` anchors relative times. */
export function senmlTimeToMs(seconds: number, nowMs: number): number | undefined {
  if (!Number.isFinite(seconds)) return undefined;
  if (seconds < SENML_RELATIVE_LIMIT) return inDateRange(Math.round(nowMs + seconds * 1000));
  return inDateRange(seconds < SECONDS_LIMIT ? Math.round(seconds * 1000) : Math.round(seconds));
}
