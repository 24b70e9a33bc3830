/**
 * Seeded sensor data with known anomalies, for the anomaly-model tests and docs/anomaly.md.
 *
 * One room, one reading a minute of three sensors: temperature (a daily cycle plus slow AR(1) wander and
 * jitter), humidity (falling as the room warms, plus its own noise) and CO2 (people at breakfast and in the
 * evening, plus noise). Readings are cut into 10-minute tumbling windows, each summarised by mean, std, min,
 * max and slope per sensor (15 features). A chosen share of windows gets one injected fault in one sensor:
 * - `spike`: one reading jumps by 3–6 °C / 10–20 %RH / 300–600 ppm, up or down;
 * - `stuck`: the sensor repeats its first reading of the window for the whole window;
 * - `drift`: the sensor's readings gain a ramp over the window, ending 1–2 °C / 5–10 %RH / 100–200 ppm off.
 */
import { Random } from '../../src/core/util/rng';

export type FaultKind = 'spike' | 'stuck' | 'drift';
export const FAULT_KINDS: readonly FaultKind[] = ['spike', 'stuck', 'drift'];
const SENSORS = ['temp', 'hum', 'co2'] as const;
const STATS = ['mean', 'std', 'min', 'max', 'slope'] as const;
export const FEATURE_NAMES = SENSORS.flatMap((sensor) => STATS.map((stat) => `${sensor}.${stat}`));
const WINDOW_MINUTES = 10;
const WINDOWS_PER_DAY = 1440 / WINDOW_MINUTES;

export interface LabelledWindows {
  rows: Float64Array[];
  /** 1 where a fault was injected. */
  truth: Uint8Array;
  /** The fault of each window, null for normal ones. */
  kinds: Array<FaultKind | null>;
}

/** Fault sizes per sensor: [low, high] of the spike jump and of the drift's end offset. */
const SPIKE: Record<(typeof SENSORS)[number], [number, number]> = { temp: [3, 6], hum: [10, 20], co2: [300, 600] };
const DRIFT: Record<(typeof SENSORS)[number], [number, number]> = { temp: [1, 2], hum: [5, 10], co2: [100, 200] };

/** `days` of windows starting at day `firstDay`, with a share `faultRate` of them faulty (kinds in turn). */
export function sensorWindows(seed: number, days: number, faultRate: number, firstDay = 0): LabelledWindows {
  const rng = new Random(seed, 77);
  const gauss = (): number => {
    // Box–Muller; 1 − u keeps the log finite.
    const u = 1 - rng.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
  };
  const rows: Float64Array[] = [];
  const truth: number[] = [];
  const kinds: Array<FaultKind | null> = [];
  let wander = 0;
  let humidityWander = 0;
  let faultTurn = 0;
  const readings: number[][] = SENSORS.map(() => new Array<number>(WINDOW_MINUTES).fill(0));
  for (let w = 0; w < days * WINDOWS_PER_DAY; w++) {
    for (let m = 0; m < WINDOW_MINUTES; m++) {
      const minuteOfDay = ((firstDay * WINDOWS_PER_DAY + w) * WINDOW_MINUTES + m) % 1440;
      const hour = minuteOfDay / 60;
      wander = 0.9 * wander + 0.05 * gauss();
      humidityWander = 0.95 * humidityWander + 0.15 * gauss();
      const temp = 21 + 2.5 * Math.sin((2 * Math.PI * (hour - 9)) / 24) + wander + 0.05 * gauss();
      const occupied = (hour >= 7 && hour < 9) || (hour >= 18 && hour < 23) ? 1 : 0;
      readings[0][m] = temp;
      readings[1][m] = 50 - 1.5 * (temp - 21) + humidityWander + 0.3 * gauss();
      readings[2][m] = 420 + 300 * occupied + 8 * gauss();
    }
    let kind: FaultKind | null = null;
    if (rng.next() < faultRate) {
      kind = FAULT_KINDS[faultTurn++ % FAULT_KINDS.length];
      const s = rng.int(SENSORS.length);
      const series = readings[s];
      const draw = ([low, high]: [number, number]): number => low + rng.next() * (high - low);
      if (kind === 'spike') series[rng.int(WINDOW_MINUTES)] += (rng.next() < 0.5 ? -1 : 1) * draw(SPIKE[SENSORS[s]]);
      else if (kind === 'stuck') series.fill(series[0]);
      else {
        const end = (rng.next() < 0.5 ? -1 : 1) * draw(DRIFT[SENSORS[s]]);
        for (let m = 0; m < WINDOW_MINUTES; m++) series[m] += (end * m) / (WINDOW_MINUTES - 1);
      }
    }
    rows.push(Float64Array.from(readings.flatMap(summarise)));
    truth.push(kind === null ? 0 : 1);
    kinds.push(kind);
  }
  return { rows, truth: Uint8Array.from(truth), kinds };
}

/** mean, population std, min, max and least-squares slope per minute. */
function summarise(values: number[]): number[] {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  const centre = (n - 1) / 2;
  let covariance = 0;
  let spread = 0;
  values.forEach((v, i) => {
    covariance += (i - centre) * (v - mean);
    spread += (i - centre) ** 2;
  });
  return [mean, std, Math.min(...values), Math.max(...values), covariance / spread];
}

/** The plain baseline: per-feature mean and std of the training rows, flag a row when any |z| > `limit`. */
export function zScoreFlags(train: Float64Array[], rows: Float64Array[], limit = 3): Uint8Array {
  const nFeatures = train[0].length;
  const mean = new Float64Array(nFeatures);
  const std = new Float64Array(nFeatures);
  for (const row of train) for (let f = 0; f < nFeatures; f++) mean[f] += row[f] / train.length;
  for (const row of train) for (let f = 0; f < nFeatures; f++) std[f] += (row[f] - mean[f]) ** 2 / train.length;
  for (let f = 0; f < nFeatures; f++) std[f] = Math.sqrt(std[f]);
  return Uint8Array.from(rows, (row) => {
    for (let f = 0; f < nFeatures; f++) {
      const z = std[f] > 0 ? Math.abs(row[f] - mean[f]) / std[f] : row[f] === mean[f] ? 0 : Infinity;
      if (z > limit) return 1;
    }
    return 0;
  });
}

/**
 * Contextual anomalies: every `every`-th window (from `offset`) gets the humidity features of the window 12 hours
 * away. Each value alone is common; only humidity's tie to temperature breaks.
 */
export function swapHumidity(windows: LabelledWindows, every = 20, offset = 7): { rows: Float64Array[]; truth: Uint8Array } {
  const halfDay = WINDOWS_PER_DAY / 2;
  const humidity = FEATURE_NAMES.map((name, f) => (name.startsWith('hum.') ? f : -1)).filter((f) => f >= 0);
  const truth = new Uint8Array(windows.rows.length);
  const rows = windows.rows.map((row, i) => {
    if (i % every !== offset || windows.truth[i] === 1) return row;
    truth[i] = 1;
    const other = windows.rows[(i + halfDay) % windows.rows.length];
    const swapped = Float64Array.from(row);
    for (const f of humidity) swapped[f] = other[f];
    return swapped;
  });
  return { rows, truth };
}
