/**
 * What model-train hands its training worker, what the worker answers, how a job is run (`runTrainJob`, the
 * worker's whole work, runnable in-process too), and the pure pieces the training session builds around them:
 * the per-device anomaly model file, and which live model counts as the node's own.
 */
import { examplesFromRecords, type FeatureRecord } from '../data/dataset';
import type { DeviceAnomalyPart, LoadedModel, ModelFile } from '../file/model-file';
import type { TreeForest } from '../forest/forest-format';
import type { AnomalyMethod } from '../monitor/anomaly';
import { checkLabelCounts, countLabels } from './promotion';
import { chooseAnomalyMethod, trainAnomalyModel } from './train-anomaly';
import { trainModel, type TrainModelOptions } from './train-model';

/** A random forest from labelled examples (classification or regression). */
export interface ForestJob {
  kind: 'forest';
  task: 'classification' | 'regression';
  records: FeatureRecord[];
  options: Omit<TrainModelOptions, 'createdAt' | 'onProgress' | 'pause'> & { createdAt: string };
}

/** Anomaly baselines from unlabelled rows: the shared one (key '') or one per device. */
export interface AnomalyJob {
  kind: 'anomaly';
  featureNames: string[];
  /** leftOutShare: of the windows since the baseline's last training, the share left out as flagged. */
  baselines: Array<{ key: string; rows: Float64Array[]; leftOutShare?: number }>;
  options: {
    name: string;
    version: string;
    createdAt: string;
    method: AnomalyMethod | 'auto';
    contamination?: number;
    threshold?: number;
    trees: number;
    seed: number;
  };
}

export type TrainJob = ForestJob | AnomalyJob;

export type WorkerMessage =
  | { kind: 'progress'; done: number; total: number }
  | { kind: 'done'; model: unknown; metrics: unknown }
  | { kind: 'done-anomaly'; parts: Array<{ key: string; model: unknown; metrics: unknown }> }
  | { kind: 'error'; message: string };

/** Runs `job` (in model-train's worker thread, or in-process in a test), reporting progress; never rejects. */
export function runTrainJob(job: TrainJob, progress: (done: number, total: number) => void = () => undefined): Promise<WorkerMessage> {
  return (job.kind === 'anomaly' ? trainAnomaly(job, progress) : trainForest(job, progress)).catch((err: Error): WorkerMessage => ({ kind: 'error', message: err.message }));
}

async function trainForest(job: ForestJob, progress: (done: number, total: number) => void): Promise<WorkerMessage> {
  const examples = examplesFromRecords(job.records, { task: job.task });
  if (!examples.ok) return { kind: 'error', message: examples.error.message };
  if (job.task === 'classification') {
    // The session checks before it starts a worker; the same rule here keeps a job from elsewhere honest.
    const learnable = checkLabelCounts([...countLabels(job.records.map((record) => record.label)).values()]);
    if (!learnable.ok) return { kind: 'error', message: learnable.message };
  }
  const result = await trainModel(examples.examples, { ...job.options, createdAt: new Date(job.options.createdAt), onProgress: progress });
  return { kind: 'done', model: result.model, metrics: result.metrics };
}

async function trainAnomaly(job: AnomalyJob, progress: (done: number, total: number) => void): Promise<WorkerMessage> {
  const { options } = job;
  const parts: Array<{ key: string; model: unknown; metrics: unknown }> = [];
  // Progress counts trees over every baseline (a robust-z baseline counts as one step).
  const steps = job.baselines.map((b) => ((options.method === 'auto' ? chooseAnomalyMethod(b.rows.length) : options.method) === 'robust-z' ? 1 : options.trees));
  const total = steps.reduce((sum, n) => sum + n, 0);
  let before = 0;
  for (let b = 0; b < job.baselines.length; b++) {
    const { key, rows, leftOutShare } = job.baselines[b];
    const result = await trainAnomalyModel(
      { featureNames: job.featureNames, rows },
      {
        name: options.name,
        version: options.version,
        createdAt: new Date(options.createdAt),
        method: options.method,
        ...(options.threshold !== undefined ? { threshold: options.threshold } : { contamination: options.contamination, leftOutShare }),
        isolationForest: { nTrees: options.trees },
        seed: options.seed,
        onProgress: (done) => progress(before + done, total),
      },
    );
    before += steps[b];
    progress(before, total);
    parts.push({ key, model: result.model, metrics: result.metrics });
  }
  return { kind: 'done-anomaly', parts };
}

/** One baseline a worker learnt. */
export interface TrainedPart {
  key: string;
  model: ModelFile;
  metrics: unknown;
}

export const sameNames = (a: readonly string[], b: readonly string[] | null): boolean => b !== null && a.length === b.length && a.every((name, i) => name === b[i]);

/** A model model-train wrote in anomaly mode with the same scope (adopted after a restart, extended per device). */
export function isOwnAnomalyModel(model: LoadedModel | undefined, scope: 'shared' | 'device'): model is LoadedModel {
  const params = model?.file.params;
  return model !== undefined && model.task === 'anomaly' && params?.trainedBy === 'model-train' && params.scope === scope;
}

/**
 * The per-device model file: the parts of the live model (when model-train wrote it with the same features) for
 * the devices still followed (`followed`, least recently heard from first), and the newly learnt ones. Null when
 * no followed device has a part.
 */
export function deviceModelFile(
  trained: readonly TrainedPart[],
  followed: readonly string[],
  live: LoadedModel | undefined,
  featureNames: readonly string[],
  head: { name: string; version: string; createdAt: string },
  params: Record<string, unknown>,
): ModelFile | null {
  const previous = isOwnAnomalyModel(live, 'device') && sameNames(live.featureNames, featureNames) ? (live.file.devices ?? {}) : {};
  const fresh = new Map(trained.map((t) => [t.key, t]));
  const entries: Array<[string, DeviceAnomalyPart]> = [];
  // Devices the collector has forgotten are left out.
  for (const key of followed) {
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
}
