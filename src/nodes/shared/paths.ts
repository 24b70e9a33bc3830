import * as path from 'node:path';

/** A path from a message, confined to the user directory (no traversal out of it). */
export function confinedPath(userDir: string, requested: string): string | undefined {
  const root = path.resolve(userDir);
  const target = path.resolve(root, requested);
  return target.startsWith(root + path.sep) ? target : undefined;
}
