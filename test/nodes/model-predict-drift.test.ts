import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { fitAnomalyModel, saveModel, type DeviceAnomalyPart, type ModelFile } from '../../src/core/model';
import { helper, harness, collect, getNode, settle, lastStatus } from '../helpers/runtime';
import { toyClassifier } from '../helpers/models';
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');

/** A seeded stream of normal-looking windows for the robust-z model below. */
function* normalWindows(seed: number): Generator<Record<string, number>> {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (;;) yield { 'temp.mean': 20 + (next() - 0.5) * 2, 'hum.mean': 50 + (next() - 0.5) * 4 };
}

describe('model-predict: anomaly threshold and drift monitoring', function () {
  let dir: string;
  let classifierPath: string;
  let anomalyPath: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-drift-'));
    classifierPath = path.join(dir, 'toy.json');
    anomalyPath = path.join(dir, 'room.json');
    await saveModel(classifierPath, await toyClassifier('1.0.0'));
    const source = normalWindows(3);
    const records = Array.from({ length: 200 }, () => ({ features: source.next().value as Record<string, number> }));
    const fitted = await fitAnomalyModel(records, { name: 'room', createdAt: new Date(0), method: 'robust-z', contamination: 0.01 });
    if (!fitted.ok) throw new Error(fitted.error);
    await saveModel(anomalyPath, fitted.result.model);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  const flow = (modelPath: string, props: Record<string, unknown> = {}, outputs = 2) => [
    ...harness('model-predict', { model: 'cfg', ...props }, outputs),
    { id: 'cfg', type: 'ml-model', path: modelPath },
  ];
  /** The status is throttled: wait for it to show what the test expects. */
  async function statusMatching(pattern: RegExp): Promise<{ text: string; shape: string; fill: string }> {
    const n1 = getNode('n1');
    for (let i = 0; i < 100 && !pattern.test(lastStatus(n1)?.text ?? ''); i++) await settle(20);
    return lastStatus(n1) as { text: string; shape: string; fill: string };
  }
  async function loaded(name: string) {
    const n1 = getNode('n1');
    for (let i = 0; i < 100 && !new RegExp(`${name} v`).test(lastStatus(n1)?.text ?? ''); i++) await settle(20);
  }

  it('scores anomaly models 0–1 and labels at the model threshold, or at the node threshold when set', async () => {
    const model = JSON.parse(fs.readFileSync(anomalyPath, 'utf8'));
    await helper.load([mlModel, modelPredict], flow(anomalyPath));
    await loaded('room');
    const out1 = collect('out1');
    const n1 = getNode('n1');
    n1.receive({ payload: { deviceId: 'r1', features: { 'temp.mean': 20.1, 'hum.mean': 50.3 } } });
    n1.receive({ payload: { deviceId: 'r1', features: { 'temp.mean': 31, 'hum.mean': 50 } } });
    const [normal, strange] = (await out1.next(2)).map((m) => m.payload.prediction);
    assert.equal(normal.label, 'normal');
    assert.equal(strange.label, 'anomaly');
    assert.ok(strange.score > model.anomaly.threshold && normal.score <= model.anomaly.threshold);
    assert.ok(strange.score <= 1 && normal.score >= 0);
    assert.match((await statusMatching(/^2 .* · 1 /)).text, /^2 (predictions|model-predict.status.predictions) · 1 (anomalies|model-predict.status.anomalies) · room v/);
  });

  it('labels anomaly exactly when the score is above the node threshold (property)', async () => {
    // One deployment per threshold would be slow: the threshold is a fixed node property, so check several.
    for (const threshold of [0.05, 0.5, 0.95]) {
      await helper.load([mlModel, modelPredict], flow(anomalyPath, { threshold, drift: false }));
      await loaded('room');
      const out1 = collect('out1');
      const n1 = getNode('n1');
      const samples = fc.sample(fc.record({ 'temp.mean': fc.double({ min: 10, max: 30, noNaN: true }), 'hum.mean': fc.double({ min: 30, max: 70, noNaN: true }) }), { numRuns: 40, seed: threshold * 100 });
      n1.receive({ payload: samples.map((features) => ({ features })) });
      const [batch] = await out1.next(1);
      assert.equal(batch.payload.length, samples.length);
      for (const { prediction } of batch.payload) assert.equal(prediction.label, prediction.score > threshold ? 'anomaly' : 'normal');
      await helper.unload();
    }
  });

  it('flags drifted features on predictions, in the status and on a third output, and says when they recover', async () => {
    await helper.load([mlModel, modelPredict], flow(classifierPath, { driftWindow: 100, driftOutput: true }, 3));
    await loaded('toy');
    const out1 = collect('out1');
    const out3 = collect('out3');
    const n1 = getNode('n1');
    // In distribution: temp.mean over 10–41, noise.mean over 0–12, as in training.
    const inside = (i: number) => ({ 'temp.mean': 10 + ((i * 7) % 40) * 0.8, 'noise.mean': (i * 5) % 13 });
    for (let i = 0; i < 60; i++) n1.receive({ payload: { features: inside(i) } });
    const calm = await out1.next(60);
    assert.ok(calm.every((m) => m.payload.prediction.drift === undefined), 'no drift while the data looks like training');
    assert.equal(out3.messages.length, 0);

    // The temperature sensor starts reading far above anything seen in training; noise stays as it was.
    for (let i = 0; i < 50; i++) n1.receive({ payload: { features: { ...inside(i), 'temp.mean': 80 + (i % 5) } } });
    const hot = await out1.next(110);
    const flagged = hot.slice(60).filter((m) => m.payload.prediction.drift);
    assert.ok(flagged.length > 10, `most shifted windows are flagged (${flagged.length})`);
    for (const m of flagged) {
      assert.equal(m.payload.prediction.drift.drifted, true);
      assert.deepEqual(m.payload.prediction.drift.features, ['temp.mean']);
      assert.ok(m.payload.prediction.drift.maxPsi >= 0.2);
    }
    const [started] = await out3.next(1);
    assert.equal(started.topic, 'toy');
    assert.equal(started.payload.drifted, true);
    assert.deepEqual(started.payload.driftedFeatures, ['temp.mean']);
    assert.equal(started.payload.features['noise.mean'].drifted, false);
    assert.deepEqual(started.payload.model, { name: 'toy', version: '1.0.0' });
    const drifted = await statusMatching(/drift: temp\.mean/);
    assert.match(drifted.text, /drift: temp\.mean$/);
    assert.equal(drifted.shape, 'ring');

    // Back to normal: once the live sample is in distribution again, one "recovered" message.
    for (let i = 0; i < 120; i++) n1.receive({ payload: { features: inside(i + 3) } });
    await out1.next(230);
    const messages = await out3.next(2);
    assert.equal(messages[1].payload.drifted, false);
    assert.deepEqual(messages[1].payload.driftedFeatures, []);
    assert.doesNotMatch((await statusMatching(/^230 /)).text, /drift/);
    assert.equal(out1.messages.at(-1)?.payload.prediction.drift, undefined);
  });

  it('per device: only the drifting device is flagged', async () => {
    await helper.load([mlModel, modelPredict], flow(classifierPath, { driftWindow: 100, driftScope: 'device', driftOutput: true }, 3));
    await loaded('toy');
    const out1 = collect('out1');
    const out3 = collect('out3');
    const n1 = getNode('n1');
    for (let i = 0; i < 100; i++) {
      n1.receive({ payload: { deviceId: 'steady', features: { 'temp.mean': 10 + ((i * 7) % 40) * 0.8, 'noise.mean': (i * 5) % 13 } } });
      n1.receive({ payload: { deviceId: 'stuck', features: { 'temp.mean': 10 + ((i * 7) % 40) * 0.8, 'noise.mean': 40 } } });
    }
    const all = await out1.next(200);
    assert.ok(all.filter((m) => m.payload.deviceId === 'steady').every((m) => m.payload.prediction.drift === undefined));
    assert.ok(all.filter((m) => m.payload.deviceId === 'stuck').some((m) => m.payload.prediction.drift?.features.includes('noise.mean')));
    const [message] = await out3.next(1);
    assert.equal(message.topic, 'stuck');
    assert.equal(message.payload.deviceId, 'stuck');
    assert.deepEqual(message.payload.driftedFeatures, ['noise.mean']);
    await settle();
    assert.equal(out3.messages.length, 1);
    assert.match((await statusMatching(/drift: /)).text, /drift: 1 (devices|model-predict.status.devices) noise\.mean$/);
  });

  it('per device with per-device anomaly parts: each device is compared with its own training data', async () => {
    // Two rooms learnt apart: cool at 20 °C, warm at 30 °C. 30 °C is the warm room's normal and the cool one's drift.
    const room = (level: number, seed: number) => {
      let x = seed >>> 0;
      const next = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5);
      return () => ({ 'temp.mean': level + 2 * next(), 'hum.mean': 50 + 4 * next() });
    };
    const fit = async (level: number, seed: number): Promise<ModelFile> => {
      const windows = room(level, seed);
      const fitted = await fitAnomalyModel(Array.from({ length: 1000 }, () => ({ features: windows() })), { name: 'rooms', createdAt: new Date(0), method: 'robust-z' });
      if (!fitted.ok) throw new Error(fitted.error);
      return fitted.result.model;
    };
    const cool = await fit(20, 1);
    const warm = await fit(30, 2);
    const part = (m: ModelFile): DeviceAnomalyPart => ({ anomaly: m.anomaly!, sketch: m.sketch, metrics: m.metrics, createdAt: m.createdAt });
    const { anomaly: _anomaly, sketch: _sketch, ...head } = cool;
    const roomsPath = path.join(dir, 'rooms.json');
    await saveModel(roomsPath, { ...head, devices: { cool: part(cool), warm: part(warm) } });
    await helper.load([mlModel, modelPredict], flow(roomsPath, { driftWindow: 250, driftScope: 'device', driftOutput: true }, 3));
    await loaded('rooms');
    const out1 = collect('out1');
    const out3 = collect('out3');
    const n1 = getNode('n1');
    // Live windows like the warm room's training data (another seed), sent as both rooms. PSI over fewer than a
    // hundred vectors is noisy (about 0.2 for 40): a live sample of 250, reported from 100 on.
    const live = room(30, 99);
    for (let i = 0; i < 250; i++) {
      const features = live();
      n1.receive({ payload: { deviceId: 'warm', features } });
      n1.receive({ payload: { deviceId: 'cool', features } });
    }
    const all = await out1.next(500);
    assert.ok(all.filter((m) => m.payload.deviceId === 'warm').every((m) => m.payload.prediction.drift === undefined), 'warm is where it learnt');
    assert.ok(all.filter((m) => m.payload.deviceId === 'cool').some((m) => m.payload.prediction.drift?.features.includes('temp.mean')));
    const [message] = await out3.next(1);
    assert.equal(message.payload.deviceId, 'cool');
    assert.deepEqual(message.payload.driftedFeatures, ['temp.mean']);
    await settle();
    assert.equal(out3.messages.length, 1);
  });

  it('with drift off, predictions carry no drift flag', async () => {
    await helper.load([mlModel, modelPredict], flow(classifierPath, { drift: false, driftWindow: 10 }));
    await loaded('toy');
    const out1 = collect('out1');
    const n1 = getNode('n1');
    for (let i = 0; i < 30; i++) n1.receive({ payload: { features: { 'temp.mean': 90, 'noise.mean': 40 } } });
    const all = await out1.next(30);
    assert.ok(all.every((m) => m.payload.prediction.drift === undefined));
    assert.doesNotMatch((await statusMatching(/^30 /)).text, /drift/);
  });

  it('refuses a threshold outside 0–1: the status says so and messages go to Catch nodes', async () => {
    await helper.load([mlModel, modelPredict], flow(anomalyPath, { threshold: 2 }));
    const n1 = getNode('n1');
    const caught = collect('caught');
    for (let i = 0; i < 50 && lastStatus(n1)?.fill !== 'red'; i++) await settle(20);
    assert.match((await statusMatching(/threshold/)).text, /threshold must be at most 1/);
    n1.receive({ payload: { features: { 'temp.mean': 20, 'hum.mean': 50 } } });
    const [error] = await caught.next(1);
    assert.match(error.error.message, /threshold must be at most 1/);
  });
});
