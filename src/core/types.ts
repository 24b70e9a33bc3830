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
