import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LoadedModel, ModelFile } from '../../core/model';
import type { ModelVersionKeeper } from '../../core/model/file/model-home';
import type { Node } from '../shared/red';
import type { RuntimeModel } from './onnx-runtime';
import { type ConfigResult, configError } from '../../core/util/config';

/** What a node using this config sees: the live model, or why there is none. */
/** Where an ml-model's file is: `file` (absolute), its bundled `seed` until it exists, why it is `readOnly`. */
export interface ModelSource {
  file: string;
  seed?: string;
  readOnly?: string;
}

export interface ModelState {
  model?: LoadedModel;
  /** An ONNX graph that onnxruntime-node runs (docs/import.md#any-other-onnx-model): model-predict only. */
  runtime?: RuntimeModel;
  /** The last load problem (the previous good model, if any, stays live). */
  error?: string;
  source: string;
}

export interface MlModelNode extends Node {
  state(): ModelState;
  /** Calls `listener` now and on every change (load, reload, failed reload); returns the unsubscribe function. */
  subscribe(listener: (state: ModelState) => void): () => void;
  /** Writes a new model file atomically and switches every user to it without waiting for the file watcher. */
  replace(file: ModelFile): Promise<void>;
  /** The versions of the model file (archive, rollback, pins), keeping `keepVersions`; every write goes through `replace`. */
  versions(keepVersions: number): ModelVersionKeeper;
  /** Where the model file lives (absolute). */
  filePath(): string;
  /** Why this config's file must never be written (a bundled model, the palette's own folder), or undefined. */
  readOnly(): string | undefined;
}

/** The package's own folder, never written (an update would replace it, and it may be shared or read-only). */
const PACKAGE_DIR = path.resolve(__dirname, '..', '..', '..');
/** The package's own models/ folder (bundled models). */
const BUNDLED_DIR = path.join(PACKAGE_DIR, 'models');
const BUNDLED_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function bundledModels(): string[] {
  try {
    return fs
      .readdirSync(BUNDLED_DIR)
      .filter((f) => f.endsWith('.json') && !f.endsWith('.report.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .sort();
  } catch {
    return [];
  }
}

/**
 * The absolute model path: a bundled name, or a path relative to the user directory. Given both, the file at
 * `path` is the model and the bundled one is its seed until that file exists (live retraining starts from it).
 */
export function resolveModelPath(def: { path?: unknown; bundled?: unknown }, userDir: string): ConfigResult<ModelSource> {
  const bundled = typeof def.bundled === 'string' ? def.bundled.trim() : '';
  const relative = typeof def.path === 'string' ? def.path.trim() : '';
  if (bundled && !BUNDLED_NAME.test(bundled)) return configError(`"${bundled}" is not a bundled model name`);
  const bundledFile = bundled ? path.join(BUNDLED_DIR, `${bundled}.json`) : undefined;
  if (!relative) {
    if (!bundledFile) return configError('no model: choose a bundled model or a file path');
    return { ok: true, config: { file: bundledFile, readOnly: `the bundled model "${bundled}" is read-only` } };
  }
  const file = path.resolve(userDir, relative);
  return { ok: true, config: { file, ...(bundledFile ? { seed: bundledFile } : {}), ...(insidePackage(file) ? { readOnly: `${file} is inside the palette's own folder, which is never written` } : {}) } };
}

/** Whether `file` is (or would be created) under the package's own folder, links followed. */
function insidePackage(file: string): boolean {
  const real = (p: string): string => {
    try {
      return fs.realpathSync(p);
    } catch {
      const parent = path.dirname(p);
      return parent === p ? p : path.join(real(parent), path.basename(p));
    }
  };
  const root = real(PACKAGE_DIR);
  const target = real(file);
  return target === root || target.startsWith(root + path.sep);
}
