/**
 * Issue #27.6 in the runtime: products of settings that the config readers used to accept are refused at deploy
 * (or limited), and a model or message too large for one turn of the event loop is refused with a clear error.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { saveModel, type ModelFile } from '../../src/core/model';
import { MODEL_BOUNDS } from '../../src/core/model/file/bounds';
import { toyClassifier } from '../helpers/models';
import { collect, getNode, harness, helper, settle } from '../helpers/runtime';
import { runtimeWithUserDir } from '../helpers/userdir';
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');
import modelTrain = require('../../src/nodes/model-train');

type ModelSource = { state(): { model?: { version: string; forest: { nTrees: number } | null }; error?: string } };

describe('config bounds (#27.6): model nodes in the runtime', function () {
  this.timeout(60_000);
  const userDir = runtimeWithUserDir('iot-ai-config-bounds-');
  const modelFlow = (type: string, props: Record<string, unknown> = {}) => [...harness(type, { model: 'cfg', ...props }), { id: 'cfg', type: 'ml-model', path: 'live.json', watch: false }];
  const source = () => getNode('cfg') as unknown as ModelSource;
  async function modelLoaded(): Promise<void> {
    while (!source().state().model && !source().state().error) await settle(20);
  }
  /** The toy model with its trees repeated: a forest of `nTrees` small trees. */
  async function wideModel(nTrees: number, version: string): Promise<ModelFile> {
    const model = await toyClassifier(version, 5);
    const forest = model.forest as { trees: unknown[] };
    forest.trees = Array.from({ length: nTrees }, (_, i) => forest.trees[i % forest.trees.length]);
    return model;
  }

  it('model-train: trees × maxSamples past the budget is refused at deploy (1,000 trees × 10,000 samples was accepted)', async () => {
    await helper.load([mlModel, modelTrain], modelFlow('model-train', { trees: 1000, maxSamples: 10000 }));
    const caught = collect('caught');
    getNode('n1').receive({ payload: { features: { a: 1 }, label: 'x' } });
    const [error] = await caught.next(1, 10_000);
    assert.match(error.error.message, /trees × maxSamples is 10000000, above 5000000/);
  });

  it('model-train: maxSamples above 1,000,000 and maxDepth above 64 are refused; the budget\'s edge is accepted', async () => {
    for (const [props, pattern] of [
      [{ maxSamples: 1_000_001, trees: 1 }, /maxSamples must be at most 1000000/],
      [{ maxDepth: 65 }, /maxDepth must be at most 64/],
      [{ task: 'anomaly', scope: 'device', method: 'isolation-forest', trees: 100, maxDevices: 100 }, /trees × maxDevices is 10000, above 5800/],
    ] as const) {
      await helper.load([mlModel, modelTrain], modelFlow('model-train', props));
      const caught = collect('caught');
      getNode('n1').receive({ payload: { features: { a: 1 }, label: 'x' } });
      const [error] = await caught.next(1, 10_000);
      assert.match(error.error.message, pattern);
      await helper.unload();
    }
    await helper.load([mlModel, modelTrain], modelFlow('model-train', { trees: 150, maxSamples: 10000, maxDepth: 64 }));
    const caught = collect('caught');
    const out2 = collect('out2');
    getNode('n1').receive({ payload: { features: { a: 1 }, label: 'x' } });
    await settle(200);
    assert.deepEqual(caught.messages.map((m) => m.error?.message), []);
    assert.equal(out2.messages.length, 0);
  });

  it('ml-model: a model of more tree nodes than the bound is refused with a clear error and the last good model stays live', async () => {
    await helper.load([mlModel, modelPredict], modelFlow('model-predict', {}).map((n) => ((n as { id: string }).id === 'cfg' ? { ...n, watch: true } : n)));
    await modelLoaded();
    assert.equal(source().state().model?.version, '1.0.0');
    // One tree of 3,000,001 nodes: counted before the schema check, so its other arrays need not be written out.
    const good = await toyClassifier('2.0.0', 5);
    const zeros = '0,'.repeat(MODEL_BOUNDS.maxModelNodes) + '0';
    const text = JSON.stringify({ ...good, forest: { ...good.forest, trees: [] } }).replace('"trees":[]', `"trees":[{"feature":[${zeros}],"threshold":[],"left":[],"right":[],"value":[]}]`);
    const file = path.join(userDir.dir(), 'live.json');
    fs.writeFileSync(file + '.tmp', text);
    fs.renameSync(file + '.tmp', file);
    while (!source().state().error) await settle(20);
    assert.match(source().state().error ?? '', /model is too large: its forests have 3000001 tree nodes, above the 3000000 a model may hold/);
    assert.equal(source().state().model?.version, '1.0.0', 'the last good model stays live');
  });

  it('ml-model: a model past the bound is not written by replace (model-train\'s path): the file and the live model stay', async () => {
    await helper.load([mlModel, modelPredict], modelFlow('model-predict'));
    await modelLoaded();
    const file = path.join(userDir.dir(), 'live.json');
    const before = fs.readFileSync(file, 'utf8');
    const big = await toyClassifier('2.0.0', 5);
    const tree = { feature: new Array(MODEL_BOUNDS.maxModelNodes + 1).fill(0), threshold: [], left: [], right: [], value: [] };
    (big.forest as unknown as { trees: unknown[] }).trees = [tree];
    const replace = (getNode('cfg') as unknown as { replace(file: ModelFile): Promise<void> }).replace;
    await assert.rejects(replace(big), /model is too large: its forests have 3000001 tree nodes/);
    assert.equal(fs.readFileSync(file, 'utf8'), before);
    assert.equal(source().state().model?.version, '1.0.0');
  });

  it('model-predict: a batch whose tree-node visits exceed the budget is one too-large error; a smaller one is predicted', async () => {
    await saveModel(path.join(userDir.dir(), 'live.json'), await wideModel(1000, '1.0.0'));
    await helper.load([mlModel, modelPredict], modelFlow('model-predict'));
    await modelLoaded();
    assert.equal(source().state().model?.forest?.nTrees, 1000);
    const out1 = collect('out1');
    const out2 = collect('out2');
    const item = { features: { 'temp.mean': 30, 'noise.mean': 1 } };
    getNode('n1').receive({ payload: Array.from({ length: 10_000 }, () => item) });
    const [reject] = await out2.next(1, 20_000);
    assert.equal(reject.error.code, 'too-large');
    assert.match(reject.error.message, /tree-node visits, above the 10000000 one message may cost: send at most \d+ payloads a message/);
    const most = Number(/at most (\d+) payloads/.exec(reject.error.message)?.[1]);
    assert.ok(most >= 1 && most < 10_000);
    getNode('n1').receive({ payload: Array.from({ length: most }, () => item) });
    const [predicted] = await out1.next(1, 20_000);
    assert.equal(predicted.payload.length, most);
    assert.equal(out2.messages.length, 1);
  });
});
