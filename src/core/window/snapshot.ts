import type { PaneSeriesState } from './panes';
import type { SeriesState } from './series';

/**
 * Written by snapshot(). @2 added pane summaries (`panes`) beside buffered readings; @3 the order of devices as
 * numbers on each (so a part of the devices can be saved alone), recent readings, lone jumps, and the marks of
 * evicted devices (tombstones, floors).
 */
export const SNAPSHOT_FORMAT = 'iot-ai/window-state@3';
/** Formats restore() reads: @1 (readings only) and @2 are what earlier versions saved in users' context stores. */
export const SNAPSHOT_FORMATS_READ: readonly string[] = ['iot-ai/window-state@1', 'iot-ai/window-state@2', SNAPSHOT_FORMAT];

/** What `WindowEngine.snapshot()` returns: plain JSON, typed arrays as base64 of little-endian float64. */
export interface WindowSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  /** The window settings the state is valid for (see windowStateFingerprint). */
  fingerprint: string;
  counters: Record<string, number>;
  /** The engine's order counter, from which every `order` below was drawn. */
  sequence: number;
  /** Per hash bucket of deviceId, the emitted-through mark of devices forgotten beyond the tombstones; omitted: none. */
  floors?: string;
  /** In any order: `order` says which was seen (and active) last. */
  devices: DeviceSnapshot[];
  tombstones: TombstoneSnapshot[];
}

/** The @1 and @2 form: devices least recently seen first, and the ids of those with open windows. */
export interface LegacyWindowSnapshot {
  format: string;
  fingerprint: string;
  counters: Record<string, number>;
  devices: DeviceSnapshot[];
  open: string[];
}

export interface DeviceSnapshot {
  id: string;
  /**
   * [latest, watermark, nextWindow, nextReading, emitAt, closedThrough, lastArrival, jump, jumpArrival]: may hold
   * ±Infinity (@1 and @2: the first seven).
   */
  clock: string;
  /** Open sessions, [start, end] pairs. */
  sessions: string;
  sensors: SensorSnapshot[];
  /** @3: [when last seen, when last active (−1: no open window)], from the engine's `sequence`. */
  order?: [number, number];
  /** @3: the ring of recent readings, [next slot, then (ts, sensor index) per slot]. */
  recent?: string;
}

/** An evicted device's marks: [latest, watermark, nextWindow, nextReading, closedThrough, lastArrival, order]. */
export interface TombstoneSnapshot {
  id: string;
  tomb: string;
}

/** A sliced save (persist): the snapshot without its devices, which are in `slices` lists beside it. */
export type WindowStateHeader = Omit<WindowSnapshot, 'devices' | 'tombstones'> & { slices: number };
export type WindowStateEntry = DeviceSnapshot | TombstoneSnapshot;

/** A whole snapshot from a sliced save's header and slice lists; anything else (e.g. an @2 snapshot) as it is. */
export function assembleWindowState(header: unknown, slices: readonly unknown[]): unknown {
  if (header === null || typeof header !== 'object' || typeof (header as WindowStateHeader).slices !== 'number') return header;
  const { slices: count, ...rest } = header as WindowStateHeader;
  const devices: DeviceSnapshot[] = [];
  const tombstones: TombstoneSnapshot[] = [];
  for (let i = 0; i < count; i++) {
    const slice = slices[i];
    if (slice === undefined) continue; // a slice that never held a device was never written
    if (!Array.isArray(slice)) throw new Error(`saved window state slice ${i} is malformed`);
    for (const entry of slice as WindowStateEntry[]) {
      if (entry !== null && typeof entry === 'object' && 'tomb' in entry) tombstones.push(entry);
      else devices.push(entry);
    }
  }
  return { ...rest, devices, tombstones };
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
  /** See DeviceSnapshot.clock; always nine here (an older snapshot's two missing ones are −Infinity). */
  clock: number[];
  sessionStarts: number[];
  sessionEnds: number[];
  sensors: Array<(SeriesState | PaneSeriesState) & { name: string }>;
  /** Undefined from @1 and @2 snapshots. */
  order?: [number, number];
  recent?: Float64Array;
}

const CLOCK_LENGTH = 9;
const LEGACY_CLOCK_LENGTH = 7;
export const TOMBSTONE_LENGTH = 7;

export function encodeDeviceState(data: DeviceStateData): DeviceSnapshot {
  const sessions = new Float64Array(data.sessionStarts.length * 2);
  data.sessionStarts.forEach((start, i) => {
    sessions[2 * i] = start;
    sessions[2 * i + 1] = data.sessionEnds[i];
  });
  const encoded: DeviceSnapshot = {
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
  if (data.order) encoded.order = [data.order[0], data.order[1]];
  if (data.recent) encoded.recent = encodeFloats(data.recent);
  return encoded;
}

export function encodeTombstone(id: string, marks: Float64Array): TombstoneSnapshot {
  return { id, tomb: encodeFloats(marks) };
}

export function decodeTombstone(encoded: TombstoneSnapshot): Float64Array {
  const marks = typeof encoded?.id === 'string' ? decodeFloats(encoded.tomb) : undefined;
  if (marks?.length !== TOMBSTONE_LENGTH) throw new Error('saved window state has a malformed evicted device');
  return marks;
}

export function decodeDeviceState(encoded: DeviceSnapshot): DeviceStateData {
  if (!encoded || typeof encoded.id !== 'string' || !Array.isArray(encoded.sensors)) throw new Error('saved window state has a malformed device');
  const clock = decodeFloats(encoded.clock);
  const sessions = decodeFloats(encoded.sessions);
  if ((clock.length !== CLOCK_LENGTH && clock.length !== LEGACY_CLOCK_LENGTH) || sessions.length % 2 !== 0) {
    throw new Error(`saved window state of ${encoded.id} is malformed`);
  }
  const order = encoded.order;
  if (order !== undefined && !(Array.isArray(order) && order.length === 2 && order.every((n) => typeof n === 'number'))) {
    throw new Error(`saved window state of ${encoded.id} is malformed`);
  }
  const sessionStarts: number[] = [];
  const sessionEnds: number[] = [];
  for (let i = 0; i < sessions.length; i += 2) {
    sessionStarts.push(sessions[i]);
    sessionEnds.push(sessions[i + 1]);
  }
  return {
    id: encoded.id,
    clock: Array.from({ length: CLOCK_LENGTH }, (_, i) => (i < clock.length ? clock[i] : -Infinity)),
    sessionStarts,
    sessionEnds,
    order,
    recent: encoded.recent === undefined ? undefined : decodeFloats(encoded.recent),
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

/** FNV-1a (32 bit) of a deviceId's UTF-16 code units: a stable spread of ids (floor buckets, saved slices). */
export function deviceHash(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}
