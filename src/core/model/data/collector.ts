/**
 * What model-train collects: labelled feature windows in a bounded buffer, plus windows still waiting for a label
 * that a label event (`{ deviceId, label, ts }` or `{ deviceId, label, start, end }`) gives them by time.
 */
import { formatCsv } from './csv';
import type { FeatureRecord } from './dataset';
import { describeFeatureValue, featureVector, isMissingFeature } from './vector';
import { pointer } from '../../util/pointer';
import { LruMap } from '../../util/lru-map';

export type LabelValue = string | number | boolean;

export interface CollectedExample extends FeatureRecord {
  deviceId: string;
  start?: number;
  end?: number;
  label: LabelValue;
  /** Order of collection (1, 2, …; never reused), so a training can tell which windows a model learnt from. */
  seq: number;
  /** Forecasts: the target's latest value known when the window closed (the persistence reference), if any. */
  persistence?: LabelValue;
  /** Labelled by a person's correction (a feedback event): how many times it counts in training (model/train/feedback.ts). */
  weight?: number;
  /** Labelled by a kept agreement (weak): a correction covering it later relabels it. */
  weak?: true;
}

interface StoredExample extends CollectedExample {
  /** estimateExampleBytes of it, counted in the collector's bytes. */
  bytes: number;
}

interface WaitingWindow {
  deviceId: string;
  start: number;
  end: number;
  features: Record<string, number>;
  /** estimateExampleBytes of it, counted in the collector's bytes. */
  bytes: number;
}

interface LabelEvent {
  label: LabelValue;
  start: number;
  /** Inclusive; equal to start for a point event. */
  end: number;
  /** Feedback look-backs: labels the windows whose end lies in [start, end] (not by their middle), with this weight. */
  byEnd?: ByEnd;
}

/** A feedback look-back's label: the weight of each window it labels; `weak` (a kept agreement) gives way to a correction. */
export interface ByEnd {
  weight: number;
  weak?: boolean;
}

/** A label for a device's windows by time (model-train's label events, and feedback look-backs). */
export interface LabelSpan {
  deviceId: string;
  label: LabelValue;
  start: number;
  end: number;
  /**
   * Label the windows whose end lies in [start, end], each counting `weight` times in training. `weak`: a kept
   * agreement, which a correction (a span without `weak`) covering the same windows later relabels.
   */
  byEnd?: ByEnd;
}

export interface CollectorOptions {
  /** Most labelled examples kept (oldest dropped first). */
  maxSamples: number;
  /** Most unlabelled windows kept waiting for a label event, over all devices. */
  maxWaiting: number;
  /** Most label events remembered per device, for windows that arrive after their label. */
  maxLabelEvents?: number;
  /** Most bytes (estimateExampleBytes) of examples and waiting windows together; default COLLECTOR_BOUNDS.maxBytes. */
  maxBytes?: number;
}

export type AddResult = { ok: true; labelled: number } | { ok: false; code: 'features' | 'label' | 'too-large'; message: string };

/** What one example may hold: every example is kept in memory until training (up to maxSamples of them). */
export const COLLECTOR_BOUNDS = {
  maxFeatures: 10_000,
  /** Longest feature name, label text or deviceId. */
  maxNameLength: 1024,
  /** Most devices whose label events are remembered (the least recently added device is forgotten first). */
  maxLabelDevices: 10_000,
  /** Default memory bound of the kept windows (model-train's `maxMemory`, 128 MiB). */
  maxBytes: 128 * 1024 * 1024,
};

/**
 * Heap bytes a kept window costs, estimated: a features object costs 52–85 bytes per feature on Node 20 (measured:
 * 2.1 KB for 25 features, 281 KB for 5,376), plus its strings. Feature names are shared between windows.
 */
export function estimateExampleBytes(features: number, deviceId: string, label?: unknown): number {
  return 256 + 72 * features + 2 * (deviceId.length + (typeof label === 'string' ? label.length : 0));
}

export const isLabel = (x: unknown): x is LabelValue =>
  (typeof x === 'string' && x.trim() !== '' && x.length <= COLLECTOR_BOUNDS.maxNameLength && x !== '__proto__') ||
  typeof x === 'boolean' ||
  (typeof x === 'number' && Number.isFinite(x));

export class TrainingCollector {
  private readonly examples: StoredExample[] = [];
  private readonly waiting: WaitingWindow[] = [];
  /** Least recently labelled device first; the quietest goes beyond COLLECTOR_BOUNDS.maxLabelDevices. */
  private readonly labelEvents = new LruMap<string, LabelEvent[]>(COLLECTOR_BOUNDS.maxLabelDevices);
  /** Examples added since the last `markTrained()`. */
  private fresh = 0;
  private nextSeq = 1;
  private examplesBytes = 0;
  private waitingBytes = 0;
  /** Windows dropped or refused to stay within maxSamples, maxWaiting and maxBytes. */
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

  /** Estimated bytes of the kept examples and waiting windows (at most maxBytes). */
  get bytes(): number {
    return this.examplesBytes + this.waitingBytes;
  }

  private get maxBytes(): number {
    return this.options.maxBytes ?? COLLECTOR_BOUNDS.maxBytes;
  }

  markTrained(): void {
    this.fresh = 0;
  }

  /**
   * A feature window (`payload.features`, with `deviceId`, `start`, `end` when it came from feature-window) and
   * maybe its label. Without a label it waits for a label event of its device.
   */
  addWindow(payload: Record<string, unknown>, label: unknown): AddResult {
    const read = readWindowPayload(payload);
    if (!read.ok) return read;
    const { deviceId, start, end, features: numeric, featureCount } = read;
    const bytes = estimateExampleBytes(featureCount, deviceId, label);
    if (bytes > this.maxBytes) {
      this.dropped++;
      return { ok: false, code: 'too-large', message: `this window (${featureCount} features, about ${bytes} bytes) is larger than the ${this.maxBytes}-byte memory bound` };
    }
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
      this.push({ deviceId, start, end, features: numeric, label: known.label, ...weightOf(known) });
      return { ok: true, labelled: 1 };
    }
    this.waiting.push({ deviceId, start, end, features: numeric, bytes: estimateExampleBytes(featureCount, deviceId) });
    this.waitingBytes += this.waiting[this.waiting.length - 1].bytes;
    // Waiting windows make room among themselves only: unlabelled traffic never pushes labelled examples out.
    while (this.waiting.length > 0 && (this.waiting.length > this.options.maxWaiting || this.bytes > this.maxBytes)) this.dropWaiting();
    return { ok: true, labelled: 0 };
  }

  /** A window labelled elsewhere (a forecast labelled by what followed it), with its persistence reference. */
  addExample(example: Omit<CollectedExample, 'seq'>): void {
    this.push(example);
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
    return this.addLabelSpan({ deviceId, label: event.label, start, end });
  }

  /** A label for a device's windows by time, checked by the caller: labels its waiting windows, and later ones too. */
  addLabelSpan(span: LabelSpan): AddResult {
    const { deviceId } = span;
    const labelEvent: LabelEvent = { label: span.label, start: span.start, end: span.end, ...(span.byEnd ? { byEnd: span.byEnd } : {}) };
    // Made the most recent, so the quietest device goes first.
    const list = this.labelEvents.getOrCreate(deviceId, () => []);
    list.push(labelEvent);
    if (list.length > (this.options.maxLabelEvents ?? 100)) list.shift();
    let labelled = 0;
    // A correction overrules the agreement labels of the windows it covers (a kept command later corrected).
    if (span.byEnd && !span.byEnd.weak) {
      for (const example of this.examples) {
        if (example.weak && example.deviceId === deviceId && example.end !== undefined && covers(labelEvent, example.start ?? example.end, example.end)) {
          example.label = labelEvent.label;
          example.weight = span.byEnd.weight;
          delete example.weak;
          labelled++;
        }
      }
    }
    for (let i = 0; i < this.waiting.length; ) {
      const window = this.waiting[i];
      if (window.deviceId === deviceId && covers(labelEvent, window.start, window.end)) {
        this.waiting.splice(i, 1);
        this.waitingBytes -= window.bytes;
        this.push({ deviceId: window.deviceId, start: window.start, end: window.end, features: window.features, label: labelEvent.label, ...weightOf(labelEvent) });
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
    // Escaped against spreadsheet formulas: deviceIds, labels and feature names come from devices.
    return formatCsv([header, ...this.examples.map((e) => [e.deviceId, e.end, ...names.map((n) => e.features[n] as number), String(e.label)])], { formulaEscape: true });
  }

  /** Forgets every device's examples, waiting windows and label events, or those of `deviceId` only. */
  clear(deviceId?: string): void {
    if (deviceId === undefined) {
      this.examples.length = 0;
      this.waiting.length = 0;
      this.labelEvents.clear();
      this.fresh = 0;
      this.examplesBytes = 0;
      this.waitingBytes = 0;
      return;
    }
    const keptExamples = this.examples.filter((e) => e.deviceId !== deviceId);
    const keptWaiting = this.waiting.filter((w) => w.deviceId !== deviceId);
    this.examples.splice(0, this.examples.length, ...keptExamples);
    this.waiting.splice(0, this.waiting.length, ...keptWaiting);
    this.examplesBytes = keptExamples.reduce((sum, e) => sum + e.bytes, 0);
    this.waitingBytes = keptWaiting.reduce((sum, w) => sum + w.bytes, 0);
    this.labelEvents.delete(deviceId);
    this.fresh = Math.min(this.fresh, this.examples.length);
  }

  /** Adds a labelled example, dropping the oldest waiting windows, then the oldest examples, beyond the bounds. */
  private push(example: Omit<CollectedExample, 'seq'>): void {
    const bytes = estimateExampleBytes(Object.keys(example.features).length, example.deviceId, example.label);
    this.examples.push({ ...example, seq: this.nextSeq++, bytes });
    this.examplesBytes += bytes;
    this.fresh++;
    while (this.waiting.length > 0 && this.bytes > this.maxBytes) this.dropWaiting();
    while (this.examples.length > 1 && (this.examples.length > this.options.maxSamples || this.bytes > this.maxBytes)) {
      this.examplesBytes -= (this.examples.shift() as StoredExample).bytes;
      this.dropped++;
    }
  }

  private dropWaiting(): void {
    this.waitingBytes -= (this.waiting.shift() as WaitingWindow).bytes;
    this.dropped++;
  }

  /** The latest label event of the device that covers the window. */
  private labelFor(deviceId: string, start: number, end: number): LabelEvent | undefined {
    const list = this.labelEvents.peek(deviceId);
    if (!list) return undefined;
    // The newest correction or label event first; a kept agreement only where none covers the window.
    let weak: LabelEvent | undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      if (!covers(list[i], start, end)) continue;
      if (!list[i].byEnd?.weak) return list[i];
      weak ??= list[i];
    }
    return weak;
  }
}

/** A feature window read and checked (model-train's windows, labelled or held for a forecast label). */
export type ReadWindow = { ok: true; deviceId: string; start?: number; end?: number; features: Record<string, number>; featureCount: number } | { ok: false; code: 'features' | 'too-large'; message: string };

/** `payload.features` as numbers (missing values left out), with the window's deviceId, start and end. */
export function readWindowPayload(payload: Record<string, unknown>): ReadWindow {
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
    // null or NaN is a missing value: left out like a feature the window lacks, and learnt as missing (NaN),
    // as a prediction reads it (featureVector).
    if (isMissingFeature(value)) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return { ok: false, code: 'features', message: `feature "${name}" ${describeFeatureValue(value)}` };
    }
    numeric[name] = value;
  }
  if (Object.keys(numeric).length === 0) return { ok: false, code: 'features', message: 'payload.features is empty' };
  const deviceId = readDeviceId(payload.deviceId);
  const start = typeof payload.start === 'number' ? payload.start : undefined;
  const end = typeof payload.end === 'number' ? payload.end : start;
  return { ok: true, deviceId, start, end, features: numeric, featureCount: names.length };
}

/**
 * What `msg.reset` asks model-train to forget: `true` every device; a non-empty string or a finite number that
 * device only. Anything else (null, an object, NaN, '') is refused rather than read as every device.
 */
export function readReset(raw: unknown): { all: true } | { deviceId: string } | { error: string } {
  if (raw === true) return { all: true };
  const deviceId = readDeviceId(raw);
  if (deviceId !== '') return { deviceId };
  const shown = raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw === 'object' ? 'an object' : typeof raw === 'string' ? (raw === '' ? 'an empty string' : 'a string over 1,024 characters') : `${typeof raw} ${String(raw)}`;
  return { error: `msg.reset must be true (every device) or a deviceId (a string or number); got ${shown}` };
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
  if (event.byEnd) return end >= event.start && end <= event.end;
  if (event.start === event.end) return event.start >= start && event.start <= end;
  const middle = (start + end) / 2;
  return middle >= event.start && middle <= event.end;
}

/** The weight a label event gives the windows it labels (only feedback look-backs have one). */
function weightOf(event: LabelEvent): { weight?: number; weak?: true } {
  if (!event.byEnd) return {};
  return event.byEnd.weak ? { weight: event.byEnd.weight, weak: true } : { weight: event.byEnd.weight };
}

/** The key of the shared baseline in an AnomalyCollector (device scope uses deviceIds). */
export const SHARED_BASELINE = '';

export interface AnomalyCollectorOptions {
  /** `shared`: one baseline for every window; `device`: one per deviceId, each with its own warm-up. */
  scope: 'shared' | 'device';
  /** Windows a baseline collects before its first model is learnt. */
  warmup: number;
  /** `frozen`: learn once after the warm-up; `rolling`: learn again every `every` new windows. */
  update: 'frozen' | 'rolling';
  /** Rolling: new windows between two trainings of a baseline. */
  every: number;
  /** Newest windows kept per baseline (what a training learns from). */
  maxSamples: number;
  /** Device scope: most devices followed; the device heard from least recently is forgotten first. */
  maxDevices: number;
  /**
   * Rolling: a lasting change is adopted once it has lasted `adaptAfter` windows, most of them flagged, since the
   * first flagged one (a spike or burst ends sooner): those windows become the baseline's rows, older ones are
   * dropped, and it is learnt again at once; the next `warmup` windows are all kept (flagged too), and it is
   * learnt again then. 0 (or absent): never, flagged windows stay out for good (the behaviour before issue #25).
   * At most maxSamples (larger values act as maxSamples).
   */
  adaptAfter?: number;
}

/** One baseline's collected windows and where it stands. */
export interface AnomalyBaselineState {
  /** Newest last, at most maxSamples. */
  rows: Float64Array[];
  /** A model of this baseline is live (learnt here, or adopted from the model file after a restart). */
  trained: boolean;
  /** Its rows are being learnt from now. */
  training: boolean;
  /** Windows added since its last training started. */
  fresh: number;
  /** Windows the live model flagged, left out of the rows. */
  flagged: number;
  /** Its last training failed: wait for `warmup` (or `every`) more windows before the next try. */
  failed: boolean;
  /** Rolling with adaptAfter: the run of windows since a flagged one (newest last, at most adaptAfter). */
  recent: Float64Array[];
  /** How many of `recent` were flagged. */
  recentFlagged: number;
  /** Windows flagged (left out) since its last training started or it adopted a change. */
  flaggedSince: number;
  /** Lasting changes adopted so far. */
  adapted: number;
  /** A lasting change was adopted: learn again now, whatever `every` says. */
  adopting: boolean;
  /**
   * After adopting a change: the next `warmup` windows are all kept, flagged or not, then it learns again (a model
   * from few rows would otherwise cut its own tail and keep its first flag rate).
   */
  rewarming: boolean;
  /** Windows of that warm-up still to come. */
  rewarmLeft: number;
}

export type AnomalyAddResult =
  | { ok: true; key: string; flagged: boolean; adapted?: true }
  | { ok: false; code: 'features' | 'too-large'; message: string; path?: string };

/**
 * What model-train collects for an anomaly model: every feature window (no label), in bounded per-baseline
 * buffers of rows in `featureNames` order. The first window (or an adopted model) fixes the feature names; a
 * window whose names differ is refused. Windows the live model flags as anomalies are left out, so a fault does
 * not teach itself normal — unless, rolling with adaptAfter, they last: then they are the new normal.
 */
export class AnomalyCollector {
  private names: string[] | null = null;
  /** In order of the latest window: the first entry is the device heard from least recently. */
  private readonly baselines: LruMap<string, AnomalyBaselineState>;
  /** Devices forgotten to keep within maxDevices. */
  evicted = 0;

  constructor(readonly options: AnomalyCollectorOptions) {
    this.baselines = new LruMap(Math.max(1, options.maxDevices), () => this.evicted++);
  }

  get featureNames(): readonly string[] | null {
    return this.names;
  }

  get keys(): string[] {
    return [...this.baselines.keys()];
  }

  baseline(key: string): Readonly<AnomalyBaselineState> | undefined {
    return this.baselines.peek(key);
  }

  /** Windows held over every baseline. */
  get size(): number {
    let total = 0;
    for (const state of this.baselines.values()) total += state.rows.length;
    return total;
  }

  /**
   * Takes over a live model after a restart: its feature names, and its baselines as already learnt (a frozen
   * baseline is not learnt again by a redeploy).
   */
  adopt(featureNames: readonly string[], trainedKeys: readonly string[]): void {
    this.names = featureNames.slice();
    for (const key of trainedKeys.slice(-this.options.maxDevices)) {
      const state = this.state(key);
      state.trained = true;
    }
  }

  /**
   * A feature window. `isFlagged(row, key)` says whether the live model of that baseline calls it an anomaly
   * (it is asked only for a baseline that is trained).
   */
  addWindow(payload: Record<string, unknown>, isFlagged: (row: Float64Array, key: string) => boolean): AnomalyAddResult {
    const features = payload.features;
    if (features === null || typeof features !== 'object' || Array.isArray(features)) {
      return { ok: false, code: 'features', message: 'payload.features must be an object of name → number', path: '/features' };
    }
    const given = Object.keys(features);
    if (given.length > COLLECTOR_BOUNDS.maxFeatures) {
      return { ok: false, code: 'too-large', message: `payload.features has ${given.length} features, over the ${COLLECTOR_BOUNDS.maxFeatures}-feature limit` };
    }
    const source = features as Record<string, unknown>;
    let key = SHARED_BASELINE;
    if (this.options.scope === 'device') {
      key = readDeviceId(payload.deviceId);
      if (key === '') return { ok: false, code: 'features', message: `per-device learning needs payload.deviceId (at most ${COLLECTOR_BOUNDS.maxNameLength} characters)`, path: '/deviceId' };
    }
    const names = this.names ?? [...given].sort();
    if (names.length === 0) return { ok: false, code: 'features', message: 'payload.features is empty', path: '/features' };
    const badName = names.find((name) => name.length > COLLECTOR_BOUNDS.maxNameLength || name === '__proto__');
    if (badName !== undefined) return { ok: false, code: 'features', message: `a feature name is over ${COLLECTOR_BOUNDS.maxNameLength} characters or is "__proto__"` };
    // Isolation trees learn no direction for a gap: a baseline needs every feature, as its predictions do.
    const vector = featureVector(names, source);
    if (!vector.ok) {
      const { name, value } = vector.problem;
      const learns = value === undefined ? ` (the baseline learns ${describeNames(names)})` : '';
      return { ok: false, code: 'features', message: `feature "${name}" ${describeFeatureValue(value)}${learns}`, path: pointer('features', name) };
    }
    const row = vector.row;
    if (given.length !== names.length) {
      const extra = given.filter((name) => !names.includes(name));
      return { ok: false, code: 'features', message: `unexpected feature${extra.length > 1 ? 's' : ''} ${describeNames(extra)}: the baseline learns ${describeNames(names)} (msg.reset starts over)` };
    }
    if (this.names === null) this.names = names;
    const state = this.state(key);
    const flagged = state.trained && isFlagged(row, key);
    // Warming up again after adopting a change: every window counts (see rewarming).
    if (flagged && !state.rewarming) {
      state.flagged++;
      state.flaggedSince++;
    } else {
      state.rows.push(row);
      if (state.rows.length > this.options.maxSamples) state.rows.shift();
      state.fresh++;
    }
    if (state.rewarming) {
      if (--state.rewarmLeft <= 0) {
        state.rewarming = false;
        state.adopting = true;
      }
    } else if (state.trained && this.adaptAfter > 0 && this.remember(state, row, flagged)) return { ok: true, key, flagged, adapted: true };
    return { ok: true, key, flagged };
  }

  /** Rolling baselines adopt a lasting change after this many windows (0: never). */
  private get adaptAfter(): number {
    return this.options.update === 'rolling' ? Math.min(this.options.adaptAfter ?? 0, this.options.maxSamples) : 0;
  }

  /**
   * Follows a run of windows that starts at a flagged one: it ends (and is forgotten) as soon as no more than half
   * of its windows are flagged (a spike, a burst); when it reaches adaptAfter windows with most of them flagged,
   * the change is lasting and they become the baseline's rows, due at once. Returns whether it adopted.
   */
  private remember(state: AnomalyBaselineState, row: Float64Array, flagged: boolean): boolean {
    if (state.recent.length === 0 && !flagged) return false;
    state.recent.push(row);
    if (flagged) state.recentFlagged++;
    if (2 * state.recentFlagged <= state.recent.length) {
      state.recent = [];
      state.recentFlagged = 0;
      return false;
    }
    if (state.recent.length < this.adaptAfter) return false;
    state.rows = state.recent;
    state.fresh = state.rows.length;
    state.flaggedSince = 0;
    state.recent = [];
    state.recentFlagged = 0;
    state.adapted++;
    state.adopting = true;
    state.rewarming = true;
    state.rewarmLeft = this.options.warmup;
    return true;
  }

  /**
   * The kept windows as a CSV that `iot-ai train --task anomaly` reads: `deviceId` (empty for the shared
   * baseline) and one column per feature.
   */
  toCsv(): string {
    const names = this.names ?? [];
    const lines: Array<Array<string | number>> = [['deviceId', ...names]];
    for (const [key, state] of this.baselines) for (const row of state.rows) lines.push([key, ...row]);
    return formatCsv(lines, { formulaEscape: true });
  }

  /** Baselines to learn now: warm-up done and never learnt, or (rolling) `every` new windows since the last. */
  due(): string[] {
    const due: string[] = [];
    for (const [key, state] of this.baselines) {
      if (state.training) continue;
      const wait = state.trained ? this.options.every : this.options.warmup;
      const ready = state.trained
        ? state.adopting || (this.options.update === 'rolling' && state.fresh >= wait)
        : state.rows.length >= this.options.warmup && (!state.failed || state.fresh >= wait);
      if (ready) due.push(key);
    }
    return due;
  }

  /** Baselines with at least `minRows` windows, for msg.train. */
  trainable(minRows: number): string[] {
    return [...this.baselines].filter(([, state]) => !state.training && state.rows.length >= minRows).map(([key]) => key);
  }

  /**
   * Share of the windows since `key`'s last training that were left out as flagged: its rows miss that top
   * (for TrainAnomalyOptions.leftOutShare). Read it before startTraining.
   */
  leftOutShare(key: string): number {
    const state = this.baselines.peek(key);
    if (state === undefined || state.flaggedSince === 0) return 0;
    return state.flaggedSince / (state.flaggedSince + state.fresh);
  }

  /** Starts a training of `key`: a copy of its rows (newest last). */
  startTraining(key: string): Float64Array[] {
    const state = this.baselines.peek(key);
    if (state === undefined) return [];
    state.training = true;
    state.fresh = 0;
    state.flaggedSince = 0;
    state.adopting = false;
    return state.rows.slice();
  }

  /** A training of `key` ended (a baseline reset or evicted meanwhile stays as it is now). */
  finishTraining(key: string, ok: boolean): void {
    const state = this.baselines.peek(key);
    if (state === undefined || !state.training) return;
    state.training = false;
    if (ok) {
      state.trained = true;
      state.failed = false;
    } else state.failed = true;
  }

  /** Warm-up progress of `key`, or undefined once learnt. */
  warmupProgress(key: string): { collected: number; needed: number } | undefined {
    const state = this.baselines.peek(key);
    if (state !== undefined && state.trained) return undefined;
    return { collected: Math.min(state?.rows.length ?? 0, this.options.warmup), needed: this.options.warmup };
  }

  /**
   * Starts over: every baseline (and the feature names), or one device's. The live model stays in use until
   * the new warm-up ends; meanwhile no window is left out as flagged.
   */
  reset(key?: string): void {
    if (key === undefined) {
      this.baselines.clear();
      this.names = null;
    } else this.baselines.delete(key);
  }

  /** The baseline of `key`, created (evicting the quietest device beyond maxDevices) and marked most recent. */
  private state(key: string): AnomalyBaselineState {
    return this.baselines.getOrCreate(key, () => ({ rows: [], trained: false, training: false, fresh: 0, flagged: 0, failed: false, recent: [], recentFlagged: 0, flaggedSince: 0, adapted: 0, adopting: false, rewarming: false, rewarmLeft: 0 }));
  }
}

function describeNames(names: readonly string[]): string {
  const shown = names.slice(0, 5).map((name) => JSON.stringify(name)).join(', ');
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}
