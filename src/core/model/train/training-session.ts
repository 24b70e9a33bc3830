/**
 * model-train's state machine, without Node-RED: it collects windows (labelled, or unlabelled for anomaly
 * baselines), decides when to train, builds the worker's job, turns the worker's answer into a model file
 * (assembling per-device anomaly models), runs the promotion gate, publishes through the model's version keeper,
 * answers msg.rollback / pin / unpin / promote / export / reset, and says what the status shows.
 *
 *   const session = new TrainingSession(settings, { live, versions, startTraining, writeExport, host });
 *   await session.handle(msg);     // every input message; results arrive through `host`
 *   session.liveModelChanged();    // the ml-model config loaded (or reloaded) its file
 *   node.status(session.status()); await session.close();
 *
 * Promises:
 * - At most one training runs at a time: msg.train while one runs is answered `busy`; `every` and due anomaly
 *   baselines wait for it to end, then start.
 * - A labelled model learns from at least MIN_LABELLED windows, an anomaly baseline from at least ANOMALY_MIN_ROWS.
 * - A training that fails (worker error, refused write, rollback since it started) leaves the live model as it was.
 * - Time comes from `now`, files and workers only through the injected parts, so a test drives it all by hand.
 */
import type { DataError } from '../../types';
import { countsText } from '../../util/text';
import { AnomalyCollector, estimateExampleBytes, readReset, readWindowPayload, SHARED_BASELINE, TrainingCollector } from '../data/collector';
import { ForecastHolder, type ForecastExample } from '../data/forecast-holder';
import type { PublishOutcome } from '../file/archive';
import type { ModelVersionKeeper } from '../file/model-home';
import { loadModel, type LoadedModel, type ModelFile } from '../file/model-file';
import { nextVersion } from '../file/version';
import { isAnomalous } from '../monitor/anomaly';
import { checkLabelCounts, countLabels, decidePromotion, PromotionGate, type KeptCandidate, type PromotionOutcome } from './promotion';
import { ANOMALY_MIN_ROWS } from './train-anomaly';
import type { TrainSettings } from './train-config';
import { deviceModelFile, isOwnAnomalyModel, sameNames, type AnomalyJob, type TrainedPart, type TrainJob, type WorkerMessage } from './training-job';
import { TRAIN_TUNE_BUDGET_S } from './tune';
import { FeedbackLabeller, isFeedbackEvent, weightedTrainingRows } from './feedback';

/** The fewest labelled windows a classification or regression model is trained on. */
export const MIN_LABELLED = 10;

/** A message in (as Node-RED hands it) or out. */
export type TrainMessage = { payload?: unknown; [key: string]: unknown };

/** The ml-model config's live model. */
export interface LiveModel {
  model(): LoadedModel | undefined;
  /** The config has read its file (or failed to): the live model's name and version are known. */
  loaded(): boolean;
}

/** Versions of the model file (core/model/file/model-home.ts): every write goes through it. */
export type ModelVersions = Omit<ModelVersionKeeper, 'list'>;

/** A training worker started by `StartTraining`; it reports through the listener it was given. */
export interface TrainingRun {
  terminate(): Promise<unknown>;
}
export interface RunListener {
  message(message: WorkerMessage): void;
  error(err: Error): void;
  exit(code: number): void;
}
/** Starts a worker on `job`; it reports through `listener` only after this returns (as a worker thread does). */
export type StartTraining = (job: TrainJob, listener: RunListener) => TrainingRun;
/** Writes a CSV export into the export folder (core/model/file/exports.ts). */
export type WriteExport = (file: string, csv: string) => Promise<{ ok: true; file: string } | { ok: false; message: string }>;

/** Where the session's results go: the node's two outputs, its log and its status. */
export interface SessionHost {
  /** Output 1. */
  send(msg: TrainMessage): void;
  /** Output 2: `source`, refused for `error`. */
  refuse(source: TrainMessage, error: DataError): void;
  /** A fault for the log: a model that could not be written, or a training that failed. */
  fault(kind: 'write' | 'train', message: string, source: TrainMessage): void;
  warn(message: string): void;
  /** What `status()` shows has changed. */
  changed(): void;
}

export type StatusWord =
  | 'samples' | 'dropped' | 'waiting' | 'training' | 'candidate' | 'warmup' | 'windows' | 'flagged' | 'devicesReady' | 'devicesWarming'
  | 'held' | 'leftOut' | 'train' | 'live' | 'mae' | 'accuracy' | 'corrections' | 'capped' | 'kept';

/** Live forecasts: the live model's error is scored over this many of the newest labelled windows. */
export const LIVE_SCORE_WINDOWS = 100;

/** The live model's error on the newest windows labelled by their future (live forecasts), as output 1 reports it. */
export interface LiveScore {
  /** Regression: mean absolute error; classification: accuracy. */
  mae?: number;
  accuracy?: number;
  /** How many windows it is measured on (at most LIVE_SCORE_WINDOWS). */
  windows: number;
  /** The live model scored. */
  version: string;
}

export interface SessionParts {
  live: LiveModel;
  versions: ModelVersions;
  startTraining: StartTraining;
  writeExport: WriteExport;
  host: SessionHost;
  now?: () => Date;
  /** The word the status shows for `word` (the node's locale); default the word itself. */
  label?: (word: StatusWord) => string;
}

/** A trained model with what output 1 reports about it, kept by the gate until it goes live. */
type Candidate = { file: ModelFile; metrics: unknown; samples: number; promotion: PromotionOutcome };

const isSet = (value: unknown): boolean => value !== undefined && value !== false;
const objectPayload = (msg: TrainMessage): Record<string, unknown> | undefined =>
  msg.payload !== null && typeof msg.payload === 'object' && !Array.isArray(msg.payload) ? (msg.payload as Record<string, unknown>) : undefined;
/** `msg.train`, or a payload that is only `{ train: true }` (what an MQTT or HTTP client can send). */
const asksToTrain = (msg: TrainMessage, record: Record<string, unknown> | undefined): boolean => msg.train === true || (record?.train === true && !('features' in record));

export class TrainingSession {
  private readonly collector: TrainingCollector;
  /** Labelled tasks: which windows the live model learnt from, and the candidate kept for msg.promote. */
  private readonly gate = new PromotionGate<Candidate>();
  private readonly anomalies: AnomalyCollector;
  /** Feedback events (actuator-command output 3) as labels, within their cap (feedback.ts). */
  private readonly feedback: FeedbackLabeller;
  private readonly now: () => Date;
  private readonly label: (word: StatusWord) => string;
  /** Whether a model already live has been looked at for adoption (once, after the config has loaded). */
  private adopted = false;
  /** The baseline of the latest window, for the status. */
  private latestKey: string | undefined;
  /** The latest window, which a training started after another one ends reports with. */
  private latestSource: TrainMessage | undefined;
  private run: TrainingRun | undefined;
  private progress: { done: number; total: number } | undefined;
  private lastTrained: { version: string; score?: number } | undefined;
  private failures = 0;
  private closing = false;
  /** Live forecasts (a horizon is set): windows held until their device's stream reaches end + horizon. */
  private readonly forecast: ForecastHolder | undefined;
  /** Live forecasts: the live model's error (regression) or hit (1/0, classification) on the newest labelled windows. */
  private liveErrors: number[] = [];
  private liveScoredVersion: string | undefined;
  /** The training error of the model trained last (test MAE, or accuracy), for the status in forecast mode. */
  private trainError: number | undefined;

  constructor(
    readonly settings: TrainSettings,
    private readonly parts: SessionParts,
  ) {
    this.now = parts.now ?? (() => new Date());
    this.label = parts.label ?? ((word) => word);
    this.collector = new TrainingCollector({ maxSamples: settings.maxSamples, maxWaiting: 10000, maxBytes: settings.maxMemory * 1024 * 1024 });
    this.anomalies = new AnomalyCollector({
      scope: settings.scope,
      warmup: settings.warmup,
      update: settings.update,
      every: settings.every || settings.warmup,
      maxSamples: settings.maxSamples,
      maxDevices: settings.scope === 'device' ? settings.maxDevices : 1,
      adaptAfter: settings.adaptAfter,
    });
    const feedback = { lookback: settings.feedbackLookback, weight: settings.feedbackWeight, cap: settings.feedbackCap, field: settings.feedbackField, keptWeight: settings.keptWeight };
    this.feedback = new FeedbackLabeller(feedback, settings.task === 'regression' ? 'regression' : 'classification');
    if (settings.task !== 'anomaly' && settings.horizon !== undefined) {
      this.forecast = new ForecastHolder({ horizon: settings.horizon, target: settings.target, maxBytes: settings.maxMemory * 1024 * 1024 });
    }
  }

  private get anomalyMode(): boolean {
    return this.settings.task === 'anomaly';
  }

  /** Whether a training worker is running. */
  get training(): boolean {
    return this.run !== undefined;
  }

  /** Every input message; its results go to the host (the returned promise settles when they have). */
  async handle(msg: TrainMessage): Promise<void> {
    const { host } = this.parts;
    if (isSet(msg.rollback)) return this.rollback(msg);
    if (isSet(msg.pin) || isSet(msg.unpin)) return this.pin(msg);
    const record = objectPayload(msg);
    // `msg.promote`, or a payload that is only `{ promote: true }` (as for train).
    if (isSet(msg.promote) || (record?.promote === true && !('features' in record))) {
      if (msg.promote !== undefined && msg.promote !== true && msg.promote !== false) host.refuse(msg, { code: 'promote', message: 'msg.promote must be true' });
      else await this.promoteKept(msg);
      return host.changed();
    }
    if (isSet(msg.export)) return this.exportWindows(msg);
    if (record && isFeedbackEvent(record)) {
      this.addFeedback(msg, record);
      return host.changed();
    }
    if (this.anomalyMode) {
      this.handleAnomaly(msg, record);
      return host.changed();
    }
    if (isSet(msg.reset)) {
      const reset = readReset(msg.reset);
      if ('error' in reset) this.refuseReset(msg, reset.error);
      else {
        this.collector.clear('deviceId' in reset ? reset.deviceId : undefined);
        this.forecast?.clear('deviceId' in reset ? reset.deviceId : undefined);
      }
      return host.changed();
    }
    const trainNow = asksToTrain(msg, record);
    if (this.forecast !== undefined && record && !trainNow) {
      this.addForecastInput(msg, record, this.forecast);
    } else if (record && !trainNow) {
      const result = 'features' in record ? this.collector.addWindow(record, msg.label ?? record.label) : this.collector.addLabelEvent(record);
      if (!result.ok) host.refuse(msg, { code: result.code, message: result.message });
    } else if (!trainNow) {
      host.refuse(msg, { code: 'features', message: 'expected payload.features with a label, or a label event { deviceId, label, ts | start, end }' });
    }
    const every = this.settings.every;
    // While a training runs, `every` waits for it to end (only msg.train is answered `busy`).
    if (trainNow || (every > 0 && this.collector.sinceTraining >= every && !this.run)) this.train(msg, !trainNow);
    host.changed();
  }

  /**
   * A feedback event: within its device's daily cap, a label for the device's windows that end in the look-back
   * before it (those waiting, and those still to come); over the cap, counted and ignored (a warning once per device
   * and day). Anomaly models and live forecasts do not take them.
   */
  private addFeedback(msg: TrainMessage, record: Record<string, unknown>): void {
    const { host } = this.parts;
    if (this.anomalyMode || this.forecast !== undefined) {
      return host.refuse(msg, { code: 'feedback', message: `feedback events label windows for classification and regression without a horizon, not for ${this.anomalyMode ? 'anomaly models' : 'live forecasts'}` });
    }
    const read = this.feedback.accept(record);
    if (read.kind === 'bad') return host.refuse(msg, { code: 'feedback', message: read.message });
    if (read.kind === 'ignored') {
      if (read.firstCapped) host.warn(`${read.deviceId}: more than ${this.settings.feedbackCap} corrections today; further corrections of it are ignored until tomorrow (feedbackCap)`);
      return;
    }
    this.collector.addLabelSpan(read.span);
    const every = this.settings.every;
    if (every > 0 && this.collector.sinceTraining >= every && !this.run) this.train(msg, true);
  }

  /**
   * The live model changed (loaded, reloaded, or rolled back from the editor's sidebar): the status names the version
   * live now (with no training score: it did not measure that one). Anomaly mode: after a restart the node adopts it;
   * a finished warm-up trains.
   */
  liveModelChanged(): void {
    const live = this.parts.live.model();
    if (live !== undefined && this.lastTrained !== undefined && live.version !== this.lastTrained.version) {
      this.lastTrained = { version: live.version };
      this.parts.host.changed();
    }
    if (!this.anomalyMode) return;
    this.adoptLiveModel();
    this.startDueAnomalyTraining(this.latestSource);
  }

  /** Stops a running training; nothing it would have written is written. */
  close(): Promise<void> {
    this.closing = true;
    const running = this.run;
    this.run = undefined;
    return running ? running.terminate().then(() => undefined, () => undefined) : Promise.resolve();
  }

  status(): { fill: 'yellow' | 'blue' | 'green'; shape: 'ring' | 'dot'; text: string } {
    const { label, progress, lastTrained, forecast } = this;
    const counts = this.anomalyMode
      ? this.anomalyStatusText()
      : forecast !== undefined
        ? countsText([
            [this.collector.size, label('samples')],
            [forecast.held, label('held')],
            [forecast.leftOut, label('leftOut')],
            [this.collector.dropped + forecast.dropped, label('dropped')],
          ])
        : countsText([
          [this.collector.size, label('samples')],
          [this.collector.dropped, label('dropped')],
          [this.collector.waitingCount, label('waiting')],
          [this.feedback.counts.taken, label('corrections')],
          [this.feedback.counts.capped, label('capped')],
          [this.feedback.counts.kept, label('kept')],
        ]);
    return {
      fill: this.failures > 0 ? 'yellow' : this.run ? 'blue' : 'green',
      shape: this.run ? 'ring' : 'dot',
      text:
        counts +
        (progress ? ` · ${label('training')} ${progress.done}/${progress.total}` : '') +
        (lastTrained && forecast === undefined ? ` · v${lastTrained.version}${lastTrained.score !== undefined ? ` (${(lastTrained.score * 100).toFixed(1)}%)` : ''}` : '') +
        (lastTrained && forecast !== undefined ? ` · v${lastTrained.version}` : '') +
        (forecast !== undefined ? this.forecastErrorsText() : '') +
        (this.gate.kept ? ` · ${label('candidate')} v${this.gate.kept.model.file.version}` : ''),
    };
  }

  private anomalyStatusText(): string {
    const { anomalies, label, latestKey } = this;
    const warming = anomalies.warmupProgress(latestKey ?? SHARED_BASELINE);
    const warmupText = warming ? `${label('warmup')} ${warming.collected}/${warming.needed}` : '';
    if (this.settings.scope === 'shared') {
      if (warming) return warmupText;
      return countsText([
        [anomalies.size, label('windows')],
        [anomalies.baseline(SHARED_BASELINE)?.flagged ?? 0, label('flagged')],
      ]);
    }
    const keys = anomalies.keys;
    const ready = keys.filter((key) => anomalies.baseline(key)?.trained).length;
    return (
      countsText([
        [ready, label('devicesReady')],
        [keys.length - ready, label('devicesWarming')],
      ]) + (warming && latestKey !== undefined ? ` · ${latestKey}: ${warmupText}` : '')
    );
  }

  /**
   * Live forecasts: a feature window is held until its device's stream reaches end + horizon; a reading (of the
   * target, or of any sensor: it moves the device's stream on) or a point label event `{ deviceId, label, ts }` is a
   * target value. Windows labelled now are scored by the live model, then collected.
   */
  private addForecastInput(msg: TrainMessage, record: Record<string, unknown>, forecast: ForecastHolder): void {
    const { host } = this.parts;
    let labelled: ForecastExample[];
    if ('features' in record) {
      const read = readWindowPayload(record);
      if (!read.ok) return host.refuse(msg, { code: read.code, message: read.message });
      if (read.deviceId === '' || read.end === undefined || !Number.isFinite(read.end)) {
        return host.refuse(msg, { code: 'label', message: 'a forecast window needs a deviceId and an end (epoch ms), as feature-window gives' });
      }
      const bytes = estimateExampleBytes(read.featureCount, read.deviceId);
      const start = read.start !== undefined && Number.isFinite(read.start) ? read.start : undefined;
      labelled = forecast.addWindow({ deviceId: read.deviceId, ...(start !== undefined ? { start } : {}), end: read.end, features: read.features, bytes });
    } else {
      const deviceId = typeof record.deviceId === 'string' || (typeof record.deviceId === 'number' && Number.isFinite(record.deviceId)) ? String(record.deviceId) : '';
      const ts = record.ts;
      if (deviceId === '' || deviceId.length > 1024 || typeof ts !== 'number' || !Number.isFinite(ts)) {
        return host.refuse(msg, { code: 'label', message: 'expected a feature window, a reading { deviceId, sensor, value, ts } or a label event { deviceId, label, ts } (a forecast reads values at a time)' });
      }
      if (typeof record.sensor === 'string' && 'value' in record) {
        labelled = record.sensor === this.settings.target ? forecast.addValue(deviceId, ts, record.value) : forecast.addTime(deviceId, ts);
      } else if ('label' in record) {
        labelled = forecast.addValue(deviceId, ts, record.label);
      } else {
        return host.refuse(msg, { code: 'label', message: 'expected a reading { deviceId, sensor, value, ts } or a label event { deviceId, label, ts }' });
      }
    }
    for (const example of labelled) {
      this.scoreLive(example);
      const { bytes: _bytes, ...kept } = example;
      this.collector.addExample(kept);
    }
  }

  /** Live forecasts: the live model (a forecast of this task and horizon) predicts a window just labelled. */
  private scoreLive(example: ForecastExample): void {
    const live = this.parts.live.model();
    const task = this.settings.task;
    if (live === undefined || live.task !== task || live.file.horizon !== this.settings.horizon) return;
    const predicted = live.predict(example.features);
    if (!predicted.ok) return;
    // A new live model starts its own figure.
    if (this.liveScoredVersion !== live.version) {
      this.liveScoredVersion = live.version;
      this.liveErrors = [];
    }
    const { prediction } = predicted;
    const error = task === 'regression' ? Math.abs(Number(example.label) - (prediction.value ?? NaN)) : String(prediction.label) === String(example.label) ? 1 : 0;
    if (!Number.isFinite(error)) return;
    this.liveErrors.push(error);
    if (this.liveErrors.length > LIVE_SCORE_WINDOWS) this.liveErrors.shift();
  }

  /** The live model's error on the newest labelled windows, or undefined before any was scored. */
  liveScore(): LiveScore | undefined {
    const { liveErrors, liveScoredVersion } = this;
    if (liveErrors.length === 0 || liveScoredVersion === undefined) return undefined;
    const mean = liveErrors.reduce((sum, e) => sum + e, 0) / liveErrors.length;
    return { ...(this.settings.task === 'regression' ? { mae: mean } : { accuracy: mean }), windows: liveErrors.length, version: liveScoredVersion };
  }

  /** ` · MAE train 0.41 · live 0.52 (37)` (or accuracy, in %): the training error beside the live one. */
  private forecastErrorsText(): string {
    const { label } = this;
    const regression = this.settings.task === 'regression';
    const shown = (value: number) => (regression ? value.toPrecision(3) : `${(value * 100).toFixed(1)}%`);
    // Only the figure of the model live now (a retrain's output carries the one it replaced).
    const score = this.liveScore();
    const live = score !== undefined && score.version === this.parts.live.model()?.version ? score : undefined;
    const parts: string[] = [];
    if (this.trainError !== undefined) parts.push(`${label('train')} ${shown(this.trainError)}`);
    if (live !== undefined) parts.push(`${label('live')} ${shown(live.mae ?? live.accuracy ?? NaN)} (${live.windows})`);
    return parts.length === 0 ? '' : ` · ${label(regression ? 'mae' : 'accuracy')} ${parts.join(' · ')}`;
  }

  /** The model's name: the configured one, else the live model's. */
  private modelName(live: LoadedModel | undefined): string {
    return this.settings.modelName || (live?.name ?? 'model');
  }

  /** Labelled tasks: trains on the collected windows, holding the newest out for the promotion gate. */
  private train(source: TrainMessage, automatic: boolean): void {
    const { host } = this.parts;
    if (this.run) return host.refuse(source, { code: 'busy', message: 'training is already running' });
    const collected = this.collector.records();
    const records = collected.map(({ features, label }) => ({ features, label }));
    if (records.length < MIN_LABELLED) {
      return host.refuse(source, { code: 'too-few-samples', message: `${records.length} labelled examples; at least ${MIN_LABELLED} are needed` });
    }
    const task = this.settings.task === 'regression' ? 'regression' : 'classification';
    const learnable = task === 'classification' ? checkLabelCounts([...countLabels(records.map((r) => r.label)).values()]) : ({ ok: true } as const);
    if (!learnable.ok) {
      // Counted as a try, so `every` asks again after that many new windows rather than at each one.
      this.collector.markTrained();
      return host.refuse(source, { code: 'labels', message: learnable.message });
    }
    // The newest windows, unseen by the live model, are held out: the gate scores both models on them.
    const plan = this.gate.plan(collected, this.settings.testFraction);
    const heldOut = records.slice(records.length - plan.heldOut);
    // Windows labelled by corrections count feedbackWeight times, by kept agreements keptWeight (repeated or thinned; never in the held-out rows).
    const rows = this.forecast === undefined ? weightedTrainingRows(collected, plan.heldOut, this.settings.maxSamples) : collected;
    const live = this.parts.live.model();
    const now = this.now();
    const { maxDepth, trees, seed } = this.settings;
    const job: TrainJob = {
      kind: 'forest',
      task,
      records: rows === collected ? records : rows.map(({ features, label }) => ({ features, label })),
      options: {
        name: this.modelName(live),
        version: nextVersion(live?.version, now),
        createdAt: now.toISOString(),
        holdoutNewest: plan.heldOut,
        forest: { nTrees: trees, seed, ...(maxDepth > 0 ? { maxDepth } : {}) },
        ...(this.settings.learner === 'boosting' ? { model: 'boosting' as const, boosting: { ...(maxDepth > 0 ? { maxDepth } : {}) } } : {}),
        // Tuning validates on the newest of the training windows (never the held-out ones the gate scores on).
        ...(this.settings.tune ? { tune: { budgetSeconds: TRAIN_TUNE_BUDGET_S } } : {}),
        // Live forecasts: the file keeps the horizon; the metrics score the model against persistence.
        ...(this.settings.horizon !== undefined && this.forecast !== undefined
          ? { forecast: { horizon: this.settings.horizon, persistence: collected.map((example) => example.persistence) } }
          : {}),
      },
    };
    this.collector.markTrained();
    const ticket = this.parts.versions.ticket();
    this.runJob(job, source, (message) => {
      if (message.kind !== 'done') return Promise.resolve();
      const model = message.model as ModelFile;
      const candidate = loadModel(model);
      if (!candidate.ok) return Promise.reject(new Error(candidate.error));
      const promotion = decidePromotion({ mode: this.settings.promote, task, candidate: candidate.model, live: this.parts.live.model(), heldOut });
      const kept = { model: { file: model, metrics: message.metrics, samples: records.length, promotion }, trainedUpTo: plan.trainedUpTo };
      if (promotion.promoted) return this.goLive(kept, source, { automatic, ticket });
      this.gate.keep(kept);
      const live = this.liveScore();
      const payload = { model: { name: model.name, version: model.version }, metrics: message.metrics, samples: records.length, promotion, ...(live ? { live } : {}) };
      host.refuse({ ...source, payload }, { code: 'not-promoted', message: `${model.name} ${model.version} ${promotion.message}` });
      return Promise.resolve();
    });
  }

  /** Publishes a candidate the gate (or msg.promote) let through, and reports it on output 1. */
  private async goLive(candidate: KeptCandidate<Candidate>, source: TrainMessage, options: { automatic: boolean; ticket: number }): Promise<void> {
    const { metrics, samples, promotion } = candidate.model;
    // The archive gives the version; undefined when a rollback since the ticket refused it (said on output 2).
    const file = await this.publish(candidate.model.file, source, options);
    if (file === undefined) return;
    this.gate.published(candidate.trainedUpTo);
    // An older candidate still waiting is superseded by the one now live.
    if (this.gate.kept !== undefined && this.gate.kept.trainedUpTo <= candidate.trainedUpTo) this.gate.takeKept();
    const scores = metrics as { accuracy?: number; r2?: number; mae?: number; rows?: number };
    this.lastTrained = { version: file.version, score: scores.accuracy ?? scores.r2 };
    this.trainError = scores.rows === 0 ? undefined : (scores.mae ?? scores.accuracy);
    // Live forecasts: the error of the model live until now, on the newest windows labelled by their future.
    const live = this.liveScore();
    this.parts.host.send({ ...source, payload: { model: { name: file.name, version: file.version }, metrics, samples, promotion, ...(live ? { live } : {}) } });
  }

  /** msg.promote: the kept candidate goes live. */
  private async promoteKept(msg: TrainMessage): Promise<void> {
    const kept = this.gate.takeKept();
    if (kept === undefined) return this.parts.host.refuse(msg, { code: 'promote', message: 'no candidate is waiting for msg.promote' });
    const promotion: PromotionOutcome = { ...kept.model.promotion, promoted: true, reason: 'msg.promote', message: `promoted by msg.promote (${kept.model.promotion.message})` };
    try {
      // An operator's choice: written even after a rollback (a fresh ticket), and it ends any automatic run.
      await this.goLive({ ...kept, model: { ...kept.model, promotion } }, msg, { automatic: false, ticket: this.parts.versions.ticket() });
    } catch (err) {
      this.gate.keep(kept);
      throw err;
    }
  }

  /**
   * Makes `model` live through the version keeper (which archives the model it replaces and gives the version).
   * Undefined when a rollback since `ticket` refused it (said on output 2); a failed write throws.
   */
  private async publish(model: ModelFile, source: TrainMessage, options: { automatic: boolean; ticket: number }): Promise<ModelFile | undefined> {
    let outcome: PublishOutcome;
    try {
      outcome = await this.parts.versions.publish(model, options);
    } catch (err) {
      this.failures++;
      this.parts.host.fault('write', (err as Error).message, source);
      throw err;
    }
    if (outcome.ok) return outcome.model;
    this.parts.host.refuse(source, { code: outcome.code, message: outcome.message });
    return undefined;
  }

  /**
   * Runs `job` in a worker. `onResult` gets the worker's answer (never an error) and settles once the model is
   * written; either way the worker is then gone, and due anomaly baselines start their own training.
   */
  private runJob(job: TrainJob, source: TrainMessage, onResult: (message: WorkerMessage) => Promise<void>, onFailure: () => void = () => undefined): void {
    const { host } = this.parts;
    this.progress = { done: 0, total: job.kind === 'forest' ? (job.options.model === 'boosting' ? (job.options.boosting?.maxIter ?? 100) : this.settings.trees) : job.baselines.length };
    host.changed();
    let settled = false;
    let answered = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      if (this.run === running) this.run = undefined;
      this.progress = undefined;
      host.changed();
      if (!this.closing) this.startDueAnomalyTraining(this.latestSource ?? source);
    };
    const fail = (message: string) => {
      if (settled) return;
      this.failures++;
      onFailure();
      finish();
      host.fault('train', message, source);
    };
    const running: TrainingRun = this.parts.startTraining(job, {
      message: (message) => {
        if (message.kind === 'progress') {
          this.progress = { done: message.done, total: message.total };
          return host.changed();
        }
        answered = true;
        void running.terminate();
        if (message.kind === 'error') return fail(message.message);
        onResult(message).then(finish, () => {
          onFailure();
          finish();
        });
      },
      error: (err) => fail(err.message),
      exit: (code) => {
        if (!answered && !this.closing) fail(`the training worker stopped (exit code ${code})`);
      },
    });
    this.run = running;
  }

  /** Anomaly mode: learns the baselines `keys` (the shared one, or devices) from their collected windows. */
  private trainAnomalies(keys: string[], source: TrainMessage, automatic = true): void {
    const { anomalies, settings } = this;
    const featureNames = anomalies.featureNames;
    if (keys.length === 0 || featureNames === null) return;
    const live = this.parts.live.model();
    const now = this.now();
    const head = { name: this.modelName(live), version: nextVersion(live?.version, now), createdAt: now.toISOString() };
    const baselines = keys.map((key) => ({ key, leftOutShare: anomalies.leftOutShare(key), rows: anomalies.startTraining(key) }));
    const threshold = settings.threshold;
    const limit = threshold !== undefined ? { threshold } : { contamination: settings.contamination };
    const job: AnomalyJob = {
      kind: 'anomaly',
      featureNames: featureNames.slice(),
      baselines,
      options: { ...head, method: settings.method, ...limit, trees: settings.trees, seed: settings.seed },
    };
    const params = {
      trainedBy: 'model-train',
      scope: settings.scope,
      update: settings.update,
      warmup: settings.warmup,
      ...(settings.update === 'rolling' ? { adaptAfter: settings.adaptAfter } : {}),
      ...limit,
    };
    const endAll = (ok: boolean) => keys.forEach((key) => anomalies.finishTraining(key, ok));
    const ticket = this.parts.versions.ticket();
    const onResult = async (message: WorkerMessage): Promise<void> => {
      if (message.kind !== 'done-anomaly') return;
      const trained: TrainedPart[] = message.parts.map((part) => ({ key: part.key, model: part.model as ModelFile, metrics: part.metrics }));
      const candidate =
        settings.scope === 'shared'
          ? { ...trained[0].model, params: { ...trained[0].model.params, ...params } }
          : deviceModelFile(trained, anomalies.keys, this.parts.live.model(), featureNames, head, params);
      if (candidate === null) return endAll(false);
      const model = await this.publish(candidate, source, { automatic, ticket });
      if (model === undefined) return endAll(false);
      endAll(true);
      this.lastTrained = { version: model.version };
      for (const part of trained) {
        const samples = baselines.find((b) => b.key === part.key)?.rows.length ?? 0;
        const payload = { model: { name: model.name, version: model.version }, metrics: part.metrics, samples, ...(settings.scope === 'device' ? { deviceId: part.key } : {}) };
        this.parts.host.send({ ...source, payload });
      }
    };
    this.runJob(job, source, onResult, () => endAll(false));
  }

  /** Starts the anomaly baselines whose warm-up (or rolling interval) is over, unless a training is running. */
  private startDueAnomalyTraining(source: TrainMessage | undefined): void {
    if (!this.anomalyMode || this.run || source === undefined || !this.parts.live.loaded()) return;
    // A baseline adopted after a restart has no windows yet: a rolling `every` below the minimum waits for it.
    const enough = (key: string) => (this.anomalies.baseline(key)?.rows.length ?? 0) >= ANOMALY_MIN_ROWS;
    this.trainAnomalies(this.anomalies.due().filter(enough), source);
  }

  /** Whether the live model calls `row` an anomaly, by the baseline `key` (its own part only). */
  private readonly flaggedByLiveModel = (row: Float64Array, key: string): boolean => {
    const live = this.parts.live.model();
    if (!live || live.task !== 'anomaly' || !sameNames(live.featureNames, this.anomalies.featureNames)) return false;
    const deviceId = key === SHARED_BASELINE ? undefined : key;
    if (deviceId === undefined ? !live.hasSharedPart : !live.hasDevice(deviceId)) return false;
    return isAnomalous(live.anomalyScore(row, deviceId), this.settings.threshold ?? live.anomalyThreshold(deviceId));
  };

  /** After a restart: take over the baselines of a model this node wrote, once the config has loaded. */
  private adoptLiveModel(): void {
    if (this.adopted || !this.parts.live.loaded()) return;
    this.adopted = true;
    const live = this.parts.live.model();
    const scope = this.settings.scope;
    // Windows collected before the config loaded fix the feature names; a model of other features is not ours.
    if (!isOwnAnomalyModel(live, scope) || (this.anomalies.featureNames !== null && !sameNames(live.featureNames, this.anomalies.featureNames))) return;
    this.anomalies.adopt(live.featureNames, scope === 'shared' ? (live.hasSharedPart ? [SHARED_BASELINE] : []) : live.deviceIds);
  }

  /** Anomaly mode input: control messages and feature windows. */
  private handleAnomaly(msg: TrainMessage, record: Record<string, unknown> | undefined): void {
    const { host } = this.parts;
    if (isSet(msg.reset)) {
      const reset = readReset(msg.reset);
      // The shared baseline keeps no windows per device: only `true` starts it over.
      const refused = 'error' in reset ? reset.error : this.settings.scope === 'shared' && 'deviceId' in reset ? 'the shared baseline has no per-device windows: msg.reset = true starts it over' : undefined;
      if (refused !== undefined) return this.refuseReset(msg, refused);
      this.adopted = true;
      const key = 'deviceId' in reset ? reset.deviceId : undefined;
      this.anomalies.reset(key);
      this.latestKey = key;
      return;
    }
    if (asksToTrain(msg, record)) {
      if (this.run) return host.refuse(msg, { code: 'busy', message: 'training is already running' });
      const keys = this.anomalies.trainable(ANOMALY_MIN_ROWS);
      if (keys.length === 0) return host.refuse(msg, { code: 'too-few-samples', message: `no baseline has the ${ANOMALY_MIN_ROWS} windows an anomaly model needs` });
      return this.trainAnomalies(keys, msg, false);
    }
    if (!record || !('features' in record)) return host.refuse(msg, { code: 'features', message: 'expected payload.features (a feature window)' });
    this.adoptLiveModel();
    const result = this.anomalies.addWindow(record, this.flaggedByLiveModel);
    if (!result.ok) return host.refuse(msg, { code: result.code, message: result.message, ...(result.path !== undefined ? { path: result.path } : {}) });
    this.latestKey = this.settings.scope === 'device' ? result.key : undefined;
    this.latestSource = msg;
    this.startDueAnomalyTraining(msg);
  }

  /** msg.export: the collected windows as CSV, into the export folder only; a path it refuses is bad data. */
  private async exportWindows(msg: TrainMessage): Promise<void> {
    const anomaly = this.anomalyMode;
    const file = typeof msg.export === 'string' ? msg.export : this.settings.exportPath;
    const written = await this.parts.writeExport(file, anomaly ? this.anomalies.toCsv() : this.collector.toCsv());
    if (!written.ok) this.parts.host.refuse(msg, { code: 'path', message: written.message });
    else this.parts.host.send({ ...msg, payload: { exported: written.file, samples: anomaly ? this.anomalies.size : this.collector.size } });
  }

  /** `msg.rollback` (the version before the live one, or a named one; the replaced model is archived first). */
  private async rollback(msg: TrainMessage): Promise<void> {
    const outcome = await this.parts.versions.rollback(typeof msg.rollback === 'string' ? msg.rollback : undefined);
    if (!outcome.ok) return this.parts.host.refuse(msg, { code: outcome.code, message: outcome.message });
    this.lastTrained = { version: outcome.model.version };
    this.parts.host.changed();
    this.parts.host.send({ ...msg, payload: { rolledBack: { name: outcome.model.name, version: outcome.model.version }, ...(outcome.replaced !== undefined ? { replaced: outcome.replaced } : {}) } });
  }

  /** `msg.pin` (true: the live version) keeps a version whatever keepVersions says; `msg.unpin` lets it go. */
  private async pin(msg: TrainMessage): Promise<void> {
    const unpin = isSet(msg.unpin);
    const version = unpin ? msg.unpin : msg.pin;
    if (typeof version !== 'string' && !(version === true && !unpin)) {
      return this.parts.host.refuse(msg, { code: 'pin', message: unpin ? 'msg.unpin must name a version' : 'msg.pin must be true (the live version) or a version' });
    }
    const { versions } = this.parts;
    const outcome = unpin ? await versions.unpin(version as string) : await versions.pin(typeof version === 'string' ? version : undefined);
    if (!outcome.ok) return this.parts.host.refuse(msg, { code: outcome.code, message: outcome.message });
    this.parts.host.send({ ...msg, payload: { [unpin ? 'unpinned' : 'pinned']: outcome.version, pins: outcome.pins } });
  }

  /** A msg.reset that names neither every device (`true`) nor one: a warning, and output 2. */
  private refuseReset(msg: TrainMessage, message: string): void {
    this.parts.host.warn(message);
    this.parts.host.refuse(msg, { code: 'reset', message });
  }
}
