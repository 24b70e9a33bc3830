import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AnomalySession, parseAnomalyConfig } from '../../src/core/anomaly';
import { fitAnomalyModel, loadModel, saveModel } from '../../src/core/model';
import { roundScore } from '../../src/core/util/numbers';
import { collect, getNode, harness, helper, settle, lastStatus } from '../helpers/runtime';
import anomalyDetect = require('../../src/nodes/anomaly-detect');
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');

const T0 = 1_700_000_000_000;
/** A seeded stream of room windows with a spike now and then. */
function windows(n: number): Array<{ deviceId: string; start: number; end: number; features: Record<string, number> }> {
  let s = 7;
  const next = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  return Array.from({ length: n }, (_, i) => ({
    deviceId: 'room1',
    start: T0 + i * 60_000,
    end: T0 + (i + 1) * 60_000,
    features: { 'temp.mean': 21 + (next() - 0.5) * 2 + (i % 97 === 96 ? 12 : 0), 'hum.mean': 50 + (next() - 0.5) * 4 },
  }));
}
const isRounded = (x: number) => roundScore(x) === x;

/** Issue #18.14: anomaly scores are rounded in the messages (4 significant digits), verdicts taken unrounded. */
describe('anomaly scores in messages are rounded (#18.14)', function () {
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('anomaly-detect: score, likelihood and confidence rounded; labels and alarms as the exact session gives them', async () => {
    const props = { learn: 30, method: 'gaussian' };
    await helper.load(anomalyDetect, harness('anomaly-detect', props));
    const out1 = collect('out1');
    const input = windows(300);
    for (const payload of input) getNode('n1').receive({ topic: 'room1', payload });
    const got = (await out1.next(300)).map((m) => m.payload.prediction);
    const parsed = parseAnomalyConfig(props);
    assert.ok(parsed.ok);
    const exact = new AnomalySession(parsed.config);
    let unroundedSeen = 0;
    input.forEach((payload, i) => {
      const result = exact.score('room1', payload.features, payload.end);
      assert.ok(result.ok);
      const p = result.prediction;
      if (!isRounded(p.score) || !isRounded(p.likelihood)) unroundedSeen++;
      assert.deepEqual(got[i], { ...p, score: roundScore(p.score), likelihood: roundScore(p.likelihood), confidence: roundScore(p.confidence) }, `window ${i}`);
      for (const key of ['score', 'likelihood', 'confidence'] as const) assert.ok(isRounded(got[i][key]), `window ${i}: ${key} ${got[i][key]}`);
    });
    assert.ok(unroundedSeen > 100, `the exact values had more digits (${unroundedSeen} windows): the test can fail`);
    assert.ok(got.some((p) => p.label === 'anomaly'), 'the spikes are found');
  });

  it('model-predict: an anomaly model\'s score and confidence rounded; the label decided on the exact score', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-round-'));
    try {
      const file = path.join(dir, 'room.json');
      const fitted = await fitAnomalyModel(windows(200).map((w) => ({ features: w.features })), { name: 'room', createdAt: new Date(0), method: 'robust-z', contamination: 0.01 });
      if (!fitted.ok) throw new Error(fitted.error);
      await saveModel(file, fitted.result.model);
      const loaded = loadModel(fs.readFileSync(file));
      assert.ok(loaded.ok);
      const features = { 'temp.mean': 22.345678, 'hum.mean': 51.2345 };
      const probe = loaded.model.predict(features);
      assert.ok(probe.ok);
      const score = probe.prediction.score!;
      assert.ok(!isRounded(score), `the exact score ${score} has more digits than a message keeps`);
      // A threshold between the exact score and its rounded value: the exact one decides.
      const rounded = roundScore(score);
      const threshold = (score + rounded) / 2;
      const expected = score > threshold ? 'anomaly' : 'normal';
      await helper.load([mlModel, modelPredict], [...harness('model-predict', { model: 'cfg', threshold, drift: false }), { id: 'cfg', type: 'ml-model', path: file }]);
      for (let i = 0; i < 100 && !/room v/.test(lastStatus(getNode('n1'))?.text ?? ''); i++) await settle(20);
      const out1 = collect('out1');
      getNode('n1').receive({ payload: { deviceId: 'room1', features } });
      const [msg] = await out1.next(1);
      const p = msg.payload.prediction;
      assert.equal(p.score, rounded);
      assert.ok(isRounded(p.confidence), `confidence ${p.confidence}`);
      assert.equal(p.label, expected, `exact ${score}, threshold ${threshold}, shown ${p.score}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
