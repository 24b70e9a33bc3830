/**
 * Split-conformal calibration of a regression forecast's interval (docs/forecasting.md#a-calibrated-interval).
 *
 * The trees' own [p10, p90] says how much they disagree, not how often the truth falls inside (on real data it
 * covered 0.67–0.69 instead of 0.80). Conformalized quantile regression (Romano, Patterson and Candès, "Conformalized
 * Quantile Regression", NeurIPS 2019), a form of split-conformal prediction (Lei, G'Sell, Rinaldo, Tibshirani and
 * Wasserman, "Distribution-Free Predictive Inference for Regression", JASA 113, 2018), widens (or narrows) that
 * interval by one margin learnt on rows the forest did not train on:
 *
 *   score_i = max(low_i − y_i, y_i − high_i)           (> 0: outside by that much; ≤ 0: inside)
 *   margin  = the ⌈(n + 1)(1 − α)⌉-th smallest score   (n calibration rows, 1 − α the nominal coverage)
 *   interval = [low − margin, high + margin]
 *
 * When the calibration rows and a new row are exchangeable, the new row's truth lies inside with probability at least
 * 1 − α (and below 1 − α + 1/(n + 1) when scores do not tie). Forecast rows are a time series, not exchangeable:
 * the guarantee becomes an estimate, which is why the coverage is measured on newer rows than the calibration's.
 */

/** The CQR conformity score of each row: how far its truth lies outside [low, high] (negative: inside by that much). */
export function conformityScores(truth: ArrayLike<number>, low: ArrayLike<number>, high: ArrayLike<number>): Float64Array {
  if (truth.length !== low.length || truth.length !== high.length) throw new RangeError(`${truth.length} true values but ${low.length} lows and ${high.length} highs`);
  return Float64Array.from({ length: truth.length }, (_, i) => Math.max(low[i] - truth[i], truth[i] - high[i]));
}

/**
 * The margin that makes `coverage` (1 − α, in (0, 1)) of new exchangeable rows fall inside: the
 * ⌈(n + 1) · coverage⌉-th smallest score. Null when there are too few finite scores for it (that rank above n: the
 * honest interval would be unbounded), e.g. under 4 rows for 0.8.
 */
export function conformalMargin(scores: ArrayLike<number>, coverage: number): number | null {
  if (!(coverage > 0 && coverage < 1)) throw new RangeError(`coverage must be in (0, 1) (got ${coverage})`);
  const finite = Array.from(scores).filter((s) => Number.isFinite(s)).sort((a, b) => a - b);
  const n = finite.length;
  // The rank, guarded against (n + 1) · coverage landing a hair above an integer in floating point.
  const rank = Math.ceil((n + 1) * coverage - 1e-9);
  return rank < 1 || rank > n ? null : finite[rank - 1];
}

/** [low − margin, high + margin]; an interval a negative margin would turn inside out shrinks to its midpoint. */
export function widen(low: number, high: number, margin: number): [number, number] {
  const from = low - margin;
  const to = high + margin;
  if (from <= to) return [from, to];
  const middle = (low + high) / 2;
  return [middle, middle];
}
