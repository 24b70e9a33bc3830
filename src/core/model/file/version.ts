/**
 * Model versions: the next one after a live model, and the file name a version is archived under. A version
 * comes from a model file (anyone's), so it is never used as a path as it stands: a name that could leave the
 * archive folder, or mean something else to a file system, is archived under a name derived from its hash.
 */
import { createHash } from 'node:crypto';

/** `1.0.7` → `1.0.8`; anything else gets a date-based version. */
export function nextVersion(previous: string | undefined, now: Date): string {
  const match = previous === undefined ? null : /^(\d+)\.(\d+)\.(\d+)$/.exec(previous);
  if (match) return `${match[1]}.${match[2]}.${Number(match[3]) + 1}`;
  return previous === undefined ? '1.0.0' : now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** Letters, digits, `.`, `_`, `+`, `-`; a letter or digit first and last; at most 100 characters. */
const PLAIN_VERSION = /^[A-Za-z0-9](?:[A-Za-z0-9._+-]{0,98}[A-Za-z0-9])?$/;
/** Device names on Windows, whatever the extension. */
const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i;

/** Whether `version` can be a file name as it stands (no separator, no `..`, no dot file, no device name). */
export function isPlainVersion(version: string): boolean {
  return PLAIN_VERSION.test(version) && !version.includes('..') && !RESERVED.test(version);
}

/**
 * The archive file name of `version`: `<version>.json` for a plain version, otherwise `_<hash>.json` (a name no
 * plain version has, since `_` never starts one). Always one path segment, whatever the string.
 */
export function versionFileName(version: string): string {
  if (isPlainVersion(version)) return `${version}.json`;
  return `_${createHash('sha256').update(version, 'utf8').digest('hex').slice(0, 32)}.json`;
}

/** Whether a file in an archive folder is an archived version (not the index, a lock or a temporary file). */
export function isVersionFileName(file: string): boolean {
  return /^(?:_[0-9a-f]{32}|[A-Za-z0-9][A-Za-z0-9._+-]*)\.json$/.test(file);
}

/**
 * The version a newly published model gets: the one after `live`, moved past any version still in use
 * (`taken`) and past the highest patch number ever given out in the same `major.minor` (`highest`), so a
 * version never names two models. Date-based versions get `.1`, `.2`, … when a second one falls in the same second.
 */
export function allocateVersion(live: string | undefined, now: Date, taken: (version: string) => boolean, highest: Readonly<Record<string, number>> = {}): string {
  let candidate = nextVersion(live, now);
  const semver = /^(\d+)\.(\d+)\.(\d+)$/.exec(candidate);
  if (semver) {
    const line = `${semver[1]}.${semver[2]}`;
    let patch = Math.max(Number(semver[3]), (highest[line] ?? -1) + 1);
    while (taken(`${line}.${patch}`)) patch++;
    return `${line}.${patch}`;
  }
  const base = candidate;
  for (let n = 1; taken(candidate); n++) candidate = `${base}.${n}`;
  return candidate;
}
