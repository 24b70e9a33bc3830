import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RandomForestClassifier, RandomForestRegression } from 'ml-random-forest';
import { CompiledForest, compileForest } from '../../src/core/model/forest/compiled-forest';
import { MlCartNode, MlRandomForestJson } from '../../src/core/model/forest/forest-format';
import { accuracy, trainTestSplit } from '../../src/core/model/train/metrics';
import { mlRandomForestToTrees, nextDown } from '../../src/core/model/forest/ml-random-forest';
import { loadModel } from '../../src/core/model/file/model-file';
import { MODEL_FORMAT } from '../../src/core/model/file/schema';
import { Random } from '../../src/core/util/rng';
import { trainForest } from '../../src/core/model/forest/trainer';
import { regressionData, subset, threeClassData } from './model-test-data';

const N_FEATURES = 5;

/** What a model file holds: the JSON text form, not the live objects. */
function exported(model: { toJSON(): unknown }): MlRandomForestJson {
  return JSON.parse(JSON.stringify(model.toJSON())) as MlRandomForestJson;
}

/** Every split value of every estimator, by the original feature it tests. */
function splitValuesByFeature(json: MlRandomForestJson): number[][] {
  const byFeature: number[][] = Array.from({ length: N_FEATURES }, () => []);
  json.baseModel.estimators.forEach((estimator, t) => {
    const pending: MlCartNode[] = [estimator.root];
    while (pending.length > 0) {
      const node = pending.pop() as MlCartNode;
      if (node.distribution !== undefined) continue;
      byFeature[json.baseModel.indexes[t][node.splitColumn as number]].push(node.splitValue as number);
      pending.push(node.left as MlCartNode, node.right as MlCartNode);
    }
  });
  return byFeature;
}

/**
 * 100,000 rows: half the values are exactly some split value of the forest (the `<` versus `<=` edge), the
 * rest uniform over (a bit more than) the training range.
 */
function probeRows(json: MlRandomForestJson, count: number, seed: number): number[][] {
  const splits = splitValuesByFeature(json);
  const rng = new Random(seed, 77);
  const rows: number[][] = [];
  for (let i = 0; i < count; i++) {
    const row: number[] = [];
    for (let f = 0; f < N_FEATURES; f++) {
      row.push(rng.next() < 0.5 && splits[f].length > 0 ? splits[f][rng.int(splits[f].length)] : rng.next() * 12 - 1);
    }
    rows.push(row);
  }
  return rows;
}

function toArrays(rows: Float64Array[]): number[][] {
  return rows.map((row) => Array.from(row));
}

describe('model/ml-random-forest import', function () {
  this.timeout(120_000);

  it('converts x < v into x <= nextDown(v) exactly', () => {
    assert.equal(nextDown(1), 1 - Number.EPSILON / 2);
    assert.equal(nextDown(0), -Number.MIN_VALUE);
    assert.equal(nextDown(-0), -Number.MIN_VALUE);
    assert.equal(nextDown(Infinity), Number.MAX_VALUE);
    assert.ok(Number.isNaN(nextDown(-Infinity)));
    fc.assert(
      fc.property(fc.double({ noNaN: true }), fc.double({ noNaN: true }), (x, v) => {
        assert.equal(x < v, x <= nextDown(v));
      }),
      { numRuns: 5000 },
    );
    fc.assert(fc.property(fc.double({ noNaN: true }), (v) => assert.equal(v < v, v <= nextDown(v))));
  });

  it('predicts exactly as RandomForestClassifier#predict on 100,000 rows, ties included', () => {
    const data = threeClassData(300, 11, { nFeatures: N_FEATURES, labelNoise: 0.15 });
    // An even number of trees makes tied votes common; ml-random-forest breaks them its own way.
    const classifier = new RandomForestClassifier({ nEstimators: 12, noOOB: true, seed: 5 });
    classifier.train(toArrays(data.rows), Array.from(data.target));
    const json = exported(classifier);
    const rows = probeRows(json, 100_000, 1);
    const theirs = classifier.predict(rows);
    const ours = compileForest(json, { nFeatures: N_FEATURES, nClasses: 3 }).predictBatch(rows);
    let mismatches = 0;
    ours.forEach((p, i) => {
      if (p.task !== 'classification' || p.classIndex !== theirs[i]) mismatches++;
    });
    assert.equal(mismatches, 0);
    // The class alone, which stops walking once a class has a majority, answers the same.
    const compiled = compileForest(json, { nFeatures: N_FEATURES, nClasses: 3 });
    assert.equal(rows.filter((row, i) => compiled.predictClass(Float64Array.from(row)) !== theirs[i]).length, 0);
    // The tie rule matters here: with our own lowest-index rule some answers would differ.
    const imported = mlRandomForestToTrees(json, { nFeatures: N_FEATURES, nClasses: 3 });
    const lowestIndex = new CompiledForest(imported.forest, { tieBreak: 'lowest-index' }).predictBatch(rows);
    assert.ok(lowestIndex.some((p, i) => p.task === 'classification' && p.classIndex !== theirs[i]));
  });

  it('predicts exactly as RandomForestRegression#predict on 100,000 rows (mean and median)', () => {
    const data = regressionData(250, 12, { nFeatures: N_FEATURES });
    for (const selectionMethod of ['mean', 'median'] as const) {
      const regression = new RandomForestRegression({ nEstimators: 10, noOOB: true, seed: 6, selectionMethod });
      regression.train(toArrays(data.rows), Array.from(data.target));
      const json = exported(regression);
      const rows = probeRows(json, selectionMethod === 'mean' ? 100_000 : 20_000, 2);
      const theirs = regression.predict(rows);
      const ours = compileForest(json, { nFeatures: N_FEATURES }).predictBatch(rows);
      let mismatches = 0;
      ours.forEach((p, i) => {
        if (p.task !== 'regression' || p.value !== theirs[i]) mismatches++;
      });
      assert.equal(mismatches, 0, selectionMethod);
    }
  });

  it('compiles the live toJSON() object (leaves still ml-matrix matrices) as it compiles the JSON text', () => {
    const data = threeClassData(300, 13, { nFeatures: N_FEATURES, labelNoise: 0.1 });
    const classifier = new RandomForestClassifier({ nEstimators: 8, noOOB: true, seed: 7 });
    classifier.train(toArrays(data.rows), Array.from(data.target));
    const live = classifier.toJSON() as unknown as MlRandomForestJson;
    const rows = probeRows(exported(classifier), 5_000, 3);
    const theirs = classifier.predict(rows);
    const fromLive = compileForest(live, { nFeatures: N_FEATURES, nClasses: 3 });
    assert.equal(rows.filter((row, i) => fromLive.predictClass(Float64Array.from(row)) !== theirs[i]).length, 0);
    // The answers are not all one class (what an unread leaf used to give).
    assert.ok(new Set(theirs).size === 3);
    // A leaf with no readable distribution is refused, not read as class 0.
    const broken = exported(classifier);
    let leaf = broken.baseModel.estimators[0].root;
    while (leaf.distribution === undefined) leaf = leaf.left as MlCartNode;
    leaf.distribution = 'none' as never;
    assert.throws(() => compileForest(broken, { nFeatures: N_FEATURES, nClasses: 3 }), /estimator 0: a classifier leaf has no class distribution/);
  });

  it('loads an ml-random-forest forest inside a model file and predicts the same', () => {
    const data = threeClassData(200, 13, { nFeatures: N_FEATURES });
    const classifier = new RandomForestClassifier({ nEstimators: 6, noOOB: true, seed: 1 });
    classifier.train(toArrays(data.rows), Array.from(data.target));
    const featureNames = ['a', 'b', 'c', 'd', 'e'];
    const loaded = loadModel({
      format: MODEL_FORMAT,
      task: 'classification',
      name: 'imported',
      version: '0.1.0',
      createdAt: '2024-05-01T10:00:00Z',
      featureNames,
      labels: ['low', 'mid', 'high'],
      metrics: {},
      // The live toJSON() object (ml-matrix leaves) is accepted as well as its JSON text.
      forest: classifier.toJSON(),
    });
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
    const rows = probeRows(exported(classifier), 2000, 3);
    const theirs = classifier.predict(rows);
    rows.forEach((row, i) => {
      const result = loaded.model.predict(Object.fromEntries(featureNames.map((name, f) => [name, row[f]])));
      assert.ok(result.ok);
      assert.equal(result.prediction.label, ['low', 'mid', 'high'][theirs[i]]);
    });
  });

  it('trains at least as well as ml-random-forest: mean held-out accuracy over five seeds within 1 point', () => {
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let seed = 1; seed <= 5; seed++) {
      const data = threeClassData(600, 100 + seed, { nFeatures: N_FEATURES, labelNoise: 0.1 });
      const split = trainTestSplit(600, 0.2, { seed, strata: data.target });
      const train = subset(data, split.train);
      const test = subset(data, split.test);
      const trained = trainForest(train, { task: 'classification', nTrees: 25, seed });
      const compiled = new CompiledForest(trained.forest);
      ours.push(accuracy(test.target, test.rows.map((row) => (compiled.predictRow(row) as { classIndex: number }).classIndex)));
      const classifier = new RandomForestClassifier({ nEstimators: 25, noOOB: true, seed });
      classifier.train(toArrays(train.rows), Array.from(train.target));
      theirs.push(accuracy(test.target, classifier.predict(toArrays(test.rows))));
    }
    const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
    assert.ok(mean(ours) >= mean(theirs) - 0.01, `ours ${ours.join(' ')} vs ml-random-forest ${theirs.join(' ')}`);
  });
});
