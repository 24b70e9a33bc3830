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

/** Bins the columns (one Float64Array per feature, all of the same length). */
export function binColumns(columns: ReadonlyArray<Float64Array>, maxBins: number): BinnedMatrix {
  if (!(Number.isInteger(maxBins) && maxBins >= 2 && maxBins <= MAX_BINS)) {
    throw new RangeError(`maxBins must be an integer in [2, ${MAX_BINS}], got ${maxBins}`);
  }
  const nFeatures = columns.length;
  const nRows = nFeatures === 0 ? 0 : columns[0].length;
  const bins = new Uint8Array(nFeatures * nRows);
  const edges: Float64Array[] = [];
  for (let f = 0; f < nFeatures; f++) {
    const column = columns[f];
    const featureEdges = quantileEdges(column, maxBins);
    edges.push(featureEdges);
    const offset = f * nRows;
    for (let r = 0; r < nRows; r++) bins[offset + r] = binOf(featureEdges, column[r]);
  }
  return { nRows, nFeatures, bins, edges };
}
