/**
 * The `calendar` feature of feature-window: where a window's `end` falls in the day and in the week, in the node's
 * `timeZone`, as points on a circle (sin, cos), so 23:59 sits next to 00:00 and Sunday next to Monday.
 * See docs/nodes/feature-window.md and docs/forecasting.md.
 */
import { isTimeZone, wallClock } from '../ingest/timestamps';

export const CALENDAR_FEATURE = 'calendar';
/** The names it adds to `payload.features`, in this order, after every sensor's features. */
export const CALENDAR_KEYS = ['calendar.hourSin', 'calendar.hourCos', 'calendar.weekdaySin', 'calendar.weekdayCos'] as const;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const TAU = 2 * Math.PI;

export { isTimeZone };

/** Offsets are looked up for a stretch this long at a time (a zone changes its offset months apart, never twice in it). */
const STRETCH_MS = 900_000;
/** Per zone, the last stretch whose offset held throughout: windows close in time order, so most lookups hit it. */
const stretches = new Map<string, { start: number; offset: number }>();

/** The zone's offset from UTC at `epochMs` (ms; whole seconds, as Intl gives it). */
function zoneOffset(epochMs: number, timeZone: string): number {
  const start = Math.floor(epochMs / STRETCH_MS) * STRETCH_MS;
  const known = stretches.get(timeZone);
  if (known !== undefined && known.start === start) return known.offset;
  const offsetAt = (ms: number): number => {
    const whole = ms - (((ms % 1000) + 1000) % 1000);
    return wallClock(whole, timeZone) - whole;
  };
  const first = offsetAt(start);
  // The same offset at both ends of the stretch: it held in between (no zone changes twice within 15 minutes).
  if (offsetAt(start + STRETCH_MS - 1000) === first) {
    stretches.set(timeZone, { start, offset: first }); // one entry per zone a flow names (isTimeZone-checked)
    return first;
  }
  return offsetAt(epochMs); // the stretch of a change: this instant's own offset
}

/** Local time of day (hours, fractional, [0, 24)) and weekday (0 = Monday … 6 = Sunday) at `epochMs` in `timeZone`. */
export function localDayAndWeekday(epochMs: number, timeZone: string): { hour: number; weekday: number } {
  const local = timeZone === 'UTC' ? epochMs : epochMs + zoneOffset(epochMs, timeZone);
  const days = Math.floor(local / DAY_MS);
  const hour = (local - days * DAY_MS) / HOUR_MS;
  // 1970-01-01 was a Thursday: day 0 is weekday 3 when Monday is 0.
  const weekday = (((days + 3) % 7) + 7) % 7;
  return { hour, weekday };
}

/**
 * Writes the four calendar features of `epochMs` into `into`: `hourSin`/`hourCos` of 2π·hour/24 (hour with its
 * minutes and seconds, local time) and `weekdaySin`/`weekdayCos` of 2π·weekday/7 (Monday 0 … Sunday 6).
 */
export function writeCalendarFeatures(epochMs: number, timeZone: string, into: Record<string, number>): void {
  const { hour, weekday } = localDayAndWeekday(epochMs, timeZone);
  const hourAngle = (TAU * hour) / 24;
  const dayAngle = (TAU * weekday) / 7;
  into[CALENDAR_KEYS[0]] = Math.sin(hourAngle);
  into[CALENDAR_KEYS[1]] = Math.cos(hourAngle);
  into[CALENDAR_KEYS[2]] = Math.sin(dayAngle);
  into[CALENDAR_KEYS[3]] = Math.cos(dayAngle);
}
