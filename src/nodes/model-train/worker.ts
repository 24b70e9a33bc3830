/** Trains a model off the Node-RED event loop: the job in through workerData, progress and the model file out. */
import { parentPort, workerData } from 'node:worker_threads';
import { runTrainJob, type TrainJob, type WorkerMessage } from '../../core/model/train/training-job';

// The job and answer shapes are the training session's (core/model/train/training-job.ts).
export type { AnomalyJob, ForestJob, TrainJob, WorkerMessage } from '../../core/model/train/training-job';

void runTrainJob(workerData as TrainJob, (done, total) => parentPort!.postMessage({ kind: 'progress', done, total } satisfies WorkerMessage)).then((message) =>
  parentPort!.postMessage(message),
);
