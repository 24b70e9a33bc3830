import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { writeExport } from '../../core/model/file/exports';
import { parseTrainConfig } from '../../core/model/train/train-config';
import type { TrainJob } from '../../core/model/train/training-job';
import { TrainingSession, type RunListener, type SessionHost, type TrainingRun } from '../../core/model/train/training-session';
import type { MlModelNode } from '../ml-model/source';
import { rejectMessage } from '../shared/messages';
import { readNodeConfig } from '../shared/config';
import { configError } from '../../core/util/config';
import { migrateConfig } from '../shared/migrations';
import type { Node, NodeDef, NodeMessage, RED } from '../shared/red';
import { StatusReporter } from '../shared/status';

/** The compiled worker beside this file, or (in tests run from source) the TypeScript one through tsx. */
function startWorker(job: TrainJob, listener: RunListener): TrainingRun {
  const compiled = path.join(__dirname, 'worker.js');
  const worker = fs.existsSync(compiled)
    ? new Worker(compiled, { workerData: job })
    : new Worker(path.join(__dirname, 'worker.ts'), { workerData: job, execArgv: ['--require', require.resolve('tsx/cjs')] });
  worker.on('message', listener.message);
  worker.on('error', listener.error);
  worker.on('exit', listener.exit);
  return worker;
}

/** Why model-train cannot run on this ml-model config (none, read-only, no file), or undefined. */
function configProblem(RED: RED, config: MlModelNode | null): string | undefined {
  if (!config || typeof config.replace !== 'function') return RED._('model-train.errors.noConfig');
  // A bundled model (or anything in the palette's folder) is never written: refused at deploy, not at the first write.
  const readOnly = config.readOnly();
  if (readOnly !== undefined) return `${readOnly}: ${RED._('model-train.errors.readOnly')}`;
  // No file (the ml-model config is wrong): nothing to write, and no lock or archive relative to the working directory.
  if (config.filePath() === '') return config.state().error ?? RED._('model-train.errors.noConfig');
  return undefined;
}

/** Node-RED glue for model-train: the training session (core/model/train/training-session.ts) on an ml-model config. */
export = function register(RED: RED): void {
  function ModelTrainNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    // A flow saved before a property existed: it takes the value it had then (shared/migrations.ts).
    def = migrateConfig(def);
    const node = this;
    const userDir = RED.settings.userDir ?? process.cwd();
    const config = RED.nodes.getNode(String(def.model ?? '')) as MlModelNode | null;
    const parsed = parseTrainConfig(def);
    // The ml-model config first (without one nothing else matters), then the node's own settings, then the file.
    const hasConfig = config !== null && typeof config.replace === 'function';
    const problem = hasConfig && !parsed.ok ? undefined : configProblem(RED, config);
    const settings = readNodeConfig(node, problem !== undefined ? configError(problem) : parsed, RED._('model-train.errors.config'));
    if (settings === undefined) return;

    const live = config!;
    const host: SessionHost = {
      send: (msg) => node.send([msg as NodeMessage, null]),
      refuse: (source, error) => node.send([null, rejectMessage(source as NodeMessage, error)]),
      fault: (kind, message, source) => node.error(`${RED._(`model-train.errors.${kind}`)}: ${message}`, source as NodeMessage),
      warn: (message) => node.warn(message),
      changed: () => status.update(),
    };
    const session = new TrainingSession(settings, {
      live: { model: () => live.state().model, loaded: () => live.state().model !== undefined || live.state().error !== undefined },
      versions: live.versions(settings.keepVersions),
      startTraining: startWorker,
      // Into the export folder only (core/model/file/exports.ts).
      writeExport: (file, csv) => writeExport(userDir, file, csv),
      host,
      label: (word) => RED._(`model-train.status.${word}`),
    });
    const status = new StatusReporter(node, () => session.status());
    status.update();

    // The status follows the live version (a rollback from the sidebar); anomaly mode: a warm-up that ended before
    // the config loaded trains once it has, and a restart adopts the model.
    // An ONNX graph run by onnxruntime-node (docs/import.md#any-other-onnx-model) is not a model this node can
    // retrain, and its file must never be written over with one: refused, in red, once it has loaded.
    const graphProblem = () => (live.state().runtime !== undefined ? RED._('model-train.errors.runtimeGraph', { file: live.filePath() }) : undefined);
    const showGraphProblem = () => {
      const problem = graphProblem();
      if (problem === undefined) return false;
      node.status({ fill: 'red', shape: 'ring', text: RED._('model-train.status.runtimeGraph') });
      return true;
    };
    const unsubscribe = live.subscribe(() => {
      if (showGraphProblem()) return node.error(graphProblem());
      session.liveModelChanged();
    });
    if (showGraphProblem()) node.error(graphProblem());

    node.on('input', (msg, _send, done) => {
      const problem = graphProblem();
      if (problem !== undefined) return done(new Error(problem));
      session.handle(msg).then(() => done(), (err: Error) => done(err));
    });

    node.on('close', (_removed, done) => {
      unsubscribe?.();
      status.close();
      void session.close().then(() => done());
    });
  }
  RED.nodes.registerType('model-train', ModelTrainNode);
};
