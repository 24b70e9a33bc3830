export {
  parseWindowConfig,
  windowStateFingerprint,
  DEFAULT_FEATURES,
  DEFAULT_MAX_KEYS,
  DEFAULT_MAX_READINGS,
  DEFAULT_MAX_JUMP,
  WINDOW_KINDS,
  WINDOW_UNITS,
  TIME_MODES,
  FILL_MODES,
} from './config';
export type { WindowConfig, WindowConfigResult, WindowKind, WindowUnit, TimeMode, FillMode } from './config';
export { WindowEngine, MAX_NAME_LENGTH, MAX_READINGS_PER_MESSAGE, MAX_SENSORS_PER_DEVICE, sensorFeatureKeys } from './engine';
export {
  bandKey,
  DEFAULT_BANDS,
  DEFAULT_FFT_COEFFICIENTS,
  DEFAULT_SPECTRAL_POINTS,
  SPECTRAL_FEATURE_NAMES,
  SPECTRAL_LIMITS,
  spectralFeatureOfKey,
  spectralKeys,
  spectrumOf,
  resample,
} from './spectral';
export type { Band, Spectrum, SpectralFeatureName } from './spectral';
export { fft } from './fft';
export { FEATURES, FEATURE_NAMES, isFeatureName, percentileOfSorted, Summary, WindowSample } from './features';
export type { Feature, FeatureName } from './features';
export { labelRowsOf, windowRows } from './rows';
export { CALENDAR_FEATURE, CALENDAR_KEYS, localDayAndWeekday, writeCalendarFeatures } from './calendar';
export type { Label, TrainingWindow, WideRow, WindowedRows, WindowRowsOptions } from './rows';
export { assembleWindowState } from './snapshot';
export type { WindowSnapshot, WindowStateHeader } from './snapshot';
export { WindowStateSlices, WINDOW_STATE_SLICES, DEVICES_PER_STEP } from './slices';
export type {
  CanonicalReading,
  RejectCode,
  WindowEvent,
  WindowOutput,
  WindowPayload,
  WindowReject,
  WindowStats,
} from './types';
