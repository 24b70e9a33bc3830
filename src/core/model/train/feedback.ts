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

export interface FeedbackSettings {
  /** ms before an event whose windows (by their end) it labels. */
  lookback: number;
  /** How many times a window labelled by a correction counts in training (a whole number: the row is repeated). */
  weight: number;
  /** Most corrections taken per device and UTC day. */
  cap: number;
  /** Only events of this command field ('' : any; the first field of a correction). */
  field: string;
}

export const FEEDBACK_DEFAULTS: FeedbackSettings = { lookback: 10 * 60 * 1000, weight: 1, cap: 20, field: '' };

/** Devices whose daily counts are remembered; days kept per device. */
const MAX_FEEDBACK_DEVICES = 10_000;
const DAYS_KEPT = 8;
/** Corrections remembered to tell one correction's other fields (and redeliveries) from a new one. */
const RECENT_CORRECTIONS = 1000;
const DAY_MS = 24 * 3600 * 1000;

/** What one feedback event came to. */
export type FeedbackRead =
  | { kind: 'label'; span: LabelSpan }
  /** Not taken, and why: over the day's cap, another field of a correction already taken (or the same event again), another field than `field`, no choice to learn. */
  | { kind: 'ignored'; reason: 'capped' | 'duplicate' | 'field' | 'no-choice'; deviceId: string; firstCapped?: boolean }
  | { kind: 'bad'; message: string };

export interface FeedbackCounts {
  /** Corrections taken as labels. */
  taken: number;
  /** Corrections over a device's daily cap. */
  capped: number;
  /** Events ignored otherwise (another field, a redelivery, no choice). */
  ignored: number;
}

/** Whether a model-train input record is a feedback event (actuator-command output 3) rather than a window or label event. */
export function isFeedbackEvent(record: Record<string, unknown>): boolean {
  return 'source' in record && 'field' in record && 'chosen' in record && !('features' in record);
}

export class FeedbackLabeller {
  readonly counts: FeedbackCounts = { taken: 0, capped: 0, ignored: 0 };
  /** Per device: corrections taken per UTC day number. */
  private readonly days = new LruMap<string, Map<number, number>>(MAX_FEEDBACK_DEVICES);
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
    if (!(FEEDBACK_SOURCES as readonly unknown[]).includes(source)) return { kind: 'bad', message: `a feedback event's source is one of ${FEEDBACK_SOURCES.join(', ')}` };
    const commandId = typeof event.commandId === 'string' ? event.commandId.slice(0, 1024) : '';
    if (this.settings.field !== '' && field !== this.settings.field) return this.ignore('field', deviceId);
    const label = this.labelOf(event);
    if (label === undefined) return this.ignore('no-choice', deviceId);
    // One correction is one label, however many fields it changed, and however often it is delivered.
    const correction = JSON.stringify([deviceId, commandId, ts]);
    if (this.recent.has(correction)) return this.ignore('duplicate', deviceId);
    this.recent.set(correction, true);
    const day = Math.floor(ts / DAY_MS);
    const perDay = this.days.getOrCreate(deviceId, () => new Map());
    const taken = perDay.get(day) ?? 0;
    if (taken >= this.settings.cap) {
      this.counts.capped++;
      // The day's count goes one past the cap at its first refusal, so the node warns once per device and day.
      if (taken === this.settings.cap) perDay.set(day, taken + 1);
      return { kind: 'ignored', reason: 'capped', deviceId, firstCapped: taken === this.settings.cap };
    }
    perDay.set(day, taken + 1);
    // Only the last DAYS_KEPT days a device was corrected on are counted (older ones cannot come back honestly).
    if (perDay.size > DAYS_KEPT) perDay.delete(Math.min(...perDay.keys()));
    this.counts.taken++;
    return { kind: 'label', span: { deviceId, label, start: ts - this.settings.lookback, end: ts, byEnd: { weight: this.settings.weight } } };
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

  private ignore(reason: 'duplicate' | 'field' | 'no-choice', deviceId: string): FeedbackRead {
    this.counts.ignored++;
    return { kind: 'ignored', reason, deviceId };
  }
}

/**
 * The rows a forest learns from, with each correction's windows counting `weight` times: the trainer has no sample
 * weights, so a window labelled by a correction is repeated `weight − 1` more times, right after itself, in the
 * training rows (its bootstrap draws, and so its pull on the trees, grow in proportion). The `heldOut` newest rows
 * stay last and single, so the promotion gate scores each window once. Repeats stop at `maxRows` rows in all, the
 * newest corrections repeated first.
 */
export function weightedTrainingRows<T extends { weight?: number }>(rows: readonly T[], heldOut: number, maxRows: number): T[] {
  const trainingEnd = rows.length - heldOut;
  const extra = new Array<number>(trainingEnd).fill(0);
  let room = Math.max(0, maxRows - rows.length);
  for (let i = trainingEnd - 1; i >= 0 && room > 0; i--) {
    extra[i] = Math.min(room, Math.max(0, Math.round(rows[i].weight ?? 1) - 1));
    room -= extra[i];
  }
  const out: T[] = [];
  for (let i = 0; i < rows.length; i++) {
    out.push(rows[i]);
    for (let k = 0; k < (extra[i] ?? 0); k++) out.push(rows[i]);
  }
  return out;
}
