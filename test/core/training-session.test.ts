/**
 * model-train's training session without Node-RED: a hand-driven worker (jobs run in-process with the worker's own
 * code, when the test says so), a version keeper in memory, and the host's outputs recorded.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { DataError } from '../../src/core/types';
import type { PublishOutcome } from '../../src/core/model/file/archive';
import { loadModel, type LoadedModel, type ModelFile } from '../../src/core/model/file/model-file';
import { ANOMALY_MIN_ROWS } from '../../src/core/model/train/train-anomaly';
import { parseTrainConfig, type TrainSettings } from '../../src/core/model/train/train-config';
import { deviceModelFile, runTrainJob, type AnomalyJob, type ForestJob, type TrainJob, type WorkerMessage } from '../../src/core/model/train/training-job';
import { MIN_LABELLED, TrainingSession, type RunListener, type TrainMessage } from '../../src/core/model/train/training-session';
import { toyClassifier } from '../helpers/models';
import { runs } from '../helpers/fuzz';

/** A few turns of the event loop: what the session awaits (the version keeper) has settled. */
const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

function settingsOf(def: Record<string, unknown>): TrainSettings {
  const parsed = parseTrainConfig({ trees: 3, ...def });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.config;
}

interface Run {
  job: TrainJob;
  listener: RunListener;
  terminated: boolean;
  answered: boolean;
}

/** A session with everything it touches recorded, and its worker driven by the test. */
class Rig {
  live: LoadedModel | undefined;
  loaded = true;
  readonly sent: TrainMessage[] = [];
  readonly refused: Array<{ source: TrainMessage; error: DataError }> = [];
  readonly faults: Array<{ kind: string; message: string }> = [];
  readonly warnings: string[] = [];
  readonly runs: Run[] = [];
  readonly published: ModelFile[] = [];
  readonly exports: Array<{ file: string; csv: string }> = [];
  /** What the next publish does (default: goes live). */
  publishing: (model: ModelFile) => Promise<PublishOutcome> = async (model) => ({ ok: true, model });
  /** Whether the session said it was training when it asked for a worker (never should it). */
  startedWhileTraining = false;
  clock = new Date('2026-03-01T12:00:00Z');
  readonly session: TrainingSession;

  constructor(def: Record<string, unknown>, live?: ModelFile) {
    this.live = live === undefined ? undefined : load(live);
    this.session = new TrainingSession(settingsOf(def), {
      live: { model: () => this.live, loaded: () => this.loaded },
      versions: {
        ticket: () => 0,
        publish: async (model) => {
          const outcome = await this.publishing(model);
          if (outcome.ok) {
            this.published.push(outcome.model);
            this.live = load(outcome.model);
          }
          return outcome;
        },
        rollback: async (to) => (to === '1.0.0' && this.live ? { ok: true, model: this.live.file, replaced: '1.0.1' } : { ok: false, code: 'rollback', message: `no saved version ${to}` }),
        pin: async (version) => ({ ok: true, version: version ?? this.live?.version ?? '?', pins: [version ?? this.live?.version ?? '?'] }),
        unpin: async (version) => ({ ok: true, version, pins: [] }),
      },
      startTraining: (job, listener) => {
        if (this.session.training) this.startedWhileTraining = true;
        const run: Run = { job, listener, terminated: false, answered: false };
        this.runs.push(run);
        return {
          terminate: async () => {
            run.terminated = true;
          },
        };
      },
      writeExport: async (file, csv) => {
        if (file.includes('..')) return { ok: false, message: `${file} is outside the export folder` };
        this.exports.push({ file, csv });
        return { ok: true, file: `exports/${file}` };
      },
      host: {
        send: (msg) => this.sent.push(msg),
        refuse: (source, error) => this.refused.push({ source, error }),
        fault: (kind, message) => this.faults.push({ kind, message }),
        warn: (message) => this.warnings.push(message),
        changed: () => undefined,
      },
      now: () => this.clock,
      label: (word) => `[${word}]`,
    });
  }

  handle(msg: TrainMessage): Promise<void> {
    return this.session.handle(msg);
  }

  get lastRun(): Run {
    assert.ok(this.runs.length > 0, 'a training was started');
    return this.runs[this.runs.length - 1];
  }

  /** The running worker answers: its job run in-process by the worker's own code, or a failure. */
  async answer(how: 'train' | 'error' | 'exit' = 'train', run = this.lastRun): Promise<void> {
    run.answered = true;
    if (how === 'exit') run.listener.exit(1);
    else if (how === 'error') run.listener.message({ kind: 'error', message: 'out of memory' });
    else run.listener.message(await runTrainJob(run.job));
    await flush();
  }

  refusedCodes(): string[] {
    return this.refused.map((r) => r.error.code);
  }
}

function load(file: ModelFile): LoadedModel {
  const loaded = loadModel(file);
  if (!loaded.ok) throw new Error(loaded.error);
  return loaded.model;
}

/** A labelled window: hot above 25 (as the toy classifier learnt); both labels come early. */
const window = (i: number, label?: string) => {
  const temp = 10 + ((i * 7) % 40) * 0.8;
  return { payload: { deviceId: `d${i % 3}`, start: i * 1000, end: i * 1000 + 1000, features: { 'temp.mean': temp, 'noise.mean': i % 5 } }, label: label ?? (temp > 25 ? 'hot' : 'cold') };
};
/** An unlabelled window for anomaly baselines. */
const reading = (deviceId: string, i: number) => ({ payload: { deviceId, features: { a: 10 + Math.sin(i) , b: 5 + (i % 7) / 10 } } });

describe('core/model/train: the training session (model-train without Node-RED)', () => {
  describe('when it trains', () => {
    it('every N windows: none before the Nth, one job at it, built from the collected windows in order', async () => {
      const rig = new Rig({ every: 20 });
      for (let i = 0; i < 19; i++) await rig.handle(window(i));
      assert.equal(rig.runs.length, 0, 'not before the 20th window');
      await rig.handle(window(19));
      assert.equal(rig.runs.length, 1);
      const job = rig.lastRun.job as ForestJob;
      assert.equal(job.kind, 'forest');
      assert.equal(job.task, 'classification');
      assert.deepEqual(
        job.records,
        Array.from({ length: 20 }, (_, i) => ({ features: window(i).payload.features, label: window(i).label })),
      );
      // No live model: it is `model` 1.0.0, dated by the session's clock; the newest 20% held out for the gate.
      assert.equal(job.options.name, 'model');
      assert.equal(job.options.version, '1.0.0');
      assert.equal(job.options.createdAt, '2026-03-01T12:00:00.000Z');
      assert.equal(job.options.holdoutNewest, 4);
      assert.deepEqual(job.options.forest, { nTrees: 3, seed: 1 });
    });

    it('every 0: windows alone never train; msg.train (or a payload of only { train: true }) does', async () => {
      const rig = new Rig({ every: 0, maxDepth: 4 });
      for (let i = 0; i < 50; i++) await rig.handle(window(i));
      assert.equal(rig.runs.length, 0);
      await rig.handle({ payload: { train: true } });
      assert.equal(rig.runs.length, 1);
      assert.equal((rig.lastRun.job as ForestJob).records.length, 50);
      assert.deepEqual((rig.lastRun.job as ForestJob).options.forest, { nTrees: 3, seed: 1, maxDepth: 4 });
    });

    it(`"train now" with fewer than ${MIN_LABELLED} labelled windows is refused, and no job starts`, async () => {
      const rig = new Rig({});
      for (let i = 0; i < MIN_LABELLED - 1; i++) await rig.handle(window(i));
      await rig.handle({ train: true });
      assert.equal(rig.runs.length, 0);
      assert.deepEqual(rig.refusedCodes(), ['too-few-samples']);
      await rig.handle(window(MIN_LABELLED));
      await rig.handle({ train: true });
      assert.equal(rig.runs.length, 1);
    });

    it('one training at a time: msg.train meanwhile is `busy`; `every` waits for the end, then trains', async () => {
      const rig = new Rig({ every: 10 });
      for (let i = 0; i < 10; i++) await rig.handle(window(i));
      assert.equal(rig.runs.length, 1);
      assert.equal(rig.session.training, true);
      for (let i = 10; i < 25; i++) await rig.handle(window(i));
      await rig.handle({ train: true });
      assert.equal(rig.runs.length, 1, 'no second job while the first runs');
      assert.deepEqual(rig.refusedCodes(), ['busy']);
      await rig.answer();
      assert.equal(rig.session.training, false);
      await rig.handle(window(25));
      assert.equal(rig.runs.length, 2, 'the windows that came meanwhile count towards `every`');
      assert.equal((rig.lastRun.job as ForestJob).records.length, 26);
      assert.equal(rig.startedWhileTraining, false);
    });
  });

  describe('going live, or not', () => {
    it('a trained model goes live through the version keeper and is reported on output 1 and in the status', async () => {
      const rig = new Rig({});
      for (let i = 0; i < 40; i++) await rig.handle(window(i));
      await rig.handle({ train: true, topic: 'now' });
      assert.match(rig.session.status().text, /\[training\] 0\/3/);
      assert.equal(rig.session.status().shape, 'ring');
      await rig.answer();
      assert.equal(rig.published.length, 1);
      assert.equal(rig.live?.version, '1.0.0');
      const [out] = rig.sent;
      assert.equal(out.topic, 'now', 'the answer carries the message that asked');
      const payload = out.payload as { model: unknown; samples: number; promotion: { promoted: boolean; reason: string } };
      assert.deepEqual(payload.model, { name: 'model', version: '1.0.0' });
      assert.equal(payload.samples, 40);
      assert.deepEqual([payload.promotion.promoted, payload.promotion.reason], [true, 'no-live-model']);
      const status = rig.session.status();
      assert.equal(status.fill, 'green');
      assert.match(status.text, /^40 \[samples\] · v1\.0\.0 \(\d+\.\d%\)$/);
    });

    it('a worker that fails, or stops without an answer, leaves the live model live and the session ready again', async () => {
      const rig = new Rig({}, await toyClassifier('1.0.0'));
      for (let i = 0; i < 30; i++) await rig.handle(window(i));
      await rig.handle({ train: true });
      await rig.answer('error');
      assert.deepEqual(rig.faults, [{ kind: 'train', message: 'out of memory' }]);
      assert.equal(rig.live?.version, '1.0.0');
      assert.equal(rig.published.length, 0);
      assert.equal(rig.session.status().fill, 'yellow', 'a failure shows');
      await rig.handle({ train: true });
      assert.equal(rig.runs.length, 2, 'not stuck as busy');
      await rig.answer('exit');
      assert.deepEqual(rig.faults[1], { kind: 'train', message: 'the training worker stopped (exit code 1)' });
      assert.equal(rig.live?.version, '1.0.0');
      assert.equal(rig.session.training, false);
    });

    it('a publish the version keeper refuses (a rollback meanwhile) or cannot write keeps the live model', async () => {
      const rig = new Rig({ promote: 'always' }, await toyClassifier('1.0.0'));
      for (let i = 0; i < 30; i++) await rig.handle(window(i));
      rig.publishing = async () => ({ ok: false, code: 'superseded', message: 'a rollback to 1.0.0 happened while this model was trained' });
      await rig.handle({ train: true });
      await rig.answer();
      assert.deepEqual(rig.refusedCodes(), ['superseded']);
      assert.equal(rig.live?.version, '1.0.0');
      assert.equal(rig.sent.length, 0, 'nothing on output 1');
      rig.publishing = async () => {
        throw new Error('ENOSPC: no space left on device');
      };
      await rig.handle({ train: true });
      await rig.answer();
      assert.deepEqual(rig.faults, [{ kind: 'write', message: 'ENOSPC: no space left on device' }]);
      assert.equal(rig.live?.version, '1.0.0');
      assert.equal(rig.session.training, false);
    });

    it('promote manual: the retrain waits as a candidate (output 2, status) until msg.promote publishes it', async () => {
      const rig = new Rig({ promote: 'manual' }, await toyClassifier('1.0.0'));
      for (let i = 0; i < 30; i++) await rig.handle(window(i));
      await rig.handle({ train: true });
      await rig.answer();
      assert.deepEqual(rig.refusedCodes(), ['not-promoted']);
      assert.equal(rig.live?.version, '1.0.0', 'the live model stays');
      assert.match(rig.session.status().text, /\[candidate\] v1\.0\.1$/);
      await rig.handle({ promote: true });
      assert.equal(rig.live?.version, '1.0.1');
      assert.equal((rig.sent[0].payload as { promotion: { reason: string } }).promotion.reason, 'msg.promote');
      await rig.handle({ promote: true });
      assert.deepEqual(rig.refusedCodes(), ['not-promoted', 'promote'], 'nothing left to promote');
    });
  });

  describe('anomaly baselines', () => {
    it('shared: trains once the warm-up is collected, and the model says it is model-train’s', async () => {
      const rig = new Rig({ task: 'anomaly', warmup: 20 });
      for (let i = 0; i < 19; i++) await rig.handle(reading('x', i));
      assert.equal(rig.runs.length, 0);
      assert.equal(rig.session.status().text, '[warmup] 19/20');
      await rig.handle(reading('y', 19));
      const job = rig.lastRun.job as AnomalyJob;
      assert.deepEqual(
        job.baselines.map((b) => [b.key, b.rows.length]),
        [['', 20]],
      );
      assert.deepEqual(job.featureNames, ['a', 'b']);
      await rig.answer();
      const params = rig.live?.file.params ?? {};
      assert.deepEqual(
        ['trainedBy', 'scope', 'update', 'warmup', 'contamination'].map((key) => params[key]),
        ['model-train', 'shared', 'frozen', 20, 0.01],
      );
      assert.equal((rig.sent[0].payload as { samples: number }).samples, 20);
    });

    it('per device: the model file holds the live parts of devices still followed and the new ones; forgotten devices go', async () => {
      const rig = new Rig({ task: 'anomaly', scope: 'device', warmup: 20, maxDevices: 3 });
      const warm = async (device: string) => {
        for (let i = 0; i < 20; i++) await rig.handle(reading(device, i));
        assert.deepEqual((rig.lastRun.job as AnomalyJob).baselines.map((b) => b.key), [device]);
        await rig.answer();
      };
      await warm('a');
      await warm('b');
      await warm('c');
      assert.deepEqual(Object.keys(rig.live!.file.devices!), ['a', 'b', 'c']);
      assert.equal(rig.live?.version, '1.0.2');
      // d makes a fourth device: a, heard from least recently, is forgotten, and so is its part.
      await warm('d');
      assert.deepEqual(Object.keys(rig.live!.file.devices!).sort(), ['b', 'c', 'd']);
      assert.deepEqual(rig.live!.file.metrics, { task: 'anomaly', scope: 'device', devices: 3, trained: ['d'] });
      assert.equal(rig.session.status().text, '3 [devicesReady] · v1.0.3');
    });

    it('per device: a warm-up that ends while another device trains waits, and trains when that training ends', async () => {
      const rig = new Rig({ task: 'anomaly', scope: 'device', warmup: 20 });
      for (let i = 0; i < 20; i++) await rig.handle(reading('a', i));
      assert.equal(rig.runs.length, 1);
      for (let i = 0; i < 25; i++) await rig.handle(reading('b', i));
      assert.equal(rig.runs.length, 1, 'b waits for a');
      assert.equal(rig.startedWhileTraining, false);
      await rig.answer();
      assert.equal(rig.runs.length, 2, 'b starts as soon as a ends');
      assert.deepEqual((rig.lastRun.job as AnomalyJob).baselines.map((b) => [b.key, b.rows.length]), [['b', 25]]);
      await rig.answer();
      assert.deepEqual(Object.keys(rig.live!.file.devices!), ['a', 'b']);
    });

    it('deviceModelFile keeps a shared part already in the file as the fallback, only for the same features', async () => {
      const shared = new Rig({ task: 'anomaly', warmup: 20 });
      for (let i = 0; i < 20; i++) await shared.handle(reading('x', i));
      await shared.answer();
      const seed = shared.live!;
      const perDevice = new Rig({ task: 'anomaly', scope: 'device', warmup: 20 });
      for (let i = 0; i < 20; i++) await perDevice.handle(reading('q', i));
      const message = (await runTrainJob(perDevice.lastRun.job)) as Extract<WorkerMessage, { kind: 'done-anomaly' }>;
      const trained = message.parts.map((p) => ({ key: p.key, model: p.model as ModelFile, metrics: p.metrics }));
      const head = { name: 'm', version: '2.0.0', createdAt: '2026-03-01T12:00:00.000Z' };
      const file = deviceModelFile(trained, ['q'], seed, ['a', 'b'], head, {});
      assert.ok(file !== null);
      assert.deepEqual(file.anomaly, seed.file.anomaly, 'the shared part stays');
      assert.deepEqual(Object.keys(file.devices!), ['q']);
      assert.equal(deviceModelFile(trained, ['q'], seed, ['a', 'c'], head, {})!.anomaly, undefined, 'not for other features');
      assert.equal(deviceModelFile(trained, ['z'], seed, ['a', 'b'], head, {}), null, 'no followed device has a part');
    });

    it('after a restart it adopts its own live model: learnt devices are not warmed up again, new ones are', async () => {
      const before = new Rig({ task: 'anomaly', scope: 'device', warmup: 20 });
      for (const device of ['a', 'b']) {
        for (let i = 0; i < 20; i++) await before.handle(reading(device, i));
        await before.answer();
      }
      const saved = before.live!.file;
      // The redeploy: a new session whose ml-model config loads the file written before.
      const after = new Rig({ task: 'anomaly', scope: 'device', warmup: 20 }, saved);
      after.session.liveModelChanged();
      assert.equal(after.session.status().text, '2 [devicesReady]');
      for (let i = 0; i < 30; i++) await after.handle(reading('a', i));
      assert.equal(after.runs.length, 0, 'a frozen baseline already learnt is not learnt again');
      for (let i = 0; i < 20; i++) await after.handle(reading('z', i));
      assert.deepEqual((after.lastRun.job as AnomalyJob).baselines.map((b) => b.key), ['z']);
      assert.equal((after.lastRun.job as AnomalyJob).options.version, '1.0.2', 'the version after the live one');
      await after.answer();
      assert.deepEqual(Object.keys(after.live!.file.devices!).sort(), ['a', 'b', 'z'], 'the adopted parts are kept');

      // A model someone else wrote is not adopted: its devices warm up like new ones.
      const foreign = new Rig({ task: 'anomaly', scope: 'device', warmup: 20 }, { ...saved, params: { ...saved.params, trainedBy: 'iot-ai train' } });
      foreign.session.liveModelChanged();
      for (let i = 0; i < 20; i++) await foreign.handle(reading('a', i));
      assert.deepEqual((foreign.lastRun.job as AnomalyJob).baselines.map((b) => b.key), ['a']);
    });

    it('after a restart, a rolling baseline with `every` below the minimum waits for enough windows before it retrains', async () => {
      const first = new Rig({ task: 'anomaly', warmup: 20, update: 'rolling', every: 5 });
      for (let i = 0; i < 20; i++) await first.handle(reading('x', i));
      await first.answer();
      const rig = new Rig({ task: 'anomaly', warmup: 20, update: 'rolling', every: 5 }, first.live!.file);
      rig.session.liveModelChanged();
      // Windows the adopted model flags are left out of the baseline, so count until a training starts.
      for (let i = 0; i < 60 && rig.runs.length === 0; i++) await rig.handle(reading('x', i));
      assert.deepEqual(
        (rig.lastRun.job as AnomalyJob).baselines.map((b) => b.rows.length),
        [ANOMALY_MIN_ROWS],
        `the adopted model is not replaced by one learnt from under ${ANOMALY_MIN_ROWS} windows`,
      );
      await rig.answer();
      assert.deepEqual(rig.faults, []);
      assert.equal(rig.live?.version, '1.0.1');
    });

    it('a warm-up that ends before the live model has loaded trains once it has (the version must be known)', async () => {
      const rig = new Rig({ task: 'anomaly', warmup: 20 });
      rig.loaded = false;
      for (let i = 0; i < 25; i++) await rig.handle(reading('x', i));
      assert.equal(rig.runs.length, 0);
      rig.loaded = true;
      rig.session.liveModelChanged();
      assert.equal(rig.runs.length, 1);
      assert.equal((rig.lastRun.job as AnomalyJob).baselines[0].rows.length, 25);
    });
  });

  describe('control messages', () => {
    it('msg.export writes the collected windows as CSV (a refused path is output 2); rollback and pin answer on output 1', async () => {
      const rig = new Rig({ exportPath: 'mine.csv' }, await toyClassifier('1.0.0'));
      for (let i = 0; i < 3; i++) await rig.handle(window(i));
      await rig.handle({ export: true });
      assert.deepEqual(rig.sent.shift()?.payload, { exported: 'exports/mine.csv', samples: 3 });
      assert.equal(rig.exports[0].csv.split(/\r?\n/).filter((line) => line !== '').length, 4, 'a header and three windows');
      await rig.handle({ export: '../flows.json' });
      assert.deepEqual(rig.refusedCodes(), ['path']);
      await rig.handle({ rollback: '1.0.0' });
      assert.deepEqual(rig.sent.shift()?.payload, { rolledBack: { name: 'toy', version: '1.0.0' }, replaced: '1.0.1' });
      await rig.handle({ rollback: '0.9' });
      await rig.handle({ pin: 42 });
      assert.deepEqual(rig.refusedCodes(), ['path', 'rollback', 'pin']);
      await rig.handle({ pin: true });
      assert.deepEqual(rig.sent.shift()?.payload, { pinned: '1.0.0', pins: ['1.0.0'] });
      await rig.handle({ reset: { deviceId: 'd1' } });
      assert.deepEqual(rig.refusedCodes(), ['path', 'rollback', 'pin', 'reset']);
      assert.equal(rig.warnings.length, 1);
    });
  });

  describe('properties', () => {
    type Event =
      | { kind: 'window'; i: number; labelled: boolean; label: string }
      | { kind: 'label'; device: number; label: string }
      | { kind: 'train' }
      | { kind: 'reset' }
      | { kind: 'answer'; how: 'train' | 'error' | 'exit' };
    const event: fc.Arbitrary<Event> = fc.oneof(
      { weight: 8, arbitrary: fc.record({ kind: fc.constant('window' as const), i: fc.nat(200), labelled: fc.boolean(), label: fc.constantFrom('on', 'off', 'idle') }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('label' as const), device: fc.nat(2), label: fc.constantFrom('on', 'off') }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('train' as const) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('reset' as const) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('answer' as const), how: fc.constantFrom('train' as const, 'error' as const, 'exit' as const) }) },
    );

    it(`labelled: for any windows, label events and train commands, no job has fewer than ${MIN_LABELLED} windows or more than maxSamples, and none starts while one runs`, async () => {
      // The generated sequences must reach what is checked: jobs, and train commands while one runs.
      const seen = { jobs: 0, busy: 0 };
      await fc.assert(
        fc.asyncProperty(fc.array(event, { maxLength: 120, size: 'max' }), fc.constantFrom(0, 5, 12), async (events, every) => {
          const rig = new Rig({ every, maxSamples: 40 });
          let t = 0;
          for (const e of events) {
            if (e.kind === 'window') {
              const w = window(e.i, e.label);
              t += 1000;
              await rig.handle({ payload: { ...w.payload, start: t, end: t + 1000 }, ...(e.labelled ? { label: w.label } : {}) });
            } else if (e.kind === 'label') await rig.handle({ payload: { deviceId: `d${e.device}`, label: e.label, start: 0, end: t + 1000 } });
            else if (e.kind === 'train') await rig.handle({ train: true });
            else if (e.kind === 'reset') await rig.handle({ reset: true });
            else if (rig.session.training) await rig.answer(e.how);
          }
          assert.equal(rig.startedWhileTraining, false, 'a job started while another ran');
          for (const run of rig.runs) {
            const records = (run.job as ForestJob).records;
            assert.ok(records.length >= MIN_LABELLED && records.length <= 40, `a job of ${records.length} windows`);
          }
          assert.ok(rig.runs.filter((run) => !run.answered).length <= 1, 'at most one worker is left unanswered');
          seen.jobs += rig.runs.length;
          seen.busy += rig.refusedCodes().filter((code) => code === 'busy').length;
        }),
        { numRuns: runs(40, 1000) },
      );
      assert.ok(seen.jobs > 0 && seen.busy > 0, JSON.stringify(seen));
    });

    it(`anomaly: for any windows, devices, resets, train commands and restarts, every baseline trained has at least ${ANOMALY_MIN_ROWS} windows and jobs never overlap`, async () => {
      const anomalyEvent = fc.oneof(
        { weight: 16, arbitrary: fc.record({ kind: fc.constant('window' as const), device: fc.constantFrom('a', 'b', 'c', 'd'), i: fc.nat(100) }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('train' as const) }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('reset' as const), device: fc.option(fc.constantFrom('a', 'b'), { nil: undefined }) }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('answer' as const), how: fc.constantFrom('train' as const, 'error' as const) }) },
      );
      // Models this node wrote before a restart, to adopt: shared, and for devices a and b.
      const written: Record<string, ModelFile> = {};
      for (const scope of ['shared', 'device']) {
        const before = new Rig({ task: 'anomaly', scope, warmup: 20 });
        for (const device of ['a', 'b']) {
          for (let i = 0; i < 20; i++) await before.handle(reading(device, i));
          if (before.session.training) await before.answer();
        }
        written[scope] = before.live!.file;
      }
      const seen = { jobs: 0, busy: 0 };
      await fc.assert(
        fc.asyncProperty(
          fc.array(anomalyEvent, { maxLength: 200, size: 'max' }),
          fc.record({ scope: fc.constantFrom('shared', 'device'), update: fc.constantFrom('frozen', 'rolling'), every: fc.constantFrom(0, 1, 30), maxDevices: fc.constantFrom(2, 4) }),
          fc.boolean(),
          async (events, config, restarted) => {
            const rig = new Rig({ task: 'anomaly', warmup: 20, maxSamples: 60, adaptAfter: 0, ...config }, restarted ? written[config.scope] : undefined);
            rig.session.liveModelChanged();
            for (const e of events) {
              if (e.kind === 'window') await rig.handle(reading(e.device, e.i));
              else if (e.kind === 'train') await rig.handle({ train: true });
              else if (e.kind === 'reset') await rig.handle({ reset: e.device === undefined || config.scope === 'shared' ? true : { deviceId: e.device } });
              else if (rig.session.training) await rig.answer(e.how);
            }
            assert.equal(rig.startedWhileTraining, false, 'a job started while another ran');
            for (const run of rig.runs) {
              for (const baseline of (run.job as AnomalyJob).baselines) {
                assert.ok(baseline.rows.length >= ANOMALY_MIN_ROWS && baseline.rows.length <= 60, `${baseline.key}: ${baseline.rows.length} windows`);
              }
            }
            seen.jobs += rig.runs.length;
            seen.busy += rig.refusedCodes().filter((code) => code === 'busy').length;
          },
        ),
        { numRuns: runs(30, 500) },
      );
      assert.ok(seen.jobs > 0 && seen.busy > 0, JSON.stringify(seen));
    });
  });
});

describe('core/model/train: live forecasts (target + horizon: the future of the stream labels each window)', () => {
  const MIN = 60_000;
  /** The target at minute m: a daily-free ramp with a wobble, known to the test. */
  const co = (m: number) => 400 + 10 * Math.sin(m / 3) + (m % 7);
  /** A 1-minute tumbling window of device `d` ending at minute m + 1, carrying co.last and co.mean (and an id). */
  const fw = (m: number, d = 'd0', extra: Record<string, number> = {}) => ({
    payload: { deviceId: d, start: m * MIN, end: (m + 1) * MIN, features: { id: m, 'co.last': co(m), 'co.mean': co(m) - 1, ...extra } },
  });
  /** The labelled examples, from msg.export: id (or end) → label. */
  async function exported(rig: Rig): Promise<Array<{ deviceId: string; end: number; id?: number; label: string }>> {
    await rig.handle({ export: 'x.csv' });
    const lines = rig.exports[rig.exports.length - 1].csv.trim().split(/\r?\n/);
    const header = lines[0].split(',');
    return lines.slice(1).map((line) => {
      const cells = line.split(',');
      const cell = (name: string) => cells[header.indexOf(name)];
      return { deviceId: cell('deviceId'), end: Number(cell('ts')), ...(header.includes('id') ? { id: Number(cell('id')) } : {}), label: cell('label') };
    });
  }

  it('a window is held until its device reaches end + horizon, then labelled with the target read in the next window', async () => {
    const rig = new Rig({ task: 'regression', target: 'co', horizon: '1min' });
    await rig.handle(fw(0));
    assert.equal(rig.session.status().text, '0 [samples] · 1 [held]');
    assert.deepEqual(await exported(rig), [], 'nothing labelled before the stream reaches end + 1 min');
    await rig.handle(fw(1));
    // Window 1 ([1 min, 2 min)) lies in [end, end + H) of window 0: its co.last is window 0's label.
    assert.deepEqual(await exported(rig), [{ deviceId: 'd0', end: MIN, id: 0, label: String(co(1)) }]);
    assert.equal(rig.session.status().text, '1 [samples] · 1 [held]');
    // Another device's stream labels nothing of d0.
    await rig.handle(fw(5, 'd1'));
    assert.equal((await exported(rig)).length, 1);
    assert.deepEqual(rig.refused, []);
  });

  it('from readings: the latest target value in [end, end + H) labels it (one at end counts, one at end + H does not), when a reading reaches end + H', async () => {
    const rig = new Rig({ task: 'regression', target: 'co', horizon: 60_000 });
    const read = (ts: number, value: number, sensor = 'co') => rig.handle({ payload: { deviceId: 'k', sensor, value, ts } });
    await read(59_999, 1); // before the end: persistence, not the label
    await rig.handle({ payload: { deviceId: 'k', start: 0, end: 60_000, features: { 'temp.mean': 20 } } });
    await read(60_000, 2);
    await read(90_000, 3, 'temp'); // another sensor: moves the stream, labels nothing
    await read(119_999, 4);
    assert.deepEqual(await exported(rig), [], 'not before the stream reaches end + H');
    await read(120_000, 5); // at end + H: the window's horizon has come; this value belongs to the next one
    const rows = await exported(rig);
    assert.deepEqual(rows.map((r) => [r.end, r.label]), [[60_000, '4']]);
    // A label stream does the same: { deviceId, label, ts }.
    const labels = new Rig({ task: 'classification', horizon: '30s' });
    await labels.handle({ payload: { deviceId: 'k', start: 0, end: 60_000, features: { 'temp.mean': 20 } } });
    await labels.handle({ payload: { deviceId: 'k', label: 'busy', ts: 75_000 } });
    await labels.handle({ payload: { deviceId: 'k', label: 'quiet', ts: 90_000 } });
    assert.deepEqual((await exported(labels)).map((r) => r.label), ['busy']);
  });

  it('a window whose device has no target value in [end, end + H) is left out and counted, never guessed', async () => {
    const rig = new Rig({ task: 'regression', target: 'co', horizon: 60_000 });
    await rig.handle({ payload: { deviceId: 'k', start: 0, end: 60_000, features: { 'temp.mean': 20 } } });
    await rig.handle({ payload: { deviceId: 'k', sensor: 'temp', value: 21, ts: 200_000 } });
    assert.deepEqual(await exported(rig), []);
    assert.equal(rig.session.status().text, '0 [samples] · 1 [leftOut]');
  });

  it('holding is bounded per device: beyond 1,000 windows the oldest are dropped and counted; other devices keep theirs', async () => {
    const rig = new Rig({ task: 'regression', target: 'co', horizon: '100h' });
    await rig.handle(fw(0, 'quiet'));
    for (let m = 0; m < 1005; m++) await rig.handle(fw(m, 'busy'));
    assert.equal(rig.session.status().text, '0 [samples] · 1001 [held] · 5 [dropped]');
    // The quiet device's window survived: 100 h later its stream labels it.
    await rig.handle(fw(6000, 'quiet'));
    assert.deepEqual((await exported(rig)).map((r) => [r.deviceId, r.id]), [['quiet', 0]]);
  });

  it('devices are bounded too: beyond 1,000 the quietest is forgotten and its held windows count as dropped; msg.reset forgets held windows', async () => {
    const rig = new Rig({ task: 'regression', target: 'co', horizon: '1h' });
    for (let d = 0; d <= 1000; d++) await rig.handle(fw(0, `dev${d}`));
    assert.equal(rig.session.status().text, '0 [samples] · 1000 [held] · 1 [dropped]');
    await rig.handle({ reset: 'dev5' });
    assert.equal(rig.session.status().text, '0 [samples] · 999 [held] · 1 [dropped]');
    await rig.handle({ reset: true });
    assert.equal(rig.session.status().text, '0 [samples] · 1 [dropped]');
  });

  it('classification from a label stream: the live accuracy shows in % beside the training accuracy', async () => {
    const rig = new Rig({ task: 'classification', horizon: '1min', every: 30, promote: 'always' });
    // Busy when the minute's count is high: the next minute's state follows this one's count.
    const state = (m: number) => ((m * 7) % 10 > 4 ? 'busy' : 'quiet');
    for (let m = 0; m < 70; m++) {
      await rig.handle({ payload: { deviceId: 'k', start: m * MIN, end: (m + 1) * MIN, features: { next: (((m + 1) * 7) % 10) } } });
      await rig.handle({ payload: { deviceId: 'k', label: state(m + 1), ts: (m + 1) * MIN + 1000 } });
      if (rig.session.training) await rig.answer();
    }
    assert.ok(rig.published.length >= 1);
    const live = rig.session.liveScore();
    assert.ok(live !== undefined && live.accuracy !== undefined && live.mae === undefined, JSON.stringify(live));
    assert.match(rig.session.status().text, /\[accuracy\] \[train\] [\d.]+% · \[live\] [\d.]+% \(\d+\)/);
  });

  it('a window with no deviceId or end, or a reading without ts, is refused on output 2 (nothing held in silence)', async () => {
    const rig = new Rig({ task: 'regression', target: 'co', horizon: 60_000 });
    await rig.handle({ payload: { features: { a: 1 } } });
    await rig.handle({ payload: { deviceId: 'k', sensor: 'co', value: 1 } });
    assert.deepEqual(rig.refusedCodes(), ['label', 'label']);
  });

  it('trains a forecast (file keeps horizon, metrics skill over persistence), then scores the live model on each window it labels: live MAE beside the training MAE in the status and on output 1', async () => {
    const rig = new Rig({ task: 'regression', target: 'co', horizon: '1min', every: 40, promote: 'always' });
    for (let m = 0; m <= 40; m++) await rig.handle(fw(m));
    assert.equal(rig.runs.length, 1);
    const job = rig.lastRun.job as ForestJob;
    assert.equal(job.records.length, 40);
    assert.deepEqual(job.options.forecast?.horizon, 60_000);
    // Persistence is the target known when the window closed: its own co.last.
    assert.deepEqual(Array.from(job.options.forecast?.persistence ?? []).slice(0, 3), [co(0), co(1), co(2)]);
    await rig.answer();
    const file = rig.published[0];
    assert.equal(file.horizon, 60_000);
    const metrics = rig.sent[0].payload as { metrics: { horizon: number; mae: number; skill: { persistence?: { mae: number } } }; live?: unknown };
    assert.equal(metrics.metrics.horizon, 60_000);
    assert.ok(metrics.metrics.skill.persistence !== undefined, 'skill over persistence in the metrics');
    assert.equal(metrics.live, undefined, 'no live score before a model was live');
    assert.match(rig.session.status().text, /\[mae\] \[train\] [\d.]+$/);
    // Now every labelled window is scored by the live model.
    for (let m = 41; m <= 80; m++) await rig.handle(fw(m));
    const live = rig.session.liveScore();
    assert.ok(live !== undefined && live.windows === 40 && live.version === file.version, JSON.stringify(live));
    // Its figure is the live model's own error on those windows.
    const loaded = load(file);
    let sum = 0;
    for (let m = 40; m < 80; m++) sum += Math.abs(co(m + 1) - (loaded.predict(fw(m).payload.features).ok ? ((loaded.predict(fw(m).payload.features) as { prediction: { value: number } }).prediction.value) : NaN));
    assert.ok(Math.abs((live.mae ?? NaN) - sum / 40) < 1e-9, `${live.mae} vs ${sum / 40}`);
    assert.match(rig.session.status().text, /\[mae\] \[train\] [\d.]+ · \[live\] [\d.]+ \(40\)/);
    await rig.answer();
    const second = rig.sent[rig.sent.length - 1].payload as { live?: { mae: number; windows: number; version: string } };
    assert.deepEqual(second.live, live, 'output 1 carries the live error of the model it replaced');
    // The status shows the figure of the model live now: none until its first window is labelled.
    assert.doesNotMatch(rig.session.status().text, /\[live\]/);
    await rig.handle(fw(81));
    assert.match(rig.session.status().text, /\[live\] [\d.]+ \(1\)/);
  });

  it('no horizon (as every flow saved before): a window without a label waits for a label event, as before', async () => {
    const rig = new Rig({ task: 'regression' });
    await rig.handle(fw(0));
    await rig.handle(fw(1));
    assert.equal(rig.session.status().text, '0 [samples] · 2 [waiting]');
    assert.equal(rig.session.liveScore(), undefined);
  });

  it('config: horizon in ms or with a unit; a target needs a horizon; a bad horizon is refused', () => {
    assert.equal(settingsOf({ horizon: '15min', target: 'co' }).horizon, 900_000);
    assert.equal(settingsOf({ horizon: 5000 }).horizon, 5000);
    assert.equal(settingsOf({ horizon: '' , target: '' }).horizon, undefined);
    assert.equal(settingsOf({}).horizon, undefined);
    assert.match(String((parseTrainConfig({ target: 'co' }) as { error: string }).error), /needs a horizon/);
    assert.match(String((parseTrainConfig({ horizon: '2 days' }) as { error: string }).error), /horizon must be/);
    assert.match(String((parseTrainConfig({ horizon: 0 }) as { error: string }).error), /horizon must be/);
  });

  it('property: no window is ever labelled with a value read before its end or at/after end + H (readings and the windows\' co.last alike)', async () => {
    let labelledSeen = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('window' as const), device: fc.constantFrom('a', 'b'), start: fc.integer({ min: 0, max: 200 }), length: fc.integer({ min: 1, max: 40 }), withTarget: fc.boolean() }),
            fc.record({ kind: fc.constant('reading' as const), device: fc.constantFrom('a', 'b'), ts: fc.integer({ min: 0, max: 260 }), target: fc.boolean() }),
          ),
          { maxLength: 80 },
        ),
        fc.integer({ min: 1, max: 60 }),
        async (events, horizon) => {
          const rig = new Rig({ task: 'regression', target: 'co', horizon });
          // Every target value is unique: its id says where (when) it was read.
          const readAt = new Map<number, { from: number; to: number }>();
          let next = 1;
          const windows: Array<{ id: number; end: number }> = [];
          for (const e of events) {
            const value = next++;
            if (e.kind === 'window') {
              const end = e.start + e.length;
              // A time window's last reading lies in [start, end).
              if (e.withTarget) readAt.set(value, { from: e.start, to: end - 1 });
              windows.push({ id: value, end });
              await rig.handle({ payload: { deviceId: e.device, start: e.start, end, features: { id: value, ...(e.withTarget ? { 'co.last': value } : {}) } } });
            } else {
              if (e.target) readAt.set(value, { from: e.ts, to: e.ts });
              await rig.handle({ payload: { deviceId: e.device, sensor: e.target ? 'co' : 'other', value, ts: e.ts } });
            }
          }
          for (const row of await exported(rig)) {
            const at = readAt.get(Number(row.label));
            assert.ok(at !== undefined, `label ${row.label} is a value that was read`);
            assert.ok(at.from >= row.end && at.to < row.end + horizon, `window ending ${row.end} labelled by a value read in [${at.from}, ${at.to}] with H ${horizon}`);
            labelledSeen++;
          }
          assert.deepEqual(rig.refused, []);
        },
      ),
      { numRuns: runs(100, 2000) },
    );
    assert.ok(labelledSeen > 0, 'the generated streams label windows');
  });
});
