/**
 * Anomaly scoring shared by training and prediction: the robust per-feature baseline (median / MAD z-scores),
 * thresholds from a contamination rate, the confidence of a verdict, and reading ground truth for evaluation.
 *
 * Every method scores a feature vector in [0, 1] (higher is stranger); a score above the model's `threshold` is
 * an anomaly.
 */

export type AnomalyMethod = 'isolation-forest' | 'robust-z';
export const ANOMALY_METHODS: readonly AnomalyMethod[] = ['isolation-forest', 'robust-z'];
export const ANOMALY_LABEL = 'anomaly';
export const NORMAL_LABEL = 'normal';
/** Default share of training rows taken to be anomalous when the threshold is set from the data. */
export const DEFAULT_CONTAMINATION = 0.01;
/** Iglewicz and Hoaglin's cut-off for the modified z-score: the robust-z score is 0.5 there. */
export const ROBUST_Z_HALF = 3.5;
/** 1/Φ⁻¹(3/4): makes the MAD estimate the standard deviation of normal data. */
const MAD_TO_SIGMA = 1.4826;
/** 2·Φ⁻¹(3/4): makes the interquartile range estimate the standard deviation of normal data. */
const IQR_TO_SIGMA = 1.349;
/** √(π/2): makes the mean absolute deviation estimate the standard deviation when the MAD is 0. */
const MEAN_AD_TO_SIGMA = 1.2533;
/**
 * A feature constant in training has no spread to measure: it gets this share of its magnitude (of 1 when it sat
 * at 0), so a change scores by its size (a step of 0.1 % of the value scores 0.075, of 1 % scores 0.89) instead of
 * an exact 1.0 tied with every other change (issue #25.5).
 */
export const SPREAD_FLOOR_RELATIVE = 1e-3;

/** The spread that stands in for a feature constant at `center` in training. */
export function spreadFloor(center: number): number {
  return SPREAD_FLOOR_RELATIVE * Math.max(Math.abs(center), 1);
}

/**
 * Per feature (featureNames order): the median, and a robust spread: the larger of 1.4826·MAD and IQR/1.349
 * (both estimate the standard deviation of normal data; the MAD collapses on a feature with two modes, such as
 * CO2 with and without people, the IQR spans them), or 1.2533·mean |x − median| when both are 0.
 */
export interface RobustBaseline {
  center: number[];
  scale: number[];
}

/** The model file's `anomaly` block. */
export interface AnomalySettings {
  method: AnomalyMethod;
  /** A score above this is an anomaly. */
  threshold: number;
  /** When the threshold was set from the data: the share of training rows scoring above it that was asked for. */
  contamination?: number;
  /** robust-z only. */
  baseline?: RobustBaseline;
}

function median(sorted: Float64Array): number {
  const n = sorted.length;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The robust baseline of `rows` (at least one row; each in featureNames order). */
export function fitRobustBaseline(rows: ReadonlyArray<ArrayLike<number>>): RobustBaseline {
  if (rows.length === 0) throw new RangeError('a robust baseline needs at least one row');
  const nFeatures = rows[0].length;
  const center: number[] = [];
  const scale: number[] = [];
  for (let f = 0; f < nFeatures; f++) {
    const values = Float64Array.from(rows, (row) => row[f]).sort();
    const middle = median(values);
    const deviations = values.map((x) => Math.abs(x - middle)).sort();
    const interquartile = quantile(values, 0.75) - quantile(values, 0.25);
    let spread = Math.max(MAD_TO_SIGMA * median(deviations), interquartile / IQR_TO_SIGMA);
    // Most rows on one value (a mostly constant feature): fall back to the mean deviation.
    if (spread === 0) spread = (MEAN_AD_TO_SIGMA * deviations.reduce((sum, d) => sum + d, 0)) / deviations.length;
    // Every row on one value: a floor from its magnitude (spreadFloor), never 0.
    if (!(spread > 0)) spread = spreadFloor(middle);
    center.push(middle);
    scale.push(spread);
  }
  return { center, scale };
}

/**
 * The largest |x − median| / scale over the features. A scale of 0 (a constant feature in a model file written
 * before the floor) is read as spreadFloor(median), as a new fit would store it.
 */
export function robustZ(row: ArrayLike<number>, baseline: RobustBaseline): number {
  let largest = 0;
  for (let f = 0; f < baseline.center.length; f++) {
    const distance = Math.abs(row[f] - baseline.center[f]);
    const scale = baseline.scale[f];
    const z = distance / (scale > 0 ? scale : spreadFloor(baseline.center[f]));
    if (z > largest) largest = z;
  }
  return largest;
}

/** z ↦ z² / (z² + 3.5²): 0 at the median, 0.5 at |z| = 3.5, 0.8 at |z| = 7, 1 at infinity. */
export function squashZ(z: number): number {
  const squared = z * z;
  // z past 1.3e154 squares to Infinity, and Infinity / Infinity would be NaN (issue #14.16).
  if (squared === Infinity) return 1;
  return squared / (squared + ROBUST_Z_HALF * ROBUST_Z_HALF);
}

/** The robust-z anomaly score of a row. */
export function robustScore(row: ArrayLike<number>, baseline: RobustBaseline): number {
  return squashZ(robustZ(row, baseline));
}

/**
 * The threshold that leaves a share `contamination` of `scores` above it: their (1 − contamination) quantile,
 * interpolated linearly (numpy's default).
 */
export function thresholdFromContamination(scores: ArrayLike<number>, contamination: number): number {
  if (!(contamination >= 0 && contamination < 0.5)) throw new RangeError(`contamination must be in [0, 0.5), got ${contamination}`);
  if (scores.length === 0) throw new RangeError('no scores to set a threshold from');
  return quantile(Float64Array.from(scores).sort(), 1 - contamination);
}

/**
 * Share of the training rows, the newest in time order, that a trainer holds back to set the threshold on
 * (calibrationThreshold): scored by a model that did not learn from them, as later rows will be.
 */
export const CALIBRATION_FRACTION = 0.3;
/** Fewer held-back rows than this say too little: the threshold then comes from the training rows' own scores. */
export const CALIBRATION_MIN_ROWS = 20;

/**
 * The split-conformal threshold for a false-alarm rate `contamination`: the ⌈(m + 1)(1 − c)⌉-th smallest of `m`
 * scores of rows the model did not learn from, so a later row exchangeable with them scores above it with
 * probability at most c (Vovk, Gammerman and Shafer, 2005; Lei et al., 2018). With too few rows for that rank
 * ((m + 1)·c < 1) it is the largest score. Never below the plain (1 − c) quantile of the same scores.
 */
export function conformalThreshold(scores: ArrayLike<number>, contamination: number): number {
  if (!(contamination >= 0 && contamination < 0.5)) throw new RangeError(`contamination must be in [0, 0.5), got ${contamination}`);
  if (scores.length === 0) throw new RangeError('no scores to set a threshold from');
  const sorted = Float64Array.from(scores).sort();
  const m = sorted.length;
  // The small epsilon keeps (m + 1)(1 − c) that is a whole number in exact arithmetic from rounding up past it.
  const rank = Math.min(m, Math.ceil((m + 1) * (1 - contamination) - 1e-9));
  return sorted[Math.max(1, rank) - 1];
}

/**
 * The share of the kept rows to leave above the threshold when a share `leftOut` of the windows they came from was
 * already left out as flagged (model-train's rolling baseline): (c − leftOut) / (1 − leftOut), 0 once leftOut ≥ c.
 * Asking c of rows whose top was cut off would set the threshold lower each training (a flag rate creeping to
 * 1.3–1.9 × c, measured for issue #25).
 */
export function contaminationOfKept(contamination: number, leftOut: number): number {
  if (!(leftOut > 0)) return contamination;
  return leftOut >= contamination ? 0 : (contamination - leftOut) / (1 - leftOut);
}

/** The q-quantile of ascending `sorted`, interpolated linearly. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

export function isAnomalous(score: number, threshold: number): boolean {
  return score > threshold;
}

/**
 * How sure the verdict is, from how far the score sits from the threshold towards the end of its side:
 * 0.5 at the threshold, 1 at score 1 (an anomaly) or score 0 (normal), linear in between.
 */
export function anomalyConfidence(score: number, threshold: number): number {
  const confidence = isAnomalous(score, threshold)
    ? 0.5 + (0.5 * (score - threshold)) / (1 - threshold)
    : threshold <= 0
      ? 1
      : 0.5 + (0.5 * (threshold - score)) / threshold;
  return Math.min(1, Math.max(0.5, confidence));
}

const NORMAL_WORDS = new Set(['0', 'false', 'no', 'normal', 'ok', 'none', '']);

/**
 * Ground truth for evaluating an anomaly model: 0 (normal) for 0, false, "", "0", "false", "no", "normal",
 * "ok", "none" (any case); 1 (anomaly) for any other number, true, or text.
 */
export function anomalyTruth(value: unknown): 0 | 1 {
  if (typeof value === 'number') return value === 0 ? 0 : 1;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value === undefined || value === null) return 0;
  return NORMAL_WORDS.has(String(value).trim().toLowerCase()) ? 0 : 1;
}

/** What the schema cannot check. Returns the first problem or null. */
export function checkAnomalySettings(settings: AnomalySettings, nFeatures: number): string | null {
  if (!(settings.threshold >= 0 && settings.threshold <= 1)) return `anomaly.threshold must be in [0, 1], got ${settings.threshold}`;
  if (settings.method === 'robust-z') {
    const baseline = settings.baseline;
    if (baseline === undefined) return 'a robust-z anomaly model needs anomaly.baseline';
    if (baseline.center.length !== nFeatures || baseline.scale.length !== nFeatures) {
      return `anomaly.baseline needs ${nFeatures} centres and scales (one per feature), found ${baseline.center.length} and ${baseline.scale.length}`;
    }
    if (baseline.scale.some((s) => !(s >= 0))) return 'anomaly.baseline.scale values must be >= 0';
    return null;
  }
  if (settings.baseline !== undefined) return 'anomaly.baseline belongs to a robust-z model';
  return null;
}
