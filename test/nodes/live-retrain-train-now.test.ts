/**
 * Issue 18 (13): live-retrain trains its first model soon (after 60 windows, not 300), and its "train now" inject
 * trains at once, pressed as the editor's button does (POST /inject/:id on the admin API).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { helper, coreNode, getNode } from '../helpers/runtime';
import featureWindow = require('../../src/nodes/feature-window');
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');
import modelTrain = require('../../src/nodes/model-train');
import sensorIngest = require('../../src/nodes/sensor-ingest');
import sensorSim = require('../../src/nodes/sensor-sim');

const root = path.resolve(__dirname, '..', '..');
const START = Date.UTC(2024, 5, 5, 6, 0, 0);

async function until(check: () => boolean, what: string, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('sample flow live-retrain: the first training and "train now"', function () {
  this.timeout(240_000);
  let dir: string;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-train-now-'));
    helper.settings({ userDir: dir });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The flow as shipped, its rooms `speed`x the wall clock and its debug nodes test helpers. */
  async function load(speed: number, edit: (node: any) => void = () => {}) {
    const flow = JSON.parse(fs.readFileSync(path.join(root, 'flows', 'live-retrain.json'), 'utf8'));
    for (const node of flow) {
      if (node.type === 'sensor-sim') Object.assign(node, { speed, startTime: START });
      if (node.type === 'debug') Object.assign(node, { type: 'helper' });
      edit(node);
    }
    await helper.load([coreNode('common/20-inject.js'), coreNode('common/90-comment.js'), coreNode('function/15-change.js'), coreNode('function/10-switch.js'), sensorSim, sensorIngest, featureWindow, mlModel, modelPredict, modelTrain], flow);
    const seen = { windows: 0, labels: new Set<string>(), trained: [] as Array<Record<string, any>>, refused: [] as Array<Record<string, any>> };
    getNode('retrain-label').on('input', () => seen.windows++);
    getNode('retrain-train').on('input', (msg) => msg.label !== undefined && seen.labels.add(String(msg.label)));
    getNode('retrain-debug-trained').on('input', (msg) => seen.trained.push({ ...msg.payload, windows: seen.windows }));
    getNode('retrain-debug-refused').on('input', (msg) => seen.refused.push(msg));
    return seen;
  }

  it('ships a "train now" inject wired to model-train with msg.train = true, and a first training at window 60', () => {
    const flow: any[] = JSON.parse(fs.readFileSync(path.join(root, 'flows', 'live-retrain.json'), 'utf8'));
    const inject = flow.find((n) => n.type === 'inject' && n.name === 'train now');
    assert.ok(inject, 'an inject labelled "train now"');
    assert.deepEqual(inject.props, [{ p: 'train', v: 'true', vt: 'bool' }]);
    assert.deepEqual(inject.wires, [['retrain-train']]);
    assert.equal(flow.find((n) => n.id === 'retrain-train').every, 300);
  });

  it('trains its first model after about 60 windows, long before the 300 of `every`', async () => {
    const seen = await load(20);
    await until(() => seen.trained.length > 0 || seen.refused.length > 0, 'a first training outcome');
    assert.deepEqual(seen.refused.map((m) => m.error), [], 'the first training is not refused');
    const first = seen.trained[0];
    assert.ok(first.windows >= 60 && first.windows < 150, `first training after ${first.windows} windows`);
    assert.ok(fs.existsSync(path.join(dir, 'models', 'occupancy-live.json')), 'the live model file is written');
  });

  it('"train now", pressed through the admin API, trains a version from the windows so far', async () => {
    // The automatic first training put out of reach, so only the button trains.
    const seen = await load(10, (node) => node.id === 'retrain-first' && (node.rules[0].v = '1000000'));
    await until(() => seen.windows >= 15 && seen.labels.size === 2, 'windows of both labels');
    const windowsAtPress = seen.windows;
    await helper.request().post('/inject/retrain-train-now').expect(200);
    await until(() => seen.trained.length > 0 || seen.refused.length > 0, 'the outcome of "train now"');
    assert.deepEqual(seen.refused.map((m) => m.error), [], '"train now" is not refused');
    assert.ok(windowsAtPress < 300);
    const file = JSON.parse(fs.readFileSync(path.join(dir, 'models', 'occupancy-live.json'), 'utf8'));
    assert.equal(file.name, 'occupancy-live');
    assert.match(file.version, /^1\.0\.\d+$/);
    assert.equal(seen.trained[0].version ?? file.version, file.version);
  });
});
