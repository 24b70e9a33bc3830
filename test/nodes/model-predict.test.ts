import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { saveModel } from '../../src/core/model';
import { helper, harness, collect, getNode, settle, lastStatus } from '../helpers/runtime';
import { toyClassifier } from '../helpers/models';
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');

describe('ml-model and model-predict nodes', function () {
  let dir: string;
  let modelPath: string;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-model-'));
    modelPath = path.join(dir, 'toy.json');
    await saveModel(modelPath, await toyClassifier('1.0.0'));
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // The ml-model config node sits outside the tab, as the editor saves config nodes.
  const flow = (props: Record<string, unknown> = {}, modelProps: Record<string, unknown> = {}) => [
    ...harness('model-predict', { model: 'cfg', ...props }),
    { id: 'cfg', type: 'ml-model', path: modelPath, watch: true, ...modelProps },
  ];

  async function loaded() {
    // The config node reads the file asynchronously at start.
    const n1 = getNode('n1');
    for (let i = 0; i < 100 && !/toy v/.test(lastStatus(n1)?.text ?? ''); i++) await settle(20);
  }

  it('adds label, confidence, vote fractions and the model version to payload.prediction', async () => {
    await helper.load([mlModel, modelPredict], flow());
    await loaded();
    const out1 = collect('out1');
    const completed = collect('completed');
    getNode('n1').receive({ payload: { deviceId: 'oven', features: { 'temp.mean': 40, 'noise.mean': 3, extra: 'ignored' } } });
    const [msg] = await out1.next(1);
    const { prediction } = msg.payload;
    assert.equal(msg.payload.deviceId, 'oven');
    assert.equal(prediction.label, 'hot');
    assert.deepEqual(prediction.model, { name: 'toy', version: '1.0.0' });
    assert.equal(prediction.confidence, Math.max(...(Object.values(prediction.probabilities) as number[])));
    const total = (Object.values(prediction.probabilities) as number[]).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(total - 1) < 1e-12, 'vote fractions sum to 1');
    for (const p of Object.values(prediction.probabilities) as number[]) assert.ok(Number.isInteger(Math.round(p * 15 * 1e9) / 1e9), 'a fraction of 15 trees');
    await completed.next(1);
  });

  it('sends a missing or non-numeric feature to output 2 with code "features", never filling it in', async () => {
    await helper.load([mlModel, modelPredict], flow());
    await loaded();
    const out1 = collect('out1');
    const out2 = collect('out2');
    const n1 = getNode('n1');
    n1.receive({ payload: { features: { 'temp.mean': 30 } } });
    n1.receive({ payload: { features: { 'temp.mean': 'hot', 'noise.mean': 1 } } });
    const errors = await out2.next(2);
    assert.deepEqual(errors.map((m) => [m.error.code, m.error.path]), [['features', '/features/noise.mean'], ['features', '/features/temp.mean']]);
    await settle();
    assert.equal(out1.messages.length, 0);
  });

  it('predicts each payload of an array, and sends only the bad ones to output 2', async () => {
    await helper.load([mlModel, modelPredict], flow());
    await loaded();
    const out1 = collect('out1');
    const out2 = collect('out2');
    getNode('n1').receive({ payload: [{ features: { 'temp.mean': 12, 'noise.mean': 0 } }, { features: {} }, { features: { 'temp.mean': 35, 'noise.mean': 0 } }] });
    const [batch] = await out1.next(1);
    assert.deepEqual(batch.payload.map((p: any) => p.prediction.label), ['cold', 'hot']);
    const [bad] = await out2.next(1);
    assert.equal(bad.error.path, '/1/features/temp.mean');
  });

  it('escapes "/" and "~" of the features property in error.path (RFC 6901), alone and in a batch', async () => {
    await helper.load([mlModel, modelPredict], flow({ property: 'payload.sensor/data~v.features' }));
    await loaded();
    const out2 = collect('out2');
    const n1 = getNode('n1');
    n1.receive({ payload: { 'sensor/data~v': { features: { 'temp.mean': 30 } } } });
    n1.receive({ payload: [{ 'sensor/data~v': { features: { 'temp.mean': 30, 'noise.mean': 0 } } }, { 'sensor/data~v': { features: { 'noise.mean': 0 } } }] });
    const errors = await out2.next(2);
    assert.deepEqual(errors.map((m) => m.error.path), ['/sensor~1data~0v/features/noise.mean', '/1/sensor~1data~0v/features/temp.mean']);
  });

  it('names a bracketed property with a dot as one step of error.path', async () => {
    await helper.load([mlModel, modelPredict], flow({ property: 'payload["a.b"]' }));
    await loaded();
    const out2 = collect('out2');
    getNode('n1').receive({ payload: { 'a.b': { 'temp.mean': 30 } } });
    const [bad] = await out2.next(1);
    assert.equal(bad.error.path, '/a.b/noise.mean');
  });

  it('switches to a new model file without a redeploy, and keeps the last good model when a file is refused', async () => {
    await helper.load([mlModel, modelPredict], flow());
    await loaded();
    const out1 = collect('out1');
    const n1 = getNode('n1');
    await saveModel(modelPath, await toyClassifier('2.0.0'));
    for (let i = 0; i < 100 && !/v2\.0\.0/.test(lastStatus(n1)?.text ?? ''); i++) await settle(30);
    n1.receive({ payload: { features: { 'temp.mean': 40, 'noise.mean': 0 } } });
    assert.equal((await out1.next(1))[0].payload.prediction.model.version, '2.0.0');

    fs.writeFileSync(modelPath, fs.readFileSync(modelPath, 'utf8').slice(0, 200)); // truncated, half-written
    for (let i = 0; i < 100 && !/reload refused/.test(lastStatus(n1)?.text ?? ''); i++) await settle(30);
    assert.match(lastStatus(n1)?.text, /model-predict.status.reloadFailed|reload refused/);
    n1.receive({ payload: { features: { 'temp.mean': 40, 'noise.mean': 0 } } });
    const [, still] = await out1.next(2);
    assert.equal(still.payload.prediction.model.version, '2.0.0', 'the last good model keeps serving');
  });

  it('with no readable model, input goes to Catch nodes and the status says why', async () => {
    await helper.load([mlModel, modelPredict], flow({}, { path: path.join(dir, 'missing.json') }));
    const n1 = getNode('n1');
    for (let i = 0; i < 50 && lastStatus(n1)?.fill !== 'red'; i++) await settle(20);
    for (let i = 0; i < 50 && !/missing\.json/.test(lastStatus(n1)?.text ?? ''); i++) await settle(20);
    assert.match(lastStatus(n1)?.text, /missing\.json/);
    const caught = collect('caught');
    n1.receive({ payload: { features: { 'temp.mean': 1, 'noise.mean': 1 } } });
    const [error] = await caught.next(1);
    assert.match(error.error.message, /ENOENT/);
  });
});
