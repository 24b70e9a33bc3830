import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  anomalyConfidence,
  anomalyTruth,
  fitRobustBaseline,
  robustScore,
  robustZ,
  squashZ,
  thresholdFromContamination,
} from '../../src/core/model/monitor/anomaly';
import { CompiledForest } from '../../src/core/model/forest/compiled-forest';
import { checkTreeForest, Tree, TreeForest } from '../../src/core/model/forest/forest-format';
import { averagePathLength, isolationScore, IsolationForestTrainer, trainIsolationForest } from '../../src/core/model/forest/isolation-forest';
import { detectionMetrics, rocAuc } from '../../src/core/model/train/metrics';
import { loadModel, ModelFile, parseModelFile } from '../../src/core/model/file/model-file';
import { Random } from '../../src/core/util/rng';
import { serializeModel } from '../../src/core/model/file/store';
import { anomalyDataFromRecords, fitAnomalyModel, trainAnomalyModel } from '../../src/core/model/train/train-anomaly';
import { trainModel } from '../../src/core/model/train/train-model';
import { runs } from '../helpers/fuzz';
import { threeClassData } from './model-test-data';

function gaussianRows(n: number, seed: number, nFeatures = 2): Float64Array[] {
  const rng = new Random(seed, 9);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  return Array.from({ length: n }, () => Float64Array.from({ length: nFeatures }, gauss));
}

/** The reference semantics: walk each tree, average the leaves' path lengths, normalise by c(ψ). */
function naiveScore(forest: TreeForest, row: ArrayLike<number>): number {
  const leaf = (tree: Tree): number => {
    let node = 0;
    while (tree.left[node] !== -1) node = row[tree.feature[node]] <= tree.threshold[node] ? tree.left[node] : tree.right[node];
    return tree.value[node];
  };
  const mean = forest.trees.reduce((sum, tree) => sum + leaf(tree), 0) / forest.trees.length;
  return 2 ** (-mean / averagePathLength(forest.sampleSize as number));
}

function depthAndLeaves(tree: Tree): Array<{ depth: number; value: number }> {
  const leaves: Array<{ depth: number; value: number }> = [];
  const pending: Array<[number, number]> = [[0, 0]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop() as [number, number];
    if (tree.left[node] === -1) leaves.push({ depth, value: tree.value[node] });
    else pending.push([tree.left[node], depth + 1], [tree.right[node], depth + 1]);
  }
  return leaves;
}

const NAMES = ['a', 'b'];
const createdAt = new Date('2024-06-01T12:00:00Z');

describe('model/isolation-forest', () => {
  it('normalises by c(n), the average path length of an unsuccessful BST search', () => {
    assert.equal(averagePathLength(1), 0);
    assert.equal(averagePathLength(2), 1);
    assert.ok(Math.abs(averagePathLength(256) - 10.2448) < 1e-4, String(averagePathLength(256)));
    assert.equal(isolationScore(averagePathLength(256), 256), 0.5);
    assert.equal(isolationScore(0, 256), 1);
  });

  it('grows valid trees within the height limit whose leaves hold depth + c(rows left)', () => {
    const rows = gaussianRows(600, 1, 3);
    const { forest, params } = trainIsolationForest(rows, { nTrees: 20, seed: 4 });
    assert.deepEqual(params, { nTrees: 20, sampleSize: 256, subsampleSize: 256, maxDepth: 8, seed: 4 });
    assert.equal(forest.output, 'path-length');
    assert.equal(forest.sampleSize, 256);
    assert.equal(forest.nClasses, 0);
    assert.equal(checkTreeForest(forest), null);
    for (const tree of forest.trees) {
      const leaves = depthAndLeaves(tree);
      for (const { depth, value } of leaves) {
        assert.ok(depth <= 8);
        // value = depth + c(n) for some n in 1..256 (rounded to 4 decimals).
        const extra = value - depth;
        assert.ok(extra >= 0 && extra <= averagePathLength(256) + 1e-4, `leaf ${value} at depth ${depth}`);
      }
      // A leaf above the height limit isolated a single row (c(1) = 0) or rows that are all equal.
      assert.ok(leaves.some(({ depth, value }) => depth < 8 && value === depth));
    }
    // The same seed gives the same forest; tree t does not depend on the trees before it.
    assert.deepEqual(trainIsolationForest(rows, { nTrees: 20, seed: 4 }).forest, forest);
    assert.deepEqual(trainIsolationForest(rows, { nTrees: 3, seed: 4 }).forest.trees, forest.trees.slice(0, 3));
  });

  it('scores with the compiled flat arrays exactly as a plain tree walk does', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 3, maxLength: 3 }), { minLength: 2, maxLength: 60 }),
        fc.integer({ min: 1, max: 1000 }),
        (cells, seed) => {
          const rows = cells.map((row) => Float64Array.from(row));
          const { forest } = trainIsolationForest(rows, { nTrees: 5, sampleSize: 32, seed });
          const compiled = new CompiledForest(forest);
          for (const row of [...rows, Float64Array.of(9, -9, 0.5)]) {
            const score = compiled.anomalyScore(row);
            assert.ok(Math.abs(score - naiveScore(forest, row)) < 1e-12);
            assert.ok(score > 0 && score <= 1);
          }
        },
      ),
      { numRuns: runs(60, 600) },
    );
  });

  it('scores a batch exactly as row by row, however the rows fall', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 3, maxLength: 3 }), { minLength: 2, maxLength: 60 }),
        fc.array(fc.array(fc.oneof(fc.integer({ min: -6, max: 6 }), fc.double({ min: -6, max: 6 }), fc.constant(NaN)), { minLength: 3, maxLength: 3 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 1000 }),
        (cells, probes, seed) => {
          const rows = cells.map((row) => Float64Array.from(row));
          const compiled = new CompiledForest(trainIsolationForest(rows, { nTrees: 7, sampleSize: 32, seed }).forest);
          const batch = [...rows, ...probes.map((row) => Float64Array.from(row))];
          const into = new Float64Array(batch.length + 2).fill(-1);
          assert.equal(compiled.anomalyScores(batch, into), into);
          // Bit for bit: the batch sums each row's path lengths in the same tree order.
          batch.forEach((row, i) => assert.equal(into[i], compiled.anomalyScore(row)));
          assert.deepEqual(Array.from(into.subarray(batch.length)), [-1, -1]);
          assert.deepEqual(Array.from(compiled.anomalyScores(batch)), Array.from(into.subarray(0, batch.length)));
        },
      ),
      { numRuns: runs(60, 600) },
    );
  });

  it('refuses a batch it cannot score', () => {
    const compiled = new CompiledForest(trainIsolationForest(gaussianRows(100, 1), { nTrees: 3, seed: 1 }).forest);
    assert.deepEqual(Array.from(compiled.anomalyScores([])), []);
    assert.throws(() => compiled.anomalyScores(gaussianRows(3, 2), new Float64Array(2)), /room for 2 scores, 3 rows/);
    assert.throws(() => compiled.anomalyScores([Float64Array.of(1, 2), Float64Array.of(1)]), /a row has 1 values, the forest needs 2/);
    const classifier = new CompiledForest({ kind: 'iot-ai/trees@1', nFeatures: 1, nClasses: 2, trees: [{ feature: [-1], threshold: [0], left: [-1], right: [-1], value: [1] }] });
    assert.throws(() => classifier.anomalyScores([Float64Array.of(1)]), /isolation forest/);
  });

  it('scores outliers of a Gaussian cloud far above its inliers', () => {
    const rows = gaussianRows(1000, 2);
    const compiled = new CompiledForest(trainIsolationForest(rows, { seed: 1 }).forest);
    assert.ok(compiled.anomalyScore(Float64Array.of(0, 0)) < 0.45);
    assert.ok(compiled.anomalyScore(Float64Array.of(5, 5)) > 0.7);
    const outliers = gaussianRows(50, 3).map((row) => row.map((x) => x * 0.5 + (x >= 0 ? 4 : -4)));
    const inliers = gaussianRows(500, 4);
    const scores = [...outliers, ...inliers].map((row) => compiled.anomalyScore(row));
    const truth = [...outliers.map(() => 1), ...inliers.map(() => 0)];
    assert.ok((rocAuc(truth, scores) as number) > 0.97);
  });

  it('handles tiny and constant data, and refuses what it cannot grow', () => {
    const { forest } = trainIsolationForest([Float64Array.of(1, 1), Float64Array.of(1, 1), Float64Array.of(1, 1)], { nTrees: 2 });
    // Nothing varies: every tree is one leaf holding c(3).
    for (const tree of forest.trees) assert.deepEqual(tree.value, [averagePathLength(3)].map((v) => Math.round(v * 1e4) / 1e4));
    assert.equal(forest.sampleSize, 3);
    assert.throws(() => new IsolationForestTrainer([Float64Array.of(1)]), /at least 2 rows/);
    assert.throws(() => new IsolationForestTrainer([Float64Array.of(1), Float64Array.of(NaN)]), /row 1, feature 0: NaN/);
    assert.throws(() => new IsolationForestTrainer(gaussianRows(10, 1), { sampleSize: 1 }), /sampleSize/);
    assert.throws(() => new CompiledForest({ kind: 'iot-ai/trees@1', nFeatures: 1, nClasses: 0, trees: [{ feature: [-1], threshold: [0], left: [-1], right: [-1], value: [1] }] }).anomalyScore(Float64Array.of(1)), /isolation forest/);
  });
});

describe('model/anomaly: robust z-scores, thresholds, confidence', () => {
  it('takes the median and the larger of 1.4826·MAD and IQR/1.349 per feature', () => {
    const rows = [1, 2, 3, 4, 100].map((x) => Float64Array.of(x, 7));
    const baseline = fitRobustBaseline(rows);
    assert.deepEqual(baseline.center, [3, 7]);
    // MAD of [1,2,3,4,100] around 3 is 1; IQR is 4 − 2 = 2 → 2/1.349 = 1.4826 > 1.4826·1? Equal here: either.
    assert.ok(Math.abs(baseline.scale[0] - 1.4826) < 1e-3);
    // Constant in training: the floor 1e-3 · |7|, never 0.
    assert.equal(baseline.scale[1], 7e-3);
    // A two-mode feature (70% near 0, 30% near 10): the MAD sees one mode, the IQR spans both.
    const twoModes = [...Array.from({ length: 70 }, (_, i) => i / 100), ...Array.from({ length: 30 }, (_, i) => 10 + i / 100)];
    const spread = fitRobustBaseline(twoModes.map((x) => Float64Array.of(x))).scale[0];
    assert.ok(spread > 5, `scale ${spread}`);
    // Mostly constant (MAD and IQR 0): the mean deviation stands in.
    const mostlyConstant = [...Array.from({ length: 90 }, () => 5), ...Array.from({ length: 10 }, () => 6)];
    assert.ok(Math.abs(fitRobustBaseline(mostlyConstant.map((x) => Float64Array.of(x))).scale[0] - 0.12533) < 1e-6);
  });

  it('scores the largest |z| squashed to 0–1: 0.5 at 3.5; a scale of 0 in an older file reads as the floor', () => {
    const baseline = { center: [0, 10], scale: [2, 0] };
    assert.equal(robustZ(Float64Array.of(7, 10), baseline), 3.5);
    assert.equal(robustScore(Float64Array.of(7, 10), baseline), 0.5);
    assert.equal(robustScore(Float64Array.of(0, 10), baseline), 0);
    // Floor 1e-3 · 10 = 0.01: a step of 0.5 is z = 50.
    assert.equal(robustZ(Float64Array.of(0, 10.5), baseline), 50);
    assert.ok(Math.abs(squashZ(7) - 0.8) < 1e-12);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true }), (a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        assert.ok(squashZ(low) <= squashZ(high) && squashZ(high) <= 1 && squashZ(low) >= 0);
      }),
      { numRuns: runs(100, 1000) },
    );
  });

  it('grades a change in a feature constant in training: no exact 1.0 from a small change (#25.5)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.integer({ min: 20, max: 200 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (constant, n, seed) => {
          const random = mulberry(seed);
          const rows = Array.from({ length: n }, () => Float64Array.of(20 + 2 * random(), constant));
          const baseline = fitRobustBaseline(rows);
          assert.ok(baseline.scale[1] > 0, `scale ${baseline.scale[1]}`);
          const magnitude = Math.max(Math.abs(constant), 1);
          // Steps of 0.01 %, 0.1 %, 1 % and 10 % of the feature's magnitude score strictly in order, all below 1.
          const scores = [1e-4, 1e-3, 1e-2, 1e-1].map((step) => robustScore(Float64Array.of(baseline.center[0], constant + step * magnitude), baseline));
          for (let i = 0; i < scores.length; i++) {
            assert.ok(scores[i] < 1, `step ${i}: score ${scores[i]}`);
            if (i > 0) assert.ok(scores[i] > scores[i - 1], `scores ${scores.join(', ')}`);
          }
          // The smallest step is unremarkable, the 1 % step stands out.
          assert.ok(scores[0] < 0.1 && scores[2] > 0.5, `scores ${scores.join(', ')}`);
        },
      ),
      { numRuns: runs(100, 1000) },
    );
  });

  it('the isolation forest never splits on a feature constant in training: a change there neither ties at 1.0 nor moves the score', async () => {
    const rows = gaussianRows(300, 21).map((row) => Float64Array.of(row[0], 5));
    const { model } = await trainAnomalyModel({ featureNames: ['a', 'b'], rows }, { name: 'c', createdAt: new Date(0), method: 'isolation-forest', isolationForest: { nTrees: 30 } });
    const loaded = loadModel(model);
    assert.ok(loaded.ok);
    for (const a of [0, 1.5, 4]) {
      const atTraining = loaded.model.anomalyScore(Float64Array.of(a, 5));
      for (const b of [5.001, 6, 500]) assert.equal(loaded.model.anomalyScore(Float64Array.of(a, b)), atTraining);
      assert.ok(atTraining < 1);
    }
  });

  it('sets the threshold at the (1 − contamination) quantile of the training scores', () => {
    const scores = Array.from({ length: 101 }, (_, i) => i / 100);
    assert.equal(thresholdFromContamination(scores, 0.1), 0.9);
    assert.equal(thresholdFromContamination(scores, 0), 1);
    assert.throws(() => thresholdFromContamination(scores, 0.5), /contamination/);
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 50, maxLength: 400 }), fc.double({ min: 0, max: 0.3, noNaN: true }), (values, c) => {
        const threshold = thresholdFromContamination(values, c);
        const above = values.filter((s) => s > threshold).length / values.length;
        // At most the asked share is above it (ties and interpolation can only leave fewer).
        assert.ok(above <= c + 1 / values.length, `${above} above at contamination ${c}`);
      }),
      { numRuns: runs(100, 1000) },
    );
  });

  it('gives confidence 0.5 at the threshold, rising to 1 at score 0 or 1', () => {
    assert.equal(anomalyConfidence(0.6, 0.6), 0.5);
    assert.equal(anomalyConfidence(1, 0.6), 1);
    assert.equal(anomalyConfidence(0, 0.6), 1);
    assert.equal(anomalyConfidence(0.8, 0.6), 0.75);
    assert.equal(anomalyConfidence(0.3, 0.6), 0.75);
    assert.equal(anomalyConfidence(0, 0), 1);
    assert.equal(anomalyConfidence(1, 1), 0.5);
    assert.equal(anomalyConfidence(0, 1), 1);
  });

  it('reads ground truth: 0, false, normal, ok, empty are normal; anything else is an anomaly', () => {
    for (const normal of [0, false, '0', 'false', 'FALSE', 'normal', 'ok', '', ' none ', 'no', null, undefined]) assert.equal(anomalyTruth(normal), 0, String(normal));
    for (const anomaly of [1, -1, true, '1', 'true', 'anomaly', 'spike', 'stuck']) assert.equal(anomalyTruth(anomaly), 1, String(anomaly));
  });

  it('measures detection, false alarms, precision and ROC AUC (ties count half)', () => {
    const m = detectionMetrics([1, 1, 1, 0, 0, 0, 0], [1, 1, 0, 1, 0, 0, 0]);
    assert.equal(m.detectionRate, 2 / 3);
    assert.equal(m.falseAlarmRate, 1 / 4);
    assert.equal(m.precision, 2 / 3);
    assert.deepEqual([m.truePositives, m.falsePositives, m.falseNegatives, m.trueNegatives], [2, 1, 1, 3]);
    assert.equal(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 0.75);
    assert.equal(rocAuc([0, 1], [0.5, 0.5]), 0.5);
    assert.equal(rocAuc([1, 1], [0.5, 0.7]), null);
  });
});

describe('model/train-anomaly and the anomaly model file', () => {
  const clean = gaussianRows(400, 11);
  let forestModel: ModelFile;
  let robustModel: ModelFile;
  before(async () => {
    forestModel = (await trainAnomalyModel({ featureNames: NAMES, rows: clean }, { name: 'room', createdAt, method: 'isolation-forest', isolationForest: { nTrees: 30 } })).model;
    robustModel = (await trainAnomalyModel({ featureNames: NAMES, rows: clean.slice(0, 100) }, { name: 'tiny', version: '0.1.0', createdAt })).model;
  });

  it('fits the isolation forest when asked, robust-z by default, and sets the threshold from contamination 0.01', () => {
    assert.equal(forestModel.task, 'anomaly');
    assert.equal(forestModel.anomaly?.method, 'isolation-forest');
    assert.equal(forestModel.anomaly?.contamination, 0.01);
    // The threshold is at least the (1 − c) quantile of the training scores (raised when the newest rows say so).
    assert.ok((forestModel.metrics.flaggedShare as number) <= 4 / 400);
    assert.equal((forestModel.metrics.calibration as { method: string }).method, 'held-out');
    assert.equal(forestModel.metrics.evaluation, 'none');
    assert.equal(robustModel.anomaly?.method, 'robust-z');
    assert.equal(robustModel.forest, undefined);
    assert.equal(robustModel.anomaly?.baseline?.center.length, 2);
    assert.equal(forestModel.sketch?.features.length, 2);
  });

  it('round-trips through serializeModel and predicts { score, label, confidence, model }', () => {
    for (const model of [forestModel, robustModel]) {
      const text = serializeModel(model);
      assert.deepEqual(JSON.parse(text), model);
      assert.match(text, /\n {2}"anomaly": \{"method":/);
      const loaded = loadModel(text);
      assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
      const normal = loaded.model.predict({ a: 0.1, b: -0.2 });
      const strange = loaded.model.predict({ a: 6, b: -7 });
      assert.ok(normal.ok && strange.ok);
      assert.equal(normal.prediction.label, 'normal');
      assert.equal(strange.prediction.label, 'anomaly');
      assert.ok((strange.prediction.score as number) > (normal.prediction.score as number));
      assert.ok(normal.prediction.confidence >= 0.5 && normal.prediction.confidence <= 1);
      assert.deepEqual(Object.keys(strange.prediction).sort(), ['confidence', 'label', 'model', 'score']);
      assert.deepEqual(strange.prediction.model, { name: model.name, version: model.version });
      // A node setting can override the threshold.
      const strict = loaded.model.predict({ a: 0.1, b: -0.2 }, { threshold: 0 });
      assert.ok(strict.ok && strict.prediction.label === 'anomaly');
      assert.ok(!loaded.model.predict({ a: 1 }).ok);
    }
  });

  it('takes a given threshold, and measures against ground truth on held-out rows', async () => {
    const outliers = gaussianRows(40, 12).map((row) => row.map((x) => x + (x >= 0 ? 5 : -5)));
    // One outlier every 11 rows, spread in time as faults are (the newest training rows set the threshold).
    const rows = clean.flatMap((row, i) => (i % 10 === 9 ? [row, outliers[(i - 9) / 10]] : [row]));
    const truth = Uint8Array.from(rows, (_, i) => (i % 11 === 10 ? 1 : 0));
    const { model, metrics, scores } = await trainAnomalyModel({ featureNames: NAMES, rows, truth }, { name: 'x', createdAt, contamination: 0.05, isolationForest: { nTrees: 50 } });
    assert.equal(metrics.evaluation, 'holdout');
    assert.equal(metrics.rows, 88);
    assert.ok('detectionRate' in metrics && metrics.anomalies === 8);
    assert.ok('detectionRate' in metrics && metrics.detectionRate >= 0.75, JSON.stringify(metrics));
    assert.ok((metrics.rocAuc as number) > 0.95);
    assert.equal(scores.values.length, 88);
    assert.equal(model.params?.testFraction, 0.2);
    const fixed = await trainAnomalyModel({ featureNames: NAMES, rows }, { name: 'x', createdAt, threshold: 0.7, method: 'robust-z' });
    assert.equal(fixed.model.anomaly?.threshold, 0.7);
    assert.equal(fixed.model.anomaly?.contamination, undefined);
    assert.equal(fixed.metrics.evaluation, 'none');
    await assert.rejects(trainAnomalyModel({ featureNames: NAMES, rows }, { name: 'x', createdAt, threshold: 2 }), /threshold/);
    await assert.rejects(trainAnomalyModel({ featureNames: NAMES, rows }, { name: 'x', createdAt, contamination: 0.6 }), /contamination/);
    await assert.rejects(trainAnomalyModel({ featureNames: NAMES, rows }, { name: 'x', createdAt, method: 'lof' as never }), /method must be auto, isolation-forest or robust-z/);
  });

  it('refuses anomaly model files that do not fit together', () => {
    const edited = (model: ModelFile, edit: (copy: Record<string, unknown> & ModelFile) => void): string => {
      const copy = JSON.parse(JSON.stringify(model)) as Record<string, unknown> & ModelFile;
      edit(copy);
      return JSON.stringify(copy);
    };
    const refusal = (text: string): string => {
      const result = parseModelFile(text);
      assert.equal(result.ok, false, 'accepted');
      return result.ok ? '' : result.error;
    };
    assert.match(refusal(edited(forestModel, (m) => delete m.anomaly)), /must have required property 'anomaly'/);
    assert.match(refusal(edited(robustModel, (m) => (m.forest = forestModel.forest))), /robust-z anomaly model must not have a forest/);
    assert.match(refusal(edited(robustModel, (m) => ((m.anomaly as { method: string }).method = 'isolation-forest'))), /must have required property 'forest'/);
    assert.match(refusal(edited(robustModel, (m) => m.anomaly?.baseline?.scale.pop())), /needs 2 centres and scales/);
    assert.match(refusal(edited(forestModel, (m) => delete (m.forest as TreeForest).output)), /needs a forest in the iot-ai\/trees@1 form with output "path-length"/);
    assert.match(refusal(edited(forestModel, (m) => ((m.anomaly as { threshold: number }).threshold = 1.5))), /\/anomaly\/threshold must be <= 1/);
    assert.match(refusal(edited(forestModel, (m) => (m.task = 'regression'))), /anomaly settings belong to an anomaly model/);
    assert.match(refusal(edited(forestModel, (m) => ((m.task = 'regression'), delete m.anomaly))), /isolation forest \(output "path-length"\) belongs to an anomaly model/);
    assert.match(refusal(edited(forestModel, (m) => (m.labels = ['x']))), /an anomaly model must not have labels/);
    assert.match(refusal(edited(forestModel, (m) => ((m.forest as TreeForest).sampleSize = 1))), /\/forest\/sampleSize must be >= 2/);
  });

  it('fits from collected feature messages after a warm-up, never throwing', async () => {
    const records = clean.slice(0, 30).map((row) => ({ features: { a: row[0], b: row[1] } }));
    const early = await fitAnomalyModel(records.slice(0, 10), { name: 'live', createdAt });
    assert.deepEqual(early, { ok: false, error: 'warming up: 10 of 20 examples collected' });
    const fitted = await fitAnomalyModel(records, { name: 'live', createdAt });
    assert.ok(fitted.ok);
    assert.equal(fitted.result.model.anomaly?.method, 'robust-z');
    assert.deepEqual(fitted.result.model.featureNames, ['a', 'b']);
    const broken = await fitAnomalyModel([...records, { features: { a: 1 } }], { name: 'live', createdAt });
    assert.deepEqual(broken, { ok: false, error: 'example 30: feature "b" is missing' });
    const labelled = anomalyDataFromRecords([
      { features: { a: 1, b: 2 }, label: 'normal' },
      { features: { a: 9, b: 2 }, label: 'spike' },
    ]);
    assert.ok(labelled.ok && Array.from(labelled.data.truth ?? []).join() === '0,1');
    const partly = anomalyDataFromRecords([{ features: { a: 1 }, label: 1 }, { features: { a: 2 } }]);
    assert.ok(partly.ok && partly.data.truth === undefined);
  });

  it('gives classification and regression models a sketch too, and still loads files without one', async () => {
    const data = threeClassData(200, 5);
    const { model } = await trainModel(
      { featureNames: ['f0', 'f1', 'f2', 'f3', 'f4'], rows: data.rows, task: 'classification', target: data.target, labels: ['x', 'y', 'z'] },
      { name: 'k', createdAt, forest: { nTrees: 3 } },
    );
    assert.equal(model.sketch?.rows, 200);
    assert.deepEqual(model.sketch?.features.map((f) => f.name), ['f0', 'f1', 'f2', 'f3', 'f4']);
    const withoutSketch = { ...model };
    delete withoutSketch.sketch;
    const loaded = loadModel(withoutSketch);
    assert.ok(loaded.ok && loaded.model.sketch === undefined);
    const bad = JSON.parse(JSON.stringify(model)) as ModelFile;
    (bad.sketch as NonNullable<ModelFile['sketch']>).features[1].name = 'nope';
    const refused = parseModelFile(bad);
    assert.ok(!refused.ok && /sketch\.features\[1\] is "nope" but featureNames\[1\] is "f1"/.test(refused.error));
  });
});

/** A small seeded generator for property tests (mulberry32). */
function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
