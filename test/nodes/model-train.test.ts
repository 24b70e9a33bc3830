import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { saveModel } from '../../src/core/model';
import { parseCsv } from '../../src/core/model/data/csv';
import { helper, harness, collect, getNode, settle } from '../helpers/runtime';
import { toyClassifier } from '../helpers/models';
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');
import modelTrain = require('../../src/nodes/model-train');

describe('model-train node', function () {
  let dir: string;
  let modelPath: string;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-train-'));
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

  // model-train (n1) and a model-predict (p1, to "predicted") on the same ml-model config.
  const flow = (props: Record<string, unknown> = {}) => [
    ...harness('model-train', { model: 'cfg', trees: 10, ...props }, 2, [
      { id: 'p1', type: 'model-predict', model: 'cfg', property: 'payload.features', wires: [['predicted'], []] },
      { id: 'predicted', type: 'helper' },
    ]),
    { id: 'cfg', type: 'ml-model', path: modelPath, watch: false },
  ];

  // The opposite of the toy model: hot below 25.
  const window = (i: number) => {
    const temp = 10 + (i % 40) * 0.8;
    return { payload: { deviceId: `d${i % 3}`, start: i * 1000, end: i * 1000 + 1000, features: { 'temp.mean': temp, 'noise.mean': i % 5 } }, label: temp < 25 ? 'hot' : 'cold' };
  };

  it('trains on msg.train in a worker, writes the model, and model-predict switches to it without a redeploy', async () => {
    await helper.load([mlModel, modelPredict, modelTrain], flow());
    const out1 = collect('out1');
    const predicted = collect('predicted');
    const n1 = getNode('n1');
    for (let i = 0; i < 80; i++) n1.receive(window(i));
    await settle(100);
    getNode('p1').receive({ payload: { features: { 'temp.mean': 40, 'noise.mean': 0 } } });
    assert.equal((await predicted.next(1))[0].payload.prediction.label, 'hot', 'the toy model before training');
    n1.receive({ train: true });
    const [trained] = await out1.next(1, 30000);
    assert.deepEqual(trained.payload.model, { name: 'toy', version: '1.0.1' });
    assert.equal(trained.payload.samples, 80);
    assert.ok(trained.payload.metrics.accuracy > 0.9, `held-out accuracy ${trained.payload.metrics.accuracy}`);
    const onDisk = JSON.parse(fs.readFileSync(modelPath, 'utf8'));
    assert.equal(onDisk.version, '1.0.1');
    getNode('p1').receive({ payload: { features: { 'temp.mean': 40, 'noise.mean': 0 } } });
    const [, after] = await predicted.next(2);
    assert.deepEqual([after.payload.prediction.label, after.payload.prediction.model.version], ['cold', '1.0.1']);

    n1.receive({ rollback: true });
    const [, rolled] = await out1.next(2);
    assert.deepEqual(rolled.payload.rolledBack, { name: 'toy', version: '1.0.0' });
    getNode('p1').receive({ payload: { features: { 'temp.mean': 40, 'noise.mean': 0 } } });
    const [, , back] = await predicted.next(3);
    assert.deepEqual([back.payload.prediction.label, back.payload.prediction.model.version], ['hot', '1.0.0']);
  });

  it('tune: each training chooses how finely its trees split by validation, and the model file says what and why (#21.3)', async () => {
    await helper.load([mlModel, modelPredict, modelTrain], flow({ tune: true }));
    const out1 = collect('out1');
    const n1 = getNode('n1');
    for (let i = 0; i < 120; i++) n1.receive(window(i));
    n1.receive({ train: true });
    const [trained] = await out1.next(1, 60000);
    const tuning = trained.payload.metrics.tuning;
    assert.ok(tuning, 'the trained model reports its tuning');
    assert.equal(tuning.candidates, 27);
    assert.ok(tuning.trials.length >= 1 && tuning.trials.length <= 27);
    assert.deepEqual([tuning.trials[0].minGain, tuning.trials[0].minSamplesLeaf, tuning.trials[0].maxFeatures], [0, 1, 'sqrt'], 'the defaults first');
    // Validated on the training windows only: the held-out newest 24 (0.2 of 120) are the gate's.
    assert.equal(tuning.trainRows + tuning.validationRows, 96);
    const onDisk = JSON.parse(fs.readFileSync(modelPath, 'utf8'));
    assert.deepEqual([onDisk.params.minGain, onDisk.params.minSamplesLeaf], [tuning.chosen.minGain, tuning.chosen.minSamplesLeaf], 'trained with the choice');
  });

  it('learner boosting: trains gradient-boosted trees, and model-predict answers with their probabilities (#21.4)', async () => {
    await helper.load([mlModel, modelPredict, modelTrain], flow({ learner: 'boosting' }));
    const out1 = collect('out1');
    const predicted = collect('predicted');
    const n1 = getNode('n1');
    for (let i = 0; i < 120; i++) n1.receive(window(i));
    n1.receive({ train: true });
    const [trained] = await out1.next(1, 30000);
    assert.ok(trained.payload.metrics.accuracy > 0.9, `held-out accuracy ${trained.payload.metrics.accuracy}`);
    const onDisk = JSON.parse(fs.readFileSync(modelPath, 'utf8'));
    assert.equal(onDisk.params.model, 'boosting');
    assert.equal(onDisk.forest.boost.link, 'logistic', 'two classes: one margin through the logistic');
    assert.ok(onDisk.forest.trees.length >= 1 && onDisk.forest.trees.length <= 100);
    assert.ok(onDisk.forest.trees[0].cover.length > 0, 'covers written (TreeSHAP)');
    for (const [temp, label] of [[40, 'cold'], [12, 'hot']] as const) {
      getNode('p1').receive({ payload: { features: { 'temp.mean': temp, 'noise.mean': 0 } } });
    }
    const answers = await predicted.next(2);
    for (const [k, label] of (['cold', 'hot'] as const).entries()) {
      const prediction = answers[k].payload.prediction;
      assert.equal(prediction.label, label);
      assert.equal(prediction.model.version, '1.0.1');
      assert.ok(Math.abs(prediction.probabilities.hot + prediction.probabilities.cold - 1) < 1e-9);
      assert.ok(prediction.confidence > 0.5 && prediction.confidence < 1, `a probability, not a vote: ${prediction.confidence}`);
    }
  });

  it('a model-train saved before tune existed trains as before, without tuning', async () => {
    await helper.load([mlModel, modelPredict, modelTrain], flow());
    const out1 = collect('out1');
    const n1 = getNode('n1');
    for (let i = 0; i < 80; i++) n1.receive(window(i));
    n1.receive({ train: true });
    const [trained] = await out1.next(1, 30000);
    assert.equal(trained.payload.metrics.tuning, undefined);
  });

  it('joins label events to windows by time, trains every N samples, and exports a CSV into the export folder', async () => {
    await helper.load([mlModel, modelPredict, modelTrain], flow({ every: 30 }));
    const out1 = collect('out1');
    const out2 = collect('out2');
    const n1 = getNode('n1');
    for (let i = 0; i < 30; i++) {
      const { payload, label } = window(i);
      n1.receive({ payload });
      n1.receive({ payload: { deviceId: payload.deviceId, label, ts: payload.start + 500 } });
    }
    const [trained] = await out1.next(1, 30000);
    assert.equal(trained.payload.samples, 30, 'every window got its label from an event, and 30 samples trigger training');
    n1.receive({ export: 'exports/data.csv' });
    const [, exported] = await out1.next(2);
    const csv = parseCsv(fs.readFileSync(path.join(dir, 'iot-ai-exports', 'exports', 'data.csv'), 'utf8'));
    assert.ok(csv.ok);
    assert.equal(csv.table.rows.length, 30);
    assert.equal(exported.payload.exported, path.join(fs.realpathSync(dir), 'iot-ai-exports', 'exports', 'data.csv'));
    n1.receive({ export: '../../etc/evil.csv' });
    n1.receive({ payload: { features: { 'temp.mean': 'x' } }, label: 'hot' });
    const refused = await out2.next(2);
    assert.deepEqual(refused.map((m) => m.error.code).sort(), ['features', 'path']);
  });

  it('refuses to train on too few samples, on output 2', async () => {
    await helper.load([mlModel, modelPredict, modelTrain], flow());
    const out2 = collect('out2');
    const n1 = getNode('n1');
    n1.receive(window(1));
    n1.receive({ train: true });
    const [refused] = await out2.next(1);
    assert.equal(refused.error.code, 'too-few-samples');
  });
});
