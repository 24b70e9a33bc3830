/**
 * The model file (`format: "iot-ai/random-forest@1"`): its type, parsing with clear refusals, and the loaded
 * model that `ml-model` hands to `model-predict`.
 */
import { CompiledForest, compileForest } from './compiled-forest';
import { AnyForest, checkMlRandomForest, checkTreeForest, isTreeForest } from './forest-format';
import { describeSchemaError, MODEL_FORMAT, modelFileValidator } from './schema';
import type { Task } from './trainer';

export type Label = string | number;

export interface ModelFile {
  format: typeof MODEL_FORMAT;
  task: Task;
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
  forest: AnyForest;
  /** The training options used. */
  params?: Record<string, unknown>;
  /** `sha256:<hex>` of the training data. */
  dataHash?: string;
  /** Feature name → normalised mean impurity decrease. */
  importances?: Record<string, number>;
  description?: string;
}

export type ParseResult = { ok: true; model: ModelFile } | { ok: false; error: string };

/**
 * Parses and checks a model file given as JSON text (or Buffer) or as an already parsed object (copied, so
 * later changes to the object don't reach the model). Never throws.
 */
export function parseModelFile(input: string | Uint8Array | object): ParseResult {
  let data: unknown;
  if (typeof input === 'string' || input instanceof Uint8Array) {
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
    return { ok: false, error: `model file does not match the schema: ${first ? describeSchemaError(first) : 'invalid'}` };
  }
  const model = data as ModelFile;
  const problem = checkModelSemantics(model);
  return problem === null ? { ok: true, model } : { ok: false, error: problem };
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

/** What the schema cannot check. Returns the first problem or null. */
function checkModelSemantics(model: ModelFile): string | null {
  if (Number.isNaN(Date.parse(model.createdAt))) return `createdAt ${JSON.stringify(model.createdAt)} is not a valid date`;
  const nFeatures = model.featureNames.length;
  const isClassification = model.task === 'classification';
  const nClasses = isClassification ? (model.labels?.length ?? 0) : 0;
  if (!isClassification && model.labels !== undefined) return 'a regression model must not have labels';
  if (model.labels !== undefined && new Set(model.labels.map(String)).size !== model.labels.length) {
    return 'labels must be distinct as text (predictions key probabilities by label)';
  }
  const forest = model.forest;
  let problem: string | null;
  if (isTreeForest(forest)) {
    if (forest.nFeatures !== nFeatures) {
      return `featureNames has ${nFeatures} names but the forest uses ${forest.nFeatures} features`;
    }
    if (forest.nClasses !== nClasses) {
      return isClassification
        ? `labels has ${nClasses} entries but the forest has ${forest.nClasses} classes`
        : `a regression forest must have nClasses 0, found ${forest.nClasses}`;
    }
    problem = checkTreeForest(forest);
  } else {
    const forestIsClassifier = forest.name === 'RFClassifier';
    if (forestIsClassifier !== isClassification) {
      return `task is ${model.task} but the forest is an ml-random-forest ${forest.name}`;
    }
    problem = checkMlRandomForest(forest, nFeatures, nClasses);
  }
  if (problem !== null) return problem;
  if (model.importances !== undefined) {
    const unknown = Object.keys(model.importances).find((name) => !model.featureNames.includes(name));
    if (unknown !== undefined) return `importances names ${JSON.stringify(unknown)}, which is not in featureNames`;
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
  label?: Label;
  value?: number;
  spread?: number;
  confidence: number;
  /** Label → vote fraction. */
  probabilities?: Record<string, number>;
  model: { name: string; version: string };
}

/** A parsed, compiled model, ready to predict. */
export class LoadedModel {
  readonly forest: CompiledForest;
  private readonly row: Float64Array;

  constructor(readonly file: ModelFile) {
    this.forest = compileForest(file.forest, { nFeatures: file.featureNames.length, nClasses: file.labels?.length ?? 0 });
    this.row = new Float64Array(file.featureNames.length);
  }

  get name(): string {
    return this.file.name;
  }

  get version(): string {
    return this.file.version;
  }

  get task(): Task {
    return this.file.task;
  }

  get featureNames(): readonly string[] {
    return this.file.featureNames;
  }

  /**
   * Builds the feature vector from `features` (an object keyed by feature name) into a buffer owned by the
   * model. Every feature must be present as a finite number: nothing is filled in silently.
   */
  featureVector(features: unknown): { ok: true; row: Float64Array } | { ok: false; error: FeatureError } {
    if (features === null || typeof features !== 'object' || Array.isArray(features)) {
      return { ok: false, error: { code: 'features', message: 'features must be an object of name → number', path: '' } };
    }
    const names = this.file.featureNames;
    const source = features as Record<string, unknown>;
    for (let f = 0; f < names.length; f++) {
      const value = source[names[f]];
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        const problem =
          value === undefined
            ? 'is missing'
            : typeof value === 'number'
              ? `is ${value}, not a finite number`
              : `is ${typeof value === 'string' ? 'a string' : value === null ? 'null' : `a ${typeof value}`}, not a number`;
        return { ok: false, error: { code: 'features', message: `feature "${names[f]}" ${problem}`, path: `/${escapePointer(names[f])}` } };
      }
      this.row[f] = value;
    }
    return { ok: true, row: this.row };
  }

  /** Predicts from a features object, in the contract's `prediction` shape. */
  predict(features: unknown): { ok: true; prediction: Prediction } | { ok: false; error: FeatureError } {
    const vector = this.featureVector(features);
    if (!vector.ok) return vector;
    return { ok: true, prediction: this.predictVector(vector.row) };
  }

  /** Predicts from a vector in featureNames order. */
  predictVector(row: Float64Array): Prediction {
    const result = this.forest.predictRow(row);
    const model = { name: this.file.name, version: this.file.version };
    if (result.task === 'regression') {
      return { value: result.value, spread: result.spread, confidence: 1, model };
    }
    const labels = this.file.labels ?? [];
    const probabilities: Record<string, number> = {};
    for (let c = 0; c < labels.length; c++) probabilities[String(labels[c])] = result.probabilities[c];
    return { label: labels[result.classIndex], confidence: result.confidence, probabilities, model };
  }
}

function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
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
