/** Synthetic, seeded data sets for the model tests. */
import { Random } from '../../src/core/util/rng';

export interface SyntheticData {
  rows: Float64Array[];
  target: Float64Array;
}

/**
 * Three classes decided by the first three of `nFeatures` features (the rest are noise), with a share
 * `labelNoise` of labels replaced at random.
 */
export function threeClassData(n: number, seed: number, options: { nFeatures?: number; labelNoise?: number } = {}): SyntheticData {
  const nFeatures = options.nFeatures ?? 5;
  const labelNoise = options.labelNoise ?? 0.1;
  const rng = new Random(seed, 101);
  const rows: Float64Array[] = [];
  const target = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = new Float64Array(nFeatures);
    for (let f = 0; f < nFeatures; f++) row[f] = Math.round(rng.next() * 1000) / 100;
    let label = row[0] + row[1] > 10 ? (row[2] > 5 ? 2 : 1) : 0;
    if (rng.next() < labelNoise) label = rng.int(3);
    rows.push(row);
    target[i] = label;
  }
  return { rows, target };
}

/** A smooth function of the first three features plus `noise` × uniform noise. */
export function regressionData(n: number, seed: number, options: { nFeatures?: number; noise?: number } = {}): SyntheticData {
  const nFeatures = options.nFeatures ?? 5;
  const noise = options.noise ?? 0.5;
  const rng = new Random(seed, 202);
  const rows: Float64Array[] = [];
  const target = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = new Float64Array(nFeatures);
    for (let f = 0; f < nFeatures; f++) row[f] = rng.next() * 10;
    rows.push(row);
    target[i] = Math.sin(row[0]) * 3 + (row[1] * row[2]) / 10 + noise * rng.next();
  }
  return { rows, target };
}

/** Picks the rows at `indices`. */
export function subset(data: SyntheticData, indices: ArrayLike<number>): SyntheticData {
  return {
    rows: Array.from(indices, (i) => data.rows[i]),
    target: Float64Array.from(indices, (i) => data.target[i]),
  };
}
