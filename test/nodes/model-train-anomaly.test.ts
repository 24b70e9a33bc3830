import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fitAnomalyModel, loadModel, saveModel, type LoadedModel } from '../../src/core/model';
import { helper, harness, collect, getNode, settle, type HelperNode } from '../helpers/runtime';
import { toyClassifier } from '../helpers/models';
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');
import modelTrain = require('../../src/nodes/model-train');

/** The text this node showed last (the helper's spy sees every node's status calls). */
function statusText(node: HelperNode): string | undefined {
  const calls: Array<{ thisValue: unknown; args: Array<{ text?: string }> }> = (node.status as any).getCalls?.() ?? [];
  const own = calls.filter((call) => call.thisValue === node);
  const text = own.length > 0 ? own[own.length - 1].args[0].text : undefined;
  // The test runtime does not load the palette's message catalogue: put the English words in.
  return text?.replace(/model-train\.status\.(\w+)/g, (_, key: string) => STATUS_WORDS[key] ?? key);
}
const STATUS_WORDS: Record<string, string> = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'nodes', 'model-train', 'locales', 'en-US', 'messages.json'), 'utf8'),
)['model-train'].status;

/** Seeded uniform noise in [-0.5, 0.5). */
function noise(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
}

/** A feature window of `deviceId` whose temperature sits at `level`. */
const windowAt = (deviceId: string, level: number, jitter: () => number, i = 0) => ({
  topic: deviceId,
  payload: { deviceId, start: i * 60_000, end: (i + 1) * 60_000, features: { 'temp.mean': level + jitter(), 'temp.std': 0.4 + 0.2 * jitter() } },
});

describe('model-train node: anomaly models learnt live', function () {
  this.timeout(60_000);
  let dir: string;
  let modelPath: string;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-train-anomaly-'));
    modelPath = path.join(dir, 'live.json');
    await saveModel(modelPath, await toyClassifier('1.0.0'));
    helper.settings({ userDir: dir });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // model-train (n1) and a model-predict (p1, to "predicted" / "unpredicted") on the same ml-model config.
  const flow = (props: Record<string, unknown>) => [
    ...harness('model-train', { model: 'cfg', task: 'anomaly', ...props }, 2, [
      { id: 'p1', type: 'model-predict', model: 'cfg', property: 'payload.features', wires: [['predicted'], ['unpredicted']] },
      { id: 'predicted', type: 'helper' },
      { id: 'unpredicted', type: 'helper' },
    ]),
    { id: 'cfg', type: 'ml-model', path: modelPath, watch: false },
  ];
  const load = (props: Record<string, unknown>) => helper.load([mlModel, modelPredict, modelTrain], flow(props));
  const onDisk = () => JSON.parse(fs.readFileSync(modelPath, 'utf8'));
  const liveModel = (): LoadedModel => {
    const loaded = loadModel(fs.readFileSync(modelPath));
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
    return loaded.model;
  };
  const judge = (model: LoadedModel, level: number, deviceId?: string) => {
    const result = model.predict({ 'temp.mean': level, 'temp.std': 0.4 }, deviceId === undefined ? {} : { deviceId });
    return result.ok ? result.prediction.label : result.error.code;
  };

  it('warms up, writes an anomaly model, and model-predict flags outliers and passes normal windows; frozen learns once', async () => {
    await load({ warmup: 40, update: 'frozen' });
    const out1 = collect('out1');
    const out2 = collect('out2');
    const predicted = collect('predicted');
    const n1 = getNode('n1');
    const jitter = noise(1);
    for (let i = 0; i < 37; i++) n1.receive(windowAt('room', 21, jitter, i));
    await settle(600);
    assert.equal(statusText(n1), 'warm-up 37/40');
    assert.equal(onDisk().task, 'classification', 'nothing is written during the warm-up');
    for (let i = 37; i < 40; i++) n1.receive(windowAt('room', 21, jitter, i));
    const [trained] = await out1.next(1, 30_000);
    assert.deepEqual(trained.payload.model, { name: 'toy', version: '1.0.1' });
    assert.equal(trained.payload.samples, 40);
    assert.equal(trained.payload.metrics.task, 'anomaly');
    assert.equal(trained.payload.metrics.method, 'robust-z', 'auto picks robust-z for 40 windows');
    const file = onDisk();
    assert.deepEqual([file.task, file.version, file.params.trainedBy, file.params.scope, file.params.update], ['anomaly', '1.0.1', 'model-train', 'shared', 'frozen']);

    const p1 = getNode('p1');
    const normals = Array.from({ length: 10 }, (_, i) => windowAt('room', 21, jitter, 100 + i));
    for (const msg of normals) p1.receive(msg);
    p1.receive(windowAt('room', 26, jitter, 200));
    p1.receive(windowAt('room', 15, jitter, 201));
    const predictions = (await predicted.next(12)).map((m) => m.payload.prediction);
    assert.deepEqual(predictions.slice(0, 10).map((p) => p.label), Array(10).fill('normal'));
    assert.deepEqual(predictions.slice(10).map((p) => p.label), ['anomaly', 'anomaly']);
    assert.ok(predictions.every((p) => p.model.version === '1.0.1' && p.score >= 0 && p.score <= 1));

    // Frozen: more windows never retrain; msg.train does.
    for (let i = 40; i < 140; i++) n1.receive(windowAt('room', 21, jitter, i));
    await settle(300);
    assert.equal(out1.messages.length, 1, 'a frozen baseline is learnt once');
    n1.receive({ train: true });
    const [, again] = await out1.next(2, 30_000);
    assert.equal(again.payload.model.version, '1.0.2');
    assert.equal(again.payload.samples, 140);
    assert.equal(out2.messages.length, 0);
    assert.equal(collect('caught').messages.length, 0);
  });

  it('rolling: learns again every N windows so the baseline follows slow change, leaving flagged windows out', async () => {
    // A fixed threshold (z = 3.5 for robust-z): with contamination 0.01 on 40 windows the threshold sits at the
    // training maximum, and a baseline that leaves flagged windows out can only follow drift within its range.
    await load({ warmup: 40, update: 'rolling', every: 40, maxSamples: 40, threshold: 0.5 });
    const out1 = collect('out1');
    const n1 = getNode('n1');
    const jitter = noise(2);
    let i = 0;
    for (; i < 40; i++) n1.receive(windowAt('room', 21, jitter, i));
    await out1.next(1, 30_000);
    const first = liveModel();

    // Outliers among the next windows: flagged by the live model, they are not learnt from.
    for (let k = 0; k < 40; k++, i++) {
      if (k % 8 === 0) n1.receive(windowAt('room', 40, jitter, i));
      n1.receive(windowAt('room', 21, jitter, i));
    }
    const [, second] = await out1.next(2, 30_000);
    assert.equal(second.payload.samples, 40);
    const learnt = onDisk();
    assert.ok(learnt.sketch.features[0].max < 23, `the outliers (40 °C) stayed out of training: max ${learnt.sketch.features[0].max}`);
    await settle(600);
    assert.match(statusText(n1) ?? '', /5 flagged/);

    // Slow drift: 0.01 °C per window over 200 windows, spaced in time so that trainings end between them.
    let level = 21;
    for (let k = 0; k < 200; k++, i++) {
      level += 0.01;
      n1.receive(windowAt('room', level, jitter, i));
      await settle(25);
    }
    for (let wait = 0; wait < 100 && /training/.test(statusText(n1) ?? 'training'); wait++) await settle(100);
    const latest = liveModel();
    assert.ok(out1.messages.length >= 6, `${out1.messages.length} trainings`);
    assert.equal(judge(latest, 23), 'normal', 'the rolling baseline moved with the drift');
    assert.equal(judge(first, 23), 'anomaly', 'the first (frozen) baseline calls the drifted level an anomaly');
    assert.equal(judge(latest, 21), 'anomaly', 'and the old level is now strange');
  });

  it('rolling: adopts a lasting shift after adaptAfter windows (#25.3); adaptAfter 0 keeps it flagged for good', async () => {
    for (const adaptAfter of [30, 0]) {
      await load({ warmup: 40, update: 'rolling', every: 40, maxSamples: 200, adaptAfter });
      const out1 = collect('out1');
      const out2 = collect('out2');
      const n1 = getNode('n1');
      const jitter = noise(3);
      let i = 0;
      for (; i < 40; i++) n1.receive(windowAt('room', 21, jitter, i));
      await out1.next(1, 30_000);
      assert.equal(judge(liveModel(), 30), 'anomaly');
      // A lasting shift to 30 °C, spaced in time so that trainings end between windows.
      for (let k = 0; k < 110; k++, i++) {
        n1.receive(windowAt('room', 30, jitter, i));
        await settle(25);
      }
      for (let wait = 0; wait < 100 && /training/.test(statusText(n1) ?? 'training'); wait++) await settle(100);
      const file = onDisk();
      if (adaptAfter > 0) {
        assert.equal(file.params.adaptAfter, 30);
        // Adopted after 30 windows (learnt from exactly those), then warmed up again over 40 more windows, all kept
        // (30 + 40, or a few more had a training still been running then), and judged normal.
        const samples = out1.messages.map((m) => m.payload.samples);
        assert.deepEqual(samples.slice(0, 2), [40, 30], `samples of each training: ${samples.join(', ')}`);
        assert.ok(samples[2] >= 70 && samples[2] <= 75, `samples of each training: ${samples.join(', ')}`);
        assert.equal(judge(liveModel(), 30), 'normal', 'the new level was adopted');
        assert.equal(judge(liveModel(), 21), 'anomaly', 'and the old level is now strange');
        assert.ok(file.sketch.features[0].min > 29, `learnt from the new level only: min ${file.sketch.features[0].min}`);
      } else {
        assert.equal(file.params.adaptAfter, 0);
        assert.equal(out1.messages.length, 1, 'every window of the new level was left out: no training');
        assert.equal(judge(liveModel(), 30), 'anomaly', 'adaptAfter 0: flagged for good, as before');
      }
      assert.equal(out2.messages.length, 0);
      await helper.unload();
      fs.writeFileSync(modelPath, JSON.stringify(await toyClassifier('1.0.0')));
    }
  });

  it('refuses adaptAfter between 1 and 19 at deploy', async () => {
    await load({ warmup: 40, update: 'rolling', adaptAfter: 5 });
    const n1 = getNode('n1');
    const out2 = collect('out2');
    n1.receive(windowAt('room', 21, noise(4), 0));
    await settle(300);
    assert.match(JSON.stringify(out2.messages.map((m) => m.error)) + (statusText(n1) ?? ''), /adaptAfter must be 0 \(never\) or at least 20/);
  });

  it('per device: each device is judged by its own baseline, each with its own warm-up', async () => {
    await load({ warmup: 30, scope: 'device' });
    const out1 = collect('out1');
    const unpredicted = collect('unpredicted');
    const n1 = getNode('n1');
    const jitter = noise(3);
    for (let i = 0; i < 30; i++) {
      n1.receive(windowAt('cool', 20, jitter, i));
      n1.receive(windowAt('warm', 30, jitter, i));
      if (i < 5) n1.receive(windowAt('late', 25, jitter, i));
    }
    const trained = await out1.next(2, 30_000);
    await settle(200);
    // The two devices may be learnt in one job or in two.
    const byDevice = new Map<string, string>(out1.messages.map((m) => [m.payload.deviceId, m.payload.model.version]));
    assert.deepEqual([...byDevice.keys()].sort(), ['cool', 'warm']);
    assert.ok(trained.every((m) => m.payload.samples === 30 && m.payload.metrics.task === 'anomaly'));
    const file = onDisk();
    assert.equal(file.anomaly, undefined, 'no shared part in device scope');
    assert.deepEqual(Object.keys(file.devices).sort(), ['cool', 'warm']);
    await settle(600);
    assert.match(statusText(n1) ?? '', /2 devices ready · 1 warming up/);

    const live = liveModel();
    assert.equal(judge(live, 20, 'cool'), 'normal');
    assert.equal(judge(live, 30, 'cool'), 'anomaly', '30 °C is normal for warm but not for cool');
    assert.equal(judge(live, 30, 'warm'), 'normal');
    assert.equal(judge(live, 20, 'warm'), 'anomaly');
    assert.equal(judge(live, 25, 'late'), 'warmup', 'a device still warming up has no baseline');
    // The same model file through model-predict; without a deviceId there is no baseline to judge by.
    getNode('p1').receive({ payload: { features: { 'temp.mean': 20, 'temp.std': 0.4 } } });
    const [refused] = await unpredicted.next(1);
    assert.equal(refused.error.code, 'device');
    // With payload.deviceId, model-predict judges each device by its own part.
    const predicted = collect('predicted');
    const p1 = getNode('p1');
    for (const [deviceId, level] of [['cool', 30], ['warm', 30], ['cool', 20], ['warm', 20]] as const) {
      p1.receive({ payload: { deviceId, features: { 'temp.mean': level, 'temp.std': 0.4 } } });
    }
    const verdicts = (await predicted.next(4)).map((m) => `${m.payload.deviceId}@${m.payload.features['temp.mean']}:${m.payload.prediction.label}`);
    assert.deepEqual(verdicts, ['cool@30:anomaly', 'warm@30:normal', 'cool@20:normal', 'warm@20:anomaly']);
    p1.receive({ payload: { deviceId: 'late', features: { 'temp.mean': 25, 'temp.std': 0.4 } } });
    const warming = (await unpredicted.next(2))[1];
    assert.equal(warming.error.code, 'warmup');

    for (let i = 5; i < 30; i++) n1.receive(windowAt('late', 25, jitter, i));
    await out1.next(3, 30_000);
    const three = liveModel();
    assert.deepEqual(three.deviceIds.sort(), ['cool', 'late', 'warm'], 'earlier parts are kept when a new device is learnt');
    assert.equal(judge(three, 25, 'late'), 'normal');
    assert.equal(judge(three, 20, 'cool'), 'normal');
  });

  it('per device: a shared model already in the file (a seed) stays as the fallback for devices still warming up', async () => {
    // Seed the file with a shared robust-z model of a 25 °C room, as a bundled model seeds an ml-model path.
    const jitterSeed = noise(9);
    const seedRecords = Array.from({ length: 60 }, (_, i) => ({ features: windowAt('any', 25, jitterSeed, i).payload.features }));
    const seeded = await fitAnomalyModel(seedRecords, { name: 'seed', createdAt: new Date(0), method: 'robust-z' });
    assert.ok(seeded.ok);
    await saveModel(modelPath, seeded.result.model);
    await load({ warmup: 30, scope: 'device' });
    const out1 = collect('out1');
    const n1 = getNode('n1');
    const jitter = noise(4);
    for (let i = 0; i < 30; i++) n1.receive(windowAt('cool', 20, jitter, i));
    await out1.next(1, 30_000);
    await settle(200);
    const file = onDisk();
    assert.deepEqual(Object.keys(file.devices), ['cool']);
    assert.equal(file.anomaly.method, 'robust-z', 'the seed\'s shared part is kept');
    const live = liveModel();
    assert.equal(judge(live, 20, 'cool'), 'normal', 'cool is judged by its own baseline');
    assert.equal(judge(live, 20, 'new'), 'anomaly', 'a device still warming up is judged by the shared 25 °C baseline');
    assert.equal(judge(live, 25, 'new'), 'normal');
  });

  it('per device: follows at most maxDevices devices, forgetting the least recently heard', async () => {
    await load({ warmup: 20, scope: 'device', maxDevices: 2 });
    const out1 = collect('out1');
    const n1 = getNode('n1');
    const jitter = noise(4);
    for (let i = 0; i < 20; i++) n1.receive(windowAt('a', 10, jitter, i));
    await out1.next(1, 30_000);
    for (let i = 0; i < 20; i++) n1.receive(windowAt('b', 20, jitter, i));
    await out1.next(2, 30_000);
    assert.deepEqual(liveModel().deviceIds.sort(), ['a', 'b']);
    n1.receive(windowAt('a', 10, jitter, 21)); // a is now heard from more recently than b
    for (let i = 0; i < 20; i++) n1.receive(windowAt('c', 30, jitter, i));
    const [, , third] = await out1.next(3, 30_000);
    assert.equal(third.payload.deviceId, 'c');
    const live = liveModel();
    assert.deepEqual(live.deviceIds.sort(), ['a', 'c'], 'b was heard from least recently and is forgotten');
    assert.equal(judge(live, 20, 'b'), 'warmup');
    assert.equal(judge(live, 30, 'c'), 'normal');
  });

  it('sends bad windows and requests to output 2 with a code, never to Catch', async () => {
    await load({ warmup: 20 });
    const out2 = collect('out2');
    const completed = collect('completed');
    const n1 = getNode('n1');
    n1.receive({ train: true });
    n1.receive(windowAt('room', 21, noise(5)));
    n1.receive({ payload: { deviceId: 'room', features: { 'temp.mean': 'hot', 'temp.std': 0.4 } } });
    n1.receive({ payload: { deviceId: 'room', features: { 'temp.mean': 21, 'hum.mean': 40 } } });
    n1.receive({ payload: { deviceId: 'room', features: { 'temp.mean': 21, 'temp.std': 0.4, 'hum.mean': 40 } } });
    n1.receive({ payload: { deviceId: 'room', label: 'idle', ts: 5 } });
    n1.receive({ payload: 42 });
    const refused = await out2.next(6);
    assert.deepEqual(refused.map((m) => m.error.code), ['too-few-samples', 'features', 'features', 'features', 'features', 'features']);
    assert.equal(refused[1].error.path, '/features/temp.mean');
    assert.match(refused[2].error.message, /"temp.std" is missing/);
    assert.match(refused[3].error.message, /unexpected feature "hum.mean"/);
    await completed.next(7);
    // The one good window, exported as a CSV that iot-ai train --task anomaly reads.
    n1.receive({ export: 'windows.csv' });
    const [exported] = await collect('out1').next(1);
    assert.equal(exported.payload.samples, 1);
    const lines = fs.readFileSync(path.join(dir, 'iot-ai-exports', 'windows.csv'), 'utf8').trim().split('\n');
    assert.equal(lines[0], 'deviceId,temp.mean,temp.std');
    assert.equal(lines.length, 2);
    await settle(50);
    assert.equal(collect('caught').messages.length, 0);
  });

  it('after a restart keeps a frozen baseline (no new warm-up), and msg.reset starts it over', async () => {
    const props = { warmup: 30 };
    await load(props);
    const jitter = noise(6);
    let out1 = collect('out1');
    for (let i = 0; i < 30; i++) getNode('n1').receive(windowAt('room', 21, jitter, i));
    await out1.next(1, 30_000);
    await helper.unload();

    await load(props);
    out1 = collect('out1');
    const n1 = getNode('n1');
    await settle(200);
    for (let i = 0; i < 40; i++) n1.receive(windowAt('room', 21, jitter, i));
    n1.receive(windowAt('room', 35, jitter, 41));
    await settle(800);
    assert.equal(out1.messages.length, 0, 'the redeployed node took over the live baseline');
    assert.equal(onDisk().version, '1.0.1');
    const counts = /^(\d+) windows · (\d+) flagged$/.exec(statusText(n1) ?? '');
    assert.ok(counts, statusText(n1));
    assert.equal(Number(counts[1]) + Number(counts[2]), 41, 'every window is either learnt from or flagged');
    assert.ok(Number(counts[2]) >= 1 && Number(counts[2]) <= 5, 'the 35 °C window is flagged, and few normal ones');

    n1.receive({ reset: true });
    for (let i = 0; i < 29; i++) n1.receive(windowAt('room', 24, jitter, i));
    await settle(600);
    assert.equal(statusText(n1), 'warm-up 29/30');
    n1.receive(windowAt('room', 24, jitter, 30));
    const [relearnt] = await out1.next(1, 30_000);
    assert.equal(relearnt.payload.model.version, '1.0.2');
    assert.equal(judge(liveModel(), 24), 'normal');
  });

  it('regression task: trains a regression forest from numeric labels', async () => {
    await helper.load([mlModel, modelPredict, modelTrain], flow({ task: 'regression', trees: 10 }));
    const out1 = collect('out1');
    const n1 = getNode('n1');
    // Three cycles: the held-out windows are the newest (time order), each value seen twice in training.
    for (let i = 0; i < 90; i++) n1.receive({ payload: { features: { 'temp.mean': i % 30, 'temp.std': (i * 7) % 5 } }, label: 2 * (i % 30) });
    n1.receive({ train: true });
    const [trained] = await out1.next(1, 30_000);
    assert.equal(trained.payload.metrics.task, 'regression');
    assert.equal(onDisk().task, 'regression');
    assert.ok(trained.payload.metrics.r2 > 0.8, `r2 ${trained.payload.metrics.r2}`);
  });
});
