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

/** Significant digits a score in [0, 1] keeps in a node's output message (#18.14). */
export const SCORE_DIGITS = 4;

/**
 * A score, likelihood or confidence in [0, 1] as a message shows it: 4 significant digits of its distance to the
 * nearer end, so 0.123456 reads 0.1235 and a likelihood of 0.99991234 reads 0.9999123 (not 1, nor the 0.9999 of a
 * threshold it is above). Verdicts are taken on the unrounded value before this; values outside [0, 1] and
 * non-finite ones are left as they are.
 */
export function roundScore(x: number): number {
  if (!Number.isFinite(x) || x < 0 || x > 1) return x;
  const rounded = x <= 0.5 ? Number(x.toPrecision(SCORE_DIGITS)) : 1 - Number((1 - x).toPrecision(SCORE_DIGITS));
  // 1 − d carries binary noise (0.12350000000000005): 15 digits drop it and keep every digit that was meant.
  return Number(rounded.toPrecision(15));
}
