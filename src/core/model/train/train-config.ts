/**
 * model-train's settings from its saved config: numbers within their bounds, choices among theirs, and the
 * products ml-model could not load refused (#27.6). Pure: the node adds what only the runtime knows (whether its
 * ml-model config exists and may be written).
 */
import type { ConfigResult } from '../../util/config';
import { readNumberOption } from '../../util/numbers';
import { parseHorizon } from '../data/horizon';
import { MODEL_BOUNDS } from '../file/bounds';
import { MAX_DEVICE_PARTS } from '../file/schema';
import { ANOMALY_METHODS, type AnomalyMethod } from '../monitor/anomaly';
import { PROMOTE_MODES, type PromoteMode } from './promotion';
import { ANOMALY_MIN_ROWS } from './train-anomaly';
import { FEEDBACK_DEFAULTS } from './feedback';

export const TRAIN_TASKS = ['classification', 'regression', 'anomaly'] as const;
/** The learners: a random forest (votes of deep trees on bootstrap samples) or histogram gradient boosting. */
export const MODEL_KINDS = ['forest', 'boosting'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];
export type TrainTask = (typeof TRAIN_TASKS)[number];
/** How an anomaly baseline follows the data (`update`), and whose it is (`scope`); the first is the default. */
export const TRAIN_UPDATES = ['frozen', 'rolling'] as const;
export const TRAIN_SCOPES = ['shared', 'device'] as const;

export interface TrainSettings {
  task: TrainTask;
  /** The name of the models written; empty: the live model's (or `model`). */
  modelName: string;
  /** Labelled tasks: retrain after this many new windows (0: only on msg.train). Anomaly: the rolling interval. */
  every: number;
  maxSamples: number;
  /** MiB the collected windows may take. */
  maxMemory: number;
  trees: number;
  /** 0: unbounded. */
  maxDepth: number;
  seed: number;
  testFraction: number;
  keepVersions: number;
  promote: PromoteMode;
  /** Where msg.export writes when it names no file. */
  exportPath: string;
  warmup: number;
  update: 'frozen' | 'rolling';
  adaptAfter: number;
  scope: 'shared' | 'device';
  maxDevices: number;
  method: AnomalyMethod | 'auto';
  contamination: number;
  /** A fixed anomaly threshold, or undefined (it then comes from the contamination). */
  threshold: number | undefined;
  /** Live forecasts (labelled tasks): the horizon in ms, or undefined (off: windows carry their labels). */
  horizon: number | undefined;
  /** Live forecasts: the sensor whose future value labels a window ('' : label events only). */
  target: string;
  /** Labelled tasks: choose minGain, minSamplesLeaf and maxFeatures by validation at each training (tune.ts). */
  tune: boolean;
  /** Feedback events (actuator-command output 3) as labels: look-back (ms), weight, cap per device and day, field (feedback.ts). */
  feedbackLookback: number;
  feedbackWeight: number;
  feedbackCap: number;
  feedbackField: string;
  /** Kept agreements (actuator-command `keptAfter`, source `kept`) as weak labels: their weight, 0 (ignored) to 100, fractions allowed. */
  keptWeight: number;
  /**
   * Labelled tasks: `forest` (a random forest of `trees` trees) or `boosting` (gradient-boosted trees: up to 100
   * iterations, early stopping on the newest training windows from 10,000 of them). The config property is
   * `learner`, as `model` names the node's ml-model config.
   */
  learner: ModelKind;
}

/** `horizon` and `target`: blank horizon is off; a target needs a horizon; the name is a sensor name. */
function readForecast(def: Record<string, unknown>): { horizon: number | undefined; target: string } | { error: string } {
  const target = typeof def.target === 'string' ? def.target.trim() : def.target === undefined || def.target === null ? '' : undefined;
  if (target === undefined) return { error: `target must be a sensor name; got ${JSON.stringify(def.target)}` };
  if (target.length > 1024) return { error: 'target must be a sensor name of at most 1,024 characters' };
  const raw = def.horizon;
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    return target === '' ? { horizon: undefined, target } : { error: `target "${target}" needs a horizon (how far ahead its value labels a window)` };
  }
  const horizon = parseHorizon(raw);
  return horizon.ok ? { horizon: horizon.ms, target } : { error: horizon.error };
}

/** A config property that must be one of `choices`; absent or blank gives the first. */
function readChoice<T extends string>(raw: unknown, name: string, choices: readonly T[]): { value: T } | { error: string } {
  if (raw === undefined || raw === null || raw === '') return { value: choices[0] };
  return (choices as readonly unknown[]).includes(raw) ? { value: raw as T } : { error: `${name} must be ${choices.join(', ')}; got ${JSON.stringify(raw)}` };
}

/** Products of settings whose model ml-model could not load (#27.6), or undefined. */
function modelSizeProblem(anomaly: boolean, trees: number, maxSamples: number, devices: number): string | undefined {
  if (!anomaly && trees * maxSamples > MODEL_BOUNDS.maxTreesTimesSamples) {
    return `trees × maxSamples is ${trees * maxSamples}, above ${MODEL_BOUNDS.maxTreesTimesSamples}: too large a forest to grow (fewer trees or fewer samples)`;
  }
  if (anomaly && devices > 1 && trees * devices > MODEL_BOUNDS.maxTreesTimesDevices) {
    return `trees × maxDevices is ${trees * devices}, above ${MODEL_BOUNDS.maxTreesTimesDevices}: per-device isolation forests could exceed the ${MODEL_BOUNDS.maxModelNodes} tree nodes a model may hold (fewer trees or fewer devices)`;
  }
  return undefined;
}

/**
 * model-train's numbers: default (undefined: blank, "not set") and bounds, read here and by the editor
 * (IotAiEditor.core.train.numbers), so the two cannot disagree. The anomaly ones are checked only in anomaly mode.
 */
export const TRAIN_NUMBERS = {
  every: { default: 0, bounds: { min: 0, integer: true } },
  maxSamples: { default: 10000, bounds: { min: 10, max: MODEL_BOUNDS.maxSamples, integer: true } },
  trees: { default: 50, bounds: { min: 1, max: 1000, integer: true } },
  maxDepth: { default: 0, bounds: { min: 0, max: MODEL_BOUNDS.maxDepth, integer: true } },
  seed: { default: 1, bounds: { integer: true } },
  testFraction: { default: 0.2, bounds: { min: 0, max: 0.9 } },
  keepVersions: { default: 5, bounds: { min: 0, max: 100, integer: true } },
  maxMemory: { default: 128, bounds: { min: 1, max: 65536, integer: true } },
  warmup: { default: 100, bounds: { min: ANOMALY_MIN_ROWS, integer: true } },
  maxDevices: { default: 100, bounds: { min: 1, max: MAX_DEVICE_PARTS, integer: true } },
  contamination: { default: 0.01, bounds: { min: 0, max: 0.49 } },
  threshold: { default: undefined, bounds: { min: 0, max: 1 } },
  // Absent in flows saved before #25: 100 (a lasting change is adopted; 0 is the old way, flagged for good).
  adaptAfter: { default: 100, bounds: { min: 0, integer: true } },
  // Absent in flows saved before #29: feedback events were refused then; these defaults take them.
  feedbackLookback: { default: FEEDBACK_DEFAULTS.lookback, bounds: { min: 0, max: 7 * 24 * 3600 * 1000 } },
  feedbackWeight: { default: FEEDBACK_DEFAULTS.weight, bounds: { min: 1, max: 100, integer: true } },
  feedbackCap: { default: FEEDBACK_DEFAULTS.cap, bounds: { min: 1, max: 100000, integer: true } },
  keptWeight: { default: FEEDBACK_DEFAULTS.keptWeight, bounds: { min: 0, max: 100 } },
} as const;

/** The settings of a saved (and migrated) model-train config, or the first thing wrong with it. */
export function parseTrainConfig(def: Record<string, unknown>): ConfigResult<TrainSettings> {
  const read = (name: Exclude<keyof typeof TRAIN_NUMBERS, 'threshold'>) => readNumberOption(def[name], name, TRAIN_NUMBERS[name].default, TRAIN_NUMBERS[name].bounds);
  const numbers = {
    every: read('every'),
    maxSamples: read('maxSamples'),
    trees: read('trees'),
    maxDepth: read('maxDepth'),
    seed: read('seed'),
    testFraction: read('testFraction'),
    keepVersions: read('keepVersions'),
    maxMemory: read('maxMemory'),
    feedbackLookback: read('feedbackLookback'),
    feedbackWeight: read('feedbackWeight'),
    feedbackCap: read('feedbackCap'),
    keptWeight: read('keptWeight'),
  };
  const anomalyNumbers = {
    warmup: read('warmup'),
    maxDevices: read('maxDevices'),
    contamination: read('contamination'),
    threshold: readNumberOption(def.threshold, 'threshold', undefined, TRAIN_NUMBERS.threshold.bounds),
    adaptAfter: read('adaptAfter'),
  };
  const choices = {
    task: readChoice<TrainTask>(def.task, 'task', TRAIN_TASKS),
    update: readChoice(def.update, 'update', TRAIN_UPDATES),
    scope: readChoice(def.scope, 'scope', TRAIN_SCOPES),
    method: readChoice<AnomalyMethod | 'auto'>(def.method, 'method', ['auto', ...ANOMALY_METHODS]),
    // Absent in flows saved before the gate: `better` (a worse retrain no longer goes live; `always` is the old way).
    promote: readChoice<PromoteMode>(def.promote, 'promote', PROMOTE_MODES),
    // Absent in flows saved before #21.4: forest.
    learner: readChoice<ModelKind>(def.learner, 'learner', MODEL_KINDS),
  };
  const anomaly = 'value' in choices.task && choices.task.value === 'anomaly';
  // Forecast settings are checked only in the labelled tasks (anomaly mode ignores them).
  const forecast = anomaly ? { horizon: undefined, target: '' } : readForecast(def);
  if ('error' in forecast) return { ok: false, error: forecast.error };
  // Anomaly settings are checked only in anomaly mode (a labelled task ignores them).
  const problems = [...Object.values(numbers), ...Object.values(choices), ...(anomaly ? Object.values(anomalyNumbers) : [])];
  const problem = problems.find((n): n is { error: string } => 'error' in n);
  if (problem) return { ok: false, error: problem.error };
  const value = <T>(read: { value: T } | { error: string }, fallback: T): T => ('value' in read ? read.value : fallback);
  const settings: TrainSettings = {
    task: value(choices.task, 'classification'),
    modelName: typeof def.modelName === 'string' ? def.modelName.trim() : '',
    every: value(numbers.every, 0),
    maxSamples: value(numbers.maxSamples, 10000),
    maxMemory: value(numbers.maxMemory, 128),
    trees: value(numbers.trees, 50),
    maxDepth: value(numbers.maxDepth, 0),
    seed: value(numbers.seed, 1),
    testFraction: value(numbers.testFraction, 0.2),
    keepVersions: value(numbers.keepVersions, 5),
    promote: value(choices.promote, 'better'),
    exportPath: typeof def.exportPath === 'string' && def.exportPath.trim() !== '' ? def.exportPath.trim() : 'training-data.csv',
    warmup: value(anomalyNumbers.warmup, 100),
    update: value(choices.update, 'frozen'),
    adaptAfter: value(anomalyNumbers.adaptAfter, 100),
    scope: value(choices.scope, 'shared'),
    maxDevices: value(anomalyNumbers.maxDevices, 100),
    method: value(choices.method, 'auto'),
    contamination: value(anomalyNumbers.contamination, 0.01),
    threshold: value(anomalyNumbers.threshold, undefined),
    horizon: forecast.horizon,
    target: forecast.target,
    // Absent in flows saved before #21: off (each training as before).
    tune: def.tune === true || def.tune === 'true',
    feedbackLookback: value(numbers.feedbackLookback, FEEDBACK_DEFAULTS.lookback),
    feedbackWeight: value(numbers.feedbackWeight, FEEDBACK_DEFAULTS.weight),
    feedbackCap: value(numbers.feedbackCap, FEEDBACK_DEFAULTS.cap),
    feedbackField: typeof def.feedbackField === 'string' ? def.feedbackField.trim().slice(0, 1024) : '',
    keptWeight: value(numbers.keptWeight, FEEDBACK_DEFAULTS.keptWeight),
    learner: value(choices.learner, 'forest'),
  };
  if (!anomaly && settings.learner === 'boosting') {
    if (settings.tune) return { ok: false, error: 'tune chooses the random forest\'s settings: it does not apply to learner boosting' };
    if (settings.horizon !== undefined) return { ok: false, error: 'a forecast (horizon) needs the random forest\'s interval: use learner forest' };
  }
  if (anomaly && settings.maxSamples < settings.warmup) return { ok: false, error: `maxSamples (${settings.maxSamples}) must be at least warmup (${settings.warmup})` };
  if (anomaly && settings.adaptAfter > 0 && settings.adaptAfter < ANOMALY_MIN_ROWS) {
    return { ok: false, error: `adaptAfter must be 0 (never) or at least ${ANOMALY_MIN_ROWS} windows, got ${settings.adaptAfter}` };
  }
  const devices = settings.scope === 'device' && settings.method !== 'robust-z' ? settings.maxDevices : 1;
  const tooLarge = modelSizeProblem(anomaly, settings.trees, settings.maxSamples, devices);
  return tooLarge === undefined ? { ok: true, config: settings } : { ok: false, error: tooLarge };
}
