/**
 * Throughput of the feature-window engine: `npx tsx bench/window.ts [readings]`.
 *
 * One device, one sensor, one reading per ms (so a 60 ms window holds 60 readings), streaming features only,
 * against a plain loop doing the same arithmetic inline (the baseline). Also: window size 6000, sliding and count
 * windows, all features, and many devices × sensors. Prints readings/s (best of several runs) and the ratios.
 */
import { FEATURE_NAMES, parseWindowConfig, WindowEngine, type CanonicalReading, type WindowConfig } from '../src/core/window';

const READINGS = Number(process.argv[2] ?? 2_000_000);
const RUNS = 5;
const STREAMING = ['mean', 'std', 'min', 'max', 'sum', 'count', 'first', 'last', 'rms', 'slope', 'delta', 'range'];

function makeReadings(count: number, devices = 1, sensors = 1): CanonicalReading[] {
  const readings: CanonicalReading[] = new Array(count);
  let seed = 12345;
  for (let i = 0; i < count; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const noise = seed / 2 ** 32 - 0.5;
    readings[i] = {
      deviceId: `device-${i % devices}`,
      sensor: `s${Math.floor(i / devices) % sensors}`,
      value: 20 + 5 * Math.sin(i / 500) + noise,
      ts: Math.floor(i / (devices * sensors)),
    };
  }
  return readings;
}

function config(raw: Record<string, unknown>): WindowConfig {
  const parsed = parseWindowConfig({ unit: 'ms', features: STREAMING, ...raw });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.config;
}

/** Best readings/s over RUNS runs; `run` returns a checksum so nothing is optimised away. */
function measure(readings: CanonicalReading[], run: (readings: CanonicalReading[]) => number): number {
  let best = 0;
  let checksum = 0;
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    checksum += run(readings);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    best = Math.max(best, readings.length / seconds);
  }
  if (!Number.isFinite(checksum)) throw new Error('bad checksum');
  return best;
}

function engineRun(windowConfig: WindowConfig): (readings: CanonicalReading[]) => number {
  return (readings) => {
    const engine = new WindowEngine(windowConfig);
    let windows = 0;
    for (let i = 0; i < readings.length; i++) windows += engine.add(readings[i], i).length;
    return windows + engine.flush().length;
  };
}

/** The same tumbling-window arithmetic with no abstraction: Welford, min/max, first/last, slope sums inline. */
function plainLoop(size: number): (readings: CanonicalReading[]) => number {
  return (readings) => {
    const out: Array<Record<string, number>> = [];
    let window = -Infinity;
    let n = 0, mean = 0, m2 = 0, min = Infinity, max = -Infinity, first = 0, last = 0;
    let tBase = 0, tMean = 0, tM2 = 0, co = 0;
    const emit = (): void => {
      if (n === 0) return;
      const std = n > 1 ? Math.sqrt(m2 / n) : 0;
      out.push({
        'temp.mean': mean, 'temp.std': std, 'temp.min': min, 'temp.max': max, 'temp.sum': mean * n, 'temp.count': n,
        'temp.first': first, 'temp.last': last, 'temp.rms': Math.sqrt(mean * mean + m2 / n),
        'temp.slope': tM2 > 0 ? (co / tM2) * 1000 : 0, 'temp.delta': last - first, 'temp.range': max - min,
      });
    };
    for (let i = 0; i < readings.length; i++) {
      const reading = readings[i];
      const value = reading.value as number;
      const ts = reading.ts;
      const k = Math.floor(ts / size);
      if (k !== window) {
        emit();
        window = k;
        n = 0; mean = 0; m2 = 0; min = Infinity; max = -Infinity; tMean = 0; tM2 = 0; co = 0;
        first = value;
        tBase = ts;
      }
      const count = n + 1;
      const dx = value - mean;
      mean += dx / count;
      m2 += dx * (value - mean);
      const t = ts - tBase;
      const dt = t - tMean;
      tMean += dt / count;
      tM2 += dt * (t - tMean);
      co += dt * (value - mean);
      n = count;
      if (value < min) min = value;
      if (value > max) max = value;
      last = value;
    }
    emit();
    return out.length;
  };
}

const single = makeReadings(READINGS);
const rows: Array<[string, number]> = [];
const bench = (label: string, readings: CanonicalReading[], run: (r: CanonicalReading[]) => number): number => {
  const rate = measure(readings, run);
  rows.push([label, rate]);
  console.log(`${label.padEnd(64)} ${(rate / 1e6).toFixed(2).padStart(7)} M readings/s`);
  return rate;
};

console.log(`${READINGS.toLocaleString('en')} readings, best of ${RUNS} runs, Node ${process.version}\n`);
const plain60 = bench('plain loop, tumbling 60', single, plainLoop(60));
const plain6000 = bench('plain loop, tumbling 6000', single, plainLoop(6000));
const tumbling60 = bench('engine, tumbling 60 ms, streaming features', single, engineRun(config({ size: 60 })));
const tumbling6000 = bench('engine, tumbling 6000 ms, streaming features', single, engineRun(config({ size: 6000 })));
const sliding60 = bench('engine, sliding 60 ms every 6 ms (overlap 10), streaming', single, engineRun(config({ window: 'sliding', size: 60, slide: 6 })));
const sliding6000 = bench('engine, sliding 6000 ms every 6 ms (overlap 1000), streaming', single, engineRun(config({ window: 'sliding', size: 6000, slide: 6 })));
const slidingWide = bench('engine, sliding 6000 ms every 600 ms (overlap 10), streaming', single, engineRun(config({ window: 'sliding', size: 6000, slide: 600 })));
const count60 = bench('engine, tumbling 60 readings (count), streaming', single, engineRun(config({ size: 60, unit: 'count' })));
const count6000 = bench('engine, tumbling 6000 readings (count), streaming', single, engineRun(config({ size: 6000, unit: 'count' })));
bench('engine, session (gap 5 ms, pause every 600), streaming', makeSessions(READINGS), engineRun(config({ window: 'session', gap: 5 })));
bench('engine, tumbling 60 ms, lateness 20 ms, 1% out of order', shuffleSome(single, 0.01, 10), engineRun(config({ size: 60, lateness: 20 })));
bench('engine, tumbling 60 ms, all 21 features', single, engineRun(config({ size: 60, features: FEATURE_NAMES })));
bench('engine, tumbling 6000 ms, all 21 features', single, engineRun(config({ size: 6000, features: FEATURE_NAMES })));
bench('engine, 1000 devices × 3 sensors, tumbling 60 ms', makeReadings(READINGS, 1000, 3), engineRun(config({ size: 60 })));

console.log('\nratios');
const ratio = (label: string, value: number): void => console.log(`${label.padEnd(64)} ${value.toFixed(2).padStart(7)}`);
ratio('engine / plain loop, tumbling 60', tumbling60 / plain60);
ratio('engine / plain loop, tumbling 6000', tumbling6000 / plain6000);
ratio('tumbling: rate at 6000 / rate at 60 (size ratio)', Math.max(tumbling60, tumbling6000) / Math.min(tumbling60, tumbling6000));
ratio('sliding every 6 ms: rate at 60 vs 6000 (size ratio)', Math.max(sliding60, sliding6000) / Math.min(sliding60, sliding6000));
ratio('sliding 6000 ms: overlap 10 vs 1000 (emits 100× fewer windows)', slidingWide / sliding6000);
ratio('count: rate at 60 vs 6000 (size ratio)', Math.max(count60, count6000) / Math.min(count60, count6000));

/** Bursts of 600 readings 1 ms apart, then a 10 ms pause: sessions of 600 readings. */
function makeSessions(count: number): CanonicalReading[] {
  return makeReadings(count).map((reading, i) => ({ ...reading, ts: i + Math.floor(i / 600) * 10 }));
}

/** Swap a fraction of readings with a neighbour up to `distance` later (out of order within lateness). */
function shuffleSome(readings: CanonicalReading[], fraction: number, distance: number): CanonicalReading[] {
  const copy = readings.slice();
  let seed = 99;
  for (let i = 0; i + distance < copy.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    if (seed / 2 ** 32 < fraction) [copy[i], copy[i + distance]] = [copy[i + distance], copy[i]];
  }
  return copy;
}
