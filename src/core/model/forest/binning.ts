/**
 * Quantile binning of feature columns, as LightGBM and scikit-learn's HistGradientBoosting do: each feature is
 * cut into at most `maxBins` bins holding about the same number of rows, and split search then works on small
 * integers instead of sorted floats.
 */

/** The most bins a feature may have: bin numbers must fit a Uint8Array. */
export const MAX_BINS = 256;

export interface BinnedMatrix {
  nRows: number;
  nFeatures: number;
  /** Column-major bin numbers: the bin of row `r` for feature `f` is `bins[f * nRows + r]`. */
  bins: Uint8Array;
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
 * Upper bin edges of one feature: every distinct value when there are at most `maxBins`, otherwise cut points
 * at the quantiles `k / maxBins` of the sorted values. A value shared by many rows is never split across bins.
 */
export function quantileEdges(values: ArrayLike<number>, maxBins: number): Float64Array {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  let distinct = 0;
  for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct++;
  const edges = new Float64Array(Math.min(distinct, maxBins));
  if (distinct <= maxBins) {
    let k = 0;
    for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) edges[k++] = sorted[i];
    return edges;
  }
  let count = 0;
  let nextCut = 1;
  for (let i = 0; i < n; i++) {
    // Close a bin at the end of a run of equal values once the run reaches the next quantile.
    if (i + 1 < n && sorted[i + 1] === sorted[i]) continue;
    if (i + 1 === n) break;
    if (i + 1 >= (nextCut * n) / maxBins) {
      edges[count++] = sorted[i];
      while (nextCut * n <= (i + 1) * maxBins) nextCut++;
      if (count === maxBins - 1) break;
    }
  }
  edges[count++] = sorted[n - 1];
  return edges.slice(0, count);
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
 * Bins the columns (one Float64Array per feature, all of the same length). NaN marks a missing value: it gets
 * a bin of its own after the value bins (so a column with gaps has at most MAX_BINS - 1 value bins).
 */
export function binColumns(columns: ReadonlyArray<Float64Array>, maxBins: number): BinnedMatrix {
  if (!(Number.isInteger(maxBins) && maxBins >= 2 && maxBins <= MAX_BINS)) {
    throw new RangeError(`maxBins must be an integer in [2, ${MAX_BINS}], got ${maxBins}`);
  }
  const nFeatures = columns.length;
  const nRows = nFeatures === 0 ? 0 : columns[0].length;
  const bins = new Uint8Array(nFeatures * nRows);
  const edges: Float64Array[] = [];
  const missingBin = new Int32Array(nFeatures).fill(-1);
  for (let f = 0; f < nFeatures; f++) {
    const column = columns[f];
    let present = 0;
    for (let r = 0; r < nRows; r++) if (!Number.isNaN(column[r])) present++;
    const values = present === nRows ? column : column.filter((x) => !Number.isNaN(x));
    // A column with no value at all still needs one value bin, so its missing bin is 1.
    const featureEdges = values.length > 0 ? quantileEdges(values, Math.min(maxBins, present === nRows ? MAX_BINS : MAX_BINS - 1)) : new Float64Array([0]);
    edges.push(featureEdges);
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
