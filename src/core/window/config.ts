import type { ConfigResult } from '../util/config';
import { OUTPUT_MODES, type OutputMode } from '../types';
import { CALENDAR_FEATURE, isTimeZone } from './calendar';
import { FEATURE_NAMES, type FeatureName, isFeatureName } from './features';
import { isPowerOfTwo } from './fft';
import {
  type Band,
  BAND_EDGE_PATTERN,
  DEFAULT_BANDS,
  DEFAULT_FFT_COEFFICIENTS,
  DEFAULT_SPECTRAL_POINTS,
  isSpectralFeatureName,
  SPECTRAL_FEATURE_NAMES,
  SPECTRAL_LIMITS,
  type SpectralFeatureName,
} from './spectral';

export const WINDOW_KINDS = ['tumbling', 'sliding', 'session'] as const;
export const WINDOW_UNITS = ['ms', 's', 'min', 'count'] as const;
export const TIME_MODES = ['event', 'arrival'] as const;
export const FILL_MODES = ['none', 'previous', 'zero'] as const;

export type WindowKind = (typeof WINDOW_KINDS)[number];
export type WindowUnit = (typeof WINDOW_UNITS)[number];
export type TimeMode = (typeof TIME_MODES)[number];
export type FillMode = (typeof FILL_MODES)[number];

/** A validated `feature-window` configuration, durations normalised to milliseconds. */
export interface WindowConfig {
  readonly window: WindowKind;
  readonly unit: WindowUnit;
  /** Window length in milliseconds, or in readings when `unit` is `count`. */
  readonly size: number;
  /** Distance between window starts, in the same measure as `size` (equal to `size` for tumbling windows). */
  readonly slide: number;
  /** Session gap in milliseconds (0 unless `window` is `session`). */
  readonly gap: number;
  readonly time: TimeMode;
  /** How far (ms) a device's readings may arrive out of order before they are late. */
  readonly lateness: number;
  /**
   * Event time: a reading more than this (ms) ahead of both the node's clock and the device's own progress is a
   * lone jump, refused (`future`) unless a second reading in step with it confirms it; 0: off.
   */
  readonly maxJump: number;
  /** Wall-clock ms after which a quiet device's open windows close; 0: never. */
  readonly idleTimeout: number;
  /** Selected sensors; empty: all. */
  readonly sensors: readonly string[];
  /** Per-sensor features (`calendar` is not one of them: see `calendar`; nor the spectral ones: see `spectral`). */
  readonly features: readonly FeatureName[];
  /** Per-sensor spectral features, output after `features` (src/core/window/spectral.ts). */
  readonly spectral: readonly SpectralFeatureName[];
  /** Frequency bands of `bandEnergy`, Hz. */
  readonly bands: readonly Band[];
  /** Points each window is resampled to for the spectral features (a power of two). */
  readonly spectralPoints: number;
  /** How many FFT coefficient magnitudes `fftMag` gives. */
  readonly fftCoefficients: number;
  /** `calendar` was among the features: each window also gets `calendar.*` of its `end` in `timeZone`. */
  readonly calendar: boolean;
  /** IANA time zone of the calendar features (default `UTC`). */
  readonly timeZone: string;
  /** Fewest readings a sensor needs in a window (`bySensor` overrides `all`); 0: no minimum. */
  readonly minCount: { readonly all: number; readonly bySensor: Readonly<Record<string, number>> };
  readonly fill: FillMode;
  /** Most devices kept; the least recently seen is evicted beyond it. */
  readonly maxKeys: number;
  /** Most readings buffered per (device, sensor): a safety cap. */
  readonly maxReadings: number;
  /** Context store for `persist`; empty: off. Used by the node, not the engine. */
  readonly persist: string;
  /** `each`: one message per window; `batch`: the windows one input closed as one message. Used by the node. */
  readonly output: OutputMode;
}

export type WindowConfigResult = ConfigResult<WindowConfig>;

export const DEFAULT_FEATURES: readonly FeatureName[] = ['mean', 'std', 'min', 'max', 'last', 'count'];
export const DEFAULT_MAX_KEYS = 10_000;
export const DEFAULT_MAX_READINGS = 100_000;
export const DEFAULT_MAX_JUMP = 10_000;
/** Upper bounds (#27.6): what a device's state may grow to, and windows one reading may close (size / slide). */
export const WINDOW_LIMITS = { maxKeys: 100_000, maxReadings: 1_000_000, windowsPerReading: 1_000 } as const;

const MS_PER_UNIT: Record<WindowUnit, number> = { ms: 1, s: 1000, min: 60_000, count: 1 };

/**
 * Read `feature-window` node properties: numbers may be numeric strings, empty means default, lists may be
 * arrays or comma-separated text. Every problem is reported, in one message.
 */
export function parseWindowConfig(raw: unknown): WindowConfigResult {
  if (raw === null || typeof raw !== 'object') return { ok: false, error: 'window config must be an object' };
  const props = raw as Record<string, unknown>;
  const errors: string[] = [];
  const read = new PropertyReader(props, errors);

  const window = read.choice('window', WINDOW_KINDS, 'tumbling');
  const unit = read.choice('unit', WINDOW_UNITS, 's');
  const time = read.choice('time', TIME_MODES, 'event');
  const fill = read.choice('fill', FILL_MODES, 'none');
  const output = read.choice('output', OUTPUT_MODES, 'each');
  const byCount = unit === 'count';
  const scale = MS_PER_UNIT[unit];

  const size = read.number('size', { default: 60, positive: true, integer: byCount });
  let slide = size;
  if (window === 'sliding') slide = read.number('slide', { positive: true, integer: byCount });
  let gap = 0;
  if (window === 'session') {
    if (byCount) errors.push('session windows need a time unit (ms, s or min), not count');
    else gap = read.number('gap', { positive: true });
  }
  const lateness = read.number('lateness', { default: 0, min: 0 });
  const maxJump = read.number('maxJump', { default: DEFAULT_MAX_JUMP, min: 0 });
  const idleTimeout = read.number('idleTimeout', { default: 0, min: 0 });
  const maxKeys = read.number('maxKeys', { default: DEFAULT_MAX_KEYS, positive: true, integer: true, max: WINDOW_LIMITS.maxKeys });
  const maxReadings = read.number('maxReadings', { default: DEFAULT_MAX_READINGS, positive: true, integer: true, max: WINDOW_LIMITS.maxReadings });
  if (window === 'sliding' && size / slide > WINDOW_LIMITS.windowsPerReading) {
    errors.push(`size / slide is ${Math.ceil(size / slide)}: a reading would close that many windows of each device at once, above ${WINDOW_LIMITS.windowsPerReading} (a longer slide or a shorter size)`);
  }
  if (byCount && size > maxReadings) errors.push(`size (${size} readings) must not exceed maxReadings (${maxReadings})`);

  const sensors = read.list('sensors');
  const featureList = read.list('features');
  const unknown = featureList.filter((name) => !isFeatureName(name) && !isSpectralFeatureName(name) && name !== CALENDAR_FEATURE);
  if (unknown.length > 0) {
    errors.push(`unknown feature${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')} (known: ${[...FEATURE_NAMES, ...SPECTRAL_FEATURE_NAMES, CALENDAR_FEATURE].join(', ')})`);
  }
  const spectral = featureList.filter(isSpectralFeatureName);
  const spectralPoints = read.number('spectralPoints', { default: DEFAULT_SPECTRAL_POINTS, integer: true, min: SPECTRAL_LIMITS.minPoints, max: SPECTRAL_LIMITS.maxPoints });
  if (!isPowerOfTwo(spectralPoints)) errors.push(`spectralPoints must be a power of two (8, 16, 32, ... 4096) (got ${describe(props.spectralPoints)})`);
  const coefficientCap = Math.min(SPECTRAL_LIMITS.maxCoefficients, spectralPoints / 2 - 1);
  const fftCoefficients = read.number('fftCoefficients', { default: DEFAULT_FFT_COEFFICIENTS, integer: true, min: 1, max: Math.max(1, Math.floor(coefficientCap)) });
  const bands = readBands(props.bands, errors);
  // The defaults only when no feature is named: `calendar` alone gives the calendar features and no sensor's.
  const features = featureList.length > 0 ? (featureList.filter(isFeatureName) as FeatureName[]) : [...DEFAULT_FEATURES];
  const calendar = featureList.includes(CALENDAR_FEATURE);
  const timeZone = readTimeZone(props.timeZone, errors);
  const minCount = readMinCount(props.minCount, errors);
  const persist = typeof props.persist === 'string' ? props.persist.trim() : '';

  if (errors.length > 0) return { ok: false, error: errors.join('; ') };
  return {
    ok: true,
    config: {
      window,
      unit,
      size: size * scale,
      slide: slide * scale,
      gap: gap * scale,
      time,
      lateness,
      maxJump,
      idleTimeout,
      sensors,
      features,
      spectral,
      bands,
      spectralPoints,
      fftCoefficients,
      calendar,
      timeZone,
      minCount,
      fill,
      maxKeys,
      maxReadings,
      persist,
      output,
    },
  };
}

/** The settings a saved engine state depends on; a snapshot is only valid for an equal fingerprint. */
export function windowStateFingerprint(config: WindowConfig): string {
  const { window, unit, size, slide, gap, time, lateness, sensors, features } = config;
  // Spectral settings shape the outputs (fill: previous keeps them) and the state kept: named only when selected,
  // so a state saved before spectral features existed still matches.
  if (config.spectral.length === 0) return JSON.stringify({ window, unit, size, slide, gap, time, lateness, sensors, features });
  const { spectral, bands, spectralPoints, fftCoefficients } = config;
  return JSON.stringify({ window, unit, size, slide, gap, time, lateness, sensors, features, spectral, bands, spectralPoints, fftCoefficients });
}

interface NumberRule {
  default?: number;
  positive?: boolean;
  min?: number;
  max?: number;
  integer?: boolean;
}

/** One way to read a node property: records a message in `errors` and returns a safe value when it is bad. */
class PropertyReader {
  constructor(
    private readonly props: Record<string, unknown>,
    private readonly errors: string[],
  ) {}

  number(key: string, rule: NumberRule): number {
    const raw = this.props[key];
    const fallback = rule.default ?? 1;
    if (isBlank(raw)) {
      if (rule.default === undefined) this.errors.push(`${key} is required`);
      return fallback;
    }
    const value = toNumber(raw);
    const problem =
      value === undefined
        ? 'must be a number'
        : rule.positive && !(value > 0)
          ? 'must be greater than 0'
          : rule.min !== undefined && value < rule.min
            ? `must be at least ${rule.min}`
            : rule.max !== undefined && value > rule.max
              ? `must be at most ${rule.max}`
              : rule.integer && !Number.isInteger(value)
              ? 'must be a whole number'
              : undefined;
    if (problem !== undefined || value === undefined) {
      this.errors.push(`${key} ${problem} (got ${describe(raw)})`);
      return fallback;
    }
    return value;
  }

  choice<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const raw = this.props[key];
    if (isBlank(raw)) return fallback;
    if (typeof raw === 'string' && (allowed as readonly string[]).includes(raw.trim())) return raw.trim() as T;
    this.errors.push(`${key} must be one of ${allowed.join(', ')} (got ${describe(raw)})`);
    return fallback;
  }

  list(key: string): string[] {
    const raw = this.props[key];
    if (isBlank(raw)) return [];
    const items = typeof raw === 'string' ? raw.split(/[\s,]+/) : Array.isArray(raw) ? raw : undefined;
    if (!items || !items.every((item) => typeof item === 'string')) {
      this.errors.push(`${key} must be a list of names or comma-separated text (got ${describe(raw)})`);
      return [];
    }
    return [...new Set(items.map((item) => item.trim()).filter((item) => item.length > 0))];
  }
}

/** `minCount`: one number for every sensor, or `{ <sensor>: n }` (a JSON string of it too). */
function readMinCount(raw: unknown, errors: string[]): WindowConfig['minCount'] {
  const none = { all: 0, bySensor: {} };
  if (isBlank(raw)) return none;
  let source = raw;
  if (typeof raw === 'string' && raw.trim().startsWith('{')) {
    try {
      source = JSON.parse(raw) as unknown;
    } catch {
      errors.push(`minCount is not valid JSON (got ${describe(raw)})`);
      return none;
    }
  }
  const count = (value: unknown): number | undefined => {
    const n = toNumber(value);
    return n !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined;
  };
  if (source !== null && typeof source === 'object' && !Array.isArray(source)) {
    const bySensor: Record<string, number> = {};
    for (const [sensor, value] of Object.entries(source)) {
      const n = count(value);
      if (n === undefined) errors.push(`minCount for "${sensor}" must be a whole number of at least 0 (got ${describe(value)})`);
      else bySensor[sensor] = n;
    }
    return { all: 0, bySensor };
  }
  const n = count(source);
  if (n === undefined) {
    errors.push(`minCount must be a whole number of at least 0, or { "<sensor>": n } (got ${describe(raw)})`);
    return none;
  }
  return { all: n, bySensor: {} };
}

/**
 * `bands`: `"0-0.5, 0.5-3, 3-8"` (Hz, low-high), or an array of such strings or of [low, high] pairs; blank: the
 * default bands. Edges are plain decimals (they become part of feature names: `band0p5to3Hz`).
 */
export function readBands(raw: unknown, errors: string[]): Band[] {
  if (isBlank(raw)) return DEFAULT_BANDS.map((band) => ({ ...band }));
  const items: unknown[] | undefined = typeof raw === 'string' ? raw.split(/[,;\s]+/).filter((item) => item !== '') : Array.isArray(raw) ? raw : undefined;
  if (items === undefined || items.length === 0) {
    errors.push(`bands must be a list of low-high ranges in Hz such as "0-0.5, 0.5-3, 3-8" (got ${describe(raw)})`);
    return DEFAULT_BANDS.map((band) => ({ ...band }));
  }
  const bands: Band[] = [];
  const edge = (value: unknown): number | undefined => {
    const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
    return new RegExp(BAND_EDGE_PATTERN).test(text) ? Number(text) : undefined;
  };
  for (const item of items) {
    const pair = typeof item === 'string' ? item.split('-') : Array.isArray(item) ? item : undefined;
    const low = pair?.length === 2 ? edge(pair[0]) : undefined;
    const high = pair?.length === 2 ? edge(pair[1]) : undefined;
    if (low === undefined || high === undefined || !(high > low)) {
      errors.push(`band ${describe(item)} must read low-high in Hz, 0 ≤ low < high, at most 3 decimals (e.g. "0.5-3")`);
      continue;
    }
    if (bands.some((band) => band.low === low && band.high === high)) continue;
    bands.push({ low, high });
  }
  if (bands.length > SPECTRAL_LIMITS.maxBands) errors.push(`at most ${SPECTRAL_LIMITS.maxBands} bands (got ${bands.length})`);
  return bands;
}

/** `timeZone`: an IANA name this runtime knows; blank is UTC. */
function readTimeZone(raw: unknown, errors: string[]): string {
  if (isBlank(raw)) return 'UTC';
  if (typeof raw === 'string' && isTimeZone(raw.trim())) return raw.trim();
  errors.push(`timeZone must be an IANA time zone name such as Europe/Berlin or UTC (got ${describe(raw)})`);
  return 'UTC';
}

function isBlank(raw: unknown): boolean {
  return raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '');
}

function toNumber(raw: unknown): number | undefined {
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  return Number.isFinite(value) ? value : undefined;
}

function describe(raw: unknown): string {
  if (typeof raw === 'string') return JSON.stringify(raw);
  if (typeof raw === 'number') return String(raw);
  return JSON.stringify(raw) ?? String(raw);
}
