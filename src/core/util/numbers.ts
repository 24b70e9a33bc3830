/** Reading config values that users type into editor fields: numbers as numbers, numeric strings accepted. */

export function toNumber(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw === 'string' && raw.trim() !== '') {
    const n = Number(raw.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

type NumberBounds = { min?: number; max?: number; integer?: boolean };

/**
 * A numeric config property: absent or blank gives the default (which may be undefined: "not set", e.g. a blank
 * threshold meaning the model's own); anything else must be a finite number within [min, max], or the returned
 * message says what is wrong.
 */
export function readNumberOption(raw: unknown, name: string, fallback: number, bounds?: NumberBounds): { value: number } | { error: string };
export function readNumberOption(raw: unknown, name: string, fallback: undefined, bounds?: NumberBounds): { value: number | undefined } | { error: string };
export function readNumberOption(
  raw: unknown,
  name: string,
  fallback: number | undefined,
  bounds: NumberBounds = {},
): { value: number | undefined } | { error: string } {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return { value: fallback };
  const n = toNumber(raw);
  if (n === undefined) return { error: `${name} must be a number, got ${JSON.stringify(raw)}` };
  if (bounds.integer && !Number.isInteger(n)) return { error: `${name} must be a whole number, got ${n}` };
  if (bounds.min !== undefined && n < bounds.min) return { error: `${name} must be at least ${bounds.min}, got ${n}` };
  if (bounds.max !== undefined && n > bounds.max) return { error: `${name} must be at most ${bounds.max}, got ${n}` };
  return { value: n };
}

export function toBoolean(raw: unknown, fallback: boolean): boolean {
  if (typeof raw === 'boolean') return raw;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  return fallback;
}
