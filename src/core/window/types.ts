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
  /**
   * Closed before the device's watermark passed its end (by `msg.flush`, idle close, eviction, or a session that
   * reached `maxReadings`): later readings could have belonged to it.
   */
  partial?: true;
  /** Closed because the device was evicted (`maxKeys`). */
  evicted?: true;
}

/**
 * Why something left on output 2: `late` (older than the device's watermark, or its windows were already
 * emitted), `min-count` (a window short of `minCount`), `type` (not a numeric or boolean reading), `overflow`
 * (a device's sensor already buffers `maxReadings` readings, or the device already has its most sensors),
 * `too-large` (a message with too many readings, or a deviceId or sensor name too long to keep), `future` (a
 * lone reading more than `maxJump` ahead that no second reading confirms), `duplicate` (a repeat of a recent
 * reading: same device, sensor and ts).
 */
export type RejectCode = 'late' | 'min-count' | 'type' | 'overflow' | 'too-large' | 'future' | 'duplicate';

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
  /** The rejected reading's place in an array of readings (`addAll`): its JSON Pointer is `/<index>`. */
  index?: number;
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
  /** Lone readings far ahead (`maxJump`). */
  future: number;
  /** Repeats of a recent reading (same device, sensor and ts). */
  duplicate: number;
  /** Readings of sensors that are not selected, or between hopping windows: no window wants them. */
  ignored: number;
  /** Devices dropped because `maxKeys` was reached (their open windows were emitted first). */
  evictions: number;
}
