/**
 * Context keys as Node-RED writes them (`a`, `a.b`, `a[0]`, `a["b c"]`): split into the top-level name (one Redis
 * hash field per name) and the path inside its value. Names that would reach an object's prototype are refused.
 */

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

export type PathSegment = string | number;

/** The segments of a key; throws on a malformed key (the store hands the error to the caller's callback). */
export function parseContextKey(key: string): PathSegment[] {
  if (typeof key !== 'string' || key === '') throw new Error('context key must be a non-empty string');
  const segments: PathSegment[] = [];
  let i = 0;
  const name = /^[^.[\]]+/;
  while (i < key.length) {
    if (key[i] === '[') {
      const end = key.indexOf(']', i);
      if (end < 0) throw new Error(`invalid context key: ${key}`);
      const inner = key.slice(i + 1, end).trim();
      const quoted = /^(["'])(.*)\1$/.exec(inner);
      if (quoted) segments.push(quoted[2]);
      else if (/^\d+$/.test(inner)) segments.push(Number(inner));
      else throw new Error(`invalid context key: ${key}`);
      i = end + 1;
    } else {
      if (key[i] === '.') {
        if (segments.length === 0) throw new Error(`invalid context key: ${key}`);
        i++;
      }
      const match = name.exec(key.slice(i));
      if (!match) throw new Error(`invalid context key: ${key}`);
      segments.push(match[0]);
      i += match[0].length;
    }
  }
  for (const segment of segments) if (typeof segment === 'string' && FORBIDDEN.has(segment)) throw new Error(`invalid context key: ${key}`);
  if (typeof segments[0] !== 'string') throw new Error(`invalid context key: ${key}`);
  return segments;
}

/** The value at `path` inside `root` (undefined when any step is missing). */
export function getAtPath(root: unknown, path: PathSegment[]): unknown {
  let current = root;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
    current = (current as Record<PathSegment, unknown>)[segment];
  }
  return current;
}

/**
 * `root` with the value at `path` set (undefined deletes it), creating objects (or arrays, for a numeric next
 * step) on the way as Node-RED's memory store does. An empty path replaces the root.
 */
export function setAtPath(root: unknown, path: PathSegment[], value: unknown): unknown {
  if (path.length === 0) return value;
  const top: Record<PathSegment, unknown> = root !== null && typeof root === 'object' ? (root as Record<PathSegment, unknown>) : ((typeof path[0] === 'number' ? [] : {}) as Record<PathSegment, unknown>);
  let current = top;
  for (let i = 0; i < path.length - 1; i++) {
    const segment = path[i];
    let next = current[segment];
    if (next === null || typeof next !== 'object') {
      next = typeof path[i + 1] === 'number' ? [] : {};
      current[segment] = next;
    }
    current = next as Record<PathSegment, unknown>;
  }
  const last = path[path.length - 1];
  if (value === undefined) delete current[last];
  else current[last] = value;
  return top;
}
