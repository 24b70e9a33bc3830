/** Trains a model off the Node-RED event loop: examples in through workerData, progress and the model file out. */
import { parentPort, workerData } from 'node:worker_threads';
import { examplesFromRecords, trainModel, type FeatureRecord, type TrainModelOptions } from '../../core/model';

export interface TrainJob {
  records: FeatureRecord[];
  options: Omit<TrainModelOptions, 'createdAt' | 'onProgress' | 'pause'> & { createdAt: string };
}

export type WorkerMessage =
  | { kind: 'progress'; done: number; total: number }
  | { kind: 'done'; model: unknown; metrics: unknown }
  | { kind: 'error'; message: string };

async function run(job: TrainJob): Promise<WorkerMessage> {
  const examples = examplesFromRecords(job.records, { task: 'classification' });
  if (!examples.ok) return { kind: 'error', message: examples.error.message };
  if ((examples.examples.labels?.length ?? 0) < 2) return { kind: 'error', message: 'the examples hold only one label: a classifier needs at least two' };
  const result = await trainModel(examples.examples, {
    ...job.options,
    createdAt: new Date(job.options.createdAt),
    onProgress: (done, total) => parentPort!.postMessage({ kind: 'progress', done, total } satisfies WorkerMessage),
  });
  return { kind: 'done', model: result.model, metrics: result.metrics };
}

run(workerData as TrainJob).then(
  (message) => parentPort!.postMessage(message),
  (err: Error) => parentPort!.postMessage({ kind: 'error', message: err.message } satisfies WorkerMessage),
);
