/**
 * Writing model files: a readable serialisation and an atomic write, so a watcher (`ml-model` with `watch`)
 * never sees half a file.
 */
import { randomBytes } from 'node:crypto';
import { FileHandle, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import type { AnyForest } from '../forest/forest-format';
import { LoadedModel, loadModel, ModelFile } from './model-file';

/**
 * Model file text: the metadata indented for people, then the anomaly settings on one line, the feature sketch
 * with one feature per line, the forest compact with one tree per line (a forest of 100 deep trees stays a
 * hundred long lines instead of millions of short ones), and per-device anomaly parts one per line.
 */
export function serializeModel(model: ModelFile): string {
  const { forest, anomaly, sketch, devices, ...metadata } = model;
  const head = JSON.stringify(metadata, null, 2).replace(/\n}$/, '');
  const tail: string[] = [];
  if (anomaly !== undefined) tail.push(`  "anomaly": ${JSON.stringify(anomaly)}`);
  if (sketch !== undefined) {
    const { features, ...sketchHead } = sketch;
    const lines = features.map((feature) => `      ${JSON.stringify(feature)}`);
    const list = lines.length === 0 ? '[]' : `[\n${lines.join(',\n')}\n    ]`;
    tail.push(`  "sketch": ${JSON.stringify(sketchHead).slice(0, -1)},\n    "features": ${list}\n  }`);
  }
  if (forest !== undefined) tail.push(`  "forest": ${forestText(forest)}`);
  // Per-device anomaly parts: one compact line each (a device's forest would otherwise take a line per number).
  if (devices !== undefined) {
    const lines = Object.entries(devices).map(([deviceId, part]) => `    ${JSON.stringify(deviceId)}: ${JSON.stringify(part)}`);
    tail.push(`  "devices": ${lines.length === 0 ? '{}' : `{\n${lines.join(',\n')}\n  }`}`);
  }
  return `${head}${tail.map((part) => `,\n${part}`).join('')}\n}\n`;
}

function forestText(forest: AnyForest): string {
  if (!('trees' in forest)) return JSON.stringify(forest);
  const { trees, ...forestHead } = forest;
  const lines = trees.map((tree) => `      ${JSON.stringify(tree)}`);
  return `${JSON.stringify(forestHead).slice(0, -1)},\n    "trees": [\n${lines.join(',\n')}\n    ]\n  }`;
}

/** How the bytes reach the temporary file; tests replace it to run out of disk space half way. */
export type WriteContent = (handle: FileHandle, data: string | Uint8Array) => Promise<void>;

/**
 * Writes `text` to `filePath` atomically: a temporary file in the same directory is written, flushed to disk
 * and renamed over the target, so readers see the old file or the new one, never a mix. A failed write (a full
 * disk) leaves the target as it was and no temporary file behind.
 */
export async function writeFileAtomic(filePath: string, text: string | Uint8Array, write: WriteContent = (handle, data) => handle.writeFile(data)): Promise<void> {
  const directory = path.dirname(filePath);
  await mkdir(directory, { recursive: true });
  const temporary = path.join(directory, `.${path.basename(filePath)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | null = null;
  try {
    handle = await open(temporary, 'wx', 0o644);
    await write(handle, text);
    await handle.sync();
    await handle.close();
    handle = null;
    await rename(temporary, filePath);
  } catch (err) {
    if (handle !== null) await handle.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw err;
  }
  await syncDirectory(directory);
}

/** Makes the rename itself durable; not possible (nor needed) on every platform. */
async function syncDirectory(directory: string): Promise<void> {
  let handle: FileHandle | null = null;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch {
    // Windows cannot open a directory; the rename is still atomic there.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Serialises and writes a model file atomically. */
export async function saveModel(filePath: string, model: ModelFile): Promise<void> {
  await writeFileAtomic(filePath, serializeModel(model));
}

/** Reads, checks and compiles a model file; a missing or unreadable file is an error like a bad one. */
export async function loadModelFile(filePath: string): Promise<{ ok: true; model: LoadedModel } | { ok: false; error: string }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(filePath);
  } catch (err) {
    return { ok: false, error: `cannot read model file ${filePath}: ${(err as Error).message}` };
  }
  const loaded = loadModel(bytes);
  return loaded.ok ? loaded : { ok: false, error: `${filePath}: ${loaded.error}` };
}
