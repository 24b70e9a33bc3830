/**
 * Corrections as labels (issue #29, docs/nodes/model-train.md "Learning from corrections"): model-train reads the
 * feedback events of actuator-command's output 3 and turns each accepted one into a label for the device's windows
 * in the look-back before it. Pure: time is the event's own `ts`.
 *
 *   const feedback = new FeedbackLabeller({ lookback, weight, cap, field }, task);
 *   const read = feedback.accept(event);         // a label span for the collector, or why not
 *   collector.addLabelSpan(read.span);            // when read.kind === 'label'
 *   const rows = weightedTrainingRows(examples, heldOut, maxRows);  // corrections repeated `weight` times
 *
 * Safety: at most `cap` corrections per device and UTC day are taken; the rest are counted and ignored, so one
 * person flipping a switch all day labels at most `cap` look-backs; and every retrain still goes through the
 * promotion gate (promotion.ts).
 */
import { isLabel, type LabelSpan, type LabelValue } from '../data/collector';
import { LruMap } from '../../util/lru-map';

export const FEEDBACK_SOURCES = ['state', 'override', 'wrong'] as const;
/**
 * actuator-command's `keptAfter` (opt-in): an automatic command nobody corrected yields an event of the same shape
 * with this source, `chosen` equal to `automatic`: weak agreement, not a correction (docs/nodes/model-train.md).
 */
export const KEPT_SOURCE = 'kept';

export interface FeedbackSettings {
  /** ms before an event whose windows (by their end) it labels. */
  lookback: number;
  /** How many times a window labelled by a correction counts in training (a whole number: the row is repeated). */
  weight: number;
  /** Most corrections taken per device and UTC day. */
  cap: number;
  /** Only events of this command field ('' : any; the first field of a correction). */
  field: string;
  /**
   * How much a window labelled by a kept agreement (source `kept`) counts in training, 0–100, fractions allowed
   * (weightedTrainingRows); 0: kept events are ignored. Kept agreements have their own `cap` per device and day.
   */
  keptWeight?: number;
}

export const FEEDBACK_DEFAULTS = { lookback: 10 * 60 * 1000, weight: 1, cap: 20, field: '', keptWeight: 0.5 } satisfies FeedbackSettings;

/** Devices whose daily counts are remembered; days kept per device. */
const MAX_FEEDBACK_DEVICES = 10_000;
const DAYS_KEPT = 8;
/** Corrections remembered to tell one correction's other fields (and redeliveries) from a new one. */
const RECENT_CORRECTIONS = 1000;
const DAY_MS = 24 * 3600 * 1000;

/** What one feedback event came to. */
export type FeedbackRead =
  | { kind: 'label'; span: LabelSpan }
  /** Not taken, and why: over the day's cap, another field of a correction already taken (or the same event again), another field than `field`, no choice to learn, a kept agreement with keptWeight 0. */
  | { kind: 'ignored'; reason: 'capped' | 'duplicate' | 'field' | 'no-choice' | 'kept-off'; deviceId: string; firstCapped?: boolean }
  | { kind: 'bad'; message: string };

export interface FeedbackCounts {
  /** Corrections taken as labels. */
  taken: number;
  /** Corrections over a device's daily cap. */
  capped: number;
  /** Events ignored otherwise (another field, a redelivery, no choice, kept events with keptWeight 0). */
  ignored: number;
  /** Kept agreements taken as (weak) labels. */
  kept: number;
}

/** Whether a model-train input record is a feedback event (actuator-command output 3) rather than a window or label event. */
export function isFeedbackEvent(record: Record<string, unknown>): boolean {
  return 'source' in record && 'field' in record && 'chosen' in record && !('features' in record);
}

export class FeedbackLabeller {
  readonly counts: FeedbackCounts = { taken: 0, capped: 0, ignored: 0, kept: 0 };
  /** Per device: corrections taken per UTC day number. */
  private readonly days = new LruMap<string, Map<number, number>>(MAX_FEEDBACK_DEVICES);
  /** Per device: kept agreements taken per UTC day number (their own cap: agreements never crowd out corrections). */
  private readonly keptDays = new LruMap<string, Map<number, number>>(MAX_FEEDBACK_DEVICES);
  private readonly recent = new LruMap<string, true>(RECENT_CORRECTIONS);

  constructor(
    readonly settings: FeedbackSettings,
    private readonly task: 'classification' | 'regression',
  ) {}

  accept(event: Record<string, unknown>): FeedbackRead {
    const deviceId = typeof event.deviceId === 'string' || (typeof event.deviceId === 'number' && Number.isFinite(event.deviceId)) ? String(event.deviceId) : '';
    if (deviceId === '' || deviceId.length > 1024) return { kind: 'bad', message: 'a feedback event needs a deviceId (at most 1,024 characters)' };
    const { ts, field, source } = event;
    if (typeof ts !== 'number' || !Number.isFinite(ts)) return { kind: 'bad', message: 'a feedback event needs ts (epoch ms)' };
    if (typeof field !== 'string' || field.length > 1024) return { kind: 'bad', message: 'a feedback event needs the field it corrects' };
    const kept = source === KEPT_SOURCE;
    if (!kept && !(FEEDBACK_SOURCES as readonly unknown[]).includes(source)) return { kind: 'bad', message: `a feedback event's source is one of ${FEEDBACK_SOURCES.join(', ')}, ${KEPT_SOURCE}` };
    const commandId = typeof event.commandId === 'string' ? event.commandId.slice(0, 1024) : '';
    if (this.settings.field !== '' && field !== this.settings.field) return this.ignore('field', deviceId);
    const keptWeight = this.settings.keptWeight ?? FEEDBACK_DEFAULTS.keptWeight;
    if (kept && keptWeight <= 0) return this.ignore('kept-off', deviceId);
    const label = this.labelOf(event);
    if (label === undefined) return this.ignore('no-choice', deviceId);
    // One correction is one label, however many fields it changed, and however often it is delivered.
    const correction = JSON.stringify([deviceId, commandId, ts, kept]);
    if (this.recent.has(correction)) return this.ignore('duplicate', deviceId);
    this.recent.set(correction, true);
    const day = Math.floor(ts / DAY_MS);
    const perDay = (kept ? this.keptDays : this.days).getOrCreate(deviceId, () => new Map());
    const taken = perDay.get(day) ?? 0;
    if (taken >= this.settings.cap) {
      if (kept) return this.ignore('capped', deviceId);
      this.counts.capped++;
      // The day's count goes one past the cap at its first refusal, so the node warns once per device and day.
      if (taken === this.settings.cap) perDay.set(day, taken + 1);
      return { kind: 'ignored', reason: 'capped', deviceId, firstCapped: taken === this.settings.cap };
    }
    perDay.set(day, taken + 1);
    // Only the last DAYS_KEPT days a device was corrected on are counted (older ones cannot come back honestly).
    if (perDay.size > DAYS_KEPT) perDay.delete(Math.min(...perDay.keys()));
    if (!kept) {
      this.counts.taken++;
      return { kind: 'label', span: { deviceId, label, start: ts - this.settings.lookback, end: ts, byEnd: { weight: this.settings.weight } } };
    }
    this.counts.kept++;
    // An agreement speaks for the windows since its command only (`since`, when the event names it).
    const since = typeof event.since === 'number' && Number.isFinite(event.since) && event.since <= ts ? event.since : -Infinity;
    return { kind: 'label', span: { deviceId, label, start: Math.max(ts - this.settings.lookback, since), end: ts, byEnd: { weight: keptWeight, weak: true } } };
  }

  /** Classification: the rule label the event names, else the chosen state; regression: the chosen value as a number. */
  private labelOf(event: Record<string, unknown>): LabelValue | undefined {
    const { chosen, label } = event;
    if (this.task === 'regression') {
      const value = typeof chosen === 'number' ? chosen : typeof chosen === 'string' && chosen.trim() !== '' ? Number(chosen) : NaN;
      return Number.isFinite(value) ? value : undefined;
    }
    if (isLabel(label)) return label;
    return isLabel(chosen) ? chosen : undefined;
  }

  private ignore(reason: 'duplicate' | 'field' | 'no-choice' | 'kept-off' | 'capped', deviceId: string): FeedbackRead {
    this.counts.ignored++;
    return { kind: 'ignored', reason, deviceId };
  }
}

/**
 * The rows a forest learns from, each window counting its `weight`: the trainer has no sample weights, so a window
 * labelled by a correction (weight N) is repeated N − 1 more times, right after itself (its bootstrap draws, and so
 * its pull on the trees, grow in proportion). A fractional weight (kept agreements, `keptWeight` 0.5) is spread
 * evenly: of the windows weighing 0.5, every second one is taken (error diffusion in order, so the same rows give the
 * same training). The `heldOut` newest rows stay last and single, so the promotion gate scores each window once.
 * Repeats stop at `maxRows` rows in all, the newest corrections repeated first.
 */
export function weightedTrainingRows<T extends { weight?: number }>(rows: readonly T[], heldOut: number, maxRows: number): T[] {
  const trainingEnd = Math.max(0, rows.length - heldOut);
  // How many times each training row counts: whole weights exactly; fractions by the running sum of each weight.
  const copies = new Array<number>(trainingEnd).fill(1);
  const carried = new Map<number, number>();
  for (let i = 0; i < trainingEnd; i++) {
    const weight = Math.max(0, rows[i].weight ?? 1);
    if (Number.isInteger(weight)) {
      copies[i] = weight;
      continue;
    }
    const before = carried.get(weight) ?? 0;
    copies[i] = Math.floor(before + weight) - Math.floor(before);
    carried.set(weight, before + weight);
  }
  let taken = rows.length - trainingEnd;
  for (let i = 0; i < trainingEnd; i++) taken += Math.min(1, copies[i]);
  let room = Math.max(0, maxRows - taken);
  const extra = new Array<number>(trainingEnd).fill(0);
  for (let i = trainingEnd - 1; i >= 0 && room > 0; i--) {
    extra[i] = Math.min(room, Math.max(0, copies[i] - 1));
    room -= extra[i];
  }
  const out: T[] = [];
  for (let i = 0; i < rows.length; i++) {
    if (i < trainingEnd && copies[i] === 0) continue;
    out.push(rows[i]);
    for (let k = 0; k < (extra[i] ?? 0); k++) out.push(rows[i]);
  }
  return out;
}
