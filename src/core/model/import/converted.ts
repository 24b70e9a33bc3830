/**
 * What every importer (xgboost.ts, onnx.ts, lightgbm.ts) hands to import-model.ts: a forest of the package's own
 * form and what the file says about it, before the model file is named and dated.
 */
import type { Label, ModelSource } from '../file/model-file';
import type { TreeForest } from '../forest/forest-format';

export interface ConvertedForest {
  task: 'classification' | 'regression';
  forest: TreeForest;
  /** The input names the file records, or null when it records none. */
  featureNames: string[] | null;
  /** Classification: how many classes. */
  nClasses: number;
  /** Classification: the labels the file records for class 0, 1, … (absent: the class indices, unless the user names them). */
  labels?: Label[];
  source: ModelSource & { library: string; trees: number };
}

export type ConvertResult = { ok: true; converted: ConvertedForest } | { ok: false; error: string };

/** A reason the file cannot be converted, worded for the user; the importer prefixes the format's name. */
export class ImportError extends Error {}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Runs a converter, turning its ImportErrors (and any other failure) into a refusal that names the format. */
export function converting(format: string, convert: () => ConvertedForest): ConvertResult {
  try {
    return { ok: true, converted: convert() };
  } catch (err) {
    if (err instanceof ImportError) return { ok: false, error: `${format}: ${err.message}` };
    return { ok: false, error: `${format} could not be read: ${(err as Error).message}` };
  }
}
