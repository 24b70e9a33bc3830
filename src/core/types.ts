/** Shapes shared by every stage of the pipeline (README.md, Nodes and The canonical reading). */

export type ReadingValue = number | boolean | string;

/** The canonical reading: output 1 of sensor-ingest, input of feature-window. */
export interface CanonicalReading {
  deviceId: string;
  sensor: string;
  value: ReadingValue;
  unit?: string;
  ts: number;
}

/** The error carried by a message on a node's second output. */
export interface DataError {
  code: string;
  message: string;
  path?: string;
}

export type Result<T, E = string> = { ok: true; value: T } | { ok: false; error: E };

/**
 * How a pipeline node sends what one input message produced (issue 19): `each` one message per reading, window or
 * outcome, as the canonical form; `batch` one message whose payload is the array of them (sensor-ingest,
 * feature-window, actuator-command's outcomes). Commands always go one by one.
 */
export const OUTPUT_MODES = ['each', 'batch'] as const;
/** Most readings one message may carry as an array (feature-window windows each in turn while the flow waits). */
export const MAX_READINGS_PER_MESSAGE = 10_000;
export type OutputMode = (typeof OUTPUT_MODES)[number];
