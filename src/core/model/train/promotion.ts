/**
 * When a retrain may go live, and which label sets can be learnt at all: the rules model-train and `iot-ai train`
 * share, in one place (docs/nodes/model-train.md, "Promotion gate", explains them).
 *
 * The gate scores the candidate and the live model on the same windows: the newest labelled ones, held out of
 * the candidate's training, that the live model has not learnt from either (as far as this process knows).
 */
import type { FeatureRecord } from '../data/dataset';
import type { LoadedModel } from '../file/model-file';

export const PROMOTE_MODES = ['better', 'always', 'manual'] as const;
/** `better`: live only when no worse than the live model; `always`: every retrain; `manual`: on msg.promote. */
export type PromoteMode = (typeof PROMOTE_MODES)[number];

export const LEARNING_RULES = {
  /** Most distinct labels a classifier is trained on (every prediction carries one vote share per label). */
  maxLabels: 100,
  /** Refused when more than this share of the distinct labels has a single example. */
  maxSeenOnceShare: 0.5,
};

export type GateMetric = 'accuracy' | 'rmse';

/**
 * How much worse a candidate may score and still go live: accuracy points (absolute), or a share of the live
 * model's RMSE (relative, since an error has the label's unit).
 */
export const PROMOTION_TOLERANCE: Record<GateMetric, number> = { accuracy: 0.02, rmse: 0.05 };

/** Whether `candidate` is no worse than `live` by `metric` (accuracy: higher is better; RMSE: lower). */
export function noWorse(metric: GateMetric, candidate: number, live: number, tolerance = PROMOTION_TOLERANCE[metric]): boolean {
  return metric === 'accuracy' ? candidate >= live - tolerance : candidate <= live * (1 + tolerance);
}

/** Examples per distinct label, keyed by the label as text (as training encodes it). */
export function countLabels(labels: Iterable<unknown>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const label of labels) {
    const key = String(label).trim();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Whether a classifier can learn from labels with these counts (one count per distinct label). */
export function checkLabelCounts(counts: readonly number[]): { ok: true } | { ok: false; message: string } {
  const distinct = counts.length;
  if (distinct < 2) return { ok: false, message: `the examples hold ${distinct === 0 ? 'no label' : 'only one label'}: a classifier needs at least two` };
  if (distinct > LEARNING_RULES.maxLabels) {
    return { ok: false, message: `the examples hold ${distinct} distinct labels; a classifier learns at most ${LEARNING_RULES.maxLabels} (free text or an id in the label column?)` };
  }
  const once = counts.filter((n) => n === 1).length;
  if (once > distinct * LEARNING_RULES.maxSeenOnceShare) {
    return { ok: false, message: `${once} of the ${distinct} labels are seen once: a label needs more than one example to be learnt (collect more, or label with fewer classes)` };
  }
  return { ok: true };
}

/**
 * How many of the newest windows to hold out: `testFraction` of them (at least one when the share is positive),
 * but only windows the live model has not learnt from (`unseen`), and never all of them.
 */
export function heldOutCount(total: number, testFraction: number, unseen: number): number {
  if (!(testFraction > 0) || total < 2) return 0;
  return Math.max(0, Math.min(Math.max(1, Math.round(total * testFraction)), unseen, total - 1));
}

/** A model's score on the held-out windows, or null when it cannot be scored on them (another task, other features). */
export function scoreOn(model: LoadedModel, windows: readonly FeatureRecord[], task: 'classification' | 'regression'): number | null {
  if (model.task !== task || windows.length === 0) return null;
  let good = 0;
  let squares = 0;
  for (const { features, label } of windows) {
    const result = model.predict(features);
    if (!result.ok) return null;
    const prediction = result.prediction;
    if (task === 'classification') {
      if (String(prediction.label) === String(label).trim()) good++;
    } else {
      const value = typeof label === 'number' ? label : Number(String(label).trim());
      squares += ((prediction.value as number) - value) ** 2;
    }
  }
  return task === 'classification' ? good / windows.length : Math.sqrt(squares / windows.length);
}

export type PromotionReason =
  /** Promoted: */
  | 'no-live-model'
  | 'live-not-comparable'
  | 'no-worse'
  | 'always'
  | 'msg.promote'
  /** Kept as a candidate: */
  | 'worse'
  | 'not-measured'
  | 'manual';

/** What the gate decided, as model-train reports it (`payload.promotion`). */
export interface PromotionOutcome {
  promoted: boolean;
  mode: PromoteMode;
  reason: PromotionReason;
  metric: GateMetric;
  /** Held-out windows both models were scored on. */
  heldOut: number;
  candidate: number | null;
  live: number | null;
  tolerance: number;
  message: string;
}

export interface PromotionInput {
  mode: PromoteMode;
  task: 'classification' | 'regression';
  candidate: LoadedModel;
  live: LoadedModel | undefined;
  /** The newest labelled windows, held out of the candidate's training and unseen by the live model. */
  heldOut: readonly FeatureRecord[];
}

/** Scores both models on the held-out windows and decides whether the candidate goes live. */
export function decidePromotion({ mode, task, candidate, live, heldOut }: PromotionInput): PromotionOutcome {
  const metric: GateMetric = task === 'classification' ? 'accuracy' : 'rmse';
  const tolerance = PROMOTION_TOLERANCE[metric];
  const candidateScore = scoreOn(candidate, heldOut, task);
  const liveScore = live === undefined ? null : scoreOn(live, heldOut, task);
  const f = (score: number | null) => (score === null ? 'not measured' : score.toFixed(3));
  const scores = `${metric} ${f(candidateScore)} on the ${heldOut.length} newest held-out windows, the live model ${f(liveScore)}`;
  const outcome = (promoted: boolean, reason: PromotionReason, message: string): PromotionOutcome => ({
    promoted,
    mode,
    reason,
    metric,
    heldOut: heldOut.length,
    candidate: candidateScore,
    live: liveScore,
    tolerance,
    message,
  });
  if (mode === 'always') return outcome(true, 'always', `promoted (promote: always): ${scores}`);
  if (mode === 'manual') return outcome(false, 'manual', `kept as a candidate until msg.promote (promote: manual): ${scores}`);
  if (live === undefined) return outcome(true, 'no-live-model', 'promoted: no model is live');
  // A live model of another task, or reading features these windows lack, cannot be the yardstick.
  const comparable = live.task === task && live.featureNames.every((name) => candidate.featureNames.includes(name)) && (heldOut.length === 0 || liveScore !== null);
  if (!comparable) {
    return outcome(true, 'live-not-comparable', `promoted: the live model (${live.task}, ${live.featureNames.length} features) cannot score these windows`);
  }
  if (candidateScore === null || liveScore === null) {
    return outcome(false, 'not-measured', 'kept as a candidate: no held-out window the live model has not learnt from (testFraction 0, or no new window since the last training); msg.promote publishes it');
  }
  if (noWorse(metric, candidateScore, liveScore, tolerance)) return outcome(true, 'no-worse', `promoted: ${scores}`);
  const margin = metric === 'accuracy' ? `${tolerance} below` : `${tolerance * 100}% above`;
  return outcome(false, 'worse', `kept as a candidate: ${scores}, more than ${margin} it; msg.promote publishes it`);
}

/** A candidate kept for msg.promote: its model file and the newest window it learnt from. */
export interface KeptCandidate<M> {
  model: M;
  trainedUpTo: number;
}

/**
 * model-train's gate state: the newest window (by collection sequence) the live model learnt from, and the one
 * candidate kept for msg.promote (a newer one replaces it).
 */
export class PromotionGate<M = unknown> {
  /** Sequence number of the newest window the live model learnt from; 0: none of the windows collected here. */
  private liveSeenUpTo = 0;
  private candidate: KeptCandidate<M> | undefined;

  get kept(): Readonly<KeptCandidate<M>> | undefined {
    return this.candidate;
  }

  /** Of `records` (oldest first, each with its sequence number): how many newest to hold out, and what the rest learn up to. */
  plan(records: ReadonlyArray<{ seq: number }>, testFraction: number): { heldOut: number; trainedUpTo: number } {
    let unseen = 0;
    for (let i = records.length - 1; i >= 0 && records[i].seq > this.liveSeenUpTo; i--) unseen++;
    const heldOut = heldOutCount(records.length, testFraction, unseen);
    const last = records.length - heldOut - 1;
    return { heldOut, trainedUpTo: last >= 0 ? records[last].seq : 0 };
  }

  /** A model that learnt up to `trainedUpTo` went live. */
  published(trainedUpTo: number): void {
    this.liveSeenUpTo = Math.max(this.liveSeenUpTo, trainedUpTo);
  }

  keep(candidate: KeptCandidate<M>): void {
    this.candidate = candidate;
  }

  takeKept(): KeptCandidate<M> | undefined {
    const candidate = this.candidate;
    this.candidate = undefined;
    return candidate;
  }
}
