/**
 * The window a model was trained with, so a feature-window can be set up to feed it: the one its file keeps
 * (`window`, written by `iot-ai train --window` and model-train), or else the sensors and features its
 * `<sensor>.<feature>` names spell out. See docs/model-format.md#the-training-window.
 */
import { CALENDAR_FEATURE, CALENDAR_KEYS } from '../../window/calendar';
import { isFeatureName } from '../../window/features';
import { spectralFeatureOfKey } from '../../window/spectral';
import { isTimeZone } from '../../ingest/timestamps';
import type { ModelFile, TrainingWindowConfig } from './model-file';

const KINDS = ['tumbling', 'sliding', 'session'] as const;
const UNITS = ['ms', 's', 'min', 'count'] as const;
const TIMES = ['event', 'arrival'] as const;
const FILLS = ['none', 'previous', 'zero'] as const;

const oneOf = <T extends string>(value: unknown, choices: readonly T[]): T | undefined =>
  typeof value === 'string' && (choices as readonly string[]).includes(value) ? (value as T) : undefined;
const positive = (value: unknown): number | undefined => {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
};
const nonNegative = (value: unknown): number | undefined => (value === 0 || value === '0' ? 0 : positive(value));
/** A list property as the node takes it: an array, or comma-separated text. */
const list = (value: unknown): string[] | undefined => {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined;
  if (items === undefined) return undefined;
  return items.filter((item): item is string => typeof item === 'string').map((item) => item.trim()).filter((item) => item !== '');
};

/**
 * The feature-shaping properties of a WINDOW.json (feature-window properties), normalised: lists as arrays, numbers
 * as numbers, unknown or invalid properties left out. Undefined when nothing is left.
 */
export function trainingWindowOf(config: unknown): TrainingWindowConfig | undefined {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) return undefined;
  const raw = config as Record<string, unknown>;
  const window = oneOf(raw.window, KINDS);
  const out: TrainingWindowConfig = {
    window,
    size: positive(raw.size),
    slide: window === 'sliding' ? positive(raw.slide) : undefined,
    gap: window === 'session' ? positive(raw.gap) : undefined,
    unit: oneOf(raw.unit, UNITS),
    time: oneOf(raw.time, TIMES),
    lateness: nonNegative(raw.lateness),
    sensors: list(raw.sensors),
    features: list(raw.features),
    minCount: typeof raw.minCount === 'string' && raw.minCount.trim() !== '' ? raw.minCount.trim() : nonNegative(raw.minCount),
    fill: oneOf(raw.fill, FILLS),
    timeZone: typeof raw.timeZone === 'string' && isTimeZone(raw.timeZone.trim()) ? raw.timeZone.trim() : undefined,
    // The spectral settings (feature-window `bands`, `spectralPoints`, `fftCoefficients`), as the node takes them.
    bands: typeof raw.bands === 'string' && raw.bands.trim() !== '' ? raw.bands.trim() : Array.isArray(raw.bands) && raw.bands.length > 0 ? raw.bands.map(String).join(', ') : undefined,
    spectralPoints: positive(raw.spectralPoints),
    fftCoefficients: positive(raw.fftCoefficients),
  };
  for (const key of Object.keys(out) as Array<keyof TrainingWindowConfig>) if (out[key] === undefined) delete out[key];
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The sensors and features of feature names that all read `<sensor>.<feature>` with a feature the window node
 * computes; undefined when one does not (a model trained on other columns).
 */
export function windowFromFeatureNames(names: readonly string[]): TrainingWindowConfig | undefined {
  const sensors: string[] = [];
  const features: string[] = [];
  for (const name of names) {
    if (isCalendarKey(name)) {
      if (!features.includes(CALENDAR_FEATURE)) features.push(CALENDAR_FEATURE);
      continue;
    }
    const dot = name.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const sensor = name.slice(0, dot);
    const feature = featureOfKey(name.slice(dot + 1));
    if (feature === undefined) return undefined;
    if (!sensors.includes(sensor)) sensors.push(sensor);
    if (!features.includes(feature)) features.push(feature);
  }
  return sensors.length > 0 || features.length > 0 ? { sensors, features } : undefined;
}

/** The feature-window feature an output name after `<sensor>.` comes from (`band0to1Hz`: `bandEnergy`), or undefined. */
function featureOfKey(key: string): string | undefined {
  return isFeatureName(key) ? key : spectralFeatureOfKey(key);
}

/** `calendar.hourSin` and its three siblings: the window's own features, of no sensor. */
const isCalendarKey = (name: string): boolean => (CALENDAR_KEYS as readonly string[]).includes(name);

/** What the editor shows of a model and configures a feature-window from (the admin endpoint's answer). */
export interface ModelSummary {
  name: string;
  version: string;
  task: ModelFile['task'];
  createdAt: string;
  featureNames: string[];
  labels?: Array<string | number>;
  /** The training window: the file's own (`windowSource: "file"`), or sensors and features read from the names. */
  window?: TrainingWindowConfig;
  windowSource?: 'file' | 'feature-names';
}

export function modelSummary(file: ModelFile): ModelSummary {
  const stored = file.window !== undefined ? trainingWindowOf(file.window) : undefined;
  const derived = stored === undefined ? windowFromFeatureNames(file.featureNames) : undefined;
  return {
    name: file.name,
    version: file.version,
    task: file.task,
    createdAt: file.createdAt,
    featureNames: [...file.featureNames],
    ...(file.labels !== undefined ? { labels: [...file.labels] } : {}),
    ...(stored !== undefined ? { window: stored, windowSource: 'file' as const } : derived !== undefined ? { window: derived, windowSource: 'feature-names' as const } : {}),
  };
}

/** `"a", "b", "c" and 7 more`: the first few names of a list, for messages. */
export function describeFirstNames(names: readonly string[], shown = 5): string {
  const first = names.slice(0, shown).map((name) => JSON.stringify(name)).join(', ');
  return names.length > shown ? `${first} and ${names.length - shown} more` : first;
}

/**
 * What a missing-feature error adds (model-predict words it through its locale): how many features the model
 * needs, the first few, and the sensors and features a feature-window must compute for it.
 */
export function missingFeatureHint(file: ModelFile): { count: number; names: string; sensors?: string; features?: string } {
  const window = modelSummary(file).window;
  return {
    count: file.featureNames.length,
    names: describeFirstNames(file.featureNames),
    ...(window?.features !== undefined ? { sensors: window.sensors && window.sensors.length > 0 ? window.sensors.join(', ') : '*', features: window.features.join(', ') } : {}),
  };
}

/**
 * The window model-train writes into a model it trained: the previous model's, when it still computes every feature
 * of the new one (live retraining from a bundled seed keeps the seed's window), else the sensors and features the
 * new names spell out; undefined when they spell none.
 */
export function carriedTrainingWindow(featureNames: readonly string[], previous: TrainingWindowConfig | undefined): TrainingWindowConfig | undefined {
  const kept = previous !== undefined ? trainingWindowOf(previous) : undefined;
  if (kept?.features !== undefined) {
    const covers = featureNames.every((name) => {
      if (isCalendarKey(name)) return kept.features!.includes(CALENDAR_FEATURE);
      const dot = name.lastIndexOf('.');
      const sensor = name.slice(0, dot);
      const feature = featureOfKey(name.slice(dot + 1));
      return dot > 0 && feature !== undefined && kept.features!.includes(feature) && (kept.sensors === undefined || kept.sensors.length === 0 || kept.sensors.includes(sensor));
    });
    if (covers) return kept;
  }
  return windowFromFeatureNames(featureNames);
}
