/**
 * Bring your own model (#28): a model file of another library converted to the package's own model file, so it
 * predicts on the compiled fast path like a forest trained here. Used by `iot-ai import` and by ml-model's `path`
 * (a file that is not already one of ours is converted at load).
 *
 * Read: XGBoost's own JSON model (xgboost.ts), LightGBM's text model and JSON dump (lightgbm.ts), ONNX tree
 * ensembles (onnx.ts), each recognised by its content. Refused by name: pickles (never
 * unpickled: export to ONNX), XGBoost's binary UBJSON form, and what each importer does not support.
 */
import { MODEL_BOUNDS } from '../file/bounds';
import { MODEL_FORMAT } from '../file/schema';
import { Label, LoadedModel, loadModel, ModelFile, parseModelFile } from '../file/model-file';
import type { ConvertResult } from './converted';
import { convertLightgbmDump, convertLightgbmText, looksLikeLightgbmDump, looksLikeLightgbmText } from './lightgbm';
import { convertOnnx } from './onnx';
import { looksLikeOnnx } from './onnx-proto';
import { convertXgboost, looksLikeXgboostJson } from './xgboost';

export interface ImportOptions {
  /** The file's inputs, in the model's feature order: required when the file names none, else must match its count. */
  featureNames?: readonly string[];
  /** Classification: the label of class 0, 1, … (default: the class indices 0, 1, …). */
  labels?: readonly Label[];
  /** Default: the file's name without its extension. */
  name?: string;
  /** Default `1`. */
  version?: string;
  /** The file's name (for the default name and to recognise pickles by extension). */
  fileName?: string;
  /** ISO 8601 `createdAt` (default now). */
  createdAt?: string;
}

export type ImportResult = { ok: true; model: ModelFile; converted: boolean } | { ok: false; error: string };

const SUPPORTED =
  'XGBoost\'s JSON model (save_model("model.json")), LightGBM\'s text model (save_model("model.txt")) or JSON dump (dump_model()), ONNX tree ensembles (.onnx) and iot-ai model files';

const PICKLE_EXTENSIONS = ['.pkl', '.pickle', '.joblib', '.sav'];

export const PICKLE_REFUSAL =
  'a pickle (.pkl/.joblib) is never loaded: unpickling runs code the file chooses. Export the model instead: ' +
  'XGBoost with booster.save_model("model.json") (or model.get_booster().save_model("model.json")); LightGBM with ' +
  'booster.save_model("model.txt") (or model.booster_.save_model("model.txt")); scikit-learn to ONNX with skl2onnx / onnxmltools (to_onnx(model, X[:1].astype("float32"))) — see docs/import.md';

/** Whether `fileName` or the first bytes say this is a Python pickle. */
function isPickle(bytes: Uint8Array, fileName: string | undefined): boolean {
  const lower = (fileName ?? '').toLowerCase();
  if (PICKLE_EXTENSIONS.some((ext) => lower.endsWith(ext))) return true;
  // Pickle protocol 2+ starts with PROTO (0x80) and the protocol number; joblib's zlib form with 0x78.
  return bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5;
}

/** The default model name: the file's base name without its extension(s) (`model.json` → `model`). */
function baseName(fileName: string | undefined): string {
  const base = (fileName ?? 'imported').split(/[\\/]/).pop() as string;
  const stem = base.replace(/(\.model)?\.[^.]+$/i, '');
  return stem === '' ? 'imported' : stem;
}

/** Converts (or, for one of our own model files, just checks) a model file. Never throws. */
export function importModel(input: Uint8Array | string, options: ImportOptions = {}): ImportResult {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  if (bytes.length > MODEL_BOUNDS.maxModelBytes) return { ok: false, error: `the file is ${bytes.length} bytes, over the ${MODEL_BOUNDS.maxModelBytes}-byte limit of a model file` };
  if (isPickle(bytes, options.fileName)) return { ok: false, error: PICKLE_REFUSAL };
  const lower = (options.fileName ?? '').toLowerCase();
  if (lower.endsWith('.onnx') || looksLikeOnnx(bytes)) return fromConverted(convertOnnx(bytes), options);
  if (lower.endsWith('.ubj') || (bytes.length > 1 && bytes[0] === 0x7b && bytes[1] === 0x4c)) {
    return { ok: false, error: 'this is XGBoost\'s binary (UBJSON) model: save it as JSON instead, booster.save_model("model.json")' };
  }
  const text = typeof input === 'string' ? input : new TextDecoder().decode(bytes);
  if (looksLikeLightgbmText(text)) return fromConverted(convertLightgbmText(text), options);
  let data: unknown;
  try {
    data = JSON.parse(text) as unknown;
  } catch (err) {
    return { ok: false, error: `not a model this package can import: not JSON (${(err as Error).message}); supported: ${SUPPORTED}` };
  }
  if (data !== null && typeof data === 'object' && (data as { format?: unknown }).format === MODEL_FORMAT) {
    const parsed = parseModelFile(data);
    return parsed.ok ? { ok: true, model: parsed.model, converted: false } : parsed;
  }
  if (looksLikeXgboostJson(data)) return fromConverted(convertXgboost(data), options);
  if (looksLikeLightgbmDump(data)) return fromConverted(convertLightgbmDump(data), options);
  return { ok: false, error: `not a model this package can import: supported are ${SUPPORTED}` };
}

/** A converted forest as a model file: its inputs and labels from the options or the file, named and dated. */
function fromConverted(result: ConvertResult, options: ImportOptions): ImportResult {
  if (!result.ok) return result;
  const { converted } = result;
  const nFeatures = converted.forest.nFeatures;
  let featureNames: string[];
  if (options.featureNames !== undefined && options.featureNames.length > 0) {
    if (options.featureNames.length !== nFeatures) {
      return { ok: false, error: `${options.featureNames.length} feature names given but the model has ${nFeatures} features${converted.featureNames === null ? '' : ` (${converted.featureNames.join(', ')})`}` };
    }
    featureNames = [...options.featureNames];
  } else if (converted.featureNames !== null) {
    featureNames = converted.featureNames;
  } else {
    return { ok: false, error: `the model does not name its ${nFeatures} inputs: give their names in the model's order (iot-ai import --features a,b,…; ml-model's featureNames)` };
  }
  let labels: Label[] | undefined;
  if (converted.task === 'classification') {
    if (options.labels !== undefined && options.labels.length > 0) {
      if (options.labels.length !== converted.nClasses) return { ok: false, error: `${options.labels.length} labels given but the model has ${converted.nClasses} classes` };
      labels = [...options.labels];
    } else {
      labels = converted.labels ?? Array.from({ length: converted.nClasses }, (_, k) => k);
    }
  }
  const file = {
    format: MODEL_FORMAT,
    task: converted.task,
    name: options.name ?? baseName(options.fileName),
    version: options.version ?? '1',
    createdAt: options.createdAt ?? new Date().toISOString(),
    featureNames,
    ...(labels === undefined ? {} : { labels }),
    metrics: {},
    source: converted.source,
    forest: converted.forest,
  };
  const parsed = parseModelFile(file);
  return parsed.ok ? { ok: true, model: parsed.model, converted: true } : { ok: false, error: `the converted model was refused: ${parsed.error}` };
}

/** Whether `bytes` should go through {@link importModel}: not one of our own model files (which have a `format`). */
export function needsImport(bytes: Uint8Array, fileName: string | undefined): boolean {
  const lower = (fileName ?? '').toLowerCase();
  if (isPickle(bytes, fileName) || lower.endsWith('.onnx') || lower.endsWith('.ubj') || looksLikeOnnx(bytes)) return true;
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return looksLikeLightgbmText(new TextDecoder().decode(bytes.subarray(0, 64)));
  }
  return looksLikeXgboostJson(data) || looksLikeLightgbmDump(data);
}

/**
 * What ml-model's `path` loads: our own model file as loadModel reads it (with its refusals), or a model of another
 * library converted at load (importModel) with `featureNames` from the config when the file names none. Never throws.
 */
export function loadAnyModel(input: Uint8Array, options: ImportOptions = {}): { ok: true; model: LoadedModel; converted: boolean } | { ok: false; error: string } {
  if (!needsImport(input, options.fileName)) {
    const loaded = loadModel(input);
    return loaded.ok ? { ...loaded, converted: false } : loaded;
  }
  const imported = importModel(input, options);
  if (!imported.ok) return imported;
  const loaded = loadModel(imported.model);
  return loaded.ok ? { ...loaded, converted: imported.converted } : loaded;
}
