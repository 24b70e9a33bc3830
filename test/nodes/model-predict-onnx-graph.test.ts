/**
 * Issue #28 in the real Node-RED runtime with the real onnxruntime-node (a devDependency here, an optional peer for
 * users): ml-model's `path` names an ONNX graph that is not a tree ensemble, and model-predict gives what numpy
 * computed for the same graph (scripts/onnx-graphs.py) to float32 precision; the input shape and the missing runtime
 * are refused at deploy.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { helper, harness, collect, getNode, settle, statusMatching, modelError } from '../helpers/runtime';
import { main } from '../../src/cli/main';
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');
import modelTrain = require('../../src/nodes/model-train');

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'import', 'onnx-graph');
const FEATURES = ['temperature', 'humidity', 'co2', 'light'];

interface Expected {
  rows: number[][];
  value?: number[];
  probabilities?: number[][];
}
const expected = (name: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.expected.json`), 'utf8')) as Expected;
const featuresOf = (row: number[]) => Object.fromEntries(FEATURES.map((name, f) => [name, row[f]]));
/** float32 parity: the runtime computes in float32, numpy did too (its sums may round in another order). */
/** Rows like the fixtures' (scripts/onnx-graphs.py: the home scenario's columns), from a seeded generator; `shift` warms the room. */
function roomRows(count: number, seed: number, shift = 0): number[][] {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const normal = (mean: number, sd: number) => mean + sd * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return Array.from({ length: count }, () => [normal(21 + shift, 2), normal(45, 8), normal(600, 150), normal(0.3, 0.2)]);
}
const close = (ours: number, theirs: number, what: string) => assert.ok(Math.abs(ours - theirs) <= 1e-5 * Math.max(1, Math.abs(theirs)), `${what}: ${ours} vs ${theirs}`);

describe('model-predict with an ONNX graph through onnxruntime-node (issue #28)', function () {
  this.timeout(40_000);
  let dir: string;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-onnx-graph-'));
    for (const file of fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.onnx'))) fs.copyFileSync(path.join(FIXTURES, file), path.join(dir, file));
    helper.settings({ userDir: dir });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const flow = (model: Record<string, unknown>, predict: Record<string, unknown> = {}) => [
    ...harness('model-predict', { model: 'cfg', ...predict }, 2),
    { id: 'cfg', type: 'ml-model', watch: false, featureNames: FEATURES.join(', '), ...model },
  ];

  it('a linear regression: value per message, in order, as numpy computes it', async () => {
    await helper.load([mlModel, modelPredict], flow({ path: 'linear-regression.onnx' }));
    assert.match(await statusMatching(/linear-regression v1/), /linear-regression v1/);
    const { rows, value } = expected('linear-regression');
    const out1 = collect('out1');
    rows.forEach((row, r) => getNode('n1').receive({ payload: { deviceId: 'room', n: r, features: featuresOf(row) } }));
    const messages = await out1.next(rows.length);
    messages.forEach((msg, r) => {
      assert.equal(msg.payload.n, r, 'messages leave in the order they came');
      const prediction = msg.payload.prediction;
      close(prediction.value, (value as number[])[r], `row ${r}`);
      assert.equal(prediction.confidence, 1);
      assert.deepEqual(prediction.model, { name: 'linear-regression', version: '1' });
    });
  });

  it('an MLP with Softmax, a batch payload: one [rows, 4] run, labels and probabilities as numpy gives them', async () => {
    await helper.load([mlModel, modelPredict], flow({ path: 'mlp-softmax.onnx', labels: 'cold, comfortable, hot' }));
    await statusMatching(/mlp-softmax/);
    const { rows, probabilities } = expected('mlp-softmax');
    const out1 = collect('out1');
    const out2 = collect('out2');
    const batch: unknown[] = rows.map((row) => ({ deviceId: 'room', features: featuresOf(row) }));
    batch.splice(3, 0, { deviceId: 'room', features: { temperature: 'warm' } });
    getNode('n1').receive({ payload: batch });
    const [msg] = await out1.next(1);
    const names = ['cold', 'comfortable', 'hot'];
    assert.equal(msg.payload.length, rows.length);
    msg.payload.forEach((item: { prediction: { label: string; confidence: number; probabilities: Record<string, number> } }, r: number) => {
      const p = (probabilities as number[][])[r];
      names.forEach((name, k) => close(item.prediction.probabilities[name], p[k], `row ${r} p(${name})`));
      const best = p.indexOf(Math.max(...p));
      assert.equal(item.prediction.label, names[best], `row ${r}`);
      close(item.prediction.confidence, p[best], `row ${r} confidence`);
    });
    const [bad] = await out2.next(1);
    assert.equal(bad.error.code, 'features');
    assert.equal(bad.error.path, '/3/features/temperature');
  });

  it('a batch that would hold the event loop past its budget runs in a worker thread, with the same answers', async () => {
    await helper.load([mlModel, modelPredict], flow({ path: 'mlp-softmax.onnx' }));
    await statusMatching(/mlp-softmax/);
    const runtime = getNode('cfg').state().runtime;
    const { rows, probabilities } = expected('mlp-softmax');
    const copies = 100;
    assert.ok(runtime.offLoop(rows.length * copies), `${rows.length * copies} rows at ${runtime.perRowMs} ms a row go off the loop`);
    assert.ok(!runtime.offLoop(1), 'one row stays on the loop');
    const out1 = collect('out1');
    getNode('n1').receive({ payload: Array.from({ length: copies }, () => rows.map((row) => ({ features: featuresOf(row) }))).flat() });
    const [msg] = await out1.next(1);
    assert.equal(msg.payload.length, rows.length * copies);
    msg.payload.forEach((item: { prediction: { probabilities: Record<string, number> } }, i: number) => {
      const r = i % rows.length;
      [0, 1, 2].forEach((k) => close(item.prediction.probabilities[k], (probabilities as number[][])[r][k], `row ${i} p(${k})`));
    });
  });

  it('hot reload: a new graph written over the file is predicting within moments, without a redeploy', async () => {
    fs.copyFileSync(path.join(FIXTURES, 'linear-regression.onnx'), path.join(dir, 'live.onnx'));
    await helper.load([mlModel, modelPredict], flow({ path: 'live.onnx', watch: true }));
    await statusMatching(/live v1/);
    const first = getNode('cfg').state().runtime;
    const linear = expected('linear-regression');
    const out1 = collect('out1');
    getNode('n1').receive({ payload: { features: featuresOf(linear.rows[0]) } });
    close((await out1.next(1))[0].payload.prediction.value, (linear.value as number[])[0], 'before');
    // Written as a model writer would: a new file renamed over the old one.
    fs.copyFileSync(path.join(FIXTURES, 'binary-logit.onnx'), path.join(dir, 'live.tmp'));
    fs.renameSync(path.join(dir, 'live.tmp'), path.join(dir, 'live.onnx'));
    for (let i = 0; i < 250 && getNode('cfg').state().runtime === first; i++) await settle(20);
    assert.notEqual(getNode('cfg').state().runtime, first, 'the new graph is live');
    // Without labels, one logit column is a value (regression): the logit numpy's probability came from.
    const [p0, p1] = (expected('binary-logit').probabilities as number[][])[0];
    getNode('n1').receive({ payload: { features: featuresOf(linear.rows[0]) } });
    const after = (await out1.next(2))[1].payload.prediction.value;
    assert.ok(Math.abs(after - Math.log(p1 / p0)) <= 1e-4 * Math.max(1, Math.abs(after)), `after: ${after} vs ${Math.log(p1 / p0)}`);
  });

  it('logits (no Softmax at the end) become probabilities by softmax; one logit by the logistic', async () => {
    await helper.load([mlModel, modelPredict], flow({ path: 'mlp-logits.onnx' }));
    await statusMatching(/mlp-logits/);
    const logits = expected('mlp-logits');
    const out1 = collect('out1');
    getNode('n1').receive({ payload: { features: featuresOf(logits.rows[7]) } });
    const [msg] = await out1.next(1);
    [0, 1, 2].forEach((k) => close(msg.payload.prediction.probabilities[k], (logits.probabilities as number[][])[7][k], `p(${k})`));
    await helper.unload();

    await helper.load([mlModel, modelPredict], flow({ path: 'binary-logit.onnx', labels: 'off, on' }));
    await statusMatching(/binary-logit/);
    const binary = expected('binary-logit');
    const out = collect('out1');
    binary.rows.forEach((row) => getNode('n1').receive({ payload: { features: featuresOf(row) } }));
    const messages = await out.next(binary.rows.length);
    messages.forEach((m, r) => {
      const [p0, p1] = (binary.probabilities as number[][])[r];
      close(m.payload.prediction.probabilities.off, p0, `row ${r} p(off)`);
      close(m.payload.prediction.probabilities.on, p1, `row ${r} p(on)`);
      assert.equal(m.payload.prediction.label, p1 > p0 ? 'on' : 'off');
    });
  });

  it('a label tensor with a probability tensor (skl2onnx with zipmap off): the label from the graph, named by labels; a named input mapping', async () => {
    await helper.load([mlModel, modelPredict], flow({ path: 'mlp-label-probabilities.onnx', featureNames: `input: ${FEATURES.join(', ')}`, labels: 'a, b, c' }));
    await statusMatching(/mlp-label-probabilities/);
    const { rows, probabilities } = expected('mlp-label-probabilities');
    const out1 = collect('out1');
    rows.slice(0, 10).forEach((row) => getNode('n1').receive({ payload: { features: featuresOf(row) } }));
    const messages = await out1.next(10);
    messages.forEach((msg, r) => {
      const p = (probabilities as number[][])[r];
      assert.equal(msg.payload.prediction.label, ['a', 'b', 'c'][p.indexOf(Math.max(...p))]);
      close(msg.payload.prediction.probabilities.b, p[1], `row ${r}`);
    });
  });

  it('refuses at deploy what the graph cannot take: an image input, too few features, a mapping to no input', async () => {
    await helper.load([mlModel, modelPredict], flow({ path: 'image-input.onnx' }));
    assert.match(await modelError(/shape/), /image-input\.onnx: the graph's input image has the shape \[1, 3, 8, 8\], which 4 features .* do not fit/);
    assert.match(await statusMatching(/shape/), /shape/);
    await helper.unload();
    await helper.load([mlModel, modelPredict], flow({ path: 'linear-regression.onnx', featureNames: 'temperature, humidity' }));
    assert.match(await modelError(/do not fit/), /input input has the shape \[batch, 4\], which 2 features/);
    await helper.unload();
    await helper.load([mlModel, modelPredict], flow({ path: 'linear-regression.onnx', featureNames: 'x: a, b, c, d' }));
    assert.match(await modelError(/not an input/), /maps features to "x", which is not an input of the graph \(input\)/);
  });

  it('the editor\'s model view says what a file was detected as and what the dialog must ask for', async () => {
    fs.copyFileSync(path.join(FIXTURES, '..', 'xgboost', 'binary-logistic.model.json'), path.join(dir, 'xgb.json'));
    await helper.load([mlModel, modelPredict], flow({ path: 'mlp-softmax.onnx' }));
    const view = (query: Record<string, string>) => helper.request().get('/iot-ai/models/file').query(query);
    const graph = await view({ path: 'mlp-softmax.onnx' }).expect(200);
    assert.deepEqual({ ...graph.body.detected, problem: undefined }, { kind: 'onnx-graph', task: 'classification', features: 4, inputs: 'input [batch, 4]', needs: ['featureNames', 'labels'], runtime: true, problem: undefined });
    assert.match(graph.body.detected.problem, /does not name its features/);
    const named = await view({ path: 'mlp-softmax.onnx', featureNames: FEATURES.join(', '), labels: 'cold, comfortable, hot' }).expect(200);
    assert.deepEqual(named.body.featureNames, FEATURES);
    assert.deepEqual(named.body.labels, ['cold', 'comfortable', 'hot']);
    assert.equal(named.body.detected.problem, undefined);
    const unnamed = await view({ path: 'xgb.json' }).expect(422);
    assert.deepEqual(unnamed.body.detected, { kind: 'xgboost', task: 'classification', trees: 20, features: 5, labels: [0, 1], needs: ['featureNames', 'labels'] });
    const converted = await view({ path: 'xgb.json', featureNames: 'a, b, c, d, e', labels: 'empty, occupied' }).expect(200);
    assert.deepEqual(converted.body.featureNames, ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(converted.body.labels, ['empty', 'occupied']);
    assert.equal(converted.body.detected.kind, 'xgboost');
    const trees = await view({ path: 'image-input.onnx' }).expect(200);
    assert.equal(trees.body.detected.inputs, 'image [1, 3, 8, 8]');
  });

  it('without onnxruntime-node, says at deploy how to install it', async () => {
    // As if neither the user directory nor the palette had it (require's own cache is passed by, too).
    const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
    const load = loader._load;
    loader._load = function (request: string, ...rest: unknown[]) {
      if (request === 'onnxruntime-node') throw Object.assign(new Error(`Cannot find module '${request}'`), { code: 'MODULE_NOT_FOUND' });
      return load.call(this, request, ...rest);
    };
    try {
      await helper.load([mlModel, modelPredict], flow({ path: 'mlp-softmax.onnx' }));
      const error = await modelError(/onnxruntime-node/);
      // The helper loads no message catalogue: the key stands for the sentence (locales/en-US).
      assert.match(error, /^mlp-softmax\.onnx: ml-model\.errors\.noRuntime: /);
      assert.ok(error.includes(`cd ${JSON.stringify(dir)} && ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node`), error);
      assert.ok(getNode('cfg').state().runtime === undefined);
      const out2 = collect('out2');
      const errors: Error[] = [];
      (getNode('n1') as unknown as { on(event: string, listener: (call: { args: [Error] }) => void): void }).on('call:error', (call) => errors.push(call.args[0]));
      getNode('n1').receive({ payload: { features: featuresOf(expected('mlp-softmax').rows[0]) } });
      await settle(100);
      assert.equal(out2.messages.length, 0, 'not a data error');
      assert.match(String(errors[0] ?? ""), /model-predict\.errors\.noModel: .*onnxruntime-node/, "a fault of the node: done(err)");
    } finally {
      loader._load = load;
    }
  });
  describe('drift monitoring against the training sketch beside the graph (iot-ai import GRAPH.onnx --sketch)', () => {
    const cli = { stdout: { write: () => true }, stderr: { write: (text: string) => process.stderr.write(text) } };
    /** The user's training rows as a CSV, and their sketch written by the CLI beside the graph, as docs/import.md says. */
    async function sketchBeside(graph: string, features = FEATURES) {
      const csv = path.join(dir, 'train.csv');
      fs.writeFileSync(csv, [[...FEATURES, 'label'].join(','), ...roomRows(1000, 7).map((row) => [...row, 'x'].join(','))].join('\n') + '\n');
      assert.equal(await main(['import', path.join(dir, graph), '--sketch', csv, '--features', features.join(',')], cli), 0);
      assert.ok(fs.existsSync(path.join(dir, `${graph}.sketch.json`)));
    }
    const predictFlow = (graph: string, watch = false) => flow({ path: graph, watch }, { drift: true, driftWindow: 500, driftOutput: true, outputs: 3 });
    async function feed(rows: number[][]) {
      const out1 = collect('out1');
      rows.forEach((row) => getNode('n1').receive({ payload: { deviceId: 'room', features: featuresOf(row) } }));
      return out1.next(rows.length);
    }

    it('rows like the training rows are no drift; a warmer room is, by name: prediction.drift, the status, the drift output', async () => {
      await sketchBeside('mlp-softmax.onnx');
      const nodes = predictFlow('mlp-softmax.onnx');
      await helper.load([mlModel, modelPredict], [...nodes, { id: 'out3', type: 'helper' }].map((n: any) => (n.id === 'n1' ? { ...n, wires: [...n.wires, ['out3']] } : n)));
      await statusMatching(/mlp-softmax v1/);
      assert.ok(getNode('cfg').state().runtime.sketch, 'the sketch beside the graph is loaded with it');
      const out3 = collect('out3');
      const calm = await feed(roomRows(500, 11));
      assert.ok(calm.every((msg) => msg.payload.prediction.drift === undefined), 'no drift on rows like the training rows: ' + JSON.stringify(calm.find((msg) => msg.payload.prediction.drift)?.payload.prediction.drift));
      assert.equal(out3.messages.length, 0);
      assert.doesNotMatch(await statusMatching(/mlp-softmax/), /drift/);

      const warm = await feed(roomRows(400, 12, 8));
      const flagged = warm.filter((msg) => msg.payload.prediction.drift !== undefined);
      assert.ok(flagged.length > 0, 'a warmer room drifts');
      assert.deepEqual(flagged.at(-1)!.payload.prediction.drift.features, ['temperature']);
      assert.ok(flagged.at(-1)!.payload.prediction.drift.maxPsi >= 0.2);
      const [change] = await out3.next(1);
      assert.equal(change.payload.drifted, true);
      assert.deepEqual(change.payload.driftedFeatures, ['temperature']);
      assert.deepEqual(change.payload.model, { name: 'mlp-softmax', version: '1' });
      assert.match(await statusMatching(/drift/), /drift.*temperature/);
    });

    it('without a sketch beside the graph, drift monitoring stays off (as for a model without one); with Reload, a sketch written later is taken up', async () => {
      await helper.load([mlModel, modelPredict], predictFlow('linear-regression.onnx', true));
      await statusMatching(/linear-regression v1/);
      const warm = await feed(roomRows(150, 12, 8));
      assert.ok(warm.every((msg) => msg.payload.prediction.drift === undefined));
      assert.equal(getNode('cfg').state().runtime.sketch, undefined);
      await sketchBeside('linear-regression.onnx');
      for (let i = 0; i < 250 && getNode('cfg').state().runtime.sketch === undefined; i++) await settle(20);
      assert.ok(getNode('cfg').state().runtime.sketch, 'the new sketch file reloaded the graph with it');
    });

    it('refuses at deploy a sketch whose features are not the graph\'s inputs, saying which', async () => {
      await sketchBeside('linear-regression.onnx', ['humidity', 'temperature', 'co2', 'light']);
      await helper.load([mlModel, modelPredict], predictFlow('linear-regression.onnx'));
      const order = await modelError(/sketch/);
      assert.match(order, /^linear-regression\.onnx\.sketch\.json: ml-model\.errors\.graphSketch: its features \(humidity, temperature, co2, light\) are not the graph's inputs \(temperature, humidity, co2, light\): in another order/);
      assert.ok(getNode('cfg').state().runtime === undefined, 'refused, not run without its monitoring');
      assert.match(await statusMatching(/sketch/), /sketch/);
      await helper.unload();
      fs.writeFileSync(path.join(dir, 'linear-regression.onnx.sketch.json'), JSON.stringify({ kind: 'iot-ai/quantile-sketch@1', rows: 1, bins: 10, features: [{ name: 'temperature', min: 1, max: 1, edges: [], proportions: [1] }] }));
      await helper.load([mlModel, modelPredict], predictFlow('linear-regression.onnx'));
      assert.match(await modelError(/sketch/), /it lacks "humidity", "co2", "light"/);
      await helper.unload();
      fs.writeFileSync(path.join(dir, 'linear-regression.onnx.sketch.json'), '{"kind": "iot-ai/quantile-sketch@1"');
      await helper.load([mlModel, modelPredict], predictFlow('linear-regression.onnx'));
      assert.match(await modelError(/sketch/), /graphSketch: not JSON/);
    });
  });

  it('model-train refuses an ml-model holding an ONNX graph (red status, done(err) to Catch) and never writes over the file', async () => {
    const file = path.join(dir, 'linear-regression.onnx');
    const before = fs.readFileSync(file);
    await helper.load([mlModel, modelTrain], [
      ...harness('model-train', { model: 'cfg', task: 'regression', every: 0 }, 2),
      { id: 'cfg', type: 'ml-model', watch: false, featureNames: FEATURES.join(', '), path: 'linear-regression.onnx' },
    ]);
    for (let i = 0; i < 200 && getNode('cfg').state().runtime === undefined; i++) await settle(20);
    assert.ok(getNode('cfg').state().runtime !== undefined, 'the graph loaded into the runtime');
    const caught = collect('caught');
    getNode('n1').receive({ payload: { deviceId: 'room', features: featuresOf([21, 40, 600, 300]) }, label: 1.5 });
    getNode('n1').receive({ train: true });
    const [first] = await caught.next(1);
    // (The test runtime shows message keys, not their English text.)
    assert.match(first.error.message, /model-train\.errors\.runtimeGraph|is an ONNX graph run by onnxruntime-node/);
    const status = (getNode('n1') as any).status.lastCall?.args[0] ?? {};
    assert.equal(status.fill, 'red');
    await settle(200);
    assert.deepEqual(fs.readFileSync(file), before, 'the ONNX file is untouched');
  });
});
