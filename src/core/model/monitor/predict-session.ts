/**
 * model-predict's core: one prediction per feature vector from the loaded model, with the node's options on top —
 * each device's scores calibrated into a likelihood against its own history (anomaly models, `likelihood`), and
 * the live vectors watched for drift against the training sketch (`drift`), model-wide or per device.
 *
 * Keyed state is bounded: at most DEFAULT_DRIFT_MAX_DEVICES drift streams and MAX_LIKELIHOOD_STREAMS score
 * histories, the least recently seen forgotten first. A new model (or version) starts both over.
 */
import { AnomalyLikelihood, DEFAULT_LIKELIHOOD } from '../../anomaly/likelihood';
import { LruMap } from '../../util/lru-map';
import { readNumberOption, roundScore, toBoolean } from '../../util/numbers';
import type { ConfigResult } from '../../util/config';
import type { LoadedModel, PredictError, Prediction } from '../file/model-file';
import { ANOMALY_LABEL, anomalyConfidence, NORMAL_LABEL } from './anomaly';
import { DEFAULT_DRIFT_MAX_DEVICES, DriftMonitor, type DriftReport } from './drift';
import { LiveAccuracy, type LiveAccuracySnapshot, type ScoredModel } from './live-accuracy';

/** Devices whose score history the `likelihood` option keeps; the least recently seen is forgotten beyond it. */
export const MAX_LIKELIHOOD_STREAMS = 10_000;
/** Scores of a device before its likelihood judges: until then its label is the score's, as without the option. */
export const LIKELIHOOD_LEARN = 100;

/** model-predict's settings, read from its saved config by {@link parsePredictConfig}. */
export interface PredictConfig {
  /** Anomaly threshold; undefined: the model's own. */
  threshold?: number;
  missing: 'allow' | 'reject';
  drift: boolean;
  driftThreshold: number;
  driftWindow: number;
  /** One drift stream per device (`driftScope: device`) instead of one for the model. */
  perDevice: boolean;
  likelihood: boolean;
  likelihoodThreshold: number;
  /** How many contributions `prediction.explanation` lists (the largest first); 0: no explanation. */
  explain: number;
}

/** The most features `explain` may ask for (the editor's bound; a model with fewer gives all of its own). */
export const MAX_EXPLAIN = 1000;

/** `missing` and `driftScope` choices; the first is the default (and what a flow saved before them does). */
export const MISSING_MODES = ['reject', 'allow'] as const;
export const DRIFT_SCOPES = ['model', 'device'] as const;

/**
 * model-predict's numbers: default (undefined: blank, "not set") and bounds, read here and by the editor
 * (IotAiEditor.core.predict.numbers), so the two cannot disagree. `explain` is 0 (off) in flows saved before it.
 */
export const PREDICT_NUMBERS = {
  threshold: { default: undefined, bounds: { min: 0, max: 1 } },
  driftThreshold: { default: 0.2, bounds: { min: 0.001, max: 100 } },
  driftWindow: { default: 500, bounds: { min: 10, max: 100_000, integer: true } },
  likelihoodThreshold: { default: 0.9999, bounds: { min: 0.5, max: 1 } },
  explain: { default: 0, bounds: { min: 0, max: MAX_EXPLAIN, integer: true } },
} as const;

/**
 * The node's config as saved by the editor (numbers may be strings, blanks mean the default). The first bad
 * number is the error; a flow saved before an option existed gets the behaviour it had then.
 */
export function parsePredictConfig(raw: Record<string, unknown>): ConfigResult<PredictConfig> {
  const read = <K extends keyof typeof PREDICT_NUMBERS>(name: K) => readNumberOption(raw[name], name, PREDICT_NUMBERS[name].default as number, PREDICT_NUMBERS[name].bounds);
  const options = {
    threshold: readNumberOption(raw.threshold, 'threshold', undefined, PREDICT_NUMBERS.threshold.bounds),
    driftThreshold: read('driftThreshold'),
    driftWindow: read('driftWindow'),
    likelihoodThreshold: read('likelihoodThreshold'),
    explain: read('explain'),
  };
  for (const option of Object.values(options)) if ('error' in option) return { ok: false, error: option.error };
  const value = <T>(option: { value: T } | { error: string }): T => (option as { value: T }).value;
  const threshold = value(options.threshold);
  return {
    ok: true,
    config: {
      ...(threshold === undefined ? {} : { threshold }),
      // A flow saved before `missing` existed rejects, as it always did.
      missing: raw.missing === 'allow' ? 'allow' : 'reject',
      drift: toBoolean(raw.drift, true),
      driftThreshold: value(options.driftThreshold),
      driftWindow: value(options.driftWindow),
      perDevice: raw.driftScope === 'device',
      // Off in flows saved before the option existed.
      likelihood: toBoolean(raw.likelihood, false),
      likelihoodThreshold: value(options.likelihoodThreshold),
      explain: value(options.explain),
    },
  };
}

/**
 * What drift monitoring needs of a model: one of ours (LoadedModel), or an ONNX graph that onnxruntime-node runs with
 * the training sketch beside its file (import/graph-sketch.ts).
 */
export type DriftSubject = Pick<LoadedModel, 'name' | 'version' | 'featureNames' | 'sketch' | 'sketchFor'> & { readonly deviceIds: readonly string[] };

/** What a prediction carries beside its label while its stream has drifted from the training data. */
export interface DriftFlag {
  drifted: true;
  features: string[];
  maxPsi: number;
}

/** A stream's drift verdict just changed (drifted, drifted in other features, or recovered). */
export interface DriftChange {
  /** The device ('' for the model-wide stream). */
  key: string;
  report: DriftReport;
}

/** What {@link PredictSession.driftSnapshot} shows: drift per feature over every stream now. */
export interface DriftSnapshot {
  /** Drift is on and the live model has a training sketch to compare with. */
  enabled: boolean;
  perDevice: boolean;
  threshold: number;
  windowSize: number;
  /** The model the streams are compared with (absent before the first model arrived). */
  model?: { name: string; version: string };
  /** Streams (the model, or each device) with live samples, and those drifted now. */
  streams: number;
  drifted: number;
  /** The largest live sample of a stream. */
  samples: number;
  /** Some stream has enough samples to judge. */
  ready: boolean;
  /** In the model's feature order: the largest PSI over the streams, and in how many it drifted. */
  features: Array<{ name: string; psi: number; drifted: number }>;
}

export type PredictOutcome = { ok: true; prediction: Prediction & { drift?: DriftFlag } } | { ok: false; error: PredictError };

/**
 * One live stream of drift monitoring: the whole model, or one device with perDevice. `monitor` is the stream's
 * own (a model with per-device parts compares each device with its own training sketch; null: none).
 */
interface DriftStream {
  flag?: DriftFlag;
  /** Vectors added since the PSI was last worked out. */
  since: number;
  monitor?: DriftMonitor | null;
}

/** A payload's deviceId as a stream key: a string or number; anything else is no device. */
const deviceKey = (deviceId: unknown): string | undefined => (typeof deviceId === 'string' || typeof deviceId === 'number' ? String(deviceId) : undefined);

const copyFlag = (flag: DriftFlag): DriftFlag => ({ drifted: true, features: flag.features.slice(), maxPsi: flag.maxPsi });

export class PredictSession {
  /**
   * The PSI of a sample of hundreds moves slowly: it is worked out every `reportEvery` vectors of a stream (the
   * first time as soon as the sample is ready); in between the last verdict stands.
   */
  readonly reportEvery: number;
  /** Keyed by deviceId ('' for the model); least recently fed first. */
  private readonly streams = new LruMap<string, DriftStream>(DEFAULT_DRIFT_MAX_DEVICES);
  private monitoredModel: DriftSubject | undefined;
  /** The model-wide monitor (one stream, or one per device inside it); null without a sketch. */
  private shared: DriftMonitor | null = null;
  /** The monitored model has per-device parts and drift is compared per device. */
  private byDevicePart = false;
  /** Each device's score history for the `likelihood` option; a new model starts over. */
  private readonly likelihoods = new LruMap<string, AnomalyLikelihood>(MAX_LIKELIHOOD_STREAMS);
  private likelihoodModel: LoadedModel | undefined;

  /** Predictions against the truth wired in with them (live-accuracy.ts). */
  private readonly truth = new LiveAccuracy();

  /** The models (and their anomaly parts) whose explanation problem was already reported: once each. */
  private readonly explainReported = new WeakMap<LoadedModel, Set<string>>();

  /**
   * `onNoDrift`: a training sketch the drift monitor cannot use (drift is then off for that model or device).
   * `onNoExplanation`: `explain` is on but this model (or anomaly part) cannot be explained, or has fewer features
   * than asked for; said once per model and part.
   */
  constructor(
    readonly config: PredictConfig,
    private readonly onNoDrift: (error: Error) => void = () => {},
    private readonly onNoExplanation: (reason: string) => void = () => {},
  ) {
    this.reportEvery = Math.max(1, Math.floor(config.driftWindow / 50));
  }

  /** A new model brings a new training distribution: the live samples start again. */
  watch(live: DriftSubject): void {
    if (live === this.monitoredModel) return;
    this.monitoredModel = live;
    this.streams.clear();
    this.byDevicePart = this.config.perDevice && live.deviceIds.length > 0;
    this.shared = this.config.drift && !this.byDevicePart ? this.newMonitor(live.sketch, this.config.perDevice) : null;
  }

  /**
   * Predicts one feature vector of `deviceId` (a string or number; anything else is no device). A drift verdict
   * that changed goes into `changes`. `end`, the window's end (epoch ms), dates a forecast model's prediction (`at`).
   */
  predict(live: LoadedModel, features: unknown, deviceId: unknown, changes: DriftChange[], end?: unknown): PredictOutcome {
    const { missing, threshold } = this.config;
    const device = deviceKey(deviceId);
    const explain = this.config.explain;
    const windowEnd = typeof end === 'number' && Number.isFinite(end) ? end : undefined;
    const result = live.predict(features, {
      missing,
      ...(threshold === undefined ? {} : { threshold }),
      ...(device === undefined ? {} : { deviceId: device }),
      ...(windowEnd === undefined ? {} : { end: windowEnd }),
      ...(explain > 0 ? { explain } : {}),
    });
    if (!result.ok) return result;
    const prediction: Prediction & { drift?: DriftFlag } = result.prediction;
    if (explain > 0) this.reportExplanation(live, device, prediction);
    if (live.task === 'anomaly') {
      if (this.config.likelihood) this.calibrate(live, prediction, device);
      // Rounded for the message only: the label was decided on the exact score and likelihood (#18.14).
      if (prediction.score !== undefined) prediction.score = roundScore(prediction.score);
      if (prediction.likelihood !== undefined) prediction.likelihood = roundScore(prediction.likelihood);
      prediction.confidence = roundScore(prediction.confidence);
    }
    const flag = this.watchDrift(live, features, device, changes);
    if (flag !== undefined) prediction.drift = flag;
    return { ok: true, prediction };
  }

  /** Says once per model (and anomaly part) why its predictions carry no explanation, or fewer contributions than asked. */
  private reportExplanation(live: LoadedModel, device: string | undefined, prediction: Prediction): void {
    const part = device !== undefined && live.hasDevice(device) ? device : '';
    let reported = this.explainReported.get(live);
    if (reported === undefined) this.explainReported.set(live, (reported = new Set()));
    if (reported.has(part)) return;
    reported.add(part);
    if (prediction.explanation === undefined) {
      this.onNoExplanation(`${live.name} v${live.version}: ${live.explainUnavailable(device) ?? 'no explanation'}`);
    } else if (this.config.explain > live.featureNames.length) {
      this.onNoExplanation(`${live.name} v${live.version}: explain asks for ${this.config.explain} features, the model has ${live.featureNames.length}: all of them are given`);
    }
  }

  /** The streams that have drifted now, and their drifted features (each once, in order of first appearance). */
  drifted(): { streams: number; features: string[] } {
    const flags = [...this.streams.values()].flatMap((stream) => (stream.flag === undefined ? [] : [stream.flag]));
    return { streams: flags.length, features: [...new Set(flags.flatMap((flag) => flag.features))] };
  }

  /**
   * Counts a prediction of `live` against the truth its message carried (`msg.label`, `payload.label`); false when
   * `truth` is no label for this model (nothing counted).
   */
  scoreTruth(live: ScoredModel, prediction: Prediction, truth: unknown): boolean {
    return this.truth.add(live, prediction, truth);
  }

  /** Live accuracy (or mean absolute error) over the latest labelled predictions; samples 0 where no truth is wired. */
  liveAccuracy(): LiveAccuracySnapshot {
    return this.truth.snapshot();
  }

  /**
   * A read-only picture of drift now, for the editor's IoT AI sidebar: each feature's PSI (the largest over the
   * streams) and in how many streams it drifted. Reading it changes nothing (no stream is touched or reordered).
   */
  driftSnapshot(): DriftSnapshot {
    const live = this.monitoredModel;
    const base = { perDevice: this.config.perDevice, threshold: this.config.driftThreshold, windowSize: this.config.driftWindow };
    const reports: DriftReport[] = [];
    if (this.config.drift && live !== undefined) {
      if (this.byDevicePart) {
        for (const [key, stream] of this.streams) if (stream.monitor) reports.push(stream.monitor.report(key));
      } else if (this.shared !== null) {
        reports.push(...(this.config.perDevice ? this.shared.reportAll() : [this.shared.report('')]));
      }
    }
    const enabled = this.config.drift && live !== undefined && (this.byDevicePart || this.shared !== null);
    const features = new Map<string, { psi: number; drifted: number }>();
    for (const name of live?.featureNames ?? []) features.set(name, { psi: 0, drifted: 0 });
    for (const report of reports) {
      for (const [name, drift] of Object.entries(report.features)) {
        const seen = features.get(name) ?? { psi: 0, drifted: 0 };
        seen.psi = Math.max(seen.psi, drift.psi);
        if (drift.drifted) seen.drifted++;
        features.set(name, seen);
      }
    }
    return {
      ...base,
      enabled,
      ...(live !== undefined ? { model: { name: live.name, version: live.version } } : {}),
      streams: reports.filter((r) => r.samples > 0).length,
      drifted: reports.filter((r) => r.drifted).length,
      samples: reports.reduce((most, r) => Math.max(most, r.samples), 0),
      ready: reports.some((r) => r.ready),
      features: [...features].map(([name, f]) => ({ name, psi: f.psi, drifted: f.drifted })),
    };
  }

  /** What the drift output says about a change: the stream's report and the model it was measured against. */
  driftMessage(live: DriftSubject, change: DriftChange): { topic: string; payload: Record<string, unknown> } {
    const { key, report } = change;
    const perDevice = this.config.perDevice;
    return {
      topic: perDevice ? key : live.name,
      payload: {
        ...(perDevice ? { deviceId: key } : {}),
        drifted: report.drifted,
        driftedFeatures: report.driftedFeatures,
        maxPsi: report.maxPsi,
        threshold: report.threshold,
        samples: report.samples,
        features: report.features,
        model: { name: live.name, version: live.version },
      },
    };
  }

  private newMonitor(sketch: LoadedModel['sketch'], streamPerDevice: boolean): DriftMonitor | null {
    if (sketch === undefined) return null;
    const windowSize = this.config.driftWindow;
    try {
      return new DriftMonitor(sketch, {
        windowSize,
        minSamples: Math.min(windowSize, Math.max(10, Math.round(windowSize * 0.4))),
        threshold: this.config.driftThreshold,
        perDevice: streamPerDevice,
        maxDevices: DEFAULT_DRIFT_MAX_DEVICES,
      });
    } catch (err) {
      this.onNoDrift(err as Error);
      return null;
    }
  }

  /**
   * Feeds one good feature vector to the drift monitor. Returns the flag for the prediction while its stream has
   * drifted; a change of the stream's verdict goes into `changes`. (predict() calls it; an ONNX graph's predictions,
   * made by the runtime, are watched through it directly.)
   */
  watchDrift(live: DriftSubject, features: unknown, deviceId: unknown, changes: DriftChange[]): DriftFlag | undefined {
    if (!this.config.drift) return undefined;
    this.watch(live);
    const key = this.config.perDevice ? (deviceKey(deviceId) ?? '') : '';
    const stream = this.streams.getOrCreate(key, () => ({ since: this.reportEvery }));
    if (this.byDevicePart && stream.monitor === undefined) stream.monitor = this.newMonitor(live.sketchFor(key), false);
    const watcher = this.byDevicePart ? stream.monitor! : this.shared;
    if (watcher === null) return undefined;
    const added = watcher.add(features as Record<string, unknown>, key);
    if (!added.ok || added.samples < watcher.minSamples) return undefined;
    const before = stream.flag;
    if (stream.since < this.reportEvery) {
      stream.since++;
      return before === undefined ? undefined : copyFlag(before);
    }
    stream.since = 1;
    const report = watcher.report(key);
    if (!report.drifted) {
      stream.flag = undefined;
      if (before !== undefined) changes.push({ key, report });
      return undefined;
    }
    const flag: DriftFlag = { drifted: true, features: report.driftedFeatures, maxPsi: report.maxPsi };
    stream.flag = copyFlag(flag);
    if (before === undefined || before.features.join('\n') !== flag.features.join('\n')) changes.push({ key, report });
    return flag;
  }

  /**
   * The `likelihood` option: the score joins the device's history and the label follows the likelihood once the
   * device has LIKELIHOOD_LEARN scores (before that, the score's label stands and the likelihood is 0.5).
   */
  private calibrate(live: LoadedModel, prediction: Prediction, device: string | undefined): void {
    if (prediction.score === undefined) return;
    if (this.likelihoodModel !== live) {
      // Another model (or version) scores on another scale: its history starts over.
      this.likelihoods.clear();
      this.likelihoodModel = live;
    }
    const stream = this.likelihoods.getOrCreate(device ?? '', () => new AnomalyLikelihood(DEFAULT_LIKELIHOOD));
    const likelihood = stream.update(prediction.score);
    if (stream.count <= LIKELIHOOD_LEARN) {
      prediction.likelihood = 0.5;
      return;
    }
    prediction.likelihood = likelihood;
    const threshold = this.config.likelihoodThreshold;
    prediction.label = likelihood >= threshold ? ANOMALY_LABEL : NORMAL_LABEL;
    prediction.confidence = anomalyConfidence(likelihood, threshold);
  }
}
