/**
 * A forecast model in the real runtime (#16): feature-window (with `calendar`) → model-predict with a model file that
 * keeps `horizon`. The prediction carries `horizon`, `at` = the window's end + horizon, and `interval` = [p10, p90] of
 * the trees' outputs (calibrated, and moved with the window's value for a change forecast); a model without horizon
 * carries none of them, as before.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CompiledForest, examplesFromValues, labelByHorizon, saveModel, trainModel, type ModelFile, type TreeForest } from '../../src/core/model';
import { labelRowsOf, parseWindowConfig, windowRows, type WideRow } from '../../src/core/window';
import { helper, harness, collect, getNode, settle, lastStatus } from '../helpers/runtime';
import featureWindow = require('../../src/nodes/feature-window');
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');

const MIN = 60_000;
const HORIZON = 30 * MIN;
const WINDOW = { window: 'tumbling', size: 10, unit: 'min', sensors: 'temp', features: ['mean', 'last', 'calendar'], timeZone: 'Europe/Berlin' };
const START = Date.UTC(2026, 4, 4, 0, 0); // a Monday

/** A daily temperature curve, a reading a minute, for `days` days. */
function readings(days: number): WideRow[] {
  const rows: WideRow[] = [];
  for (let t = START; t < START + days * 86_400_000; t += MIN) {
    const hour = ((t - START) / 3_600_000) % 24;
    rows.push({ deviceId: 'room', ts: t, temp: 20 + 3 * Math.sin((2 * Math.PI * (hour - 8)) / 24) });
  }
  return rows;
}

/** Trained the way `iot-ai train --window --horizon` will: the node's windows, labelled 30 min ahead from `temp`. */
async function forecastModel(): Promise<ModelFile> {
  return (await trainedForecast()).model;
}

/**
 * The node's windows over three days, labelled 30 min ahead from `temp`; `change`: the forest learns the change from
 * `temp.last` (forecast.changeFrom) with the newest 100 windows held out, so the file's interval is calibrated too.
 */
async function trainedForecast(change = false): Promise<{ model: ModelFile }> {
  const parsed = parseWindowConfig(WINDOW);
  if (!parsed.ok) throw new Error(parsed.error);
  const wide = readings(3);
  const windowed = windowRows(wide, parsed.config);
  const { labelled } = labelByHorizon(windowed.rows, labelRowsOf(wide, 'temp'), HORIZON);
  const rows = labelled.map((w) => Float64Array.from(windowed.featureNames, (name) => w.features[name]));
  const examples = examplesFromValues(windowed.featureNames, rows, labelled.map((w) => String(w.label)), 'regression');
  if (!examples.ok) throw new Error(JSON.stringify(examples.error));
  if (change) {
    const { model } = await trainModel(examples.examples, { name: 'room-change', version: '1', createdAt: new Date(0), forest: { nTrees: 20, seed: 5 }, holdoutNewest: 100, forecast: { horizon: HORIZON, changeFrom: 'temp.last' } });
    return { model };
  }
  const { model } = await trainModel(examples.examples, { name: 'room-forecast', version: '1', createdAt: new Date(0), forest: { nTrees: 20, seed: 5 }, testFraction: 0.2 });
  return { model: { ...model, horizon: HORIZON } };
}

describe('model-predict with a forecast model (#16)', function () {
  let dir: string;
  let modelPath: string;
  let file: ModelFile;

  before(async () => {
    file = await forecastModel();
  });
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-forecast-'));
    modelPath = path.join(dir, 'forecast.json');
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // feature-window `fw` feeds model-predict `n1`; the ml-model config node sits outside the tab.
  const flow = () =>
    harness('model-predict', { model: 'cfg' }, 2, [{ id: 'fw', type: 'feature-window', version: 1, ...WINDOW, wires: [['n1'], []] }]).concat([
      { id: 'cfg', type: 'ml-model', path: modelPath, watch: false },
    ]);

  async function loaded(name: string): Promise<void> {
    const n1 = getNode('n1');
    for (let i = 0; i < 250 && !new RegExp(`${name} v`).test(lastStatus(n1)?.text ?? ''); i++) await settle(20);
  }

  it('adds horizon, at = window end + horizon and interval [low, high] to each window\'s forecast', async () => {
    await saveModel(modelPath, file);
    await helper.load([featureWindow, mlModel, modelPredict], flow());
    await loaded('room-forecast');
    const out1 = collect('out1');
    const completed = collect('completed');
    const fw = getNode('fw');
    const day = readings(4).slice(3 * 1440, 3 * 1440 + 35); // the fourth day's first 35 minutes: three windows close
    for (const row of day) fw.receive({ payload: { deviceId: 'room', sensor: 'temp', value: row.temp as number, ts: row.ts as number } });
    const forecasts = await out1.next(3, 10_000);
    await completed.next(3, 10_000);
    for (const msg of forecasts) {
      const { end, features, prediction } = msg.payload;
      assert.equal(typeof features['calendar.hourSin'], 'number', 'the window carries the calendar features the model needs');
      assert.equal(prediction.horizon, HORIZON);
      assert.equal(prediction.at, end + HORIZON);
      assert.ok(Array.isArray(prediction.interval) && prediction.interval.length === 2);
      const [low, high] = prediction.interval;
      assert.ok(low <= high, `interval [${low}, ${high}]`);
      assert.ok(low >= 16 && high <= 24, 'within the range the trees learnt');
      // The label of a window is the latest reading before end + horizon: the curve a minute before `at`.
      const hour = ((prediction.at - MIN - START) / 3_600_000) % 24;
      const truth = 20 + 3 * Math.sin((2 * Math.PI * (hour - 8)) / 24);
      assert.ok(Math.abs(prediction.value - truth) < 0.5, `forecast ${prediction.value}, truth ${truth}`);
      assert.deepEqual(prediction.model, { name: 'room-forecast', version: '1' });
    }
    assert.deepEqual(forecasts.map((m) => m.payload.end), [START + 3 * 86_400_000 + 10 * MIN, START + 3 * 86_400_000 + 20 * MIN, START + 3 * 86_400_000 + 30 * MIN]);

    // A batch: each payload is dated by its own end; one without an end gets no `at`.
    const features = forecasts[0].payload.features;
    getNode('n1').receive({ payload: [{ deviceId: 'room', end: 1000, features }, { deviceId: 'room', end: 5000, features }, { deviceId: 'room', features }] });
    const [batch] = await collect('out1').next(1, 10_000);
    assert.deepEqual(batch.payload.map((p: any) => p.prediction.at), [1000 + HORIZON, 5000 + HORIZON, undefined]);
    assert.ok(batch.payload.every((p: any) => p.prediction.horizon === HORIZON && p.prediction.interval.length === 2));
  });

  it('a change forecast (forecast.changeFrom temp.last): value and calibrated interval move with the window\'s temp.last, explanations add up, a missing temp.last is refused', async () => {
    const { model: changeFile } = await trainedForecast(true);
    assert.equal(changeFile.forecast?.changeFrom, 'temp.last');
    const margin = changeFile.forecast!.interval!.margin;
    await saveModel(modelPath, changeFile);
    const flowNodes = flow() as Array<Record<string, unknown>>;
    Object.assign(flowNodes.find((n) => n.id === 'n1')!, { explain: 6, missing: 'allow' });
    await helper.load([featureWindow, mlModel, modelPredict], flowNodes);
    await loaded('room-change');
    const forest = new CompiledForest(changeFile.forest as TreeForest);
    const features = { 'temp.mean': 21.2, 'temp.last': 21.5, 'calendar.hourSin': 0.5, 'calendar.hourCos': 0.8660254, 'calendar.weekdaySin': 0, 'calendar.weekdayCos': 1 };
    const out1 = collect('out1');
    const out2 = collect('out2');
    for (const last of [21.5, 35]) getNode('n1').receive({ payload: { deviceId: 'room', end: 60_000, features: { ...features, 'temp.last': last } } });
    const messages = await out1.next(2, 10_000);
    for (const [k, last] of [21.5, 35].entries()) {
      const { prediction } = messages[k].payload;
      // The forest's own output is a change; the node adds the window's temp.last to it and to its calibrated interval.
      const row = Float64Array.from(changeFile.featureNames, (name) => (name === 'temp.last' ? last : (features as Record<string, number>)[name]));
      const { prediction: change, quantiles } = forest.predictRowWithQuantiles(row, [0.1, 0.9]);
      assert.ok(Math.abs(prediction.value - (last + change.value)) < 1e-9, `${prediction.value} = ${last} + ${change.value}`);
      assert.ok(Math.abs(prediction.interval[0] - (last + quantiles[0] - margin)) < 1e-9 && Math.abs(prediction.interval[1] - (last + quantiles[1] + margin)) < 1e-9, JSON.stringify(prediction.interval));
      assert.equal(prediction.at, 60_000 + HORIZON);
      const { explanation } = prediction;
      assert.deepEqual(explanation.changeFrom, { feature: 'temp.last', value: last });
      const sum = explanation.contributions.reduce((total: number, c: { contribution: number }) => total + c.contribution, explanation.base);
      assert.ok(Math.abs(sum - prediction.value) < 1e-6, `base + contributions ${sum} = value ${prediction.value}`);
    }
    assert.ok(messages[1].payload.prediction.value > 30, 'a temp.last never seen in training is followed');

    const { 'temp.last': _dropped, ...withoutBase } = features;
    getNode('n1').receive({ payload: { deviceId: 'room', end: 60_000, features: withoutBase } });
    const [rejected] = await out2.next(1, 10_000);
    assert.deepEqual({ code: rejected.error.code, path: rejected.error.path }, { code: 'features', path: '/features/temp.last' });
    assert.match(rejected.error.message, /feature "temp\.last" is missing: this forecast is the change from its value/);
  });

  it('the same model without horizon (a file written before forecasts) predicts as before: no horizon, at or interval', async () => {
    const { horizon: _dropped, ...older } = file;
    await saveModel(modelPath, older as ModelFile);
    await helper.load([featureWindow, mlModel, modelPredict], flow());
    await loaded('room-forecast');
    const out1 = collect('out1');
    const fw = getNode('fw');
    for (const row of readings(1).slice(0, 12)) fw.receive({ payload: { deviceId: 'room', sensor: 'temp', value: row.temp as number, ts: row.ts as number } });
    const [msg] = await out1.next(1, 10_000);
    const { prediction } = msg.payload;
    assert.equal(typeof prediction.value, 'number');
    assert.equal(typeof prediction.spread, 'number');
    for (const key of ['horizon', 'at', 'interval']) assert.equal(key in prediction, false, key);
  });
});
