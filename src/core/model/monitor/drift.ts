/**
 * Drift monitoring: is live data still distributed like the data the model learnt from?
 *
 * A DriftMonitor holds the model's training sketch (sketch.ts) and a sliding sample of the last `windowSize`
 * feature vectors seen live (for the whole model, or per device). `report()` compares, feature by feature, the
 * share of the live sample in each sketch bin (a) with the training share (e) by the population stability index
 *
 *     PSI = Σ (a_i − e_i) · ln(a_i / e_i)       with a_i, e_i floored at ε = 1e-4 (empty bins would divide by 0)
 *
 * The usual reading: below 0.1 no real change, 0.1–0.25 a moderate shift worth a look, above 0.25 a significant
 * shift (retrain). A feature drifts when its PSI reaches `threshold` (default 0.2); nothing is reported as
 * drifting before `minSamples` live vectors are in (PSI of small samples is noisy: about (bins − 1)/n even
 * without drift).
 *
 * Missing values: every feature has one more bin, for vectors that lack it (NaN, or absent from a features
 * object), whose training share is the sketch's `missing` (0 when absent). A sensor that dies makes that bin's
 * live share rise far above its training share, and the PSI names the feature like any other drift: from a
 * training share of 0, about 4% of live vectors missing it reach the default threshold 0.2.
 *
 * Memory is bounded: a ring of bin numbers (windowSize × features bytes) and integer counts per stream, and at
 * most `maxDevices` device streams (the least recently fed is dropped first).
 */
import { readFeatureVector, type FeatureError, type LoadedModel, type ModelFile } from '../file/model-file';
import { FeatureSketch, sketchBin } from './sketch';
import { LruMap } from '../../util/lru-map';

export const DEFAULT_DRIFT_WINDOW = 500;
export const DEFAULT_DRIFT_THRESHOLD = 0.2;
export const DEFAULT_DRIFT_MIN_SAMPLES = 200;
export const DEFAULT_PSI_EPSILON = 1e-4;
export const DEFAULT_DRIFT_MAX_DEVICES = 100;
/** The largest sliding sample and device count accepted (memory is maxDevices × windowSize × features bytes). */
export const DRIFT_BOUNDS = { maxWindowSize: 100_000, maxDevices: 10_000 };

export interface DriftMonitorOptions {
  /** Live vectors kept per stream (the sliding sample). Default 500. */
  windowSize?: number;
  /** Live vectors needed before drift is reported. Default min(200, windowSize). */
  minSamples?: number;
  /** PSI at or above which a feature has drifted. Default 0.2. */
  threshold?: number;
  /** Floor for the shares in the PSI. Default 1e-4. */
  epsilon?: number;
  /** One sliding sample per device (add/report take a deviceId) instead of one for the model. */
  perDevice?: boolean;
  /** perDevice: the most devices tracked. Default 100. */
  maxDevices?: number;
}

/** PSI level by the usual guidance. */
export type DriftLevel = 'stable' | 'moderate' | 'significant';

export interface FeatureDrift {
  psi: number;
  level: DriftLevel;
  drifted: boolean;
}

export interface DriftReport {
  /** perDevice only. */
  deviceId?: string;
  /** Live vectors in the sliding sample. */
  samples: number;
  windowSize: number;
  /** samples >= minSamples: only then can `drifted` be true. */
  ready: boolean;
  threshold: number;
  /** Some feature's PSI reached the threshold (and the sample is ready). */
  drifted: boolean;
  /** The drifted features, largest PSI first. */
  driftedFeatures: string[];
  /** The largest PSI over the features (0 with no samples). */
  maxPsi: number;
  /** Per feature, in the model's feature order. */
  features: Record<string, FeatureDrift>;
}

export type DriftAddResult = { ok: true; samples: number } | { ok: false; error: FeatureError };

export function driftLevel(psi: number): DriftLevel {
  return psi < 0.1 ? 'stable' : psi < 0.25 ? 'moderate' : 'significant';
}

/** PSI between live bin counts (out of `total`) and expected shares, both floored at `epsilon`. */
export function populationStabilityIndex(counts: ArrayLike<number>, total: number, expected: ArrayLike<number>, epsilon = DEFAULT_PSI_EPSILON): number {
  if (total === 0) return 0;
  let psi = 0;
  for (let i = 0; i < expected.length; i++) {
    const actual = Math.max(counts[i] / total, epsilon);
    const wanted = Math.max(expected[i], epsilon);
    psi += (actual - wanted) * Math.log(actual / wanted);
  }
  return psi;
}

/** One sliding sample: a ring of bin numbers and the count of each (feature, bin). */
class Stream {
  readonly ring: Uint8Array;
  readonly counts: Int32Array;
  size = 0;
  next = 0;

  constructor(windowSize: number, nFeatures: number, totalBins: number) {
    this.ring = new Uint8Array(windowSize * nFeatures);
    this.counts = new Int32Array(totalBins);
  }
}

export class DriftMonitor {
  readonly featureNames: readonly string[];
  readonly windowSize: number;
  readonly minSamples: number;
  readonly threshold: number;
  readonly epsilon: number;
  readonly perDevice: boolean;
  readonly maxDevices: number;
  private readonly edges: Float64Array[];
  /** Training shares per feature, normalised to sum to 1. */
  private readonly expected: Float64Array[];
  /** Where each feature's bins start in a stream's counts. */
  private readonly offsets: Int32Array;
  private readonly totalBins: number;
  /** Keyed by deviceId ('' for the model-wide stream); least recently fed first, at most maxDevices. */
  private readonly streams: LruMap<string, Stream>;
  private readonly vector: Float64Array;

  constructor(sketch: FeatureSketch, options: DriftMonitorOptions = {}) {
    this.featureNames = sketch.features.map((entry) => entry.name);
    this.windowSize = options.windowSize ?? DEFAULT_DRIFT_WINDOW;
    this.minSamples = options.minSamples ?? Math.min(DEFAULT_DRIFT_MIN_SAMPLES, this.windowSize);
    this.threshold = options.threshold ?? DEFAULT_DRIFT_THRESHOLD;
    this.epsilon = options.epsilon ?? DEFAULT_PSI_EPSILON;
    this.perDevice = options.perDevice ?? false;
    this.maxDevices = options.maxDevices ?? DEFAULT_DRIFT_MAX_DEVICES;
    const positiveInteger = (name: string, value: number, max: number): void => {
      if (!(Number.isInteger(value) && value >= 1 && value <= max)) throw new RangeError(`${name} must be an integer in [1, ${max}], got ${value}`);
    };
    positiveInteger('windowSize', this.windowSize, DRIFT_BOUNDS.maxWindowSize);
    positiveInteger('minSamples', this.minSamples, this.windowSize);
    positiveInteger('maxDevices', this.maxDevices, DRIFT_BOUNDS.maxDevices);
    if (!(this.threshold > 0)) throw new RangeError(`threshold must be > 0, got ${this.threshold}`);
    if (!(this.epsilon > 0 && this.epsilon < 1)) throw new RangeError(`epsilon must be in (0, 1), got ${this.epsilon}`);
    this.edges = sketch.features.map((entry) => Float64Array.from(entry.edges));
    this.expected = sketch.features.map((entry) => {
      // Bin numbers (value bins and the missing bin) must fit the Uint8Array ring.
      if (entry.edges.length > 254) throw new RangeError(`feature ${entry.name}: at most 255 bins are supported`);
      const total = entry.proportions.reduce((sum, p) => sum + p, 0);
      const missing = entry.missing ?? 0;
      // The value bins share what the missing bin (last) leaves.
      const shares = new Float64Array(entry.proportions.length + 1);
      entry.proportions.forEach((p, i) => (shares[i] = total > 0 ? (p / total) * (1 - missing) : 0));
      shares[entry.proportions.length] = missing;
      return shares;
    });
    this.offsets = new Int32Array(this.featureNames.length);
    let bins = 0;
    this.expected.forEach((shares, f) => {
      this.offsets[f] = bins;
      bins += shares.length;
    });
    this.totalBins = bins;
    this.vector = new Float64Array(this.featureNames.length);
    this.streams = new LruMap(this.maxDevices);
  }

  /** A monitor for a model's training distribution; null for a model file written before sketches existed. */
  static forModel(model: LoadedModel | ModelFile, options: DriftMonitorOptions = {}): DriftMonitor | null {
    const sketch = 'file' in model ? model.file.sketch : model.sketch;
    return sketch === undefined ? null : new DriftMonitor(sketch, options);
  }

  /** Streams held now (1 at most without perDevice). */
  get streamCount(): number {
    return this.streams.size;
  }

  /**
   * Adds one live feature vector: an array in the model's feature order (NaN for a missing value), or a features
   * object (a finite number per feature; an absent, null or NaN one is missing). `deviceId` picks the stream
   * when perDevice.
   */
  add(input: ArrayLike<number> | Record<string, unknown>, deviceId = ''): DriftAddResult {
    const row = this.readInput(input);
    if (!row.ok) return row;
    const key = this.perDevice ? deviceId : '';
    const stream = this.streams.getOrCreate(key, () => new Stream(this.windowSize, this.featureNames.length, this.totalBins));

    const nFeatures = this.featureNames.length;
    const at = stream.next * nFeatures;
    const full = stream.size === this.windowSize;
    for (let f = 0; f < nFeatures; f++) {
      if (full) stream.counts[this.offsets[f] + stream.ring[at + f]]--;
      const x = row.row[f];
      const bin = Number.isNaN(x) ? this.edges[f].length + 1 : sketchBin(this.edges[f], x);
      stream.ring[at + f] = bin;
      stream.counts[this.offsets[f] + bin]++;
    }
    stream.next = (stream.next + 1) % this.windowSize;
    if (!full) stream.size++;
    return { ok: true, samples: stream.size };
  }

  /** The PSI of every feature over the stream's sliding sample (the model-wide one without perDevice). */
  report(deviceId = ''): DriftReport {
    const key = this.perDevice ? deviceId : '';
    const stream = this.streams.peek(key);
    const samples = stream?.size ?? 0;
    const ready = samples >= this.minSamples;
    const features: Record<string, FeatureDrift> = {};
    const drifting: Array<[string, number]> = [];
    let maxPsi = 0;
    this.featureNames.forEach((name, f) => {
      const expected = this.expected[f];
      const psi =
        stream === undefined ? 0 : populationStabilityIndex(stream.counts.subarray(this.offsets[f], this.offsets[f] + expected.length), samples, expected, this.epsilon);
      const drifted = ready && psi >= this.threshold;
      features[name] = { psi, level: driftLevel(psi), drifted };
      if (drifted) drifting.push([name, psi]);
      maxPsi = Math.max(maxPsi, psi);
    });
    drifting.sort((a, b) => b[1] - a[1]);
    return {
      ...(this.perDevice ? { deviceId } : {}),
      samples,
      windowSize: this.windowSize,
      ready,
      threshold: this.threshold,
      drifted: drifting.length > 0,
      driftedFeatures: drifting.map(([name]) => name),
      maxPsi,
      features,
    };
  }

  /** Reports of every tracked device (perDevice), least recently fed first. */
  reportAll(): DriftReport[] {
    return [...this.streams.keys()].map((key) => this.report(key));
  }

  /** Forgets the sliding sample of one device, or all of them. */
  reset(deviceId?: string): void {
    if (deviceId === undefined || !this.perDevice) this.streams.clear();
    else this.streams.delete(deviceId);
  }

  private readInput(input: ArrayLike<number> | Record<string, unknown>): { ok: true; row: ArrayLike<number> } | { ok: false; error: FeatureError } {
    const nFeatures = this.featureNames.length;
    if (isArrayLike(input)) {
      if (input.length !== nFeatures) {
        return { ok: false, error: { code: 'features', message: `a feature vector needs ${nFeatures} values, got ${input.length}`, path: '' } };
      }
      for (let f = 0; f < nFeatures; f++) {
        const value = input[f];
        if (typeof value !== 'number' || !(Number.isFinite(value) || Number.isNaN(value))) {
          return { ok: false, error: { code: 'features', message: `feature "${this.featureNames[f]}" is ${String(value)}, not a finite number`, path: `/${f}` } };
        }
      }
      return { ok: true, row: input };
    }
    return readFeatureVector(this.featureNames, input, this.vector, true);
  }
}

function isArrayLike(input: unknown): input is ArrayLike<number> {
  return Array.isArray(input) || ArrayBuffer.isView(input);
}
