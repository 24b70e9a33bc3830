/**
 * From examples to a model file: split or cross-validate, train, measure, and assemble the
 * `iot-ai/random-forest@1` document. Shared by `iot-ai train` and the model-train node.
 */
import { CompiledForest } from '../forest/compiled-forest';
import type { Examples } from '../data/dataset';
import {
  ClassificationMetrics,
  classificationMetrics,
  classificationSkill,
  type ForecastSkill,
  intervalCoverage,
  kFoldSplits,
  RegressionMetrics,
  regressionMetrics,
  regressionSkill,
  trainTestSplit,
} from './metrics';
import { FORECAST_COVERAGE, FORECAST_INTERVAL, type ForecastSettings, type ModelFile } from '../file/model-file';
import { conformalMargin, conformityScores, widen } from './conformal';
import { timeFolds, timeHoldout, type TimeLine } from './time-split';
import { tuneForest, type TuneResult, type TuneSettings } from './tune';
import { MODEL_FORMAT } from '../file/schema';
import { buildFeatureSketch, DEFAULT_SKETCH_BINS } from '../monitor/sketch';
import { ForestOptions, ForestTrainer, OobEstimate, ProgressCallback } from '../forest/trainer';
import { BoostingTrainer, type BoostingOptions } from '../forest/boosting';
import type { TreeForest } from '../forest/forest-format';

import { MODEL_KINDS, type ModelKind } from './train-config';
export { MODEL_KINDS, type ModelKind };

/** Boosting's settings, with early stopping: `auto` (the default) is on from EARLY_STOPPING_ROWS training rows, as scikit-learn's. */
export type BoostingSettings = Omit<BoostingOptions, 'task' | 'nClasses'> & { earlyStopping?: 'auto' | 'on' | 'off' };
/** Early stopping `auto` turns on from this many training rows (scikit-learn's HistGradientBoosting: above 10,000). */
export const EARLY_STOPPING_ROWS = 10_000;
/** The share of a model's training rows early stopping watches (the newest of each device's, with time), as scikit-learn's. */
export const EARLY_STOPPING_VALIDATION = 0.1;

/** What training one model gives, forest or boosting. */
interface TrainedTrees {
  forest: TreeForest;
  importances: number[];
  oob: OobEstimate | null;
  params: Record<string, unknown>;
}

export interface TrainModelOptions {
  name: string;
  /** Default `1.0.0`. */
  version?: string;
  /** Comes from the caller's clock. */
  createdAt: Date;
  forest?: Omit<ForestOptions, 'task' | 'nClasses'>;
  /** `forest` (the default) or `boosting` (then `boosting` holds its settings and `forest` is not read). */
  model?: ModelKind;
  boosting?: BoostingSettings;
  /** Share of rows held out for testing (default 0.2); 0 trains on everything and reports out-of-bag only. */
  testFraction?: number;
  /** k-fold cross-validation instead of a hold-out; the model is then trained on all rows. */
  folds?: number;
  /**
   * Hold out the last N rows (the newest, for rows in time order) instead of a random share; 0 trains on
   * everything (out-of-bag only). model-train's promotion gate scores the candidate and the live model on them.
   */
  holdoutNewest?: number;
  /**
   * Each example's time (and device, and the window size as `gap`): the hold-out and the folds are then time-ordered
   * per device (time-split.ts) unless `split` is `random`. Not used with `holdoutNewest` (already time-ordered).
   */
  timeLine?: TimeLine;
  /** `random`: the old random hold-out / folds even when the examples carry time. Default: `time` with a timeLine. */
  split?: 'time' | 'random';
  /**
   * After a hold-out, train the saved model again on every row (the held-out metrics stay in the file, of the model
   * that did not see those rows). Not with `holdoutNewest` (model-train's gate, forecasts: the model scored is the
   * model written). Default false.
   */
  refit?: boolean;
  /**
   * With a time-ordered hold-out or folds: also score a random split of the same size (one more forest), kept as
   * `metrics.randomSplit`, so a leakage a random split would hide can be named (`leakageWarning`).
   */
  compareRandomSplit?: boolean;
  /**
   * Choose minGain, minSamplesLeaf and maxFeatures by validation on the training rows (tune.ts) within a budget,
   * before the model is trained; `fixed` names settings given explicitly (kept, not tuned).
   */
  tune?: { budgetSeconds: number; fixed?: ReadonlyArray<keyof TuneSettings>; now?: () => number };
  /** `sha256:<hex>` of the training data. */
  dataHash?: string;
  /** Quantile bins per feature in the drift sketch of all the examples (default 10). */
  sketchBins?: number;
  onProgress?: ProgressCallback;
  /** Awaited between trees, so a Node-RED runtime stays responsive. */
  pause?: () => Promise<void>;
  /**
   * Forecast models (docs/forecasting.md): the horizon (ms) the examples were labelled at, written into the file,
   * and each example's references (labelByHorizon's `persistence` and `dayBefore`, in example order; undefined or
   * NaN where there is none), scored beside the model on the evaluated rows.
   */
  forecast?: ForecastOptions;
}

export interface ForecastOptions {
  horizon: number;
  persistence?: ArrayLike<string | number | boolean | undefined>;
  dayBefore?: ArrayLike<string | number | boolean | undefined>;
  /**
   * Regression: a feature (e.g. `co2.last`) whose value every example has; the forest learns the change
   * `label − value` and the file's `forecast.changeFrom` makes each prediction add the value back. Labels and every
   * metric stay in the level. Examples without a finite value are refused (the caller leaves them out).
   */
  changeFrom?: string;
}

export type Evaluation = 'holdout' | 'cross-validation' | 'out-of-bag';

export type ModelMetrics = (ClassificationMetrics | RegressionMetrics | { task: 'classification' | 'regression'; rows: 0 }) & {
  evaluation: Evaluation;
  testFraction?: number;
  /**
   * `newest`: the held-out rows are the last ones (time order: model-train, forecasts); `time`: the newest share of
   * each device's time line (folds: contiguous time blocks), `gap` ms apart from the training rows; `random`: a
   * random share (rows without time, or `--split random`).
   */
  split?: 'newest' | 'time' | 'random';
  /** Time split: the ms kept between training and test rows (the window size), and the rows it left out. */
  gap?: number;
  gapRows?: number;
  /** The saved model was trained again on every row after the hold-out measured it (`trainRows` counts them all). */
  refit?: boolean;
  /** With `refit`: the rows the measured model trained on. */
  heldOutTrainRows?: number;
  /** What tuning tried and chose (tune.ts), when asked for. */
  tuning?: TuneResult;
  /** A random split of the same examples, scored for comparison (`leakageWarning`). */
  randomSplit?: { rows: number; accuracy?: number; r2?: number; mae?: number };
  folds?: number;
  /** Cross-validation: accuracy (classification) or R² (regression) of each fold. */
  foldScores?: number[];
  /** Out-of-bag estimate of the written forest. */
  oob?: OobEstimate;
  trainRows: number;
  /** Forecast models: the horizon (ms). */
  horizon?: number;
  /** Forecast models, on the evaluated rows: the model against persistence and the day before (docs/forecasting.md). */
  skill?: ForecastSkill;
  /**
   * Regression forecasts: the share of true values inside the interval model-predict gives. Calibrated (see
   * `interval`): on the newer half of the held-out rows, which the calibration did not see; otherwise on every
   * evaluated row, of the trees' [p10, p90] as they are.
   */
  intervalCoverage?: number;
  /** Regression forecasts: how the interval was made and measured (docs/forecasting.md#a-calibrated-interval). */
  interval?: IntervalMetrics;
  /** A change forecast: the feature the forest's change is added to. */
  changeFrom?: string;
};

export interface IntervalMetrics {
  /** `cqr`: calibrated on the older half of the held-out rows; `trees`: the trees' [p10, p90] (too few held-out rows). */
  method: 'cqr' | 'trees';
  /** The coverage aimed at (0.8). */
  nominal: number;
  /** cqr: rows the margin was learnt on, the margin, and the rows `intervalCoverage` was measured on. */
  calibrationRows?: number;
  margin?: number;
  coverageRows: number;
  /** The trees' [p10, p90] on the same rows, uncalibrated: what the calibration changed. */
  uncalibratedCoverage: number;
}

export interface TrainModelResult {
  model: ModelFile;
  metrics: ModelMetrics;
  /** The evaluated rows' truth and predictions (class indices or values), for reports; null for out-of-bag. */
  evaluated: { truth: Float64Array; predicted: Float64Array } | null;
  /** The example index of each evaluated row (the order of `evaluated`); null for out-of-bag. */
  evaluatedRows: Int32Array | null;
  importances: number[];
}

export async function trainModel(examples: Examples, options: TrainModelOptions): Promise<TrainModelResult> {
  const { task, rows, target } = examples;
  const isClassification = task === 'classification';
  const nClasses = isClassification ? (examples.labels?.length ?? 0) : undefined;
  const forestOptions: ForestOptions = { ...options.forest, task, nClasses };
  const seed = options.forest?.seed ?? 1;
  const strata = isClassification ? target : undefined;
  const nTrees = options.forest?.nTrees ?? 100;
  const folds = options.folds;
  const newest = folds === undefined ? options.holdoutNewest : undefined;
  let testFraction = folds === undefined ? (options.testFraction ?? 0.2) : 0;
  const timeLine = newest === undefined && options.split !== 'random' ? options.timeLine : undefined;
  if (timeLine !== undefined && timeLine.time.length !== rows.length) throw new RangeError('timeLine must have one time per example');

  let splits: Array<{ train: Int32Array; test: Int32Array; gapped?: number }>;
  let evaluation: Evaluation;
  if (folds !== undefined) {
    splits = timeLine !== undefined ? timeFolds(timeLine, folds) : kFoldSplits(rows.length, folds, { seed, strata });
    evaluation = 'cross-validation';
  } else if (newest !== undefined) {
    const k = Math.max(0, Math.min(Math.floor(newest), rows.length - 1));
    testFraction = rows.length > 0 ? k / rows.length : 0;
    splits = k > 0 ? [{ train: Int32Array.from({ length: rows.length - k }, (_, i) => i), test: Int32Array.from({ length: k }, (_, i) => rows.length - k + i) }] : [];
    evaluation = splits.length > 0 ? 'holdout' : 'out-of-bag';
  } else if (testFraction > 0) {
    const split = timeLine !== undefined ? timeHoldout(timeLine, testFraction) : trainTestSplit(rows.length, testFraction, { seed, strata });
    splits = split.test.length > 0 && split.train.length > 0 ? [split] : [];
    evaluation = splits.length > 0 ? 'holdout' : 'out-of-bag';
  } else {
    splits = [];
    evaluation = 'out-of-bag';
  }
  // Tuning: on the rows the (first) model trains on, never on the rows it is tested on.
  let tuning: TuneResult | undefined;
  if (options.tune !== undefined) {
    const tuneRows = evaluation === 'holdout' ? splits[0].train : evaluation === 'cross-validation' ? splits[0].train : Int32Array.from({ length: rows.length }, (_, i) => i);
    const line = options.timeLine !== undefined && options.split !== 'random' ? options.timeLine : newest !== undefined ? { time: Array.from({ length: rows.length }, (_, i) => i) } : undefined;
    tuning = await tuneForest(examples, tuneRows, { forest: forestOptions, fixed: options.tune.fixed, timeLine: line, budgetSeconds: options.tune.budgetSeconds, now: options.tune.now, pause: options.pause });
    Object.assign(forestOptions, tuning.chosen);
  }
  const forecast = options.forecast;
  // A change forecast: the forest learns label − base; predictions (and so every metric) add the base back.
  const base = changeBase(examples, forecast);
  const learnt = base === undefined ? target : Float64Array.from(target, (value, i) => value - base[i]);
  const boosting = options.model === 'boosting';
  if (boosting && options.tune !== undefined) throw new RangeError('tuning chooses the random forest\'s settings: it does not apply to boosting');
  if (boosting && forecast !== undefined) throw new RangeError('a forecast needs the forest\'s interval: boosting does not give one');
  const refit = options.refit === true && evaluation === 'holdout' && newest === undefined;
  const compareRandom = options.compareRandomSplit === true && timeLine !== undefined && evaluation !== 'out-of-bag';
  const forestsToTrain = (evaluation === 'cross-validation' ? splits.length + 1 : 1) + (refit ? 1 : 0) + (compareRandom ? 1 : 0);
  const perModel = boosting ? (options.boosting?.maxIter ?? 100) : nTrees;
  const totalTrees = forestsToTrain * perModel;
  let treesBefore = 0;
  // Early stopping's validation rows: the newest of each device's training rows when the rows carry time (model-train:
  // the newest), else a random (stratified) share.
  const stoppingLine = options.timeLine !== undefined && options.split !== 'random' ? options.timeLine : newest !== undefined ? { time: Array.from({ length: rows.length }, (_, i) => i) } : undefined;
  /** Trains on `indices` (null: every row); `iterations` fixes boosting's count (a refit after early stopping). */
  const train = async (indices: Int32Array | null, iterations?: number): Promise<TrainedTrees> => {
    const subset = indices === null ? rows : Array.from(indices, (i) => rows[i]);
    const subsetTarget = indices === null ? learnt : Float64Array.from(indices, (i) => learnt[i]);
    if (boosting) return trainBoosted(indices, subset, subsetTarget, iterations);
    const trainer = new ForestTrainer({ rows: subset, target: subsetTarget }, forestOptions);
    while (!trainer.done) {
      trainer.step();
      options.onProgress?.(treesBefore + trainer.treesDone, totalTrees);
      if (options.pause !== undefined) await options.pause();
    }
    treesBefore += trainer.treesTotal;
    const result = trainer.result();
    return { ...result, params: { ...result.params } };
  };
  const trainBoosted = async (indices: Int32Array | null, subset: ReadonlyArray<ArrayLike<number>>, subsetTarget: Float64Array, iterations?: number): Promise<TrainedTrees> => {
    const { earlyStopping = 'auto', ...settings } = options.boosting ?? {};
    const stopping = iterations === undefined && (earlyStopping === 'on' || (earlyStopping === 'auto' && subset.length >= EARLY_STOPPING_ROWS));
    let data: ConstructorParameters<typeof BoostingTrainer>[0] = { rows: subset, target: subsetTarget };
    if (stopping) {
      const at = indices ?? Int32Array.from({ length: rows.length }, (_, i) => i);
      const inner = stoppingLine !== undefined
        ? timeHoldout({ time: Array.from(at, (i) => stoppingLine.time[i]), ...(stoppingLine.device !== undefined ? { device: Array.from(at, (i) => (stoppingLine.device as ArrayLike<string>)[i]) } : {}), gap: stoppingLine.gap ?? 0 }, EARLY_STOPPING_VALIDATION)
        : trainTestSplit(subset.length, EARLY_STOPPING_VALIDATION, { seed, strata: isClassification ? subsetTarget : undefined });
      if (inner.train.length > 0 && inner.test.length > 0) {
        data = {
          rows: Array.from(inner.train, (i) => subset[i]),
          target: Float64Array.from(inner.train, (i) => subsetTarget[i]),
          validation: { rows: Array.from(inner.test, (i) => subset[i]), target: Float64Array.from(inner.test, (i) => subsetTarget[i]) },
        };
      }
    }
    const trainer = new BoostingTrainer(data, { ...settings, ...(iterations !== undefined ? { maxIter: iterations } : {}), task, nClasses });
    while (!trainer.done) {
      trainer.step();
      options.onProgress?.(treesBefore + trainer.iterationsDone, totalTrees);
      if (options.pause !== undefined) await options.pause();
    }
    // A model stopped early counts as all its iterations (progress then reaches the total).
    treesBefore += perModel;
    const result = trainer.result();
    return { forest: result.forest, importances: result.importances, oob: null, params: { ...result.params, ...(iterations !== undefined ? { maxIter: perModel, iterations } : {}) } };
  };
  // Regression forecasts: each evaluated row's interval, for its coverage (indexed as the predictions are).
  const interval = forecast !== undefined && !isClassification ? { low: new Float64Array(rows.length), high: new Float64Array(rows.length) } : undefined;
  const predictAll = (forest: CompiledForest, indices: Int32Array, into: Float64Array, at: Int32Array | null): void => {
    // Scoring needs the class alone: predictClass stops walking once a class has a majority (the same answer).
    indices.forEach((rowIndex, k) => {
      const row = rows[rowIndex];
      const slot = at === null ? k : at[k];
      const added = base === undefined ? 0 : base[rowIndex];
      if (interval !== undefined) {
        const { prediction, quantiles } = forest.predictRowWithQuantiles(row, FORECAST_INTERVAL);
        into[slot] = added + prediction.value;
        interval.low[slot] = added + quantiles[0];
        interval.high[slot] = added + quantiles[1];
        return;
      }
      const prediction = isClassification ? null : forest.predictRow(row);
      into[slot] = prediction === null ? forest.predictClass(row) : prediction.task === 'regression' ? added + prediction.value : NaN;
    });
  };
  const score = (truth: Float64Array, predicted: Float64Array): ClassificationMetrics | RegressionMetrics =>
    isClassification ? classificationMetrics(truth, predicted, examples.labels ?? []) : regressionMetrics(truth, predicted);

  let trained: TrainedTrees;
  let measured: ClassificationMetrics | RegressionMetrics | null = null;
  let evaluated: TrainModelResult['evaluated'] = null;
  const foldScores: number[] = [];
  let trainRows = rows.length;
  /** The example index of each evaluated row (the order of `evaluated`). */
  let evaluatedRows: Int32Array | null = null;
  if (evaluation === 'holdout') {
    const { train: trainIndices, test } = splits[0];
    trained = await train(trainIndices);
    trainRows = trainIndices.length;
    const predicted = new Float64Array(test.length);
    predictAll(new CompiledForest(trained.forest), test, predicted, null);
    const truth = Float64Array.from(test, (i) => target[i]);
    measured = score(truth, predicted);
    evaluated = { truth, predicted };
    evaluatedRows = test;
    // The saved model learns from every row; the metrics above stay those of the model that did not see the test rows.
    // Boosting stopped early refits with the iterations it chose (the rows it watched are training rows now).
    if (refit) trained = await train(null, stoppedAt(trained));
  } else if (evaluation === 'cross-validation') {
    // Out-of-fold predictions: every row is predicted by the one fold model that did not train on it.
    const predicted = new Float64Array(rows.length);
    for (const split of splits) {
      const foldForest = new CompiledForest((await train(split.train)).forest);
      predictAll(foldForest, split.test, predicted, split.test);
      const foldPredicted = Float64Array.from(split.test, (i) => predicted[i]);
      const foldTruth = Float64Array.from(split.test, (i) => target[i]);
      const foldMetrics = score(foldTruth, foldPredicted);
      foldScores.push(foldMetrics.task === 'classification' ? foldMetrics.accuracy : foldMetrics.r2);
    }
    trained = await train(null);
    const truth = Float64Array.from(target);
    measured = score(truth, predicted);
    evaluated = { truth, predicted };
    evaluatedRows = Int32Array.from({ length: rows.length }, (_, i) => i);
  } else {
    trained = await train(null);
  }
  let randomSplit: ModelMetrics['randomSplit'];
  if (compareRandom) {
    // What a random share of the same size would have reported: the measure of leakage across time.
    const share = evaluation === 'cross-validation' ? 1 / (folds as number) : testFraction;
    const random = trainTestSplit(rows.length, share, { seed, strata });
    if (random.train.length > 0 && random.test.length > 0) {
      const randomForest = new CompiledForest((await train(random.train)).forest);
      const predicted = new Float64Array(random.test.length);
      predictAll(randomForest, random.test, predicted, null);
      const scored = score(Float64Array.from(random.test, (i) => target[i]), predicted);
      randomSplit = scored.task === 'classification' ? { rows: random.test.length, accuracy: scored.accuracy } : { rows: random.test.length, r2: scored.r2, mae: scored.mae };
    }
  }
  const timeSplit = timeLine !== undefined && evaluation !== 'out-of-bag';
  const gapRows = splits.reduce((sum, split) => sum + (split.gapped ?? 0), 0);

  const metrics: ModelMetrics = {
    ...(measured ?? { task, rows: 0 }),
    evaluation,
    ...(evaluation === 'holdout' ? { testFraction } : {}),
    ...(evaluation === 'holdout' && newest !== undefined ? { split: 'newest' as const } : {}),
    ...(timeSplit ? { split: 'time' as const, gap: timeLine.gap ?? 0, gapRows } : newest === undefined && evaluation !== 'out-of-bag' ? { split: 'random' as const } : {}),
    ...(refit ? { refit: true, heldOutTrainRows: trainRows } : {}),
    ...(randomSplit !== undefined ? { randomSplit } : {}),
    ...(tuning !== undefined ? { tuning } : {}),
    ...(evaluation === 'cross-validation' ? { folds, foldScores } : {}),
    ...(trained.oob !== null ? { oob: trained.oob } : {}),
    trainRows: refit ? rows.length : trainRows,
    ...(forecast !== undefined ? forecastMetrics(forecast, evaluated, evaluatedRows, isClassification ? (examples.labels ?? []) : undefined) : {}),
  };
  // Regression forecasts: the interval, calibrated on held-out rows when there are enough.
  const calibrated = interval !== undefined && evaluated !== null ? calibrateInterval(evaluated.truth, interval, evaluation === 'holdout') : undefined;
  if (calibrated !== undefined) {
    metrics.intervalCoverage = calibrated.metrics.method === 'cqr' ? calibrated.coverage : calibrated.metrics.uncalibratedCoverage;
    metrics.interval = calibrated.metrics;
  }
  if (forecast?.changeFrom !== undefined && !isClassification) metrics.changeFrom = forecast.changeFrom;
  const forecastSettings: ForecastSettings = {
    ...(forecast?.changeFrom !== undefined && !isClassification ? { changeFrom: forecast.changeFrom } : {}),
    ...(calibrated?.file !== undefined ? { interval: calibrated.file } : {}),
  };
  const importances: Record<string, number> = {};
  examples.featureNames.forEach((name, f) => (importances[name] = trained.importances[f]));
  const model: ModelFile = {
    format: MODEL_FORMAT,
    task,
    name: options.name,
    version: options.version ?? '1.0.0',
    createdAt: options.createdAt.toISOString(),
    featureNames: examples.featureNames.slice(),
    ...(isClassification ? { labels: (examples.labels ?? []).slice() } : {}),
    metrics: metrics as unknown as Record<string, unknown>,
    params: { ...trained.params, ...(evaluation === 'holdout' ? { testFraction } : {}), ...(folds !== undefined ? { folds } : {}), ...(refit ? { refit: true } : {}) },
    ...(options.dataHash !== undefined ? { dataHash: options.dataHash } : {}),
    importances,
    sketch: buildFeatureSketch(examples.featureNames, rows, options.sketchBins ?? DEFAULT_SKETCH_BINS),
    forest: trained.forest,
    ...(forecast !== undefined ? { horizon: forecast.horizon } : {}),
    ...(Object.keys(forecastSettings).length > 0 ? { forecast: forecastSettings } : {}),
  };
  return { model, metrics, evaluated, evaluatedRows, importances: trained.importances };
}

/** The iterations a boosted model kept when early stopping chose them; undefined otherwise. */
function stoppedAt(trained: TrainedTrees): number | undefined {
  return trained.params.earlyStopping !== undefined ? (trained.params.iterations as number) : undefined;
}

/** A forecast's horizon, and on the evaluated rows its skill over the references and its intervals' coverage. */
function forecastMetrics(
  forecast: ForecastOptions,
  evaluated: TrainModelResult['evaluated'],
  evaluatedRows: Int32Array | null,
  /** Classification: the label of each class index; regression: undefined. */
  labels: ReadonlyArray<string | number> | undefined,
): Pick<ModelMetrics, 'horizon' | 'skill'> {
  if (!(forecast.horizon > 0) || !Number.isFinite(forecast.horizon)) throw new RangeError(`horizon must be a number of ms above 0 (got ${forecast.horizon})`);
  if (evaluated === null || evaluatedRows === null) return { horizon: forecast.horizon };
  const pick = (values: ForecastOptions['persistence']): Array<string | number | boolean | undefined> | undefined => (values === undefined ? undefined : Array.from(evaluatedRows, (i) => values[i]));
  const persistence = pick(forecast.persistence);
  const dayBefore = pick(forecast.dayBefore);
  const { truth, predicted } = evaluated;
  if (labels !== undefined) {
    const name = (index: number): string | number => labels[index];
    const skill = classificationSkill(Array.from(truth, name), Array.from(predicted, name), { persistence, dayBefore });
    return { horizon: forecast.horizon, skill };
  }
  const number = (value: string | number | boolean | undefined): number => (typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN);
  const skill = regressionSkill(truth, predicted, { persistence: persistence?.map(number), dayBefore: dayBefore?.map(number) });
  return { horizon: forecast.horizon, skill };
}

/** Each example's value of `forecast.changeFrom` (regression only), or undefined when the forest learns the level. */
function changeBase(examples: Examples, forecast: ForecastOptions | undefined): Float64Array | undefined {
  const feature = forecast?.changeFrom;
  if (feature === undefined || examples.task !== 'regression') return undefined;
  const f = examples.featureNames.indexOf(feature);
  if (f < 0) throw new RangeError(`changeFrom names ${JSON.stringify(feature)}, which is not a feature`);
  const base = Float64Array.from(examples.rows, (row) => row[f]);
  const missing = base.findIndex((value) => !Number.isFinite(value));
  if (missing >= 0) throw new RangeError(`example ${missing} has no value of ${feature}, which a change forecast adds its change to: leave such examples out`);
  return base;
}

/**
 * The interval of a regression forecast (conformal.ts): with held-out rows enough for both halves, the older half
 * (the rows in the order given: the oldest first for a newest hold-out) learns the CQR margin and the newer half,
 * unseen by it, measures the coverage of exactly the interval the file will give. Otherwise the trees' [p10, p90],
 * measured on every evaluated row. `interval` holds each evaluated row's [p10, p90], indexed as `truth`.
 */
function calibrateInterval(
  truth: Float64Array,
  interval: { low: Float64Array; high: Float64Array },
  heldOut: boolean,
): { metrics: IntervalMetrics; coverage: number; file?: NonNullable<ForecastSettings['interval']> } {
  const n = truth.length;
  const low = interval.low.subarray(0, n);
  const high = interval.high.subarray(0, n);
  const calibrationRows = Math.floor(n / 2);
  const margin = heldOut ? conformalMargin(conformityScores(truth.subarray(0, calibrationRows), low.subarray(0, calibrationRows), high.subarray(0, calibrationRows)), FORECAST_COVERAGE) : null;
  if (margin === null || n - calibrationRows < 1) {
    const coverage = intervalCoverage(truth, low, high);
    return { metrics: { method: 'trees', nominal: FORECAST_COVERAGE, coverageRows: n, uncalibratedCoverage: coverage }, coverage };
  }
  const check = { truth: truth.subarray(calibrationRows), low: new Float64Array(n - calibrationRows), high: new Float64Array(n - calibrationRows) };
  for (let i = calibrationRows; i < n; i++) [check.low[i - calibrationRows], check.high[i - calibrationRows]] = widen(low[i], high[i], margin);
  const coverage = intervalCoverage(check.truth, check.low, check.high);
  const uncalibrated = intervalCoverage(check.truth, low.subarray(calibrationRows), high.subarray(calibrationRows));
  return {
    metrics: { method: 'cqr', nominal: FORECAST_COVERAGE, calibrationRows, margin, coverageRows: n - calibrationRows, uncalibratedCoverage: uncalibrated },
    coverage,
    file: { method: 'cqr', quantiles: [FORECAST_INTERVAL[0], FORECAST_INTERVAL[1]], coverage: FORECAST_COVERAGE, margin, rows: calibrationRows },
  };
}

/**
 * A warning when a random split of the same examples scored far higher than the time-ordered one: rows close in
 * time were on both sides (overlapping windows, slow signals), so a random split reports a score users will not see.
 * Far: 3 points of accuracy, 0.05 of R². Undefined when there is no comparison or no such gap.
 */
export function leakageWarning(metrics: ModelMetrics): string | undefined {
  const random = metrics.randomSplit;
  if (random === undefined || metrics.split !== 'time') return undefined;
  const cause = 'rows close in time are near copies of each other (overlapping windows, slowly changing signals), so a random split tests the model on its training rows\' neighbours: expect the time-ordered score';
  if ('accuracy' in metrics && random.accuracy !== undefined && random.accuracy - metrics.accuracy >= 0.03) {
    return `a random split would have reported accuracy ${random.accuracy.toFixed(4)}, ${((random.accuracy - metrics.accuracy) * 100).toFixed(1)} points above this time-ordered ${metrics.accuracy.toFixed(4)}: ${cause}`;
  }
  if ('r2' in metrics && random.r2 !== undefined && random.r2 - metrics.r2 >= 0.05) {
    return `a random split would have reported R² ${random.r2.toFixed(4)}, ${(random.r2 - metrics.r2).toFixed(3)} above this time-ordered ${metrics.r2.toFixed(4)}: ${cause}`;
  }
  return undefined;
}
