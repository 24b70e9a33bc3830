/**
 * What every core config reader (window, ingest, actuator, simulator, anomaly) returns: the checked config, or
 * one message naming every property that is wrong. `warnings` are settings it corrected (e.g. raised to a minimum).
 */
export type ConfigResult<T> = { ok: true; config: T; warnings?: string[] } | { ok: false; error: string };

/** A refused config. */
export function configError(error: string): { ok: false; error: string } {
  return { ok: false, error };
}
