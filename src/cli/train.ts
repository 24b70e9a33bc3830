/**
 * `iot-ai train`: learn a random forest from a CSV file and write the model file, a report beside it, and the
 * held-out metrics on stdout.
 *
 *   iot-ai train --data FILE.csv --label COLUMN --out MODEL.json [--task classification|regression]
 *     [--window WINDOW.json [--horizon H]] [--trees N] [--max-depth N] [--seed N] [--test-fraction F | --folds K]
 *     [--ignore COL,...] [--name NAME] [--version VERSION] [--min-samples-leaf N] [--min-gain G]
 *     [--max-features M] [--criterion gini|entropy]
 *     [--model boosting [--max-iter N] [--learning-rate R] [--max-leaf-nodes N] [--l2 L] [--loss squared|absolute]
 *      [--early-stopping auto|on|off]]
 *   iot-ai train --task anomaly --data FILE.csv --out MODEL.json [--label TRUTH] [--method isolation-forest|robust-z]
 *     [--contamination F | --threshold T] [--trees N] [--sample-size N] [--window WINDOW.json] [--seed N]
 *     [--test-fraction F] [--ignore COL,...] [--name NAME] [--version VERSION]
 *
 * Exit codes: 0 trained, 1 bad data or files, 2 bad command line.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { ANOMALY_METHODS, AnomalyMethod, anomalyTruth } from '../core/model/monitor/anomaly';
import { CsvTable, formatCsvProblem, parseCsv } from '../core/model/data/csv';
import { checkLabelCounts } from '../core/model/train/promotion';
import { Examples, examplesFromTable, examplesFromValues, ExamplesResult } from '../core/model/data/dataset';
import { ModelHome } from '../core/model/file/model-home';
import { withFileLock } from '../core/model/file/file-lock';
import { writeFileAtomic } from '../core/model/file/store';
import type { TrainingWindowConfig } from '../core/model/file/model-file';
import { trainingWindowOf } from '../core/model/file/training-window';
import { AnomalyData, anomalyDataFromTable, AnomalyMetrics, trainAnomalyModel } from '../core/model/train/train-anomaly';
import { leakageWarning, MODEL_KINDS, ModelKind, ModelMetrics, trainModel, type BoostingSettings, type ForecastOptions } from '../core/model/train/train-model';
import { REGRESSION_LOSSES, type RegressionLoss } from '../core/model/forest/boosting';
import type { TimeLine } from '../core/model/train/time-split';
import { DEFAULT_TUNE_BUDGET_S } from '../core/model/train/tune';
import { normaliseTimestamp } from '../core/ingest/timestamps';
import { parseHorizon } from '../core/model/data/horizon';
import type { ForecastSkill, ReferenceComparison } from '../core/model/train/metrics';
import { CompiledForest } from '../core/model/forest/compiled-forest';
import { explainerFor, meanAbsoluteShap } from '../core/model/forest/shap';
import type { TreeForest } from '../core/model/forest/forest-format';
import type { Criterion, ForestOptions, MaxFeatures, Task } from '../core/model/forest/trainer';
import { boostingText, intervalLine, renderTrainReport, TrainReportInput, tuningLine } from './train-report';
import { type CliIO, parseFlags, readCommandLine, UsageError } from './args';
import { readPropertiesFile } from './config-file';

/**
 * Turns wide-form readings (`deviceId,ts,<sensor>...,<label>`) into windowed examples, with feature-window's
 * own code. The command does not know windows: the integrator passes this in (from src/core/window).
 */
export type WindowExamplesHook = (input: {
  table: CsvTable;
  /** The parsed WINDOW.json: feature-window properties. */
  windowConfig: unknown;
  label: string;
  ignore: readonly string[];
}) =>
  | {
      ok: true;
      featureNames: string[];
      rows: Float64Array[];
      labels: string[];
      /** Each example's window end and device, and the largest window span (ms): the time-ordered split's line. */
      time?: number[];
      device?: string[];
      gap?: number;
    }
  | { ok: false; error: string };

/**
 * `--window --horizon H` (docs/forecasting.md): windows labelled by the label column of their device's latest row in
 * [end, end + H), in time order of `end`, with each one's references (persistence, the day before). The integrator
 * passes this in (src/cli/windowing.ts horizonWindowExamples).
 */
export type ForecastExamplesHook = (input: {
  table: CsvTable;
  windowConfig: unknown;
  label: string;
  ignore: readonly string[];
  horizon: number;
}) =>
  | {
      ok: true;
      featureNames: string[];
      rows: Float64Array[];
      labels: string[];
      /** Each example's references (docs/forecasting.md), undefined where there is none: trainModel's `forecast`. */
      persistence: Array<string | number | boolean | undefined>;
      dayBefore: Array<string | number | boolean | undefined>;
      /** Windows left out: no row of their device in [end, end + horizon). */
      unlabelled: number;
    }
  | { ok: false; error: string };

export interface TrainCommandOptions {
  /** The clock for `createdAt`. */
  now?: () => Date;
  /** Enables `--window`. */
  windowExamples?: WindowExamplesHook;
  /** Enables `--window --horizon`. */
  forecastExamples?: ForecastExamplesHook;
}

export const TRAIN_USAGE = `Usage: iot-ai train --data FILE.csv --label COLUMN --out MODEL.json [options]

Learns a random forest (or, with --model boosting, gradient-boosted trees) from a CSV file (one example per
row; every column but the label, deviceId, ts, ignored and truth.* columns is a feature) and writes MODEL.json,
MODEL.report.html and the held-out metrics.
A feature cell that is empty, NA, N/A, NaN, ? or null is a missing value: the trees learn where it goes.

Options:
  --task classification|regression  default: regression if the label is numeric with > 10 distinct values;
                         a classification label column with under 2 labels, over 100, or more than half of
                         them seen once is refused (the rule model-train applies too)
  --window WINDOW.json   the CSV holds readings (deviceId,ts,<sensor>...,<label>); compute feature-window
                         windows with these properties and learn one example per window
  --horizon H            with --window: learn a forecast H ahead (ms, or a number with a unit s, min, h:
                         15min). A window ending at t is labelled by the label column of its device's latest
                         row with t <= ts < t + H (windows without one are left out); the label column can be a
                         sensor in WINDOW.json too. The newest windows are held out (--test-fraction), and the
                         model is compared with persistence and with 24 hours earlier (docs/forecasting.md)
  --change-from F        with --horizon, regression: learn the change from feature F (label − F) and add F's
                         value back when predicting; default <label>.last when the label is also a windowed
                         sensor (a forest averages training labels, so a level it has not seen is out of its
                         reach; a change is not); none: learn the level. Windows without F are left out
  --model forest|boosting  forest (default): a random forest, robust with no tuning, votes and a spread;
                         boosting: histogram gradient boosting (as scikit-learn's HistGradientBoosting),
                         often a point or more of accuracy above the forest on larger sets, smaller files.
                         Not with --tune or --horizon (see docs/training.md#forest-or-boosting)
  --trees N              trees in the forest (default 100)
  --max-depth N          deepest split level (default: unlimited)
  --min-samples-leaf N   least samples in a leaf (default 1; regression 5)
  --min-gain G           least impurity decrease per row a split must bring (Gini gain for classification,
                         variance drop for regression; default 0): 0.01, as ml-cart, prunes splits on label noise
  --max-features M       features tried per split: sqrt, log2, third, all, a count or a fraction
  --criterion C          gini (default) or entropy, classification only
  --tune                 choose --min-gain, --min-samples-leaf and --max-features (those not given) by
                         validation on the newest fifth of the training rows (rows without time: a random
                         fifth; the held-out rows are never seen), each candidate a 30-tree forest; the
                         report says what was tried and why the choice won
  --tune-budget S        seconds tuning may take (default 60); candidates left when it runs out are skipped
  --max-bins N           value bins per feature the trainer cuts (2..65535, default 255; bins hold about the
                         same number of rows, a value many rows share gets its own). Above 256, bins take two
                         bytes a row and feature: finer splits on features with many distinct values
  --seed N               random seed (default 1); the same seed and data give the same model

Boosting (--model boosting; --max-depth, --min-samples-leaf and --max-bins apply too, --min-samples-leaf
default 20, --max-depth default unlimited):
  --max-iter N           boosting iterations at most (default 100; classes > 2: one tree per class each)
  --learning-rate R      shrinkage of each tree (default 0.1): lower learns slower and often generalises better
  --max-leaf-nodes N     leaves per tree, grown best first (default 31; 0: unlimited)
  --l2 L                 L2 regularisation of leaf values (default 0)
  --loss squared|absolute  regression loss (default squared; absolute: the median, robust to outliers)
  --early-stopping auto|on|off  stop when the loss on validation rows set apart from the training rows (the
                         newest tenth of each device's, with time; else a random tenth) has not improved in
                         10 iterations, keeping the best iteration; auto (default): on from 10,000 training
                         rows. The refit on all rows uses the iteration count it chose
  --test-fraction F      share of rows held out for the metrics (default 0.2; 0: out-of-bag only)
  --folds K              k-fold cross-validation instead of a hold-out (the model then uses all rows)
  --split time|random    how rows are held out. time (the default when rows carry time: --window, or a ts
                         column): the newest share of each device's time line, the training rows ending one
                         window size before it (folds: contiguous time blocks); a random split of overlapping,
                         time-correlated rows reports a score users will not see, and the command says so when
                         it would have scored far higher. random: a random share, as for rows without time
  --no-refit             keep the model that was measured (trained on the rows not held out); by default the
                         saved model is trained again on every row, with the held-out metrics kept in the file
  --ignore A,B           columns that are not features
  --name NAME            model name (default: the output file's name)
  --version V            model version (default 1.0.0; when MODEL.json is a file model-train keeps versions
                         of, the next free one, and V is refused if it already names another model)
  -h, --help             this text

MODEL.json is written under its lock (.MODEL.json.lock, shared with model-train). A file model-train keeps
versions of keeps the model it replaces in its version archive (.MODEL.versions/), for msg.rollback.
CSV cells an export escaped for spreadsheets ('=..., '+..., '-..., '@...) are read without the quote.

Anomaly models (learnt without labels): iot-ai train --task anomaly --data FILE.csv --out MODEL.json
  --label COLUMN         optional ground truth (e.g. truth.anomaly: 0/false/normal is normal), used only to
                         measure detection and false alarms on held-out rows (--test-fraction, default 0.2)
  --method M             robust-z (default) or isolation-forest (slower; it also sees
                         anomalies in how features go together; --trees or --sample-size imply it)
  --contamination F      false-alarm rate accepted on later data; sets the threshold (default 0.01)
  --threshold T          a fixed score threshold in [0, 1] instead
  --trees N              isolation trees (default 100)
  --sample-size N        rows each isolation tree is grown on (default 256)
  --window, --seed, --ignore, --name, --version as above
`;

interface TrainArguments {
  data: string;
  /** Required but for `--task anomaly`. */
  label?: string;
  out: string;
  task?: Task | 'anomaly';
  method?: AnomalyMethod;
  contamination?: number;
  threshold?: number;
  sampleSize?: number;
  window?: string;
  /** Forecasts: the horizon in ms. */
  horizon?: number;
  /** Regression forecasts: the feature whose change is learnt, or `none` (the level); undefined: the default. */
  changeFrom?: string;
  trees?: number;
  maxDepth?: number;
  minSamplesLeaf?: number;
  minGain?: number;
  maxFeatures?: MaxFeatures;
  criterion?: Criterion;
  maxBins?: number;
  /** `--model`: forest (default) or boosting, and boosting's settings. */
  model: ModelKind;
  learningRate?: number;
  maxIter?: number;
  /** 0: unlimited. */
  maxLeafNodes?: number;
  l2?: number;
  loss?: RegressionLoss;
  earlyStopping?: 'auto' | 'on' | 'off';
  /** --tune: the budget in seconds, and the settings given explicitly (not tuned). */
  tune?: { budgetSeconds: number; fixed: Array<'minGain' | 'minSamplesLeaf' | 'maxFeatures'> };
  seed?: number;
  testFraction?: number;
  folds?: number;
  /** Default: time when the rows carry time. */
  split?: 'time' | 'random';
  /** Default true (not with --horizon: forecasts keep the model the hold-out measured). */
  refit: boolean;
  ignore: string[];
  name?: string;
  version?: string;
}

const VALUE_FLAGS = [
  'data', 'label', 'out', 'task', 'window', 'horizon', 'change-from', 'trees', 'max-depth', 'min-samples-leaf', 'min-gain', 'max-features', 'criterion', 'max-bins', 'tune-budget',
  'seed', 'test-fraction', 'folds', 'split', 'ignore', 'name', 'version', 'method', 'contamination', 'threshold', 'sample-size',
  'model', 'learning-rate', 'max-iter', 'max-leaf-nodes', 'l2', 'loss', 'early-stopping',
];
/** Options that only a random forest (classification or regression) takes, and only an anomaly model takes. */
const BOOSTING_ONLY = ['learning-rate', 'max-iter', 'max-leaf-nodes', 'l2', 'loss', 'early-stopping'];
const FOREST_ONLY = ['max-depth', 'min-samples-leaf', 'min-gain', 'max-features', 'criterion', 'max-bins', 'folds', 'change-from', 'split', 'no-refit', 'tune', 'tune-budget', 'model', ...BOOSTING_ONLY];
/** Options of the random forest that boosting has no use for (it grows every tree on all rows and features). */
const RANDOM_FOREST_ONLY = ['trees', 'min-gain', 'max-features', 'criterion', 'tune', 'tune-budget', 'horizon', 'change-from'];
const ANOMALY_ONLY = ['method', 'contamination', 'threshold', 'sample-size'];

function parseArguments(argv: readonly string[]): TrainArguments | 'help' {
  const flags = parseFlags(argv, { values: VALUE_FLAGS, switches: ['no-refit', 'tune'], repeatable: ['ignore'] });
  if (flags === 'help') return 'help';
  const single = (flag: string): string | undefined => flags.get(flag);
  const integer = (flag: string, min: number): number | undefined => {
    const text = single(flag);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!(Number.isInteger(value) && value >= min)) throw new UsageError(`--${flag} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
    return value;
  };
  const task = single('task');
  if (task !== undefined && task !== 'classification' && task !== 'regression' && task !== 'anomaly') {
    throw new UsageError(`--task must be classification, regression or anomaly, got ${JSON.stringify(task)}`);
  }
  const isAnomaly = task === 'anomaly';
  const misplaced = (isAnomaly ? FOREST_ONLY : ANOMALY_ONLY).find((flag) => flags.has(flag));
  if (misplaced !== undefined) {
    throw new UsageError(isAnomaly ? `--${misplaced} does not apply to --task anomaly` : `--${misplaced} needs --task anomaly`);
  }
  const model = single('model') ?? 'forest';
  if (!(MODEL_KINDS as readonly string[]).includes(model)) throw new UsageError(`--model must be ${MODEL_KINDS.join(' or ')}, got ${JSON.stringify(model)}`);
  const wrongModel = (model === 'boosting' ? RANDOM_FOREST_ONLY : BOOSTING_ONLY).find((flag) => flags.has(flag));
  if (wrongModel !== undefined) {
    const hint = wrongModel === 'trees' ? ' (boosting: --max-iter)' : '';
    throw new UsageError(model === 'boosting' ? `--${wrongModel} does not apply to --model boosting${hint}` : `--${wrongModel} needs --model boosting`);
  }
  const loss = single('loss');
  if (loss !== undefined && !(REGRESSION_LOSSES as readonly string[]).includes(loss)) throw new UsageError(`--loss must be ${REGRESSION_LOSSES.join(' or ')}, got ${JSON.stringify(loss)}`);
  if (loss !== undefined && task === 'classification') throw new UsageError('--loss applies to regression (classification boosting uses log loss)');
  const earlyStopping = single('early-stopping');
  if (earlyStopping !== undefined && !['auto', 'on', 'off'].includes(earlyStopping)) throw new UsageError(`--early-stopping must be auto, on or off, got ${JSON.stringify(earlyStopping)}`);
  const positive = (flag: string, max: number): number | undefined => {
    const text = single(flag);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!(text.trim() !== '' && value > 0 && value <= max)) throw new UsageError(`--${flag} must be a number in (0, ${max}], got ${JSON.stringify(text)}`);
    return value;
  };
  const l2Text = single('l2');
  const l2 = l2Text === undefined ? undefined : Number(l2Text);
  if (l2 !== undefined && !(l2Text!.trim() !== '' && Number.isFinite(l2) && l2 >= 0)) throw new UsageError(`--l2 must be a number >= 0, got ${JSON.stringify(l2Text)}`);
  const maxLeafNodes = integer('max-leaf-nodes', 0);
  if (maxLeafNodes === 1) throw new UsageError('--max-leaf-nodes must be 0 (unlimited) or at least 2, got 1');
  const method = single('method');
  if (method !== undefined && !(ANOMALY_METHODS as readonly string[]).includes(method)) {
    throw new UsageError(`--method must be ${ANOMALY_METHODS.join(' or ')}, got ${JSON.stringify(method)}`);
  }
  if (method === 'robust-z') {
    const forestFlag = ['trees', 'sample-size'].find((flag) => flags.has(flag));
    if (forestFlag !== undefined) throw new UsageError(`--${forestFlag} does not apply to --method robust-z`);
  }
  const fraction = (flag: string, low: number, high: number, highIncluded: boolean): number | undefined => {
    const text = single(flag);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!(text.trim() !== '' && value >= low && (highIncluded ? value <= high : value < high))) {
      throw new UsageError(`--${flag} must be in [${low}, ${high}${highIncluded ? ']' : ')'}, got ${JSON.stringify(text)}`);
    }
    return value;
  };
  const contamination = fraction('contamination', 0, 0.5, false);
  const threshold = fraction('threshold', 0, 1, true);
  if (contamination !== undefined && threshold !== undefined) throw new UsageError('use either --contamination or --threshold');
  const minGainText = single('min-gain');
  const minGain = minGainText === undefined ? undefined : Number(minGainText);
  if (minGain !== undefined && !(minGainText!.trim() !== '' && Number.isFinite(minGain) && minGain >= 0)) {
    throw new UsageError(`--min-gain must be a number >= 0, got ${JSON.stringify(minGainText)}`);
  }
  const criterion = single('criterion');
  if (criterion !== undefined && criterion !== 'gini' && criterion !== 'entropy') {
    throw new UsageError(`--criterion must be gini or entropy, got ${JSON.stringify(criterion)}`);
  }
  const maxFeaturesText = single('max-features');
  let maxFeatures: MaxFeatures | undefined;
  if (maxFeaturesText !== undefined) {
    const named = ['sqrt', 'log2', 'third', 'all'] as const;
    const asNumber = Number(maxFeaturesText);
    if ((named as readonly string[]).includes(maxFeaturesText)) maxFeatures = maxFeaturesText as MaxFeatures;
    else if (asNumber > 0 && (asNumber < 1 || Number.isInteger(asNumber))) maxFeatures = asNumber;
    else throw new UsageError(`--max-features must be sqrt, log2, third, all, a count or a fraction, got ${JSON.stringify(maxFeaturesText)}`);
  }
  const testFractionText = single('test-fraction');
  let testFraction: number | undefined;
  if (testFractionText !== undefined) {
    testFraction = Number(testFractionText);
    if (!(testFraction >= 0 && testFraction < 1)) {
      throw new UsageError(`--test-fraction must be in [0, 1), got ${JSON.stringify(testFractionText)}`);
    }
  }
  const folds = integer('folds', 2);
  if (folds !== undefined && testFraction !== undefined) throw new UsageError('use either --test-fraction or --folds');
  const horizon = horizonOf(flags.get('horizon'), { anomaly: isAnomaly, window: flags.has('window'), folds: folds !== undefined });
  const changeFrom = single('change-from');
  if (changeFrom !== undefined) {
    if (horizon === undefined) throw new UsageError('--change-from needs --horizon: it makes a forecast learn the change from the window\'s value');
    if (task === 'classification') throw new UsageError('--change-from applies to regression forecasts, not --task classification');
    if (changeFrom.trim() === '') throw new UsageError('--change-from must name a feature (e.g. co2.last) or be none');
  }
  const seedText = single('seed');
  const seed = seedText === undefined ? undefined : Number(seedText);
  if (seed !== undefined && !Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, got ${JSON.stringify(seedText)}`);
  return {
    data: flags.required('data'),
    label: isAnomaly ? single('label') : flags.required('label'),
    out: flags.required('out'),
    task,
    // --trees or --sample-size without --method can only mean the isolation forest.
    method: (method ?? (isAnomaly && (flags.has('trees') || flags.has('sample-size')) ? 'isolation-forest' : undefined)) as AnomalyMethod | undefined,
    contamination,
    threshold,
    sampleSize: integer('sample-size', 2),
    window: single('window'),
    horizon,
    changeFrom,
    trees: integer('trees', 1),
    maxDepth: integer('max-depth', 0),
    minSamplesLeaf: integer('min-samples-leaf', 1),
    minGain,
    maxFeatures,
    criterion,
    maxBins: maxBinsOf(integer('max-bins', 2)),
    model: model as ModelKind,
    learningRate: positive('learning-rate', 10),
    maxIter: integer('max-iter', 1),
    maxLeafNodes,
    l2,
    loss: loss as RegressionLoss | undefined,
    earlyStopping: earlyStopping as TrainArguments['earlyStopping'],
    tune: tuneOf(flags.switch('tune'), single('tune-budget'), { minGain: flags.has('min-gain'), minSamplesLeaf: flags.has('min-samples-leaf'), maxFeatures: flags.has('max-features') }),
    seed,
    testFraction,
    folds,
    split: splitOf(single('split'), flags.has('horizon')),
    refit: !flags.switch('no-refit'),
    ignore: flags.list('ignore'),
    name: single('name'),
    version: single('version'),
  };
}

/** `--tune [--tune-budget S]`: the budget, and which settings were given (those are kept). */
function tuneOf(asked: boolean, budgetText: string | undefined, given: Record<'minGain' | 'minSamplesLeaf' | 'maxFeatures', boolean>): TrainArguments['tune'] {
  if (!asked) {
    if (budgetText !== undefined) throw new UsageError('--tune-budget needs --tune');
    return undefined;
  }
  const budgetSeconds = budgetText === undefined ? DEFAULT_TUNE_BUDGET_S : Number(budgetText);
  if (!(budgetText === undefined || (budgetText.trim() !== '' && Number.isFinite(budgetSeconds) && budgetSeconds > 0))) {
    throw new UsageError(`--tune-budget must be a number of seconds above 0, got ${JSON.stringify(budgetText)}`);
  }
  const fixed = (Object.keys(given) as Array<keyof typeof given>).filter((name) => given[name]);
  if (fixed.length === 3) throw new UsageError('--tune has nothing to choose: --min-gain, --min-samples-leaf and --max-features are all given');
  return { budgetSeconds, fixed };
}

/** `--max-bins`: 2..65,535 value bins per feature. */
function maxBinsOf(value: number | undefined): number | undefined {
  if (value !== undefined && value > 65535) throw new UsageError(`--max-bins must be an integer in [2, 65535], got ${value}`);
  return value;
}

/** `--split`: time or random; forecasts are always tested on their newest windows. */
function splitOf(text: string | undefined, forecast: boolean): 'time' | 'random' | undefined {
  if (text === undefined) return undefined;
  if (text !== 'time' && text !== 'random') throw new UsageError(`--split must be time or random, got ${JSON.stringify(text)}`);
  if (forecast) throw new UsageError('--split does not apply to --horizon: a forecast is always tested on the newest windows');
  return text;
}

/** `--horizon H` in ms, or undefined when not given; a UsageError where it cannot apply. */
function horizonOf(text: string | undefined, context: { anomaly: boolean; window: boolean; folds: boolean }): number | undefined {
  if (text === undefined) return undefined;
  if (context.anomaly) throw new UsageError('--horizon does not apply to --task anomaly');
  if (!context.window) {
    throw new UsageError('--horizon needs --window WINDOW.json: a forecast is learnt from readings (deviceId,ts,...), each window labelled by the label column H after its end');
  }
  if (context.folds) throw new UsageError('--folds does not apply to --horizon: a forecast is tested on the newest windows (--test-fraction), as random folds of overlapping windows would see the future');
  const parsed = parseHorizon(text);
  if (!parsed.ok) throw new UsageError(`--${parsed.error}`);
  return parsed.ms;
}

/** Where the report goes: MODEL.json → MODEL.report.html. */
export function reportPathFor(modelPath: string): string {
  return modelPath.toLowerCase().endsWith('.json') ? `${modelPath.slice(0, -5)}.report.html` : `${modelPath}.report.html`;
}

export async function runTrain(argv: string[], io: CliIO, options: TrainCommandOptions = {}): Promise<number> {
  const args = readCommandLine('train', TRAIN_USAGE, io, () => parseArguments(argv));
  if (typeof args === 'number') return args;
  if (args.window !== undefined && options.windowExamples === undefined) {
    io.stderr.write('iot-ai train: --window is not available in this build\n');
    return 2;
  }
  if (args.horizon !== undefined && options.forecastExamples === undefined) {
    io.stderr.write('iot-ai train: --horizon is not available in this build\n');
    return 2;
  }
  const fail = (message: string): number => {
    io.stderr.write(`iot-ai train: ${message}\n`);
    return 1;
  };

  let bytes: Buffer;
  try {
    bytes = await readFile(args.data);
  } catch (err) {
    return fail(`cannot read ${args.data}: ${(err as Error).message}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fail(`${args.data} is not UTF-8 text`);
  }
  // Exports of model-train escape formula-like cells for spreadsheets; read them back as they were.
  const parsed = parseCsv(text, { formulaEscape: true });
  if (!parsed.ok) return fail(`${args.data}: ${formatCsvProblem(parsed.error)}`);
  if (args.task === 'anomaly') return runAnomaly(args, bytes, parsed.table, io, options);
  const label = args.label as string;

  let result: ExamplesResult;
  /** The examples' time (and device), for the time-ordered split; undefined when the rows carry none. */
  let timeLine: TimeLine | undefined;
  let trainingWindow: TrainingWindowConfig | undefined;
  let forecast: ForecastOptions | undefined;
  let leftOut = 0;
  /** Change forecasts: windows left out for want of a value of the feature the change is added to. */
  let withoutBase = 0;
  if (args.horizon !== undefined && options.forecastExamples !== undefined) {
    const read = await readPropertiesFile(args.window as string);
    if (!read.ok) return fail(read.error);
    const horizon = args.horizon;
    const windowed = options.forecastExamples({ table: parsed.table, windowConfig: read.config, label, ignore: args.ignore, horizon });
    if (!windowed.ok) return fail(`${args.data}: ${windowed.error}`);
    trainingWindow = trainingWindowOf(read.config);
    leftOut = windowed.unlabelled;
    result = examplesFromValues(windowed.featureNames, windowed.rows, windowed.labels, args.task);
    const changeFrom = result.ok ? changeFeature(args, result.examples.task, windowed.featureNames) : { ok: true as const, feature: undefined };
    if (!changeFrom.ok) return fail(changeFrom.error);
    let { rows, labels, persistence, dayBefore } = windowed;
    if (changeFrom.feature !== undefined) {
      // A change needs the value it is added to: windows where that feature is missing are left out, and counted.
      const f = windowed.featureNames.indexOf(changeFrom.feature);
      const keep = rows.flatMap((row, i) => (Number.isFinite(row[f]) ? [i] : []));
      withoutBase = rows.length - keep.length;
      if (keep.length === 0) return fail(`${args.data}: no window has a value of ${changeFrom.feature} (--change-from) to add a change to`);
      [rows, labels, persistence, dayBefore] = [keep.map((i) => rows[i]), keep.map((i) => labels[i]), keep.map((i) => persistence[i]), keep.map((i) => dayBefore[i])];
      result = examplesFromValues(windowed.featureNames, rows, labels, 'regression');
    }
    forecast = { horizon, persistence, dayBefore, ...(changeFrom.feature !== undefined ? { changeFrom: changeFrom.feature } : {}) };
  } else if (args.window !== undefined && options.windowExamples !== undefined) {
    const windowed = await windowedExamples(args, options.windowExamples, { table: parsed.table, label, ignore: args.ignore });
    if (!windowed.ok) return fail(windowed.error);
    trainingWindow = windowed.trainingWindow;
    result = examplesFromValues(windowed.featureNames, windowed.rows, windowed.labels, args.task);
    if (windowed.time !== undefined) timeLine = { time: windowed.time, device: windowed.device, gap: windowed.gap ?? 0 };
  } else {
    result = examplesFromTable(parsed.table, { label, ignore: args.ignore, task: args.task });
    timeLine = tableTimeLine(parsed.table);
  }
  if (!result.ok) {
    const error = result.error;
    return fail(`${args.data}: ${'line' in error ? formatCsvProblem(error) : error.message}`);
  }
  const examples = result.examples;
  if (examples.task === 'classification') {
    // The same rule as model-train's, before any tree is grown.
    const counts = new Array<number>(examples.labels?.length ?? 0).fill(0);
    for (const code of examples.target) counts[code]++;
    const learnable = checkLabelCounts(counts);
    if (!learnable.ok) return fail(`${args.data}: label column ${JSON.stringify(label)}: ${learnable.message}`);
  }
  if (args.folds !== undefined && args.folds > examples.rows.length) {
    return fail(`--folds ${args.folds} is more than the ${examples.rows.length} examples`);
  }
  if (args.split === 'time' && timeLine === undefined && forecast === undefined) {
    return fail(`--split time needs rows that carry time: --window, or a ts column (epoch seconds, epoch ms or ISO 8601) in every row`);
  }
  const timeOrdered = forecast === undefined && timeLine !== undefined && args.split !== 'random';

  const forest: Omit<ForestOptions, 'task' | 'nClasses'> = {
    nTrees: args.trees,
    maxDepth: args.maxDepth,
    minSamplesLeaf: args.minSamplesLeaf,
    minGain: args.minGain,
    maxFeatures: args.maxFeatures,
    criterion: examples.task === 'classification' ? args.criterion : undefined,
    maxBins: args.maxBins,
    seed: args.seed,
  };
  const boosting: BoostingSettings | undefined = args.model !== 'boosting' ? undefined : {
    learningRate: args.learningRate,
    maxIter: args.maxIter,
    ...(args.maxLeafNodes !== undefined ? { maxLeafNodes: args.maxLeafNodes === 0 ? null : args.maxLeafNodes } : {}),
    maxDepth: args.maxDepth,
    minSamplesLeaf: args.minSamplesLeaf,
    l2: args.l2,
    loss: examples.task === 'regression' ? args.loss : undefined,
    maxBins: args.maxBins,
    earlyStopping: args.earlyStopping,
  };
  if (boosting !== undefined && args.loss !== undefined && examples.task !== 'regression') return fail(`--loss applies to regression; label ${JSON.stringify(label)} makes a classification`);
  const progress = progressReporter(io.stderr, boosting !== undefined ? 'iterations' : 'trees');
  let trained: Awaited<ReturnType<typeof trainModel>>;
  try {
    trained = await trainModel(examples, {
      name: args.name ?? path.basename(args.out).replace(/\.json$/i, ''),
      version: args.version,
      createdAt: (options.now ?? (() => new Date()))(),
      forest,
      ...(boosting !== undefined ? { model: 'boosting' as const, boosting } : {}),
      // Forecasts hold out the newest windows: neighbours overlap, and a random share would test on the past's future.
      ...(forecast !== undefined
        ? { forecast, holdoutNewest: Math.round((args.testFraction ?? 0.2) * examples.rows.length) }
        : {
            testFraction: args.testFraction,
            folds: args.folds,
            refit: args.refit,
            ...(timeOrdered ? { timeLine, compareRandomSplit: true } : { split: 'random' as const }),
          }),
      ...(args.tune !== undefined ? { tune: args.tune } : {}),
      dataHash: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      onProgress: progress,
    });
  } catch (err) {
    return fail(`training failed: ${(err as Error).message}`);
  }

  if (trainingWindow !== undefined) trained.model.window = trainingWindow;
  const shap = shapImportance(trained.model, examples, trained.evaluatedRows);
  const written = await writeModelAndReport(
    args.out,
    { model: trained.model, metrics: trained.metrics, evaluated: trained.evaluated, dataFile: args.data, ...(shap !== undefined ? { shap } : {}) },
    args.version !== undefined,
  );
  if ('error' in written) return fail(written.error);
  io.stdout.write(summary(examples, trained.metrics, trained.model.params ?? {}));
  if (trained.metrics.tuning !== undefined) io.stdout.write(`${tuningLine(trained.metrics.tuning)}\n`);
  const leakage = leakageWarning(trained.metrics);
  if (leakage !== undefined) io.stdout.write(`Warning: ${leakage}.\n`);
  if (forecast !== undefined) io.stdout.write(forecastSummary(trained.metrics, leftOut, withoutBase));
  io.stdout.write(`Wrote ${args.out} and ${reportPathFor(args.out)}${written.note}\n`);
  return 0;
}

/**
 * Rows explained for the report's global SHAP importance: each is a walk of every path of every tree
 * (`visitsPerRow`), so at most 200 and at most what 5e7 node visits allow (about a second), but at least 10.
 * A 100-tree classifier of 20,000 rows costs about 3e6 visits a row: 17 rows.
 */
const SHAP_ROWS = { most: 200, least: 10, visits: 5e7 };

/**
 * Global importance from SHAP (docs/explanations.md): each feature's mean |contribution| over the evaluated rows
 * (held-out or out-of-fold; the training rows when none were held out), for classification to the predicted class's
 * vote share. Undefined when the forest cannot be explained.
 */
function shapImportance(model: TrainReportInput['model'], examples: Examples, evaluatedRows: Int32Array | null): TrainReportInput['shap'] {
  const explainer = explainerFor(model.forest);
  if (!explainer.ok || examples.rows.length === 0) return undefined;
  const rows = evaluatedRows === null ? examples.rows : Array.from(evaluatedRows, (i) => examples.rows[i]);
  const compiled = examples.task === 'classification' ? new CompiledForest(model.forest as TreeForest) : undefined;
  const classOf = compiled === undefined ? undefined : (row: ArrayLike<number>): number => compiled.predictClass(Float64Array.from(row));
  const maxRows = Math.max(SHAP_ROWS.least, Math.min(SHAP_ROWS.most, Math.floor(SHAP_ROWS.visits / Math.max(1, explainer.explainer.visitsPerRow))));
  const values = meanAbsoluteShap(explainer.explainer, rows, classOf, maxRows);
  const importances: Record<string, number> = {};
  examples.featureNames.forEach((name, f) => (importances[name] = values[f]));
  return { importances, rows: Math.min(rows.length, maxRows), of: evaluatedRows === null ? 'training' : 'evaluated' };
}

/**
 * `--change-from` as it applies to this label: the feature a regression forecast learns the change from (the
 * default `<label>.last` when the windows have it), none for the level, or an error a user can act on.
 */
function changeFeature(args: Pick<TrainArguments, 'changeFrom' | 'label'>, task: Task, featureNames: readonly string[]): { ok: true; feature: string | undefined } | { ok: false; error: string } {
  const asked = args.changeFrom;
  if (task !== 'regression') {
    return asked === undefined || asked === 'none' ? { ok: true, feature: undefined } : { ok: false, error: `--change-from applies to regression forecasts; label ${JSON.stringify(args.label)} makes a classification` };
  }
  if (asked === 'none') return { ok: true, feature: undefined };
  if (asked === undefined) {
    const last = `${args.label}.last`;
    return { ok: true, feature: featureNames.includes(last) ? last : undefined };
  }
  if (!featureNames.includes(asked)) return { ok: false, error: `--change-from ${asked} is not a feature of the windows (they have ${featureNames.join(', ')})` };
  return { ok: true, feature: asked };
}

/** What --horizon adds on stdout: the model against persistence and 24 hours earlier, with skill scores. */
function forecastSummary(metrics: ModelMetrics, leftOut: number, withoutBase: number): string {
  const lines = [`Forecast ${formatDuration(metrics.horizon ?? 0)} ahead${leftOut > 0 ? ` (${leftOut === 1 ? '1 window without a row within the horizon was' : `${leftOut} windows without a row within the horizon were`} left out)` : ''}:`];
  if (metrics.changeFrom !== undefined) {
    const missing = withoutBase > 0 ? `; ${withoutBase === 1 ? '1 window without it was' : `${withoutBase} windows without it were`} left out` : '';
    lines.push(`  learnt the change from ${metrics.changeFrom}: each forecast is ${metrics.changeFrom} + the forest's change (--change-from none learns the level)${missing}`);
  }
  const skill = metrics.skill;
  if (skill === undefined) {
    const interval = metrics.task === 'regression' ? ', and the interval is the trees\' [p10, p90], uncalibrated' : '';
    lines.push(`  no rows were held out (--test-fraction 0, or too few windows): no comparison with persistence${interval}`);
    return `${lines.join('\n')}\n`;
  }
  for (const line of forecastLines(skill, metrics)) lines.push(`  ${line}`);
  return `${lines.join('\n')}\n`;
}

/** The comparison as lines of text (stdout; the report has its own table). */
export function forecastLines(skill: ForecastSkill, metrics: Pick<ModelMetrics, 'intervalCoverage' | 'interval'> = {}): string[] {
  const regression = skill.task === 'regression';
  const measure = regression ? 'MAE' : 'accuracy';
  const f = (value: number | undefined): string => (value === undefined ? '–' : value.toFixed(4));
  const lines = [`${'model'.padEnd(17)} ${measure} ${f(regression ? skill.mae : skill.accuracy)} (${skill.rows} held-out windows)`];
  const reference = (name: string, comparison: ReferenceComparison | undefined): void => {
    if (comparison === undefined) {
      lines.push(`${name.padEnd(17)} no reference value for any held-out window`);
      return;
    }
    const own = regression ? comparison.mae : comparison.accuracy;
    const model = regression ? comparison.modelMae : comparison.modelAccuracy;
    const score = comparison.skill === null ? 'none (the reference is perfect)' : comparison.skill.toFixed(4);
    lines.push(`${name.padEnd(17)} ${measure} ${f(own)} (model ${f(model)} on the same ${comparison.rows} windows), skill ${score}`);
  };
  reference('persistence', skill.persistence);
  reference('24 hours earlier', skill.dayBefore);
  const interval = intervalLine(metrics);
  if (interval !== undefined) lines.push(interval);
  return lines;
}

/** A horizon in ms as people read it: 900000 → "15 min (900000 ms)". */
export function formatDuration(ms: number): string {
  const units: Array<[string, number]> = [['h', 3_600_000], ['min', 60_000], ['s', 1000]];
  const unit = units.find(([, size]) => ms >= size && ms % size === 0);
  return unit === undefined ? `${ms} ms` : `${ms / unit[1]} ${unit[0]} (${ms} ms)`;
}

/** `--task anomaly`: rows (or windows) without labels; a label column is ground truth for evaluation only. */
async function runAnomaly(args: TrainArguments, bytes: Buffer, table: CsvTable, io: CliIO, options: TrainCommandOptions): Promise<number> {
  const fail = (message: string): number => {
    io.stderr.write(`iot-ai train: ${message}\n`);
    return 1;
  };
  let data: AnomalyData;
  let trainingWindow: TrainingWindowConfig | undefined;
  if (args.window !== undefined && options.windowExamples !== undefined) {
    const windowed = await windowedExamples(args, options.windowExamples, { table, label: args.label ?? '', ignore: args.ignore });
    if (!windowed.ok) return fail(windowed.error);
    trainingWindow = windowed.trainingWindow;
    data = {
      featureNames: windowed.featureNames,
      rows: windowed.rows,
      ...(args.label !== undefined ? { truth: Uint8Array.from(windowed.labels, anomalyTruth) } : {}),
    };
  } else {
    const read = anomalyDataFromTable(table, { label: args.label, ignore: args.ignore });
    if (!read.ok) return fail(`${args.data}: ${'line' in read.error ? formatCsvProblem(read.error) : read.error.message}`);
    data = read.data;
  }
  if (data.rows.length < 2) return fail(`${args.data}: an anomaly model needs at least 2 rows, found ${data.rows.length}`);

  let trained: Awaited<ReturnType<typeof trainAnomalyModel>>;
  try {
    trained = await trainAnomalyModel(data, {
      name: args.name ?? path.basename(args.out).replace(/\.json$/i, ''),
      version: args.version,
      createdAt: (options.now ?? (() => new Date()))(),
      method: args.method,
      contamination: args.contamination,
      threshold: args.threshold,
      isolationForest: { nTrees: args.trees, sampleSize: args.sampleSize },
      seed: args.seed,
      testFraction: args.testFraction,
      dataHash: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      onProgress: progressReporter(io.stderr),
    });
  } catch (err) {
    return fail(`training failed: ${(err as Error).message}`);
  }
  if (trainingWindow !== undefined) trained.model.window = trainingWindow;
  const written = await writeModelAndReport(args.out, {
    model: trained.model,
    metrics: trained.metrics,
    evaluated: null,
    anomalyScores: trained.scores,
    dataFile: args.data,
  }, args.version !== undefined);
  if ('error' in written) return fail(written.error);
  io.stdout.write(anomalySummary(data, trained.metrics, trained.model.params ?? {}));
  io.stdout.write(`Wrote ${args.out} and ${reportPathFor(args.out)}${written.note}\n`);
  return 0;
}

/** Reads WINDOW.json and windows the table through the hook; errors come ready to print. */
async function windowedExamples(
  args: Pick<TrainArguments, 'data' | 'window'>,
  hook: WindowExamplesHook,
  input: Omit<Parameters<WindowExamplesHook>[0], 'windowConfig'>,
): Promise<(ReturnType<WindowExamplesHook> & { ok: false }) | (ReturnType<WindowExamplesHook> & { ok: true; trainingWindow?: TrainingWindowConfig })> {
  const read = await readPropertiesFile(args.window as string);
  if (!read.ok) return read;
  const windowConfig = read.config;
  const windowed = hook({ ...input, windowConfig });
  // The model file keeps the window (docs/model-format.md#the-training-window): the editor sets a feature-window up from it.
  return windowed.ok ? { ...windowed, trainingWindow: trainingWindowOf(windowConfig) } : { ok: false, error: `${args.data}: ${windowed.error}` };
}

/**
 * Writes MODEL.json (under the model file's lock, which model-train takes too) and its report. A file model-train
 * keeps versions of (a `.MODEL.versions` folder beside it) is published through that archive: the model it
 * replaces is archived, and the new one gets the next free version (or `--version`, refused if it names another model).
 */
async function writeModelAndReport(out: string, report: TrainReportInput, fixedVersion: boolean): Promise<{ note: string } | { error: string }> {
  const modelFile = path.resolve(out);
  let note = '';
  try {
    // Through the model file's one door (core/model/file/model-home.ts), as the nodes write: the same names, the same
    // lock, and the same refusal of a model ml-model would not load.
    const home = new ModelHome({ file: modelFile });
    if (await isFolder(home.names.versions)) {
      const outcome = await home.versions(Infinity).publish(report.model, { keepVersion: fixedVersion });
      if (!outcome.ok) return { error: `cannot replace the live model ${out}: ${outcome.message}` };
      report = { ...report, model: outcome.model };
      note = ` (version ${outcome.model.version}${outcome.replaced !== undefined ? `; ${outcome.replaced} is kept in ${path.basename(home.names.versions)}` : ''})`;
    } else await withFileLock(home.names.lock, () => home.write(report.model));
    await writeFileAtomic(reportPathFor(out), renderTrainReport(report));
    return { note };
  } catch (err) {
    return { error: `cannot write the model: ${(err as Error).message}` };
  }
}

async function isFolder(folder: string): Promise<boolean> {
  return stat(folder).then((info) => info.isDirectory(), () => false);
}

function anomalySummary(data: AnomalyData, metrics: AnomalyMetrics, params: Record<string, unknown>): string {
  const f = (value: number): string => value.toFixed(4);
  const percent = (value: number): string => `${(value * 100).toFixed(1)}%`;
  const how = metrics.method === 'isolation-forest' ? `isolation forest: ${params.nTrees} trees of ${params.subsampleSize} rows` : 'robust z-scores: median and MAD/IQR per feature';
  const lines = [
    `Trained an anomaly model (${how}), ${data.featureNames.length} features, ${metrics.trainRows} training rows.`,
    metrics.contamination !== undefined
      ? `Threshold ${f(metrics.threshold)} (contamination ${metrics.contamination}: ${percent(metrics.flaggedShare)} of training rows above it).`
      : `Threshold ${f(metrics.threshold)} (given: ${percent(metrics.flaggedShare)} of training rows above it).`,
  ];
  if ('detectionRate' in metrics) {
    const where = metrics.evaluation === 'holdout' ? 'Held-out' : 'Training-row';
    lines.push(
      `${where} detection (${metrics.rows} rows, ${metrics.anomalies} anomalies):`,
      `  detection rate    ${f(metrics.detectionRate)}`,
      `  false-alarm rate  ${f(metrics.falseAlarmRate)}`,
      `  precision         ${f(metrics.precision)}`,
    );
    if (metrics.rocAuc !== undefined) lines.push(`  ROC AUC           ${f(metrics.rocAuc)}`);
  } else {
    lines.push('No ground truth (--label): detection was not measured.');
  }
  return `${lines.join('\n')}\n`;
}

/** Progress on stderr: a self-updating line on a terminal, a line per quarter otherwise. */
function progressReporter(stderr: CliIO['stderr'], unit: 'trees' | 'iterations' = 'trees'): (done: number, total: number) => void {
  let lastQuarter = 0;
  return (done, total) => {
    if (stderr.isTTY === true) {
      stderr.write(`\rtraining: ${done}/${total} ${unit}`);
      if (done === total) stderr.write('\n');
      return;
    }
    const quarter = Math.floor((done * 4) / total);
    if (quarter > lastQuarter) {
      lastQuarter = quarter;
      stderr.write(`training: ${done}/${total} ${unit}\n`);
    }
  };
}

function summary(examples: Examples, metrics: ModelMetrics, params: Record<string, unknown>): string {
  const lines: string[] = [];
  const classes = examples.labels ? `, ${examples.labels.length} classes` : '';
  const what = params.model === 'boosting' ? `gradient-boosted model: ${boostingText(params)}` : `forest: ${params.nTrees as number} trees`;
  lines.push(`Trained a ${examples.task} ${what}, ${examples.featureNames.length} features${classes}, ${metrics.trainRows} training rows.`);
  const f = (value: number): string => value.toFixed(4);
  if (metrics.refit === true) lines.push(`The saved model was trained again on all ${metrics.trainRows} rows after the hold-out measured it (${metrics.heldOutTrainRows} training rows); --no-refit keeps the measured one.`);
  if (metrics.evaluation === 'holdout') lines.push(`Held-out metrics (${metrics.split === 'newest' ? 'the newest ' : ''}${metrics.rows} rows${splitText(metrics)}):`);
  else if (metrics.evaluation === 'cross-validation') lines.push(`${metrics.folds}-fold cross-validation (${metrics.rows} rows, out-of-fold${splitText(metrics)}):`);
  else lines.push('No rows held out: the out-of-bag estimate is the only measure.');
  if ('accuracy' in metrics) {
    lines.push(`  accuracy  ${f(metrics.accuracy)}`, `  macro F1  ${f(metrics.macroF1)}`);
    const width = Math.max(5, ...metrics.perClass.map((c) => c.label.length));
    lines.push(`  ${'class'.padEnd(width)}  precision  recall  F1      support`);
    for (const c of metrics.perClass) {
      lines.push(`  ${c.label.padEnd(width)}  ${f(c.precision)}     ${f(c.recall)}  ${f(c.f1)}  ${c.support}`);
    }
  }
  if ('mae' in metrics) lines.push(`  MAE   ${f(metrics.mae)}`, `  RMSE  ${f(metrics.rmse)}`, `  R²    ${f(metrics.r2)}`);
  if (metrics.foldScores !== undefined) lines.push(`  per fold: ${metrics.foldScores.map((s) => s.toFixed(3)).join(' ')}`);
  if (metrics.oob?.accuracy !== undefined) lines.push(`Out-of-bag accuracy: ${f(metrics.oob.accuracy)} (${metrics.oob.rows} rows)`);
  if (metrics.oob?.r2 !== undefined) lines.push(`Out-of-bag R²: ${f(metrics.oob.r2)} (${metrics.oob.rows} rows)`);
  return `${lines.join('\n')}\n`;
}

/** How the rows were held out, for the metrics line. */
function splitText(metrics: ModelMetrics): string {
  if (metrics.split === 'time') {
    const gap = metrics.gap !== undefined && metrics.gap > 0 ? `, ${metrics.gapRows} rows within ${metrics.gap} ms of the cut left out` : '';
    return metrics.evaluation === 'cross-validation' ? `; contiguous time blocks per device${gap}` : `; the newest of each device's time line${gap}`;
  }
  if (metrics.split === 'random') return metrics.evaluation === 'cross-validation' ? '; random folds' : '; a random share';
  return '';
}

/**
 * The rows' time line when every row has a readable `ts` (epoch seconds, epoch ms or ISO 8601, as sensor-ingest
 * reads it), with its `deviceId` when there is that column; undefined otherwise.
 */
function tableTimeLine(table: CsvTable): TimeLine | undefined {
  const tsColumn = table.header.indexOf('ts');
  if (tsColumn === -1 || table.rows.length === 0) return undefined;
  const deviceColumn = table.header.indexOf('deviceId');
  const time: number[] = [];
  for (const record of table.rows) {
    const ts = normaliseTimestamp(record[tsColumn].trim());
    if (ts === undefined) return undefined;
    time.push(ts);
  }
  return { time, ...(deviceColumn >= 0 ? { device: table.rows.map((record) => record[deviceColumn].trim()) } : {}), gap: 0 };
}
