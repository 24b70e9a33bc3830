/**
 * Model quality: classification and regression metrics, and seeded data splits (hold-out and k-fold).
 * Classes are indices 0 .. nClasses-1 throughout; labels only name them in the results.
 */
import { Random } from '../../util/rng';

export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Rows whose true class is this one. */
  support: number;
}

export interface ClassificationMetrics {
  task: 'classification';
  rows: number;
  accuracy: number;
  macroF1: number;
  perClass: ClassMetrics[];
  /** confusion[actual][predicted], counts. */
  confusion: number[][];
}

export interface RegressionMetrics {
  task: 'regression';
  rows: number;
  mae: number;
  rmse: number;
  r2: number;
}

export function accuracy(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  checkLengths(truth, predicted);
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === predicted[i]) correct++;
  return truth.length === 0 ? 0 : correct / truth.length;
}

/** confusion[actual][predicted]. */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, nClasses: number): number[][] {
  checkLengths(truth, predicted);
  const matrix = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
  for (let i = 0; i < truth.length; i++) matrix[truth[i]][predicted[i]]++;
  return matrix;
}

/** Accuracy, per-class precision/recall/F1 (0 where undefined, as scikit-learn's zero_division=0) and macro F1. */
export function classificationMetrics(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  labels: ReadonlyArray<string | number>,
): ClassificationMetrics {
  const nClasses = labels.length;
  const confusion = confusionMatrix(truth, predicted, nClasses);
  const perClass: ClassMetrics[] = [];
  for (let c = 0; c < nClasses; c++) {
    const truePositives = confusion[c][c];
    let predictedAsC = 0;
    let actuallyC = 0;
    for (let k = 0; k < nClasses; k++) {
      predictedAsC += confusion[k][c];
      actuallyC += confusion[c][k];
    }
    const precision = predictedAsC === 0 ? 0 : truePositives / predictedAsC;
    const recall = actuallyC === 0 ? 0 : truePositives / actuallyC;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    perClass.push({ label: String(labels[c]), precision, recall, f1, support: actuallyC });
  }
  const present = perClass.filter((m) => m.support > 0);
  const macroF1 = present.length === 0 ? 0 : present.reduce((sum, m) => sum + m.f1, 0) / present.length;
  return { task: 'classification', rows: truth.length, accuracy: accuracy(truth, predicted), macroF1, perClass, confusion };
}

export function meanAbsoluteError(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  checkLengths(truth, predicted);
  let sum = 0;
  for (let i = 0; i < truth.length; i++) sum += Math.abs(truth[i] - predicted[i]);
  return truth.length === 0 ? 0 : sum / truth.length;
}

export function rootMeanSquaredError(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  checkLengths(truth, predicted);
  let sum = 0;
  for (let i = 0; i < truth.length; i++) sum += (truth[i] - predicted[i]) ** 2;
  return truth.length === 0 ? 0 : Math.sqrt(sum / truth.length);
}

/** Coefficient of determination; for constant truth, 1 when predictions are perfect, else 0 (as scikit-learn). */
export function rSquared(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  checkLengths(truth, predicted);
  const n = truth.length;
  if (n === 0) return 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += truth[i];
  mean /= n;
  let residual = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    residual += (truth[i] - predicted[i]) ** 2;
    total += (truth[i] - mean) ** 2;
  }
  if (total === 0) return residual === 0 ? 1 : 0;
  return 1 - residual / total;
}

export function regressionMetrics(truth: ArrayLike<number>, predicted: ArrayLike<number>): RegressionMetrics {
  return {
    task: 'regression',
    rows: truth.length,
    mae: meanAbsoluteError(truth, predicted),
    rmse: rootMeanSquaredError(truth, predicted),
    r2: rSquared(truth, predicted),
  };
}

/**
 * A forecast against one reference on the rows where the reference exists (docs/forecasting.md): persistence (the
 * last value or label known at the window's end) or the day before (the horizon's value 24 hours earlier).
 */
export interface ReferenceComparison {
  /** Rows with a reference value; the scores below are over these rows only. */
  rows: number;
  /** Regression: MAE of the reference and of the model on those rows. */
  mae?: number;
  modelMae?: number;
  /** Classification: accuracy of the reference and of the model on those rows. */
  accuracy?: number;
  modelAccuracy?: number;
  /**
   * Skill score: regression 1 − MAE_model / MAE_reference; classification (acc − acc_reference) / (1 − acc_reference).
   * Above 0: the model beats the reference; 1: perfect. Null where the reference is perfect (nothing to beat).
   */
  skill: number | null;
}

/** A forecast's score and its comparison with each reference that exists for at least one row. */
export interface ForecastSkill {
  task: 'classification' | 'regression';
  rows: number;
  /** Over every row. */
  mae?: number;
  accuracy?: number;
  persistence?: ReferenceComparison;
  dayBefore?: ReferenceComparison;
}

/** The references of each row, one array per reference; NaN (regression) or undefined: none for that row. */
export interface ForecastReferences<T> {
  persistence?: ArrayLike<T | undefined>;
  dayBefore?: ArrayLike<T | undefined>;
}

/** MAE of a regression forecast and of persistence and the day before, with the skill score over each. */
export function regressionSkill(truth: ArrayLike<number>, predicted: ArrayLike<number>, references: ForecastReferences<number>): ForecastSkill {
  checkLengths(truth, predicted);
  const out: ForecastSkill = { task: 'regression', rows: truth.length, mae: meanAbsoluteError(truth, predicted) };
  for (const name of ['persistence', 'dayBefore'] as const) {
    const reference = references[name];
    if (reference === undefined) continue;
    checkLengths(truth, reference as ArrayLike<number>);
    let rows = 0;
    let modelError = 0;
    let referenceError = 0;
    for (let i = 0; i < truth.length; i++) {
      const value = reference[i];
      if (value === undefined || !Number.isFinite(value)) continue;
      rows++;
      modelError += Math.abs(truth[i] - predicted[i]);
      referenceError += Math.abs(truth[i] - value);
    }
    if (rows === 0) continue;
    const mae = referenceError / rows;
    const modelMae = modelError / rows;
    out[name] = { rows, mae, modelMae, skill: mae === 0 ? null : 1 - modelMae / mae };
  }
  return out;
}

/** Accuracy of a classification forecast and of persistence and the day before (labels compared as text), with skill. */
export function classificationSkill(
  truth: ArrayLike<string | number>,
  predicted: ArrayLike<string | number>,
  references: ForecastReferences<string | number | boolean>,
): ForecastSkill {
  checkLengths(truth, predicted);
  const same = (a: unknown, b: unknown): boolean => String(a) === String(b);
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (same(truth[i], predicted[i])) correct++;
  const out: ForecastSkill = { task: 'classification', rows: truth.length, accuracy: truth.length === 0 ? 0 : correct / truth.length };
  for (const name of ['persistence', 'dayBefore'] as const) {
    const reference = references[name];
    if (reference === undefined) continue;
    if (reference.length !== truth.length) throw new RangeError(`${truth.length} true values but ${reference.length} ${name} values`);
    let rows = 0;
    let modelRight = 0;
    let referenceRight = 0;
    for (let i = 0; i < truth.length; i++) {
      const value = reference[i];
      if (value === undefined) continue;
      rows++;
      if (same(truth[i], predicted[i])) modelRight++;
      if (same(truth[i], value)) referenceRight++;
    }
    if (rows === 0) continue;
    const accuracyOf = referenceRight / rows;
    const modelAccuracy = modelRight / rows;
    out[name] = { rows, accuracy: accuracyOf, modelAccuracy, skill: accuracyOf === 1 ? null : (modelAccuracy - accuracyOf) / (1 - accuracyOf) };
  }
  return out;
}

/** The share of true values inside [low, high] (bounds included): an interval's coverage; 0 for no rows. */
export function intervalCoverage(truth: ArrayLike<number>, low: ArrayLike<number>, high: ArrayLike<number>): number {
  checkLengths(truth, low);
  checkLengths(truth, high);
  let inside = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] >= low[i] && truth[i] <= high[i]) inside++;
  return truth.length === 0 ? 0 : inside / truth.length;
}

function checkLengths(truth: ArrayLike<unknown>, predicted: ArrayLike<unknown>): void {
  if (truth.length !== predicted.length) {
    throw new RangeError(`${truth.length} true values but ${predicted.length} predictions`);
  }
}

/** How an anomaly detector did against known anomalies (truth 1) and normal rows (truth 0). */
export interface DetectionMetrics {
  rows: number;
  anomalies: number;
  normals: number;
  /** Recall: the share of true anomalies flagged (0 when there are none). */
  detectionRate: number;
  /** The share of normal rows flagged (0 when there are none). */
  falseAlarmRate: number;
  /** The share of flagged rows that are true anomalies (0 when nothing is flagged). */
  precision: number;
  f1: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  trueNegatives: number;
}

/** Detection rate, false-alarm rate and precision of `flagged` (1 = flagged) against `truth` (1 = anomaly). */
export function detectionMetrics(truth: ArrayLike<number>, flagged: ArrayLike<number>): DetectionMetrics {
  checkLengths(truth, flagged);
  let truePositives = 0;
  let falsePositives = 0;
  let falseNegatives = 0;
  let trueNegatives = 0;
  for (let i = 0; i < truth.length; i++) {
    const isFlagged = flagged[i] === 1;
    if (truth[i] === 1) {
      if (isFlagged) truePositives++;
      else falseNegatives++;
    } else if (isFlagged) falsePositives++;
    else trueNegatives++;
  }
  const anomalies = truePositives + falseNegatives;
  const normals = falsePositives + trueNegatives;
  const detectionRate = anomalies === 0 ? 0 : truePositives / anomalies;
  const precision = truePositives + falsePositives === 0 ? 0 : truePositives / (truePositives + falsePositives);
  return {
    rows: truth.length,
    anomalies,
    normals,
    detectionRate,
    falseAlarmRate: normals === 0 ? 0 : falsePositives / normals,
    precision,
    f1: precision + detectionRate === 0 ? 0 : (2 * precision * detectionRate) / (precision + detectionRate),
    truePositives,
    falsePositives,
    falseNegatives,
    trueNegatives,
  };
}

/**
 * Area under the ROC curve of `scores` (higher = more anomalous) for `truth` (1 = anomaly): the chance that a
 * random anomaly outscores a random normal row, ties counting half (the Mann–Whitney U statistic). Null when
 * either class is absent.
 */
export function rocAuc(truth: ArrayLike<number>, scores: ArrayLike<number>): number | null {
  checkLengths(truth, scores);
  const n = truth.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let positiveRankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && scores[order[end]] === scores[order[start]]) end++;
    // Tied scores share the mean of their ranks (1-based).
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) {
      if (truth[order[k]] === 1) {
        positives++;
        positiveRankSum += rank;
      }
    }
    start = end;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return null;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export interface Split {
  /** Row indices, ascending. */
  train: Int32Array;
  test: Int32Array;
}

export interface SplitOptions {
  seed?: number;
  /** Class index per row: splits keep each class's share (stratified). */
  strata?: ArrayLike<number>;
}

/** Groups row indices by stratum (or one group), each group shuffled with `rng`. */
function shuffledGroups(n: number, rng: Random, strata?: ArrayLike<number>): Int32Array[] {
  const byStratum = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const key = strata === undefined ? 0 : strata[i];
    let group = byStratum.get(key);
    if (group === undefined) byStratum.set(key, (group = []));
    group.push(i);
  }
  return [...byStratum.keys()].sort((a, b) => a - b).map((key) => rng.shuffle(Int32Array.from(byStratum.get(key) ?? [])));
}

/**
 * A seeded hold-out split. Stratified, each class puts round(count × testFraction) of its rows in the test set,
 * keeping at least one in training.
 */
export function trainTestSplit(n: number, testFraction: number, options: SplitOptions = {}): Split {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`testFraction must be in (0, 1), got ${testFraction}`);
  if (options.strata !== undefined && options.strata.length !== n) throw new RangeError('strata must have one entry per row');
  const rng = new Random(options.seed ?? 1, 0x5eed);
  const isTest = new Uint8Array(n);
  for (const group of shuffledGroups(n, rng, options.strata)) {
    const testCount = Math.min(group.length - 1, Math.round(group.length * testFraction));
    for (let k = 0; k < testCount; k++) isTest[group[k]] = 1;
  }
  return toSplit(isTest, 1);
}

/**
 * Seeded k-fold cross-validation splits: every row is in exactly one test fold. Stratified, each class's rows
 * are dealt round-robin over the folds.
 */
export function kFoldSplits(n: number, k: number, options: SplitOptions = {}): Split[] {
  if (!(Number.isInteger(k) && k >= 2 && k <= n)) throw new RangeError(`folds must be an integer in [2, ${n}], got ${k}`);
  if (options.strata !== undefined && options.strata.length !== n) throw new RangeError('strata must have one entry per row');
  const rng = new Random(options.seed ?? 1, 0xf01d);
  const foldOf = new Int32Array(n);
  let dealt = 0;
  for (const group of shuffledGroups(n, rng, options.strata)) {
    // Continue dealing where the previous class stopped, so fold sizes differ by at most one.
    for (let i = 0; i < group.length; i++) foldOf[group[i]] = (dealt++ % k) + 1;
  }
  return Array.from({ length: k }, (_, fold) => toSplit(foldOf, fold + 1));
}

function toSplit(marks: ArrayLike<number>, testMark: number): Split {
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < marks.length; i++) (marks[i] === testMark ? test : train).push(i);
  return { train: Int32Array.from(train), test: Int32Array.from(test) };
}
