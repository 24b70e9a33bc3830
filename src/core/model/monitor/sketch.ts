/**
 * The training distribution of each feature, kept in the model file as a compact quantile sketch so live data
 * can be compared with it (drift.ts).
 *
 * ```
 * "sketch": { "kind": "iot-ai/quantile-sketch@1", "rows": 1200, "bins": 10,
 *   "features": [ { "name": "temp.mean", "min": 17.9, "max": 26.4,
 *                   "edges": [19.1, 19.8, ...], "proportions": [0.1, 0.1, ...] }, ... ] }
 * ```
 * - `features` follows `featureNames`, one entry per feature, named by `name`.
 * - `edges` are ascending cut points taken at the quantiles k/bins of the training values (real training
 *   values; a value shared by many rows never straddles a cut, so a feature with few distinct values has fewer
 *   cuts). They make `edges.length + 1` bins: bin 0 is x <= edges[0], bin i is edges[i−1] < x <= edges[i], the
 *   last bin is x > the last edge (as trees split: `<=` goes left).
 * - `proportions[i]` is the share of training rows in bin i (they sum to 1, up to rounding to 6 decimals).
 * - `min`, `max`: the training range.
 * - `missing` (optional, absent when 0): the share of training rows that lacked the feature (NaN). Edges,
 *   proportions and range then describe the rows that had it; drift.ts compares a live missing share with it.
 */
import { quantileEdges } from '../forest/binning';

export const SKETCH_KIND = 'iot-ai/quantile-sketch@1';
/** Deciles, the usual choice for the population stability index. */
export const DEFAULT_SKETCH_BINS = 10;

export interface FeatureDistribution {
  name: string;
  min: number;
  max: number;
  edges: number[];
  proportions: number[];
  /** Share of training rows missing this feature; absent when none was. */
  missing?: number;
}

export interface FeatureSketch {
  kind: typeof SKETCH_KIND;
  /** Training rows the sketch was computed from. */
  rows: number;
  /** Bins asked for (a feature may have fewer). */
  bins: number;
  features: FeatureDistribution[];
}

/** The bin of `x` for ascending cut points `edges`: the number of edges below x (binary search). */
export function sketchBin(edges: ArrayLike<number>, x: number): number {
  let low = 0;
  let high = edges.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (edges[mid] < x) low = mid + 1;
    else high = mid;
  }
  return low;
}

const roundShare = (value: number): number => Math.round(value * 1e6) / 1e6;

/** The sketch of `rows` (each in featureNames order, finite numbers or NaN for a missing value). */
export function buildFeatureSketch(
  featureNames: readonly string[],
  rows: ReadonlyArray<ArrayLike<number>>,
  bins: number = DEFAULT_SKETCH_BINS,
): FeatureSketch {
  if (!(Number.isInteger(bins) && bins >= 2 && bins <= 256)) throw new RangeError(`sketch bins must be an integer in [2, 256], got ${bins}`);
  const n = rows.length;
  if (n === 0) throw new RangeError('a sketch needs at least one row');
  const features: FeatureDistribution[] = featureNames.map((name, f) => {
    const all = Float64Array.from(rows, (row) => row[f]);
    const values = all.filter((x) => !Number.isNaN(x));
    const missing = n - values.length;
    if (values.length === 0) return { name, min: 0, max: 0, edges: [], proportions: [1], missing: 1 };
    // quantileEdges gives each bin's upper edge, the last being the maximum: the cut points are the others.
    const upper = quantileEdges(values, bins);
    const edges = Array.from(upper.subarray(0, upper.length - 1));
    const counts = new Float64Array(edges.length + 1);
    let min = Infinity;
    let max = -Infinity;
    for (let r = 0; r < values.length; r++) {
      const x = values[r];
      counts[sketchBin(edges, x)]++;
      if (x < min) min = x;
      if (x > max) max = x;
    }
    const proportions = Array.from(counts, (count) => roundShare(count / values.length));
    return missing === 0 ? { name, min, max, edges, proportions } : { name, min, max, edges, proportions, missing: roundShare(missing / n) };
  });
  return { kind: SKETCH_KIND, rows: n, bins, features };
}

/** What the schema cannot check: names in featureNames order, ascending edges, proportions that fit. */
export function checkFeatureSketch(sketch: FeatureSketch, featureNames: readonly string[]): string | null {
  if (sketch.features.length !== featureNames.length) {
    return `sketch has ${sketch.features.length} features but featureNames has ${featureNames.length}`;
  }
  for (let f = 0; f < featureNames.length; f++) {
    const entry = sketch.features[f];
    const where = `sketch.features[${f}]`;
    if (entry.name !== featureNames[f]) {
      return `${where} is ${JSON.stringify(entry.name)} but featureNames[${f}] is ${JSON.stringify(featureNames[f])}`;
    }
    for (let i = 1; i < entry.edges.length; i++) {
      if (!(entry.edges[i] > entry.edges[i - 1])) return `${where}.edges must be strictly ascending`;
    }
    if (entry.proportions.length !== entry.edges.length + 1) {
      return `${where} has ${entry.edges.length} edges, so needs ${entry.edges.length + 1} proportions, not ${entry.proportions.length}`;
    }
    const total = entry.proportions.reduce((sum, p) => sum + p, 0);
    if (Math.abs(total - 1) > 1e-3) return `${where}.proportions sum to ${total}, not 1`;
    if (!(entry.min <= entry.max)) return `${where}: min is above max`;
  }
  return null;
}
