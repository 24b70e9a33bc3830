import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  ANOMALY_METHODS,
  ANOMALY_MIN_ROWS,
  AnomalyCollector,
  checkLabelCounts,
  countLabels,
  decidePromotion,
  isAnomalous,
  loadModel,
  MAX_DEVICE_PARTS,
  parseModelFile,
  PROMOTE_MODES,
  PromotionGate,
  readReset,
  SHARED_BASELINE,
  TrainingCollector,
  type AnomalyMethod,
  type DeviceAnomalyPart,
  type KeptCandidate,
  type LoadedModel,
  type ModelFile,
  type PromoteMode,
  type PromotionOutcome,
  type TreeForest,
} from '../../core/model';
import { readNumberOption } from '../../core/util/numbers';
import { MODEL_BOUNDS } from '../../core/model/file/bounds';
import type { MlModelNode } from '../ml-model/source';
import { nodeFault, rejectMessage } from '../shared/messages';
import type { DoneFn, Node, NodeDef, NodeMessage, RED, SendFn } from '../shared/red';
import { StatusReporter, countsText } from '../shared/status';
import { nextVersion } from '../../core/model/file/version';
import { carriedTrainingWindow } from '../../core/model/file/training-window';
import { ModelArchive } from '../../core/model/file/archive';
import { writeExport } from '../../core/model/file/exports';
import type { AnomalyJob, TrainJob, WorkerMessage } from './worker';
import { migrateConfig } from '../shared/migrations';

const TASKS = ['classification', 'regression', 'anomaly'] as const;
/** A trained model with what output 1 reports about it, kept by the gate until it goes live. */
type Candidate = { file: ModelFile; metrics: unknown; samples: number; promotion: PromotionOutcome };
type NodeTask = (typeof TASKS)[number];

/** A config property that must be one of `choices`; absent or blank gives the first. */
function readChoice<T extends string>(raw: unknown, name: string, choices: readonly T[]): { value: T } | { error: string } {
  if (raw === undefined || raw === null || raw === '') return { value: choices[0] };
  return (choices as readonly unknown[]).includes(raw) ? { value: raw as T } : { error: `${name} must be ${choices.join(', ')}; got ${JSON.stringify(raw)}` };
}

const sameNames = (a: readonly string[], b: readonly string[] | null): boolean => b !== null && a.length === b.length && a.every((name, i) => name === b[i]);

/** A model this node wrote in anomaly mode with the same scope (adopted after a restart, extended per device). */
function isOwnAnomalyModel(model: LoadedModel | undefined, scope: 'shared' | 'device'): model is LoadedModel {
  const params = model?.file.params;
  return model !== undefined && model.task === 'anomaly' && params?.trainedBy === 'model-train' && params.scope === scope;
}

/** The compiled worker beside this file, or (in tests run from source) the TypeScript one through tsx. */
function startWorker(job: TrainJob): Worker {
  const compiled = path.join(__dirname, 'worker.js');
  if (fs.existsSync(compiled)) return new Worker(compiled, { workerData: job });
  return new Worker(path.join(__dirname, 'worker.ts'), { workerData: job, execArgv: ['--require', require.resolve('tsx/cjs')] });
}

/** Products of settings whose model ml-model could not load (#27.6), or undefined. */
function modelSizeProblem(anomaly: boolean, trees: number, maxSamples: number, devices: number): string | undefined {
  if (!anomaly && trees * maxSamples > MODEL_BOUNDS.maxTreesTimesSamples) {
    return `trees × maxSamples is ${trees * maxSamples}, above ${MODEL_BOUNDS.maxTreesTimesSamples}: too large a forest to grow (fewer trees or fewer samples)`;
  }
  if (anomaly && devices > 1 && trees * devices > MODEL_BOUNDS.maxTreesTimesDevices) {
    return `trees × maxDevices is ${trees * devices}, above ${MODEL_BOUNDS.maxTreesTimesDevices}: per-device isolation forests could exceed the ${MODEL_BOUNDS.maxModelNodes} tree nodes a model may hold (fewer trees or fewer devices)`;
  }
  return undefined;
}

export = function register(RED: RED): void {
  function ModelTrainNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    // A flow saved before a property existed: it takes the value it had then (shared/migrations.ts).
    def = migrateConfig(def);
    const node = this;
    const userDir = RED.settings.userDir ?? process.cwd();
    const config = RED.nodes.getNode(String(def.model ?? '')) as MlModelNode | null;
    const numbers = {
      every: readNumberOption(def.every, 'every', 0, { min: 0, integer: true }),
      maxSamples: readNumberOption(def.maxSamples, 'maxSamples', 10000, { min: 10, max: MODEL_BOUNDS.maxSamples, integer: true }),
      trees: readNumberOption(def.trees, 'trees', 50, { min: 1, max: 1000, integer: true }),
      maxDepth: readNumberOption(def.maxDepth, 'maxDepth', 0, { min: 0, max: MODEL_BOUNDS.maxDepth, integer: true }),
      seed: readNumberOption(def.seed, 'seed', 1, { integer: true }),
      testFraction: readNumberOption(def.testFraction, 'testFraction', 0.2, { min: 0, max: 0.9 }),
      keepVersions: readNumberOption(def.keepVersions, 'keepVersions', 5, { min: 0, max: 100, integer: true }),
      maxMemory: readNumberOption(def.maxMemory, 'maxMemory', 128, { min: 1, max: 65536, integer: true }),
    };
    const anomalyNumbers = {
      warmup: readNumberOption(def.warmup, 'warmup', 100, { min: ANOMALY_MIN_ROWS, integer: true }),
      maxDevices: readNumberOption(def.maxDevices, 'maxDevices', 100, { min: 1, max: MAX_DEVICE_PARTS, integer: true }),
      contamination: readNumberOption(def.contamination, 'contamination', 0.01, { min: 0, max: 0.49 }),
      threshold: readNumberOption(def.threshold, 'threshold', undefined, { min: 0, max: 1 }),
      // Absent in flows saved before #25: 100 (a lasting change is adopted; 0 is the old way, flagged for good).
      adaptAfter: readNumberOption(def.adaptAfter, 'adaptAfter', 100, { min: 0, integer: true }),
    };
    const choices = {
      task: readChoice<NodeTask>(def.task, 'task', TASKS),
      update: readChoice(def.update, 'update', ['frozen', 'rolling'] as const),
      scope: readChoice(def.scope, 'scope', ['shared', 'device'] as const),
      method: readChoice<AnomalyMethod | 'auto'>(def.method, 'method', ['auto', ...ANOMALY_METHODS]),
      // Absent in flows saved before the gate: `better` (a worse retrain no longer goes live; `always` is the old way).
      promote: readChoice<PromoteMode>(def.promote, 'promote', PROMOTE_MODES),
    };
    const task = 'value' in choices.task ? choices.task.value : 'classification';
    const isAnomalyTask = task === 'anomaly';
    const problems = [...Object.values(numbers), ...Object.values(choices), ...(isAnomalyTask ? Object.values(anomalyNumbers) : [])];
    let configError = !config || typeof config.replace !== 'function' ? RED._('model-train.errors.noConfig') : problems.find((n): n is { error: string } => 'error' in n)?.error;
    const option = (key: keyof typeof numbers) => (numbers[key] as { value: number }).value;
    const anomalyOption = (key: Exclude<keyof typeof anomalyNumbers, 'threshold'>) => (anomalyNumbers[key] as { value: number }).value;
    const choice = <K extends keyof typeof choices>(key: K) => (choices[key] as { value: string }).value;
    if (!configError && isAnomalyTask && option('maxSamples') < anomalyOption('warmup')) {
      configError = `maxSamples (${option('maxSamples')}) must be at least warmup (${anomalyOption('warmup')})`;
    }
    if (!configError && isAnomalyTask && anomalyOption('adaptAfter') > 0 && anomalyOption('adaptAfter') < ANOMALY_MIN_ROWS) {
      configError = `adaptAfter must be 0 (never) or at least ${ANOMALY_MIN_ROWS} windows, got ${anomalyOption('adaptAfter')}`;
    }
    if (!configError) configError = modelSizeProblem(isAnomalyTask, option('trees'), option('maxSamples'), choice('scope') === 'device' && choice('method') !== 'robust-z' ? anomalyOption('maxDevices') : 1);
    // A bundled model (or anything in the palette's folder) is never written: refused at deploy, not at the first write.
    const readOnly = configError ? undefined : config!.readOnly();
    if (readOnly !== undefined) configError = `${readOnly}: ${RED._('model-train.errors.readOnly')}`;
    // No file (the ml-model config is wrong): nothing to write, and no lock or archive relative to the working directory.
    if (!configError && config!.filePath() === '') configError = config!.state().error ?? RED._('model-train.errors.noConfig');
    const scope = choice('scope') as 'shared' | 'device';
    /** A fixed threshold from the config, or undefined (the threshold then comes from the contamination). */
    const fixedThreshold = () => ('value' in anomalyNumbers.threshold ? anomalyNumbers.threshold.value : undefined);
    const exportPath = typeof def.exportPath === 'string' && def.exportPath.trim() !== '' ? def.exportPath.trim() : 'training-data.csv';

    const collector = new TrainingCollector({ maxSamples: configError ? 10 : option('maxSamples'), maxWaiting: 10000, maxBytes: (configError ? 1 : option('maxMemory')) * 1024 * 1024 });
    /** Labelled tasks: which windows the live model learnt from, and the candidate kept for msg.promote. */
    const gate = new PromotionGate<Candidate>();
    const anomalies = new AnomalyCollector({
      scope,
      warmup: configError ? 100 : anomalyOption('warmup'),
      update: choice('update') as 'frozen' | 'rolling',
      every: configError ? 100 : option('every') || anomalyOption('warmup'),
      maxSamples: configError ? 10 : option('maxSamples'),
      maxDevices: scope === 'device' && !configError ? anomalyOption('maxDevices') : 1,
      adaptAfter: configError ? 0 : anomalyOption('adaptAfter'),
    });
    /** Whether a model already live has been looked at for adoption (once, after the config has loaded). */
    let adopted = false;
    /** The baseline of the latest window, for the status. */
    let latestKey: string | undefined;
    /** The latest window, which a training started after another one ends reports with. */
    let latestSource: NodeMessage | undefined;
    let worker: Worker | undefined;
    let progress: { done: number; total: number } | undefined;
    let lastTrained: { version: string; score?: number } | undefined;
    let failures = 0;
    let closing = false;

    const status = new StatusReporter(node, () => ({
      fill: failures > 0 ? 'yellow' : worker ? 'blue' : 'green',
      shape: worker ? 'ring' : 'dot',
      text:
        (isAnomalyTask ? anomalyStatusText() : countsText([
          [collector.size, RED._('model-train.status.samples')],
          [collector.dropped, RED._('model-train.status.dropped')],
          [collector.waitingCount, RED._('model-train.status.waiting')],
        ])) +
        (progress ? ` · ${RED._('model-train.status.training')} ${progress.done}/${progress.total}` : '') +
        (lastTrained ? ` · v${lastTrained.version}${lastTrained.score !== undefined ? ` (${(lastTrained.score * 100).toFixed(1)}%)` : ''}` : '') +
        (gate.kept ? ` · ${RED._('model-train.status.candidate')} v${gate.kept.model.file.version}` : ''),
    }));

    function anomalyStatusText(): string {
      const warming = latestKey === undefined ? anomalies.warmupProgress(SHARED_BASELINE) : anomalies.warmupProgress(latestKey);
      const warmupText = warming ? `${RED._('model-train.status.warmup')} ${warming.collected}/${warming.needed}` : '';
      if (scope === 'shared') {
        const state = anomalies.baseline(SHARED_BASELINE);
        if (warming) return warmupText;
        return countsText([
          [anomalies.size, RED._('model-train.status.windows')],
          [state?.flagged ?? 0, RED._('model-train.status.flagged')],
        ]);
      }
      const keys = anomalies.keys;
      const ready = keys.filter((key) => anomalies.baseline(key)?.trained).length;
      return (
        countsText([
          [ready, RED._('model-train.status.devicesReady')],
          [keys.length - ready, RED._('model-train.status.devicesWarming')],
        ]) + (warming && latestKey !== undefined ? ` · ${latestKey}: ${warmupText}` : '')
      );
    }

    if (configError) {
      node.error(`${RED._('model-train.errors.config')}: ${configError}`);
      status.showFault(configError);
    } else status.update();

    /** Versions, rollback and pins of the model file (core/model/file/archive.ts); every write goes through it. */
    const archive = configError
      ? undefined
      : new ModelArchive({
          modelFile: config!.filePath(),
          keepVersions: option('keepVersions'),
          liveInMemory: () => config!.state().model?.file,
          writeLive: (model) => config!.replace(model),
        });

    const train = (send: SendFn, source: NodeMessage, automatic = false): void => {
      if (worker) {
        send([null, rejectMessage(source, { code: 'busy', message: 'training is already running' })]);
        return;
      }
      const collected = collector.records();
      const records = collected.map(({ features, label }) => ({ features, label }));
      if (records.length < 10) {
        send([null, rejectMessage(source, { code: 'too-few-samples', message: `${records.length} labelled examples; at least 10 are needed` })]);
        return;
      }
      const learnable = task === 'classification' ? checkLabelCounts([...countLabels(records.map((r) => r.label)).values()]) : ({ ok: true } as const);
      if (!learnable.ok) {
        // Counted as a try, so `every` asks again after that many new windows rather than at each one.
        collector.markTrained();
        send([null, rejectMessage(source, { code: 'labels', message: learnable.message })]);
        return;
      }
      // The newest windows, unseen by the live model, are held out: the gate scores both models on them.
      const plan = gate.plan(collected, option('testFraction'));
      const heldOut = records.slice(records.length - plan.heldOut);
      const live = config!.state().model;
      const now = new Date();
      const maxDepth = option('maxDepth');
      const job: TrainJob = {
        kind: 'forest',
        task: task === 'regression' ? 'regression' : 'classification',
        records,
        options: {
          name: typeof def.modelName === 'string' && def.modelName.trim() ? def.modelName.trim() : (live?.name ?? 'model'),
          version: nextVersion(live?.version, now),
          createdAt: now.toISOString(),
          holdoutNewest: plan.heldOut,
          forest: { nTrees: option('trees'), seed: option('seed'), ...(maxDepth > 0 ? { maxDepth } : {}) },
        },
      };
      collector.markTrained();
      const ticket = archive!.ticket();
      runJob(job, source, (message) => {
        if (message.kind !== 'done') return Promise.resolve();
        const model = message.model as ModelFile;
        const candidate = loadModel(model);
        if (!candidate.ok) return Promise.reject(new Error(candidate.error));
        const promotion = decidePromotion({ mode: choice('promote') as PromoteMode, task: job.task, candidate: candidate.model, live: config!.state().model, heldOut });
        const kept = { model: { file: model, metrics: message.metrics, samples: records.length, promotion }, trainedUpTo: plan.trainedUpTo };
        if (promotion.promoted) return goLive(kept, source, { automatic, ticket });
        gate.keep(kept);
        const payload = { model: { name: model.name, version: model.version }, metrics: message.metrics, samples: records.length, promotion };
        node.send([null, rejectMessage({ ...source, payload }, { code: 'not-promoted', message: `${model.name} ${model.version} ${promotion.message}` })]);
        return Promise.resolve();
      });
    };

    /** Publishes a candidate the gate (or msg.promote) let through, and reports it on output 1. */
    const goLive = async (candidate: KeptCandidate<Candidate>, source: NodeMessage, options: { automatic: boolean; ticket: number }): Promise<void> => {
      const { metrics, samples, promotion } = candidate.model;
      // The archive gives the version; undefined when a rollback since the ticket refused it (said on output 2).
      const file = await publish(candidate.model.file, source, options);
      if (file === undefined) return;
      gate.published(candidate.trainedUpTo);
      // An older candidate still waiting is superseded by the one now live.
      if (gate.kept !== undefined && gate.kept.trainedUpTo <= candidate.trainedUpTo) gate.takeKept();
      const scores = metrics as { accuracy?: number; r2?: number };
      lastTrained = { version: file.version, score: scores.accuracy ?? scores.r2 };
      node.send([{ ...source, payload: { model: { name: file.name, version: file.version }, metrics, samples, promotion } }, null]);
    };

    /** msg.promote: the kept candidate goes live. */
    const promoteKept = async (send: SendFn, msg: NodeMessage): Promise<void> => {
      const kept = gate.takeKept();
      if (kept === undefined) {
        send([null, rejectMessage(msg, { code: 'promote', message: 'no candidate is waiting for msg.promote' })]);
        return;
      }
      const promotion: PromotionOutcome = { ...kept.model.promotion, promoted: true, reason: 'msg.promote', message: `promoted by msg.promote (${kept.model.promotion.message})` };
      try {
        // An operator's choice: written even after a rollback (a fresh ticket), and it ends any automatic run.
        await goLive({ ...kept, model: { ...kept.model, promotion } }, msg, { automatic: false, ticket: archive!.ticket() });
      } catch (err) {
        gate.keep(kept);
        throw err;
      }
    };

    /**
     * Archives the live model, then writes `model` (under the version the archive gives it) through the ml-model
     * config, so every model-predict switches. Undefined when a rollback since `ticket` refused it (said on output 2).
     */
    const publish = async (model: ModelFile, source: NodeMessage, options: { automatic: boolean; ticket: number }): Promise<ModelFile | undefined> => {
      let outcome;
      // The model keeps the window it was trained with (docs/model-format.md#the-training-window).
      if (model.window === undefined) {
        const window = carriedTrainingWindow(model.featureNames, config!.state().model?.file.window);
        if (window !== undefined) model = { ...model, window };
      }
      try {
        outcome = await archive!.publish(model, options);
      } catch (err) {
        failures++;
        node.error(`${RED._('model-train.errors.write')}: ${(err as Error).message}`, source);
        throw err;
      }
      if (outcome.ok) return outcome.model;
      node.send([null, rejectMessage(source, { code: outcome.code, message: outcome.message })]);
      return undefined;
    };

    /**
     * Runs `job` in a worker. `onResult` gets the worker's answer (never an error) and settles once the model is
     * written; either way the worker is then gone, and due anomaly baselines start their own training.
     */
    const runJob = (job: TrainJob, source: NodeMessage, onResult: (message: WorkerMessage) => Promise<void>, onFailure: () => void = () => undefined): void => {
      progress = { done: 0, total: job.kind === 'forest' ? option('trees') : job.baselines.length };
      status.update();
      const running = startWorker(job);
      worker = running;
      let settled = false;
      const finish = () => {
        if (settled) return;
        settled = true;
        if (worker === running) worker = undefined;
        progress = undefined;
        status.update();
        if (!closing) startDueAnomalyTraining(latestSource ?? source);
      };
      const fail = (message: string) => {
        if (settled) return;
        failures++;
        onFailure();
        finish();
        node.error(`${RED._('model-train.errors.train')}: ${message}`, source);
      };
      let answered = false;
      running.on('message', (message: WorkerMessage) => {
        if (message.kind === 'progress') {
          progress = { done: message.done, total: message.total };
          status.update();
          return;
        }
        answered = true;
        void running.terminate();
        if (message.kind === 'error') return fail(message.message);
        onResult(message).then(finish, () => {
          onFailure();
          finish();
        });
      });
      running.on('error', (err) => fail(err.message));
      running.on('exit', (code) => {
        if (!answered && !closing) fail(`the training worker stopped (exit code ${code})`);
      });
    };

    /** Anomaly mode: learns the baselines `keys` (the shared one, or devices) from their collected windows. */
    const trainAnomalies = (keys: string[], source: NodeMessage, automatic = true): void => {
      const featureNames = anomalies.featureNames;
      if (keys.length === 0 || featureNames === null) return;
      const live = config!.state().model;
      const now = new Date();
      const name = typeof def.modelName === 'string' && def.modelName.trim() ? def.modelName.trim() : (live?.name ?? 'model');
      const version = nextVersion(live?.version, now);
      const baselines = keys.map((key) => ({ key, leftOutShare: anomalies.leftOutShare(key), rows: anomalies.startTraining(key) }));
      const threshold = fixedThreshold();
      const job: AnomalyJob = {
        kind: 'anomaly',
        featureNames: featureNames.slice(),
        baselines,
        options: {
          name,
          version,
          createdAt: now.toISOString(),
          method: choice('method') as AnomalyMethod | 'auto',
          ...(threshold !== undefined ? { threshold } : { contamination: anomalyOption('contamination') }),
          trees: option('trees'),
          seed: option('seed'),
        },
      };
      const params = {
        trainedBy: 'model-train',
        scope,
        update: choice('update'),
        warmup: anomalyOption('warmup'),
        ...(choice('update') === 'rolling' ? { adaptAfter: anomalyOption('adaptAfter') } : {}),
        ...(threshold !== undefined ? { threshold } : { contamination: anomalyOption('contamination') }),
      };
      const endAll = (ok: boolean) => keys.forEach((key) => anomalies.finishTraining(key, ok));
      const ticket = archive!.ticket();
      runJob(
        job,
        source,
        async (message) => {
          if (message.kind !== 'done-anomaly') return;
          const trained = message.parts.map((part) => ({ key: part.key, model: part.model as ModelFile, metrics: part.metrics }));
          const candidate = scope === 'shared' ? sharedFile(trained[0].model, params) : deviceFile(trained, featureNames, { name, version, createdAt: now.toISOString() }, params);
          if (candidate === null) return endAll(false);
          const model = await publish(candidate, source, { automatic, ticket });
          if (model === undefined) return endAll(false);
          endAll(true);
          lastTrained = { version: model.version };
          for (const part of trained) {
            const samples = baselines.find((b) => b.key === part.key)?.rows.length ?? 0;
            const payload = { model: { name: model.name, version: model.version }, metrics: part.metrics, samples, ...(scope === 'device' ? { deviceId: part.key } : {}) };
            node.send([{ ...source, payload }, null]);
          }
        },
        () => endAll(false),
      );
    };

    const sharedFile = (model: ModelFile, params: Record<string, unknown>): ModelFile => ({ ...model, params: { ...model.params, ...params } });

    /**
     * The per-device model file: the parts of the live model (when this node wrote it with the same features)
     * for devices still followed, and the newly learnt ones. Null when no followed device has a part.
     */
    const deviceFile = (
      trained: Array<{ key: string; model: ModelFile; metrics: unknown }>,
      featureNames: readonly string[],
      head: { name: string; version: string; createdAt: string },
      params: Record<string, unknown>,
    ): ModelFile | null => {
      const live = config!.state().model;
      const previous = isOwnAnomalyModel(live, 'device') && sameNames(live.featureNames, featureNames) ? (live.file.devices ?? {}) : {};
      const fresh = new Map(trained.map((t) => [t.key, t]));
      const entries: Array<[string, DeviceAnomalyPart]> = [];
      // The collector's order: least recently heard from first; devices it has forgotten are left out.
      for (const key of anomalies.keys) {
        const learnt = fresh.get(key);
        if (learnt !== undefined) {
          const m = learnt.model;
          entries.push([key, { anomaly: m.anomaly!, ...(m.forest !== undefined ? { forest: m.forest as TreeForest } : {}), ...(m.sketch ? { sketch: m.sketch } : {}), metrics: learnt.metrics as Record<string, unknown>, createdAt: m.createdAt }]);
        } else if (Object.prototype.hasOwnProperty.call(previous, key)) entries.push([key, previous[key]]);
      }
      if (entries.length === 0) return null;
      // A shared part already in the file (e.g. a bundled model that seeded it) stays as the fallback for devices
      // still warming up, so they are judged by it rather than refused.
      const fallback =
        live !== undefined && live.task === 'anomaly' && live.hasSharedPart && sameNames(live.featureNames, featureNames)
          ? { anomaly: live.file.anomaly, ...(live.file.forest !== undefined ? { forest: live.file.forest } : {}), ...(live.file.sketch ? { sketch: live.file.sketch } : {}) }
          : {};
      return {
        ...fallback,
        format: trained[0].model.format,
        task: 'anomaly',
        ...head,
        featureNames: featureNames.slice(),
        metrics: { task: 'anomaly', scope: 'device', devices: entries.length, trained: trained.map((t) => t.key) },
        params,
        // fromEntries makes own properties, whatever the deviceIds are.
        devices: Object.fromEntries(entries),
      };
    };

    /** Starts the anomaly baselines whose warm-up (or rolling interval) is over, unless a training is running. */
    const startDueAnomalyTraining = (source: NodeMessage | undefined): void => {
      if (!isAnomalyTask || worker || source === undefined || !configLoaded()) return;
      trainAnomalies(anomalies.due(), source);
    };

    /** The ml-model config has read its file (or failed to): the live model's name and version are known. */
    const configLoaded = (): boolean => {
      const state = config!.state();
      return state.model !== undefined || state.error !== undefined;
    };

    /** Whether the live model calls `row` an anomaly, by the baseline `key` (its own part only). */
    const flaggedByLiveModel = (row: Float64Array, key: string): boolean => {
      const live = config!.state().model;
      if (!live || live.task !== 'anomaly' || !sameNames(live.featureNames, anomalies.featureNames)) return false;
      const deviceId = key === SHARED_BASELINE ? undefined : key;
      if (deviceId === undefined ? !live.hasSharedPart : !live.hasDevice(deviceId)) return false;
      return isAnomalous(live.anomalyScore(row, deviceId), fixedThreshold() ?? live.anomalyThreshold(deviceId));
    };

    /** After a restart: take over the baselines of a model this node wrote, once the config has loaded. */
    const adoptLiveModel = (): void => {
      if (adopted || !configLoaded()) return;
      adopted = true;
      const live = config!.state().model;
      // Windows collected before the config loaded fix the feature names; a model of other features is not ours.
      if (!isOwnAnomalyModel(live, scope) || (anomalies.featureNames !== null && !sameNames(live.featureNames, anomalies.featureNames))) return;
      anomalies.adopt(live.featureNames, scope === 'shared' ? (live.hasSharedPart ? [SHARED_BASELINE] : []) : live.deviceIds);
    };

    /** Anomaly mode input: control messages and feature windows. */
    const handleAnomaly = (msg: NodeMessage, send: SendFn): void => {
      if (msg.reset !== undefined && msg.reset !== false) {
        const reset = readReset(msg.reset);
        // The shared baseline keeps no windows per device: only `true` starts it over.
        const refused = 'error' in reset ? reset.error : scope === 'shared' && 'deviceId' in reset ? 'the shared baseline has no per-device windows: msg.reset = true starts it over' : undefined;
        if (refused !== undefined) return refuseReset(send, msg, refused);
        adopted = true;
        const key = 'deviceId' in reset ? reset.deviceId : undefined;
        anomalies.reset(key);
        latestKey = key;
        return;
      }
      const payload = msg.payload;
      const record = payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : undefined;
      if (msg.train === true || (record?.train === true && !('features' in record))) {
        if (worker) {
          send([null, rejectMessage(msg, { code: 'busy', message: 'training is already running' })]);
          return;
        }
        const keys = anomalies.trainable(ANOMALY_MIN_ROWS);
        if (keys.length === 0) {
          send([null, rejectMessage(msg, { code: 'too-few-samples', message: `no baseline has the ${ANOMALY_MIN_ROWS} windows an anomaly model needs` })]);
          return;
        }
        trainAnomalies(keys, msg, false);
        return;
      }
      if (!record || !('features' in record)) {
        send([null, rejectMessage(msg, { code: 'features', message: 'expected payload.features (a feature window)' })]);
        return;
      }
      adoptLiveModel();
      const result = anomalies.addWindow(record, flaggedByLiveModel);
      if (!result.ok) {
        send([null, rejectMessage(msg, { code: result.code, message: result.message, ...(result.path !== undefined ? { path: result.path } : {}) })]);
        return;
      }
      latestKey = scope === 'device' ? result.key : undefined;
      latestSource = msg;
      startDueAnomalyTraining(msg);
    };

    /** `msg.rollback` (the version before the live one, or a named one; the replaced model is archived first). */
    const rollback = async (send: SendFn, msg: NodeMessage): Promise<void> => {
      const outcome = await archive!.rollback(typeof msg.rollback === 'string' ? msg.rollback : undefined);
      if (!outcome.ok) return send([null, rejectMessage(msg, { code: outcome.code, message: outcome.message })]);
      lastTrained = { version: outcome.model.version };
      send([{ ...msg, payload: { rolledBack: { name: outcome.model.name, version: outcome.model.version }, ...(outcome.replaced !== undefined ? { replaced: outcome.replaced } : {}) } }, null]);
    };

    /** `msg.pin` (true: the live version) keeps a version whatever keepVersions says; `msg.unpin` lets it go. */
    const pin = async (send: SendFn, msg: NodeMessage): Promise<void> => {
      const unpin = msg.unpin !== undefined && msg.unpin !== false;
      const version = unpin ? msg.unpin : msg.pin;
      if (typeof version !== 'string' && !(version === true && !unpin)) {
        return send([null, rejectMessage(msg, { code: 'pin', message: unpin ? 'msg.unpin must name a version' : 'msg.pin must be true (the live version) or a version' })]);
      }
      const outcome = unpin ? await archive!.unpin(version as string) : await archive!.pin(typeof version === 'string' ? version : undefined);
      if (!outcome.ok) return send([null, rejectMessage(msg, { code: outcome.code, message: outcome.message })]);
      send([{ ...msg, payload: { [unpin ? 'unpinned' : 'pinned']: outcome.version, pins: outcome.pins } }, null]);
    };

    /** A msg.reset that names neither every device (`true`) nor one: a warning, and output 2. */
    const refuseReset = (send: SendFn, msg: NodeMessage, message: string): void => {
      node.warn(message);
      send([null, rejectMessage(msg, { code: 'reset', message })]);
    };

    const handle = async (msg: NodeMessage, send: SendFn, done: DoneFn): Promise<void> => {
      if (configError) return nodeFault(node, done, configError);
      if (msg.rollback !== undefined && msg.rollback !== false) return rollback(send, msg).then(() => done(), done);
      if ((msg.pin !== undefined && msg.pin !== false) || (msg.unpin !== undefined && msg.unpin !== false)) return pin(send, msg).then(() => done(), done);
      const asked = msg.payload !== null && typeof msg.payload === 'object' && !Array.isArray(msg.payload) ? (msg.payload as Record<string, unknown>) : undefined;
      // `msg.promote`, or a payload that is only `{ promote: true }` (as for train).
      if ((msg.promote !== undefined && msg.promote !== false) || (asked?.promote === true && !('features' in asked))) {
        if (msg.promote !== undefined && msg.promote !== true && msg.promote !== false) send([null, rejectMessage(msg, { code: 'promote', message: 'msg.promote must be true' })]);
        else await promoteKept(send, msg);
        status.update();
        return done();
      }
      if (msg.export !== undefined && msg.export !== false) {
        // Into the export folder only (core/model/file/exports.ts); a path it refuses is bad data.
        const written = await writeExport(userDir, typeof msg.export === 'string' ? msg.export : exportPath, isAnomalyTask ? anomalies.toCsv() : collector.toCsv());
        if (!written.ok) send([null, rejectMessage(msg, { code: 'path', message: written.message })]);
        else send([{ ...msg, payload: { exported: written.file, samples: isAnomalyTask ? anomalies.size : collector.size } }, null]);
        return done();
      }
      if (isAnomalyTask) {
        handleAnomaly(msg, send);
        status.update();
        return done();
      }
      if (msg.reset !== undefined && msg.reset !== false) {
        const reset = readReset(msg.reset);
        if ('error' in reset) refuseReset(send, msg, reset.error);
        else collector.clear('deviceId' in reset ? reset.deviceId : undefined);
        status.update();
        return done();
      }
      const payload = msg.payload;
      const record = payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : undefined;
      // `msg.train`, or a payload that is only `{ train: true }` (what an MQTT or HTTP client can send).
      const trainNow = msg.train === true || (record?.train === true && !('features' in record));
      if (record && !trainNow) {
        const result = 'features' in record ? collector.addWindow(record, msg.label ?? record.label) : collector.addLabelEvent(record);
        if (!result.ok) send([null, rejectMessage(msg, { code: result.code, message: result.message })]);
      } else if (!trainNow) {
        send([null, rejectMessage(msg, { code: 'features', message: 'expected payload.features with a label, or a label event { deviceId, label, ts | start, end }' })]);
      }
      const every = option('every');
      // While a training runs, `every` waits for it to end (only msg.train is answered `busy`).
      if (trainNow || (every > 0 && collector.sinceTraining >= every && !worker)) train(send, msg, !trainNow);
      status.update();
      done();
    };

    // Anomaly mode: a warm-up that ended before the config loaded trains once it has; a restart adopts the model.
    const unsubscribe =
      isAnomalyTask && !configError
        ? config!.subscribe(() => {
            adoptLiveModel();
            startDueAnomalyTraining(latestSource);
          })
        : undefined;

    node.on('input', (msg, send, done) => {
      handle(msg, send, done).catch((err: Error) => done(err));
    });

    node.on('close', (_removed, done) => {
      closing = true;
      unsubscribe?.();
      status.close();
      const running = worker;
      worker = undefined;
      if (running) void running.terminate().then(() => done(), () => done());
      else done();
    });
  }
  RED.nodes.registerType('model-train', ModelTrainNode);
};
