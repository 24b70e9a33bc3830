/**
 * Quantile binning of feature columns, as LightGBM and scikit-learn's HistGradientBoosting do: each feature is
 * cut into at most `maxBins` bins holding about the same number of rows, and split search then works on small
 * integers instead of sorted floats.
 */

/**
 * The most bins a feature may have, its missing-value bin included: bin numbers must fit a Uint16Array (a Uint8Array,
 * half the memory and faster to scan, while every feature has at most 256).
 */
export const MAX_BINS = 65536;
/** The most bins a Uint8Array holds. */
const BYTE_BINS = 256;

export interface BinnedMatrix {
  nRows: number;
  nFeatures: number;
  /**
   * Column-major bin numbers: the bin of row `r` for feature `f` is `bins[f * nRows + r]`. 8-bit while every feature
   * has at most 256 bins (the default 255 value bins and a missing bin), 16-bit beyond.
   */
  bins: Uint8Array | Uint16Array;
  /**
   * Per feature, the ascending upper edge of each bin. Every edge is a real training value (the largest value
   * in its bin), so "bin <= b" and "x <= edges[b]" select the same training rows.
   */
  edges: Float64Array[];
  /**
   * Per feature, the bin of a missing value (NaN): `edges[f].length`, one past the value bins, when the column
   * has missing values; -1 when it has none.
   */
  missingBin: Int32Array;
}

/**
 * Upper bin edges of one feature: every distinct value when there are at most `maxBins`; otherwise exactly
 * `maxBins` bins over the distinct values, each holding about the same number of rows. Greedy over the distinct
 * values in order (as LightGBM's bin finder): a bin closes once it holds its share of the rows not yet binned
 * (those rows / the bins left), or just before a value that alone holds a share (so a value shared by many rows
 * gets a bin of its own), or when the distinct values left are only as many as the bins left. So no bin is empty,
 * none is wasted on a heavy value's neighbours, and a value shared by many rows is never split across bins.
 */
export function quantileEdges(values: ArrayLike<number>, maxBins: number): Float64Array {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  // The distinct values and how many rows hold each.
  const distinct: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) {
      distinct.push(sorted[i]);
      counts.push(1);
    } else counts[counts.length - 1]++;
  }
  const d = distinct.length;
  if (d <= maxBins) return Float64Array.from(distinct);
  const edges = new Float64Array(maxBins);
  let count = 0;
  let rowsLeft = n;
  let inBin = 0;
  for (let i = 0; i < d; i++) {
    inBin += counts[i];
    const binsLeft = maxBins - count;
    if (binsLeft === 1) break;
    const share = rowsLeft / binsLeft;
    const valuesLeft = d - i - 1;
    if (inBin >= share || valuesLeft <= binsLeft - 1 || counts[i + 1] >= share) {
      edges[count++] = distinct[i];
      rowsLeft -= inBin;
      inBin = 0;
    }
  }
  edges[count++] = distinct[d - 1];
  return edges.subarray(0, count).slice();
}

/** The bin of `x`: the first edge that is >= x (binary search; values above the last edge go to the last bin). */
export function binOf(edges: Float64Array, x: number): number {
  let lo = 0;
  let hi = edges.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid] >= x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Bins the columns (one Float64Array per feature, all of the same length) into at most `maxBins` value bins each
 * (2..65,535). NaN marks a missing value: it gets a bin of its own after the value bins.
 */
export function binColumns(columns: ReadonlyArray<Float64Array>, maxBins: number): BinnedMatrix {
  if (!(Number.isInteger(maxBins) && maxBins >= 2 && maxBins <= MAX_BINS - 1)) {
    throw new RangeError(`maxBins must be an integer in [2, ${MAX_BINS - 1}], got ${maxBins}`);
  }
  const nFeatures = columns.length;
  const nRows = nFeatures === 0 ? 0 : columns[0].length;
  const edges: Float64Array[] = [];
  const missingBin = new Int32Array(nFeatures).fill(-1);
  const presentCounts = new Int32Array(nFeatures);
  for (let f = 0; f < nFeatures; f++) {
    const column = columns[f];
    let present = 0;
    for (let r = 0; r < nRows; r++) if (!Number.isNaN(column[r])) present++;
    presentCounts[f] = present;
    const values = present === nRows ? column : column.filter((x) => !Number.isNaN(x));
    // A column with no value at all still needs one value bin, so its missing bin is 1. With 256 bins or fewer in
    // all (the default 255), a column with gaps keeps 255 value bins so that its missing bin fits in a byte.
    const limit = present === nRows ? maxBins : Math.min(maxBins, maxBins <= BYTE_BINS ? BYTE_BINS - 1 : MAX_BINS - 1);
    edges.push(values.length > 0 ? quantileEdges(values, limit) : new Float64Array([0]));
  }
  const widest = edges.reduce((most, featureEdges, f) => Math.max(most, featureEdges.length + (presentCounts[f] < nRows ? 1 : 0)), 0);
  const bins = widest <= BYTE_BINS ? new Uint8Array(nFeatures * nRows) : new Uint16Array(nFeatures * nRows);
  for (let f = 0; f < nFeatures; f++) {
    const column = columns[f];
    const present = presentCounts[f];
    const featureEdges = edges[f];
    const offset = f * nRows;
    if (present === nRows) {
      for (let r = 0; r < nRows; r++) bins[offset + r] = binOf(featureEdges, column[r]);
    } else {
      const missing = featureEdges.length;
      missingBin[f] = missing;
      for (let r = 0; r < nRows; r++) bins[offset + r] = Number.isNaN(column[r]) ? missing : binOf(featureEdges, column[r]);
    }
  }
  return { nRows, nFeatures, bins, edges, missingBin };
}
