/**
 * Regression forecasts (#16): the change from a feature (`forecast.changeFrom`) and the split-conformal (CQR)
 * calibration of the interval (`forecast.interval`), docs/forecasting.md. Before them the forest forecast the level
 * (it cannot follow a level it has not seen) and the trees' [p10, p90] covered 0.67–0.69 of real held-out rows
 * instead of 0.80.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { conformalMargin, conformityScores, examplesFromValues, loadModel, Random, trainModel, widen, type LoadedModel, type ModelFile } from '../../src/core/model';
import { runs } from '../helpers/fuzz';

/** A seeded draw from one of several shapes of noise (exchangeable rows need not be Gaussian). */
function noiseOf(kind: number, rng: Random): number {
  const u = rng.next();
  switch (kind) {
    case 0:
      return u - 0.5; // uniform
    case 1:
      return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * rng.next()); // normal
    case 2:
      return Math.tan(Math.PI * (u - 0.5)) / 10; // Cauchy: heavy tails
    default:
      return -Math.log(1 - u); // exponential: skewed
  }
}

function load(file: ModelFile): LoadedModel {
  const loaded = loadModel(file);
  if (!loaded.ok) throw new Error(loaded.error);
  return loaded.model;
}

describe('conformal calibration of forecast intervals (#16)', () => {
  it('property: the margin is the ⌈(n + 1)·c⌉-th smallest score — at least that many scores lie at or below it; null when that rank is above n', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 60 }), fc.double({ min: 0.01, max: 0.99, noNaN: true }), (scores, coverage) => {
        const margin = conformalMargin(scores, coverage);
        const rank = Math.ceil((scores.length + 1) * coverage - 1e-9);
        if (rank > scores.length) {
          assert.equal(margin, null);
          return;
        }
        assert.notEqual(margin, null);
        assert.ok(scores.includes(margin as number), 'one of the scores');
        assert.ok(scores.filter((s) => s <= (margin as number)).length >= rank);
        assert.ok(scores.filter((s) => s < (margin as number)).length < rank, 'and no larger than it needs to be');
      }),
      { numRuns: runs(300, 3000) },
    );
    assert.equal(conformalMargin([1, 2, 3], 0.8), null, 'under 4 rows an 80 % margin would be unbounded');
    assert.equal(conformalMargin([4, 1, 3, 2], 0.8), 4);
    assert.throws(() => conformalMargin([1], 1), /coverage/);
  });

  it('property: on random exchangeable data the calibrated interval covers close to 80 % of new rows, whatever the raw interval and the noise', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 3 }),
        fc.double({ min: 0.01, max: 5, noNaN: true }),
        fc.double({ min: -2, max: 2, noNaN: true }),
        (seed, kind, width, bias) => {
          // y = x + noise; the raw interval x + bias ± width is as wrong as it likes (too narrow, too wide, off-centre).
          const rng = new Random(seed, 7);
          const draw = (n: number) => {
            const truth = new Float64Array(n);
            const low = new Float64Array(n);
            const high = new Float64Array(n);
            for (let i = 0; i < n; i++) {
              const x = rng.next() * 100;
              truth[i] = x + noiseOf(kind, rng);
              low[i] = x + bias - width;
              high[i] = x + bias + width;
            }
            return { truth, low, high };
          };
          const calibration = draw(1000);
          const margin = conformalMargin(conformityScores(calibration.truth, calibration.low, calibration.high), 0.8);
          assert.notEqual(margin, null);
          const fresh = draw(3000);
          let inside = 0;
          for (let i = 0; i < 3000; i++) {
            const [low, high] = widen(fresh.low[i], fresh.high[i], margin as number);
            if (fresh.truth[i] >= low && fresh.truth[i] <= high) inside++;
          }
          // Coverage given the calibration rows is Beta-distributed around 0.8 (sd ≈ 0.013) and the 3000 fresh rows
          // add sd ≈ 0.007: 0.07 is about five standard deviations.
          assert.ok(Math.abs(inside / 3000 - 0.8) < 0.07, `coverage ${inside / 3000} (margin ${margin})`);
        },
      ),
      { numRuns: runs(25, 250) },
    );
  });

  it('property: widen keeps low ≤ high, a margin ≥ 0 contains the raw interval, and one that would turn it inside out gives its midpoint', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: -1e6, max: 1e6, noNaN: true }), (low, width, margin) => {
        const high = low + width;
        const [from, to] = widen(low, high, margin);
        assert.ok(from <= to);
        if (margin >= 0) assert.ok(from <= low && to >= high);
        if (2 * margin < -width) assert.deepEqual([from, to], [(low + high) / 2, (low + high) / 2]);
      }),
      { numRuns: runs(300, 3000) },
    );
  });

  it('trainModel on exchangeable rows: the written interval covers about 80 % of the newer half of the hold-out, where the trees\' own covered less', async () => {
    const rng = new Random(11, 3);
    const rows: Float64Array[] = [];
    const labels: string[] = [];
    for (let i = 0; i < 1600; i++) {
      const row = Float64Array.from([rng.next() * 10, rng.next() * 10]);
      rows.push(row);
      labels.push(String(3 * row[0] + noiseOf(1, rng) * 2));
    }
    const examples = examplesFromValues(['x', 'noise'], rows, labels, 'regression');
    assert.ok(examples.ok);
    const { model, metrics } = await trainModel(examples.examples, {
      name: 'f', createdAt: new Date(0), forest: { nTrees: 30, seed: 4 }, holdoutNewest: 800, forecast: { horizon: 60_000 },
    });
    const interval = metrics.interval!;
    assert.deepEqual([interval.method, interval.calibrationRows, interval.coverageRows], ['cqr', 400, 400]);
    assert.ok(Math.abs(metrics.intervalCoverage! - 0.8) < 0.08, `calibrated coverage ${metrics.intervalCoverage}`);
    assert.ok(interval.uncalibratedCoverage < 0.72, `the trees agree more than the noise does: ${interval.uncalibratedCoverage}`);
    assert.ok(interval.margin! > 0, 'so the margin widens');
    assert.equal(model.forecast!.interval!.margin, interval.margin);
  });

  it('too few held-out rows to calibrate (or none): the trees\' [p10, p90], measured on every evaluated row, and nothing calibrated in the file', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => Float64Array.from([i % 10, (i * 3) % 7]));
    const examples = examplesFromValues(['a', 'b'], rows, rows.map((r) => String(r[0] * 2 + r[1])), 'regression');
    assert.ok(examples.ok);
    const few = await trainModel(examples.examples, { name: 'f', createdAt: new Date(0), forest: { nTrees: 10, seed: 1 }, holdoutNewest: 6, forecast: { horizon: 1000 } });
    assert.deepEqual({ ...few.metrics.interval, uncalibratedCoverage: 0 }, { method: 'trees', nominal: 0.8, coverageRows: 6, uncalibratedCoverage: 0 });
    assert.equal(few.metrics.intervalCoverage, few.metrics.interval!.uncalibratedCoverage);
    assert.equal(few.model.forecast, undefined, 'a level forecast without calibration writes no forecast block');
    const none = await trainModel(examples.examples, { name: 'f', createdAt: new Date(0), forest: { nTrees: 10, seed: 1 }, holdoutNewest: 0, forecast: { horizon: 1000 } });
    assert.equal(none.metrics.intervalCoverage, undefined);
    assert.equal(none.model.forecast, undefined);
  });
});

describe('change forecasts: forecast.changeFrom (#16)', () => {
  /**
   * The label is the base + a change the other feature decides; the newest rows sit at a level (base 500–600) the
   * older ones never reached (0–100), as the test week's CO2 sat above the training week's.
   */
  function shiftedData(): { rows: Float64Array[]; labels: string[] } {
    const rng = new Random(5, 1);
    const rows: Float64Array[] = [];
    const labels: string[] = [];
    for (let i = 0; i < 400; i++) {
      const base = (i < 300 ? 0 : 500) + rng.next() * 100;
      const x = rng.next() * 10;
      rows.push(Float64Array.from([base, x]));
      labels.push(String(base + (x > 5 ? 20 : -20) + noiseOf(0, rng)));
    }
    return { rows, labels };
  }

  it('learns label − base and adds the base back: a level never seen in training is followed, where the level forecast fails', async () => {
    const { rows, labels } = shiftedData();
    const examples = examplesFromValues(['level.last', 'x'], rows, labels, 'regression');
    assert.ok(examples.ok);
    const options = { name: 'f', createdAt: new Date(0), forest: { nTrees: 20, seed: 2 }, holdoutNewest: 100 };
    const change = await trainModel(examples.examples, { ...options, forecast: { horizon: 900_000, changeFrom: 'level.last' } });
    const level = await trainModel(examples.examples, { ...options, forecast: { horizon: 900_000 } });
    const mae = (m: typeof change.metrics) => (m as { mae: number }).mae;
    assert.ok(mae(change.metrics) < 2, `change MAE ${mae(change.metrics)}`);
    assert.ok(mae(level.metrics) > 300, `level MAE ${mae(level.metrics)}: an average of training labels cannot reach 500`);
    assert.equal(change.metrics.changeFrom, 'level.last');
    assert.equal(change.model.forecast!.changeFrom, 'level.last');
    // The metrics are of levels: the evaluated truth is the label itself, not the change.
    assert.equal(change.evaluated!.truth[0], Number(labels[300]));

    const model = load(change.model);
    const row = Float64Array.from([543.5, 7]);
    const p = model.predictVector(row, { end: 0 });
    const { prediction, quantiles } = model.forest!.predictRowWithQuantiles(Float64Array.from(row), [0.1, 0.9]);
    assert.ok(Math.abs(p.value! - (543.5 + prediction.value)) < 1e-9, 'base + the forest\'s change');
    assert.ok(Math.abs(prediction.value - 20) < 3, `the forest holds the change (${prediction.value})`);
    const margin = change.model.forecast!.interval!.margin;
    assert.deepEqual(p.interval, [543.5 + quantiles[0] - margin, 543.5 + quantiles[1] + margin], 'the interval moves with the base');
    assert.ok(p.interval![0] <= p.value! && p.value! <= p.interval![1]);
  });

  it('property: explanations stay additive — base (the expected change + the base feature\'s value) + every contribution = the forecast', async () => {
    const { rows, labels } = shiftedData();
    const examples = examplesFromValues(['level.last', 'x'], rows, labels, 'regression');
    assert.ok(examples.ok);
    const { model: file } = await trainModel(examples.examples, { name: 'f', createdAt: new Date(0), forest: { nTrees: 10, seed: 3 }, holdoutNewest: 100, forecast: { horizon: 60_000, changeFrom: 'level.last' } });
    const model = load(file);
    fc.assert(
      fc.property(fc.double({ min: -1e4, max: 1e4, noNaN: true }), fc.double({ min: -5, max: 15, noNaN: true }), (base, x) => {
        const result = model.predict({ 'level.last': base, x }, { explain: 2 });
        assert.ok(result.ok);
        const { value, explanation } = result.prediction;
        assert.deepEqual(explanation!.changeFrom, { feature: 'level.last', value: base });
        const sum = explanation!.contributions.reduce((total, c) => total + c.contribution, explanation!.base);
        assert.ok(Math.abs(sum - value!) < 1e-6 * Math.max(1, Math.abs(value!)), `${sum} vs ${value}`);
      }),
      { numRuns: runs(100, 1000) },
    );
  });

  it('a missing base is refused, with missing features allowed or not; trainModel refuses examples without it', async () => {
    const { rows, labels } = shiftedData();
    const examples = examplesFromValues(['level.last', 'x'], rows, labels, 'regression');
    assert.ok(examples.ok);
    const { model: file } = await trainModel(examples.examples, { name: 'f', createdAt: new Date(0), forest: { nTrees: 5, seed: 3 }, holdoutNewest: 100, forecast: { horizon: 60_000, changeFrom: 'level.last' } });
    const model = load(file);
    const allowed = model.predict({ x: 3 }, { missing: 'allow' });
    assert.deepEqual(allowed, { ok: false, error: { code: 'features', message: 'feature "level.last" is missing: this forecast is the change from its value', path: '/level.last' } });
    const missingX = model.predict({ 'level.last': 50 }, { missing: 'allow' });
    assert.ok(missingX.ok && missingX.prediction.missing?.[0] === 'x', 'another missing feature is still allowed');
    assert.equal(model.predict({ x: 3 }).ok, false);

    const gap = rows.map((row, i) => (i === 7 ? Float64Array.from([NaN, row[1]]) : row));
    const withGap = examplesFromValues(['level.last', 'x'], gap, labels, 'regression');
    assert.ok(withGap.ok);
    await assert.rejects(trainModel(withGap.examples, { name: 'f', createdAt: new Date(0), forest: { nTrees: 2 }, forecast: { horizon: 1, changeFrom: 'level.last' } }), /example 7 has no value of level\.last/);
    await assert.rejects(trainModel(examples.examples, { name: 'f', createdAt: new Date(0), forest: { nTrees: 2 }, forecast: { horizon: 1, changeFrom: 'nope' } }), /not a feature/);
  });

  it('the model file: forecast belongs to a regression forecast and names a feature; a file without it loads as before', async () => {
    const { rows, labels } = shiftedData();
    const examples = examplesFromValues(['level.last', 'x'], rows, labels, 'regression');
    assert.ok(examples.ok);
    const { model: file } = await trainModel(examples.examples, { name: 'f', createdAt: new Date(0), forest: { nTrees: 5, seed: 3 }, holdoutNewest: 100, forecast: { horizon: 60_000, changeFrom: 'level.last' } });
    assert.ok(loadModel(file).ok);
    const refused = (changed: object, pattern: RegExp) => {
      const loaded = loadModel({ ...file, ...changed });
      assert.equal(loaded.ok, false, JSON.stringify(changed));
      assert.match(loaded.ok ? '' : loaded.error, pattern);
    };
    refused({ forecast: { changeFrom: 'co2.last' } }, /forecast\.changeFrom names "co2\.last", which is not in featureNames/);
    refused({ forecast: { changeFrom: '' } }, /changeFrom/);
    refused({ horizon: undefined }, /"forecast" belongs to a regression forecast \(task regression with a horizon\), not a regression model without horizon/);
    refused({ forecast: { interval: { ...file.forecast!.interval, margin: 'wide' } } }, /margin/);
    refused({ forecast: { interval: { ...file.forecast!.interval, quantiles: [0.9, 0.1] } } }, /quantiles must be \[low, high\] with low < high/);
    refused({ forecast: { interval: { ...file.forecast!.interval, method: 'bootstrap' } } }, /method/);
    // Older files: no forecast block, the level and the trees' [p10, p90] as before.
    const { forecast: _dropped, ...older } = file;
    const plain = load(older as ModelFile);
    const row = Float64Array.from([543.5, 7]);
    const { prediction, quantiles } = plain.forest!.predictRowWithQuantiles(Float64Array.from(row), [0.1, 0.9]);
    assert.deepEqual(plain.predictVector(row).interval, quantiles);
    assert.equal(plain.predictVector(row).value, prediction.value);
  });
});
