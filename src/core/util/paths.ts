import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * A path from a message, confined to the user directory: no traversal out of it, and no symbolic link inside it
 * that leads out of it (judged by where the path really resolves, as far as it exists).
 */
export function confinedPath(userDir: string, requested: string): string | undefined {
  if (requested.includes('\0')) return undefined;
  const root = realPathOrSelf(path.resolve(userDir));
  const target = path.resolve(root, requested);
  if (!isInside(root, target)) return undefined;
  return resolvesInside(root, target) ? target : undefined;
}

function isInside(root: string, target: string): boolean {
  return target.startsWith(root + path.sep);
}

function realPathOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/** Where `target` leads: the real path of its longest existing part, plus the parts not created yet. */
function resolvesInside(root: string, target: string): boolean {
  const missing: string[] = [];
  let existing = target;
  for (;;) {
    let real: string | undefined;
    try {
      real = fs.realpathSync(existing);
    } catch {
      // A link whose target does not exist (yet) would be followed on write: refuse it.
      if (isLink(existing)) return false;
    }
    if (real !== undefined) return isInside(root, path.join(real, ...missing));
    const parent = path.dirname(existing);
    if (parent === existing) return false;
    missing.unshift(path.basename(existing));
    existing = parent;
  }
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
