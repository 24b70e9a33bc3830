import { windowStateFingerprint, type WindowConfig } from './config';
import { writeCalendarFeatures } from './calendar';
import { FEATURES, WindowSample } from './features';
import { spectralKeys, spectralOutputs } from './spectral';
import { RecencyLink, RecencyList } from '../util/recency';
import { PaneSeries, paneLayout, type PaneLayout } from './panes';
import { SensorSeries, type WindowSeries } from './series';
import {
  decodeDeviceState,
  decodeFloats,
  decodeTombstone,
  deviceHash,
  encodeDeviceState,
  encodeFloats,
  encodeTombstone,
  SNAPSHOT_FORMAT,
  SNAPSHOT_FORMATS_READ,
  type DeviceStateData,
  type LegacyWindowSnapshot,
  type WindowSnapshot,
  type WindowStateEntry,
  type WindowStateHeader,
} from './snapshot';
import type { CanonicalReading, RejectCode, WindowEvent, WindowPayload, WindowStats } from './types';

const NO_EVENTS: readonly WindowEvent[] = Object.freeze([]);
/** The largest time a JavaScript Date can hold (ms either side of 1970). */
const MAX_EPOCH_MS = 8.64e15;
/** Largest reading magnitude windowed: beyond about 1e75 sums of 4th powers (kurtosis) overflow to Infinity. */
const MAX_ABS_VALUE = 1e50;
/** Longest deviceId or sensor name kept as state: every device and sensor name is held in memory. */
export const MAX_NAME_LENGTH = 1024;
export { MAX_READINGS_PER_MESSAGE } from '../types';
/** Most sensors one device may have (with `sensors` empty, every new name would otherwise add state). */
export const MAX_SENSORS_PER_DEVICE = 256;

/**
 * Most readings one engine buffers, all devices and sensors together (#27.6): maxKeys × sensors × maxReadings
 * alone allows terabytes. About 22 bytes a reading (a median over a day), so some 220 MB.
 */
export const MAX_BUFFERED_READINGS = 10_000_000;
/** When the budget is spent, refused readings between two recounts of what is buffered (each walks every series). */
const RECOUNT_EVERY = 1024;

/** Sensor names whose output names are shared by every device (a bound: beyond it each series makes its own). */
const MAX_SHARED_SENSOR_NAMES = 4096;

/** Sensors a device may have before it gets a name index (fewer are found faster, and kept smaller, by a scan). */
const SCANNED_SENSORS = 8;
/** Accepted readings per device remembered to refuse repeats (a QoS 1 redelivery) of the same sensor and ts. */
export const RECENT_READINGS = 16;
/** Hash buckets of deviceId for the emitted-through marks of devices forgotten beyond the tombstones. */
export const FLOOR_BUCKETS = 256;

/** Open sessions of devices that are not windowed by session (never changed). */
const NO_SESSIONS: number[] = Object.freeze([]) as unknown as number[];

/** Readings the device's series hold now. */
function bufferedIn(device: DeviceState): number {
  let total = 0;
  for (const series of device.series) total += series.length;
  return total;
}

/** How readings are placed into windows. */
type Placement = 'time' | 'count' | 'session';

/** Everything the engine knows about one device. */
class DeviceState {
  /** In output order: configured order, else first seen. */
  readonly series: WindowSeries[] = [];
  /** Index of each series by name, once there are more than SCANNED_SENSORS. */
  private seriesByName: Map<string, number> | undefined;
  lastSeries: WindowSeries | undefined;
  /** Index of lastSeries in `series`. */
  lastIndex = -1;
  /** Latest window position accepted: ts (event time) or arrival ms. */
  latest = -Infinity;
  /** Time: latest − lateness; count: readings so far. Windows ending at or before it close. */
  watermark = -Infinity;
  /** Aligned windows: index of the first window not yet emitted. */
  nextWindow: number;
  /** Count windows: position of the next reading. */
  nextReading = 0;
  /** The watermark at which the earliest open window closes. */
  emitAt = Infinity;
  /** Aligned windows: the earliest buffered position (derived; not saved). */
  earliest = Infinity;
  /** Open sessions as sorted, disjoint [start, end] position intervals. */
  sessionStarts: number[];
  sessionEnds: number[];
  /** Sessions: the end of the last emitted session; nothing at or before it is accepted again. */
  closedThrough = -Infinity;
  /** Wall clock of the last accepted reading (for idleTimeout). */
  lastArrival = -Infinity;
  /** Event time: the position of a lone reading far ahead (refused, waiting for a second to confirm it); -Infinity: none. */
  jump = -Infinity;
  /** Its arrival. */
  jumpArrival = -Infinity;
  /**
   * The last RECENT_READINGS accepted readings as (ts, index in `series`) pairs, a ring allocated with the first:
   * a plain array of doubles, kept beside the device on the heap (a typed array's store would be one more miss).
   */
  recent: number[] | undefined;
  recentNext = 0;
  /** No ring entry has a later ts (a bound, not the exact maximum): later readings skip the scan. */
  recentMax = -Infinity;
  /** Series indices (below 31) remembered at recentMax, as bits: a reading of another sensor at that ts skips the scan too. */
  recentAtMax = 0;
  /** When last seen and last active, from the engine's sequence (saved instead of the lists' order). */
  seenOrder = 0;
  openOrder = 0;
  /** In the engine's changes since they were last taken. */
  changed = false;
  readonly seenLink = new RecencyLink<DeviceState>(this);
  readonly openLink = new RecencyLink<DeviceState>(this);

  constructor(
    readonly id: string,
    firstWindow: number,
    sessions: boolean,
  ) {
    this.nextWindow = firstWindow;
    this.sessionStarts = sessions ? [] : NO_SESSIONS;
    this.sessionEnds = sessions ? [] : NO_SESSIONS;
  }

  indexOf(name: string): number {
    if (this.seriesByName !== undefined) return this.seriesByName.get(name) ?? -1;
    for (let i = 0; i < this.series.length; i++) if (this.series[i].name === name) return i;
    return -1;
  }

  findSeries(name: string): WindowSeries | undefined {
    const index = this.indexOf(name);
    return index < 0 ? undefined : this.series[index];
  }

  addSeries(series: WindowSeries): void {
    this.series.push(series);
    if (this.seriesByName !== undefined) this.seriesByName.set(series.name, this.series.length - 1);
    else if (this.series.length > SCANNED_SENSORS) this.seriesByName = new Map(this.series.map((s, i) => [s.name, i]));
  }

  /** Whether a reading of the series at `index` and this ts is among the device's recent accepted ones. */
  isRepeat(index: number, ts: number): boolean {
    const recent = this.recent;
    if (recent === undefined || ts > this.recentMax) return false;
    if (ts === this.recentMax && index < 31 && (this.recentAtMax & (1 << index)) === 0) return false;
    for (let i = 0; i < 2 * RECENT_READINGS; i += 2) if (recent[i] === ts && recent[i + 1] === index) return true;
    return false;
  }

  remember(index: number, ts: number): void {
    let recent = this.recent;
    if (recent === undefined) {
      recent = this.recent = [];
      for (let i = 0; i < 2 * RECENT_READINGS; i++) recent.push(NaN);
    }
    recent[2 * this.recentNext] = ts;
    recent[2 * this.recentNext + 1] = index;
    this.recentNext = (this.recentNext + 1) % RECENT_READINGS;
    const bit = index >= 0 && index < 31 ? 1 << index : 0;
    if (ts > this.recentMax) {
      this.recentMax = ts;
      this.recentAtMax = bit;
    } else if (ts === this.recentMax) {
      this.recentAtMax |= index < 31 ? bit : 0;
    }
  }
}

/** Tombstone marks: an evicted device's clock, kept so that it never emits a window twice. */
const enum Tomb {
  Latest,
  Watermark,
  NextWindow,
  NextReading,
  ClosedThrough,
  LastArrival,
  Order,
}

/**
 * Per-device feature windows over canonical readings: tumbling, sliding/hopping and session windows by event
 * or arrival time, or by count. Pure: time only comes in as arguments. Every method returns the events it
 * produced, in order; nothing is emitted twice.
 */
export class WindowEngine {
  private readonly devices = new Map<string, DeviceState>();
  /** Every known device, least recently seen first (for maxKeys eviction). */
  private readonly seen = new RecencyList<DeviceState>();
  /** Devices with open windows, least recently active first (for idleTimeout). */
  private readonly open = new RecencyList<DeviceState>();
  private lastDevice: DeviceState | undefined;
  private outbox: WindowEvent[] = [];
  private readonly counters = { readings: 0, emitted: 0, late: 0, minCount: 0, type: 0, overflow: 0, future: 0, duplicate: 0, ignored: 0, evictions: 0 };
  /** Evicted devices' marks, oldest first, at most maxKeys (see Tomb). */
  private readonly tombstones = new Map<string, Float64Array>();
  /**
   * Per hash bucket of deviceId, the highest nextWindow (sessions: closedThrough) of a tombstone dropped beyond
   * maxKeys: a device unknown to the engine starts there, so it cannot emit a window a forgotten device emitted.
   */
  private floors: Float64Array | undefined;
  /** Source of the devices' seenOrder/openOrder and the tombstones' order. */
  private sequence = 0;
  /** Ids whose state changed since takeChanges (only while tracking, for persist). */
  private changes: Set<string> | undefined;
  /** Everything was forgotten (reset) since takeChanges. */
  private clearedAll = false;
  /** Set while an eviction closes a device's windows. */
  private evicting = false;
  private readonly placement: Placement;
  /** The moment features, then the spectral features' outputs: one per output name of a sensor. */
  private readonly features: ReadonlyArray<{ compute(sample: WindowSample): number }>;
  private readonly selectedSensors: ReadonlySet<string> | undefined;
  private readonly minCounts: ReadonlyMap<string, number>;
  private readonly sample = new WindowSample();
  private readonly bounds = new Float64Array(4);
  /** One copy of each sensor's name and output names for all devices, not one per (device, sensor). */
  private readonly sensorNames = new Map<string, { name: string; keys: readonly string[] }>();
  /** Pane summaries (aligned windows; values too if a feature reads them); undefined: readings in a two-stacks buffer. */
  private readonly panes: PaneLayout | undefined;
  private readonly maxBuffered: number;
  /** At least the readings buffered now: the last recount plus the readings inserted since (windows only drop). */
  private bufferedBound = 0;
  private refusedSinceRecount = 0;

  /**
   * `options.keepReadings` keeps every reading in a two-stacks buffer (the representation of session windows) even
   * where pane summaries would do: tests compare the two.
   */
  constructor(
    readonly config: WindowConfig,
    options: { keepReadings?: boolean; maxBuffered?: number } = {},
  ) {
    this.maxBuffered = options.maxBuffered ?? MAX_BUFFERED_READINGS;
    this.placement = config.window === 'session' ? 'session' : config.unit === 'count' ? 'count' : 'time';
    const spectral = spectralOutputs(config);
    this.features = [...config.features.map((name) => FEATURES[name]), ...spectral];
    // Spectral features resample on the readings' ts: panes keep positions, which are the ts in event time only.
    const tsArePositions = this.placement === 'time' && config.time === 'event';
    const aligned = this.placement !== 'session' && !options.keepReadings && (spectral.length === 0 || tsArePositions);
    const values = spectral.length > 0 || config.features.some((name) => FEATURES[name].reads === 'values');
    this.panes = aligned ? paneLayout(config.size, config.slide, { timestamps: this.placement === 'count', values }) : undefined;
    this.selectedSensors = config.sensors.length > 0 ? new Set(config.sensors) : undefined;
    this.minCounts = new Map(Object.entries(config.minCount.bySensor));
  }

  /** Window one reading that arrived at wall-clock `arrivalMs`. */
  add(reading: CanonicalReading, arrivalMs: number): readonly WindowEvent[] {
    const shapeProblem = readingShapeProblem(reading);
    if (shapeProblem !== undefined) return this.rejectReading('type', shapeProblem, reading);
    if (reading.deviceId.length > MAX_NAME_LENGTH || reading.sensor.length > MAX_NAME_LENGTH) {
      return this.rejectReading('too-large', `a deviceId or sensor name is longer than ${MAX_NAME_LENGTH} characters`, reading);
    }
    const sensor = reading.sensor;
    if (this.selectedSensors !== undefined && !this.selectedSensors.has(sensor)) {
      this.counters.ignored++; // e.g. a status text of the same device: not ours to judge
      return NO_EVENTS;
    }
    const valueProblem = readingValueProblem(reading);
    if (valueProblem !== undefined) return this.rejectReading('type', valueProblem, reading);
    const value = typeof reading.value === 'number' ? reading.value : reading.value ? 1 : 0;
    const device = this.deviceFor(reading.deviceId);
    this.noteChange(device);

    let position: number;
    if (this.placement === 'count') {
      position = device.nextReading;
    } else {
      position = this.config.time === 'event' ? reading.ts : Math.max(arrivalMs, device.latest);
      if (this.config.time === 'event' && this.config.maxJump > 0 && this.isLoneJump(device, position, arrivalMs)) {
        const message = `reading at ${position} of ${device.id} is more than ${this.config.maxJump} ms (maxJump) ahead of the node's clock and of the device's latest reading, and no second reading confirms it`;
        return this.rejectReading('future', message, reading);
      }
      if (position < device.watermark) {
        return this.rejectReading('late', `reading at ${position} is older than the watermark ${device.watermark} of ${device.id}`, reading);
      }
    }

    if (this.placement !== 'session' && this.isBetweenWindows(position)) {
      this.counters.ignored++;
      this.advanceClock(device, position);
    } else {
      if (this.wasEmitted(device, position)) {
        return this.rejectReading('late', `reading at ${position} falls in windows of ${device.id} that were already emitted`, reading);
      }
      if (this.bufferedBound >= this.maxBuffered && !this.bufferHasRoom()) {
        // Time still moves on, so the windows that hold the budget close and free it.
        this.advanceClock(device, position);
        if (device.watermark >= device.emitAt) {
          this.closeReady(device, false);
          if (!this.hasOpenWindows(device)) this.markClosed(device);
        }
        return this.rejectReading('overflow', `the window buffers ${this.maxBuffered} readings in all (every device and sensor); reading dropped`, reading);
      }
      const series = this.seriesFor(device, sensor);
      if (series === undefined) {
        return this.rejectReading('overflow', `${reading.deviceId} already has ${MAX_SENSORS_PER_DEVICE} sensors; reading of a new sensor ${sensor} dropped`, reading);
      }
      if (device.isRepeat(device.lastIndex, reading.ts)) {
        return this.rejectReading('duplicate', `${reading.deviceId}/${sensor} at ts ${reading.ts} is already in its window (a repeat, e.g. a QoS 1 redelivery)`, reading);
      }
      // Two call sites, one per representation, so each stays monomorphic (an engine uses only one).
      const inserted = this.panes !== undefined ? (series as PaneSeries).insert(position, reading.ts, value) : (series as SensorSeries).insert(position, reading.ts, value);
      if (!inserted && !this.retryAfterOverflow(device, series, position, reading.ts, value)) {
        return this.rejectReading('overflow', `${reading.deviceId}/${sensor} already buffers ${this.config.maxReadings} readings (maxReadings); reading dropped`, reading);
      }
      this.counters.readings++;
      device.remember(device.lastIndex, reading.ts);
      this.bufferedBound++;
      device.lastArrival = arrivalMs;
      this.markOpen(device);
      if (this.placement === 'session') this.joinSession(device, position);
      else this.noteWindowEnd(device, position);
      this.advanceClock(device, position);
    }
    if (device.watermark >= device.emitAt) {
      this.closeReady(device, false);
      if (!this.hasOpenWindows(device)) this.markClosed(device);
    }
    return this.takeEvents();
  }

  /**
   * Window an array of readings that arrived together (one message: sensor-ingest's `batch` output), each exactly
   * as `add` would take it, in order, so the result is what the readings sent one by one would give. A reject of a
   * reading says its place in the array (`index`).
   */
  addAll(readings: readonly unknown[], arrivalMs: number): WindowEvent[] {
    const all: WindowEvent[] = [];
    for (let i = 0; i < readings.length; i++) {
      const events = this.add(readings[i] as CanonicalReading, arrivalMs);
      for (const event of events) all.push(event.kind === 'reject' && event.reading === readings[i] ? { ...event, index: i } : event);
    }
    return all;
  }

  /** Emit the open windows of one device, or of all, now (`msg.flush`, close without persist). */
  flush(deviceId?: string): readonly WindowEvent[] {
    if (deviceId !== undefined) {
      const device = this.devices.get(deviceId);
      if (device) this.closeAll(device);
    } else {
      for (const device of this.open) this.closeAll(device);
    }
    return this.takeEvents();
  }

  /** Forget one device, or all, without emitting anything (`msg.reset`). */
  reset(deviceId?: string): void {
    if (deviceId === undefined) {
      this.devices.clear();
      this.seen.clear();
      this.open.clear();
      this.tombstones.clear();
      this.floors = undefined;
      this.lastDevice = undefined;
      if (this.changes !== undefined) {
        this.changes.clear();
        this.clearedAll = true;
      }
      return;
    }
    const device = this.devices.get(deviceId);
    if (device) this.forget(device);
    if (this.tombstones.delete(deviceId)) this.changes?.add(deviceId);
  }

  /** Close the windows of devices that have had no reading for `idleTimeout` ms of wall clock. */
  expireIdle(nowMs: number): readonly WindowEvent[] {
    const idleTimeout = this.config.idleTimeout;
    if (idleTimeout <= 0) return NO_EVENTS;
    for (const device of this.open) {
      if (device.lastArrival + idleTimeout > nowMs) break; // `open` is ordered by last activity
      this.closeAll(device);
      for (const series of device.series) series.release();
    }
    return this.takeEvents();
  }

  /** Wall-clock time at which {@link expireIdle} has something to do next; undefined: nothing is waiting. */
  nextIdleDeadline(): number | undefined {
    const quietest = this.open.oldest();
    return this.config.idleTimeout > 0 && quietest ? quietest.lastArrival + this.config.idleTimeout : undefined;
  }

  /**
   * The latest arrival time the state holds (readings' arrival, and arrival-time window positions): a clock
   * started after a restore must not read earlier, or arrival windows would stall until it caught up.
   */
  latestArrival(): number {
    const positions = this.config.time === 'arrival' && this.placement !== 'count';
    let latest = -Infinity;
    for (const device of this.devices.values()) latest = Math.max(latest, device.lastArrival, positions ? device.latest : -Infinity);
    for (const marks of this.tombstones.values()) latest = Math.max(latest, marks[Tomb.LastArrival], positions ? marks[Tomb.Latest] : -Infinity);
    return latest;
  }

  // ---- saving only what changed (persist) --------------------------------------------------------------------

  /**
   * Record from now on which devices change, so that a save can encode only those ({@link takeChanges}).
   * `all`: every device and evicted device counts as changed now (the saved copy is to be rewritten).
   */
  trackChanges(all: boolean): void {
    this.changes ??= new Set();
    if (!all) return;
    for (const device of this.devices.values()) this.noteChange(device);
    for (const id of this.tombstones.keys()) this.changes.add(id);
  }

  /** Devices (and evicted devices) changed since they were last taken. */
  get pendingChanges(): number {
    return this.changes?.size ?? 0;
  }

  /**
   * Up to `limit` changed ids, oldest change first, each with its saved form now: a device, an evicted device's
   * marks, or undefined (forgotten). `cleared`: everything was forgotten before these changes.
   */
  takeChanges(limit: number): { cleared: boolean; entries: Array<[string, WindowStateEntry | undefined]> } {
    const cleared = this.clearedAll;
    this.clearedAll = false;
    const entries: Array<[string, WindowStateEntry | undefined]> = [];
    if (this.changes === undefined) return { cleared, entries };
    for (const id of this.changes) {
      if (entries.length >= limit) break;
      this.changes.delete(id);
      const device = this.devices.get(id);
      if (device !== undefined) {
        device.changed = false;
        entries.push([id, encodeDeviceState(this.toData(device))]);
      } else {
        const marks = this.tombstones.get(id);
        entries.push([id, marks === undefined ? undefined : encodeTombstone(id, marks)]);
      }
    }
    return { cleared, entries };
  }

  /** Everything of a snapshot but its devices (see WindowStateHeader). */
  snapshotHeader(slices: number): WindowStateHeader {
    const header: WindowStateHeader = {
      format: SNAPSHOT_FORMAT,
      fingerprint: windowStateFingerprint(this.config),
      counters: { ...this.counters },
      sequence: this.sequence,
      slices,
    };
    if (this.floors !== undefined) header.floors = encodeFloats(this.floors);
    return header;
  }

  get stats(): WindowStats {
    return { devices: this.devices.size, openDevices: this.open.size, ...this.counters };
  }

  /** JSON-serialisable state (typed arrays as base64) for `persist`. */
  snapshot(): WindowSnapshot {
    const { slices: _, ...header } = this.snapshotHeader(0);
    return {
      ...header,
      devices: [...this.seen].map((device) => encodeDeviceState(this.toData(device))),
      tombstones: [...this.tombstones].map(([id, marks]) => encodeTombstone(id, marks)),
    };
  }

  /**
   * An engine that continues exactly where the snapshot's engine stopped. Throws when the snapshot is malformed
   * or was taken with different window settings (the caller then starts empty).
   */
  static restore(config: WindowConfig, snapshot: unknown, options: { keepReadings?: boolean; maxBuffered?: number } = {}): WindowEngine {
    const saved = snapshot as Partial<WindowSnapshot> | null;
    if (!saved || typeof saved !== 'object' || !SNAPSHOT_FORMATS_READ.includes(saved.format as string)) {
      throw new Error(`saved window state is not in the ${SNAPSHOT_FORMAT} format`);
    }
    if (saved.fingerprint !== windowStateFingerprint(config)) {
      throw new Error('saved window state was made with different window settings');
    }
    const legacy = saved.format !== SNAPSHOT_FORMAT;
    if (!Array.isArray(saved.devices) || (legacy ? !Array.isArray((saved as LegacyWindowSnapshot).open) : !Array.isArray(saved.tombstones))) {
      throw new Error('saved window state has no device list');
    }
    const engine = new WindowEngine(config, options);
    for (const [key, count] of Object.entries(saved.counters ?? {})) {
      if (Object.hasOwn(engine.counters, key) && typeof count === 'number') engine.counters[key as keyof WindowEngine['counters']] = count;
    }
    const devices = saved.devices.map((encoded) => {
      const device = engine.fromData(decodeDeviceState(encoded));
      if (engine.devices.has(device.id)) throw new Error(`saved window state repeats device ${JSON.stringify(device.id)}`);
      engine.devices.set(device.id, device);
      return device;
    });
    if (legacy) {
      // @1/@2 list devices least recently seen first, and name the open ones in order: number them so.
      for (const device of devices) {
        engine.seen.touch(device.seenLink);
        device.seenOrder = ++engine.sequence;
      }
      for (const id of (saved as LegacyWindowSnapshot).open) {
        const device = typeof id === 'string' ? engine.devices.get(id) : undefined;
        if (!device) throw new Error(`saved window state names an unknown open device ${JSON.stringify(id)}`);
        device.openOrder = ++engine.sequence;
        engine.open.touch(device.openLink);
      }
    } else {
      engine.sequence = typeof saved.sequence === 'number' ? saved.sequence : 0;
      for (const device of [...devices].sort((a, b) => a.seenOrder - b.seenOrder)) engine.seen.touch(device.seenLink);
      const open = devices.filter((device) => device.openOrder >= 0).sort((a, b) => a.openOrder - b.openOrder);
      for (const device of open) engine.open.touch(device.openLink);
      const tombstones = saved.tombstones!.map((entry) => [entry.id, decodeTombstone(entry)] as const).sort((a, b) => a[1][Tomb.Order] - b[1][Tomb.Order]);
      for (const [id, marks] of tombstones) {
        if (engine.devices.has(id) || engine.tombstones.has(id)) throw new Error(`saved window state repeats device ${JSON.stringify(id)}`);
        engine.tombstones.set(id, marks);
      }
      if (saved.floors !== undefined) {
        const floors = decodeFloats(saved.floors);
        if (floors.length !== FLOOR_BUCKETS) throw new Error('saved window state has malformed floors');
        engine.floors = floors;
      }
      engine.trimTombstones(); // maxKeys may be smaller now
    }
    engine.bufferedBound = Infinity; // restored readings are not counted yet: the next reading recounts them
    return engine;
  }

  // ---- placement -------------------------------------------------------------------------------------------

  /** After a flush, a reading can be within lateness yet belong only to windows already emitted. */
  private wasEmitted(device: DeviceState, position: number): boolean {
    if (this.placement === 'session') return position <= device.closedThrough;
    if (this.placement === 'count') return false;
    return Math.floor(position / this.config.slide) < device.nextWindow;
  }

  /**
   * Event time: is this reading a lone jump far ahead? It is when it is more than maxJump ahead of the node's
   * clock and of where the device's own clock should be (its latest reading plus the time since it arrived), and
   * no earlier lone jump it is in step with confirms it. A refused one waits as the device's jump.
   */
  private isLoneJump(device: DeviceState, position: number, arrival: number): boolean {
    const maxJump = this.config.maxJump;
    if (position <= arrival + maxJump) return false;
    // A device with no reading yet has no progress of its own: the node's clock alone judges it.
    if (device.latest !== -Infinity && position <= device.latest + Math.max(0, arrival - device.lastArrival) + maxJump) return false;
    const jump = device.jump;
    if (jump !== -Infinity && position >= jump - maxJump && position <= jump + Math.max(0, arrival - device.jumpArrival) + maxJump) {
      device.jump = device.jumpArrival = -Infinity;
      return false;
    }
    device.jump = position;
    device.jumpArrival = arrival;
    return true;
  }

  /** Hopping windows (slide > size) leave gaps that no window covers. */
  private isBetweenWindows(position: number): boolean {
    const { size, slide } = this.config;
    return slide > size && position - Math.floor(position / slide) * slide >= size;
  }

  private advanceClock(device: DeviceState, position: number): void {
    if (this.placement === 'count') {
      device.nextReading = position + 1;
      device.watermark = device.nextReading;
      return;
    }
    if (position > device.latest) {
      device.latest = position;
      device.watermark = position - this.config.lateness;
    }
  }

  /** Aligned windows: only a reading before every buffered one can make an earlier window the next to close. */
  private noteWindowEnd(device: DeviceState, position: number): void {
    if (position >= device.earliest) return;
    device.earliest = position;
    const end = this.firstWindowIndex(position, device.nextWindow) * this.config.slide + this.config.size;
    if (end < device.emitAt) device.emitAt = end;
  }

  /** Index of the earliest window `[k·slide, k·slide + size)` that ends after `position`, and ≥ `notBefore`. */
  private firstWindowIndex(position: number, notBefore: number): number {
    const { size, slide } = this.config;
    let k = Math.floor((position - size) / slide) + 1;
    // The division may round either way; settle k exactly.
    if (k * slide + size <= position) k++;
    else if ((k - 1) * slide + size > position) k--;
    return Math.max(k, notBefore);
  }

  /** Sessions: join (or bridge) the open sessions within `gap` of this position, or open a new one. */
  private joinSession(device: DeviceState, position: number): void {
    const { gap } = this.config;
    const starts = device.sessionStarts;
    const ends = device.sessionEnds;
    let i = starts.length - 1;
    while (i >= 0 && starts[i] >= position + gap) i--;
    if (i >= 0 && position - ends[i] < gap) {
      if (position < starts[i]) starts[i] = position;
      if (position > ends[i]) ends[i] = position;
      if (i > 0 && starts[i] - ends[i - 1] < gap) {
        ends[i - 1] = ends[i];
        starts.splice(i, 1);
        ends.splice(i, 1);
      }
    } else {
      starts.splice(i + 1, 0, position);
      ends.splice(i + 1, 0, position);
    }
    device.emitAt = ends[0] + gap;
  }

  /**
   * A full series: sessions close the device's open sessions early and start afresh; time and count windows
   * drop the reading (the caller rejects it as `overflow`).
   */
  private retryAfterOverflow(device: DeviceState, series: WindowSeries, position: number, ts: number, value: number): boolean {
    if (this.placement !== 'session') return false;
    this.closeAll(device);
    return position > device.closedThrough && series.insert(position, ts, value);
  }

  // ---- closing windows -------------------------------------------------------------------------------------

  private closeReady(device: DeviceState, force: boolean): void {
    const buffered = bufferedIn(device);
    if (this.placement === 'session') this.closeSessions(device, force);
    else this.closeAligned(device, force);
    this.bufferedBound -= buffered - bufferedIn(device);
  }

  /** Emit every open window of the device now, then leave it with nothing buffered. */
  private closeAll(device: DeviceState): void {
    this.noteChange(device);
    this.closeReady(device, true);
    if (this.placement === 'count') {
      // The next reading starts a fresh window rather than topping up one already emitted.
      device.nextReading = Math.max(device.nextReading, device.nextWindow * this.config.slide);
      device.watermark = device.nextReading;
    }
    this.bufferedBound -= bufferedIn(device);
    for (const series of device.series) series.clear();
    device.emitAt = device.earliest = Infinity;
    this.markClosed(device);
  }

  /** Time and count windows, aligned at k·slide: close those the watermark has passed (all, when forced). */
  private closeAligned(device: DeviceState, force: boolean): void {
    const { size, slide } = this.config;
    const series = device.series;
    for (;;) {
      let earliest = Infinity;
      for (const s of series) {
        const position = s.earliestPosition();
        if (position < earliest) earliest = position;
      }
      device.earliest = earliest;
      if (earliest === Infinity) {
        device.emitAt = Infinity;
        return;
      }
      const k = this.firstWindowIndex(earliest, device.nextWindow);
      const start = k * slide;
      const end = start + size;
      if (!force && end > device.watermark) {
        device.emitAt = end;
        return;
      }
      for (const s of series) {
        s.evictBefore(start);
        s.aggregateBefore(end);
      }
      const partial = force && end > device.watermark;
      if (this.placement === 'count') {
        const [first, last] = this.readingBounds(device);
        this.emitWindow(device, first, last, partial);
      } else {
        this.emitWindow(device, start, end, partial);
      }
      device.nextWindow = k + 1;
      const nextStart = (k + 1) * slide;
      for (const s of series) s.evictBefore(nextStart);
    }
  }

  /** Sessions close once the watermark is `gap` past their last reading (all, when forced). */
  private closeSessions(device: DeviceState, force: boolean): void {
    const { gap } = this.config;
    while (device.sessionStarts.length > 0) {
      const sessionEnd = device.sessionEnds[0];
      if (!force && sessionEnd + gap > device.watermark) break;
      for (const s of device.series) s.aggregateThrough(sessionEnd);
      const [first, last] = this.readingBounds(device);
      this.emitWindow(device, first, last, force && sessionEnd + gap > device.watermark);
      for (const s of device.series) s.dropAggregated();
      device.closedThrough = sessionEnd;
      device.sessionStarts.shift();
      device.sessionEnds.shift();
    }
    device.emitAt = device.sessionStarts.length > 0 ? device.sessionEnds[0] + gap : Infinity;
  }

  /** The ts of the first and last aggregated reading (window order) across the device's sensors. */
  private readingBounds(device: DeviceState): [number, number] {
    let firstPosition = Infinity;
    let lastPosition = -Infinity;
    let first = 0;
    let last = 0;
    const bounds = this.bounds;
    for (const s of device.series) {
      if (s.aggregatedCount === 0) continue;
      s.aggregatedBounds(bounds);
      if (bounds[0] < firstPosition) {
        firstPosition = bounds[0];
        first = bounds[1];
      }
      if (bounds[2] > lastPosition) {
        lastPosition = bounds[2];
        last = bounds[3];
      }
    }
    return [first, last];
  }

  /** Build the window from every series' aggregated readings; output it, or reject it for minCount. */
  private emitWindow(device: DeviceState, start: number, end: number, partial: boolean): void {
    const { fill } = this.config;
    const features: Record<string, number> = {};
    const counts: Record<string, number> = {};
    const featureUnits = this.features;
    const sample = this.sample;
    let filled: string[] | undefined;
    let shortfall: string | undefined;
    let hasReadings = false;
    for (const series of device.series) {
      const count = series.aggregatedCount;
      counts[series.name] = count;
      const keys = series.featureKeys;
      let wasFilled = false;
      if (count > 0) {
        hasReadings = true;
        series.loadSample(sample);
        for (let i = 0; i < keys.length; i++) features[keys[i]] = featureUnits[i].compute(sample);
      } else if (fill === 'zero' || (fill === 'previous' && series.previousFeatures !== undefined)) {
        const previous = series.previousFeatures;
        filled ??= [];
        for (let i = 0; i < keys.length; i++) {
          features[keys[i]] = fill === 'zero' || previous === undefined ? 0 : previous[i];
          filled.push(keys[i]);
        }
        wasFilled = true;
      }
      const needed = this.minCounts.get(series.name) ?? this.config.minCount.all;
      if (count < needed && !wasFilled && shortfall === undefined) {
        shortfall = `${series.name} has ${count} reading${count === 1 ? '' : 's'}, minCount is ${needed}`;
      }
    }
    if (!hasReadings) return;
    if (this.config.calendar) writeCalendarFeatures(end, this.config.timeZone, features);
    const payload: WindowPayload = { deviceId: device.id, start, end, features, counts };
    if (filled) payload.filled = filled;
    if (partial) payload.partial = true;
    if (this.evicting) payload.evicted = true;
    if (shortfall !== undefined) {
      this.counters.minCount++;
      this.outbox.push({ kind: 'reject', code: 'min-count', message: `window ${start}–${end} of ${device.id}: ${shortfall}`, window: payload });
      return;
    }
    if (fill === 'previous') this.rememberFeatures(device, features);
    this.counters.emitted++;
    this.outbox.push({ kind: 'window', payload });
  }

  private rememberFeatures(device: DeviceState, features: Record<string, number>): void {
    for (const series of device.series) {
      if (series.aggregatedCount === 0) continue;
      const keys = series.featureKeys;
      const previous = (series.previousFeatures ??= new Float64Array(keys.length));
      for (let i = 0; i < keys.length; i++) previous[i] = features[keys[i]];
    }
  }

  // ---- devices ---------------------------------------------------------------------------------------------

  /** The device's state, moved to most recently seen; a new device may evict the least recently seen. */
  private deviceFor(id: string): DeviceState {
    const cached = this.lastDevice;
    if (cached !== undefined && cached.id === id) return cached;
    let device = this.devices.get(id);
    if (!device) {
      if (this.devices.size >= this.config.maxKeys) this.evictLeastRecent();
      device = this.newDevice(id);
      this.devices.set(id, device);
    }
    // Numbered only when the order changes, so the numbers do not depend on the lastDevice shortcut.
    if (this.seen.touch(device.seenLink)) device.seenOrder = ++this.sequence;
    this.lastDevice = device;
    return device;
  }

  /** A device new to the engine; one evicted earlier takes up its marks again, so it never re-emits a window. */
  private newDevice(id: string): DeviceState {
    const device = new DeviceState(id, this.placement === 'count' ? 0 : -Infinity, this.placement === 'session');
    for (const sensor of this.config.sensors) this.addSeries(device, sensor);
    const marks = this.tombstones.get(id);
    if (marks !== undefined) {
      this.tombstones.delete(id);
      device.latest = marks[Tomb.Latest];
      device.watermark = marks[Tomb.Watermark];
      device.nextWindow = marks[Tomb.NextWindow];
      device.nextReading = marks[Tomb.NextReading];
      device.closedThrough = marks[Tomb.ClosedThrough];
      device.lastArrival = marks[Tomb.LastArrival];
    } else if (this.floors !== undefined) {
      const floor = this.floors[floorBucket(id)];
      if (this.placement === 'session') device.closedThrough = Math.max(device.closedThrough, floor);
      else if (this.placement === 'time') device.nextWindow = Math.max(device.nextWindow, floor);
    }
    return device;
  }

  /** The device's series of this sensor, new if need be; undefined when the device is at its sensor bound. */
  private seriesFor(device: DeviceState, sensor: string): WindowSeries | undefined {
    const cached = device.lastSeries;
    if (cached !== undefined && cached.name === sensor) return cached;
    let index = device.indexOf(sensor);
    if (index < 0 && device.series.length >= MAX_SENSORS_PER_DEVICE) return undefined;
    if (index < 0) {
      this.addSeries(device, sensor);
      index = device.series.length - 1;
    }
    device.lastSeries = device.series[index];
    device.lastIndex = index;
    return device.lastSeries;
  }

  private addSeries(device: DeviceState, sensor: string): WindowSeries {
    let names = this.sensorNames.get(sensor);
    if (names === undefined) {
      names = { name: sensor, keys: sensorFeatureKeys(sensor, this.config) };
      if (this.sensorNames.size < MAX_SHARED_SENSOR_NAMES) this.sensorNames.set(sensor, names);
    }
    const { maxReadings } = this.config;
    const series = this.panes ? new PaneSeries(names.name, names.keys, maxReadings, this.panes) : new SensorSeries(names.name, names.keys, maxReadings);
    device.addSeries(series);
    return series;
  }

  private evictLeastRecent(): void {
    const device = this.seen.oldest();
    if (!device) return;
    this.evicting = true;
    try {
      this.closeAll(device);
    } finally {
      this.evicting = false;
    }
    this.forget(device);
    const { latest, watermark, nextWindow, nextReading, closedThrough, lastArrival } = device;
    this.tombstones.set(device.id, Float64Array.of(latest, watermark, nextWindow, nextReading, closedThrough, lastArrival, ++this.sequence));
    this.trimTombstones();
    this.counters.evictions++;
  }

  /** At most maxKeys tombstones: the oldest go, leaving their mark in their bucket's floor. */
  private trimTombstones(): void {
    while (this.tombstones.size > this.config.maxKeys) {
      const [id, marks] = this.tombstones.entries().next().value as [string, Float64Array];
      this.tombstones.delete(id);
      this.changes?.add(id);
      if (this.placement === 'count') continue; // count windows hold only readings taken after a device comes back
      this.floors ??= new Float64Array(FLOOR_BUCKETS).fill(-Infinity);
      const bucket = floorBucket(id);
      this.floors[bucket] = Math.max(this.floors[bucket], marks[this.placement === 'session' ? Tomb.ClosedThrough : Tomb.NextWindow]);
    }
  }

  private forget(device: DeviceState): void {
    this.devices.delete(device.id);
    this.seen.remove(device.seenLink);
    this.open.remove(device.openLink);
    if (this.lastDevice === device) this.lastDevice = undefined;
    this.changes?.add(device.id);
  }

  private noteChange(device: DeviceState): void {
    if (this.changes === undefined || device.changed) return;
    device.changed = true;
    this.changes.add(device.id);
  }

  private hasOpenWindows(device: DeviceState): boolean {
    if (this.placement === 'session') return device.sessionStarts.length > 0;
    for (const series of device.series) if (series.length > 0) return true;
    return false;
  }

  private markOpen(device: DeviceState): void {
    if (this.open.touch(device.openLink)) device.openOrder = ++this.sequence;
  }

  private markClosed(device: DeviceState): void {
    this.open.remove(device.openLink);
  }

  // ---- events ----------------------------------------------------------------------------------------------

  /** Recounts what is buffered (at most once per RECOUNT_EVERY refusals); room when under 15/16 of the budget. */
  private bufferHasRoom(): boolean {
    if (this.refusedSinceRecount > 0 && this.refusedSinceRecount < RECOUNT_EVERY) {
      this.refusedSinceRecount++;
      return false;
    }
    let total = 0;
    for (const device of this.devices.values()) total += bufferedIn(device);
    this.bufferedBound = total;
    const room = total <= this.maxBuffered - Math.ceil(this.maxBuffered / 16);
    this.refusedSinceRecount = room ? 0 : 1;
    return room;
  }

  private rejectReading(code: RejectCode, message: string, reading: CanonicalReading): readonly WindowEvent[] {
    this.counters[code === 'too-large' || code === 'min-count' ? 'overflow' : code]++; // too-large counts as overflow
    this.outbox.push({ kind: 'reject', code, message, reading });
    return this.takeEvents();
  }

  private takeEvents(): readonly WindowEvent[] {
    if (this.outbox.length === 0) return NO_EVENTS;
    const events = this.outbox;
    this.outbox = [];
    return events;
  }

  // ---- snapshot --------------------------------------------------------------------------------------------

  private toData(device: DeviceState): DeviceStateData {
    const { latest, watermark, nextWindow, nextReading, emitAt, closedThrough, lastArrival, jump, jumpArrival } = device;
    const data: DeviceStateData = {
      id: device.id,
      clock: [latest, watermark, nextWindow, nextReading, emitAt, closedThrough, lastArrival, jump, jumpArrival],
      sessionStarts: device.sessionStarts.slice(),
      sessionEnds: device.sessionEnds.slice(),
      sensors: device.series.map((series) => ({ name: series.name, ...series.toState() })),
      order: [device.seenOrder, device.openLink.linked ? device.openOrder : -1],
    };
    if (device.recent !== undefined) data.recent = Float64Array.of(device.recentNext, ...device.recent);
    return data;
  }

  private fromData(data: DeviceStateData): DeviceState {
    const device = new DeviceState(data.id, 0, this.placement === 'session');
    [device.latest, device.watermark, device.nextWindow, device.nextReading, device.emitAt, device.closedThrough, device.lastArrival, device.jump, device.jumpArrival] =
      data.clock;
    if (data.order !== undefined) [device.seenOrder, device.openOrder] = data.order;
    if (this.placement === 'session') {
      device.sessionStarts = data.sessionStarts.slice();
      device.sessionEnds = data.sessionEnds.slice();
    } else if (data.sessionStarts.length > 0) {
      throw new Error(`saved window state of ${data.id} has sessions, but these windows are not sessions`);
    }
    for (const sensor of data.sensors) {
      if (device.findSeries(sensor.name) !== undefined) throw new Error(`saved window state repeats sensor ${sensor.name} of ${data.id}`);
      const series = this.addSeries(device, sensor.name);
      if (series instanceof PaneSeries) {
        if (sensor.kind === 'panes') series.loadState(sensor);
        else series.loadReadings(sensor.positions, sensor.timestamps, sensor.values, sensor.previousFeatures);
      } else if (series instanceof SensorSeries && sensor.kind === 'readings') {
        series.loadState(sensor);
      } else {
        throw new Error('saved window state holds pane summaries where these settings need the readings');
      }
      device.earliest = Math.min(device.earliest, series.earliestPosition());
    }
    if (data.recent !== undefined) {
      if (data.recent.length !== 1 + 2 * RECENT_READINGS) throw new Error(`saved window state of ${data.id} has malformed recent readings`);
      device.remember(-1, NaN); // allocates the ring
      device.recentNext = data.recent[0] % RECENT_READINGS;
      for (let i = 0; i < 2 * RECENT_READINGS; i++) device.recent![i] = data.recent[1 + i];
      for (let i = 0; i < 2 * RECENT_READINGS; i += 2) if (device.recent![i] > device.recentMax) device.recentMax = device.recent![i];
      device.recentAtMax = -1 >>> 1; // unknown: every index scans at recentMax
    }
    return device;
  }
}

/** Why this is not a canonical reading at all (code `type`), or undefined. */
function readingShapeProblem(reading: CanonicalReading): string | undefined {
  if (reading === null || typeof reading !== 'object') return 'a reading must be an object { deviceId, sensor, value, ts }';
  const { deviceId, sensor, ts } = reading;
  if (typeof deviceId !== 'string' || deviceId === '') return 'reading.deviceId must be a non-empty string';
  if (typeof sensor !== 'string' || sensor === '' || sensor === '__proto__') return 'reading.sensor must be a non-empty string';
  // Beyond a Date's range window arithmetic loses whole windows to rounding (and never catches up).
  if (typeof ts !== 'number' || !(Math.abs(ts) <= MAX_EPOCH_MS)) return `reading.ts of ${deviceId}/${sensor} must be epoch milliseconds`;
  return undefined;
}

/** Why the value cannot be windowed (code `type`), or undefined for a finite number or a boolean. */
function readingValueProblem({ deviceId, sensor, value }: CanonicalReading): string | undefined {
  if (typeof value === 'boolean' || (typeof value === 'number' && Math.abs(value) <= MAX_ABS_VALUE)) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) {
    return `value ${value} of ${deviceId}/${sensor} is beyond ±${MAX_ABS_VALUE}, where window features (kurtosis: the 4th power) overflow`;
  }
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `value of ${deviceId}/${sensor} is text (${JSON.stringify(shown)}); windows need numbers or booleans`;
  }
  return `value of ${deviceId}/${sensor} must be a finite number or a boolean`;
}

function floorBucket(id: string): number {
  return deviceHash(id) % FLOOR_BUCKETS;
}

/** `<sensor>.<feature>` output names of one sensor: its moment features, then its spectral features' outputs. */
export function sensorFeatureKeys(sensor: string, config: WindowConfig): string[] {
  return [...config.features, ...spectralKeys(config)].map((key) => `${sensor}.${key}`);
}
