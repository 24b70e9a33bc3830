/**
 * Building blocks of the simulated signals: seeded draws, the time of day, smooth shared weather-like noise and
 * first-order processes. Every function takes its time as an argument; nothing reads a clock.
 */
import { Random } from '../util/rng';

export { Random };

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** A standard normal draw (Box–Muller; two uniform draws each time, so sequences stay aligned). */
export function normal(rng: Random): number {
  const u = 1 - rng.next(); // (0, 1]
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A uniform draw in [low, high). */
export function uniform(rng: Random, low: number, high: number): number {
  return low + (high - low) * rng.next();
}

/** A Poisson draw (Knuth for small means, a rounded normal beyond). */
export function poisson(rng: Random, mean: number): number {
  if (!(mean > 0)) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(rng)));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}

/** True with the probability that an event of `ratePerMs` happens within `dtMs` (a Poisson process). */
export function happens(rng: Random, ratePerMs: number, dtMs: number): boolean {
  return rng.next() < 1 - Math.exp(-Math.max(0, ratePerMs) * Math.max(0, dtMs));
}

/** Fractional hour of the day, UTC (the simulator's days are UTC days). */
export function hourOfDay(ts: number): number {
  return (((ts % DAY) + DAY) % DAY) / HOUR;
}

/** The hour of the day on a schedule running `shift` hours late (a person's or a city's own rhythm), in [0, 24). */
export function shiftedHour(ts: number, shift: number): number {
  return (hourOfDay(ts) - shift + 24) % 24;
}

/** Saturday or Sunday, UTC. */
export function isWeekend(ts: number): boolean {
  const day = new Date(ts).getUTCDay();
  return day === 0 || day === 6;
}

/** A bump of height 1 at `centre` hours with width `sd` hours, on the 24-hour circle. */
export function bump(hour: number, centre: number, sd: number): number {
  let d = Math.abs(hour - centre);
  if (d > 12) d = 24 - d;
  return Math.exp(-0.5 * (d / sd) ** 2);
}

/** 32-bit integer hash of a few integers (splitmix-style finaliser). */
export function hash32(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    h = Math.imul(h ^ (part | 0), 0x01000193);
    h = Math.imul(h ^ Math.floor(part / 4294967296), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Smooth noise in [0, 1) that is a pure function of (seed, key, time): a random value every `periodMs`,
 * eased between. Used for what devices share (clouds, regional air pollution), so each device can read it at
 * its own times and the devices stay independent of one another.
 */
export function valueNoise(seed: number, key: number, ts: number, periodMs: number): number {
  const position = ts / periodMs;
  const knot = Math.floor(position);
  const fraction = position - knot;
  const a = hash32(seed, key, knot) / 4294967296;
  const b = hash32(seed, key, knot + 1) / 4294967296;
  const eased = fraction * fraction * (3 - 2 * fraction);
  return a + (b - a) * eased;
}

/** The exact step of dx/dt = (target − x)/tau over dt (any dt, also a long jump). */
export function relax(value: number, target: number, dtMs: number, tauMs: number): number {
  return target + (value - target) * Math.exp(-Math.max(0, dtMs) / tauMs);
}

/** The exact step of an Ornstein–Uhlenbeck process around 0 with stationary deviation `sd`. */
export function ouStep(rng: Random, value: number, dtMs: number, tauMs: number, sd: number): number {
  const decay = Math.exp(-Math.max(0, dtMs) / tauMs);
  return value * decay + sd * Math.sqrt(1 - decay * decay) * normal(rng);
}

/** Daylight outdoors, 0 (night) to 1 (clear noon): sunrise 06:00, sunset 20:00 UTC. */
export function daylight(ts: number): number {
  const hour = hourOfDay(ts);
  if (hour <= 6 || hour >= 20) return 0;
  return Math.sin((Math.PI * (hour - 6)) / 14) ** 1.3;
}

export function clamp(value: number, low: number, high: number): number {
  return value < low ? low : value > high ? high : value;
}

/** Rounds to the decimals a device reports. */
export function roundTo(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  const rounded = Math.round(value * scale) / scale;
  return rounded === 0 ? 0 : rounded; // no -0 in payloads
}
