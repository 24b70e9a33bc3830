import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { CompiledForest } from '../../src/core/model/forest/compiled-forest';
import { checkTreeForest, TREES_KIND, type Tree, type TreeForest } from '../../src/core/model/forest/forest-format';
import { trainIsolationForest } from '../../src/core/model/forest/isolation-forest';
import { mlRandomForestToTrees } from '../../src/core/model/forest/ml-random-forest';
import { coversFromRows, explainerFor, explainUnavailable, meanAbsoluteShap, ForestExplainer, topContributions, type ShapValues } from '../../src/core/model/forest/shap';
import { trainForest } from '../../src/core/model/forest/trainer';
import { loadModel } from '../../src/core/model';
import { loadAnyModel } from '../../src/core/model/import/import-model';
import { Random } from '../../src/core/util/rng';
import { runs } from '../helpers/fuzz';

const sum = (shap: ShapValues): number => shap.values.reduce((total, v) => total + v, shap.base);

/** Close to within rounding: a few ulps of the largest magnitude involved. */
function assertClose(actual: number, expected: number, scale: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.max(1, scale), `${what}: ${actual} vs ${expected}`);
}

/** The path-dependent expectation of a tree's output when only the features in `known` are known (Lundberg et al. 2018, Algorithm 1). */
function expectation(tree: Tree, row: ArrayLike<number>, known: Set<number>, leafValue: (v: number) => number, node = 0): number {
  if (tree.left[node] === -1) return leafValue(tree.value[node]);
  const f = tree.feature[node];
  const left = tree.left[node];
  const right = tree.right[node];
  if (known.has(f)) {
    const x = row[f];
    const goesLeft = Number.isNaN(x) ? tree.missingLeft?.[node] === 1 : x <= tree.threshold[node];
    return expectation(tree, row, known, leafValue, goesLeft ? left : right);
  }
  const cover = tree.cover as number[];
  const shares = cover[node] > 0 ? [cover[left] / cover[node], cover[right] / cover[node]] : [0.5, 0.5];
  return shares[0] * expectation(tree, row, known, leafValue, left) + shares[1] * expectation(tree, row, known, leafValue, right);
}

/** Shapley values by enumerating every coalition, of the forest's mean output (the votes for `classIndex`). */
function bruteForceShap(forest: TreeForest, row: ArrayLike<number>, classIndex = -1): ShapValues {
  const m = forest.nFeatures;
  const leafValue = (v: number): number => (classIndex >= 0 ? (v === classIndex ? 1 : 0) : v);
  const value = (mask: number): number => {
    const known = new Set<number>();
    for (let f = 0; f < m; f++) if (mask & (1 << f)) known.add(f);
    return forest.trees.reduce((total, tree) => total + expectation(tree, row, known, leafValue), 0) / forest.trees.length;
  };
  const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));
  const values = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    for (let mask = 0; mask < 1 << m; mask++) {
      if (mask & (1 << i)) continue;
      let size = 0;
      for (let f = 0; f < m; f++) if (mask & (1 << f)) size++;
      const weight = (factorial(size) * factorial(m - size - 1)) / factorial(m);
      values[i] += weight * (value(mask | (1 << i)) - value(mask));
    }
  }
  return { base: value(0), values };
}

/** A random tree on `nFeatures` features, repeating features along paths, with random covers that add up. */
function randomTree(rng: Random, nFeatures: number, maxDepth: number, nClasses: number): Tree {
  const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [], missingLeft: [], cover: [] };
  const add = (): number => {
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(0);
    tree.missingLeft!.push(0);
    tree.cover!.push(0);
    return tree.feature.length - 1;
  };
  const grow = (node: number, depth: number): number => {
    if (depth >= maxDepth || (depth > 0 && rng.next() < 0.25)) {
      tree.value[node] = nClasses > 0 ? rng.int(nClasses) : Math.round((rng.next() * 20 - 10) * 100) / 100;
      // Some leaves saw no training row: their branch weighs nothing when the feature is unknown.
      tree.cover![node] = rng.next() < 0.1 ? 0 : 1 + rng.int(20);
      return tree.cover![node];
    }
    tree.feature[node] = rng.int(nFeatures);
    tree.threshold[node] = rng.int(5);
    tree.missingLeft![node] = rng.int(2);
    const left = add();
    const right = add();
    tree.left[node] = left;
    tree.right[node] = right;
    tree.cover![node] = grow(left, depth + 1) + grow(right, depth + 1);
    return tree.cover![node];
  };
  grow(add(), 0);
  return tree;
}

function randomForest(seed: number, nFeatures: number, nClasses: number): TreeForest {
  const rng = new Random(seed, 17);
  const trees = Array.from({ length: 1 + rng.int(3) }, () => randomTree(rng, nFeatures, 1 + rng.int(5), nClasses));
  const forest: TreeForest = { kind: TREES_KIND, nFeatures, nClasses, trees };
  assert.equal(checkTreeForest(forest), null);
  return forest;
}

/** Rows on the thresholds' grid (0..4), so ties with a threshold and both sides occur; some values missing. */
const gridRow = (nFeatures: number) =>
  fc.array(fc.oneof(fc.integer({ min: -1, max: 5 }), fc.constant(Number.NaN), fc.double({ min: -1, max: 6, noNaN: true })), { minLength: nFeatures, maxLength: nFeatures });

/** Random training data: `nFeatures` columns on a small grid (so splits repeat features), targets from them. */
function trainingData(seed: number, nRows: number, nFeatures: number, classes: number): { rows: Float64Array[]; target: Float64Array } {
  const rng = new Random(seed, 5);
  const rows: Float64Array[] = [];
  const target = new Float64Array(nRows);
  for (let r = 0; r < nRows; r++) {
    const row = Float64Array.from({ length: nFeatures }, () => rng.int(10) + (rng.next() < 0.5 ? 0.5 : 0));
    rows.push(row);
    const signal = row[0] - row[nFeatures - 1] + 3 * rng.next();
    target[r] = classes > 0 ? Math.min(classes - 1, Math.max(0, Math.floor(signal / 3) + 1)) : signal * 2.5;
  }
  return { rows, target };
}

describe('TreeSHAP (core/model/forest/shap)', () => {
  it('equals brute-force Shapley values (every coalition, path-dependent expectations) on random small trees', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((nFeatures) =>
          fc.tuple(fc.constant(nFeatures), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom(0, 2, 3), gridRow(nFeatures)),
        ),
        ([nFeatures, seed, nClasses, row]) => {
          const forest = randomForest(seed, nFeatures, nClasses);
          const explainer = new ForestExplainer(forest);
          for (const classIndex of nClasses > 0 ? Array.from({ length: nClasses }, (_, c) => c) : [-1]) {
            const fast = explainer.shapValues(row, classIndex);
            const slow = bruteForceShap(forest, row, classIndex);
            assertClose(fast.base, slow.base, 10, 'base');
            for (let f = 0; f < nFeatures; f++) assertClose(fast.values[f], slow.values[f], 10, `feature ${f}`);
          }
        },
      ),
      { numRuns: runs(300, 3000) },
    );
  });

  it('equals brute-force Shapley values on trained forests of up to 5 features', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 10_000 }), fc.constantFrom(0, 3), (nFeatures, seed, nClasses) => {
        const data = trainingData(seed, 60, nFeatures, nClasses);
        const { forest } = trainForest(data, { task: nClasses > 0 ? 'classification' : 'regression', nTrees: 3, maxDepth: 6, seed, minSamplesLeaf: 1 });
        const explainer = new ForestExplainer(forest);
        const row = data.rows[seed % data.rows.length];
        const classIndex = nClasses > 0 ? new CompiledForest(forest).countVotes(row) : -1;
        const fast = explainer.shapValues(row, classIndex);
        const slow = bruteForceShap(forest, row, classIndex);
        assertClose(fast.base, slow.base, 30, 'base');
        for (let f = 0; f < nFeatures; f++) assertClose(fast.values[f], slow.values[f], 30, `feature ${f}`);
      }),
      { numRuns: runs(40, 400) },
    );
  });

  it('adds up: base + every contribution = the prediction (regression value, winning vote fraction), on random trained forests and rows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.constantFrom(0, 2, 4),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.double({ min: -5, max: 15, noNaN: true }), { minLength: 12, maxLength: 12 }),
        (nFeatures, seed, nClasses, nTrees, values) => {
          const data = trainingData(seed, 80, nFeatures, nClasses);
          const task = nClasses > 0 ? 'classification' : 'regression';
          const { forest } = trainForest(data, { task, nTrees, seed, ...(nClasses > 0 ? { nClasses } : {}) });
          const compiled = new CompiledForest(forest);
          const explainer = new ForestExplainer(forest);
          const row = Float64Array.from(values.slice(0, nFeatures));
          const prediction = compiled.predictRow(row);
          if (prediction.task === 'classification') {
            const shap = explainer.shapValues(row, prediction.classIndex);
            assertClose(sum(shap), prediction.confidence, 1, 'vote fraction');
            assertClose(sum(shap), prediction.probabilities[prediction.classIndex], 1, 'probability');
          } else {
            const shap = explainer.shapValues(row);
            assertClose(sum(shap), prediction.value, Math.abs(prediction.value) + 30, 'value');
          }
        },
      ),
      { numRuns: runs(60, 600) },
    );
  });

  it('adds up for isolation forests: path-length contributions to the mean path length, score contributions to the score', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.array(fc.double({ min: -20, max: 30, noNaN: true }), { minLength: 8, maxLength: 8 }),
        (nFeatures, seed, values) => {
          const data = trainingData(seed, 120, nFeatures, 0);
          const { forest } = trainIsolationForest(data.rows, { nTrees: 10, sampleSize: 64, seed });
          const compiled = new CompiledForest(forest);
          const explainer = new ForestExplainer(forest);
          const row = Float64Array.from(values.slice(0, nFeatures));
          assertClose(sum(explainer.shapValues(row)), compiled.meanPathLength(row), 20, 'mean path length');
          const score = explainer.scoreValues(row);
          assertClose(sum(score), compiled.anomalyScore(row), 1, 'score');
          // The score's contributions keep the path's ranking, signs flipped: a shorter path is stranger.
          const path = explainer.shapValues(row).values;
          for (let f = 0; f < nFeatures; f++) assert.ok(score.values[f] * path[f] <= 0, `feature ${f} keeps its meaning`);
        },
      ),
      { numRuns: runs(40, 400) },
    );
  });

  it('adds up on rows with missing values where trees learnt a direction for them', () => {
    const data = trainingData(7, 200, 4, 0);
    for (const row of data.rows.slice(0, 60)) row[1] = Number.NaN;
    const { forest } = trainForest(data, { task: 'regression', nTrees: 8, seed: 3 });
    assert.ok(forest.trees.some((tree) => tree.missingLeft?.some((m) => m === 1)), 'some split sends missing values left');
    const compiled = new CompiledForest(forest);
    const explainer = new ForestExplainer(forest);
    for (const row of [Float64Array.of(2, Number.NaN, 4, 1), Float64Array.of(Number.NaN, Number.NaN, 9, 0)]) {
      const prediction = compiled.predictRow(row);
      assert.ok(prediction.task === 'regression');
      assertClose(sum(explainer.shapValues(row)), prediction.value, 30, 'value with NaN');
    }
  });

  it('gives a feature no split uses nothing, and the contributions of a one-split stump exactly', () => {
    const forest: TreeForest = {
      kind: TREES_KIND,
      nFeatures: 2,
      nClasses: 0,
      trees: [{ feature: [1, -1, -1], threshold: [5, 0, 0], left: [1, -1, -1], right: [2, -1, -1], value: [0, 10, 20], cover: [4, 3, 1] }],
    };
    const shap = new ForestExplainer(forest).shapValues([100, 7]);
    // E = 3/4·10 + 1/4·20 = 12.5; the row reaches 20: feature 1 carries all 7.5, feature 0 nothing.
    assert.equal(shap.base, 12.5);
    assert.deepEqual([...shap.values], [0, 7.5]);
  });

  it('says why a forest cannot be explained: no covers, an ml-random-forest import, no trees', () => {
    const forest = trainForest(trainingData(1, 40, 2, 0), { task: 'regression', nTrees: 2 }).forest;
    assert.equal(explainUnavailable(forest), null);
    const withoutCover: TreeForest = { ...forest, trees: forest.trees.map(({ cover: _cover, ...tree }) => tree) };
    assert.match(explainUnavailable(withoutCover) as string, /covers/);
    assert.throws(() => new ForestExplainer(withoutCover), /covers/);
    const mlJson = { name: 'RFRegression' as const, baseModel: { indexes: [[0]], isClassifier: false, nEstimators: 1, estimators: [{ root: { distribution: 1 } }] } };
    assert.match(explainUnavailable(mlJson) as string, /ml-random-forest/);
    assert.equal(mlRandomForestToTrees(mlJson).forest.trees[0].cover, undefined);
    assert.match(explainUnavailable(undefined) as string, /no trees/);
    const result = explainerFor(withoutCover);
    assert.equal(result.ok, false);
  });

  it('explains a tree 900 levels deep (no stack overflow, still exact) and refuses one deeper than 1000', () => {
    const chain = (depth: number): Tree => {
      // A left spine: node 2i splits, 2i+1 is its right leaf, 2i+2 goes on; features cycle over three.
      const cover: number[] = [];
      const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [], cover };
      for (let i = 0; i < depth; i++) {
        tree.feature.push(i % 3, -1);
        tree.threshold.push(depth - i, 0);
        tree.left.push(2 * i + 2, -1);
        tree.right.push(2 * i + 1, -1);
        tree.value.push(0, i);
        cover.push(depth - i + 1, 1);
      }
      tree.feature.push(-1);
      tree.threshold.push(0);
      tree.left.push(-1);
      tree.right.push(-1);
      tree.value.push(-5);
      cover.push(1);
      return tree;
    };
    const forest: TreeForest = { kind: TREES_KIND, nFeatures: 3, nClasses: 0, trees: [chain(900)] };
    assert.equal(checkTreeForest(forest), null);
    const explainer = new ForestExplainer(forest);
    assert.ok(explainer.visitsPerRow >= forest.trees[0].feature.length);
    const compiled = new CompiledForest(forest);
    for (const row of [[0, 0, 0], [450, 300, 100], [1000, 1000, 1000]]) {
      const prediction = compiled.predictRow(Float64Array.from(row));
      assert.ok(prediction.task === 'regression');
      assertClose(sum(explainer.shapValues(row)), prediction.value, 1000, `row ${row}`);
    }
    assert.match(explainUnavailable({ ...forest, trees: [chain(1001)] }) as string, /deeper than 1000/);
    const cycle: Tree = { feature: [0, 0], threshold: [1, 1], left: [1, 0], right: [1, 0], value: [0, 0], cover: [1, 1] };
    assert.match(explainUnavailable({ ...forest, trees: [cycle] }) as string, /deeper than 1000/, 'a cycle ends the walk');
  });

  it('checks covers in a forest: one per node, finite and not negative', () => {
    const tree: Tree = { feature: [-1], threshold: [0], left: [-1], right: [-1], value: [1], cover: [1, 2] };
    const forest: TreeForest = { kind: TREES_KIND, nFeatures: 1, nClasses: 0, trees: [tree] };
    assert.match(checkTreeForest(forest) as string, /cover has 2 entries/);
    tree.cover = [-1];
    assert.match(checkTreeForest(forest) as string, /cover must hold/);
    tree.cover = [3];
    assert.equal(checkTreeForest(forest), null);
  });

  it('trainers write covers that count the rows: the root holds the sample, each split the sum of its children', () => {
    const data = trainingData(3, 50, 3, 0);
    const { forest } = trainForest(data, { task: 'regression', nTrees: 3, bootstrap: false });
    const isolation = trainIsolationForest(data.rows, { nTrees: 3, sampleSize: 32 }).forest;
    for (const [trees, root] of [[forest.trees, 50], [isolation.trees, 32]] as const) {
      for (const tree of trees) {
        const cover = tree.cover as number[];
        assert.equal(cover[0], root);
        for (let i = 0; i < cover.length; i++) if (tree.left[i] !== -1) assert.equal(cover[tree.left[i]] + cover[tree.right[i]], cover[i]);
      }
    }
  });

  it('derives covers from rows: without bootstrap, the training rows give back the trainer\'s own covers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 10_000 }), (nFeatures, seed) => {
        const data = trainingData(seed, 70, nFeatures, 0);
        for (const row of data.rows.slice(0, 10)) row[0] = Number.NaN;
        const { forest } = trainForest(data, { task: 'regression', nTrees: 3, bootstrap: false, seed });
        const written = forest.trees.map((tree) => tree.cover);
        const derived: TreeForest = { ...forest, trees: forest.trees.map(({ cover: _cover, ...tree }) => ({ ...tree })) };
        coversFromRows(derived, data.rows);
        assert.deepEqual(derived.trees.map((tree) => tree.cover), written);
        assert.equal(explainUnavailable(derived), null);
      }),
      { numRuns: runs(30, 300) },
    );
  });

  it('explains every bundled model with trees: its explanation of a window adds up to the prediction', () => {
    const dir = path.join(__dirname, '..', '..', 'models');
    let explained = 0;
    for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      // The XGBoost sample included, converted as ml-model converts it (its covers make it explainable).
      const loaded = loadAnyModel(fs.readFileSync(path.join(dir, name)), { fileName: name });
      assert.ok(loaded.ok, name);
      const model = loaded.model;
      if (model.file.forest === undefined) continue;
      assert.equal(model.explainUnavailable(), null, name);
      const features = Object.fromEntries(model.featureNames.map((feature, f) => [feature, model.sketch?.features[f]?.edges?.[1] ?? f]));
      const result = model.predict(features, { explain: model.featureNames.length });
      assert.ok(result.ok && result.prediction.explanation !== undefined, name);
      const { base, contributions } = result.prediction.explanation;
      // A boosted classifier (the XGBoost sample) is explained in log-odds: ln(p / (1 − p)) of its label.
      const p = result.prediction.confidence;
      const output = result.prediction.explanation.scale === 'log-odds' ? Math.log(p / (1 - p)) : (result.prediction.value ?? p);
      // (XGBoost sums its margin in float32, the explanation in float64: a few 1e-7 apart.)
      assertClose(contributions.reduce((total, c) => total + c.contribution, base), output, result.prediction.explanation.scale === undefined ? 1 : 1e4, name);
      explained++;
    }
    assert.ok(explained >= 5, `${explained} bundled models explained`);
  });

  it('global importance (mean |SHAP| over rows) ranks the features the target depends on first, and noise last', () => {
    // The target is 3·x0 + x1; x2 is noise no split should lean on much.
    const rng = new Random(9, 1);
    const rows = Array.from({ length: 400 }, () => Float64Array.of(rng.next() * 10, rng.next() * 10, rng.next() * 10));
    const target = Float64Array.from(rows, (row) => 3 * row[0] + row[1]);
    const { forest } = trainForest({ rows, target }, { task: 'regression', nTrees: 10, seed: 2 });
    const importance = meanAbsoluteShap(new ForestExplainer(forest), rows, undefined, 50);
    assert.ok(importance[0] > importance[1] && importance[1] > importance[2], `${[...importance]}`);
    // Only the rows asked for are explained: a mean over the evenly spaced 50.
    const some = meanAbsoluteShap(new ForestExplainer(forest), rows.slice(0, 8), undefined, 50);
    const byHand = new Float64Array(3);
    for (const row of rows.slice(0, 8)) new ForestExplainer(forest).shapValues(row).values.forEach((v, f) => (byHand[f] += Math.abs(v) / 8));
    for (let f = 0; f < 3; f++) assertClose(some[f], byHand[f], 10, `feature ${f}`);
  });

  it('keeps the k largest contributions by size, largest first, with the row values', () => {
    const shap: ShapValues = { base: 1, values: Float64Array.of(0.1, -0.5, 0.3, 0) };
    const explanation = topContributions(shap, ['a', 'b', 'c', 'd'], [1, 2, 3, 4], 2);
    assert.deepEqual(explanation, { base: 1, contributions: [{ feature: 'b', value: 2, contribution: -0.5 }, { feature: 'c', value: 3, contribution: 0.3 }] });
    assert.equal(topContributions(shap, ['a', 'b', 'c', 'd'], [1, 2, 3, 4], 10).contributions.length, 4);
  });
});
