import type { ConfigResult } from '../util/config';
import { readNumberOption } from '../util/numbers';
import { DEFAULT_DETECTOR, DETECTOR_METHODS, type DetectorMethod, type DetectorParams } from './detectors';
import { DEFAULT_LIKELIHOOD } from './likelihood';

/** A validated `anomaly-detect` configuration. */
export interface AnomalyConfig extends DetectorParams {
  readonly method: DetectorMethod;
  /** Likelihood at or above which a window is an anomaly. */
  readonly threshold: number;
  /** Windows a stream learns from before it may raise an alarm. */
  readonly learn: number;
  /** Scores in the likelihood's short-term mean. */
  readonly average: number;
  /** Windows after an alarm during which the stream raises no new one (its episode goes on). */
  readonly refractory: number;
  /** Milliseconds (of the windows' own time) after an alarm during which the stream raises no new one; 0: off. */
  readonly refractoryTime: number;
  /** Features scored, in this order; empty: every numeric feature of a stream's first window, by name. */
  readonly features: readonly string[];
  /** Most streams kept; the least recently seen is forgotten beyond it. */
  readonly maxKeys: number;
  /** Context store for `persist`; empty: off. Used by the node, not the session. */
  readonly persist: string;
}

export const DEFAULT_METHOD: DetectorMethod = 'forecast';
export const DEFAULT_THRESHOLD = 0.9999;
export const DEFAULT_LEARN = 100;
export const DEFAULT_REFRACTORY = 100;
export const DEFAULT_MAX_KEYS = 10_000;
/** A stream scores at most this many features (its state grows with them). */
export const MAX_FEATURES = 64;

export const ANOMALY_DEFAULTS: AnomalyConfig = {
  method: DEFAULT_METHOD,
  ...DEFAULT_DETECTOR,
  threshold: DEFAULT_THRESHOLD,
  learn: DEFAULT_LEARN,
  average: DEFAULT_LIKELIHOOD.average,
  refractory: DEFAULT_REFRACTORY,
  refractoryTime: 0,
  features: [],
  maxKeys: DEFAULT_MAX_KEYS,
  persist: '',
};

export type AnomalyConfigResult = ConfigResult<AnomalyConfig>;

/** Reads node properties: numbers may be numeric strings, blank means the default; every problem in one message. */
export function parseAnomalyConfig(raw: unknown): AnomalyConfigResult {
  if (raw === null || typeof raw !== 'object') return { ok: false, error: 'anomaly-detect config must be an object' };
  const props = raw as Record<string, unknown>;
  const errors: string[] = [];
  const number = (name: keyof AnomalyConfig, min: number, max: number, integer: boolean): number => {
    const read = readNumberOption(props[name], name, ANOMALY_DEFAULTS[name] as number, { min, max, integer });
    if ('error' in read) {
      errors.push(read.error);
      return ANOMALY_DEFAULTS[name] as number;
    }
    return read.value;
  };

  let method = DEFAULT_METHOD;
  const rawMethod = props.method;
  if (rawMethod !== undefined && rawMethod !== '') {
    if (typeof rawMethod === 'string' && (DETECTOR_METHODS as readonly string[]).includes(rawMethod)) method = rawMethod as DetectorMethod;
    else errors.push(`method must be one of ${DETECTOR_METHODS.join(', ')}, got ${JSON.stringify(rawMethod)}`);
  }
  const memory = number('memory', 2, 1_000_000, false);
  const smoothing = number('smoothing', 0.01, 1, false);
  const neighbours = number('neighbours', 1, 32, true);
  const reference = number('reference', 4, 1024, true);
  const embed = number('embed', 1, 32, true);
  const threshold = number('threshold', 0.5, 1, false);
  const learn = number('learn', 0, 1_000_000, true);
  const average = number('average', 1, 1000, true);
  const refractory = number('refractory', 0, 1_000_000, true);
  const refractoryTime = number('refractoryTime', 0, 365 * 86_400_000, false);
  const maxKeys = number('maxKeys', 1, 10_000_000, true);
  if (neighbours >= reference) errors.push(`neighbours (${neighbours}) must be fewer than reference (${reference})`);

  let features: string[] = [];
  const rawFeatures = props.features;
  if (Array.isArray(rawFeatures)) features = rawFeatures.map(String);
  else if (typeof rawFeatures === 'string') features = rawFeatures.split(',');
  else if (rawFeatures !== undefined && rawFeatures !== null) errors.push('features must be a list of feature names');
  features = features.map((name) => name.trim()).filter((name) => name !== '');
  if (new Set(features).size !== features.length) errors.push('features lists a name twice');
  if (features.length > MAX_FEATURES) errors.push(`at most ${MAX_FEATURES} features, got ${features.length}`);

  const persist = typeof props.persist === 'string' ? props.persist.trim() : '';
  if (errors.length > 0) return { ok: false, error: errors.join('; ') };
  return {
    ok: true,
    config: { method, memory, smoothing, neighbours, reference, embed, threshold, learn, average, refractory, refractoryTime, features, maxKeys, persist },
  };
}
