/**
 * Issue #14.16 in the runtime: model-predict's `prediction` keeps every label in `probabilities` (`constructor`
 * and `valueOf` too) after Node-RED copies the message for a second wire (a label `__proto__`, which that copy drops,
 * is refused at load: model-faults.test.ts), and a regression model whose leaves sit
 * at the edge of the doubles answers a finite value.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MODEL_FORMAT } from '../../src/core/model/file/schema';
import { collect, getNode, harness, helper, lastStatus, settle } from '../helpers/runtime';
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');

const HEAD = { format: MODEL_FORMAT, name: 'edge', version: '1.0.0', createdAt: '2024-01-01T00:00:00Z', metrics: {}, featureNames: ['a'] };
const leaf = (value: number) => ({ feature: [-1], threshold: [0], left: [-1], right: [-1], value: [value] });

describe('model-predict: whole probabilities and finite values in the runtime (#14.16)', function () {
  this.timeout(30_000);
  let dir: string;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-model-outputs-'));
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** model-predict with output 1 wired to two helpers, so the second gets Node-RED's deep copy. */
  async function predictWith(model: object): Promise<Array<Record<string, any>>> {
    const modelPath = path.join(dir, 'model.json');
    fs.writeFileSync(modelPath, JSON.stringify(model));
    const flow = harness('model-predict', { model: 'cfg' }, 2, [{ id: 'copy', type: 'helper', z: 'f1' }]) as Array<Record<string, any>>;
    flow.find((n) => n.id === 'n1')!.wires[0].push('copy');
    await helper.load([mlModel, modelPredict], [...flow, { id: 'cfg', type: 'ml-model', path: modelPath }]);
    const n1 = getNode('n1');
    for (let i = 0; i < 100 && !/edge v/.test(lastStatus(n1)?.text ?? ''); i++) await settle(20);
    const out1 = collect('out1');
    const copy = collect('copy');
    n1.receive({ payload: { features: { a: 1 } } });
    const [first] = await out1.next(1);
    const [second] = await copy.next(1);
    return [first, second];
  }

  it('keeps constructor, toString and valueOf as labels of their own, summing to 1, on every wire', async () => {
    const labels = ['constructor', 'toString', 'valueOf'];
    const messages = await predictWith({
      ...HEAD,
      task: 'classification',
      labels,
      forest: { kind: 'iot-ai/trees@1', nFeatures: 1, nClasses: 3, trees: [leaf(0), leaf(1), leaf(2), leaf(0)] },
    });
    for (const msg of messages) {
      const { prediction } = msg.payload;
      assert.equal(prediction.label, 'constructor');
      const probabilities = prediction.probabilities as Record<string, number>;
      assert.deepEqual(Object.keys(probabilities).sort(), [...labels].sort());
      assert.equal(Object.getOwnPropertyDescriptor(probabilities, 'constructor')?.value, 0.5);
      assert.equal(Object.getOwnPropertyDescriptor(probabilities, 'valueOf')?.value, 0.25);
      const sum = labels.reduce((total, label) => total + (Object.getOwnPropertyDescriptor(probabilities, label)?.value as number), 0);
      assert.equal(sum, 1);
      assert.equal(JSON.stringify(probabilities), '{"constructor":0.5,"toString":0.25,"valueOf":0.25}');
    }
  });

  it('answers a finite value and spread from leaves at ±1.8e308', async () => {
    const [msg] = await predictWith({
      ...HEAD,
      task: 'regression',
      forest: { kind: 'iot-ai/trees@1', nFeatures: 1, nClasses: 0, trees: [leaf(Number.MAX_VALUE), leaf(Number.MAX_VALUE), leaf(-Number.MAX_VALUE)] },
    });
    const { prediction } = msg.payload;
    assert.ok(Number.isFinite(prediction.value), `value ${prediction.value}`);
    assert.ok(Number.isFinite(prediction.spread), `spread ${prediction.spread}`);
    assert.ok(Math.abs(prediction.value / (Number.MAX_VALUE / 3) - 1) < 1e-12);
  });
});
