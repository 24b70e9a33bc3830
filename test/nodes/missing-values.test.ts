/**
 * Issue #24 in the real Node-RED runtime: model-predict `missing` (reject | allow), actuator-command `allowMissing`,
 * and model-train learning from windows that lack a sensor.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { saveModel } from '../../src/core/model';
import { helper, harness, collect, getNode, settle, lastStatus } from '../helpers/runtime';
import { toyClassifier } from '../helpers/models';
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');
import modelTrain = require('../../src/nodes/model-train');
import actuatorCommand = require('../../src/nodes/actuator-command');

describe('missing values in the runtime (issue #24)', function () {
  this.timeout(40_000);
  let dir: string;
  let modelPath: string;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-gaps-'));
    modelPath = path.join(dir, 'toy.json');
    await saveModel(modelPath, await toyClassifier('1.0.0'));
    helper.settings({ userDir: dir });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // model-predict (n1) → actuator-command (a1) → commands / outcomes.
  const flow = (predictProps: Record<string, unknown>, actuatorProps: Record<string, unknown> = {}) => [
    ...harness('model-predict', { model: 'cfg', ...predictProps }, 2, [
      { id: 'a1', type: 'actuator-command', rules: [{ label: 'hot', command: { fan: 'ON' } }, { label: 'cold', command: { fan: 'OFF' } }], ...actuatorProps, wires: [['commands'], ['outcomes']] },
      { id: 'commands', type: 'helper' },
      { id: 'outcomes', type: 'helper' },
    ]),
    { id: 'cfg', type: 'ml-model', path: modelPath, watch: false },
  ];

  async function loaded() {
    const n1 = getNode('n1');
    for (let i = 0; i < 100 && !/toy v/.test(lastStatus(n1)?.text ?? ''); i++) await settle(20);
  }

  it('missing: reject (and a flow saved without the property) sends a prediction lacking a sensor to output 2, as before', async () => {
    for (const props of [{}, { missing: 'reject' }]) {
      await helper.load([mlModel, modelPredict, actuatorCommand], flow(props));
      await loaded();
      const out1 = collect('out1');
      const out2 = collect('out2');
      getNode('n1').receive({ payload: { deviceId: 'oven', features: { 'temp.mean': 40, 'noise.mean': null } } });
      const [error] = await out2.next(1);
      assert.deepEqual([error.error.code, error.error.path], ['features', '/features/noise.mean']);
      await settle();
      assert.equal(out1.messages.length, 0);
      await helper.unload();
    }
  });

  it('missing: allow predicts, lists prediction.missing, and actuator-command suppresses it (missing-features) by default', async () => {
    await helper.load([mlModel, modelPredict, actuatorCommand], flow({ missing: 'allow' }));
    await loaded();
    const out1 = collect('out1');
    const outcomes = collect('outcomes');
    const commands = collect('commands');
    getNode('n1').receive({ payload: { deviceId: 'oven', features: { 'temp.mean': 40 } } });
    const [predicted] = await out1.next(1);
    assert.equal(predicted.payload.prediction.label, 'hot');
    assert.deepEqual(predicted.payload.prediction.missing, ['noise.mean']);
    getNode('a1').receive(predicted);
    const [outcome] = await outcomes.next(1);
    assert.deepEqual([outcome.payload.status, outcome.payload.detail], ['suppressed', 'missing-features']);
    // A complete prediction still acts.
    getNode('n1').receive({ payload: { deviceId: 'oven', features: { 'temp.mean': 40, 'noise.mean': 2 } } });
    const [, complete] = await out1.next(2);
    assert.equal('missing' in complete.payload.prediction, false);
    getNode('a1').receive(complete);
    const [command] = await commands.next(1);
    assert.deepEqual(command.payload, { fan: 'ON' });
  });

  it('actuator-command allowMissing acts on a prediction made with missing features', async () => {
    await helper.load([mlModel, modelPredict, actuatorCommand], flow({ missing: 'allow' }, { allowMissing: true }));
    await loaded();
    const out1 = collect('out1');
    const commands = collect('commands');
    getNode('n1').receive({ payload: { deviceId: 'oven', features: { 'temp.mean': 12, 'noise.mean': null } } });
    const [predicted] = await out1.next(1);
    assert.deepEqual(predicted.payload.prediction.missing, ['noise.mean']);
    getNode('a1').receive(predicted);
    const [command] = await commands.next(1);
    assert.deepEqual(command.payload, { fan: 'OFF' });
  });

  it('model-train learns from windows that lack a sensor, and the model predicts with the gap', async () => {
    await helper.load([mlModel, modelPredict, modelTrain], [
      ...harness('model-train', { model: 'cfg', trees: 20 }, 2, [
        { id: 'p1', type: 'model-predict', model: 'cfg', missing: 'allow', property: 'payload.features', wires: [['predicted'], ['rejected']] },
        { id: 'predicted', type: 'helper' },
        { id: 'rejected', type: 'helper' },
      ]),
      { id: 'cfg', type: 'ml-model', path: modelPath, watch: false },
    ]);
    const out1 = collect('out1');
    const out2 = collect('out2');
    const predicted = collect('predicted');
    const n1 = getNode('n1');
    // The noise sensor is dead whenever the room is "away": its silence itself tells the class.
    for (let i = 0; i < 120; i++) {
      const away = i % 2 === 0;
      const features: Record<string, number | null> = { 'temp.mean': 18 + (i % 7) };
      if (!away) features['noise.mean'] = i % 5;
      else if (i % 4 === 0) features['noise.mean'] = null;
      n1.receive({ payload: { deviceId: 'd1', start: i * 1000, end: i * 1000 + 1000, features }, label: away ? 'away' : 'home' });
    }
    await settle(100);
    assert.equal(out2.messages.length, 0, JSON.stringify(out2.messages[0]?.error));
    n1.receive({ train: true });
    const [trained] = await out1.next(1, 30000);
    assert.ok(trained.payload.metrics.accuracy > 0.9, `held-out accuracy ${trained.payload.metrics.accuracy}`);
    const onDisk = JSON.parse(fs.readFileSync(modelPath, 'utf8'));
    const noise = onDisk.sketch.features.find((f: { name: string }) => f.name === 'noise.mean');
    assert.equal(noise.missing, 0.5, 'the training sketch keeps the missing share');
    assert.ok(onDisk.forest.trees.every((tree: { missingLeft?: number[] }) => Array.isArray(tree.missingLeft)));
    await settle(100);
    getNode('p1').receive({ payload: { features: { 'temp.mean': 20 } } });
    getNode('p1').receive({ payload: { features: { 'temp.mean': 20, 'noise.mean': 3 } } });
    const [gap, full] = await predicted.next(2);
    assert.deepEqual([gap.payload.prediction.label, gap.payload.prediction.missing], ['away', ['noise.mean']]);
    assert.equal(full.payload.prediction.label, 'home');
  });
});
