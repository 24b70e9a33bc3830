/**
 * One writer at a time for a model file, across processes: a lock file beside it (`.<file>.lock`) created
 * exclusively, holding who took it. model-train and `iot-ai train --out` take it while they write the model and
 * its version archive, so a version number is given out once.
 *
 * Stale-lock rule: a lock is stale when it is older than `staleMs` (2 minutes by default: a write under the lock
 * takes seconds at most), or when it was taken on this host by a process that is gone (its pid is not running,
 * or it is this process's pid from an earlier run: a container restarts as pid 1). A stale lock is moved aside
 * and checked again before it is removed, so two waiters cannot both break it and then share it.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

export interface LockOptions {
  /** Give up waiting after this long (default 30 s). */
  timeoutMs?: number;
  /** A lock older than this is stale whoever holds it (default 120 s). */
  staleMs?: number;
  /** How often a waiter looks again (default 25 ms). */
  pollMs?: number;
}

interface LockOwner {
  pid: number;
  host: string;
  /** This process, told apart from earlier processes that had the same pid. */
  token: string;
  /** This one taking of the lock. */
  id: string;
  /** Epoch ms. */
  at: number;
}

const PROCESS_TOKEN = randomBytes(8).toString('hex');

/** `.<name>.lock` beside `file`: a dot file, so model watchers and archive listings pass it by. */
export function lockPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.lock`);
}

/** Writers in this process, one queue per lock file (an entry lives only while someone holds or waits). */
const queues = new Map<string, Promise<unknown>>();

/** Runs `fn` while holding the lock file `lockFile` (waiting for it if another writer has it). */
export function withFileLock<T>(lockFile: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const key = path.resolve(lockFile);
  const previous = queues.get(key) ?? Promise.resolve();
  const run = previous.then(() => holdLock(key, fn, options));
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return run;
}

async function holdLock<T>(lockFile: string, fn: () => Promise<T>, options: LockOptions): Promise<T> {
  const owner = await acquire(lockFile, options);
  try {
    return await fn();
  } finally {
    // Only our own lock is removed: had it been broken as stale, the file may now be someone else's.
    const holder = await readOwner(lockFile);
    if (holder !== undefined && holder !== 'unreadable' && holder.id === owner.id) await unlink(lockFile).catch(() => undefined);
  }
}

async function acquire(lockFile: string, options: LockOptions): Promise<LockOwner> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const staleMs = options.staleMs ?? 120_000;
  const pollMs = options.pollMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  await mkdir(path.dirname(lockFile), { recursive: true });
  for (;;) {
    const owner: LockOwner = { pid: process.pid, host: os.hostname(), token: PROCESS_TOKEN, id: randomBytes(6).toString('hex'), at: Date.now() };
    if (await tryCreate(lockFile, owner)) return owner;
    const holder = await readOwner(lockFile);
    if (holder === undefined) continue;
    if (await isStale(lockFile, holder, staleMs)) {
      await breakLock(lockFile, holder);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = holder === 'unreadable' ? 'another writer' : `process ${holder.pid} on ${holder.host} since ${new Date(holder.at).toISOString()}`;
      throw new Error(`${lockFile} is held by ${who}; gave up after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * Creates the lock with its content in one step: the owner is written to a temporary file that is then hard
 * linked to the lock name (which fails if it exists). File systems without hard links get an exclusive create.
 */
async function tryCreate(lockFile: string, owner: LockOwner): Promise<boolean> {
  const text = JSON.stringify(owner);
  const temporary = `${lockFile}.${owner.id}.tmp`;
  try {
    await writeFile(temporary, text, { flag: 'wx' });
    await link(temporary, lockFile);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw err;
    return createExclusive(lockFile, text);
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

async function createExclusive(lockFile: string, text: string): Promise<boolean> {
  try {
    const handle = await open(lockFile, 'wx');
    try {
      await handle.writeFile(text);
    } finally {
      await handle.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** The lock's owner; undefined when there is no lock (any more); 'unreadable' while it is being written. */
async function readOwner(lockFile: string): Promise<LockOwner | 'unreadable' | undefined> {
  let text: string;
  try {
    text = await readFile(lockFile, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    return typeof owner.pid === 'number' && typeof owner.at === 'number' && typeof owner.id === 'string' ? owner : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

async function isStale(lockFile: string, holder: LockOwner | 'unreadable', staleMs: number): Promise<boolean> {
  if (holder === 'unreadable') {
    const info = await stat(lockFile).catch(() => undefined);
    return info !== undefined && Date.now() - info.mtimeMs > staleMs;
  }
  if (Date.now() - holder.at > staleMs) return true;
  if (holder.host !== os.hostname()) return false;
  if (holder.pid === process.pid) return holder.token !== PROCESS_TOKEN;
  return !processRuns(holder.pid);
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Moves the stale lock aside; if what was moved is not the lock judged stale (it was replaced meanwhile), puts it back. */
async function breakLock(lockFile: string, stale: LockOwner | 'unreadable'): Promise<void> {
  const aside = `${lockFile}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await rename(lockFile, aside);
  } catch {
    return;
  }
  const moved = await readOwner(aside);
  const same = stale === 'unreadable' ? moved === 'unreadable' : moved !== undefined && moved !== 'unreadable' && moved.id === stale.id;
  if (!same) await link(aside, lockFile).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}
