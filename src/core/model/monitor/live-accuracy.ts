/**
 * Live accuracy where the truth is wired: model-predict compares each prediction with the label its message carries
 * (`msg.label` or `payload.label`, as model-train reads labels) over the latest LIVE_ACCURACY_WINDOW labelled
 * predictions: the share of right labels (classification, anomaly) or the mean absolute error (regression).
 * A new model (or version) starts over. The IoT AI sidebar shows it.
 *
 *   const live = new LiveAccuracy();
 *   live.add(model, prediction, msg.label);   // false when the label is not a truth for this model
 *   live.snapshot();                          // { samples, accuracy? , mae? }
 */
import type { LoadedModel, Prediction } from '../file/model-file';
import { ANOMALY_LABEL, anomalyTruth } from './anomaly';

/** What the figure needs of a model: our own, or an ONNX graph that onnxruntime-node runs. */
export type ScoredModel = Pick<LoadedModel, 'task' | 'name' | 'version'>;

/** Labelled predictions the figure is taken over (the latest ones). */
export const LIVE_ACCURACY_WINDOW = 500;

export interface LiveAccuracySnapshot {
  /** Labelled predictions in the figure (at most LIVE_ACCURACY_WINDOW). */
  samples: number;
  /** Classification and anomaly models: the share of predictions whose label was the truth. */
  accuracy?: number;
  /** Regression models: the mean absolute error. */
  mae?: number;
  model?: { name: string; version: string };
}

export class LiveAccuracy {
  private readonly outcomes: Float64Array;
  private next = 0;
  private size = 0;
  private model: ScoredModel | undefined;

  constructor(readonly windowSize = LIVE_ACCURACY_WINDOW) {
    this.outcomes = new Float64Array(windowSize);
  }

  /** Counts one prediction of `live` against `truth`; false (nothing counted) when `truth` is no label for it. */
  add(live: ScoredModel, prediction: Pick<Prediction, 'label' | 'value'>, truth: unknown): boolean {
    const outcome = this.outcome(live, prediction, truth);
    if (outcome === undefined) return false;
    if (live !== this.model) {
      this.model = live;
      this.next = this.size = 0;
    }
    if (this.size < this.windowSize) this.size++;
    this.outcomes[this.next] = outcome;
    this.next = (this.next + 1) % this.windowSize;
    return true;
  }

  snapshot(): LiveAccuracySnapshot {
    const live = this.model;
    if (live === undefined || this.size === 0) return { samples: 0 };
    let total = 0;
    for (let i = 0; i < this.size; i++) total += this.outcomes[i];
    const mean = total / this.size;
    return { samples: this.size, ...(live.task === 'regression' ? { mae: mean } : { accuracy: mean }), model: { name: live.name, version: live.version } };
  }

  /** 1 right / 0 wrong (labels), the absolute error (regression), or undefined when `truth` is no label. */
  private outcome(live: ScoredModel, prediction: Pick<Prediction, 'label' | 'value'>, truth: unknown): number | undefined {
    if (truth === undefined || truth === null || (typeof truth === 'string' && truth.trim() === '')) return undefined;
    if (typeof truth !== 'string' && typeof truth !== 'number' && typeof truth !== 'boolean') return undefined;
    if (live.task === 'regression') {
      const value = typeof truth === 'number' ? truth : typeof truth === 'string' ? Number(truth) : NaN;
      if (!Number.isFinite(value) || typeof prediction.value !== 'number') return undefined;
      return Math.abs(prediction.value - value);
    }
    if (live.task === 'anomaly') return anomalyTruth(truth) === (prediction.label === ANOMALY_LABEL ? 1 : 0) ? 1 : 0;
    if (prediction.label === undefined || typeof truth === 'boolean') return undefined;
    return String(prediction.label) === String(truth) ? 1 : 0;
  }
}
