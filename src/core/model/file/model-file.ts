/**
 * The model file (`format: "iot-ai/random-forest@1"`): its type, parsing with clear refusals, and the loaded
 * model that `ml-model` hands to `model-predict`.
 */
import { ANOMALY_LABEL, anomalyConfidence, AnomalySettings, checkAnomalySettings, isAnomalous, NORMAL_LABEL, robustScore } from '../monitor/anomaly';
import { CompiledForest, compileForest } from '../forest/compiled-forest';
import { MODEL_BOUNDS, modelTooLarge } from './bounds';
import { AnyForest, checkMlRandomForest, checkTreeForest, isBoostedForest, isPathLengthForest, isTreeForest, TreeForest } from '../forest/forest-format';
import { describeSchemaError, MODEL_FORMAT, modelFileValidator } from './schema';
import { checkFeatureSketch, FeatureSketch } from '../monitor/sketch';
import type { Task } from '../forest/trainer';
import { describeFeatureValue, featureVector } from '../data/vector';
import { pointer, unescapePointerToken } from '../../util/pointer';
import { explainerFor, topContributions, type Explanation, type ForestExplainer } from '../forest/shap';
import { widen } from '../train/conformal';

export type Label = string | number;

/** What a model file can be: the forests' tasks, and anomaly detection (learnt without labels). */
export type ModelTask = Task | 'anomaly';

export interface ModelFile {
  format: typeof MODEL_FORMAT;
  task: ModelTask;
  name: string;
  version: string;
  /** ISO 8601. */
  createdAt: string;
  /** The order of a feature vector. */
  featureNames: string[];
  /** Classification: the label of each class index. */
  labels?: Label[];
  /** Held-out (or cross-validated, or out-of-bag) quality; see metrics.ts for the shapes we write. */
  metrics: Record<string, unknown>;
  /** Every model has one but a robust-z anomaly model (see `anomaly`). */
  forest?: AnyForest;
  /**
   * Anomaly models: the shared part's scoring method and the threshold above which a score is an anomaly.
   * Absent in a model of per-device parts only.
   */
  anomaly?: AnomalySettings;
  /** Anomaly models: a baseline of its own per deviceId, scored instead of the shared part for that device. */
  devices?: Record<string, DeviceAnomalyPart>;
  /** The training distribution of each feature, for drift monitoring (sketch.ts, drift.ts). */
  sketch?: FeatureSketch;
  /** The training options used. */
  params?: Record<string, unknown>;
  /** `sha256:<hex>` of the training data. */
  dataHash?: string;
  /** Feature name → normalised mean impurity decrease. */
  importances?: Record<string, number>;
  description?: string;
  /** The feature-window properties the training windows were computed with (`iot-ai train --window`, model-train). */
  window?: TrainingWindowConfig;
  /**
   * Forecast models (#16): how far ahead (ms) the label lies, the window labelled by its device's latest row in
   * [end, end + horizon). Absent: a model of the present, as before.
   */
  horizon?: number;
  /**
   * Regression forecasts (#16): what the forest's output is added to, and how its interval is calibrated
   * (docs/model-format.md#forecasts). Absent: the forest forecasts the level, with the trees' [p10, p90].
   */
  forecast?: ForecastSettings;
  /**
   * Imported models (#28, `iot-ai import`): where the trees came from, e.g. `{ library: "xgboost", libraryVersion:
   * "1.7.4", objective: "binary:logistic", trees: 20 }`. Informative only.
   */
  source?: ModelSource;
}

/** Where an imported model came from (docs/model-format.md#boosted-forests). */
export interface ModelSource {
  library: string;
  libraryVersion?: string;
  objective?: string;
  trees?: number;
  bestIteration?: number;
  [other: string]: unknown;
}

/** Forecast intervals: the 10th and 90th percentile of the trees' outputs. */
export const FORECAST_INTERVAL = [0.1, 0.9] as const;
/** The coverage FORECAST_INTERVAL aims at: 80 % of the truths inside. */
export const FORECAST_COVERAGE = FORECAST_INTERVAL[1] - FORECAST_INTERVAL[0];

export interface ForecastSettings {
  /**
   * A feature (e.g. `co2.last`): the forest learnt the change `label − feature` and a prediction adds the window's
   * value of that feature back. Absent: the forest learnt the level.
   */
  changeFrom?: string;
  /** The interval's split-conformal calibration (conformal.ts); absent: the trees' [p10, p90] as they are. */
  interval?: IntervalCalibration;
}

export interface IntervalCalibration {
  /** Conformalized quantile regression (Romano et al. 2019) on the trees' quantiles. */
  method: 'cqr';
  /** The quantiles of the trees' outputs that are widened (FORECAST_INTERVAL). */
  quantiles: [number, number];
  /** The coverage aimed at (0.8). */
  coverage: number;
  /** Added to each side: [low − margin, high + margin] (negative: narrowed). In the label's unit. */
  margin: number;
  /** Held-out rows it was learnt on. */
  rows: number;
}

/**
 * The window a model was trained with: feature-window properties in the node's own units (`size` 60 with `unit`
 * `s`), as WINDOW.json holds them. Only the properties that shape the features are kept.
 */
export interface TrainingWindowConfig {
  window?: 'tumbling' | 'sliding' | 'session';
  size?: number;
  slide?: number;
  gap?: number;
  unit?: 'ms' | 's' | 'min' | 'count';
  time?: 'event' | 'arrival';
  lateness?: number;
  sensors?: string[];
  features?: string[];
  minCount?: number | string;
  fill?: 'none' | 'previous' | 'zero';
  /** IANA zone of the `calendar` features (feature-window `timeZone`). */
  timeZone?: string;
  /** Spectral features' settings (feature-window `bands` as text, `spectralPoints`, `fftCoefficients`). */
  bands?: string;
  spectralPoints?: number;
  fftCoefficients?: number;
}

/** One device's own anomaly baseline (model-train with scope `device`). */
export interface DeviceAnomalyPart {
  anomaly: AnomalySettings;
  /** An isolation forest (`output: "path-length"`); absent for robust-z. */
  forest?: TreeForest;
  /** The device's training distribution, for drift monitoring per device. */
  sketch?: FeatureSketch;
  metrics?: Record<string, unknown>;
  /** When this part was learnt (ISO 8601). */
  createdAt?: string;
}

export type ParseResult = { ok: true; model: ModelFile } | { ok: false; error: string };

/**
 * Parses and checks a model file given as JSON text (or Buffer) or as an already parsed object (copied, so
 * later changes to the object don't reach the model). Never throws.
 */
export function parseModelFile(input: string | Uint8Array | object): ParseResult {
  let data: unknown;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    if (input.length > MODEL_BOUNDS.maxModelBytes) {
      return { ok: false, error: `model file is too large: more than ${MODEL_BOUNDS.maxModelBytes} bytes (at most ${MODEL_BOUNDS.maxModelNodes} tree nodes are loaded)` };
    }
    const text = typeof input === 'string' ? input : new TextDecoder().decode(input);
    const parsed = parseJson(text);
    if (!parsed.ok) return parsed;
    data = parsed.value;
  } else {
    try {
      // A JSON round trip also turns ml-random-forest's live toJSON() objects (ml-matrix leaves) into plain data.
      data = JSON.parse(JSON.stringify(input)) as unknown;
    } catch (err) {
      return { ok: false, error: `model is not JSON-serialisable: ${(err as Error).message}` };
    }
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, error: 'model file must hold a JSON object' };
  }
  const format = (data as { format?: unknown }).format;
  if (format !== MODEL_FORMAT) {
    return {
      ok: false,
      error:
        format === undefined
          ? `model file has no "format" (expected "${MODEL_FORMAT}")`
          : `unsupported model format ${JSON.stringify(format)} (expected "${MODEL_FORMAT}")`,
    };
  }
  // Counted before the schema check, which would walk every node of an oversized model first.
  const tooLarge = modelTooLarge(data);
  if (tooLarge !== undefined) return { ok: false, error: tooLarge };
  const validate = modelFileValidator();
  let valid: boolean;
  try {
    valid = validate(data) as boolean;
  } catch (err) {
    // Only a forest nested deeper than the call stack gets here.
    return { ok: false, error: `model file could not be checked: ${(err as Error).message}` };
  }
  if (!valid) {
    const first = validate.errors?.[0];
    const tooLarge = first?.keyword === 'type' ? valueAt(data, first.instancePath) : undefined;
    if (typeof tooLarge === 'number' && !Number.isFinite(tooLarge)) {
      // JSON.parse reads 1e999 as Infinity, which ajv calls "not a number": say what is wrong with it.
      return { ok: false, error: `model file does not match the schema: ${first?.instancePath} is not a finite number (${tooLarge}); a model file holds finite numbers only (at most ±1.8e308)` };
    }
    return { ok: false, error: `model file does not match the schema: ${first ? describeSchemaError(first) : 'invalid'}` };
  }
  const model = data as ModelFile;
  const problem = checkModelSemantics(model);
  return problem === null ? { ok: true, model } : { ok: false, error: problem };
}

/** The value a JSON Pointer names inside parsed JSON (undefined when it names nothing). */
function valueAt(data: unknown, pointer: string): unknown {
  let node = data;
  for (const token of pointer.split('/').slice(1)) {
    if (node === null || typeof node !== 'object') return undefined;
    const key = unescapePointerToken(token);
    node = Object.prototype.hasOwnProperty.call(node, key) ? (node as Record<string, unknown>)[key] : undefined;
  }
  return node;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  if (text.trim() === '') return { ok: false, error: 'model file is empty' };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    const message = (err as Error).message;
    if (looksTruncated(text)) {
      return { ok: false, error: `model file is not valid JSON: it ends too early (truncated?): ${message}` };
    }
    const position = /position (\d+)/.exec(message);
    if (position !== null) {
      const offset = Number(position[1]);
      const before = text.slice(0, offset);
      const line = before.split('\n').length;
      const column = offset - before.lastIndexOf('\n');
      return { ok: false, error: `model file is not valid JSON: line ${line}, column ${column}: ${message}` };
    }
    return { ok: false, error: `model file is not valid JSON: ${message}` };
  }
}

/** True when the brackets opened in `text` are never closed: the usual sign of a file cut short. */
function looksTruncated(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
  }
  return depth > 0 || inString;
}

/**
 * The one label a plain object cannot carry through Node-RED: its message copy (lodash cloneDeep) assigns keys, and
 * assigning "__proto__" sets the prototype instead of a key, so the label would vanish from probabilities.
 */
const UNCOPYABLE_LABEL = '__proto__';

/** What the schema cannot check. Returns the first problem or null. */
function checkModelSemantics(model: ModelFile): string | null {
  if (Number.isNaN(Date.parse(model.createdAt))) return `createdAt ${JSON.stringify(model.createdAt)} is not a valid date`;
  const nFeatures = model.featureNames.length;
  const isClassification = model.task === 'classification';
  const isAnomaly = model.task === 'anomaly';
  const nClasses = isClassification ? (model.labels?.length ?? 0) : 0;
  if (!isClassification && model.labels !== undefined) return `a${isAnomaly ? 'n anomaly' : ' regression'} model must not have labels`;
  if (model.labels !== undefined && new Set(model.labels.map(String)).size !== model.labels.length) {
    return 'labels must be distinct as text (predictions key probabilities by label)';
  }
  if (model.labels?.some((label) => label === UNCOPYABLE_LABEL)) {
    return `label "${UNCOPYABLE_LABEL}" cannot key prediction.probabilities: Node-RED's copy of a message for a second wire drops that key; rename the class`;
  }
  const problem = checkForest(model, nFeatures, nClasses) ?? checkDeviceParts(model) ?? checkForecast(model);
  if (problem !== null) return problem;
  if (model.importances !== undefined) {
    const unknown = Object.keys(model.importances).find((name) => !model.featureNames.includes(name));
    if (unknown !== undefined) return `importances names ${JSON.stringify(unknown)}, which is not in featureNames`;
  }
  return model.sketch === undefined ? null : checkFeatureSketch(model.sketch, model.featureNames);
}

/** `forecast` belongs to a regression forecast, names one of its features, and widens a real interval. */
function checkForecast(model: ModelFile): string | null {
  const forecast = model.forecast;
  if (forecast === undefined) return null;
  if (model.task !== 'regression' || model.horizon === undefined) return `"forecast" belongs to a regression forecast (task regression with a horizon), not ${model.task === 'regression' ? 'a regression model without horizon' : `a ${model.task} model`}`;
  if (forecast.changeFrom !== undefined && !model.featureNames.includes(forecast.changeFrom)) {
    return `forecast.changeFrom names ${JSON.stringify(forecast.changeFrom)}, which is not in featureNames`;
  }
  const quantiles = forecast.interval?.quantiles;
  if (quantiles !== undefined && !(quantiles[0] < quantiles[1])) return `forecast.interval.quantiles must be [low, high] with low < high (got [${quantiles.join(', ')}])`;
  return null;
}

/** The forest, and for anomaly models the `anomaly` block, fit the task and the features. */
function checkForest(model: ModelFile, nFeatures: number, nClasses: number): string | null {
  const forest = model.forest;
  const isClassification = model.task === 'classification';
  if (model.task === 'anomaly') {
    if (model.anomaly === undefined) return forest === undefined ? null : 'a forest belongs to the shared part: an anomaly model without "anomaly" must not have one';
    const settings = model.anomaly;
    const problem = checkAnomalySettings(settings, nFeatures);
    if (problem !== null) return problem;
    if (settings.method === 'robust-z') return forest === undefined ? null : 'a robust-z anomaly model must not have a forest';
    if (forest === undefined || !isTreeForest(forest) || !isPathLengthForest(forest)) {
      return 'an isolation-forest anomaly model needs a forest in the iot-ai/trees@1 form with output "path-length"';
    }
  } else if (model.anomaly !== undefined) {
    return `anomaly settings belong to an anomaly model, not a ${model.task} model`;
  } else if (model.devices !== undefined) {
    return `per-device parts belong to an anomaly model, not a ${model.task} model`;
  } else if (forest === undefined) {
    return `a ${model.task} model needs a forest`;
  } else if (isTreeForest(forest) && isPathLengthForest(forest)) {
    return `an isolation forest (output "path-length") belongs to an anomaly model, not a ${model.task} model`;
  }
  if (forest === undefined) return null;
  if (isBoostedForest(forest) && model.horizon !== undefined) {
    return 'a boosted forest cannot forecast with "horizon": its trees add up to one value, they give no interval';
  }
  if (isTreeForest(forest)) {
    if (forest.nFeatures !== nFeatures) {
      return `featureNames has ${nFeatures} names but the forest uses ${forest.nFeatures} features`;
    }
    if (forest.nClasses !== nClasses) {
      return isClassification
        ? `labels has ${nClasses} entries but the forest has ${forest.nClasses} classes`
        : `a ${model.task === 'anomaly' ? 'path-length' : 'regression'} forest must have nClasses 0, found ${forest.nClasses}`;
    }
    return checkTreeForest(forest);
  }
  const forestIsClassifier = forest.name === 'RFClassifier';
  if (forestIsClassifier !== isClassification) {
    return `task is ${model.task} but the forest is an ml-random-forest ${forest.name}`;
  }
  return checkMlRandomForest(forest, nFeatures, nClasses);
}

/** Every per-device part fits the features: its settings, its forest (isolation, for that method only), its sketch. */
function checkDeviceParts(model: ModelFile): string | null {
  if (model.devices === undefined) return null;
  const nFeatures = model.featureNames.length;
  for (const [deviceId, part] of Object.entries(model.devices)) {
    const where = `devices[${JSON.stringify(deviceId)}]`;
    const problem = checkAnomalySettings(part.anomaly, nFeatures);
    if (problem !== null) return `${where}: ${problem}`;
    if (part.createdAt !== undefined && Number.isNaN(Date.parse(part.createdAt))) return `${where}: createdAt ${JSON.stringify(part.createdAt)} is not a valid date`;
    if (part.anomaly.method === 'robust-z') {
      if (part.forest !== undefined) return `${where}: a robust-z part must not have a forest`;
    } else {
      const forest = part.forest;
      if (forest === undefined || !isPathLengthForest(forest)) return `${where}: an isolation-forest part needs a forest with output "path-length"`;
      if (forest.nFeatures !== nFeatures) return `${where}: featureNames has ${nFeatures} names but the forest uses ${forest.nFeatures} features`;
      if (forest.nClasses !== 0) return `${where}: a path-length forest must have nClasses 0, found ${forest.nClasses}`;
      const treeProblem = checkTreeForest(forest);
      if (treeProblem !== null) return `${where}: ${treeProblem}`;
    }
    if (part.sketch !== undefined) {
      const sketchProblem = checkFeatureSketch(part.sketch, model.featureNames);
      if (sketchProblem !== null) return `${where}: ${sketchProblem}`;
    }
  }
  return null;
}

/** A feature vector could not be built: code `features` for model-predict's second output. */
export interface FeatureError {
  code: 'features';
  message: string;
  /** JSON Pointer into the features object, e.g. `/temperature.mean`. */
  path: string;
}

/** What model-predict adds as `msg.payload.prediction`. */
export interface Prediction {
  /** Anomaly models: `anomaly` or `normal`. */
  label?: Label;
  value?: number;
  spread?: number;
  /** Anomaly models: 0.5 at the threshold, rising linearly to 1 at score 1 (anomaly) or 0 (normal). */
  confidence: number;
  /** Label → vote fraction. */
  probabilities?: Record<string, number>;
  /** Anomaly models: how strange the features are, 0–1 (higher is stranger). */
  score?: number;
  /**
   * Anomaly models with model-predict's `likelihood` option: how unusual this device's recent scores are against its
   * own score history, 0–1 (0.5 while the device's history is too short to say).
   */
  likelihood?: number;
  /** The features that were missing (model-predict `missing: allow`), in the model's order; absent when none was. */
  missing?: string[];
  /**
   * Regression forecasts (a model with `horizon`): the 10th and 90th percentile of the trees' outputs, widened by the
   * file's conformal calibration when it has one (`forecast.interval`), moved with the value of a change forecast.
   */
  interval?: [number, number];
  /** Forecasts: the model's horizon (ms). */
  horizon?: number;
  /** Forecasts: when the forecast is for, the window's `end` + horizon (epoch ms); absent when the window gave no `end`. */
  at?: number;
  /**
   * model-predict's `explain` option: the base and the k features of largest |contribution| (exact TreeSHAP);
   * base + every feature's contribution = the value, the winning label's probability, or the anomaly score.
   */
  explanation?: Explanation;
  model: { name: string; version: string };
}

/**
 * An anomaly model of per-device parts cannot judge this window: `warmup` when the device has no part yet (it is
 * still warming up in model-train, or was evicted) and the model has no shared part to fall back on; `device`
 * when no deviceId was given and the model has no shared part.
 */
export interface BaselineError {
  code: 'warmup' | 'device';
  message: string;
  path: string;
}

export type PredictError = FeatureError | BaselineError;

export interface PredictOptions {
  /** Anomaly models: use this threshold instead of the model's (e.g. a node setting). */
  threshold?: number;
  /**
   * Anomaly models: the window's device. A device with its own part is scored by it; any other by the shared
   * part (or, with none, a `warmup` error).
   */
  deviceId?: string;
  /** Forecast models: the window's `end` (epoch ms), for `prediction.at`. */
  end?: number;
  /**
   * `reject` (default): a missing feature is an error. `allow`: an absent, null or NaN feature is missing, the
   * trees send it the way they learnt (docs/model-format.md) and the prediction lists it in `missing`.
   * Anomaly models always reject.
   */
  missing?: 'reject' | 'allow';
  /** k > 0: the prediction carries `explanation` with the k largest contributions (when the model can be explained). */
  explain?: number;
}

/** A compiled anomaly baseline: the shared one or one device's. */
interface AnomalyPart {
  settings: AnomalySettings;
  forest: CompiledForest | null;
  sketch?: FeatureSketch;
}

/**
 * Reads `features` (an object keyed by feature name) into `into`, in `names` order. Every feature must be
 * present as a finite number: nothing is filled in silently.
 */
export function readFeatureVector(
  names: readonly string[],
  features: unknown,
  into: Float64Array,
  /** An absent, null or NaN feature becomes NaN and is listed in `missing` instead of being an error. */
  allowMissing = false,
): { ok: true; row: Float64Array; missing?: string[] } | { ok: false; error: FeatureError } {
  if (features === null || typeof features !== 'object' || Array.isArray(features)) {
    return { ok: false, error: { code: 'features', message: 'features must be an object of name → number', path: '' } };
  }
  const vector = featureVector(names, features as Record<string, unknown>, { allowMissing, into });
  if (vector.ok) return vector;
  const { name, value } = vector.problem;
  return { ok: false, error: { code: 'features', message: `feature "${name}" ${describeFeatureValue(value)}`, path: pointer(name) } };
}

/** A parsed, compiled model, ready to predict. */
export class LoadedModel {
  /** Null only for a robust-z anomaly model, which has no trees. */
  readonly forest: CompiledForest | null;
  private readonly row: Float64Array;
  private readonly devices = new Map<string, AnomalyPart>();
  /** Classification: the labels as the keys of `probabilities`, made once. */
  private readonly labelKeys: string[];
  /** A change forecast (`forecast.changeFrom`): the feature its output is added to and its place in the vector. */
  readonly changeFrom: { feature: string; index: number } | undefined;
  /** Explainers made on first use, by anomaly part ('' for the shared forest). */
  private readonly explainers = new Map<string, { ok: true; explainer: ForestExplainer } | { ok: false; reason: string }>();
  /** A gradient-boosted forest (imported): its trees add up rather than vote. */
  get boosted(): boolean {
    return isBoostedForest(this.file.forest);
  }

  constructor(readonly file: ModelFile) {
    this.forest =
      file.forest === undefined
        ? null
        : compileForest(file.forest, { nFeatures: file.featureNames.length, nClasses: file.labels?.length ?? 0 });
    if (file.task === 'anomaly' && file.anomaly?.method === 'isolation-forest' && this.forest?.sampleSize == null) {
      throw new Error('an isolation-forest anomaly model needs a forest with output "path-length"');
    }
    if (file.task !== 'anomaly' && this.forest === null) throw new Error(`a ${file.task} model needs a forest`);
    this.labelKeys = (file.labels ?? []).map((label) => String(label));
    if (file.task === 'anomaly' && file.anomaly === undefined && file.devices === undefined) throw new Error('an anomaly model needs a shared or a per-device part');
    for (const [deviceId, part] of Object.entries(file.devices ?? {})) {
      const forest = part.forest === undefined ? null : compileForest(part.forest, { nFeatures: file.featureNames.length, nClasses: 0 });
      if (part.anomaly.method === 'isolation-forest' && forest?.sampleSize == null) {
        throw new Error(`device ${JSON.stringify(deviceId)}: an isolation-forest part needs a forest with output "path-length"`);
      }
      this.devices.set(deviceId, { settings: part.anomaly, forest, sketch: part.sketch });
    }
    this.row = new Float64Array(file.featureNames.length);
    const changeFrom = file.task === 'regression' && file.horizon !== undefined ? file.forecast?.changeFrom : undefined;
    const index = changeFrom === undefined ? -1 : file.featureNames.indexOf(changeFrom);
    if (changeFrom !== undefined && index < 0) throw new Error(`forecast.changeFrom names ${JSON.stringify(changeFrom)}, which is not in featureNames`);
    this.changeFrom = changeFrom === undefined ? undefined : { feature: changeFrom, index };
  }

  /** Most tree nodes one prediction visits, whichever part scores it (0 for robust-z only). */
  get visitsPerPrediction(): number {
    let most = this.forest?.visitsPerRow ?? 0;
    for (const part of this.devices.values()) most = Math.max(most, part.forest?.visitsPerRow ?? 0);
    return most;
  }

  /**
   * model-predict's `explain`: most tree-node visits one explained prediction may cost, whichever part explains it
   * (ForestExplainer.visitsPerRow); a model that cannot be explained costs what it predicts.
   */
  get visitsPerExplanation(): number {
    let most = this.visitsPerPrediction;
    for (const key of [undefined, ...this.devices.keys()]) {
      const explainer = this.explainerOf(key);
      if (explainer.ok) most = Math.max(most, explainer.explainer.visitsPerRow);
    }
    return most;
  }

  /** Anomaly models: the devices that have a part of their own. */
  get deviceIds(): string[] {
    return [...this.devices.keys()];
  }

  /** Anomaly models: true when `deviceId` has a part of its own. */
  hasDevice(deviceId: string): boolean {
    return this.devices.has(deviceId);
  }

  /** Anomaly models: true when there is a shared part (any device without its own is scored by it). */
  get hasSharedPart(): boolean {
    return this.file.task !== 'anomaly' || this.file.anomaly !== undefined;
  }

  get name(): string {
    return this.file.name;
  }

  get version(): string {
    return this.file.version;
  }

  get task(): ModelTask {
    return this.file.task;
  }

  get featureNames(): readonly string[] {
    return this.file.featureNames;
  }

  /** Anomaly models: the method and threshold of the shared part. */
  get anomaly(): AnomalySettings | undefined {
    return this.file.anomaly;
  }

  /** The training distribution of the features (models trained before sketches existed have none). */
  get sketch(): FeatureSketch | undefined {
    return this.file.sketch;
  }

  /** The training distribution that judges `deviceId`: its own part's, else the shared one. */
  sketchFor(deviceId: string | undefined): FeatureSketch | undefined {
    return (deviceId === undefined ? undefined : this.devices.get(deviceId)?.sketch) ?? this.file.sketch;
  }

  /**
   * Builds the feature vector from `features` (an object keyed by feature name) into a buffer owned by the
   * model. Every feature must be present as a finite number: nothing is filled in silently.
   */
  featureVector(features: unknown): { ok: true; row: Float64Array } | { ok: false; error: FeatureError } {
    return readFeatureVector(this.file.featureNames, features, this.row);
  }

  /** Predicts from a features object, in the contract's `prediction` shape. */
  predict(features: unknown, options: PredictOptions = {}): { ok: true; prediction: Prediction } | { ok: false; error: PredictError } {
    if (this.file.task === 'anomaly') {
      const missing = this.missingBaseline(options.deviceId);
      if (missing !== null) return { ok: false, error: missing };
    }
    // Isolation trees learn no direction for a gap: anomaly models always need every feature.
    const allowMissing = options.missing === 'allow' && this.file.task !== 'anomaly';
    const vector = readFeatureVector(this.file.featureNames, features, this.row, allowMissing);
    if (!vector.ok) return vector;
    const changeFrom = this.changeFrom;
    if (changeFrom !== undefined && Number.isNaN(vector.row[changeFrom.index])) {
      // Missing features are allowed, but this one is what the forecast is added to: there is nothing to add to.
      return { ok: false, error: { code: 'features', message: `feature "${changeFrom.feature}" is missing: this forecast is the change from its value`, path: pointer(changeFrom.feature) } };
    }
    const prediction = this.predictVector(vector.row, options);
    if (vector.missing !== undefined) prediction.missing = vector.missing;
    if (options.explain !== undefined && options.explain > 0) {
      const explanation = this.explainVector(vector.row, prediction, options.explain, options.deviceId);
      if (explanation !== null) prediction.explanation = explanation;
    }
    return { ok: true, prediction };
  }

  /**
   * Anomaly models: why `deviceId` cannot be judged (no part of its own and no shared part), or null.
   */
  missingBaseline(deviceId: string | undefined): BaselineError | null {
    if (this.file.task !== 'anomaly' || this.file.anomaly !== undefined) return null;
    if (deviceId === undefined || deviceId === '') {
      return { code: 'device', message: 'this anomaly model has per-device baselines only: the window needs a deviceId', path: '' };
    }
    if (this.devices.has(deviceId)) return null;
    return { code: 'warmup', message: `device ${JSON.stringify(deviceId)} has no baseline yet (still warming up) and the model has no shared one`, path: '' };
  }

  /** Predicts from a vector in featureNames order (anomaly models: throws when missingBaseline says so). */
  predictVector(row: Float64Array, options: PredictOptions = {}): Prediction {
    const model = { name: this.file.name, version: this.file.version };
    if (this.file.task === 'anomaly') {
      const part = this.anomalyPart(options.deviceId);
      const score = scorePart(part, row);
      const threshold = options.threshold ?? part.settings.threshold;
      const label = isAnomalous(score, threshold) ? ANOMALY_LABEL : NORMAL_LABEL;
      return { score, label, confidence: anomalyConfidence(score, threshold), model };
    }
    const horizon = this.file.horizon;
    if (horizon !== undefined && this.file.task === 'regression') {
      const calibration = this.file.forecast?.interval;
      const { prediction, quantiles } = (this.forest as CompiledForest).predictRowWithQuantiles(row, calibration?.quantiles ?? FORECAST_INTERVAL);
      // A change forecast: the forest's output, its quantiles and so the interval all move by the window's value.
      const base = this.changeFrom === undefined ? 0 : row[this.changeFrom.index];
      const interval = calibration === undefined ? quantiles : widen(quantiles[0], quantiles[1], calibration.margin);
      return { value: base + prediction.value, spread: prediction.spread, interval: [base + interval[0], base + interval[1]], confidence: 1, ...forecastTime(horizon, options.end), model };
    }
    const result = (this.forest as CompiledForest).predictRow(row);
    if (result.task === 'regression') {
      // A boosted forest's trees add up to one value: there is no spread among them to report.
      if (this.boosted) return { value: result.value, confidence: 1, model };
      return { value: result.value, spread: result.spread, confidence: 1, model };
    }
    const keys = this.labelKeys;
    const probabilities: Record<string, number> = {};
    for (let c = 0; c < keys.length; c++) {
      // Parsing refuses that label; a LoadedModel made from an unparsed file still must not have its prototype set.
      if (keys[c] === UNCOPYABLE_LABEL) Object.defineProperty(probabilities, keys[c], { value: result.probabilities[c], enumerable: true, writable: true, configurable: true });
      else probabilities[keys[c]] = result.probabilities[c];
    }
    const label = (this.file.labels as Label[])[result.classIndex];
    if (horizon !== undefined) return { label, confidence: result.confidence, probabilities, ...forecastTime(horizon, options.end), model };
    return { label, confidence: result.confidence, probabilities, model };
  }

  /**
   * The explanation of `prediction` (just made from `row`, in featureNames order): the k largest contributions to
   * its output. Null when the model cannot be explained ({@link explainUnavailable} says why).
   */
  explainVector(row: Float64Array, prediction: Prediction, k: number, deviceId?: string): Explanation | null {
    const explainer = this.explainerOf(deviceId);
    if (!explainer.ok) return null;
    const shap =
      this.file.task === 'anomaly'
        ? explainer.explainer.scoreValues(row)
        : this.file.task === 'classification'
          ? explainer.explainer.shapValues(row, (this.file.labels as Label[]).indexOf(prediction.label as Label))
          : explainer.explainer.shapValues(row);
    const explanation = topContributions(shap, this.file.featureNames, row, k);
    const link = this.file.task === 'classification' && this.file.forest !== undefined && 'boost' in this.file.forest ? this.file.forest.boost?.link : undefined;
    if (link === 'logistic' || link === 'softmax') return { ...explanation, scale: link === 'logistic' ? 'log-odds' : 'margin' };
    const changeFrom = this.changeFrom;
    if (changeFrom === undefined || this.file.task !== 'regression' || this.file.horizon === undefined) return explanation;
    // The contributions explain the change; the value it is added to joins the base, so base + contributions = value.
    const value = row[changeFrom.index];
    return { ...explanation, base: explanation.base + value, changeFrom: { feature: changeFrom.feature, value } };
  }

  /** Why predictions of `deviceId` (anomaly models: its part) cannot be explained, or null when they can. */
  explainUnavailable(deviceId?: string): string | null {
    const explainer = this.explainerOf(deviceId);
    return explainer.ok ? null : explainer.reason;
  }

  /** The explainer of the forest that predicts for `deviceId`, made on first use. */
  private explainerOf(deviceId: string | undefined): { ok: true; explainer: ForestExplainer } | { ok: false; reason: string } {
    const own = this.file.task === 'anomaly' && deviceId !== undefined ? this.file.devices?.[deviceId] : undefined;
    const key = own !== undefined ? (deviceId as string) : '';
    let explainer = this.explainers.get(key);
    if (explainer === undefined) {
      const settings = own !== undefined ? own.anomaly : this.file.anomaly;
      explainer =
        settings?.method === 'robust-z'
          ? { ok: false, reason: 'a robust-z anomaly model has no trees to explain' }
          : explainerFor(own !== undefined ? own.forest : this.file.forest);
      this.explainers.set(key, explainer);
    }
    return explainer;
  }

  /**
   * Anomaly models: the score of a vector in featureNames order, 0–1, higher is stranger; by the device's own
   * part when it has one, else by the shared part (throws when there is neither).
   */
  anomalyScore(row: Float64Array, deviceId?: string): number {
    return scorePart(this.anomalyPart(deviceId), row);
  }

  /** Anomaly models: the threshold that judges `deviceId` (its part's, else the shared one's). */
  anomalyThreshold(deviceId?: string): number {
    return this.anomalyPart(deviceId).settings.threshold;
  }

  private anomalyPart(deviceId: string | undefined): AnomalyPart {
    if (this.file.task !== 'anomaly') throw new Error(`a ${this.file.task} model has no anomaly score`);
    const own = deviceId === undefined ? undefined : this.devices.get(deviceId);
    if (own !== undefined) return own;
    if (this.file.anomaly === undefined) throw new Error((this.missingBaseline(deviceId) as BaselineError).message);
    return { settings: this.file.anomaly, forest: this.forest };
  }
}

/** `horizon` and, when the window's end is known, `at` = end + horizon. */
function forecastTime(horizon: number, end: number | undefined): { horizon: number; at?: number } {
  return typeof end === 'number' && Number.isFinite(end) ? { horizon, at: end + horizon } : { horizon };
}

function scorePart(part: AnomalyPart, row: Float64Array): number {
  if (part.settings.method === 'robust-z') return robustScore(row, part.settings.baseline as NonNullable<AnomalySettings['baseline']>);
  return (part.forest as CompiledForest).anomalyScore(row);
}

/** Parses, checks and compiles a model file. Never throws. */
export function loadModel(input: string | Uint8Array | object): { ok: true; model: LoadedModel } | { ok: false; error: string } {
  const parsed = parseModelFile(input);
  if (!parsed.ok) return parsed;
  try {
    return { ok: true, model: new LoadedModel(parsed.model) };
  } catch (err) {
    return { ok: false, error: `model could not be compiled: ${(err as Error).message}` };
  }
}
