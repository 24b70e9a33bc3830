import { isJsonObject } from './json';
import type { JsonValue, LimitMode, Limits, Range } from './types';

export type LimitResult = { ok: true; command: JsonValue; clamped: string[] } | { ok: false; reason: string };

interface FoundRange {
  range: Range;
  /** The limit names this very field (not a container around it). */
  exact: boolean;
}

/** Per-field limits name a whole text (or bare number) command `command`, as messages do. */
const ROOT_FIELD = 'command';

/**
 * The range for the field at `path`. A per-field limit is named by dotted path (`color.r`) or by key (`r`);
 * naming a container (`color`) limits every number inside it; the nearest name wins.
 */
function rangeFor(limits: Limits, path: string[], isNumber: boolean): FoundRange | undefined {
  if (limits.kind === 'every-number') return isNumber ? { range: limits.range, exact: true } : undefined;
  const named = path.length === 0 ? [ROOT_FIELD] : path;
  for (let end = named.length; end > 0; end--) {
    const range = limits.fields.get(named.slice(0, end).join('.')) ?? limits.fields.get(named[end - 1]);
    if (range) return { range, exact: end === named.length };
  }
  return undefined;
}

function outside(name: string, value: number, range: Range): string {
  return `${name} = ${value} is outside [${range.min ?? '-∞'}, ${range.max ?? '∞'}]`;
}

export type ValueLimit = { ok: true; value: number; clamped?: string } | { ok: false; reason: string };

/**
 * Limits the prediction's value before a template writes it into a string (`"Dimmer {value}"`) at `path`, where
 * the number check after rendering cannot see it: the string's own field decides the range, as for a number there.
 */
export function limitValue(value: number, limits: Limits | undefined, mode: LimitMode, path: string[]): ValueLimit {
  const found = limits && rangeFor(limits, path, true);
  if (!found) return { ok: true, value };
  const { min = -Infinity, max = Infinity } = found.range;
  if (value >= min && value <= max) return { ok: true, value };
  if (mode === 'refuse') return { ok: false, reason: `{value} in ${outside(fieldName(path), value, found.range)}` };
  const bounded = Math.min(max, Math.max(min, value));
  return { ok: true, value: bounded, clamped: `${fieldName(path)} ${value}→${bounded}` };
}

function fieldName(path: string[]): string {
  return path.length === 0 ? 'command' : path.join('.');
}

/** Checks (refuse) or clamps (clamp) every limited number of a command; returns a new command. */
export function applyLimits(command: JsonValue, limits: Limits | undefined, mode: LimitMode): LimitResult {
  if (!limits) return { ok: true, command, clamped: [] };
  const clamped: string[] = [];
  let refusal: string | undefined;

  const visit = (value: JsonValue, path: string[]): JsonValue => {
    if (refusal) return value;
    if (Array.isArray(value)) return value.map((item, i) => visit(item, [...path, String(i)]));
    if (isJsonObject(value)) {
      const copy: { [key: string]: JsonValue } = {};
      for (const [key, item] of Object.entries(value)) copy[key] = visit(item, [...path, key]);
      return copy;
    }
    const found = rangeFor(limits, path, typeof value === 'number');
    if (!found) return value;
    if (typeof value !== 'number') {
      // A limited field we cannot check is not let through: the device might still read it as a number. A text
      // command is text by choice; its value was limited before it was written in (limitValue).
      if (found.exact && path.length > 0) {
        refusal = `${fieldName(path)} is limited but holds ${JSON.stringify(value)}, not a number`;
      }
      return value;
    }
    const { min = -Infinity, max = Infinity } = found.range;
    if (value >= min && value <= max) return value;
    const bounded = Math.min(max, Math.max(min, value));
    if (mode === 'refuse') {
      refusal = outside(fieldName(path), value, found.range);
      return value;
    }
    clamped.push(`${fieldName(path)} ${value}→${bounded}`);
    return bounded;
  };

  const result = visit(command, []);
  return refusal ? { ok: false, reason: refusal } : { ok: true, command: result, clamped };
}

/**
 * The command as JSON will carry it: -0 becomes 0 (JSON has no -0, so a re-send after a restart would differ),
 * and NaN or ±Infinity, which JSON cannot carry, refuse the command.
 */
export function jsonExactNumbers(command: JsonValue): { ok: true; command: JsonValue } | { ok: false; path: string } {
  let bad: string | undefined;
  const visit = (value: JsonValue, path: string[]): JsonValue => {
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) bad ??= fieldName(path);
      return value === 0 ? 0 : value;
    }
    if (Array.isArray(value)) return value.map((item, i) => visit(item, [...path, String(i)]));
    if (isJsonObject(value)) {
      const copy: { [key: string]: JsonValue } = {};
      for (const [key, item] of Object.entries(value)) copy[key] = visit(item, [...path, key]);
      return copy;
    }
    return value;
  };
  const result = visit(command, []);
  return bad === undefined ? { ok: true, command: result } : { ok: false, path: bad };
}
