/**
 * Brute-force references for the window tests: the contract's feature definitions written the obvious way, and
 * a windowing model that re-derives every window from the list of accepted readings after each step. Nothing
 * here is shared with src/core/window beyond types.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FeatureName, WindowConfig } from '../../src/core/window';
import { parseWindowConfig } from '../../src/core/window/config';
import type { CanonicalReading, WindowEvent, WindowPayload } from '../../src/core/window/types';

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : sum(xs) / xs.length);
const allEqual = (xs: readonly number[]): boolean => xs.every((x) => x === xs[0]);

function centralMoment(xs: readonly number[], k: number): number {
  const m = mean(xs);
  return mean(xs.map((x) => (x - m) ** k));
}

function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = (sorted.length - 1) * p;
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo]);
}

/** The contract's definitions, over values in window order and their timestamps (ms). */
export const NAIVE_FEATURES: Record<FeatureName, (values: readonly number[], ts: readonly number[]) => number> = {
  count: (v) => v.length,
  sum: (v) => sum(v),
  mean: (v) => mean(v),
  std: (v) => (v.length < 2 || allEqual(v) ? 0 : Math.sqrt(centralMoment(v, 2))),
  min: (v) => (v.length === 0 ? 0 : Math.min(...v)),
  max: (v) => (v.length === 0 ? 0 : Math.max(...v)),
  range: (v) => (v.length === 0 ? 0 : Math.max(...v) - Math.min(...v)),
  first: (v) => (v.length === 0 ? 0 : v[0]),
  last: (v) => (v.length === 0 ? 0 : v[v.length - 1]),
  delta: (v) => (v.length === 0 ? 0 : v[v.length - 1] - v[0]),
  rms: (v) => (v.length === 0 ? 0 : Math.sqrt(mean(v.map((x) => x * x)))),
  slope: (v, epochTs) => {
    if (v.length < 2 || allEqual(epochTs)) return 0;
    const ts = epochTs.map((t) => t - epochTs[0]); // exact, and keeps epoch ms from swamping the sums
    const tm = mean(ts);
    const vm = mean(v);
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < v.length; i++) {
      sxy += (ts[i] - tm) * (v[i] - vm);
      sxx += (ts[i] - tm) ** 2;
    }
    return (sxy / sxx) * 1000;
  },
  median: (v) => percentile(v, 0.5),
  p10: (v) => percentile(v, 0.1),
  p25: (v) => percentile(v, 0.25),
  p75: (v) => percentile(v, 0.75),
  p90: (v) => percentile(v, 0.9),
  iqr: (v) => percentile(v, 0.75) - percentile(v, 0.25),
  skew: (v) => (v.length < 2 || allEqual(v) ? 0 : centralMoment(v, 3) / centralMoment(v, 2) ** 1.5),
  kurtosis: (v) => (v.length < 2 || allEqual(v) ? 0 : centralMoment(v, 4) / centralMoment(v, 2) ** 2 - 3),
  meanCrossings: (v) => {
    const m = mean(v);
    let crossings = 0;
    for (let i = 1; i < v.length; i++) if (v[i] > m !== v[i - 1] > m) crossings++;
    return crossings;
  },
};

export const TOLERANCE = 1e-9;

/** |actual − expected| ≤ 1e-9 · max(1, |expected|). */
export function assertClose(actual: number, expected: number, what: string): void {
  const ok = Math.abs(actual - expected) <= TOLERANCE * Math.max(1, Math.abs(expected));
  assert.ok(ok, `${what}: ${actual} is not within 1e-9 of ${expected}`);
}

/** Window payloads equal in everything, features to 1e-9. */
export function assertPayloadClose(actual: WindowPayload, expected: WindowPayload, what: string): void {
  const { features: actualFeatures, ...actualRest } = actual;
  const { features: expectedFeatures, ...expectedRest } = expected;
  assert.deepStrictEqual(actualRest, expectedRest, what);
  assert.deepStrictEqual(Object.keys(actualFeatures).sort(), Object.keys(expectedFeatures).sort(), `${what}: feature names`);
  for (const [name, value] of Object.entries(expectedFeatures)) assertClose(actualFeatures[name], value, `${what}: ${name}`);
}

export function assertEventsClose(actual: readonly WindowEvent[], expected: readonly WindowEvent[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: ${JSON.stringify(actual)} vs expected ${JSON.stringify(expected)}`);
  actual.forEach((event, i) => {
    const other = expected[i];
    assert.equal(event.kind, other.kind, `${what} #${i}: kind`);
    if (event.kind === 'window' && other.kind === 'window') assertPayloadClose(event.payload, other.payload, `${what} #${i}`);
    if (event.kind === 'reject' && other.kind === 'reject') {
      assert.equal(event.code, other.code, `${what} #${i}: code (${event.message})`);
      assert.deepStrictEqual(event.reading, other.reading, `${what} #${i}: reading`);
      assert.equal(event.window === undefined, other.window === undefined, `${what} #${i}: window`);
      if (event.window && other.window) assertPayloadClose(event.window, other.window, `${what} #${i}`);
    }
  });
}

export function config(raw: Record<string, unknown>): WindowConfig {
  const parsed = parseWindowConfig(raw);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.config;
}

// ---- random streams ------------------------------------------------------------------------------------------

export interface Step {
  reading: CanonicalReading;
  arrival: number;
}

/** Values on a 1/8 grid (exact sums), occasionally booleans or text. */
const valueArb: fc.Arbitrary<number | boolean | string> = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: -800, max: 800 }).map((k) => k / 8) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constantFrom('on', '12') },
);

/** Readings of up to 3 devices and 3 sensors; ts mostly rising, sometimes stepping back (out of order). */
export const stepsArb: fc.Arbitrary<Step[]> = fc
  .array(
    fc.record({
      device: fc.constantFrom('a', 'b', 'c'),
      sensor: fc.constantFrom('x', 'y', 'z'),
      value: valueArb,
      step: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 40 }) }, { weight: 1, arbitrary: fc.integer({ min: -60, max: -1 }) }),
    }),
    { minLength: 1, maxLength: 150, size: 'max' },
  )
  .map((draws) => {
    const clock = new Map<string, number>();
    return draws.map((draw, i) => {
      const ts = Math.max(0, (clock.get(draw.device) ?? 1000) + draw.step);
      clock.set(draw.device, Math.max(ts, clock.get(draw.device) ?? 0));
      return { reading: { deviceId: draw.device, sensor: draw.sensor, value: draw.value, ts }, arrival: 5000 + i * 7 };
    });
  });

const featureSubsetArb = fc.subarray(
  ['mean', 'std', 'min', 'max', 'median', 'range', 'first', 'last', 'sum', 'count', 'slope', 'rms', 'p10', 'p25', 'p75', 'p90', 'iqr', 'skew', 'kurtosis', 'delta', 'meanCrossings'] as FeatureName[],
  { minLength: 1 },
);

/** Random but valid window settings, all three kinds, time and count. */
export const configArb: fc.Arbitrary<WindowConfig> = fc
  .record({
    kind: fc.constantFrom('tumbling-time', 'sliding-time', 'hopping-time', 'session', 'tumbling-count', 'sliding-count'),
    size: fc.integer({ min: 1, max: 60 }),
    slideDivisor: fc.integer({ min: 1, max: 4 }),
    gap: fc.integer({ min: 1, max: 50 }),
    time: fc.constantFrom('event', 'arrival'),
    lateness: fc.constantFrom(0, 5, 30),
    features: featureSubsetArb,
    fill: fc.constantFrom('none', 'previous', 'zero'),
    minCount: fc.constantFrom(0, 0, 1, 2),
    maxKeys: fc.constantFrom(1, 2, 10),
    sensors: fc.constantFrom([], ['x', 'y'], ['z']),
  })
  .map((draw) => {
    const time = draw.kind.endsWith('count') ? 'count' : 'ms';
    const size = draw.kind === 'hopping-time' ? Math.max(1, Math.floor(draw.size / 2)) : draw.size;
    const slide = draw.kind.startsWith('sliding')
      ? Math.max(1, Math.floor(draw.size / draw.slideDivisor))
      : draw.kind === 'hopping-time'
        ? draw.size
        : undefined;
    return config({
      window: draw.kind.startsWith('session') ? 'session' : slide !== undefined ? 'sliding' : 'tumbling',
      unit: time,
      size,
      slide,
      gap: draw.gap,
      time: draw.time,
      lateness: draw.lateness,
      features: draw.features,
      fill: draw.fill,
      minCount: draw.minCount,
      maxKeys: draw.maxKeys,
      sensors: draw.sensors,
    });
  });

// ---- naive windowing -----------------------------------------------------------------------------------------

interface Accepted {
  position: number;
  ts: number;
  value: number;
  sensor: string;
  order: number;
}

interface NaiveDevice {
  accepted: Accepted[];
  sensors: string[];
  previous: Map<string, number[]>;
  latest: number;
  watermark: number;
  nextReading: number;
  /** Aligned windows before this index were emitted (or rejected for minCount): windows close in order. */
  nextWindow: number;
  closedThrough: number;
  lastSeen: number;
  lastActive: number;
  /** The last 16 accepted (sensor, ts): a repeat of one is a duplicate. */
  recent: Array<[string, number]>;
}

/** What an evicted device keeps: enough never to emit a window twice. */
type NaiveTomb = Pick<NaiveDevice, 'latest' | 'watermark' | 'nextReading' | 'nextWindow' | 'closedThrough'>;

const RECENT = 16;
const BUCKETS = 256;

/** The contract's bucket of a deviceId: FNV-1a (32 bit) over its UTF-16 code units, mod 256. */
export function naiveBucket(id: string): number {
  let hash = 2166136261;
  for (const unit of Array.from({ length: id.length }, (_, i) => id.charCodeAt(i))) {
    hash ^= unit;
    hash = Number((BigInt(hash) * 16777619n) % 4294967296n);
  }
  return hash % BUCKETS;
}

/** Expected events per step (index of the add call), plus those of a final flush at index steps.length. */
export function naiveWindowing(cfg: WindowConfig, steps: readonly Step[]): WindowEvent[][] {
  const devices = new Map<string, NaiveDevice>();
  const tombs = new Map<string, NaiveTomb>();
  const floors = new Map<number, number>();
  const out: WindowEvent[][] = [];
  const byCount = cfg.unit === 'count';
  const session = cfg.window === 'session';
  let order = 0;
  let evicting = false;

  const windowOf = (device: NaiveDevice, id: string, readings: Accepted[], start: number, end: number, partial: boolean, events: WindowEvent[]): void => {
    if (readings.length === 0) return;
    const sorted = [...readings].sort((a, b) => a.position - b.position || a.order - b.order);
    const features: Record<string, number> = {};
    const counts: Record<string, number> = {};
    const filled: string[] = [];
    let short = false;
    for (const sensor of device.sensors) {
      const mine = sorted.filter((r) => r.sensor === sensor);
      counts[sensor] = mine.length;
      let wasFilled = false;
      if (mine.length > 0) {
        for (const f of cfg.features) features[`${sensor}.${f}`] = NAIVE_FEATURES[f](mine.map((r) => r.value), mine.map((r) => r.ts));
      } else if (cfg.fill === 'zero' || (cfg.fill === 'previous' && device.previous.has(sensor))) {
        cfg.features.forEach((f, i) => {
          features[`${sensor}.${f}`] = cfg.fill === 'zero' ? 0 : device.previous.get(sensor)![i];
          filled.push(`${sensor}.${f}`);
        });
        wasFilled = true;
      }
      const needed = cfg.minCount.bySensor[sensor] ?? cfg.minCount.all;
      if (mine.length < needed && !wasFilled) short = true;
    }
    const bounds = byCount || session;
    const payload: WindowPayload = {
      deviceId: id,
      start: bounds ? sorted[0].ts : start,
      end: bounds ? sorted[sorted.length - 1].ts : end,
      features,
      counts,
    };
    if (filled.length > 0) payload.filled = filled;
    if (partial) payload.partial = true;
    if (evicting) payload.evicted = true;
    if (short) {
      events.push({ kind: 'reject', code: 'min-count', message: '', window: payload });
      return;
    }
    for (const sensor of device.sensors) {
      if (counts[sensor] > 0) device.previous.set(sensor, cfg.features.map((f) => features[`${sensor}.${f}`]));
    }
    events.push({ kind: 'window', payload });
  };

  const close = (id: string, device: NaiveDevice, force: boolean, events: WindowEvent[]): void => {
    if (session) {
      for (;;) {
        const pending = [...device.accepted].sort((a, b) => a.position - b.position);
        if (pending.length === 0) return;
        let last = 0;
        while (last + 1 < pending.length && pending[last + 1].position - pending[last].position < cfg.gap) last++;
        const end = pending[last].position;
        if (!force && end + cfg.gap > device.watermark) return;
        const members = pending.slice(0, last + 1);
        windowOf(device, id, members, 0, 0, force && end + cfg.gap > device.watermark, events);
        device.accepted = device.accepted.filter((r) => !members.includes(r));
        device.closedThrough = end;
      }
    }
    const windowsOf = (r: Accepted): number[] => {
      const ks: number[] = [];
      for (let k = Math.floor(r.position / cfg.slide); k * cfg.slide + cfg.size > r.position && (!byCount || k >= 0); k--) ks.push(k);
      return ks;
    };
    const windows = new Set<number>();
    for (const r of device.accepted) for (const k of windowsOf(r)) if (k >= device.nextWindow) windows.add(k);
    for (const k of [...windows].sort((a, b) => a - b)) {
      const start = k * cfg.slide;
      const end = start + cfg.size;
      if (!force && end > device.watermark) break;
      device.nextWindow = k + 1;
      windowOf(device, id, device.accepted.filter((r) => r.position >= start && r.position < end), start, end, force && end > device.watermark, events);
    }
    device.accepted = device.accepted.filter((r) => windowsOf(r).some((k) => k >= device.nextWindow));
    if (force && byCount) {
      // A count window closed early is not topped up later: the next reading starts a fresh one.
      device.nextReading = Math.max(device.nextReading, device.nextWindow * cfg.slide);
      device.watermark = device.nextReading;
    }
  };

  const newDevice = (id: string): NaiveDevice => {
    const device: NaiveDevice = {
      accepted: [],
      sensors: [...cfg.sensors],
      previous: new Map(),
      latest: -Infinity,
      watermark: -Infinity,
      nextReading: 0,
      nextWindow: byCount ? 0 : -Infinity,
      closedThrough: -Infinity,
      lastSeen: 0,
      lastActive: 0,
      recent: [],
    };
    const tomb = tombs.get(id);
    if (tomb) {
      tombs.delete(id);
      Object.assign(device, tomb);
    } else if (floors.has(naiveBucket(id))) {
      const floor = floors.get(naiveBucket(id))!;
      if (session) device.closedThrough = floor;
      else if (!byCount) device.nextWindow = floor;
    }
    return device;
  };

  const bury = (id: string, device: NaiveDevice): void => {
    const { latest, watermark, nextReading, nextWindow, closedThrough } = device;
    tombs.set(id, { latest, watermark, nextReading, nextWindow, closedThrough });
    if (tombs.size <= cfg.maxKeys) return;
    const [oldestId, oldest] = [...tombs][0];
    tombs.delete(oldestId);
    if (byCount) return;
    const bucket = naiveBucket(oldestId);
    floors.set(bucket, Math.max(floors.get(bucket) ?? -Infinity, session ? oldest.closedThrough : oldest.nextWindow));
  };

  steps.forEach(({ reading, arrival }, step) => {
    const events: WindowEvent[] = [];
    out.push(events);
    if (cfg.sensors.length > 0 && !cfg.sensors.includes(reading.sensor)) return;
    if (typeof reading.value === 'string') {
      events.push({ kind: 'reject', code: 'type', message: '', reading });
      return;
    }
    let device = devices.get(reading.deviceId);
    if (!device) {
      if (devices.size >= cfg.maxKeys) {
        const [oldestId, oldest] = [...devices].sort((a, b) => a[1].lastSeen - b[1].lastSeen)[0];
        evicting = true;
        close(oldestId, oldest, true, events);
        evicting = false;
        devices.delete(oldestId);
        bury(oldestId, oldest);
      }
      device = newDevice(reading.deviceId);
      devices.set(reading.deviceId, device);
    }
    device.lastSeen = step;
    const value = typeof reading.value === 'boolean' ? Number(reading.value) : reading.value;
    const position = byCount ? device.nextReading : cfg.time === 'event' ? reading.ts : Math.max(arrival, device.latest);
    if (!byCount && position < device.watermark) {
      events.push({ kind: 'reject', code: 'late', message: '', reading });
      return;
    }
    const between = !session && cfg.slide > cfg.size && position % cfg.slide >= cfg.size;
    if (!between) {
      const emitted = session ? position <= device.closedThrough : !byCount && Math.floor(position / cfg.slide) < device.nextWindow;
      if (emitted) {
        events.push({ kind: 'reject', code: 'late', message: '', reading });
        return;
      }
      if (!device.sensors.includes(reading.sensor)) device.sensors.push(reading.sensor);
      if (device.recent.some(([sensor, ts]) => sensor === reading.sensor && ts === reading.ts)) {
        events.push({ kind: 'reject', code: 'duplicate', message: '', reading });
        return;
      }
      device.recent.push([reading.sensor, reading.ts]);
      if (device.recent.length > RECENT) device.recent.shift();
      device.accepted.push({ position, ts: reading.ts, value, sensor: reading.sensor, order: order++ });
      device.lastActive = step;
    }
    if (byCount) {
      device.nextReading = position + 1;
      device.watermark = device.nextReading;
    } else if (position > device.latest) {
      device.latest = position;
      device.watermark = position - cfg.lateness;
    }
    close(reading.deviceId, device, false, events);
  });

  const flushed: WindowEvent[] = [];
  const open = [...devices].filter(([, d]) => d.accepted.length > 0).sort((a, b) => a[1].lastActive - b[1].lastActive);
  for (const [id, device] of open) close(id, device, true, flushed);
  out.push(flushed);
  return out;
}
