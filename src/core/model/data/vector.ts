/**
 * A features object (name → number) as a vector in a model's feature order: the one reading that training
 * (model-train's records and anomaly baselines, `iot-ai train --window`) and serving (predict, drift) share, so
 * the two can't disagree on which value is a number, which is missing and which is refused.
 *
 * A finite number is itself; an absent, null or NaN feature is missing (NaN, listed in `missing`) when missing
 * values are allowed, else refused; anything else (a string, a boolean, ±Infinity, an object) is refused.
 * Keys the names do not list are not read.
 */

/** A feature that is absent, null or NaN: missing, never a value. */
export function isMissingFeature(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'number' && Number.isNaN(value));
}

/** The first refused feature: its place in the names, its name and what it held (undefined: absent). */
export interface FeatureProblem {
  index: number;
  name: string;
  value: unknown;
}

export type FeatureVectorResult = { ok: true; row: Float64Array; missing?: string[] } | { ok: false; problem: FeatureProblem };

/**
 * `features[names[i]]` into `into[i]` (own properties only: a name like "constructor" is not read off the
 * prototype). Undefined `features` has every feature absent.
 */
export function featureVector(
  names: readonly string[],
  features: Readonly<Record<string, unknown>> | undefined,
  options: { allowMissing?: boolean; into?: Float64Array } = {},
): FeatureVectorResult {
  const row = options.into ?? new Float64Array(names.length);
  let missing: string[] | undefined;
  for (let f = 0; f < names.length; f++) {
    const value = features !== undefined && Object.prototype.hasOwnProperty.call(features, names[f]) ? features[names[f]] : undefined;
    if (typeof value === 'number' && Number.isFinite(value)) {
      row[f] = value;
      continue;
    }
    if (options.allowMissing === true && isMissingFeature(value)) {
      row[f] = NaN;
      (missing ??= []).push(names[f]);
      continue;
    }
    return { ok: false, problem: { index: f, name: names[f], value } };
  }
  return missing === undefined ? { ok: true, row } : { ok: true, row, missing };
}

/**
 * What is wrong with a refused feature, as predictions and collected windows say it: `is missing`,
 * `is Infinity, not a finite number`, `is a string, not a number`.
 */
export function describeFeatureValue(value: unknown): string {
  if (value === undefined) return 'is missing';
  if (typeof value === 'number') return `is ${value}, not a finite number`;
  return `is ${typeof value === 'string' ? 'a string' : value === null ? 'null' : `a ${typeof value}`}, not a number`;
}

/** The same, quoting the value, as training errors do (they name the bad example's value): `is "3", not a finite number`. */
export function describeFeatureValueQuoted(value: unknown): string {
  return value === undefined ? 'is missing' : `is ${JSON.stringify(value) ?? String(value)}, not a finite number`;
}

