/**
 * Where `msg.export` writes: only into a folder of its own under the user directory (`iot-ai-exports/`), never
 * over a file it did not write there. Node-RED runs `settings.js` and reads `flows.json` from the user directory;
 * an export kept out of it cannot become either, whatever its name or content.
 *
 * - The requested path is relative to the export folder; absolute paths, `..`, and any part starting with `.`
 *   (hidden files, and this folder's own bookkeeping) are refused, and so is a link leading out of the folder.
 * - A file that exists is replaced only if an export wrote it and it has not changed since: the folder's
 *   `.exports.json` holds the SHA-256 of each file written (the newest 1,000; an older one is no longer
 *   replaced, only refused). Writes are atomic and take the folder's lock, so two exports never interleave.
 */
import { createHash } from 'node:crypto';
import { lstat, mkdir, readFile, realpath } from 'node:fs/promises';
import * as path from 'node:path';
import { confinedPath } from '../../util/paths';
import { withFileLock } from './file-lock';
import { writeFileAtomic } from './store';

export const EXPORTS_FOLDER = 'iot-ai-exports';
/** Files remembered as written by an export (so they may be replaced); the oldest is forgotten first. */
export const MAX_TRACKED_EXPORTS = 1000;
const MANIFEST = '.exports.json';

export type ExportResult = { ok: true; file: string } | { ok: false; message: string };

/** Write errors that mean the requested path cannot be a file (bad data, not a fault). */
const PATH_ERRORS = new Set(['EISDIR', 'ENOTDIR', 'EEXIST', 'ENAMETOOLONG', 'ELOOP']);

/** Writes `text` to `requested` inside the export folder of `userDir`, or says why not. */
export async function writeExport(userDir: string, requested: string, text: string, options: { maxTracked?: number } = {}): Promise<ExportResult> {
  const problem = requestProblem(requested);
  if (problem !== undefined) return { ok: false, message: problem };
  const root = await realpath(userDir).catch(() => path.resolve(userDir));
  const folder = path.join(root, EXPORTS_FOLDER);
  try {
    await mkdir(folder, { recursive: true });
    const info = await lstat(folder);
    if (!info.isDirectory()) return { ok: false, message: `${folder} is not a plain folder (a link or a file): exports are not written through it` };
  } catch (err) {
    return pathError(err, folder);
  }
  const target = confinedPath(folder, requested);
  if (target === undefined) return { ok: false, message: `${requested} leads out of the export folder ${folder}` };
  const name = path.relative(folder, target).split(path.sep).join('/');
  try {
    return await withFileLock(path.join(folder, '.exports.lock'), async () => {
      const manifest = await readManifest(folder);
      const existing = await lstat(target).catch(() => undefined);
      if (existing !== undefined) {
        if (!existing.isFile()) return { ok: false, message: `${target} is not a file: not replaced` };
        const hash = sha256(await readFile(target));
        if (manifest.get(name) !== hash) return { ok: false, message: `${target} was not written by an export (or has changed since): not replaced; choose another name` };
      }
      await mkdir(path.dirname(target), { recursive: true });
      await writeFileAtomic(target, text);
      manifest.delete(name);
      manifest.set(name, sha256(Buffer.from(text, 'utf8')));
      const bound = options.maxTracked ?? MAX_TRACKED_EXPORTS;
      for (const old of [...manifest.keys()].slice(0, Math.max(0, manifest.size - bound))) manifest.delete(old);
      await writeFileAtomic(path.join(folder, MANIFEST), `${JSON.stringify({ files: Object.fromEntries(manifest) }, null, 1)}\n`);
      return { ok: true, file: target } as ExportResult;
    });
  } catch (err) {
    return pathError(err, target);
  }
}

/** Why a requested export path is refused before looking at the disk, or undefined. */
export function requestProblem(requested: string): string | undefined {
  if (requested.trim() === '' || requested.includes('\0')) return 'the export path is empty or holds a NUL';
  if (path.isAbsolute(requested) || path.win32.isAbsolute(requested)) return `${requested}: an export path is relative to the export folder ${EXPORTS_FOLDER}/`;
  const parts = requested.split(/[\\/]+/).filter((p) => p !== '');
  if (parts.length === 0 || parts.some((p) => p.startsWith('.'))) return `${requested}: no part of an export path may start with "." (no "..", no hidden files)`;
  return undefined;
}

async function readManifest(folder: string): Promise<Map<string, string>> {
  try {
    const data = JSON.parse(await readFile(path.join(folder, MANIFEST), 'utf8')) as { files?: Record<string, unknown> };
    return new Map(Object.entries(data.files ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    // No manifest (yet), or a damaged one: no file counts as an export's, so none is replaced.
    return new Map();
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function pathError(err: unknown, where: string): ExportResult {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (!PATH_ERRORS.has(code)) throw err;
  return { ok: false, message: `cannot write the export to ${where}: ${code}` };
}
