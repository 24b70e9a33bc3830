import type { PaneSeriesState } from './panes';
import type { SeriesState } from './series';

/** Written by snapshot(). @2 added pane summaries (`panes`) beside buffered readings. */
export const SNAPSHOT_FORMAT = 'iot-ai/window-state@2';
/** Formats restore() reads: @1 (readings only) is what earlier versions saved in users' context stores. */
export const SNAPSHOT_FORMATS_READ: readonly string[] = ['iot-ai/window-state@1', SNAPSHOT_FORMAT];

/** What `WindowEngine.snapshot()` returns: plain JSON, typed arrays as base64 of little-endian float64. */
export interface WindowSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  /** The window settings the state is valid for (see windowStateFingerprint). */
  fingerprint: string;
  counters: Record<string, number>;
  /** Least recently seen first. */
  devices: DeviceSnapshot[];
  /** Ids of devices with open windows, least recently active first. */
  open: string[];
}

export interface DeviceSnapshot {
  id: string;
  /** [latest, watermark, nextWindow, nextReading, emitAt, closedThrough, lastArrival]: may hold ±Infinity. */
  clock: string;
  /** Open sessions, [start, end] pairs. */
  sessions: string;
  sensors: SensorSnapshot[];
}

export type SensorSnapshot = ReadingsSnapshot | PanesSnapshot;

/** A sensor whose readings are buffered (the only kind in @1). */
export interface ReadingsSnapshot {
  name: string;
  /** Omitted when equal to `timestamps` (event-time windows). */
  positions?: string;
  timestamps: string;
  values: string;
  aggregated: number;
  timeBase: number;
  aggregate: string;
  previousFeatures?: string;
}

/** A sensor kept as pane summaries (with its readings' positions and values when a feature reads them). */
export interface PanesSnapshot {
  name: string;
  panes: string;
  aggregated: number;
  positions?: string;
  values?: string;
  previousFeatures?: string;
}

/** A device's state in plain numbers, between the engine and the JSON form. */
export interface DeviceStateData {
  id: string;
  clock: [number, number, number, number, number, number, number];
  sessionStarts: number[];
  sessionEnds: number[];
  sensors: Array<(SeriesState | PaneSeriesState) & { name: string }>;
}

export function encodeDeviceState(data: DeviceStateData): DeviceSnapshot {
  const sessions = new Float64Array(data.sessionStarts.length * 2);
  data.sessionStarts.forEach((start, i) => {
    sessions[2 * i] = start;
    sessions[2 * i + 1] = data.sessionEnds[i];
  });
  return {
    id: data.id,
    clock: encodeFloats(Float64Array.from(data.clock)),
    sessions: encodeFloats(sessions),
    sensors: data.sensors.map((sensor) => {
      if (sensor.kind === 'panes') {
        const panes: PanesSnapshot = { name: sensor.name, panes: encodeFloats(sensor.panes), aggregated: sensor.aggregated };
        if (sensor.positions) panes.positions = encodeFloats(sensor.positions);
        if (sensor.values) panes.values = encodeFloats(sensor.values);
        if (sensor.previousFeatures) panes.previousFeatures = encodeFloats(sensor.previousFeatures);
        return panes;
      }
      const encoded: ReadingsSnapshot = {
        name: sensor.name,
        timestamps: encodeFloats(sensor.timestamps),
        values: encodeFloats(sensor.values),
        aggregated: sensor.aggregated,
        timeBase: sensor.timeBase,
        aggregate: encodeFloats(sensor.aggregate),
      };
      if (!sameValues(sensor.positions, sensor.timestamps)) encoded.positions = encodeFloats(sensor.positions);
      if (sensor.previousFeatures) encoded.previousFeatures = encodeFloats(sensor.previousFeatures);
      return encoded;
    }),
  };
}

export function decodeDeviceState(encoded: DeviceSnapshot): DeviceStateData {
  if (!encoded || typeof encoded.id !== 'string' || !Array.isArray(encoded.sensors)) throw new Error('saved window state has a malformed device');
  const clock = decodeFloats(encoded.clock);
  const sessions = decodeFloats(encoded.sessions);
  if (clock.length !== 7 || sessions.length % 2 !== 0) throw new Error(`saved window state of ${encoded.id} is malformed`);
  const sessionStarts: number[] = [];
  const sessionEnds: number[] = [];
  for (let i = 0; i < sessions.length; i += 2) {
    sessionStarts.push(sessions[i]);
    sessionEnds.push(sessions[i + 1]);
  }
  return {
    id: encoded.id,
    clock: [clock[0], clock[1], clock[2], clock[3], clock[4], clock[5], clock[6]],
    sessionStarts,
    sessionEnds,
    sensors: encoded.sensors.map((sensor): DeviceStateData['sensors'][number] => {
      if (typeof sensor?.name !== 'string' || typeof sensor.aggregated !== 'number') {
        throw new Error(`saved window state of ${encoded.id} has a malformed sensor`);
      }
      const previousFeatures = sensor.previousFeatures === undefined ? undefined : decodeFloats(sensor.previousFeatures);
      if ('panes' in sensor) {
        const panes = decodeFloats(sensor.panes);
        const positions = sensor.positions === undefined ? undefined : decodeFloats(sensor.positions);
        const values = sensor.values === undefined ? undefined : decodeFloats(sensor.values);
        return { kind: 'panes', name: sensor.name, panes, aggregated: sensor.aggregated, positions, values, previousFeatures };
      }
      if (typeof sensor.timeBase !== 'number') throw new Error(`saved window state of ${encoded.id} has a malformed sensor`);
      const timestamps = decodeFloats(sensor.timestamps);
      return {
        kind: 'readings',
        name: sensor.name,
        positions: sensor.positions === undefined ? timestamps.slice() : decodeFloats(sensor.positions),
        timestamps,
        values: decodeFloats(sensor.values),
        aggregated: sensor.aggregated,
        timeBase: sensor.timeBase,
        aggregate: decodeFloats(sensor.aggregate),
        previousFeatures,
      };
    }),
  };
}

/** Float64 values as base64 (little-endian, as on every platform Node-RED runs on). */
export function encodeFloats(values: Float64Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

export function decodeFloats(text: unknown): Float64Array {
  if (typeof text !== 'string') throw new Error('saved window state holds a malformed number list');
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % Float64Array.BYTES_PER_ELEMENT !== 0) throw new Error('saved window state holds a malformed number list');
  const values = new Float64Array(bytes.length / Float64Array.BYTES_PER_ELEMENT);
  new Uint8Array(values.buffer).set(bytes);
  return values;
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
