/**
 * Window features: one small, stateless unit per feature.
 *
 * A feature never keeps per-device state. It reads a {@link WindowSample}: the streaming {@link Summary} of the
 * window (kept incrementally by the engine in typed arrays) plus, for the order statistics and shape features,
 * the window's values themselves. "summary" features cost O(1) per window; "values" features read the whole
 * window and are paid for only when selected.
 */

import { spectrumOf, type Spectrum } from './spectral';

export const FEATURE_NAMES = [
  'mean',
  'std',
  'min',
  'max',
  'median',
  'range',
  'first',
  'last',
  'sum',
  'count',
  'slope',
  'rms',
  'p10',
  'p25',
  'p75',
  'p90',
  'iqr',
  'skew',
  'kurtosis',
  'delta',
  'meanCrossings',
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];

export function isFeatureName(name: string): name is FeatureName {
  return (FEATURE_NAMES as readonly string[]).includes(name);
}

/** Number of doubles a {@link Summary} occupies when packed into a Float64Array. */
export const SUMMARY_WIDTH = 8;

/**
 * Order-independent streaming statistics of (t, x) pairs: count, Welford mean and M2 of x, min, max, and the
 * mean and M2 of t with the t·x co-moment (for the least-squares slope). Merged with Chan's formulas, so
 * sliding windows never subtract (no drift). `t` is relative to a base chosen by the owner, to keep precision.
 */
export class Summary {
  n = 0;
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = -Infinity;
  tMean = 0;
  tM2 = 0;
  coMoment = 0;

  clear(): void {
    this.n = 0;
    this.mean = 0;
    this.m2 = 0;
    this.min = Infinity;
    this.max = -Infinity;
    this.tMean = 0;
    this.tM2 = 0;
    this.coMoment = 0;
  }

  /** Welford update with one (x, t) pair. */
  add(x: number, t: number): void {
    const n = this.n + 1;
    const dx = x - this.mean;
    this.mean += dx / n;
    this.m2 += dx * (x - this.mean);
    const dt = t - this.tMean;
    this.tMean += dt / n;
    this.tM2 += dt * (t - this.tMean);
    this.coMoment += dt * (x - this.mean);
    this.n = n;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
  }

  /**
   * Chan et al. pairwise merge of a summary packed at `offset` of `packed`, whose times are relative to a base
   * `timeShift` later than this summary's (shifting t moves only its mean).
   */
  mergePacked(packed: Float64Array, offset: number, timeShift = 0): void {
    const nb = packed[offset];
    if (nb === 0) return;
    const na = this.n;
    if (na === 0) {
      this.loadPacked(packed, offset);
      this.tMean += timeShift;
      return;
    }
    const n = na + nb;
    const weight = (na * nb) / n;
    const dx = packed[offset + 1] - this.mean;
    const dt = packed[offset + 5] + timeShift - this.tMean;
    this.n = n;
    this.mean += (dx * nb) / n;
    this.m2 += packed[offset + 2] + dx * dx * weight;
    this.tMean += (dt * nb) / n;
    this.tM2 += packed[offset + 6] + dt * dt * weight;
    this.coMoment += packed[offset + 7] + dt * dx * weight;
    if (packed[offset + 3] < this.min) this.min = packed[offset + 3];
    if (packed[offset + 4] > this.max) this.max = packed[offset + 4];
  }

  merge(other: Summary): void {
    other.writePacked(mergeScratch, 0);
    this.mergePacked(mergeScratch, 0);
  }

  loadPacked(packed: Float64Array, offset: number): void {
    this.n = packed[offset];
    this.mean = packed[offset + 1];
    this.m2 = packed[offset + 2];
    this.min = packed[offset + 3];
    this.max = packed[offset + 4];
    this.tMean = packed[offset + 5];
    this.tM2 = packed[offset + 6];
    this.coMoment = packed[offset + 7];
  }

  writePacked(packed: Float64Array, offset: number): void {
    packed[offset] = this.n;
    packed[offset + 1] = this.mean;
    packed[offset + 2] = this.m2;
    packed[offset + 3] = this.min;
    packed[offset + 4] = this.max;
    packed[offset + 5] = this.tMean;
    packed[offset + 6] = this.tM2;
    packed[offset + 7] = this.coMoment;
  }
}

const mergeScratch = new Float64Array(SUMMARY_WIDTH);
const EMPTY_VALUES = new Float64Array(0);

/** Central moments of a window's values, from an exact two-pass computation. */
interface CentralMoments {
  mean: number;
  m2: number;
  m3: number;
  m4: number;
}

/**
 * One sensor's readings in one window, as features see them: the streaming summary plus a view of the values in
 * window order. The engine reuses one sample for every window; views and sorting are made on demand.
 */
export class WindowSample {
  readonly summary = new Summary();
  private source: Float64Array = EMPTY_VALUES;
  private from = 0;
  private to = 0;
  private firstValue = 0;
  private lastValue = 0;
  private view: Float64Array | undefined;
  private sortedView: Float64Array | undefined;
  private moments: CentralMoments | undefined;
  private sortBuffer: Float64Array = EMPTY_VALUES;
  private timeSource: Float64Array | undefined;
  private timeFrom = 0;
  private spectra: Map<number, Spectrum | undefined> | undefined;

  /** Point the sample at `source[from, to)`; the caller has filled `summary` for the same readings. */
  load(source: Float64Array, from: number, to: number): this {
    this.source = source;
    this.from = from;
    this.to = to;
    this.timeSource = undefined;
    this.spectra?.clear();
    this.firstValue = to > from ? source[from] : 0;
    this.lastValue = to > from ? source[to - 1] : 0;
    this.view = undefined;
    this.sortedView = undefined;
    this.moments = undefined;
    return this;
  }

  /**
   * A sample without its values, for windows kept as summaries only: the caller has filled `summary`, and only
   * `reads: 'summary'` features may be computed from it.
   */
  loadEnds(first: number, last: number): this {
    this.load(EMPTY_VALUES, 0, 0);
    this.firstValue = first;
    this.lastValue = last;
    return this;
  }

  /**
   * The readings' timestamps (ms), at `source[from, from + count)` in the same order as the values: what the
   * spectral features resample on. Call after {@link load}.
   */
  loadTimes(source: Float64Array, from: number): this {
    this.timeSource = source;
    this.timeFrom = from;
    return this;
  }

  /** A self-contained sample of the given values (and their timestamps in ms, default 0, 1000, 2000, ...). */
  static of(values: ArrayLike<number>, timestamps?: ArrayLike<number>): WindowSample {
    const sample = new WindowSample();
    const copy = Float64Array.from(values);
    const times = new Float64Array(copy.length);
    const base = timestamps && timestamps.length > 0 ? timestamps[0] : 0;
    for (let i = 0; i < copy.length; i++) {
      times[i] = timestamps ? timestamps[i] : i * 1000;
      sample.summary.add(copy[i], times[i] - base);
    }
    return sample.load(copy, 0, copy.length).loadTimes(times, 0);
  }

  /** The readings' timestamps in window order (a view: do not modify); empty when the caller gave none. */
  times(): Float64Array {
    return this.timeSource === undefined ? EMPTY_VALUES : this.timeSource.subarray(this.timeFrom, this.timeFrom + this.count);
  }

  /** The window's spectrum resampled to `points` (src/core/window/spectral.ts), computed once per window and size. */
  spectrum(points: number): Spectrum | undefined {
    const spectra = (this.spectra ??= new Map());
    if (spectra.has(points)) return spectra.get(points);
    const spectrum = spectrumOf(this.times(), this.values(), points);
    spectra.set(points, spectrum);
    return spectrum;
  }

  get count(): number {
    return this.to - this.from;
  }

  get first(): number {
    return this.firstValue;
  }

  get last(): number {
    return this.lastValue;
  }

  /** The window's values in window order (a view: do not modify). */
  values(): Float64Array {
    return (this.view ??= this.source.subarray(this.from, this.to));
  }

  /** The window's values sorted ascending (a view of a buffer reused across windows). */
  sorted(): Float64Array {
    if (this.sortedView) return this.sortedView;
    const n = this.count;
    if (this.sortBuffer.length < n) this.sortBuffer = new Float64Array(Math.max(n, this.sortBuffer.length * 2));
    const sorted = this.sortBuffer.subarray(0, n);
    sorted.set(this.values());
    sorted.sort();
    return (this.sortedView = sorted);
  }

  /** Exact two-pass central moments (population), for the shape features. */
  centralMoments(): CentralMoments {
    if (this.moments) return this.moments;
    const values = this.values();
    const n = values.length;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[i];
    const mean = n > 0 ? sum / n : 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    for (let i = 0; i < n; i++) {
      const d = values[i] - mean;
      const d2 = d * d;
      s2 += d2;
      s3 += d2 * d;
      s4 += d2 * d2;
    }
    return (this.moments = n > 0 ? { mean, m2: s2 / n, m3: s3 / n, m4: s4 / n } : { mean, m2: 0, m3: 0, m4: 0 });
  }
}

/** One feature: a pure function of a window sample, with what it costs and whether reading order matters. */
export interface Feature {
  readonly name: FeatureName;
  /** `summary`: O(1) from the streaming summary and the window's ends; `values`: reads every value. */
  readonly reads: 'summary' | 'values';
  /** True when the result does not depend on the order of the readings. */
  readonly orderIndependent: boolean;
  /** The feature's value; 0 where it is undefined for the data (empty, n < 2, zero variance). */
  compute(sample: WindowSample): number;
}

/** Linear interpolation between closest ranks, bit for bit as numpy's default `percentile`. */
export function percentileOfSorted(sorted: ArrayLike<number>, fraction: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const rank = (n - 1) * fraction;
  const below = Math.floor(rank);
  const above = Math.min(below + 1, n - 1);
  const t = rank - below;
  const a = sorted[below];
  const b = sorted[above];
  const diff = b - a;
  // numpy's _lerp: interpolate from the nearer end so t = 1 returns b exactly.
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

const hasSpread = (s: Summary): boolean => s.n >= 2 && s.max > s.min;

function summaryFeature(name: FeatureName, compute: (s: Summary) => number): Feature {
  return { name, reads: 'summary', orderIndependent: true, compute: (sample) => compute(sample.summary) };
}

function percentileFeature(name: FeatureName, fraction: number): Feature {
  return {
    name,
    reads: 'values',
    orderIndependent: true,
    compute: (sample) => percentileOfSorted(sample.sorted(), fraction),
  };
}

/** Skew and kurtosis: from exact central moments, 0 without spread. */
function shapeFeature(name: FeatureName, compute: (moments: CentralMoments) => number): Feature {
  return {
    name,
    reads: 'values',
    orderIndependent: true,
    compute: (sample) => {
      if (!hasSpread(sample.summary)) return 0;
      const moments = sample.centralMoments();
      // A spread so small (values near 1e-300) that m2's powers underflow to 0 is no spread: 0, not NaN.
      const value = moments.m2 > 0 ? compute(moments) : 0;
      return Number.isFinite(value) ? value : 0;
    },
  };
}

const featureList: readonly Feature[] = [
  summaryFeature('count', (s) => s.n),
  summaryFeature('sum', (s) => s.mean * s.n),
  summaryFeature('mean', (s) => s.mean),
  summaryFeature('std', (s) => (hasSpread(s) && s.m2 > 0 ? Math.sqrt(s.m2 / s.n) : 0)),
  summaryFeature('min', (s) => (s.n > 0 ? s.min : 0)),
  summaryFeature('max', (s) => (s.n > 0 ? s.max : 0)),
  summaryFeature('range', (s) => (s.n > 0 ? s.max - s.min : 0)),
  // mean of squares = mean² + variance: no running sum of squares to drift.
  summaryFeature('rms', (s) => (s.n > 0 ? Math.sqrt(s.mean * s.mean + Math.max(s.m2, 0) / s.n) : 0)),
  // t is in ms, the slope is per second.
  summaryFeature('slope', (s) => (s.n >= 2 && s.tM2 > 0 ? (s.coMoment / s.tM2) * 1000 : 0)),
  { name: 'first', reads: 'summary', orderIndependent: false, compute: (sample) => sample.first },
  { name: 'last', reads: 'summary', orderIndependent: false, compute: (sample) => sample.last },
  { name: 'delta', reads: 'summary', orderIndependent: false, compute: (sample) => sample.last - sample.first },
  percentileFeature('median', 0.5),
  percentileFeature('p10', 0.1),
  percentileFeature('p25', 0.25),
  percentileFeature('p75', 0.75),
  percentileFeature('p90', 0.9),
  {
    name: 'iqr',
    reads: 'values',
    orderIndependent: true,
    compute: (sample) => {
      const sorted = sample.sorted();
      // `+ 0` turns the -0 of constant negative-zero data into 0.
      return percentileOfSorted(sorted, 0.75) - percentileOfSorted(sorted, 0.25) + 0;
    },
  },
  shapeFeature('skew', ({ m2, m3 }) => m3 / Math.pow(m2, 1.5)),
  shapeFeature('kurtosis', ({ m2, m4 }) => m4 / (m2 * m2) - 3), // excess kurtosis
  {
    name: 'meanCrossings',
    reads: 'values',
    orderIndependent: false,
    compute: (sample) => {
      const values = sample.values();
      if (values.length < 2) return 0;
      const { mean } = sample.centralMoments();
      // tsfresh's number_crossing_m: count changes of (x > mean) between neighbours.
      let crossings = 0;
      let above = values[0] > mean;
      for (let i = 1; i < values.length; i++) {
        const nowAbove = values[i] > mean;
        if (nowAbove !== above) crossings++;
        above = nowAbove;
      }
      return crossings;
    },
  },
];

/** Every feature by name. */
export const FEATURES: Readonly<Record<FeatureName, Feature>> = Object.fromEntries(
  featureList.map((feature) => [feature.name, feature]),
) as Record<FeatureName, Feature>;
