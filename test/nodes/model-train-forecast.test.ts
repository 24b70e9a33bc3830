import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { helper, harness, collect, getNode } from '../helpers/runtime';
import { runtimeWithUserDir } from '../helpers/userdir';
import featureWindow = require('../../src/nodes/feature-window');
import mlModel = require('../../src/nodes/ml-model');
import modelTrain = require('../../src/nodes/model-train');

/**
 * model-train learning a forecast live, in a real runtime: feature-window's 1-minute windows of a room's CO2 go
 * straight into model-train with `target: co` and `horizon: 1min` and no label at all. Each window is labelled by
 * the CO2 the next minute brought; the model file keeps the horizon, and once a model is live, the next training's
 * output and the status show how the live model did on the windows labelled since.
 */
describe('model-train: live forecasts (target + horizon, no labels)', function () {
  this.timeout(120_000);
  // A fresh user directory and runtime per test (test/helpers/userdir.ts); these flows use files of their own.
  const userDir = runtimeWithUserDir('iot-ai-train-forecast-');

  const MIN = 60_000;
  const START = Date.UTC(2026, 2, 2, 8, 0, 0);
  /** A room's CO2: an hourly swing, so the next minute follows from the last value and its slope. */
  const co = (t: number) => 600 + 150 * Math.sin((2 * Math.PI * (t - START)) / (60 * MIN));

  it('trains a regression forecast whose file keeps the horizon, then reports the live model\'s error beside the training error', async () => {
    const flow = [...harness('model-train', { model: 'cfg', task: 'regression', target: 'co', horizon: '1min', every: 50, promote: 'always', trees: 10, testFraction: 0.2 }, 2, [
      { id: 'fw', type: 'feature-window', window: 'tumbling', size: 1, unit: 'min', time: 'event', features: ['mean', 'last', 'slope'], wires: [['n1'], []] },
    ]), { id: 'cfg', type: 'ml-model', path: 'forecast.json', watch: false }];
    await helper.load([featureWindow, mlModel, modelTrain], flow);
    const out1 = collect('out1');
    const out2 = collect('out2');
    const fw = getNode('fw');
    // Readings every 10 s, CO2 and temperature; minutes [from, to).
    const feed = (from: number, to: number) => {
      for (let t = START + from * MIN; t < START + to * MIN; t += 10_000) {
        fw.receive({ payload: { deviceId: 'room1', sensor: 'co', value: co(t), ts: t } });
        fw.receive({ payload: { deviceId: 'room1', sensor: 'temp', value: 21 + (t % 7) / 10, ts: t } });
      }
    };
    feed(0, 53);
    const [first] = await out1.next(1, 60_000);
    assert.equal(first.payload.samples, 50);
    assert.equal(first.payload.metrics.horizon, MIN);
    assert.equal(typeof first.payload.metrics.mae, 'number');
    assert.ok(first.payload.metrics.skill?.persistence, `skill over persistence in the metrics: ${JSON.stringify(first.payload.metrics.skill)}`);
    assert.equal(first.payload.live, undefined, 'no model was live before');
    const file = JSON.parse(fs.readFileSync(path.join(userDir.dir(), 'forecast.json'), 'utf8'));
    assert.equal(file.horizon, MIN, 'the model file keeps the horizon');
    assert.equal(file.task, 'regression');
    assert.ok(file.featureNames.includes('co.last'));

    // The model is live: each window labelled from now on is scored by it.
    feed(53, 110);
    const [, second] = await out1.next(2, 60_000);
    const live = second.payload.live;
    assert.ok(live && typeof live.mae === 'number' && live.windows >= 40 && live.version === first.payload.model.version, JSON.stringify(live));
    // A model of the last value and its slope forecasts a smooth swing of ±150 ppm well.
    assert.ok(live.mae < 40, `live MAE ${live.mae}`);
    // The new model is scored as the next windows are labelled: the status shows its own live error.
    feed(110, 125);
    const n1 = getNode('n1');
    // The helper spies on every node's status: this node's own, last (it may follow the message by a moment).
    // (The test runtime shows the locale's keys: `model-train.status.mae` for "MAE".)
    const shown = /mae \S*train [\d.]+ · \S*live [\d.]+ \(\d+\)/;
    const ownStatus = () => String(((n1.status as any).getCalls() as Array<{ thisValue: unknown; args: any[] }>).filter((call) => call.thisValue === n1).pop()?.args[0]?.text);
    for (const deadline = Date.now() + 20_000; !shown.test(ownStatus()) && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.match(ownStatus(), shown);
    assert.deepEqual(out2.messages.map((m) => m.error?.code), []);
  });

  it('a model-train saved before (no target, no horizon) is unchanged: an unlabelled window waits for its label event', async () => {
    const flow = [...harness('model-train', { model: 'cfg', task: 'regression', every: 0 }), { id: 'cfg', type: 'ml-model', path: 'old.json', watch: false }];
    await helper.load([mlModel, modelTrain], flow);
    const n1 = getNode('n1');
    const window = (m: number) => ({ payload: { deviceId: 'room1', start: START + m * MIN, end: START + (m + 1) * MIN, features: { 'co.last': co(START + m * MIN), 'co.mean': 1 } } });
    n1.receive(window(0));
    n1.receive(window(1));
    n1.receive(window(2));
    n1.receive({ payload: { deviceId: 'room1', label: 7, ts: START + 30_000 } });
    n1.receive({ export: 'old.csv' });
    const [exported] = await collect('out1').next(1, 10_000);
    assert.equal(exported.payload.samples, 1, 'only the window the label event covers: none labelled by what followed');
    const file = String(exported.payload.exported);
    const csv = fs.readFileSync(path.isAbsolute(file) ? file : path.join(userDir.dir(), file), 'utf8');
    assert.match(csv.trim().split('\n')[1], /,7$/);
  });
});
