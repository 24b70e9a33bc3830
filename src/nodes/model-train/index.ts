import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { parseModelFile, TrainingCollector, type ModelFile } from '../../core/model';
import { readNumberOption } from '../../core/util/numbers';
import type { MlModelNode } from '../ml-model/source';
import { nodeFault, rejectMessage } from '../shared/messages';
import type { DoneFn, Node, NodeDef, NodeMessage, RED, SendFn } from '../shared/red';
import { StatusReporter, countsText } from '../shared/status';
import { confinedPath } from '../shared/paths';
import { nextVersion } from '../../core/model/version';
import type { TrainJob, WorkerMessage } from './worker';

/** The compiled worker beside this file, or (in tests run from source) the TypeScript one through tsx. */
function startWorker(job: TrainJob): Worker {
  const compiled = path.join(__dirname, 'worker.js');
  if (fs.existsSync(compiled)) return new Worker(compiled, { workerData: job });
  return new Worker(path.join(__dirname, 'worker.ts'), { workerData: job, execArgv: ['--require', require.resolve('tsx/cjs')] });
}

/** Write errors that mean the export path itself is wrong, not the disk or the node. */
const EXPORT_PATH_ERRORS = new Set(['EISDIR', 'ENOTDIR', 'EEXIST', 'ENAMETOOLONG']);

export = function register(RED: RED): void {
  function ModelTrainNode(this: Node, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const userDir = RED.settings.userDir ?? process.cwd();
    const config = RED.nodes.getNode(String(def.model ?? '')) as MlModelNode | null;
    const numbers = {
      every: readNumberOption(def.every, 'every', 0, { min: 0, integer: true }),
      maxSamples: readNumberOption(def.maxSamples, 'maxSamples', 10000, { min: 10, integer: true }),
      trees: readNumberOption(def.trees, 'trees', 50, { min: 1, max: 1000, integer: true }),
      maxDepth: readNumberOption(def.maxDepth, 'maxDepth', 0, { min: 0, integer: true }),
      seed: readNumberOption(def.seed, 'seed', 1, { integer: true }),
      testFraction: readNumberOption(def.testFraction, 'testFraction', 0.2, { min: 0, max: 0.9 }),
      keepVersions: readNumberOption(def.keepVersions, 'keepVersions', 5, { min: 0, max: 100, integer: true }),
    };
    const configError = !config || typeof config.replace !== 'function' ? RED._('model-train.errors.noConfig') : Object.values(numbers).find((n): n is { error: string } => 'error' in n)?.error;
    const option = (key: keyof typeof numbers) => (numbers[key] as { value: number }).value;
    const exportPath = typeof def.exportPath === 'string' && def.exportPath.trim() !== '' ? def.exportPath.trim() : 'training-data.csv';

    const collector = new TrainingCollector({ maxSamples: configError ? 10 : option('maxSamples'), maxWaiting: 10000 });
    let worker: Worker | undefined;
    let progress: { done: number; total: number } | undefined;
    let lastTrained: { version: string; score?: number } | undefined;
    let failures = 0;

    const status = new StatusReporter(node, () => ({
      fill: failures > 0 ? 'yellow' : worker ? 'blue' : 'green',
      shape: worker ? 'ring' : 'dot',
      text:
        countsText([
          [collector.size, RED._('model-train.status.samples')],
          [collector.waitingCount, RED._('model-train.status.waiting')],
        ]) +
        (progress ? ` · ${RED._('model-train.status.training')} ${progress.done}/${progress.total}` : '') +
        (lastTrained ? ` · v${lastTrained.version}${lastTrained.score !== undefined ? ` (${(lastTrained.score * 100).toFixed(1)}%)` : ''}` : ''),
    }));
    if (configError) {
      node.error(`${RED._('model-train.errors.config')}: ${configError}`);
      status.showFault(configError);
    } else status.update();

    const versionsDir = () => {
      const file = config!.filePath();
      return path.join(path.dirname(file), `.${path.basename(file, '.json')}.versions`);
    };

    /** Keeps the model now live as a version to roll back to, at most `keepVersions` of them. */
    const archiveCurrent = () => {
      const live = config!.state().model;
      const keep = option('keepVersions');
      if (!live || keep === 0) return;
      const dir = versionsDir();
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${live.version}.json`), JSON.stringify(live.file));
      const saved = fs.readdirSync(dir).map((f) => ({ f, t: fs.statSync(path.join(dir, f)).mtimeMs })).sort((a, b) => a.t - b.t);
      for (const old of saved.slice(0, Math.max(0, saved.length - keep))) fs.rmSync(path.join(dir, old.f), { force: true });
    };

    const train = (send: SendFn, source: NodeMessage): void => {
      if (worker) {
        send([null, rejectMessage(source, { code: 'busy', message: 'training is already running' })]);
        return;
      }
      const records = collector.records().map(({ features, label }) => ({ features, label }));
      if (records.length < 10) {
        send([null, rejectMessage(source, { code: 'too-few-samples', message: `${records.length} labelled examples; at least 10 are needed` })]);
        return;
      }
      const live = config!.state().model;
      const now = new Date();
      const maxDepth = option('maxDepth');
      const job: TrainJob = {
        records,
        options: {
          name: typeof def.modelName === 'string' && def.modelName.trim() ? def.modelName.trim() : (live?.name ?? 'model'),
          version: nextVersion(live?.version, now),
          createdAt: now.toISOString(),
          testFraction: option('testFraction'),
          forest: { nTrees: option('trees'), seed: option('seed'), ...(maxDepth > 0 ? { maxDepth } : {}) },
        },
      };
      collector.markTrained();
      progress = { done: 0, total: option('trees') };
      status.update();
      const running = startWorker(job);
      worker = running;
      const finish = () => {
        worker = undefined;
        progress = undefined;
        status.update();
      };
      running.on('message', (message: WorkerMessage) => {
        if (message.kind === 'progress') {
          progress = { done: message.done, total: message.total };
          status.update();
          return;
        }
        void running.terminate();
        if (message.kind === 'error') {
          failures++;
          finish();
          node.error(`${RED._('model-train.errors.train')}: ${message.message}`, source);
          return;
        }
        const model = message.model as ModelFile;
        try {
          archiveCurrent();
        } catch (err) {
          node.warn(`${RED._('model-train.errors.archive')}: ${(err as Error).message}`);
        }
        config!.replace(model).then(
          () => {
            const metrics = message.metrics as { accuracy?: number; r2?: number };
            lastTrained = { version: model.version, score: metrics.accuracy ?? metrics.r2 };
            finish();
            node.send([{ ...source, payload: { model: { name: model.name, version: model.version }, metrics, samples: records.length } }, null]);
          },
          (err: Error) => {
            failures++;
            finish();
            node.error(`${RED._('model-train.errors.write')}: ${err.message}`, source);
          },
        );
      });
      running.on('error', (err) => {
        failures++;
        finish();
        node.error(`${RED._('model-train.errors.train')}: ${err.message}`, source);
      });
    };

    const rollback = async (send: SendFn, msg: NodeMessage): Promise<void> => {
      const dir = versionsDir();
      const saved = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => ({ f, t: fs.statSync(path.join(dir, f)).mtimeMs })).sort((a, b) => b.t - a.t) : [];
      const wanted = typeof msg.rollback === 'string' ? `${msg.rollback}.json` : saved[0]?.f;
      const entry = saved.find((s) => s.f === wanted);
      if (!entry) {
        send([null, rejectMessage(msg, { code: 'rollback', message: typeof msg.rollback === 'string' ? `no saved version ${msg.rollback}` : 'no earlier version is saved' })]);
        return;
      }
      const parsed = parseModelFile(fs.readFileSync(path.join(dir, entry.f)));
      if (!parsed.ok) {
        send([null, rejectMessage(msg, { code: 'rollback', message: `saved version ${entry.f} is unreadable: ${parsed.error}` })]);
        return;
      }
      await config!.replace(parsed.model);
      fs.rmSync(path.join(dir, entry.f), { force: true });
      lastTrained = { version: parsed.model.version };
      send([{ ...msg, payload: { rolledBack: { name: parsed.model.name, version: parsed.model.version } } }, null]);
    };

    const handle = async (msg: NodeMessage, send: SendFn, done: DoneFn): Promise<void> => {
      if (configError) return nodeFault(node, done, configError);
      if (msg.rollback !== undefined && msg.rollback !== false) return rollback(send, msg).then(() => done(), done);
      if (msg.export !== undefined && msg.export !== false) {
        const target = confinedPath(userDir, typeof msg.export === 'string' ? msg.export : exportPath);
        if (!target) {
          send([null, rejectMessage(msg, { code: 'path', message: 'the export path must stay inside the Node-RED user directory' })]);
          return done();
        }
        try {
          await fs.promises.mkdir(path.dirname(target), { recursive: true });
          await fs.promises.writeFile(target, collector.toCsv());
        } catch (err) {
          // A path the message names that cannot be a file (a folder, a file used as a folder) is bad data.
          const code = (err as NodeJS.ErrnoException).code ?? '';
          if (!EXPORT_PATH_ERRORS.has(code)) throw err;
          send([null, rejectMessage(msg, { code: 'path', message: `cannot write the export to ${target}: ${code}` })]);
          return done();
        }
        send([{ ...msg, payload: { exported: target, samples: collector.size } }, null]);
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
      if (trainNow || (every > 0 && collector.sinceTraining >= every)) train(send, msg);
      status.update();
      done();
    };

    node.on('input', (msg, send, done) => {
      handle(msg, send, done).catch((err: Error) => done(err));
    });

    node.on('close', (_removed, done) => {
      status.close();
      const running = worker;
      worker = undefined;
      if (running) void running.terminate().then(() => done(), () => done());
      else done();
    });
  }
  RED.nodes.registerType('model-train', ModelTrainNode);
};
