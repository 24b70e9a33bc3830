/**
 * The spectrum of one window (docs/nodes/feature-window.md#spectral-features):
 *
 * 1. The readings, ordered by ts (readings at the same ts averaged), are resampled by linear interpolation onto
 *    N evenly spaced points from the first reading's ts to the last's (both included): spacing Δ = span/(N − 1),
 *    sample rate fs = 1000/Δ Hz (ts in ms). Readings already evenly spaced with N of them come out unchanged.
 * 2. The resampled values' mean is removed, and the FFT (src/core/window/fft.ts) taken.
 * 3. One-sided power per bin k = 0..N/2 at frequency k·fs/N: P_k = c·|X_k|²/N² with c = 2 except for k = 0 and
 *    k = N/2 (c = 1), so Σ P_k is the resampled values' variance (Parseval).
 *
 * Fewer than two distinct timestamps give no spectrum (every spectral feature is 0, as the contract has it for
 * features undefined for the data).
 */
import { fft } from './fft';

export interface Spectrum {
  /** Points the window was resampled to (a power of two). */
  readonly points: number;
  /** Sample rate of the resampled values, Hz. */
  readonly rate: number;
  /** One-sided power per bin 0..points/2 (value units²); bin k is at k·rate/points Hz. */
  readonly power: Float64Array;
  /** Amplitude per bin, 2·|X_k|/N (|X_k|/N at 0 and N/2): a sine of amplitude A on bin k reads A. */
  readonly amplitude: Float64Array;
  /** The resampled values, mean not removed. */
  readonly resampled: Float64Array;
}

/** Scratch buffers reused across windows (the engine is single-threaded). */
let order: number[] = [];
let times = new Float64Array(0);
let values = new Float64Array(0);

/**
 * Linear interpolation (numpy's `interp`) of the readings (ts ms, value) onto `points` evenly spaced times from the
 * first ts to the last. Undefined with fewer than two distinct timestamps.
 */
export function resample(ts: ArrayLike<number>, xs: ArrayLike<number>, points: number): { values: Float64Array; rate: number } | undefined {
  const n = Math.min(ts.length, xs.length);
  if (n < 2 || points < 2) return undefined;
  // Order by ts, stable; a buffer sorted by position (event time) is usually sorted by ts already.
  let sorted = true;
  for (let i = 1; i < n; i++) {
    if (ts[i] < ts[i - 1]) {
      sorted = false;
      break;
    }
  }
  if (times.length < n) {
    times = new Float64Array(Math.max(n, times.length * 2));
    values = new Float64Array(times.length);
  }
  let m = 0;
  const push = (t: number, x: number, count: { n: number }): void => {
    if (m > 0 && times[m - 1] === t) {
      // Same ts as the previous reading: their mean.
      count.n++;
      values[m - 1] += (x - values[m - 1]) / count.n;
    } else {
      times[m] = t;
      values[m] = x;
      m++;
      count.n = 1;
    }
  };
  const count = { n: 0 };
  if (sorted) {
    for (let i = 0; i < n; i++) push(ts[i], xs[i], count);
  } else {
    if (order.length < n) order = new Array<number>(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const byTime = order.slice(0, n).sort((a, b) => ts[a] - ts[b] || a - b);
    for (const i of byTime) push(ts[i], xs[i], count);
  }
  if (m < 2) return undefined;
  const t0 = times[0];
  const span = times[m - 1] - t0;
  if (!(span > 0) || !Number.isFinite(span)) return undefined;
  const out = new Float64Array(points);
  const step = span / (points - 1);
  let j = 0;
  for (let k = 0; k < points; k++) {
    const t = k === points - 1 ? times[m - 1] : t0 + k * step;
    while (j < m - 2 && times[j + 1] < t) j++;
    const ta = times[j];
    const tb = times[j + 1];
    const a = values[j];
    const b = values[j + 1];
    if (t <= ta) out[k] = a;
    else if (t >= tb) out[k] = b;
    else out[k] = a + ((b - a) * (t - ta)) / (tb - ta);
  }
  return { values: out, rate: 1000 / step };
}

/** The spectrum of the readings (ts ms, value) resampled to `points` (a power of two), or undefined (see above). */
export function spectrumOf(ts: ArrayLike<number>, xs: ArrayLike<number>, points: number): Spectrum | undefined {
  const sampled = resample(ts, xs, points);
  if (sampled === undefined) return undefined;
  const resampled = sampled.values;
  let mean = 0;
  for (let k = 0; k < points; k++) mean += resampled[k];
  mean /= points;
  const re = new Float64Array(points);
  const im = new Float64Array(points);
  for (let k = 0; k < points; k++) re[k] = resampled[k] - mean;
  fft(re, im);
  const half = points >> 1;
  const power = new Float64Array(half + 1);
  const amplitude = new Float64Array(half + 1);
  for (let k = 0; k <= half; k++) {
    const edge = k === 0 || k === half;
    const magnitude = Math.hypot(re[k], im[k]) / points;
    amplitude[k] = edge ? magnitude : 2 * magnitude;
    power[k] = (edge ? 1 : 2) * magnitude * magnitude;
  }
  return { points, rate: sampled.rate, power, amplitude, resampled };
}

/** Frequency (Hz) of the strongest bin above 0 Hz (the lowest of equals); 0 without power. */
export function dominantFrequency(spectrum: Spectrum): number {
  const { power } = spectrum;
  let best = 0;
  let bestPower = 0;
  for (let k = 1; k < power.length; k++) {
    if (power[k] > bestPower) {
      bestPower = power[k];
      best = k;
    }
  }
  return (best * spectrum.rate) / spectrum.points;
}

/**
 * Shannon entropy of the power distribution over the bins above 0 Hz, divided by its largest possible value
 * (log of their number): 0 for all power in one bin, 1 for white noise's flat spectrum. 0 without power.
 */
export function spectralEntropy(spectrum: Spectrum): number {
  const { power } = spectrum;
  const bins = power.length - 1;
  if (bins < 2) return 0;
  let total = 0;
  for (let k = 1; k <= bins; k++) total += power[k];
  if (!(total > 0) || !Number.isFinite(total)) return 0;
  let entropy = 0;
  for (let k = 1; k <= bins; k++) {
    const p = power[k] / total;
    if (p > 0) entropy -= p * Math.log(p);
  }
  return Math.min(1, Math.max(0, entropy / Math.log(bins)));
}

/** Power (value units²) of the bins whose frequency f has low ≤ f < high. */
export function bandEnergy(spectrum: Spectrum, low: number, high: number): number {
  const { power, rate, points } = spectrum;
  let sum = 0;
  for (let k = 0; k < power.length; k++) {
    const f = (k * rate) / points;
    if (f >= low && f < high) sum += power[k];
  }
  return sum;
}

// ---- the features -----------------------------------------------------------------------------------------

/** Spectral features a sensor can have (after its moment features, in this order of selection). */
export const SPECTRAL_FEATURE_NAMES = ['domFreq', 'spectralEntropy', 'bandEnergy', 'fftMag'] as const;
export type SpectralFeatureName = (typeof SPECTRAL_FEATURE_NAMES)[number];

export function isSpectralFeatureName(name: string): name is SpectralFeatureName {
  return (SPECTRAL_FEATURE_NAMES as readonly string[]).includes(name);
}

/** A frequency band [low, high) in Hz. */
export interface Band {
  readonly low: number;
  readonly high: number;
}

/** Bands of `bandEnergy` unless configured: still, gait and breathing, walking and running, tremor and vibration. */
export const DEFAULT_BANDS: readonly Band[] = [
  { low: 0, high: 0.5 },
  { low: 0.5, high: 3 },
  { low: 3, high: 8 },
  { low: 8, high: 25 },
];
/** The default bands as the node's `bands` text. */
export const DEFAULT_BANDS_TEXT = DEFAULT_BANDS.map((band) => `${band.low}-${band.high}`).join(', ');
/** One band edge as `bands` text takes it: a plain decimal, at most 6 digits and 3 decimals (it goes into names). */
export const BAND_EDGE_PATTERN = '^\\d{1,6}(\\.\\d{1,3})?$';
export const DEFAULT_SPECTRAL_POINTS = 64;
export const DEFAULT_FFT_COEFFICIENTS = 4;
export const SPECTRAL_LIMITS = { minPoints: 8, maxPoints: 4096, maxBands: 16, maxCoefficients: 32 } as const;

/** A band edge in a feature name: `0.5` → `0p5` (no dot: feature names are `<sensor>.<feature>`). */
const edgeName = (hz: number): string => String(hz).replace('.', 'p');

/** `band0p5to3Hz`: the output name of a band's energy. */
export function bandKey(band: Band): string {
  return `band${edgeName(band.low)}to${edgeName(band.high)}Hz`;
}

/** `fftMag1`: the output name of the k-th FFT coefficient's magnitude. */
export const fftKey = (k: number): string => `fftMag${k}`;

/** The spectral feature an output name belongs to (`band0to1Hz` → `bandEnergy`), or undefined. */
export function spectralFeatureOfKey(key: string): SpectralFeatureName | undefined {
  if (isSpectralFeatureName(key) && key !== 'bandEnergy' && key !== 'fftMag') return key;
  if (/^band\d+(p\d+)?to\d+(p\d+)?Hz$/.test(key)) return 'bandEnergy';
  if (/^fftMag[1-9]\d*$/.test(key)) return 'fftMag';
  return undefined;
}

export interface SpectralSettings {
  readonly spectral: readonly SpectralFeatureName[];
  readonly bands: readonly Band[];
  /** Points each window is resampled to (a power of two). */
  readonly spectralPoints: number;
  /** How many FFT coefficients `fftMag` gives (from the first above 0 Hz). */
  readonly fftCoefficients: number;
}

/** One output of a spectral feature: its name after `<sensor>.`, and its value for a window. */
export interface SpectralOutput {
  readonly key: string;
  readonly feature: SpectralFeatureName;
  compute(sample: { spectrum(points: number): Spectrum | undefined }): number;
}

/** A value that is not finite (values so large their squares overflow) is 0, like the shape features'. */
const finite = (value: number): number => (Number.isFinite(value) ? value : 0);

/** The outputs of the selected spectral features, in selection order (bands and coefficients in theirs). */
export function spectralOutputs(settings: SpectralSettings): SpectralOutput[] {
  const points = settings.spectralPoints;
  const outputs: SpectralOutput[] = [];
  const of = (feature: SpectralFeatureName, key: string, value: (spectrum: Spectrum) => number): void => {
    outputs.push({
      key,
      feature,
      compute: (sample) => {
        const spectrum = sample.spectrum(points);
        return spectrum === undefined ? 0 : finite(value(spectrum));
      },
    });
  };
  for (const feature of settings.spectral) {
    if (feature === 'domFreq') of(feature, feature, dominantFrequency);
    else if (feature === 'spectralEntropy') of(feature, feature, spectralEntropy);
    else if (feature === 'bandEnergy') for (const band of settings.bands) of(feature, bandKey(band), (s) => bandEnergy(s, band.low, band.high));
    else for (let k = 1; k <= settings.fftCoefficients; k++) of(feature, fftKey(k), (s) => (k < s.amplitude.length ? s.amplitude[k] : 0));
  }
  return outputs;
}

/** The output names of the selected spectral features (without `<sensor>.`). */
export function spectralKeys(settings: SpectralSettings): string[] {
  return spectralOutputs(settings).map((output) => output.key);
}
