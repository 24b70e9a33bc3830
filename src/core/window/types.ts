import type { CanonicalReading } from '../types';

export type { CanonicalReading };

/** Output 1 of `feature-window`: one device window with the features of all its selected sensors. */
export interface WindowPayload {
  deviceId: string;
  /** Time windows: the aligned window bounds; session and count windows: the first and last reading's ts. */
  start: number;
  end: number;
  /** `"<sensor>.<feature>": number`, sensors in first-seen (or configured) order. */
  features: Record<string, number>;
  /** Readings per sensor in this window (0 for a sensor that is missing from it). */
  counts: Record<string, number>;
  /** Feature names that `fill` supplied because their sensor had no reading in this window. */
  filled?: string[];
}

/**
 * Why something left on output 2: `late` (older than the device's watermark, or its windows were already
 * emitted), `min-count` (a window short of `minCount`), `type` (not a numeric or boolean reading), `overflow`
 * (a device's sensor already buffers `maxReadings` readings, or the device already has its most sensors),
 * `too-large` (a message with too many readings, or a deviceId or sensor name too long to keep).
 */
export type RejectCode = 'late' | 'min-count' | 'type' | 'overflow' | 'too-large';

export interface WindowOutput {
  kind: 'window';
  payload: WindowPayload;
}

export interface WindowReject {
  kind: 'reject';
  code: RejectCode;
  message: string;
  /** The rejected reading (`late`, `type`, `overflow`). */
  reading?: CanonicalReading;
  /** The rejected window (`min-count`). */
  window?: WindowPayload;
}

export type WindowEvent = WindowOutput | WindowReject;

/** Live counters for the node status. All but `devices` count since the engine was created (or restored). */
export interface WindowStats {
  /** Devices with state now. */
  devices: number;
  /** Devices with at least one open window now. */
  openDevices: number;
  /** Readings accepted into windows. */
  readings: number;
  /** Windows sent to output 1. */
  emitted: number;
  late: number;
  minCount: number;
  type: number;
  overflow: number;
  /** Readings of sensors that are not selected, or between hopping windows: no window wants them. */
  ignored: number;
  /** Devices dropped because `maxKeys` was reached (their open windows were emitted first). */
  evictions: number;
}
