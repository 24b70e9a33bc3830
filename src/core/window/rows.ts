import { CALENDAR_KEYS } from './calendar';
import type { WindowConfig } from './config';
import { sensorFeatureKeys, WindowEngine } from './engine';
import type { RejectCode, WindowPayload } from './types';
import { normaliseTimestamp } from '../ingest/timestamps';

/** One wide CSV row: `deviceId`, `ts` (epoch ms), one column per sensor, maybe a label column. */
export interface WideRow {
  readonly deviceId: string | number;
  readonly ts: number | string;
  readonly [column: string]: unknown;
}

export type Label = string | number | boolean;

/** One training example: a window's features and the label of the latest labelled row inside it. */
export interface TrainingWindow {
  deviceId: string;
  start: number;
  end: number;
  features: Record<string, number>;
  label?: Label;
}

export interface WindowedRows {
  /** `<sensor>.<feature>` for every selected sensor and feature, in column order; then `calendar.*` if selected. */
  featureNames: string[];
  rows: TrainingWindow[];
  /** Readings and windows that did not become rows, by reason (a name too long to keep counts as overflow). */
  rejected: Record<Exclude<RejectCode, 'too-large'>, number>;
}

export interface WindowRowsOptions {
  /** Columns that are neither sensors nor the label (`truth.*` columns are always left out). */
  ignore?: readonly string[];
}

/**
 * Window wide rows for training with the very engine `feature-window` runs, so training and serving agree.
 * Rows are fed in the order given (their arrival order), each sensor cell as one reading at the row's `ts`;
 * at the end every open window is flushed. A window's label is that of the latest row inside it that has one.
 */
export function windowRows(
  rows: readonly WideRow[],
  config: WindowConfig,
  labelColumn?: string,
  options: WindowRowsOptions = {},
): WindowedRows {
  const ignored = new Set(['deviceId', 'ts', ...(labelColumn ? [labelColumn] : []), ...(options.ignore ?? [])]);
  const sensors = config.sensors.length > 0 ? [...config.sensors] : sensorColumns(rows, ignored);
  const engine = new WindowEngine(config);
  const labels = new Map<string, LabelledTime[]>();
  const windows: WindowPayload[] = [];
  const rejected: WindowedRows['rejected'] = { late: 0, 'min-count': 0, type: 0, overflow: 0, future: 0, duplicate: 0 };

  const collect = (events: ReturnType<WindowEngine['add']>): void => {
    for (const event of events) {
      if (event.kind === 'window') windows.push(event.payload);
      else rejected[event.code === 'too-large' ? 'overflow' : event.code]++; // a name too long to keep
    }
  };

  rows.forEach((row, index) => {
    const deviceId = String(row.deviceId);
    const ts = toEpochMs(row.ts);
    if (ts === undefined) {
      rejected.type++;
      return;
    }
    if (labelColumn !== undefined) {
      const label = cellLabel(row[labelColumn]);
      if (label !== undefined) {
        const list = labels.get(deviceId) ?? [];
        list.push({ ts, index, label });
        labels.set(deviceId, list);
      }
    }
    for (const sensor of sensors) {
      const value = cellValue(row[sensor]);
      if (value === undefined) continue;
      collect(engine.add({ deviceId, sensor, value, ts }, ts));
    }
  });
  collect(engine.flush());

  for (const list of labels.values()) list.sort((a, b) => a.ts - b.ts || a.index - b.index);
  const endInclusive = config.window === 'session' || config.unit === 'count';
  return {
    featureNames: [...sensors.flatMap((sensor) => sensorFeatureKeys(sensor, config)), ...(config.calendar ? CALENDAR_KEYS : [])],
    rows: windows.map(({ deviceId, start, end, features }) => {
      const label = latestLabel(labels.get(deviceId), start, end, endInclusive);
      return label === undefined ? { deviceId, start, end, features } : { deviceId, start, end, features, label };
    }),
    rejected,
  };
}

/**
 * The labelled cells of one column as (deviceId, ts, label), read as `windowRows` reads labels (blank: none): what
 * forecast labels are looked up in (src/core/model/data/horizon.ts). The column may be a sensor as well.
 */
export function labelRowsOf(rows: readonly WideRow[], column: string): Array<{ deviceId: string; ts: number; label: Label }> {
  const out: Array<{ deviceId: string; ts: number; label: Label }> = [];
  for (const row of rows) {
    const ts = toEpochMs(row.ts);
    const label = cellLabel(row[column]);
    if (ts !== undefined && label !== undefined) out.push({ deviceId: String(row.deviceId), ts, label });
  }
  return out;
}

interface LabelledTime {
  ts: number;
  index: number;
  label: Label;
}

/** Sensor columns in first-seen order: every column but the reserved ones and `truth.*`. */
function sensorColumns(rows: readonly WideRow[], ignored: ReadonlySet<string>): string[] {
  const columns = new Set<string>();
  for (const row of rows) {
    for (const column of Object.keys(row)) {
      if (!ignored.has(column) && !column.startsWith('truth.')) columns.add(column);
    }
  }
  return [...columns];
}

/** The label of the latest labelled row with ts in [start, end) (or [start, end] when `endInclusive`). */
function latestLabel(list: LabelledTime[] | undefined, start: number, end: number, endInclusive: boolean): Label | undefined {
  if (!list) return undefined;
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (endInclusive ? list[mid].ts <= end : list[mid].ts < end) low = mid + 1;
    else high = mid;
  }
  return low > 0 && list[low - 1].ts >= start ? list[low - 1].label : undefined;
}

/** A CSV cell as a reading value: blank is no reading; numeric and true/false text are converted. */
function cellValue(cell: unknown): number | boolean | string | undefined {
  if (cell === undefined || cell === null) return undefined;
  if (typeof cell === 'number' || typeof cell === 'boolean') return cell;
  const text = String(cell).trim();
  if (text === '') return undefined;
  if (text === 'true' || text === 'false') return text === 'true';
  const number = Number(text);
  return Number.isFinite(number) ? number : text;
}

function cellLabel(cell: unknown): Label | undefined {
  if (typeof cell === 'number' || typeof cell === 'boolean') return cell;
  if (typeof cell === 'string' && cell.trim() !== '') return cell.trim();
  return undefined;
}

/** Epoch ms from a number, numeric text or an ISO 8601 date. */
function toEpochMs(ts: unknown): number | undefined {
  if (typeof ts === 'number') return Number.isFinite(ts) ? ts : undefined;
  if (typeof ts !== 'string' || ts.trim() === '') return undefined;
  const number = Number(ts);
  if (Number.isFinite(number)) return number;
  // ISO 8601 read as sensor-ingest reads it: without an offset it is UTC, never the host's zone (Date.parse).
  return normaliseTimestamp(ts);
}
