/**
 * Tuning a person would otherwise guess (issue 21.3): how finely the trees split — the least gain of a split
 * (`minGain`), the least rows in a leaf (`minSamplesLeaf`) and the features tried per split (`maxFeatures`) — chosen
 * by validation, within a time budget. No single default is right: limiting how finely trees split recovered 97.9 %
 * on one occupancy set from 93.9 % and cost 5 points on activity data.
 *
 * The validation rows are carved out of the *training* rows (the held-out test rows are never seen, so the test
 * score stays honest): with time, the newest fifth of each device's training rows, a window size apart
 * (time-split.ts); without, a random fifth. Each candidate grows a smaller forest (at most TUNE_TREES trees) on the
 * rest and is scored on them (accuracy, or R² for regression). The choice follows CART's one-standard-error rule
 * (Breiman, Friedman, Olshen and Stone, "Classification and Regression Trees", 1984, §3.4.3): of the candidates whose
 * validation loss (0/1, or squared error) is within one standard error of the best, the one with the fewest tree
 * nodes — the simplest forest the validation cannot tell from the best, as validation rows close in time are often
 * too easy to tell settings apart. The default comes first, so it wins exact ties and is always tried; the grid then
 * varies one setting at a time before it combines them, so a short budget still sees each setting move. The budget
 * is checked between candidates (a candidate already started finishes).
 */
import type { Examples } from '../data/dataset';
import { CompiledForest } from '../forest/compiled-forest';
import { ForestTrainer, type ForestOptions, type MaxFeatures } from '../forest/trainer';
import { accuracy, rSquared, trainTestSplit } from './metrics';
import { timeHoldout, type TimeLine } from './time-split';

/** Trees of each candidate's forest: enough to rank settings, far fewer than a model needs. */
export const TUNE_TREES = 30;
/** Share of the training rows each candidate is validated on. */
export const TUNE_VALIDATION = 0.2;
/** Default budget of `iot-ai train --tune` (seconds). */
export const DEFAULT_TUNE_BUDGET_S = 60;
/** model-train's budget at each training (seconds): retrains run unattended, often. */
export const TRAIN_TUNE_BUDGET_S = 30;

export interface TuneSettings {
  minGain: number;
  minSamplesLeaf: number;
  maxFeatures: MaxFeatures;
}

export interface TuneTrial extends TuneSettings {
  /** Accuracy (classification) or R² (regression) on the validation rows. */
  score: number;
  /** Mean loss on the validation rows (0/1, or squared error) and its standard error. */
  loss: number;
  lossSe: number;
  /** Tree nodes of the candidate's forest: how finely it split. */
  nodes: number;
  seconds: number;
}

export interface TuneResult {
  chosen: TuneSettings;
  /** Why: the chosen trial's score against the default's (the first trial). */
  defaultScore: number;
  chosenScore: number;
  metric: 'accuracy' | 'r2';
  trials: TuneTrial[];
  /** Candidates in the grid (those not tried ran out of budget). */
  candidates: number;
  split: 'time' | 'random';
  trainRows: number;
  validationRows: number;
  budgetSeconds: number;
  spentSeconds: number;
  /** Settings the caller fixed (given explicitly): not tuned. */
  fixed: Array<keyof TuneSettings>;
}

export interface TuneOptions {
  /** The forest the model will use (trees, depth, seed, ... and any setting given explicitly). */
  forest: ForestOptions;
  /** Settings given explicitly: kept as given, not tuned. */
  fixed?: ReadonlyArray<keyof TuneSettings>;
  /** The examples' time line (all examples), for a time-ordered validation. */
  timeLine?: TimeLine;
  budgetSeconds: number;
  /** Clock in ms (injected for tests). */
  now?: () => number;
  /** Awaited between trees, so a Node-RED runtime stays responsive. */
  pause?: () => Promise<void>;
}

const LEAVES = [1, 5, 20];
const GAINS = [0, 0.001, 0.01];
const FEATURES: MaxFeatures[] = ['sqrt', 'third', 'all'];

/** The grid: the default first, then one setting moved at a time, then every combination left. */
export function tuneGrid(defaults: TuneSettings, fixed: ReadonlyArray<keyof TuneSettings> = []): TuneSettings[] {
  const values = {
    minSamplesLeaf: fixed.includes('minSamplesLeaf') ? [defaults.minSamplesLeaf] : [defaults.minSamplesLeaf, ...LEAVES.filter((v) => v !== defaults.minSamplesLeaf)],
    minGain: fixed.includes('minGain') ? [defaults.minGain] : [defaults.minGain, ...GAINS.filter((v) => v !== defaults.minGain)],
    maxFeatures: fixed.includes('maxFeatures') ? [defaults.maxFeatures] : [defaults.maxFeatures, ...FEATURES.filter((v) => v !== defaults.maxFeatures)],
  };
  const key = (s: TuneSettings) => `${s.minSamplesLeaf}|${s.minGain}|${String(s.maxFeatures)}`;
  const grid: TuneSettings[] = [defaults];
  const seen = new Set([key(defaults)]);
  const add = (s: TuneSettings) => {
    if (!seen.has(key(s))) {
      seen.add(key(s));
      grid.push(s);
    }
  };
  for (const minSamplesLeaf of values.minSamplesLeaf) add({ ...defaults, minSamplesLeaf });
  for (const minGain of values.minGain) add({ ...defaults, minGain });
  for (const maxFeatures of values.maxFeatures) add({ ...defaults, maxFeatures });
  for (const minSamplesLeaf of values.minSamplesLeaf) for (const minGain of values.minGain) for (const maxFeatures of values.maxFeatures) add({ minSamplesLeaf, minGain, maxFeatures });
  return grid;
}

/**
 * Chooses minGain, minSamplesLeaf and maxFeatures for a forest on `examples` restricted to `trainIndices` (the rows
 * the model will be trained on), by validation on the newest (or a random) fifth of them.
 */
export async function tuneForest(examples: Examples, trainIndices: Int32Array, options: TuneOptions): Promise<TuneResult> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const isClassification = examples.task === 'classification';
  const base = options.forest;
  const defaults: TuneSettings = {
    minGain: base.minGain ?? 0,
    minSamplesLeaf: base.minSamplesLeaf ?? (isClassification ? 1 : 5),
    maxFeatures: base.maxFeatures ?? (isClassification ? 'sqrt' : 'all'),
  };
  const fixed = [...(options.fixed ?? [])];
  const grid = tuneGrid(defaults, fixed);
  // The validation rows, out of the training rows only.
  const line = options.timeLine;
  let fit: Int32Array;
  let check: Int32Array;
  if (line !== undefined) {
    const sub: TimeLine = {
      time: Array.from(trainIndices, (i) => line.time[i]),
      ...(line.device !== undefined ? { device: Array.from(trainIndices, (i) => String(line.device![i])) } : {}),
      gap: line.gap ?? 0,
    };
    const split = timeHoldout(sub, TUNE_VALIDATION);
    fit = Int32Array.from(split.train, (k) => trainIndices[k]);
    check = Int32Array.from(split.test, (k) => trainIndices[k]);
  } else {
    const strata = isClassification ? Float64Array.from(trainIndices, (i) => examples.target[i]) : undefined;
    const split = trainTestSplit(trainIndices.length, TUNE_VALIDATION, { seed: base.seed ?? 1, strata });
    fit = Int32Array.from(split.train, (k) => trainIndices[k]);
    check = Int32Array.from(split.test, (k) => trainIndices[k]);
  }
  const metric = isClassification ? 'accuracy' : 'r2';
  const result = (trials: TuneTrial[]): TuneResult => {
    // The one-standard-error rule: the fewest nodes among the candidates within one SE of the lowest loss.
    const lowest = trials.reduce((a, b) => (b.loss < a.loss - 1e-12 ? b : a), trials[0]);
    const within = trials.filter((t) => t.loss <= lowest.loss + lowest.lossSe + 1e-12);
    const best = within.reduce((a, b) => (b.nodes < a.nodes ? b : a), within[0]);
    return {
      chosen: { minGain: best.minGain, minSamplesLeaf: best.minSamplesLeaf, maxFeatures: best.maxFeatures },
      defaultScore: trials[0].score,
      chosenScore: best.score,
      metric,
      trials,
      candidates: grid.length,
      split: line !== undefined ? 'time' : 'random',
      trainRows: fit.length,
      validationRows: check.length,
      budgetSeconds: options.budgetSeconds,
      spentSeconds: (now() - started) / 1000,
      fixed,
    };
  };
  if (fit.length < 2 || check.length < 1) {
    // Too few rows to validate on: the defaults, tried on nothing.
    return result([{ ...defaults, score: NaN, loss: NaN, lossSe: NaN, nodes: 0, seconds: 0 }]);
  }
  const fitRows = Array.from(fit, (i) => examples.rows[i]);
  const fitTarget = Float64Array.from(fit, (i) => examples.target[i]);
  const checkRows = Array.from(check, (i) => examples.rows[i]);
  const truth = Float64Array.from(check, (i) => examples.target[i]);
  const trials: TuneTrial[] = [];
  for (const candidate of grid) {
    if (trials.length > 0 && (now() - started) / 1000 >= options.budgetSeconds) break;
    const t0 = now();
    const trainer = new ForestTrainer(
      { rows: fitRows, target: fitTarget },
      { ...base, ...candidate, nTrees: Math.min(base.nTrees ?? 100, TUNE_TREES) },
    );
    while (!trainer.done) {
      trainer.step();
      if (options.pause !== undefined) await options.pause();
    }
    const trained = trainer.result().forest;
    const forest = new CompiledForest(trained);
    const predicted = Float64Array.from(checkRows, (row) => {
      if (isClassification) return forest.predictClass(row);
      const p = forest.predictRow(row);
      return p.task === 'regression' ? p.value : NaN;
    });
    const score = isClassification ? accuracy(truth, predicted) : rSquared(truth, predicted);
    const losses = Float64Array.from(truth, (y, i) => (isClassification ? (predicted[i] === y ? 0 : 1) : (predicted[i] - y) ** 2));
    const loss = losses.reduce((a, b) => a + b, 0) / losses.length;
    const variance = losses.reduce((a, b) => a + (b - loss) ** 2, 0) / Math.max(1, losses.length - 1);
    const nodes = trained.trees.reduce((sum, tree) => sum + tree.feature.length, 0);
    trials.push({ ...candidate, score, loss, lossSe: Math.sqrt(variance / losses.length), nodes, seconds: (now() - t0) / 1000 });
  }
  return result(trials);
}
