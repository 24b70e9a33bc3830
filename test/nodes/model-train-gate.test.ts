import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { saveModel } from '../../src/core/model';
import { parseCsv } from '../../src/core/model/data/csv';
import { helper, harness, collect, getNode, settle, type HelperNode } from '../helpers/runtime';
import { toyClassifier } from '../helpers/models';
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');
import modelTrain = require('../../src/nodes/model-train');

/** The text this node showed last, with the English status words put in (the test runtime has no catalogue). */
function statusText(node: HelperNode): string {
  const calls: Array<{ thisValue: unknown; args: Array<{ text?: string }> }> = (node.status as any).getCalls?.() ?? [];
  const own = calls.filter((call) => call.thisValue === node);
  const text = own.length > 0 ? (own[own.length - 1].args[0].text ?? '') : '';
  return text.replace(/model-train\.status\.(\w+)/g, (_, key: string) => STATUS_WORDS[key] ?? key);
}
const STATUS_WORDS: Record<string, string> = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'nodes', 'model-train', 'locales', 'en-US', 'messages.json'), 'utf8'),
)['model-train'].status;

describe('model-train node: promotion gate, learnable label sets, bounds and msg.reset', function () {
  this.timeout(60_000);
  let dir: string;
  let modelPath: string;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-train-gate-'));
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

  const flow = (props: Record<string, unknown> = {}) => [
    ...harness('model-train', { model: 'cfg', trees: 15, ...props }, 2, [
      { id: 'p1', type: 'model-predict', model: 'cfg', property: 'payload.features', wires: [['predicted'], []] },
      { id: 'predicted', type: 'helper' },
    ]),
    { id: 'cfg', type: 'ml-model', path: modelPath, watch: false },
  ];
  /** Loads the flow and waits for the ml-model config to have read the live toy model. */
  const load = async (props: Record<string, unknown> = {}) => {
    await helper.load([mlModel, modelPredict, modelTrain], flow(props));
    const cfg = getNode('cfg');
    for (let i = 0; i < 100 && cfg.state().model === undefined; i++) await settle(20);
    assert.ok(cfg.state().model, 'the live model loaded');
  };
  const onDisk = () => JSON.parse(fs.readFileSync(modelPath, 'utf8'));

  // The opposite of the toy model (hot below 25), so the first retrain is clearly better than the live toy model.
  const truthOf = (temp: number) => (temp < 25 ? 'hot' : 'cold');
  const swapped = (label: string) => (label === 'hot' ? 'cold' : 'hot');
  const window = (i: number, relabel: (label: string) => string = (l) => l) => {
    const temp = 10 + (i % 40) * 0.8;
    return { payload: { deviceId: `d${i % 3}`, start: i * 1000, end: i * 1000 + 1000, features: { 'temp.mean': temp, 'noise.mean': i % 5 } }, label: relabel(truthOf(temp)) };
  };

  /** Trains on 80 right windows (promoted over the toy model), then collects 120 swapped and 60 right ones. */
  async function liveThenSwapped(n1: HelperNode, out1: ReturnType<typeof collect>): Promise<void> {
    for (let i = 0; i < 80; i++) n1.receive(window(i));
    n1.receive({ train: true });
    const [first] = await out1.next(1, 30_000);
    assert.equal(first.payload.model.version, '1.0.1');
    assert.equal(first.payload.promotion.promoted, true);
    for (let i = 80; i < 200; i++) n1.receive(window(i, swapped));
    for (let i = 200; i < 260; i++) n1.receive(window(i));
  }

  it('better (the default): a retrain on swapped labels is kept as a candidate with both scores; msg.promote publishes it', async () => {
    await load();
    const out1 = collect('out1');
    const out2 = collect('out2');
    const n1 = getNode('n1');
    await liveThenSwapped(n1, out1);
    n1.receive({ train: true });
    const [kept] = await out2.next(1, 30_000);
    assert.equal(kept.error.code, 'not-promoted', kept.error.message);
    const promotion = kept.payload.promotion;
    assert.equal(promotion.promoted, false);
    assert.equal(promotion.mode, 'better');
    assert.equal(promotion.reason, 'worse');
    assert.equal(promotion.metric, 'accuracy');
    assert.ok(promotion.heldOut > 0);
    assert.ok(promotion.candidate < promotion.live - promotion.tolerance, `candidate ${promotion.candidate} vs live ${promotion.live}`);
    assert.match(kept.error.message, /accuracy/);
    assert.equal(kept.payload.model.version, '1.0.2', 'the candidate is named in the outcome');
    assert.equal(onDisk().version, '1.0.1', 'the live model is unchanged on disk');
    getNode('p1').receive({ payload: { features: { 'temp.mean': 12, 'noise.mean': 0 } } });
    const [prediction] = await collect('predicted').next(1);
    assert.deepEqual([prediction.payload.prediction.label, prediction.payload.prediction.model.version], ['hot', '1.0.1']);
    await settle(600);
    assert.match(statusText(n1), /candidate v1\.0\.2/);

    n1.receive({ promote: true });
    const [, promoted] = await out1.next(2, 10_000);
    assert.deepEqual(promoted.payload.model, { name: 'toy', version: '1.0.2' });
    assert.equal(promoted.payload.promotion.promoted, true);
    assert.equal(promoted.payload.promotion.reason, 'msg.promote');
    assert.equal(onDisk().version, '1.0.2');
    n1.receive({ promote: true });
    const [, again] = await out2.next(2);
    assert.equal(again.error.code, 'promote', 'no candidate is waiting any more');
  });

  it('always: the same retrain goes live, its outcome still carries both scores', async () => {
    await load({ promote: 'always' });
    const out1 = collect('out1');
    const n1 = getNode('n1');
    await liveThenSwapped(n1, out1);
    n1.receive({ train: true });
    const [, trained] = await out1.next(2, 30_000);
    assert.equal(trained.payload.model.version, '1.0.2');
    assert.equal(trained.payload.promotion.promoted, true);
    assert.equal(trained.payload.promotion.reason, 'always');
    assert.ok(trained.payload.promotion.candidate < trained.payload.promotion.live);
    assert.equal(onDisk().version, '1.0.2');
  });

  it('manual: every candidate waits for msg.promote, with both scores', async () => {
    await load({ promote: 'manual' });
    const out1 = collect('out1');
    const out2 = collect('out2');
    const n1 = getNode('n1');
    for (let i = 0; i < 80; i++) n1.receive(window(i));
    n1.receive({ train: true });
    const [kept] = await out2.next(1, 30_000);
    assert.equal(kept.error.code, 'not-promoted');
    assert.equal(kept.payload.promotion.reason, 'manual');
    assert.equal(typeof kept.payload.promotion.candidate, 'number');
    assert.equal(typeof kept.payload.promotion.live, 'number', 'the toy model scored on the same windows');
    assert.equal(onDisk().version, '1.0.0');
    n1.receive({ payload: { promote: true } });
    const [promoted] = await out1.next(1, 10_000);
    assert.equal(promoted.payload.model.version, '1.0.1');
    assert.equal(onDisk().version, '1.0.1');
  });

  it('regression: a retrain worse by RMSE beyond the tolerance is kept, with both errors', async () => {
    await load({ task: 'regression' });
    const out1 = collect('out1');
    const out2 = collect('out2');
    const n1 = getNode('n1');
    const reading = (i: number, slope: number) => ({ payload: { features: { 'temp.mean': i % 30, 'noise.mean': i % 5 } }, label: slope > 0 ? 2 * (i % 30) : 60 - 2 * (i % 30) });
    for (let i = 0; i < 90; i++) n1.receive(reading(i, 1));
    n1.receive({ train: true });
    const [first] = await out1.next(1, 30_000);
    assert.equal(first.payload.promotion.reason, 'live-not-comparable', 'the live toy model is a classifier');
    for (let i = 90; i < 250; i++) n1.receive(reading(i, -1));
    for (let i = 250; i < 310; i++) n1.receive(reading(i, 1));
    n1.receive({ train: true });
    const [kept] = await out2.next(1, 30_000);
    assert.equal(kept.error.code, 'not-promoted');
    const { metric, candidate, live, tolerance } = kept.payload.promotion;
    assert.equal(metric, 'rmse');
    assert.ok(candidate > live * (1 + tolerance), `candidate RMSE ${candidate} vs live ${live}`);
    assert.equal(onDisk().version, '1.0.1');
  });

  it('refuses 3,000 distinct free-text labels before training, and a set whose labels are mostly seen once', async () => {
    await load();
    const out1 = collect('out1');
    const out2 = collect('out2');
    const n1 = getNode('n1');
    for (let i = 0; i < 3000; i++) n1.receive({ payload: { features: { 'temp.mean': i % 40, 'noise.mean': i % 5 } }, label: `note ${i}` });
    n1.receive({ train: true });
    const [refused] = await out2.next(1, 10_000);
    assert.equal(refused.error.code, 'labels');
    assert.match(refused.error.message, /3000 distinct labels/);
    assert.doesNotMatch(statusText(n1), /training/, 'no training started');
    await settle(300);
    assert.equal(out1.messages.length, 0);
    assert.equal(onDisk().version, '1.0.0');

    n1.receive({ reset: true });
    for (let i = 0; i < 30; i++) n1.receive({ payload: { features: { 'temp.mean': i, 'noise.mean': 0 } }, label: i < 20 ? 'a' : `once ${i}` });
    n1.receive({ train: true });
    const [, mostlyOnce] = await out2.next(2, 10_000);
    assert.equal(mostlyOnce.error.code, 'labels');
    assert.match(mostlyOnce.error.message, /seen once/);
  });

  it('every: asks again after `every` windows, not at each window, when a label set is refused or a training runs', async () => {
    await load({ every: 30 });
    const out1 = collect('out1');
    const out2 = collect('out2');
    const n1 = getNode('n1');
    for (let i = 0; i < 65; i++) n1.receive({ payload: { features: { 'temp.mean': i, 'noise.mean': 0 } }, label: 'only' });
    await settle(300);
    assert.deepEqual(out2.messages.map((m) => m.error.code), ['labels', 'labels'], 'windows 30 and 60, not every window after 30');
    n1.receive({ reset: true });
    for (let i = 0; i < 90; i++) n1.receive(window(i));
    const [first] = await out1.next(1, 30_000);
    assert.equal(first.payload.samples, 30);
    assert.deepEqual(out2.messages.slice(2).map((m) => m.error.code), [], 'no busy while the first training ran');
    n1.receive(window(90));
    // The second retrain goes live or is kept: either way its outcome counts 91 samples.
    for (let i = 0; i < 600 && out1.messages.length < 2 && !out2.messages.some((m) => m.error.code === 'not-promoted'); i++) await settle(50);
    const second = out1.messages[1] ?? out2.messages.find((m) => m.error.code === 'not-promoted');
    assert.equal(second?.payload.samples, 91, 'the window after the training started the next one');
  });

  it('keeps wide windows within maxMemory: the oldest are dropped and counted in the status', async () => {
    await load({ maxMemory: 2 });
    const n1 = getNode('n1');
    const wide = (i: number) => {
      const features: Record<string, number> = {};
      for (let f = 0; f < 5376; f++) features[`s${Math.floor(f / 21)}.f${f % 21}`] = (i * 31 + f) % 97;
      return { payload: { deviceId: 'wide', start: i, end: i + 1, features }, label: i % 2 ? 'a' : 'b' };
    };
    for (let i = 0; i < 20; i++) n1.receive(wide(i));
    await settle(700);
    const counts = /^(\d+) samples · (\d+) dropped/.exec(statusText(n1));
    assert.ok(counts, statusText(n1));
    assert.ok(Number(counts[1]) < 20 && Number(counts[1]) > 0, statusText(n1));
    assert.equal(Number(counts[1]) + Number(counts[2]), 20, 'every window is kept or counted as dropped');
  });

  it('msg.reset: true clears every device, a string or number one device, anything else is refused with a warning', async () => {
    await load();
    const out1 = collect('out1');
    const out2 = collect('out2');
    const n1 = getNode('n1');
    const devicesInExport = async (count: number): Promise<string[]> => {
      n1.receive({ export: `export-${count}.csv` });
      await out1.next(count);
      const table = parseCsv(fs.readFileSync(path.join(dir, 'iot-ai-exports', `export-${count}.csv`), 'utf8'));
      assert.ok(table.ok);
      return [...new Set(table.table.rows.map((row) => row[0]))].sort();
    };
    const feed = (ids: string[]) => ids.forEach((id, i) => n1.receive({ payload: { deviceId: id, features: { 'temp.mean': i, 'noise.mean': 0 } }, label: 'x' }));
    feed(['a', 'b', '5', '0', 'a', 'b', '5', '0']);
    assert.deepEqual(await devicesInExport(1), ['0', '5', 'a', 'b']);
    n1.receive({ reset: 'a' });
    assert.deepEqual(await devicesInExport(2), ['0', '5', 'b']);
    n1.receive({ reset: 5 });
    n1.receive({ reset: 0 });
    assert.deepEqual(await devicesInExport(3), ['b']);
    for (const bad of [null, { deviceId: 'b' }, '', Number.NaN, ['b']]) n1.receive({ reset: bad });
    const refused = await out2.next(5);
    assert.deepEqual(refused.map((m) => m.error.code), ['reset', 'reset', 'reset', 'reset', 'reset']);
    assert.deepEqual(await devicesInExport(4), ['b'], 'no bad msg.reset acted on every device');
    n1.receive({ reset: true });
    await settle(600);
    assert.match(statusText(n1), /^0 samples/);
  });

  it('anomaly task: msg.reset of null or an object does not restart every baseline', async () => {
    await load({ task: 'anomaly', scope: 'device', warmup: 20 });
    const out2 = collect('out2');
    const n1 = getNode('n1');
    for (let i = 0; i < 10; i++) for (const id of ['k1', 'k2']) n1.receive({ payload: { deviceId: id, features: { 'temp.mean': 20 + (i % 3), 'temp.std': 0.5 } } });
    n1.receive({ reset: null });
    n1.receive({ reset: { all: true } });
    const refused = await out2.next(2);
    assert.deepEqual(refused.map((m) => m.error.code), ['reset', 'reset']);
    n1.receive({ payload: { deviceId: 'k1', features: { 'temp.mean': 20, 'temp.std': 0.5 } } });
    await settle(600);
    assert.match(statusText(n1), /k1: warm-up 11\/20/, 'k1 kept its windows');
  });
});
