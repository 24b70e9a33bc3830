/**
 * model-train's live forecasts (docs/forecasting.md#live-forecasts-in-model-train): feature windows are held, per
 * device, until that device's stream reaches `end + H`, then labelled by the core's horizon rule (the latest target
 * value read in [end, end + H)) or left out when none was read. Nothing waits forever and nothing is lost silently:
 * every held window ends labelled, left out (counted) or dropped by a bound (counted).
 *
 * Target values ("rows") come from three places, all of the window's own device:
 * - a canonical reading `{ deviceId, sensor: target, value, ts }`: read at `ts`;
 * - a point label event `{ deviceId, label, ts }` (a label stream): read at `ts`;
 * - a feature window's `<target>.last` (or `<target>.mean` when it has no `last`): read somewhere in the window, so
 *   it counts for a held window only when the whole window lies in [end, end + H): `start >= end` and `end' − 1 < end + H`.
 * Any reading of the device (of any sensor) and any window's `end` move the device's stream on.
 */
import { LruMap } from '../../util/lru-map';
import { isLabel, type LabelValue } from './collector';

/** The bounds of what is held (documented in docs/nodes/model-train.md). */
export const FORECAST_BOUNDS = {
  /** Most windows held per device; the device's oldest is dropped first. */
  heldPerDevice: 1000,
  /** Most windows held over every device; the oldest window of the device holding most is dropped first. */
  heldTotal: 10_000,
  /** Most devices followed; the one heard from least recently is forgotten (its held windows counted as dropped). */
  devices: 1000,
  /** Most target values kept per device (the oldest dropped first). */
  rowsPerDevice: 1000,
};

/** A target value read at some time in [from, to] (a point when from = to). */
interface TargetRow {
  from: number;
  to: number;
  value: LabelValue;
}

export interface HeldWindow {
  deviceId: string;
  start?: number;
  end: number;
  features: Record<string, number>;
  /** Estimated bytes, counted against maxBytes. */
  bytes: number;
}

/** A held window, labelled by what followed it, with the latest target value known when it closed. */
export interface ForecastExample extends HeldWindow {
  label: LabelValue;
  persistence?: LabelValue;
}

interface DeviceStream {
  /** Oldest first. */
  held: Array<HeldWindow & { persistence?: LabelValue }>;
  /** Sorted by `to`; equal `to` in arrival order. */
  rows: TargetRow[];
  /** How far the device's stream has come (epoch ms): its latest reading's ts or window's end. */
  position: number;
  /** The earliest end among `held` (Infinity when none): most readings end no window, and cost one comparison. */
  earliestEnd: number;
}

export interface ForecastHolderOptions {
  horizon: number;
  /** The target sensor ('' when the targets come from label events only). */
  target: string;
  /** Most estimated bytes held. */
  maxBytes: number;
  bounds?: Partial<typeof FORECAST_BOUNDS>;
}

export class ForecastHolder {
  /** The quietest device first; one forgotten beyond bounds.devices has its held windows counted as dropped. */
  private readonly devices: LruMap<string, DeviceStream>;
  private readonly bounds: typeof FORECAST_BOUNDS;
  private heldCount = 0;
  private heldBytes = 0;
  /** Windows dropped by a bound before their horizon came. */
  dropped = 0;
  /** Windows whose horizon came with no target value read in [end, end + H). */
  leftOut = 0;

  constructor(private readonly options: ForecastHolderOptions) {
    this.bounds = { ...FORECAST_BOUNDS, ...options.bounds };
    this.devices = new LruMap(this.bounds.devices, (_, forgotten) => {
      this.dropped += forgotten.held.length;
      this.forgetHeld(forgotten.held.length, forgotten);
    });
  }

  /** Windows held now, waiting for their horizon. */
  get held(): number {
    return this.heldCount;
  }

  /** The target value a window carries (`<target>.last`, else `<target>.mean`), or undefined. */
  targetOf(features: Record<string, number>): number | undefined {
    const { target } = this.options;
    if (target === '') return undefined;
    const last = features[`${target}.last`];
    if (typeof last === 'number') return last;
    const mean = features[`${target}.mean`];
    return typeof mean === 'number' ? mean : undefined;
  }

  /**
   * Holds a window (with a finite `end`) until its device's stream reaches end + H; returns the windows (this one
   * or earlier ones) that are labelled now.
   */
  addWindow(window: HeldWindow): ForecastExample[] {
    const stream = this.stream(window.deviceId);
    const value = this.targetOf(window.features);
    if (value !== undefined) {
      const from = window.start ?? window.end;
      this.addRow(stream, { from, to: Math.max(from, window.end - 1), value });
    }
    // What was known when the window closed: the latest target value read before its end.
    const persistence = this.latestRow(stream, -Infinity, window.end)?.value;
    stream.held.push({ ...window, ...(persistence !== undefined ? { persistence } : {}) });
    if (window.end < stream.earliestEnd) stream.earliestEnd = window.end;
    this.heldCount++;
    this.heldBytes += window.bytes;
    this.enforceBounds(stream);
    return this.advance(stream, window.end);
  }

  /** A target value read at `ts` (a reading of the target sensor, or a point label event). */
  addValue(deviceId: string, ts: number, value: unknown): ForecastExample[] {
    if (!Number.isFinite(ts) || !isLabel(value)) return [];
    const stream = this.stream(deviceId);
    this.addRow(stream, { from: ts, to: ts, value });
    return this.advance(stream, ts);
  }

  /** Any other reading of the device: its stream has come to `ts`. */
  addTime(deviceId: string, ts: number): ForecastExample[] {
    if (!Number.isFinite(ts)) return [];
    const stream = this.devices.peek(deviceId);
    return stream === undefined ? [] : this.advance(stream, ts);
  }

  /** Forgets every device's held windows and values, or those of `deviceId` (not counted as dropped: asked for). */
  clear(deviceId?: string): void {
    for (const [id, stream] of [...this.devices]) {
      if (deviceId !== undefined && id !== deviceId) continue;
      this.forgetHeld(stream.held.length, stream);
      this.devices.delete(id);
    }
  }

  private stream(deviceId: string): DeviceStream {
    // Made the most recent; a new device beyond bounds.devices forgets the quietest (see the constructor).
    return this.devices.getOrCreate(deviceId, () => ({ held: [], rows: [], position: -Infinity, earliestEnd: Infinity }));
  }

  private forgetHeld(count: number, stream: DeviceStream): void {
    for (const held of stream.held.splice(0, count)) {
      this.heldCount--;
      this.heldBytes -= held.bytes;
    }
    stream.earliestEnd = stream.held.reduce((earliest, held) => Math.min(earliest, held.end), Infinity);
  }

  private addRow(stream: DeviceStream, row: TargetRow): void {
    const { rows } = stream;
    // After every row with to <= row.to: equal times keep their arrival order (the later one counts as later).
    let low = 0;
    let high = rows.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (rows[mid].to <= row.to) low = mid + 1;
      else high = mid;
    }
    rows.splice(low, 0, row);
    if (rows.length > this.bounds.rowsPerDevice) rows.shift();
  }

  /** The latest row read wholly within [from, to): from <= row.from and row.to < to. */
  private latestRow(stream: DeviceStream, from: number, to: number): TargetRow | undefined {
    const { rows } = stream;
    let low = 0;
    let high = rows.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (rows[mid].to < to) low = mid + 1;
      else high = mid;
    }
    for (let i = low - 1; i >= 0 && rows[i].to >= from; i--) if (rows[i].from >= from) return rows[i];
    return undefined;
  }

  /** The stream of a device has come to `ts`: its windows whose horizon has passed are labelled or left out. */
  private advance(stream: DeviceStream, ts: number): ForecastExample[] {
    if (ts > stream.position) stream.position = ts;
    const { horizon } = this.options;
    if (stream.earliestEnd + horizon > stream.position) return [];
    const labelled: ForecastExample[] = [];
    const still: DeviceStream['held'] = [];
    for (const held of stream.held) {
      if (held.end + horizon > stream.position) {
        still.push(held);
        continue;
      }
      this.heldCount--;
      this.heldBytes -= held.bytes;
      const row = this.latestRow(stream, held.end, held.end + horizon);
      if (row === undefined) this.leftOut++;
      else labelled.push({ ...held, label: row.value });
    }
    stream.held = still;
    stream.earliestEnd = still.reduce((earliest, held) => Math.min(earliest, held.end), Infinity);
    return labelled;
  }

  /** Drops the oldest held windows beyond the bounds: the device's own first, then the device holding most. */
  private enforceBounds(stream: DeviceStream): void {
    while (stream.held.length > this.bounds.heldPerDevice) this.dropOldest(stream);
    while (this.heldCount > this.bounds.heldTotal || (this.heldBytes > this.options.maxBytes && this.heldCount > 0)) {
      let largest = stream;
      for (const other of this.devices.values()) if (other.held.length > largest.held.length) largest = other;
      this.dropOldest(largest);
    }
  }

  private dropOldest(stream: DeviceStream): void {
    this.forgetHeld(1, stream);
    this.dropped++;
  }
}
