import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { examplesFromValues, fitAnomalyModel, loadModel, parsePredictConfig, saveModel, trainModel, type ModelFile } from '../../src/core/model';
import { MODEL_BOUNDS } from '../../src/core/model/file/bounds';
import { helper, harness, collect, getNode, settle, lastStatus } from '../helpers/runtime';
import { toyClassifier } from '../helpers/models';
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');
import actuatorCommand = require('../../src/nodes/actuator-command');

/** A regression model of three features: y = 2·a − b, c is noise. */
async function toyRegression(): Promise<ModelFile> {
  const rows: Float64Array[] = [];
  const targets: string[] = [];
  for (let i = 0; i < 240; i++) {
    const a = (i % 24) * 0.5;
    const b = (i * 7) % 11;
    rows.push(Float64Array.of(a, b, (i * 13) % 5));
    targets.push(String(2 * a - b));
  }
  const examples = examplesFromValues(['a.mean', 'b.mean', 'c.mean'], rows, targets, 'regression');
  if (!examples.ok) throw new Error(JSON.stringify(examples.error));
  return (await trainModel(examples.examples, { name: 'reg', version: '1.0.0', createdAt: new Date(0), forest: { nTrees: 12, seed: 3 }, testFraction: 0.25 })).model;
}

type Explanation = { base: number; contributions: Array<{ feature: string; value: number | null; contribution: number }> };
const total = (e: Explanation): number => e.contributions.reduce((sum, c) => sum + c.contribution, e.base);

/**
 * model-predict's `explain` option (issue #17): `prediction.explanation` with the k largest TreeSHAP contributions,
 * present only when asked, adding up to the model's output when k covers every feature.
 */
describe('model-predict: explain (issue #17)', function () {
  this.timeout(60_000);
  let dir: string;
  const files: Record<string, string> = {};

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-explain-'));
    files.classifier = path.join(dir, 'toy.json');
    await saveModel(files.classifier, await toyClassifier());
    files.regression = path.join(dir, 'reg.json');
    await saveModel(files.regression, await toyRegression());
    const records = Array.from({ length: 300 }, (_, i) => ({ features: { 'temp.mean': 20 + ((i * 37) % 100) / 50, 'hum.mean': 50 + ((i * 53) % 100) / 25 } }));
    const fitted = await fitAnomalyModel(records, { name: 'room', createdAt: new Date(0), method: 'isolation-forest', contamination: 0.01 });
    if (!fitted.ok) throw new Error(fitted.error);
    files.anomaly = path.join(dir, 'room.json');
    await saveModel(files.anomaly, fitted.result.model);
    // A model file written before covers existed: the same classifier without them.
    const old = JSON.parse(fs.readFileSync(files.classifier, 'utf8'));
    for (const tree of old.forest.trees) delete tree.cover;
    files.old = path.join(dir, 'old.json');
    fs.writeFileSync(files.old, JSON.stringify(old));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  const flow = (file: string, props: Record<string, unknown> = {}) => [
    ...harness('model-predict', { model: 'cfg', drift: false, ...props }),
    { id: 'cfg', type: 'ml-model', path: file, watch: false },
  ];
  async function loaded(): Promise<void> {
    const n1 = getNode('n1');
    for (let i = 0; i < 250 && !/ v\d/.test(lastStatus(n1)?.text ?? ''); i++) await settle(20);
  }
  async function predict(payloads: Array<Record<string, unknown>>): Promise<Array<Record<string, any>>> {
    const out1 = collect('out1');
    getNode('n1').receive({ payload: payloads });
    const [msg] = await out1.next(1);
    return msg.payload.map((item: Record<string, any>) => item.prediction);
  }
  const hotCold = Array.from({ length: 12 }, (_, i) => ({ features: { 'temp.mean': 12 + i * 2.5, 'noise.mean': i % 13 } }));

  it('adds no explanation when explain is 0, or absent as in flows saved before it existed', async () => {
    for (const props of [{}, { explain: 0 }, { explain: '' }]) {
      await helper.load([mlModel, modelPredict], flow(files.classifier, props));
      await loaded();
      for (const p of await predict(hotCold)) assert.equal(p.explanation, undefined, JSON.stringify(props));
      await helper.unload();
    }
  });

  it('classification: k entries, largest |contribution| first; with k = every feature they add up to the winning probability', async () => {
    await helper.load([mlModel, modelPredict], flow(files.classifier, { explain: '1' }));
    await loaded();
    for (const p of await predict(hotCold)) {
      assert.equal(p.explanation.contributions.length, 1);
      assert.equal(p.explanation.contributions[0].feature, 'temp.mean', 'the feature that decides hot or cold moves the vote most');
    }
    await helper.unload();
    await helper.load([mlModel, modelPredict], flow(files.classifier, { explain: 2 }));
    await loaded();
    for (const [i, p] of (await predict(hotCold)).entries()) {
      const explanation = p.explanation as Explanation;
      assert.equal(explanation.contributions.length, 2);
      assert.deepEqual(explanation.contributions.map((c) => c.feature).sort(), ['noise.mean', 'temp.mean']);
      const sizes = explanation.contributions.map((c) => Math.abs(c.contribution));
      assert.ok(sizes[0] >= sizes[1], 'largest first');
      assert.ok(Math.abs(total(explanation) - p.probabilities[p.label]) < 1e-9, `base + contributions = P(${p.label})`);
      assert.equal(explanation.contributions.find((c) => c.feature === 'temp.mean')!.value, hotCold[i].features['temp.mean']);
    }
  });

  it('regression: adds up to the predicted value, and k above the feature count gives every feature (with one warning)', async () => {
    await helper.load([mlModel, modelPredict], flow(files.regression, { explain: 5 }));
    await loaded();
    const payloads = Array.from({ length: 10 }, (_, i) => ({ features: { 'a.mean': i * 1.1, 'b.mean': 10 - i, 'c.mean': i % 5 } }));
    for (const p of await predict(payloads)) {
      assert.equal(p.explanation.contributions.length, 3);
      assert.ok(Math.abs(total(p.explanation) - p.value) < 1e-9 * Math.max(1, Math.abs(p.value)), `${total(p.explanation)} vs ${p.value}`);
    }
    await predict(payloads);
    const warned = (getNode('n1').warn as any).getCalls().map((c: any) => String(c.args[0])).filter((w: string) => /explain/i.test(w));
    assert.equal(warned.length, 1, warned.join('\n'));
    assert.match(warned[0], /asks for 5 features, the model has 3/);
  });

  it('anomaly (isolation forest): base + contributions = the score, within its rounding for the message', async () => {
    await helper.load([mlModel, modelPredict], flow(files.anomaly, { explain: 2 }));
    await loaded();
    const windows = [
      { features: { 'temp.mean': 21, 'hum.mean': 51 } },
      { features: { 'temp.mean': 35, 'hum.mean': 51 } },
      { features: { 'temp.mean': 21, 'hum.mean': 90 } },
    ];
    const predictions = await predict(windows);
    for (const p of predictions) {
      assert.equal(p.explanation.contributions.length, 2);
      // The message's score is rounded to 4 significant digits of its distance to 0 or 1.
      assert.ok(Math.abs(total(p.explanation) - p.score) < 1e-3, `${total(p.explanation)} vs ${p.score}`);
    }
    assert.equal(predictions[1].explanation.contributions[0].feature, 'temp.mean', 'a strange temperature explains the score');
    assert.ok(predictions[1].explanation.contributions[0].contribution > 0, 'and raises it');
    assert.equal(predictions[2].explanation.contributions[0].feature, 'hum.mean');
  });

  it('a model file without covers still predicts, without explanation, and warns once why', async () => {
    await helper.load([mlModel, modelPredict], flow(files.old, { explain: 2 }));
    await loaded();
    for (const p of await predict(hotCold)) {
      assert.ok(p.label === 'hot' || p.label === 'cold');
      assert.equal(p.explanation, undefined);
    }
    await predict(hotCold);
    const warned = (getNode('n1').warn as any).getCalls().map((c: any) => String(c.args[0])).filter((w: string) => /explanation/i.test(w));
    assert.equal(warned.length, 1, warned.join('\n'));
    assert.match(warned[0], /covers.*train it again/);
  });

  it('actuator-command says why: the explanation reaches msg.command.reason and the sent outcome', async () => {
    await helper.load(
      [mlModel, modelPredict, actuatorCommand],
      [
        { id: 'f1', type: 'tab', label: 'test' },
        { id: 'n1', z: 'f1', type: 'model-predict', model: 'cfg', drift: false, explain: 2, wires: [['act'], ['out2']] },
        { id: 'cfg', type: 'ml-model', path: files.classifier, watch: false },
        { id: 'act', z: 'f1', type: 'actuator-command', rules: [{ label: 'hot', command: { heat: 'OFF' } }, { label: 'cold', command: { heat: 'ON' } }], cooldown: 0, onChangeOnly: false, wires: [['out1'], ['outcomes']] },
        { id: 'out1', z: 'f1', type: 'helper' },
        { id: 'out2', z: 'f1', type: 'helper' },
        { id: 'outcomes', z: 'f1', type: 'helper' },
      ],
    );
    await loaded();
    const commands = collect('out1');
    const outcomes = collect('outcomes');
    getNode('n1').receive({ payload: { deviceId: 'radiator', features: { 'temp.mean': 40, 'noise.mean': 3 } } });
    const [command] = await commands.next(1);
    assert.deepEqual(command.payload, { heat: 'OFF' });
    assert.match(command.command.reason, /^rule 1: label "hot"; why: temp\.mean \+[0-9.]+, noise\.mean [-+]?[0-9.e-]+$/);
    const [outcome] = await outcomes.next(1);
    assert.equal(outcome.payload.status, 'sent');
    assert.match(outcome.payload.detail, /why: temp\.mean \+/);
  });

  it('bounds the work of a batch by what explaining costs: a batch that fits plain is too large explained', async () => {
    const loadedModel = loadModel(fs.readFileSync(files.regression, 'utf8'));
    assert.ok(loadedModel.ok);
    const perExplanation = loadedModel.model.visitsPerExplanation;
    assert.ok(perExplanation > 5 * loadedModel.model.visitsPerPrediction, `${perExplanation} visits explained`);
    const size = Math.floor(MODEL_BOUNDS.maxVisitsPerMessage / perExplanation) + 1;
    const batch = Array.from({ length: size }, (_, i) => ({ features: { 'a.mean': i % 12, 'b.mean': i % 11, 'c.mean': i % 5 } }));
    await helper.load([mlModel, modelPredict], flow(files.regression, { explain: 3 }));
    await loaded();
    const errors = collect('out2');
    getNode('n1').receive({ payload: batch });
    const [rejected] = await errors.next(1);
    assert.equal(rejected.error.code, 'too-large');
    assert.match(rejected.error.message, new RegExp(`\\(explained\\).*send at most ${size - 1} payloads`));
    await helper.unload();
    await helper.load([mlModel, modelPredict], flow(files.regression, { explain: 0 }));
    await loaded();
    assert.equal((await predict(batch)).length, size, 'the same batch unexplained fits');
  });

  it('with missing: allow, a missing feature is explained too, its value null', async () => {
    await helper.load([mlModel, modelPredict], flow(files.regression, { explain: 3, missing: 'allow' }));
    await loaded();
    const [p] = await predict([{ features: { 'a.mean': 4, 'c.mean': 1 } }]);
    assert.deepEqual(p.missing, ['b.mean']);
    const missing = (p.explanation as Explanation).contributions.find((c) => c.feature === 'b.mean');
    assert.ok(missing !== undefined);
    assert.equal(missing.value, null);
    assert.ok(Math.abs(total(p.explanation) - p.value) < 1e-9 * Math.max(1, Math.abs(p.value)));
  });

  it('refuses an explain that is not a whole number from 0 up: a config error, no predictions', async () => {
    for (const explain of [-1, 1.5, 'many', 1001]) assert.equal(parsePredictConfig({ explain }).ok, false, String(explain));
    assert.deepEqual(parsePredictConfig({ explain: '3' }), { ...parsePredictConfig({}), config: { ...(parsePredictConfig({}) as any).config, explain: 3 } });
    await helper.load([mlModel, modelPredict], flow(files.classifier, { explain: 2.5 }));
    await settle(100);
    const status = lastStatus(getNode('n1'));
    assert.equal(status?.fill, 'red');
    assert.match(String(status?.text), /explain must be a whole number/);
  });
});
