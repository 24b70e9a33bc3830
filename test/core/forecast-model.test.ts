/**
 * Forecast models (#16): the model file keeps `horizon` (ms); a regression forecast gives `interval` (the 10th and
 * 90th percentile of the trees' outputs); forecasts give `horizon` and `at` (the window's end + horizon).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { examplesFromValues, loadModel, parsePredictConfig, PredictSession, trainModel, type DriftChange, type LoadedModel, type ModelFile } from '../../src/core/model';
import { runs } from '../helpers/fuzz';
import { toyClassifier } from '../helpers/models';
import { regressionData } from './model-test-data';

const NAMES = ['a', 'b', 'c'];

async function toyRegressor(): Promise<ModelFile> {
  const data = regressionData(300, 3, { nFeatures: 3, noise: 2 });
  const examples = examplesFromValues(NAMES, data.rows, Array.from(data.target, String), 'regression');
  if (!examples.ok) throw new Error(JSON.stringify(examples.error));
  const { model } = await trainModel(examples.examples, { name: 'toy-forecast', version: '1', createdAt: new Date(0), forest: { nTrees: 25, seed: 3 }, testFraction: 0.2 });
  return model;
}

function load(file: ModelFile): LoadedModel {
  const loaded = loadModel(file);
  if (!loaded.ok) throw new Error(loaded.error);
  return loaded.model;
}

/** numpy.percentile (linear): the reference for the interval. */
function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  const position = fraction * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

describe('forecast models: horizon, interval and at (#16)', () => {
  let regressor: ModelFile;
  let classifier: ModelFile;
  before(async () => {
    regressor = await toyRegressor();
    classifier = await toyClassifier();
  });

  it('a regression model with horizon: interval = [p10, p90] of the trees\' outputs, horizon, at = end + horizon; value and spread as without', () => {
    const plain = load(regressor);
    const forecast = load({ ...regressor, horizon: 1_800_000 });
    assert.equal(forecast.file.horizon, 1_800_000);
    const row = Float64Array.from([2, 5, 7]);
    const before = plain.predictVector(row);
    assert.equal(before.interval, undefined);
    assert.equal(before.horizon, undefined);
    assert.equal(before.at, undefined);
    const end = Date.UTC(2026, 5, 1, 8, 0);
    const p = forecast.predictVector(row, { end });
    assert.equal(p.value, before.value);
    assert.equal(p.spread, before.spread);
    const outputs = Array.from(forecast.forest!.treeOutputs(Float64Array.from(row), new Float64Array(forecast.forest!.nTrees)));
    assert.deepEqual(p.interval, [percentile(outputs, 0.1), percentile(outputs, 0.9)]);
    assert.ok(p.interval![0] < p.interval![1], 'the trees disagree on noisy data');
    assert.equal(p.horizon, 1_800_000);
    assert.equal(p.at, end + 1_800_000);
    // Without the window's end there is no time to give.
    const undated = forecast.predictVector(row);
    assert.equal(undated.at, undefined);
    assert.equal(undated.horizon, 1_800_000);
  });

  it('a classification forecast gives horizon and at, and no interval', () => {
    const p = load({ ...classifier, horizon: 900_000 }).predict({ 'temp.mean': 30, 'noise.mean': 1 }, { end: 1000 });
    assert.ok(p.ok);
    assert.equal(p.prediction.label, 'hot');
    assert.equal(p.prediction.interval, undefined);
    assert.deepEqual([p.prediction.horizon, p.prediction.at], [900_000, 901_000]);
  });

  it('the model file: horizon must be a number of ms above 0; a file without it loads as before', () => {
    assert.ok(loadModel(regressor).ok);
    for (const bad of [0, -5, '15min', null]) {
      const loaded = loadModel({ ...regressor, horizon: bad });
      assert.equal(loaded.ok, false, `horizon ${String(bad)}`);
      assert.match(!loaded.ok ? loaded.error : '', /horizon/);
    }
  });

  it('PredictSession dates the prediction from the window end it is given (model-predict passes payload.end)', () => {
    const parsed = parsePredictConfig({ drift: false });
    assert.ok(parsed.ok);
    const session = new PredictSession(parsed.config);
    const changes: DriftChange[] = [];
    const live = load({ ...regressor, horizon: 3_600_000 });
    const dated = session.predict(live, { a: 1, b: 2, c: 3 }, 'd', changes, 5000);
    assert.ok(dated.ok);
    assert.equal(dated.prediction.at, 3_605_000);
    const notANumber = session.predict(live, { a: 1, b: 2, c: 3 }, 'd', changes, '5000');
    assert.ok(notANumber.ok);
    assert.equal(notANumber.prediction.at, undefined);
  });

  it('property: predictRowWithQuantiles gives predictRow\'s prediction and numpy\'s percentiles of the trees\' outputs', () => {
    const forest = load(regressor).forest!;
    fc.assert(
      fc.property(fc.array(fc.double({ min: -5, max: 15, noNaN: true }), { minLength: 3, maxLength: 3 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }), (values, fractions) => {
        const row = Float64Array.from(values);
        const expected = forest.predictRow(Float64Array.from(row));
        const outputs = Array.from(forest.treeOutputs(Float64Array.from(row), new Float64Array(forest.nTrees)));
        const got = forest.predictRowWithQuantiles(Float64Array.from(row), fractions);
        assert.deepEqual(got.prediction, expected);
        got.quantiles.forEach((q, i) => assert.ok(Math.abs(q - percentile(outputs, fractions[i])) < 1e-9));
      }),
      { numRuns: runs(200, 2000) },
    );
    assert.throws(() => forest.predictRowWithQuantiles(new Float64Array(3), [1.5]), /in \[0, 1\]/);
  });
});

describe('trainModel with forecast options (#16)', () => {
  it('regression: writes horizon, and scores skill over persistence and the day before and the interval coverage on the held-out rows', async () => {
    const data = regressionData(300, 9, { nFeatures: 3, noise: 1 });
    const examples = examplesFromValues(NAMES, data.rows, Array.from(data.target, String), 'regression');
    assert.ok(examples.ok);
    // Persistence: the truth plus 2 (a poor reference); the day before: missing on every other row.
    const persistence = Array.from(data.target, (v) => v + 2);
    const dayBefore = Array.from(data.target, (v, i) => (i % 2 === 0 ? String(v + 1) : undefined));
    const { model, metrics, evaluated } = await trainModel(examples.examples, {
      name: 'f', createdAt: new Date(0), forest: { nTrees: 20, seed: 1 }, testFraction: 0.25, holdoutNewest: 75,
      forecast: { horizon: 900_000, persistence, dayBefore },
    });
    assert.equal(model.horizon, 900_000);
    assert.equal(metrics.horizon, 900_000);
    const skill = metrics.skill!;
    assert.equal(skill.rows, 75);
    assert.equal(skill.persistence!.rows, 75);
    assert.ok(Math.abs(skill.persistence!.mae! - 2) < 1e-9, 'persistence is off by 2 on every row');
    assert.ok(Math.abs(skill.persistence!.skill! - (1 - skill.mae! / 2)) < 1e-12);
    assert.ok(skill.persistence!.skill! > 0, 'the model beats a reference that is 2 off');
    assert.ok(Math.abs(skill.dayBefore!.mae! - 1) < 1e-9);
    assert.ok(skill.dayBefore!.rows > 30 && skill.dayBefore!.rows < 45, 'the rows with a day-before value');
    // The interval: calibrated (CQR) on the older 37 held-out rows, its coverage measured on the newer 38, which the
    // calibration did not see, with exactly the interval the written file gives.
    const calibration = model.forecast!.interval!;
    assert.deepEqual([calibration.method, calibration.quantiles, calibration.coverage, calibration.rows], ['cqr', [0.1, 0.9], 0.8, 37]);
    const loaded = load(model);
    const forest = loaded.forest!;
    const scores = Array.from({ length: 37 }, (_, k) => {
      const { quantiles } = forest.predictRowWithQuantiles(Float64Array.from(data.rows[225 + k]), [0.1, 0.9]);
      return Math.max(quantiles[0] - evaluated!.truth[k], evaluated!.truth[k] - quantiles[1]);
    }).sort((a, b) => a - b);
    assert.equal(calibration.margin, scores[Math.ceil(38 * 0.8) - 1], 'the ⌈(n + 1)·0.8⌉-th smallest score of the calibration rows');
    let inside = 0;
    let insideRaw = 0;
    for (let k = 37; k < 75; k++) {
      const row = Float64Array.from(data.rows[225 + k]);
      const [low, high] = loaded.predictVector(row).interval!;
      assert.ok(Math.abs(low - (forest.predictRowWithQuantiles(row, [0.1]).quantiles[0] - calibration.margin)) < 1e-9, 'p10 − margin');
      if (evaluated!.truth[k] >= low && evaluated!.truth[k] <= high) inside++;
      const raw = forest.predictRowWithQuantiles(row, [0.1, 0.9]).quantiles;
      if (evaluated!.truth[k] >= raw[0] && evaluated!.truth[k] <= raw[1]) insideRaw++;
    }
    assert.equal(metrics.intervalCoverage, inside / 38);
    assert.deepEqual(metrics.interval, { method: 'cqr', nominal: 0.8, calibrationRows: 37, margin: calibration.margin, coverageRows: 38, uncalibratedCoverage: insideRaw / 38 });
    assert.ok(loadModel(model).ok, 'the file with horizon and the forecast metrics loads');
  });

  it('classification: skill by accuracy, no interval coverage; without forecast options nothing changes', async () => {
    const rows: Float64Array[] = [];
    const labels: string[] = [];
    for (let i = 0; i < 200; i++) {
      rows.push(Float64Array.from([i % 40, (i * 7) % 13]));
      labels.push(i % 40 > 20 ? 'on' : 'off');
    }
    const examples = examplesFromValues(['a', 'b'], rows, labels, 'classification');
    assert.ok(examples.ok);
    const persistence = labels.map((label, i) => (i % 5 === 0 ? (label === 'on' ? 'off' : 'on') : label)); // right 4 times in 5
    const options = { name: 'c', createdAt: new Date(0), forest: { nTrees: 15, seed: 2 }, holdoutNewest: 50 };
    const { metrics } = await trainModel(examples.examples, { ...options, forecast: { horizon: 60_000, persistence } });
    assert.equal(metrics.intervalCoverage, undefined);
    const skill = metrics.skill!;
    assert.equal(skill.task, 'classification');
    assert.equal(skill.persistence!.rows, 50);
    assert.ok(Math.abs(skill.persistence!.accuracy! - 0.8) < 1e-12);
    assert.ok(Math.abs(skill.persistence!.skill! - (skill.accuracy! - 0.8) / 0.2) < 1e-12);
    const plain = await trainModel(examples.examples, options);
    assert.equal(plain.model.horizon, undefined);
    for (const key of ['horizon', 'skill', 'intervalCoverage']) assert.equal(key in plain.metrics, false, key);
  });
});
