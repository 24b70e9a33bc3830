import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { fitAnomalyModel, saveModel } from '../../src/core/model';
import { helper, harness, collect, getNode, settle, lastStatus } from '../helpers/runtime';
import { runs } from '../helpers/fuzz';
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');

/** A seeded generator of numbers in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/** A room as in training: temperature 20 ± 1, humidity 50 ± 2. */
const calmWindow = (next: () => number) => ({ 'temp.mean': 20 + (next() - 0.5) * 2, 'hum.mean': 50 + (next() - 0.5) * 4 });
/** A room whose sensor jumps 3–4 °C every fourth window (a radiator that cycles): strange to the model, usual for it. */
const burstyWindow = (next: () => number, i: number) => ({ 'temp.mean': i % 4 === 0 ? 23 + next() : 20 + (next() - 0.5) * 2, 'hum.mean': 50 + (next() - 0.5) * 4 });

/**
 * model-predict's `likelihood` option (issue #25): an anomaly model's scores calibrated against each device's own
 * score history, so one threshold means the same on a calm sensor and a bursty one.
 */
describe('model-predict: anomaly likelihood per device (issue #25)', function () {
  this.timeout(60_000);
  let dir: string;
  let modelPath: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-likelihood-'));
    modelPath = path.join(dir, 'room.json');
    const next = lcg(3);
    const records = Array.from({ length: 300 }, () => ({ features: calmWindow(next) }));
    const fitted = await fitAnomalyModel(records, { name: 'room', createdAt: new Date(0), method: 'robust-z', contamination: 0.01 });
    if (!fitted.ok) throw new Error(fitted.error);
    await saveModel(modelPath, fitted.result.model);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  const flow = (props: Record<string, unknown> = {}, file = modelPath) => [
    ...harness('model-predict', { model: 'cfg', drift: false, ...props }),
    { id: 'cfg', type: 'ml-model', path: file, watch: true },
  ];
  async function loaded(version = 'room v') {
    const n1 = getNode('n1');
    for (let i = 0; i < 200 && !(lastStatus(n1)?.text ?? '').includes(version); i++) await settle(20);
  }
  /** Sends a batch of windows (one message) and returns their predictions in order. */
  async function predict(windows: Array<{ deviceId: string; features: Record<string, number> }>): Promise<Array<Record<string, any>>> {
    const out1 = collect('out1');
    getNode('n1').receive({ payload: windows });
    const [msg] = await out1.next(1);
    return msg.payload.map((item: Record<string, any>) => item.prediction);
  }

  it('is off by default: no likelihood, labels from the score as before', async () => {
    await helper.load([mlModel, modelPredict], flow());
    await loaded();
    const next = lcg(5);
    const predictions = await predict(Array.from({ length: 150 }, (_, i) => ({ deviceId: 'r1', features: burstyWindow(next, i) })));
    for (const p of predictions) {
      assert.equal(p.likelihood, undefined);
      assert.equal(p.label, p.score > JSON.parse(fs.readFileSync(modelPath, 'utf8')).anomaly.threshold ? 'anomaly' : 'normal');
    }
  });

  it("judges a bursty device by its own history: its usual bursts stop alarming, a calm device's spike still alarms", async () => {
    await helper.load([mlModel, modelPredict], flow({ likelihood: true }));
    await loaded();
    const calm = lcg(7);
    const bursty = lcg(8);
    const windows: Array<{ deviceId: string; features: Record<string, number> }> = [];
    for (let i = 0; i < 400; i++) {
      windows.push({ deviceId: 'calm', features: calmWindow(calm) });
      windows.push({ deviceId: 'bursty', features: burstyWindow(bursty, i) });
    }
    // Then the calm room's sensor jumps as far as the bursty room's usual bursts, for five windows in a row.
    for (let i = 0; i < 5; i++) windows.push({ deviceId: 'calm', features: { 'temp.mean': 23.5, 'hum.mean': 50 } });
    const predictions = await predict(windows);
    const of = (device: string) => predictions.filter((_, i) => windows[i].deviceId === device);
    const burstyPredictions = of('bursty');
    const calmPredictions = of('calm');

    // The first 100 windows of each device fill its history: likelihood 0.5, the label the score's.
    for (const p of [...burstyPredictions.slice(0, 100), ...calmPredictions.slice(0, 100)]) assert.equal(p.likelihood, 0.5);
    const earlyBursts = burstyPredictions.slice(0, 100).filter((p) => p.label === 'anomaly').length;
    assert.ok(earlyBursts >= 20, `the score alone flags the bursts: ${earlyBursts} of 100`);

    // After it, the bursts the room always has are its normal: (almost) no alarm, though every one scores high.
    const later = burstyPredictions.slice(150, 400);
    const highScores = later.filter((p) => p.score > 0.5).length;
    const alarms = later.filter((p) => p.label === 'anomaly').length;
    assert.ok(highScores >= 50, `the bursts still score high (${highScores})`);
    const threshold = JSON.parse(fs.readFileSync(modelPath, 'utf8')).anomaly.threshold;
    const byScore = later.filter((p) => p.score > threshold).length;
    console.log(`      bursty room, windows 150–400: ${byScore} above the model's threshold, ${alarms} alarms by likelihood`);
    assert.ok(alarms <= 2, `the bursty room's usual bursts raise ${alarms} alarms in 250 windows`);
    for (const p of later) assert.ok(p.likelihood >= 0 && p.likelihood <= 1);

    // The calm room never had such a jump: the same reading is an anomaly there, within the five windows.
    const spike = calmPredictions.slice(400);
    assert.equal(spike.length, 5);
    assert.ok(spike.some((p) => p.label === 'anomaly'), JSON.stringify(spike.map((p) => [p.score, p.likelihood])));
    for (const p of spike.filter((q) => q.label === 'anomaly')) {
      assert.ok(p.likelihood >= 0.9999);
      assert.ok(p.confidence >= 0.5 && p.confidence <= 1);
    }
    const calmAlarms = calmPredictions.slice(100, 400).filter((p) => p.label === 'anomaly').length;
    assert.ok(calmAlarms <= 2, `the calm room before its spike: ${calmAlarms} alarms`);
  });

  it("a device's likelihoods do not depend on other devices' windows (property)", async () => {
    await helper.load([mlModel, modelPredict], flow({ likelihood: true, likelihoodThreshold: 0.99 }));
    await loaded();
    // Two devices' streams, fed alone and then interleaved in a random order under other names.
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1e6 }), fc.array(fc.boolean(), { minLength: 240, maxLength: 240 }), async (seed, order) => {
        const tag = `s${seed}-${order.length}-${Math.random()}`;
        const a = lcg(seed);
        const b = lcg(seed + 1);
        const streamA = Array.from({ length: 120 + 20 }, (_, i) => burstyWindow(a, i));
        const streamB = Array.from({ length: 120 + 20 }, () => calmWindow(b));
        const alone = [
          ...(await predict(streamA.map((features) => ({ deviceId: `${tag}-a1`, features })))),
          ...(await predict(streamB.map((features) => ({ deviceId: `${tag}-b1`, features })))),
        ];
        const mixed: Array<{ deviceId: string; features: Record<string, number> }> = [];
        let ia = 0;
        let ib = 0;
        for (const takeA of [...order, ...Array(40).fill(true), ...Array(40).fill(false)]) {
          if (takeA && ia < streamA.length) mixed.push({ deviceId: `${tag}-a2`, features: streamA[ia++] });
          else if (ib < streamB.length) mixed.push({ deviceId: `${tag}-b2`, features: streamB[ib++] });
          else if (ia < streamA.length) mixed.push({ deviceId: `${tag}-a2`, features: streamA[ia++] });
        }
        const together = await predict(mixed);
        const pick = (list: typeof together, from: typeof mixed | null, device: string) => list.filter((_, i) => (from ? from[i].deviceId === device : true));
        const aloneA = alone.slice(0, streamA.length);
        const aloneB = alone.slice(streamA.length);
        assert.deepEqual(pick(together, mixed, `${tag}-a2`).map((p) => [p.likelihood, p.label]), aloneA.map((p) => [p.likelihood, p.label]));
        assert.deepEqual(pick(together, mixed, `${tag}-b2`).map((p) => [p.likelihood, p.label]), aloneB.map((p) => [p.likelihood, p.label]));
      }),
      { numRuns: runs(5, 50), seed: 11 },
    );
  });

  it('starts every history over when the model file changes', async () => {
    const copy = path.join(dir, 'room-copy.json');
    fs.copyFileSync(modelPath, copy);
    await helper.load([mlModel, modelPredict], flow({ likelihood: true }, copy));
    await loaded();
    const next = lcg(9);
    const first = await predict(Array.from({ length: 120 }, () => ({ deviceId: 'r1', features: calmWindow(next) })));
    assert.notEqual(first[119].likelihood, 0.5);
    const changed = JSON.parse(fs.readFileSync(copy, 'utf8'));
    changed.version = '2.0.0';
    fs.writeFileSync(copy, JSON.stringify(changed));
    await loaded('room v2.0.0');
    assert.match(lastStatus(getNode('n1'))?.text ?? '', /room v2\.0\.0/);
    const after = await predict([{ deviceId: 'r1', features: calmWindow(next) }]);
    assert.equal(after[0].likelihood, 0.5);
    assert.equal(after[0].model.version, '2.0.0');
  });

  it('refuses a likelihood threshold outside 0.5–1 as a configuration fault (Catch sees it)', async () => {
    await helper.load([mlModel, modelPredict], flow({ likelihood: true, likelihoodThreshold: 0.2 }));
    const caught = collect('caught');
    getNode('n1').receive({ payload: { deviceId: 'r1', features: { 'temp.mean': 20, 'hum.mean': 50 } } });
    const [msg] = await caught.next(1);
    assert.match(msg.error.message, /likelihoodThreshold/);
  });
});
