/**
 * A live model file and what is kept beside it: the one door through which the nodes write, version, pin and roll
 * back a model. ml-model owns one per config (its `replace` is `write`); model-train asks that config for the
 * `versions` of its file and publishes, rolls back and pins through them. Neither node spells a name of its own:
 *
 *   <dir>/live.json                 the live model (atomic writes, store.ts)
 *   <dir>/.live.json.lock           one writer at a time, across processes (file-lock.ts)
 *   <dir>/.live.versions/           every model that stopped being live, `.archive.json` with order and pins (archive.ts)
 *   <dir>/.live.versions/1.0.3.json one archived version (its file name from version.ts: never a path as it stands)
 *
 *   const home = new ModelHome({ file, inMemory: () => current?.file, written: reload });
 *   await home.write(model);                      // checked, atomic; then `written`
 *   const versions = home.versions(5);            // keepVersions
 *   await versions.publish(model, { automatic: true, ticket: versions.ticket() });
 *   await versions.rollback();  await versions.pin();  await versions.unpin('1.0.3');
 */
import * as path from 'node:path';
import { ModelArchive, type ArchivedVersion, type PinOutcome, type PublishOptions, type PublishOutcome, type RollbackOutcome } from './archive';
import { modelTooLarge } from './bounds';
import { lockPathFor } from './file-lock';
import type { ModelFile } from './model-file';
import { saveModel } from './store';
import { carriedTrainingWindow } from './training-window';
import { versionFileName } from './version';

/** The names kept beside a model file (absolute paths). */
export interface ModelFileNames {
  file: string;
  /** The lock every writer takes. */
  lock: string;
  /** The version archive folder. */
  versions: string;
  /** Where `version` is archived (whatever the string, one file inside `versions`). */
  archived(version: string): string;
}

export function modelFileNames(file: string): ModelFileNames {
  const versions = ModelArchive.directoryFor(file);
  return { file, lock: lockPathFor(file), versions, archived: (version) => path.join(versions, versionFileName(version)) };
}

export interface ModelHomeOptions {
  /** The live model file (absolute). */
  file: string;
  /** Why this file must never be written (a bundled model, the palette's own folder), or undefined. */
  readOnly?: string;
  /** The live model when its file is missing or unreadable (e.g. the bundled seed of a file not written yet). */
  inMemory?: () => ModelFile | undefined;
  /** After each write (ml-model reloads, so every user switches at once); a rejection fails the write. */
  written?: (model: ModelFile) => Promise<void>;
}

/** A file's versions as model-train uses them: publishing, rollback and pins (see archive.ts for the promises). */
export interface ModelVersionKeeper {
  /** A mark taken when a training starts: a rollback after it makes `publish` refuse the training's model. */
  ticket(): number;
  /** Archives the live model and makes `model` live under a version of its own; it keeps the live model's training window. */
  publish(model: ModelFile, options?: PublishOptions): Promise<PublishOutcome>;
  /** Puts back version `to`, or the one before the live one; the model it replaces is archived first. */
  rollback(to?: string): Promise<RollbackOutcome>;
  /** Keeps `version` (default: the live one) whatever keepVersions says. */
  pin(version?: string): Promise<PinOutcome>;
  unpin(version: string): Promise<PinOutcome>;
  /** Archived versions, oldest first. */
  list(): Promise<ArchivedVersion[]>;
}

export class ModelHome {
  readonly names: ModelFileNames;

  constructor(private readonly options: ModelHomeOptions) {
    this.names = modelFileNames(options.file);
  }

  /**
   * Makes `model` the live file: refused when the file is read-only, or when ml-model could not load the model
   * (then nothing is written, so a restart still finds the last good one). Atomic; takes no lock (a caller that
   * needs one, as `versions` does, holds it).
   */
  async write(model: ModelFile): Promise<void> {
    if (this.options.readOnly !== undefined) throw new Error(this.options.readOnly);
    const tooLarge = modelTooLarge(model);
    if (tooLarge !== undefined) throw new Error(tooLarge);
    await saveModel(this.options.file, model);
    await this.options.written?.(model);
  }

  /** The versions of this file, keeping `keepVersions` of them besides the pinned and protected ones. */
  versions(keepVersions: number): ModelVersionKeeper {
    const archive = new ModelArchive({ modelFile: this.options.file, keepVersions, liveInMemory: this.options.inMemory, writeLive: (model) => this.write(model) });
    return {
      ticket: () => archive.ticket(),
      publish: (model, options) => archive.publish(this.withTrainingWindow(model), options),
      rollback: (to) => archive.rollback(to),
      pin: (version) => archive.pin(version),
      unpin: (version) => archive.unpin(version),
      list: () => archive.list(),
    };
  }

  /** A model keeps the window it was trained with: one that names none takes the live model's, if it covers its features. */
  private withTrainingWindow(model: ModelFile): ModelFile {
    if (model.window !== undefined) return model;
    const window = carriedTrainingWindow(model.featureNames, this.options.inMemory?.()?.window);
    return window === undefined ? model : { ...model, window };
  }
}
