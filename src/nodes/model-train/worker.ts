/** Trains a model off the Node-RED event loop: examples in through workerData, progress and the model file out. */
import { parentPort, workerData } from 'node:worker_threads';
import {
  checkLabelCounts,
  chooseAnomalyMethod,
  countLabels,
  examplesFromRecords,
  trainAnomalyModel,
  trainModel,
} from '../../core/model';
import type { AnomalyJob, ForestJob, TrainJob, WorkerMessage } from '../../core/model/train/training-job';

// The job and answer shapes are the training session's (core/model/train/training-job.ts).
export type { AnomalyJob, ForestJob, TrainJob, WorkerMessage } from '../../core/model/train/training-job';

const progress = (done: number, total: number) => parentPort!.postMessage({ kind: 'progress', done, total } satisfies WorkerMessage);

async function trainForest(job: ForestJob): Promise<WorkerMessage> {
  const examples = examplesFromRecords(job.records, { task: job.task });
  if (!examples.ok) return { kind: 'error', message: examples.error.message };
  if (job.task === 'classification') {
    // The node checks before it starts a worker; the same rule here keeps a job from elsewhere honest.
    const learnable = checkLabelCounts([...countLabels(job.records.map((record) => record.label)).values()]);
    if (!learnable.ok) return { kind: 'error', message: learnable.message };
  }
  const result = await trainModel(examples.examples, { ...job.options, createdAt: new Date(job.options.createdAt), onProgress: progress });
  return { kind: 'done', model: result.model, metrics: result.metrics };
}

async function trainAnomaly(job: AnomalyJob): Promise<WorkerMessage> {
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

const job = workerData as TrainJob;
(job.kind === 'anomaly' ? trainAnomaly(job) : trainForest(job)).then(
  (message) => parentPort!.postMessage(message),
  (err: Error) => parentPort!.postMessage({ kind: 'error', message: err.message } satisfies WorkerMessage),
);
