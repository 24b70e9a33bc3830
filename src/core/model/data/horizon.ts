/**
 * Forecast labels (#16): the future of the stream labels the present. A window that ends at `end` is labelled with
 * the label of its device's latest row with `end <= ts < end + H`; a window without such a row is left out.
 * The same lookup gives the two references a forecast must beat: persistence (the latest row before `end`: what was
 * known when the window closed) and the day before (the same rule shifted back 24 hours). See docs/forecasting.md.
 */
import type { Label } from '../../window/rows';
import { classificationSkill, regressionSkill, type ForecastSkill } from '../train/metrics';

/** One labelled row of a device: `ts` epoch ms. Numeric labels (regression) and text labels (classes) alike. */
export interface LabelRow {
  readonly deviceId: string;
  readonly ts: number;
  readonly label: Label;
}

/** What a forecast is labelled from and compared with. */
export interface HorizonLabels {
  /** The label at the horizon: the device's latest row in [end, end + H). */
  label: Label;
  /** The latest row before `end` (ts < end): "it stays as it is". Absent when the device had none yet. */
  persistence?: Label;
  /** The horizon's rule a day earlier: the latest row in [end − 24 h, end + H − 24 h); absent when none (or H > 24 h). */
  dayBefore?: Label;
}

export const DAY_MS = 86_400_000;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000 };
/** What `parseHorizon` reads from text (the editors check a field with the same pattern). */
export const HORIZON_PATTERN = '^\\s*(\\d*\\.?\\d+)\\s*(ms|s|min|h)?\\s*$';

/** A horizon: milliseconds as a number (or numeric text), or a number with a unit `s`, `min`, `h` (`ms` too). */
export function parseHorizon(raw: unknown): { ok: true; ms: number } | { ok: false; error: string } {
  const shown = typeof raw === 'string' ? JSON.stringify(raw) : String(raw);
  const problem = { ok: false as const, error: `horizon must be a duration above 0: milliseconds, or a number with a unit s, min or h such as 15min (got ${shown})` };
  let ms: number;
  if (typeof raw === 'number') ms = raw;
  else if (typeof raw === 'string') {
    const match = new RegExp(HORIZON_PATTERN).exec(raw);
    if (!match) return problem;
    ms = Number(match[1]) * UNIT_MS[match[2] ?? 'ms'];
  } else return problem;
  if (!Number.isFinite(ms) || ms <= 0) return problem;
  return { ok: true, ms: Math.round(ms) };
}

/** One device's labelled rows, by ts (ties in the order given: the later one counts as later). */
class DeviceLabels {
  readonly ts: number[] = [];
  readonly labels: Label[] = [];

  /** Index of the latest row with from <= ts < to, or -1. */
  latestIn(from: number, to: number): number {
    const { ts } = this;
    let low = 0;
    let high = ts.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (ts[mid] < to) low = mid + 1;
      else high = mid;
    }
    return low > 0 && ts[low - 1] >= from ? low - 1 : -1;
  }
}

/** The labelled rows of every device, sorted once, to look labels up by time. */
export class LabelTimeline {
  private readonly devices = new Map<string, DeviceLabels>();

  constructor(rows: Iterable<LabelRow>) {
    const byDevice = new Map<string, Array<{ ts: number; index: number; label: Label }>>();
    let index = 0;
    for (const row of rows) {
      if (!Number.isFinite(row.ts)) continue;
      const list = byDevice.get(row.deviceId) ?? [];
      list.push({ ts: row.ts, index: index++, label: row.label });
      byDevice.set(row.deviceId, list);
    }
    for (const [deviceId, list] of byDevice) {
      list.sort((a, b) => a.ts - b.ts || a.index - b.index);
      const device = new DeviceLabels();
      for (const entry of list) {
        device.ts.push(entry.ts);
        device.labels.push(entry.label);
      }
      this.devices.set(deviceId, device);
    }
  }

  /** The label of the device's latest row with from <= ts < to; undefined when there is none. */
  latest(deviceId: string, from: number, to: number): Label | undefined {
    const device = this.devices.get(deviceId);
    if (device === undefined) return undefined;
    const at = device.latestIn(from, to);
    return at < 0 ? undefined : device.labels[at];
  }

  /** The label at the horizon and the references; undefined when no row lies in [end, end + H). */
  labelsAt(deviceId: string, end: number, horizonMs: number): HorizonLabels | undefined {
    const label = this.latest(deviceId, end, end + horizonMs);
    if (label === undefined) return undefined;
    const out: HorizonLabels = { label };
    const persistence = this.latest(deviceId, -Infinity, end);
    if (persistence !== undefined) out.persistence = persistence;
    if (horizonMs <= DAY_MS) {
      const dayBefore = this.latest(deviceId, end - DAY_MS, end + horizonMs - DAY_MS);
      if (dayBefore !== undefined) out.dayBefore = dayBefore;
    }
    return out;
  }
}

/**
 * Labels windows by what followed them: each window whose device has a row in [end, end + H) comes back with that
 * label (the latest such row's) and its references; the others are left out and counted.
 */
export function labelByHorizon<W extends { readonly deviceId: string; readonly end: number }>(
  windows: readonly W[],
  rows: Iterable<LabelRow> | LabelTimeline,
  horizonMs: number,
): { labelled: Array<W & HorizonLabels>; unlabelled: number } {
  if (!(horizonMs > 0) || !Number.isFinite(horizonMs)) throw new RangeError(`horizon must be a number of ms above 0 (got ${horizonMs})`);
  const timeline = rows instanceof LabelTimeline ? rows : new LabelTimeline(rows);
  const labelled: Array<W & HorizonLabels> = [];
  let unlabelled = 0;
  for (const window of windows) {
    const labels = timeline.labelsAt(window.deviceId, window.end, horizonMs);
    if (labels === undefined) unlabelled++;
    else labelled.push({ ...window, ...labels });
  }
  return { labelled, unlabelled };
}

/**
 * The skill of forecasts `predicted` (one per labelled window, in order) over persistence and the day before, from
 * the references `labelByHorizon` found. Regression reads labels as numbers (one that is not: no reference).
 */
export function horizonSkill(task: 'classification' | 'regression', labelled: readonly HorizonLabels[], predicted: ArrayLike<number | string>): ForecastSkill {
  if (task === 'regression') {
    const number = (label: Label | undefined): number => (label === undefined || typeof label === 'boolean' || String(label).trim() === '' ? NaN : Number(label));
    return regressionSkill(
      labelled.map((w) => number(w.label)),
      Array.from(predicted, Number),
      { persistence: labelled.map((w) => number(w.persistence)), dayBefore: labelled.map((w) => number(w.dayBefore)) },
    );
  }
  return classificationSkill(
    labelled.map((w) => String(w.label)),
    predicted,
    { persistence: labelled.map((w) => w.persistence), dayBefore: labelled.map((w) => w.dayBefore) },
  );
}
