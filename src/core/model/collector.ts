/**
 * What model-train collects: labelled feature windows in a bounded buffer, plus windows still waiting for a label
 * that a label event (`{ deviceId, label, ts }` or `{ deviceId, label, start, end }`) gives them by time.
 */
import { formatCsv } from './csv';
import type { FeatureRecord } from './dataset';

export type LabelValue = string | number | boolean;

export interface CollectedExample extends FeatureRecord {
  deviceId: string;
  start?: number;
  end?: number;
  label: LabelValue;
}

interface WaitingWindow {
  deviceId: string;
  start: number;
  end: number;
  features: Record<string, number>;
}

interface LabelEvent {
  label: LabelValue;
  start: number;
  /** Inclusive; equal to start for a point event. */
  end: number;
}

export interface CollectorOptions {
  /** Most labelled examples kept (oldest dropped first). */
  maxSamples: number;
  /** Most unlabelled windows kept waiting for a label event, over all devices. */
  maxWaiting: number;
  /** Most label events remembered per device, for windows that arrive after their label. */
  maxLabelEvents?: number;
}

export type AddResult = { ok: true; labelled: number } | { ok: false; code: 'features' | 'label' | 'too-large'; message: string };

/** What one example may hold: every example is kept in memory until training (up to maxSamples of them). */
export const COLLECTOR_BOUNDS = {
  maxFeatures: 10_000,
  /** Longest feature name, label text or deviceId. */
  maxNameLength: 1024,
  /** Most devices whose label events are remembered (the least recently added device is forgotten first). */
  maxLabelDevices: 10_000,
};

const isLabel = (x: unknown): x is LabelValue =>
  (typeof x === 'string' && x.trim() !== '' && x.length <= COLLECTOR_BOUNDS.maxNameLength && x !== '__proto__') ||
  typeof x === 'boolean' ||
  (typeof x === 'number' && Number.isFinite(x));

export class TrainingCollector {
  private readonly examples: CollectedExample[] = [];
  private readonly waiting: WaitingWindow[] = [];
  private readonly labelEvents = new Map<string, LabelEvent[]>();
  /** Examples added since the last `markTrained()`. */
  private fresh = 0;
  dropped = 0;

  constructor(private readonly options: CollectorOptions) {}

  get size(): number {
    return this.examples.length;
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  get sinceTraining(): number {
    return this.fresh;
  }

  markTrained(): void {
    this.fresh = 0;
  }

  /**
   * A feature window (`payload.features`, with `deviceId`, `start`, `end` when it came from feature-window) and
   * maybe its label. Without a label it waits for a label event of its device.
   */
  addWindow(payload: Record<string, unknown>, label: unknown): AddResult {
    const features = payload.features;
    if (features === null || typeof features !== 'object' || Array.isArray(features)) {
      return { ok: false, code: 'features', message: 'payload.features must be an object of name → number' };
    }
    const names = Object.keys(features);
    if (names.length > COLLECTOR_BOUNDS.maxFeatures) {
      return { ok: false, code: 'too-large', message: `payload.features has ${names.length} features, over the ${COLLECTOR_BOUNDS.maxFeatures}-feature limit` };
    }
    const numeric: Record<string, number> = {};
    for (const [name, value] of Object.entries(features as Record<string, unknown>)) {
      // "__proto__" could not be kept as a name (assigning it would change the object's prototype instead).
      if (name.length > COLLECTOR_BOUNDS.maxNameLength || name === '__proto__') {
        return { ok: false, code: 'features', message: `a feature name is over ${COLLECTOR_BOUNDS.maxNameLength} characters or is "__proto__"` };
      }
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        return { ok: false, code: 'features', message: `feature "${name}" is ${typeof value === 'number' ? String(value) : `a ${value === null ? 'null' : typeof value}`}, not a finite number` };
      }
      numeric[name] = value;
    }
    if (Object.keys(numeric).length === 0) return { ok: false, code: 'features', message: 'payload.features is empty' };
    const deviceId = readDeviceId(payload.deviceId);
    const start = typeof payload.start === 'number' ? payload.start : undefined;
    const end = typeof payload.end === 'number' ? payload.end : start;
    if (label !== undefined && label !== null) {
      if (!isLabel(label)) return { ok: false, code: 'label', message: `the label must be a non-empty string (at most ${COLLECTOR_BOUNDS.maxNameLength} characters), a number or a boolean` };
      this.push({ deviceId, start, end, features: numeric, label });
      return { ok: true, labelled: 1 };
    }
    if (start === undefined || end === undefined || deviceId === '') {
      return { ok: false, code: 'label', message: 'no label (msg.label or payload.label), and no deviceId/start/end to join a label event to' };
    }
    const known = this.labelFor(deviceId, start, end);
    if (known !== undefined) {
      this.push({ deviceId, start, end, features: numeric, label: known });
      return { ok: true, labelled: 1 };
    }
    this.waiting.push({ deviceId, start, end, features: numeric });
    if (this.waiting.length > this.options.maxWaiting) {
      this.waiting.shift();
      this.dropped++;
    }
    return { ok: true, labelled: 0 };
  }

  /** A label event: labels the device's waiting windows it covers, and later ones too. */
  addLabelEvent(event: Record<string, unknown>): AddResult {
    const deviceId = readDeviceId(event.deviceId);
    if (deviceId === '') return { ok: false, code: 'label', message: `a label event needs a deviceId (at most ${COLLECTOR_BOUNDS.maxNameLength} characters)` };
    if (!isLabel(event.label)) return { ok: false, code: 'label', message: 'a label event needs a label (string, number or boolean)' };
    const point = typeof event.ts === 'number' && Number.isFinite(event.ts) ? event.ts : undefined;
    const start = point ?? (typeof event.start === 'number' && Number.isFinite(event.start) ? event.start : undefined);
    const end = point ?? (typeof event.end === 'number' && Number.isFinite(event.end) ? event.end : undefined);
    if (start === undefined || end === undefined || end < start) {
      return { ok: false, code: 'label', message: 'a label event needs ts, or start and end (epoch ms, start ≤ end)' };
    }
    const labelEvent: LabelEvent = { label: event.label, start, end };
    const list = this.labelEvents.get(deviceId) ?? [];
    list.push(labelEvent);
    if (list.length > (this.options.maxLabelEvents ?? 100)) list.shift();
    // Re-inserted, so the map stays in order of the latest event and the quietest device goes first.
    this.labelEvents.delete(deviceId);
    this.labelEvents.set(deviceId, list);
    if (this.labelEvents.size > COLLECTOR_BOUNDS.maxLabelDevices) this.labelEvents.delete(this.labelEvents.keys().next().value as string);
    let labelled = 0;
    for (let i = 0; i < this.waiting.length; ) {
      const window = this.waiting[i];
      if (window.deviceId === deviceId && covers(labelEvent, window.start, window.end)) {
        this.waiting.splice(i, 1);
        this.push({ ...window, label: labelEvent.label });
        labelled++;
      } else i++;
    }
    return { ok: true, labelled };
  }

  records(): readonly CollectedExample[] {
    return this.examples;
  }

  /**
   * The collected examples as a CSV that `iot-ai train --label label` reads: `ts` (the window's end) and
   * `deviceId` are columns it leaves out of the features.
   */
  toCsv(): string {
    const names = [...new Set(this.examples.flatMap((e) => Object.keys(e.features)))].sort();
    const header = ['deviceId', 'ts', ...names, 'label'];
    return formatCsv([header, ...this.examples.map((e) => [e.deviceId, e.end, ...names.map((n) => e.features[n] as number), String(e.label)])]);
  }

  clear(): void {
    this.examples.length = 0;
    this.waiting.length = 0;
    this.labelEvents.clear();
    this.fresh = 0;
  }

  private push(example: CollectedExample): void {
    this.examples.push(example);
    this.fresh++;
    if (this.examples.length > this.options.maxSamples) {
      this.examples.shift();
      this.dropped++;
    }
  }

  /** The latest label event of the device that covers the window. */
  private labelFor(deviceId: string, start: number, end: number): LabelValue | undefined {
    const list = this.labelEvents.get(deviceId);
    if (!list) return undefined;
    for (let i = list.length - 1; i >= 0; i--) if (covers(list[i], start, end)) return list[i].label;
    return undefined;
  }
}

/** A deviceId as text; '' when absent, of another type, or too long to keep. */
function readDeviceId(raw: unknown): string {
  const text = typeof raw === 'string' || (typeof raw === 'number' && Number.isFinite(raw)) ? String(raw) : '';
  return text.length <= COLLECTOR_BOUNDS.maxNameLength ? text : '';
}

/**
 * A point event labels the window whose [start, end] holds it; an interval labels the windows whose middle
 * lies inside it (a window straddling the interval's edge goes with the side it mostly lies on).
 */
function covers(event: LabelEvent, start: number, end: number): boolean {
  if (event.start === event.end) return event.start >= start && event.start <= end;
  const middle = (start + end) / 2;
  return middle >= event.start && middle <= event.end;
}
