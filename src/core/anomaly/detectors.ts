/**
 * Streaming detectors: each scores a stream's next feature vector against what that stream did before, then
 * learns from it. A detector is stateless code over a stream's state arrays (all zeros = a fresh stream), so a
 * session keeps one small block of numbers per device and a snapshot is those numbers.
 *
 * Every detector returns a surprise u ≥ 0 in nats; the score shown to users is 1 − e^(−u), in [0, 1).
 * - `gaussian`: per feature an exponentially weighted mean and variance (span `memory` windows), so a lasting level
 *   shift is learnt within about `memory` windows; u from the largest |z| over the features.
 * - `forecast`: per feature a damped-trend Holt forecast of the next value from the recent ones; u from the largest
 *   forecast error over its own exponentially weighted spread.
 * - `knn-cad`: the conformalised k-nearest-neighbour detector of Burnaev and Ishimtsev (2016): u = −ln p where p is
 *   the conformal p-value of the new window's non-conformity (the summed distance from its delay embedding to
 *   its k nearest neighbours among the stream's recent embeddings) among the recent non-conformities; a window
 *   stranger than every recent one adds ln(its non-conformity / the largest recent one), since p bottoms out there.
 */

export type DetectorMethod = 'gaussian' | 'forecast' | 'knn-cad';
export const DETECTOR_METHODS: readonly DetectorMethod[] = ['gaussian', 'forecast', 'knn-cad'];

export interface DetectorParams {
  /** Span (windows) of the exponentially weighted statistics: how fast a new level becomes normal. */
  memory: number;
  /** forecast: level smoothing α in (0, 1]; the trend uses α/4 and is damped by 0.9 a step. */
  smoothing: number;
  /** knn-cad: neighbours summed in the non-conformity. */
  neighbours: number;
  /** knn-cad: recent embeddings compared against, and recent non-conformities calibrated against. */
  reference: number;
  /** knn-cad: windows in one delay embedding. */
  embed: number;
}

export const DEFAULT_DETECTOR: DetectorParams = { memory: 1000, smoothing: 0.9, neighbours: 5, reference: 64, embed: 3 };

/** z at which the reported score is 0.5: the surprise is ln(1 + z²/3.5²) (the robust-z squash of model files). */
const Z_HALF = 3.5;
/** Relative floor on a spread, so a feature that never moved yet scores finitely when it does. */
const RELATIVE_FLOOR = 1e-6;
const ABSOLUTE_FLOOR = 1e-12;

/** A stream's state: doubles, and (knn-cad) its embeddings as singles. */
export interface StreamState {
  f64: Float64Array;
  f32?: Float32Array;
}

export interface Detector {
  readonly method: DetectorMethod;
  readonly params: DetectorParams;
  /** A fresh state for a stream of `features` features. */
  create(features: number): StreamState;
  /** Bytes of state per stream of `features` features (typed-array payloads). */
  bytes(features: number): number;
  /** Scores `x` (one value per feature) against the stream so far, learns it, and returns the surprise. */
  update(state: StreamState, x: Float64Array): number;
}

function zSurprise(z: number): number {
  return Math.log1p((z * z) / (Z_HALF * Z_HALF));
}

function spread(variance: number, centre: number): number {
  const floor = RELATIVE_FLOOR * Math.abs(centre) + ABSOLUTE_FLOOR;
  return Math.sqrt(variance + floor * floor);
}

/** The weight of a new value in a span-`memory` exponential average after `n` values (a plain mean at first). */
function weight(n: number, memory: number): number {
  return Math.max(1 / (n + 1), 2 / (memory + 1));
}

/** A detector whose state is a count and then `perFeature` doubles for each feature, in one Float64Array. */
abstract class CountedDetector implements Detector {
  abstract readonly method: DetectorMethod;
  protected abstract readonly perFeature: number;
  constructor(readonly params: DetectorParams) {}

  create(features: number): StreamState {
    return { f64: new Float64Array(1 + this.perFeature * features) };
  }

  bytes(features: number): number {
    return 8 * (1 + this.perFeature * features);
  }

  abstract update(state: StreamState, x: Float64Array): number;
}

// gaussian: [count, mean_0, var_0, mean_1, var_1, ...]
class GaussianDetector extends CountedDetector {
  readonly method = 'gaussian';
  protected readonly perFeature = 2;

  update(state: StreamState, x: Float64Array): number {
    const s = state.f64;
    const n = s[0];
    const alpha = weight(n, this.params.memory);
    let largest = 0;
    for (let f = 0, i = 1; f < x.length; f++, i += 2) {
      const mean = s[i];
      const variance = s[i + 1];
      const delta = x[f] - mean;
      if (n >= 2) {
        const z = Math.abs(delta) / spread(variance, mean);
        if (z > largest) largest = z;
      }
      s[i] = mean + alpha * delta;
      s[i + 1] = (1 - alpha) * (variance + alpha * delta * delta);
    }
    s[0] = n + 1;
    return zSurprise(largest);
  }
}

// forecast: [count, (level, trend, error variance) per feature]
const DAMPING = 0.9;
class ForecastDetector extends CountedDetector {
  readonly method = 'forecast';
  protected readonly perFeature = 3;

  update(state: StreamState, x: Float64Array): number {
    const s = state.f64;
    const n = s[0];
    const level = this.params.smoothing;
    const trend = level / 4;
    const alpha = weight(n - 1, this.params.memory);
    let largest = 0;
    for (let f = 0, i = 1; f < x.length; f++, i += 3) {
      if (n === 0) {
        s[i] = x[f];
        continue;
      }
      const forecast = s[i] + DAMPING * s[i + 1];
      const error = x[f] - forecast;
      if (n >= 3) {
        const z = Math.abs(error) / spread(s[i + 2], s[i]);
        if (z > largest) largest = z;
      }
      s[i + 2] = (1 - alpha) * (s[i + 2] + alpha * error * error);
      const next = forecast + level * error;
      s[i + 1] = trend * (next - s[i]) + (1 - trend) * DAMPING * s[i + 1];
      s[i] = next;
    }
    s[0] = n + 1;
    return zSurprise(largest);
  }
}

// knn-cad, f64: [count, calibration count, calibration position, (mean, var) per feature, calibration ring]
//          f32: the last reference + embed embeddings, each embed × features normalised values, as a ring.
const K_HEAD = 3;
class KnnCadDetector implements Detector {
  readonly method = 'knn-cad';
  private readonly nearest: Float64Array;
  constructor(readonly params: DetectorParams) {
    this.nearest = new Float64Array(params.neighbours);
  }

  private slots(): number {
    return this.params.reference + this.params.embed;
  }

  create(features: number): StreamState {
    return {
      f64: new Float64Array(K_HEAD + 2 * features + this.params.reference),
      f32: new Float32Array(this.slots() * this.params.embed * features),
    };
  }

  bytes(features: number): number {
    return 8 * (K_HEAD + 2 * features + this.params.reference) + 4 * this.slots() * this.params.embed * features;
  }

  update(state: StreamState, x: Float64Array): number {
    const { embed, reference, neighbours, memory } = this.params;
    const s = state.f64;
    const ring = state.f32!;
    const features = x.length;
    const dim = embed * features;
    const slots = this.slots();
    const n = s[0];
    const slot = n % slots;
    const at = slot * dim;

    // The new embedding: the previous one shifted by a window, plus this window normalised by the running
    // mean and spread (so no feature's unit outweighs another's), which then learn it.
    const previous = ((n + slots - 1) % slots) * dim;
    if (n > 0) ring.copyWithin(at, previous + features, previous + dim);
    else ring.fill(0, at, at + dim);
    const alpha = weight(n, memory);
    for (let f = 0, i = K_HEAD; f < features; f++, i += 2) {
      const mean = s[i];
      const delta = x[f] - mean;
      ring[at + dim - features + f] = n >= 2 ? delta / spread(s[i + 1], mean) : 0;
      s[i] = mean + alpha * delta;
      s[i + 1] = (1 - alpha) * (s[i + 1] + alpha * delta * delta);
    }
    s[0] = n + 1;

    // Neighbours: the embeddings that share no window with this one (older than `embed` windows).
    const available = Math.min(n - embed + 1, reference);
    if (available < neighbours || n < 2 * embed) return 0;
    const nearest = this.nearest;
    nearest.fill(Infinity);
    const worst = neighbours - 1;
    for (let back = embed; back < embed + available; back++) {
      const other = ((n - back + slots) % slots) * dim;
      let distance = 0;
      for (let d = 0; d < dim; d++) {
        const diff = ring[at + d] - ring[other + d];
        distance += diff * diff;
      }
      if (distance < nearest[worst]) {
        let j = worst;
        while (j > 0 && nearest[j - 1] > distance) {
          nearest[j] = nearest[j - 1];
          j--;
        }
        nearest[j] = distance;
      }
    }
    let nonconformity = 0;
    for (let j = 0; j < neighbours; j++) nonconformity += Math.sqrt(nearest[j]);

    // Conformal p-value among the recent non-conformities (ties count half), then this one joins them.
    const calibration = K_HEAD + 2 * features;
    const count = s[1];
    let above = 0;
    let largest = 0;
    for (let j = 0; j < count; j++) {
      const other = s[calibration + j];
      if (other > nonconformity) above += 1;
      else if (other === nonconformity) above += 0.5;
      if (other > largest) largest = other;
    }
    s[calibration + s[2]] = nonconformity;
    s[2] = (s[2] + 1) % reference;
    if (count < reference) s[1] = count + 1;
    if (count < neighbours) return 0;
    const u = -Math.log((above + 1) / (count + 1));
    // Beyond every calibration value the p-value cannot fall further; how far beyond still tells a wobble from a jump.
    return above === 0 && largest > 0 ? u + Math.log(nonconformity / largest) : u;
  }
}

export function createDetector(method: DetectorMethod, params: DetectorParams): Detector {
  switch (method) {
    case 'gaussian':
      return new GaussianDetector(params);
    case 'forecast':
      return new ForecastDetector(params);
    case 'knn-cad':
      return new KnnCadDetector(params);
  }
}

/** The score users see for a surprise: 1 − e^(−u), in [0, 1). */
export function surpriseScore(u: number): number {
  return -Math.expm1(-u);
}
