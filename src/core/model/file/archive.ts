/**
 * The version archive of a live model file: every model that stops being live is kept in
 * `.<model>.versions/` beside the file, so it can be put back.
 *
 *   const archive = new ModelArchive({ modelFile, keepVersions: 5, writeLive: (m) => config.replace(m) });
 *   const ticket = archive.ticket();                          // when a training starts
 *   await archive.publish(model, { automatic: true, ticket }); // archives the live model, writes `model` live
 *   await archive.rollback();  await archive.rollback('1.0.3'); // the one before the live one / a named one
 *   await archive.pin('1.0.3');  await archive.unpin('1.0.3');  await archive.list();
 *
 * Promises:
 * - Every change happens under the model file's lock (file-lock.ts), so two writers (two model-train nodes, a
 *   node and `iot-ai train --out`) take turns, and `publish` gives each model a version no other model has had in
 *   this archive: a version names exactly one model.
 * - Archive files are written atomically (temporary file, fsync, rename): a full disk fails the publish and
 *   leaves the live model and the archive as they were.
 * - A rollback archives the model it replaces (it can be undone) and makes a training that started before it
 *   be refused by `publish` (`superseded`), never applied silently.
 * - Kept whatever `keepVersions` says: every pinned version (at most 10), and the version that was live before the
 *   latest run of automatic publishes began (a run ends at a manual publish or a rollback). `keepVersions` bounds
 *   the others; the oldest go first.
 * - Version strings come from model files, anyone's: they are turned into file names by `versionFileName`, never
 *   used as paths as they stand.
 *
 * The archive folder also holds `.archive.json` (the order of the versions, the pins, the run, a counter of
 * changes) written atomically after the model files; an archive written before it existed is ordered by file time.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import { lockPathFor, withFileLock, type LockOptions } from './file-lock';
import { parseModelFile, type ModelFile } from './model-file';
import { saveModel, serializeModel, writeFileAtomic } from './store';
import { allocateVersion, isVersionFileName, versionFileName } from './version';

/** Pins are kept whatever keepVersions says, so they have a bound of their own. */
export const MAX_PINS = 10;
const INDEX = '.archive.json';
const INDEX_FORMAT = 'iot-ai/versions@1';
/** `major.minor` lines whose highest patch number is remembered. */
const MAX_LINES = 16;

export interface ArchiveOptions {
  /** The live model file (absolute). */
  modelFile: string;
  /** Versions kept besides the protected ones; Infinity never removes any (`iot-ai train`, which does not know the node's setting). */
  keepVersions: number;
  /** The live model when its file is missing or unreadable (e.g. the bundled seed of an ml-model that has no file yet). */
  liveInMemory?: () => ModelFile | undefined;
  /** Makes a model live; default: write the model file. model-train passes ml-model's replace (users switch at once). */
  writeLive?: (model: ModelFile) => Promise<void>;
  /** Writes an archive file; default writeFileAtomic (tests inject a full disk). */
  writeFile?: (file: string, text: string) => Promise<void>;
  now?: () => Date;
  lock?: LockOptions;
}

export interface PublishOptions {
  /** A retrain nobody asked for (every N samples, a warm-up, a rolling update): part of a run of automatic publishes. */
  automatic?: boolean;
  /** `ticket()` from when the training started: a rollback since then refuses the publish. */
  ticket?: number;
  /** Keep the model's own version (`iot-ai train --version`) instead of allocating one; refused if it names another model. */
  keepVersion?: boolean;
}

export type PublishOutcome =
  | { ok: true; model: ModelFile; replaced?: string }
  | { ok: false; code: 'superseded' | 'version'; message: string };
export type RollbackOutcome = { ok: true; model: ModelFile; replaced?: string } | { ok: false; code: 'rollback'; message: string };
export type PinOutcome = { ok: true; version: string; pins: string[] } | { ok: false; code: 'pin'; message: string };

export interface ArchivedVersion {
  version: string;
  /** Absolute path of the archive file. */
  file: string;
  pinned: boolean;
  /** Live before the latest run of automatic publishes began. */
  beforeRun: boolean;
}

interface ArchiveIndex {
  format: typeof INDEX_FORMAT;
  /** Counts publishes and rollbacks. */
  generation: number;
  /** The generation of the latest rollback (0: none). */
  rolledBackAt: number;
  rolledBackTo?: string;
  /** Whether the latest publish was automatic (a run is going on). */
  automaticRun: boolean;
  /** The version live before the latest run began. */
  anchor?: string;
  pins: string[];
  /** Versions archived or live, oldest first. */
  order: string[];
  /** Highest patch number given out per `major.minor`. */
  highest: Record<string, number>;
}

interface Entry {
  version: string;
  file: string;
  mtimeMs: number;
}

/** Versions compare without case: a case-insensitive file system holds `1.0.0-RC.json` and `1.0.0-rc.json` as one file. */
const key = (version: string): string => version.toLowerCase();
const contentHash = (model: ModelFile): string => createHash('sha256').update(serializeModel(model)).digest('hex');

export class ModelArchive {
  /** The archive folder, `.<model>.versions` beside the model file. */
  readonly directory: string;
  private readonly options: ArchiveOptions;

  constructor(options: ArchiveOptions) {
    this.options = options;
    this.directory = ModelArchive.directoryFor(options.modelFile);
  }

  static directoryFor(modelFile: string): string {
    return path.join(path.dirname(modelFile), `.${path.basename(modelFile, '.json')}.versions`);
  }

  /** A mark to take when a training starts and hand to `publish`: a rollback after it refuses the training's model. */
  ticket(): number {
    try {
      return readIndexText(readFileSync(path.join(this.directory, INDEX), 'utf8'))?.generation ?? 0;
    } catch {
      return 0;
    }
  }

  /** Archived versions, oldest first. */
  async list(): Promise<ArchivedVersion[]> {
    const index = await this.readIndex();
    const entries = await this.scan(index);
    const pins = new Set(index.pins.map(key));
    return entries.map((e) => ({ version: e.version, file: e.file, pinned: pins.has(key(e.version)), beforeRun: index.anchor !== undefined && key(index.anchor) === key(e.version) }));
  }

  /** Archives the live model and makes `model` live under a version of its own (see PublishOptions). */
  publish(model: ModelFile, options: PublishOptions = {}): Promise<PublishOutcome> {
    return this.locked(async () => {
      const index = await this.readIndex();
      if (options.ticket !== undefined && index.rolledBackAt > options.ticket) {
        return { ok: false, code: 'superseded', message: `a rollback to ${index.rolledBackTo ?? 'an earlier version'} happened while this model was trained, so it was not applied` };
      }
      const entries = await this.scan(index);
      const byKey = new Map(entries.map((e) => [key(e.version), e]));
      const live = await this.readLive();
      let version: string;
      if (options.keepVersion) {
        const clash = await this.namesOther(model.version, contentHash(model), byKey, live);
        if (clash) return { ok: false, code: 'version', message: `version ${model.version} already names another model (${clash}); choose another version` };
        version = model.version;
      } else {
        const taken = (v: string) => byKey.has(key(v)) || (live !== undefined && key(live.version) === key(v));
        version = allocateVersion(live?.version, (this.options.now ?? (() => new Date()))(), taken, index.highest);
      }
      const next: ModelFile = { ...model, version };
      const startsRun = options.automatic === true && !index.automaticRun;
      let replaced: string | undefined;
      if (live !== undefined && (live.version !== version || contentHash(live) !== contentHash(next))) {
        const protectedVersion = startsRun || index.pins.some((p) => key(p) === key(live.version));
        if (this.options.keepVersions > 0 || protectedVersion) replaced = await this.archive(live, byKey);
        else replaced = live.version;
      }
      await (this.options.writeLive ?? ((m: ModelFile) => saveModel(this.options.modelFile, m)))(next);
      index.generation++;
      if (startsRun) index.anchor = replaced;
      index.automaticRun = options.automatic === true;
      if (replaced !== undefined && !index.order.some((v) => key(v) === key(replaced!))) index.order.push(replaced);
      index.order = index.order.filter((v) => key(v) !== key(version));
      index.order.push(version);
      noteHighest(index, version);
      await this.prune(index, version);
      return { ok: true, model: next, ...(replaced !== undefined ? { replaced } : {}) };
    });
  }

  /** Puts back version `to`, or the version before the live one; the model it replaces is archived first. */
  rollback(to?: string): Promise<RollbackOutcome> {
    return this.locked(async () => {
      const index = await this.readIndex();
      const entries = await this.scan(index);
      const byKey = new Map(entries.map((e) => [key(e.version), e]));
      const live = await this.readLive();
      let target: ModelFile | undefined;
      if (to !== undefined && live !== undefined && live.version === to) {
        // Already live: nothing to write, but it still counts as the user's choice (a running training yields to it).
        target = live;
      } else if (to !== undefined) {
        const entry = byKey.get(key(to));
        if (entry === undefined || entry.version !== to) return { ok: false, code: 'rollback', message: `no saved version ${to}` };
        const read = await readArchived(entry);
        if (typeof read === 'string') return { ok: false, code: 'rollback', message: read };
        target = read;
      } else {
        const liveAt = live === undefined ? -1 : entries.findIndex((e) => key(e.version) === key(live.version));
        const earlier = (liveAt === -1 ? entries : entries.slice(0, liveAt)).filter((e) => live === undefined || key(e.version) !== key(live.version));
        const problems: string[] = [];
        for (const entry of earlier.reverse()) {
          const read = await readArchived(entry);
          if (typeof read !== 'string') {
            target = read;
            break;
          }
          problems.push(read);
        }
        if (target === undefined) return { ok: false, code: 'rollback', message: problems.length ? `no readable earlier version: ${problems.join('; ')}` : 'no earlier version is saved' };
      }
      const replaced = live === undefined || target === live ? undefined : await this.archive(live, byKey);
      if (target !== live) await (this.options.writeLive ?? ((m: ModelFile) => saveModel(this.options.modelFile, m)))(target);
      index.generation++;
      index.rolledBackAt = index.generation;
      index.rolledBackTo = target.version;
      index.automaticRun = false;
      if (replaced !== undefined && !index.order.some((v) => key(v) === key(replaced))) index.order.push(replaced);
      // The model just replaced stays at least until the next publish, whatever its place in the order.
      await this.prune(index, target.version, replaced);
      return { ok: true, model: target, ...(replaced !== undefined ? { replaced } : {}) };
    });
  }

  /** Keeps `version` (default: the live one) whatever keepVersions says, until unpinned; a live one is archived now. */
  pin(version?: string): Promise<PinOutcome> {
    return this.locked(async () => {
      const index = await this.readIndex();
      const entries = await this.scan(index);
      const byKey = new Map(entries.map((e) => [key(e.version), e]));
      const live = await this.readLive();
      const wanted = version ?? live?.version;
      if (wanted === undefined) return { ok: false, code: 'pin', message: 'no model is live' };
      if (index.pins.some((p) => p === wanted)) return { ok: true, version: wanted, pins: index.pins.slice() };
      if (index.pins.length >= MAX_PINS) return { ok: false, code: 'pin', message: `${MAX_PINS} versions are pinned already; unpin one first (msg.unpin)` };
      let pinned = wanted;
      const archived = byKey.get(key(wanted));
      if (live !== undefined && live.version === wanted) {
        // The live model is archived now, so it stays restorable once replaced (under another name if its version is taken).
        pinned = await this.archive(live, byKey);
        if (!index.order.some((v) => key(v) === key(pinned))) index.order.push(pinned);
      } else if (archived === undefined || archived.version !== wanted) return { ok: false, code: 'pin', message: `no saved version ${wanted}` };
      if (!index.pins.includes(pinned)) index.pins.push(pinned);
      await this.writeIndex(index);
      return { ok: true, version: pinned, pins: index.pins.slice() };
    });
  }

  /** Lets `version` go like any other (keepVersions applies to it again). */
  unpin(version: string): Promise<PinOutcome> {
    return this.locked(async () => {
      const index = await this.readIndex();
      if (!index.pins.includes(version)) return { ok: false, code: 'pin', message: `version ${version} is not pinned` };
      index.pins = index.pins.filter((p) => p !== version);
      const live = await this.readLive();
      await this.prune(index, live?.version);
      return { ok: true, version, pins: index.pins.slice() };
    });
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    return withFileLock(lockPathFor(this.options.modelFile), fn, this.options.lock);
  }

  /** The live model: the file if it reads as a model, else the one in memory. */
  private async readLive(): Promise<ModelFile | undefined> {
    try {
      const parsed = parseModelFile(await readFile(this.options.modelFile));
      if (parsed.ok) return parsed.model;
    } catch {
      // No file yet (a seed is live) or unreadable: the in-memory model, if any.
    }
    return this.options.liveInMemory?.();
  }

  /**
   * Stores `model` in the archive unless the same model is there already, and returns the version it is stored
   * under: its own, or, when that version already names another model (a writer that bypassed the lock),
   * `<version>+<hash>` with the stored copy saying so.
   */
  private async archive(model: ModelFile, byKey: Map<string, Entry>): Promise<string> {
    const hash = contentHash(model);
    let stored = model;
    const existing = byKey.get(key(model.version));
    if (existing !== undefined) {
      const read = await readArchived(existing);
      if (typeof read !== 'string' && read.version === model.version && contentHash(read) === hash) return model.version;
      if (typeof read === 'string' && existing.version === model.version) {
        // An unreadable file under this name (a torn write from before atomic writes): replace it.
      } else stored = { ...model, version: `${model.version}${model.version.includes('+') ? '.' : '+'}${hash.slice(0, 8)}` };
    }
    const file = path.join(this.directory, versionFileName(stored.version));
    await (this.options.writeFile ?? writeFileAtomic)(file, serializeModel(stored));
    byKey.set(key(stored.version), { version: stored.version, file, mtimeMs: Date.now() });
    return stored.version;
  }

  /** Whether `version` already names a model other than the one with `hash`, and where. */
  private async namesOther(version: string, hash: string, byKey: Map<string, Entry>, live: ModelFile | undefined): Promise<string | undefined> {
    if (live !== undefined && key(live.version) === key(version) && contentHash({ ...live, version }) !== hash) return 'the live model';
    const entry = byKey.get(key(version));
    if (entry === undefined) return undefined;
    const read = await readArchived(entry);
    return typeof read !== 'string' && contentHash({ ...read, version }) === hash ? undefined : `archived in ${path.basename(this.directory)}`;
  }

  /** Removes the unprotected versions past keepVersions (oldest first), then writes the index. */
  private async prune(index: ArchiveIndex, live: string | undefined, alsoKeep?: string): Promise<void> {
    const entries = await this.scan(index);
    const keep = new Set([...index.pins, index.anchor, live, alsoKeep].filter((v): v is string => v !== undefined).map(key));
    const others = entries.filter((e) => !keep.has(key(e.version)));
    const excess = Number.isFinite(this.options.keepVersions) ? others.slice(0, Math.max(0, others.length - this.options.keepVersions)) : [];
    for (const gone of excess) await unlink(gone.file).catch(() => undefined);
    const left = new Set(entries.filter((e) => !excess.includes(e)).map((e) => key(e.version)));
    if (live !== undefined) left.add(key(live));
    index.order = index.order.filter((v) => left.has(key(v)));
    index.pins = index.pins.filter((p) => left.has(key(p)));
    if (index.anchor !== undefined && !left.has(key(index.anchor))) delete index.anchor;
    await this.writeIndex(index);
  }

  /** The archive files, oldest first: in the index's order, then those it does not know by file time. */
  private async scan(index: ArchiveIndex): Promise<Entry[]> {
    let names: string[];
    try {
      names = (await readdir(this.directory)).filter(isVersionFileName);
    } catch {
      return [];
    }
    const entries: Entry[] = [];
    for (const name of names) {
      const file = path.join(this.directory, name);
      const info = await stat(file).catch(() => undefined);
      if (info === undefined || !info.isFile()) continue;
      let version = name.slice(0, -'.json'.length);
      if (name.startsWith('_')) {
        // A hashed name: the version is inside (an unreadable one can only be pruned).
        const read = await readArchived({ version, file, mtimeMs: info.mtimeMs });
        version = typeof read === 'string' || versionFileName(read.version) !== name ? name : read.version;
      }
      entries.push({ version, file, mtimeMs: info.mtimeMs });
    }
    const position = new Map(index.order.map((v, i) => [key(v), i]));
    const rank = (e: Entry) => position.get(key(e.version)) ?? -1;
    // Versions the index does not know are older than those it does (an archive from before the index).
    return entries.sort((a, b) => rank(a) - rank(b) || a.mtimeMs - b.mtimeMs || (a.version < b.version ? -1 : 1));
  }

  private async readIndex(): Promise<ArchiveIndex> {
    try {
      return readIndexText(await readFile(path.join(this.directory, INDEX), 'utf8')) ?? emptyIndex();
    } catch {
      return emptyIndex();
    }
  }

  private async writeIndex(index: ArchiveIndex): Promise<void> {
    await (this.options.writeFile ?? writeFileAtomic)(path.join(this.directory, INDEX), `${JSON.stringify(index, null, 2)}\n`);
  }
}

function emptyIndex(): ArchiveIndex {
  return { format: INDEX_FORMAT, generation: 0, rolledBackAt: 0, automaticRun: false, pins: [], order: [], highest: {} };
}

/** The index, if the text is one (a damaged index counts as none: the files are still there, ordered by time). */
function readIndexText(text: string): ArchiveIndex | undefined {
  let data: Partial<ArchiveIndex>;
  try {
    data = JSON.parse(text) as Partial<ArchiveIndex>;
  } catch {
    return undefined;
  }
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (data === null || typeof data !== 'object' || data.format !== INDEX_FORMAT || !Number.isInteger(data.generation) || !strings(data.pins) || !strings(data.order)) return undefined;
  const highest: Record<string, number> = {};
  if (data.highest !== null && typeof data.highest === 'object') {
    for (const [line, patch] of Object.entries(data.highest)) if (/^\d+\.\d+$/.test(line) && Number.isInteger(patch)) highest[line] = patch;
  }
  return {
    format: INDEX_FORMAT,
    generation: data.generation!,
    rolledBackAt: Number.isInteger(data.rolledBackAt) ? data.rolledBackAt! : 0,
    ...(typeof data.rolledBackTo === 'string' ? { rolledBackTo: data.rolledBackTo } : {}),
    automaticRun: data.automaticRun === true,
    ...(typeof data.anchor === 'string' ? { anchor: data.anchor } : {}),
    pins: data.pins!.slice(0, MAX_PINS),
    order: data.order!,
    highest,
  };
}

function noteHighest(index: ArchiveIndex, version: string): void {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!match) return;
  const line = `${match[1]}.${match[2]}`;
  const patch = Number(match[3]);
  const before = index.highest[line] ?? -1;
  // Re-inserted last: the lines used least recently are forgotten first.
  delete index.highest[line];
  index.highest[line] = Math.max(patch, before);
  const lines = Object.keys(index.highest);
  for (const old of lines.slice(0, Math.max(0, lines.length - MAX_LINES))) delete index.highest[old];
}

/** An archived model, or why it cannot be used. */
async function readArchived(entry: Entry): Promise<ModelFile | string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(entry.file);
  } catch (err) {
    return `saved version ${entry.version} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
  const parsed = parseModelFile(bytes);
  if (!parsed.ok) return `saved version ${entry.version} is unreadable: ${parsed.error}`;
  if (path.basename(entry.file).toLowerCase() !== versionFileName(parsed.model.version).toLowerCase()) {
    return `saved version ${entry.version} holds version ${parsed.model.version}`;
  }
  return parsed.model;
}
