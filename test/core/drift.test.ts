import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DriftMonitor, driftLevel, populationStabilityIndex } from '../../src/core/model/monitor/drift';
import { loadModel } from '../../src/core/model/file/model-file';
import { Random } from '../../src/core/util/rng';
import { buildFeatureSketch, checkFeatureSketch, FeatureSketch, sketchBin } from '../../src/core/model/monitor/sketch';
import { trainModel } from '../../src/core/model/train/train-model';
import { runs } from '../helpers/fuzz';
import { regressionData } from './model-test-data';

const NAMES = ['temp.mean', 'hum.mean', 'co2.max'];

/** Rows like a room's: temp ~ N(21, 1), humidity ~ N(50, 5), CO2 lognormal-ish around 600 (skewed). */
function roomRows(n: number, seed: number, shift: Partial<Record<number, number>> = {}): Float64Array[] {
  const rng = new Random(seed, 31);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  return Array.from({ length: n }, () =>
    Float64Array.of(21 + gauss() + (shift[0] ?? 0), 50 + 5 * gauss() + (shift[1] ?? 0), 600 * Math.exp(0.3 * gauss()) + (shift[2] ?? 0)),
  );
}

describe('model/sketch', () => {
  it('keeps deciles of each feature: ascending cut points and the training share of each bin', () => {
    const sketch = buildFeatureSketch(NAMES, roomRows(2000, 1));
    assert.equal(sketch.kind, 'iot-ai/quantile-sketch@1');
    assert.equal(sketch.rows, 2000);
    for (const feature of sketch.features) {
      assert.equal(feature.edges.length, 9);
      assert.equal(feature.proportions.length, 10);
      for (const share of feature.proportions) assert.ok(Math.abs(share - 0.1) < 0.002, String(share));
      assert.ok(feature.min < feature.edges[0] && feature.edges[8] < feature.max);
    }
    assert.equal(checkFeatureSketch(sketch, NAMES), null);
  });

  it('never cuts a run of equal values: few distinct values give fewer bins, a constant feature one', () => {
    const rows = Array.from({ length: 100 }, (_, i) => Float64Array.of(i < 70 ? 0 : i, 5));
    const sketch = buildFeatureSketch(['count', 'constant'], rows);
    assert.equal(sketch.features[0].edges[0], 0);
    assert.equal(sketch.features[0].proportions[0], 0.7);
    assert.deepEqual(sketch.features[1], { name: 'constant', min: 5, max: 5, edges: [], proportions: [1] });
    assert.equal(checkFeatureSketch(sketch, ['count', 'constant']), null);
    assert.match(checkFeatureSketch(sketch, ['count']) ?? '', /2 features but featureNames has 1/);
  });

  it('puts a value equal to a cut point in the bin below it (as trees split: <= goes left)', () => {
    assert.equal(sketchBin([1, 2, 3], 0), 0);
    assert.equal(sketchBin([1, 2, 3], 1), 0);
    assert.equal(sketchBin([1, 2, 3], 1.5), 1);
    assert.equal(sketchBin([1, 2, 3], 3), 2);
    assert.equal(sketchBin([1, 2, 3], 3.1), 3);
    assert.equal(sketchBin([], 7), 0);
  });
});

describe('model/drift: DriftMonitor', () => {
  const training = roomRows(3000, 2);
  const sketch: FeatureSketch = buildFeatureSketch(NAMES, training);

  it('computes PSI with ε-smoothing, and reads it by the usual 0.1 / 0.25 guidance', () => {
    assert.equal(populationStabilityIndex([10, 10], 20, [0.5, 0.5]), 0);
    const psi = populationStabilityIndex([30, 70], 100, [0.5, 0.5]);
    assert.ok(Math.abs(psi - (-0.2 * Math.log(0.6) + 0.2 * Math.log(1.4))) < 1e-12);
    // An empty bin is floored at ε instead of giving an infinite PSI.
    assert.ok(Number.isFinite(populationStabilityIndex([0, 10], 10, [0.5, 0.5])));
    assert.deepEqual([0.05, 0.1, 0.2, 0.25, 0.9].map(driftLevel), ['stable', 'moderate', 'moderate', 'significant', 'significant']);
  });

  it('sees no drift in samples from the training distribution', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 1_000_000 }), (seed) => {
        const monitor = new DriftMonitor(sketch);
        for (const row of roomRows(500, seed)) assert.ok(monitor.add(row).ok);
        const report = monitor.report();
        assert.equal(report.samples, 500);
        assert.ok(report.ready);
        assert.equal(report.drifted, false);
        assert.deepEqual(report.driftedFeatures, []);
        // Expected PSI of a 500-row sample over 10 bins is about 9/500 ≈ 0.02.
        assert.ok(report.maxPsi < 0.1, `max PSI ${report.maxPsi}`);
      }),
      { numRuns: runs(25, 250) },
    );
  });

  it('flags a feature shifted by two standard deviations, and names only it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 1_000_000 }), fc.integer({ min: 0, max: 2 }), fc.boolean(), (seed, feature, down) => {
        const spread = [1, 5, 180][feature];
        const monitor = new DriftMonitor(sketch);
        for (const row of roomRows(500, seed, { [feature]: (down ? -2 : 2) * spread })) monitor.add(row);
        const report = monitor.report();
        assert.ok(report.drifted);
        assert.deepEqual(report.driftedFeatures, [NAMES[feature]]);
        assert.ok(report.features[NAMES[feature]].psi > 1, `PSI ${report.features[NAMES[feature]].psi}`);
        assert.equal(report.features[NAMES[feature]].level, 'significant');
      }),
      { numRuns: runs(25, 250) },
    );
  });

  it('keeps a bounded sliding sample: the report equals that of a monitor fed only the last windowSize rows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 1e6 }), (windowSize, count, seed) => {
        const rows = roomRows(count, seed, { 0: 1 });
        const sliding = new DriftMonitor(sketch, { windowSize });
        for (const row of rows) sliding.add(row);
        const fresh = new DriftMonitor(sketch, { windowSize });
        for (const row of rows.slice(Math.max(0, count - windowSize))) fresh.add(row);
        const a = sliding.report();
        const b = fresh.report();
        assert.equal(a.samples, Math.min(count, windowSize));
        for (const name of NAMES) assert.ok(Math.abs(a.features[name].psi - b.features[name].psi) < 1e-12);
      }),
      { numRuns: runs(100, 1000) },
    );
  });

  it('reports no drift before minSamples, however large the PSI', () => {
    const monitor = new DriftMonitor(sketch, { windowSize: 100, minSamples: 50 });
    for (const row of roomRows(49, 3, { 0: 10 })) monitor.add(row);
    let report = monitor.report();
    assert.equal(report.ready, false);
    assert.equal(report.drifted, false);
    assert.ok(report.features['temp.mean'].psi > 1);
    monitor.add(roomRows(1, 4, { 0: 10 })[0]);
    report = monitor.report();
    assert.ok(report.ready && report.drifted);
    assert.equal(new DriftMonitor(sketch, { windowSize: 30 }).minSamples, 30);
  });

  it('takes features objects or vectors, counting missing values and refusing non-numbers', () => {
    const monitor = new DriftMonitor(sketch);
    assert.deepEqual(monitor.add({ 'temp.mean': 21, 'hum.mean': 50, 'co2.max': 600, other: 'x' }), { ok: true, samples: 1 });
    // A missing feature counts in its missing bin (issue #24; test/core/missing-values.test.ts).
    assert.deepEqual(monitor.add({ 'temp.mean': 21, 'hum.mean': 50 }), { ok: true, samples: 2 });
    assert.deepEqual(monitor.add({ 'temp.mean': 21, 'hum.mean': 'x', 'co2.max': 600 }), {
      ok: false,
      error: { code: 'features', message: 'feature "hum.mean" is a string, not a number', path: '/hum.mean' },
    });
    assert.ok(!monitor.add([21, 50]).ok);
    assert.ok(!monitor.add(Float64Array.of(21, Infinity, 600)).ok);
    assert.ok(monitor.add(Float64Array.of(21, NaN, 600)).ok);
    assert.equal(monitor.report().samples, 3);
  });

  it('keeps one sample per device when asked, evicting the least recently fed beyond maxDevices', () => {
    const monitor = new DriftMonitor(sketch, { perDevice: true, maxDevices: 2, windowSize: 50 });
    for (const row of roomRows(50, 5)) monitor.add(row, 'kitchen');
    for (const row of roomRows(50, 6, { 1: 15 })) monitor.add(row, 'bathroom');
    assert.deepEqual(monitor.report('bathroom').driftedFeatures, ['hum.mean']);
    assert.equal(monitor.report('bathroom').deviceId, 'bathroom');
    assert.equal(monitor.report('kitchen').drifted, false);
    monitor.add(roomRows(1, 7)[0], 'kitchen');
    monitor.add(roomRows(1, 8)[0], 'hall');
    assert.equal(monitor.streamCount, 2);
    assert.equal(monitor.report('bathroom').samples, 0);
    assert.deepEqual(monitor.reportAll().map((r) => r.deviceId), ['kitchen', 'hall']);
    monitor.reset('kitchen');
    assert.deepEqual(monitor.reportAll().map((r) => r.deviceId), ['hall']);
    monitor.reset();
    assert.equal(monitor.streamCount, 0);
  });

  it('is built from a loaded model (trainModel writes the sketch), or not at all for a model without one', async () => {
    const data = regressionData(300, 9, { nFeatures: 3 });
    const { model } = await trainModel(
      { featureNames: NAMES, rows: data.rows, task: 'regression', target: data.target },
      { name: 'm', createdAt: new Date('2024-06-01T00:00:00Z'), forest: { nTrees: 3 } },
    );
    const loaded = loadModel(model);
    assert.ok(loaded.ok);
    const monitor = DriftMonitor.forModel(loaded.model, { windowSize: 300, threshold: 0.1 });
    assert.ok(monitor !== null);
    assert.deepEqual(monitor.featureNames, NAMES);
    for (const row of regressionData(300, 10, { nFeatures: 3 }).rows) monitor.add(row);
    assert.equal(monitor.report().drifted, false);
    const old = { ...model };
    delete old.sketch;
    assert.equal(DriftMonitor.forModel(old), null);
    assert.throws(() => new DriftMonitor(sketch, { windowSize: 0 }), /windowSize/);
    assert.throws(() => new DriftMonitor(sketch, { windowSize: 1e9 }), /windowSize must be an integer in \[1, 100000\]/);
    assert.throws(() => new DriftMonitor(sketch, { windowSize: 10, minSamples: 20 }), /minSamples must be an integer in \[1, 10\]/);
  });
});
