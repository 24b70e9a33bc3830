import type { JsonObject, JsonValue } from './types';

/**
 * A plain `{...}` object. Told by its tag, not its prototype: objects made in a Function node come from
 * another realm (the node's vm sandbox) and have a different `Object.prototype`.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.prototype.toString.call(value) === '[object Object]';
}

export function isJsonObject(value: unknown): value is JsonObject {
  return isPlainObject(value);
}

/** JSON text with object keys sorted, so equal commands give equal keys whatever their key order. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).filter((key) => value[key] !== undefined).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${stableStringify(value[key])}`).join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value); // never valid JSON, keep distinct
  return JSON.stringify(value) ?? 'null';
}

/** A deep copy, so callers (and the flow) can mutate what they are given without touching engine state. */
export function cloneJson<T extends JsonValue>(value: T): T {
  return structuredClone(value);
}

/** Nesting depth of a JSON value (a primitive is 0), giving up early past `limit`. */
export function depthOf(value: unknown, limit: number, depth = 0): number {
  if (depth > limit) return depth;
  let deepest = depth;
  const children = Array.isArray(value) ? value : isPlainObject(value) ? Object.values(value) : [];
  for (const child of children) {
    if (typeof child === 'object' && child !== null) deepest = Math.max(deepest, depthOf(child, limit, depth + 1));
    if (deepest > limit) break;
  }
  return deepest;
}

/** A config property that may hold a JSON value or its text (as editor fields save it). */
export function readJsonProperty(raw: unknown, name: string): { value: unknown } | { error: string } {
  if (typeof raw !== 'string') return { value: raw };
  const text = raw.trim();
  if (text === '') return { value: undefined };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    return { error: `${name} is not valid JSON: ${(err as Error).message}` };
  }
}

/**
 * Text from a device or a model, for a message: cut to 80 characters, quoted, with control characters,
 * noncharacters and lone surrogates escaped, so a log line shows what was refused instead of carrying it.
 */
export function quoted(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  const cut = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return JSON.stringify(cut).replace(/[\u007F-\u009F\uFDD0-\uFDEF\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
