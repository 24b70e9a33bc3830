import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BoostingTrainer, trainBoosting } from '../../src/core/model/forest/boosting';
import { CompiledForest } from '../../src/core/model/forest/compiled-forest';
import { ForestExplainer } from '../../src/core/model/forest/shap';
import type { TreeForest } from '../../src/core/model/forest/forest-format';
import type { Examples } from '../../src/core/model/data/dataset';
import { loadModel } from '../../src/core/model/file/model-file';
import { modelFileValidator } from '../../src/core/model/file/schema';
import { parseTrainConfig } from '../../src/core/model/train/train-config';
import { trainModel } from '../../src/core/model/train/train-model';
import { Random } from '../../src/core/util/rng';
import parity from '../fixtures/boosting/sklearn-parity.json';

/** Uniform rows in [0, 1)^nFeatures. */
function uniformRows(n: number, nFeatures: number, seed: number): Float64Array[] {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => Float64Array.from({ length: nFeatures }, () => rng.next()));
}

function accuracyOf(forest: CompiledForest, rows: readonly Float64Array[], target: ArrayLike<number>): number {
  let right = 0;
  rows.forEach((row, i) => (right += forest.predictClass(row) === target[i] ? 1 : 0));
  return right / rows.length;
}

/** XOR of two features (the others noise): no single split tells the classes apart. */
function xor(n: number, seed: number): { rows: Float64Array[]; target: Float64Array } {
  const rows = uniformRows(n, 4, seed);
  return { rows, target: Float64Array.from(rows, (x) => ((x[0] > 0.5) !== (x[1] > 0.5) ? 1 : 0)) };
}

/** A smooth target of two features. */
function smooth(x: ArrayLike<number>): number {
  return 3 * Math.sin(4 * x[0]) + 2 * (x[1] - 0.5) ** 2 * 4;
}

describe('gradient boosting (#21.4)', function () {
  this.timeout(30_000);

  it('learns XOR (no single split helps) with the logistic link: one margin, probabilities from it', () => {
    const train = xor(2000, 1);
    const test = xor(1000, 2);
    const trained = trainBoosting(train, { task: 'classification' });
    assert.equal(trained.forest.boost?.link, 'logistic');
    assert.equal(trained.forest.trees.length, 100, 'no validation rows: every iteration');
    assert.equal(trained.params.iterations, 100);
    const forest = new CompiledForest(trained.forest);
    const accuracy = accuracyOf(forest, test.rows, test.target);
    assert.ok(accuracy > 0.97, `XOR accuracy ${accuracy}`);
    // The two XOR features carry the gain.
    assert.ok(trained.importances[0] + trained.importances[1] > 0.9, `importances ${trained.importances}`);
  });

  it('regression, squared error: learns a smooth target; leaves hold additive scores around the mean as base', () => {
    const rows = uniformRows(3000, 3, 3);
    const target = Float64Array.from(rows, smooth);
    const test = uniformRows(1000, 3, 4);
    const trained = trainBoosting({ rows, target }, { task: 'regression', maxIter: 200 });
    assert.equal(trained.forest.boost?.link, 'identity');
    const mean = target.reduce((a, b) => a + b, 0) / target.length;
    assert.ok(Math.abs(trained.forest.boost!.base[0] - mean) < 1e-9);
    const forest = new CompiledForest(trained.forest);
    let residual = 0;
    let total = 0;
    const testMean = test.reduce((a, x) => a + smooth(x), 0) / test.length;
    for (const x of test) {
      const p = forest.predictRow(x);
      assert.equal(p.task, 'regression');
      if (p.task === 'regression') residual += (p.value - smooth(x)) ** 2;
      total += (smooth(x) - testMean) ** 2;
    }
    const r2 = 1 - residual / total;
    assert.ok(r2 > 0.97, `R² ${r2}`);
  });

  it('regression, absolute error: the median, so outliers in the labels barely move it (squared error follows them)', () => {
    const rows = uniformRows(3000, 3, 5);
    const rng = new Random(6);
    // One label in ten is off by +50: the mean moves, the median does not.
    const target = Float64Array.from(rows, (x) => smooth(x) + (rng.next() < 0.1 ? 50 : 0));
    const test = uniformRows(1000, 3, 7);
    const mae = (loss: 'squared' | 'absolute'): number => {
      const forest = new CompiledForest(trainBoosting({ rows, target }, { task: 'regression', loss }).forest);
      let sum = 0;
      for (const x of test) {
        const p = forest.predictRow(x);
        sum += p.task === 'regression' ? Math.abs(p.value - smooth(x)) : NaN;
      }
      return sum / test.length;
    };
    const absolute = mae('absolute');
    const squared = mae('squared');
    assert.ok(absolute < 0.6, `absolute-error MAE ${absolute}`);
    assert.ok(squared > 3 * absolute, `squared ${squared} vs absolute ${absolute}`);
  });

  it('softmax: one tree per class each iteration, probabilities that sum to 1 and follow the classes', () => {
    const rows = uniformRows(1500, 3, 8);
    const target = Float64Array.from(rows, (x) => Math.min(3, Math.floor(x[0] * 4)));
    const trained = trainBoosting({ rows, target }, { task: 'classification', maxIter: 30 });
    const boost = trained.forest.boost!;
    assert.equal(boost.link, 'softmax');
    assert.equal(boost.base.length, 4);
    assert.equal(trained.forest.trees.length, 120);
    assert.deepEqual(boost.treeClass!.slice(0, 8), [0, 1, 2, 3, 0, 1, 2, 3]);
    const forest = new CompiledForest(trained.forest);
    for (const x of uniformRows(200, 3, 9)) {
      const p = forest.predictRow(x);
      assert.equal(p.task, 'classification');
      if (p.task !== 'classification') continue;
      const sum = Array.from(p.probabilities).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-12, `probabilities sum to ${sum}`);
      const expected = Math.min(3, Math.floor(x[0] * 4));
      // Near a class boundary either neighbour is fair.
      if (Math.abs(x[0] * 4 - Math.round(x[0] * 4)) > 0.05) assert.equal(p.classIndex, expected, `x0 ${x[0]}`);
    }
  });

  it('reproduces scikit-learn\'s HistGradientBoosting on the same bins: training losses per iteration (fixture)', () => {
    // test/fixtures/boosting/make-sklearn-parity.py: scikit-learn 1.2.1's training losses on data whose features have
    // at most 255 distinct values, so both put every row in the same bin. Same gains, leaf values, base margin,
    // min_samples_leaf, hessian floor: logistic and squared losses agree to 1e-5 at every iteration checked. Softmax
    // agrees at the first iteration and within 3 % after: scikit-learn also makes splits whose gain is float32
    // rounding noise (two leaves of the same value, a leaf spent for nothing), which ours refuses, so from there the
    // trees differ slightly (its own dumps show gain-0.0 splits; in either direction: ours is above at 2 and 5, below at 10 to 30).
    for (const set of parity.sets) {
      const task = set.name === 'squared' ? 'regression' : 'classification';
      const rows = set.rows.map((row) => Float64Array.from(row));
      const target = Float64Array.from(set.target);
      const { forest } = trainBoosting({ rows, target }, { task, maxIter: Math.max(...parity.at) });
      const boost = forest.boost!;
      const nOutputs = boost.base.length;
      const margins = rows.map(() => Float64Array.from(boost.base));
      const losses: number[] = [];
      forest.trees.forEach((tree, t) => {
        const k = nOutputs > 1 ? boost.treeClass![t] : 0;
        rows.forEach((x, r) => {
          let node = 0;
          while (tree.left[node] >= 0) node = x[tree.feature[node]] <= tree.threshold[node] ? tree.left[node] : tree.right[node];
          margins[r][k] += tree.value[node];
        });
        if ((t + 1) % nOutputs !== 0) return;
        let total = 0;
        margins.forEach((m, r) => {
          if (task === 'regression') total += (target[r] - m[0]) ** 2 / 2;
          else if (nOutputs === 1) total -= Math.log(target[r] === 1 ? 1 / (1 + Math.exp(-m[0])) : 1 / (1 + Math.exp(m[0])));
          else {
            const most = Math.max(...m);
            total -= m[target[r]] - most - Math.log(m.reduce((sum, v) => sum + Math.exp(v - most), 0));
          }
        });
        losses.push(total / rows.length);
      });
      parity.at.forEach((iteration, i) => {
        const ours = losses[iteration - 1];
        const tolerance = set.name === 'softmax' && iteration > 1 ? 0.03 * set.loss[i] : 1e-5 * Math.max(1, set.loss[i]);
        assert.ok(Math.abs(ours - set.loss[i]) <= tolerance, `${set.name}, iteration ${iteration}: ours ${ours}, scikit-learn ${set.loss[i]}`);
      });
    }
  });

  it('every split is the best one of its node, found by brute force over its rows (direct and subtracted histograms)', () => {
    // The first tree's gradients are known (from the base margin), so each node's best split can be recomputed
    // from its rows alone: the histogram scans (the larger child's histograms are its parent's minus its sibling's,
    // subtracted bin by bin as the scan goes) must find a split of the same gain. Few distinct values (one bin
    // each) and some missing values, so thresholds and missing sides both compete.
    for (let seed = 1; seed <= 6; seed++) {
      const rng = new Random(seed);
      const n = 600;
      const rows = Array.from({ length: n }, () => Float64Array.from({ length: 3 }, (_, f) => (f === 2 && rng.next() < 0.15 ? NaN : Math.round(rng.next() * 60))));
      const classification = seed % 2 === 0;
      const target = Float64Array.from(rows, (x) => (classification ? (x[0] + (x[1] % 7) + rng.next() * 10 > 25 ? 1 : 0) : x[0] * 0.3 + (x[1] % 5) + (Number.isNaN(x[2]) ? 4 : 0) + rng.next()));
      const { forest } = trainBoosting({ rows, target }, { task: classification ? 'classification' : 'regression', maxIter: 1, minSamplesLeaf: 5, maxLeafNodes: 64 });
      const base = forest.boost!.base[0];
      const p = classification ? 1 / (1 + Math.exp(-base)) : 0;
      const g = Float64Array.from(target, (y) => (classification ? p - y : base - y));
      const h = classification ? p * (1 - p) : 1;
      const tree = forest.trees[0];
      const score = (rowsAt: number[]) => {
        let G = 0;
        for (const r of rowsAt) G += g[r];
        return (G * G) / (rowsAt.length * h);
      };
      const visit = (node: number, at: number[]): void => {
        if (tree.left[node] < 0) return;
        let best = -Infinity;
        for (let f = 0; f < 3; f++) {
          const values = [...new Set(at.map((r) => rows[r][f]).filter((x) => !Number.isNaN(x)))].sort((a, b) => a - b);
          const missing = at.filter((r) => Number.isNaN(rows[r][f]));
          // Up to the last value too: all values left, missing right, is a split when the node has missing rows.
          for (const v of values) {
            const low = at.filter((r) => rows[r][f] <= v);
            // Missing rows right, then (when the node has any) left.
            for (const leftRows of missing.length > 0 ? [low, low.concat(missing)] : [low]) {
              const rightRows = at.filter((r) => !leftRows.includes(r));
              if (leftRows.length < 5 || rightRows.length < 5) continue;
              best = Math.max(best, score(leftRows) + score(rightRows) - score(at));
            }
          }
        }
        const f = tree.feature[node];
        const goesLeft = (r: number) => (Number.isNaN(rows[r][f]) ? tree.missingLeft![node] === 1 : rows[r][f] <= tree.threshold[node]);
        const [leftRows, rightRows] = [at.filter(goesLeft), at.filter((r) => !goesLeft(r))];
        const gain = score(leftRows) + score(rightRows) - score(at);
        assert.ok(Math.abs(gain - best) <= 1e-9 * Math.max(1, best), `seed ${seed}, node ${node}: split gain ${gain}, best by brute force ${best}`);
        visit(tree.left[node], leftRows);
        visit(tree.right[node], rightRows);
      };
      visit(0, Array.from({ length: n }, (_, r) => r));
    }
  });

  it('early stopping stops once the validation loss has not improved for `patience` iterations, and keeps the best iteration', () => {
    // Labels of pure noise: the validation loss is best after very few iterations.
    const rng = new Random(10);
    const rows = uniformRows(2000, 5, 11);
    const target = Float64Array.from(rows, () => (rng.next() < 0.5 ? 1 : 0));
    const validationRows = uniformRows(500, 5, 12);
    const validation = { rows: validationRows, target: Float64Array.from(validationRows, () => (rng.next() < 0.5 ? 1 : 0)) };
    const trainer = new BoostingTrainer({ rows, target, validation }, { task: 'classification', maxIter: 500, patience: 5 });
    while (!trainer.done) trainer.step();
    const result = trainer.result();
    const stopping = result.params.earlyStopping!;
    assert.ok(stopping.grown < 60, `stopped after ${stopping.grown} of 500`);
    assert.equal(stopping.grown - result.params.iterations, 5, 'patience 5 past the best');
    assert.equal(result.forest.trees.length, result.params.iterations, 'the trees up to the best iteration');
    assert.equal(stopping.validationRows, 500);
  });

  it('missing values go the way training learnt: a sensor whose silence tells the class', () => {
    const rng = new Random(13);
    const rows = uniformRows(2000, 3, 14);
    // Class 1 exactly where feature 0 is missing; its values say nothing otherwise.
    const target = Float64Array.from(rows, (x) => {
      const silent = rng.next() < 0.3;
      if (silent) x[0] = NaN;
      return silent ? 1 : 0;
    });
    const trained = trainBoosting({ rows, target }, { task: 'classification', maxIter: 20 });
    const forest = new CompiledForest(trained.forest);
    assert.equal(forest.predictClass(Float64Array.of(NaN, 0.5, 0.5)), 1);
    assert.equal(forest.predictClass(Float64Array.of(0.2, 0.5, 0.5)), 0);
    assert.equal(forest.predictClass(Float64Array.of(0.9, 0.5, 0.5)), 0);
    const root = trained.forest.trees[0];
    assert.equal(root.feature[0], 0, 'the first split is on missingness');
    // Where the missing rows went, the learnt side: the child whose leaf raises class 1's margin.
    const missingChild = root.missingLeft![0] === 1 ? root.left[0] : root.right[0];
    assert.ok(root.value[missingChild] > 0 || root.left[missingChild] >= 0);
  });

  it('TreeSHAP of a boosted regression (link identity): base + contributions = the predicted value', () => {
    const rows = uniformRows(1500, 4, 15);
    const target = Float64Array.from(rows, (x) => smooth(x) + x[2] * x[3]);
    const trained = trainBoosting({ rows, target }, { task: 'regression', maxIter: 40 });
    for (const tree of trained.forest.trees) {
      assert.equal(tree.cover![0], rows.length, 'the root covers every row');
      tree.left.forEach((l, i) => {
        if (l >= 0) assert.equal(tree.cover![l] + tree.cover![tree.right[i]], tree.cover![i], 'children cover their parent');
      });
    }
    const explainer = new ForestExplainer(trained.forest);
    const forest = new CompiledForest(trained.forest);
    for (const x of uniformRows(50, 4, 16)) {
      const shap = explainer.marginValues(x, 0);
      const sum = shap.base + shap.values.reduce((a, b) => a + b, 0);
      const p = forest.predictRow(x);
      assert.ok(p.task === 'regression' && Math.abs(sum - p.value) < 1e-9, `${sum} vs ${p.task === 'regression' ? p.value : NaN}`);
    }
  });

  it('trainModel model: boosting writes a model file that validates against the JSON schema, loads and predicts', async () => {
    const { rows, target } = xor(600, 17);
    const examples: Examples = { task: 'classification', featureNames: ['a', 'b', 'c', 'd'], labels: ['off', 'on'], rows, target };
    const result = await trainModel(examples, { name: 'xor', createdAt: new Date('2024-06-01T00:00:00Z'), model: 'boosting', boosting: { maxIter: 50 }, refit: true });
    const validate = modelFileValidator();
    assert.ok(validate(JSON.parse(JSON.stringify(result.model))), JSON.stringify(validate.errors));
    assert.equal(result.model.params?.model, 'boosting');
    assert.equal(result.metrics.oob, undefined, 'boosting has no out-of-bag rows');
    assert.ok((result.metrics as { accuracy: number }).accuracy > 0.9);
    const loaded = loadModel(JSON.stringify(result.model));
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
    const answer = loaded.model.predict({ a: 0.9, b: 0.1, c: 0.5, d: 0.5 });
    assert.ok(answer.ok);
    if (answer.ok) {
      assert.equal(answer.prediction.label, 'on');
      const probabilities = answer.prediction.probabilities as Record<string, number>;
      assert.ok(Math.abs(probabilities.on + probabilities.off - 1) < 1e-9);
    }
  });

  it('trainModel: early stopping on the newest training rows, then the refit on every row grows the iterations it chose', async () => {
    const rows = uniformRows(1200, 3, 18);
    const rng = new Random(19);
    const target = Float64Array.from(rows, (x) => smooth(x) + rng.next() * 2);
    const examples: Examples = { task: 'regression', featureNames: ['a', 'b', 'c'], rows, target };
    const time = Array.from({ length: rows.length }, (_, i) => i * 1000);
    const options = { name: 'r', createdAt: new Date(0), model: 'boosting' as const, timeLine: { time }, boosting: { earlyStopping: 'on' as const, maxIter: 400, learningRate: 0.3 } };
    const measured = await trainModel(examples, { ...options, refit: false });
    const stopping = measured.model.params?.earlyStopping as { grown: number; validationRows: number };
    // 960 training rows (the newest fifth is the test), of which the newest tenth is watched.
    assert.equal(stopping.validationRows, 96);
    const iterations = measured.model.params?.iterations as number;
    assert.ok(iterations < 400 && stopping.grown === iterations + 10, `kept ${iterations}, grew ${stopping.grown}`);
    const refit = await trainModel(examples, { ...options, refit: true });
    assert.equal(refit.model.params?.iterations, iterations, 'the refit grows the count early stopping chose');
    assert.equal(refit.model.params?.earlyStopping, undefined);
    assert.equal((refit.model.forest as TreeForest).trees.length, iterations);
    assert.equal(refit.metrics.trainRows, 1200);
    assert.deepEqual((refit.metrics as { mae?: number }).mae, (measured.metrics as { mae?: number }).mae, 'the same held-out measure');
  });

  it('refuses what boosting cannot do: tuning, forecasts; model-train refuses learner boosting with tune or a horizon', async () => {
    const examples: Examples = { task: 'regression', featureNames: ['a'], rows: uniformRows(50, 1, 20), target: new Float64Array(50) };
    await assert.rejects(trainModel(examples, { name: 'r', createdAt: new Date(0), model: 'boosting', tune: { budgetSeconds: 1 } }), /does not apply to boosting/);
    const config = parseTrainConfig({ learner: 'boosting', tune: true });
    assert.ok(!config.ok && /tune/.test(config.error));
    const forecast = parseTrainConfig({ learner: 'boosting', horizon: '15min' });
    assert.ok(!forecast.ok && /horizon/.test(forecast.error));
    const old = parseTrainConfig({});
    assert.ok(old.ok && old.config.learner === 'forest', 'configs saved before it: the forest');
    assert.ok(!parseTrainConfig({ learner: 'xgb' }).ok);
  });

  it('any small data set: training never throws, predictions are finite and probabilities sum to 1 (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 60 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        (n, nFeatures, nClasses, seed, missingShare) => {
          const rng = new Random(seed);
          const rows = Array.from({ length: n }, () => Float64Array.from({ length: nFeatures }, () => (rng.next() < missingShare ? NaN : Math.round(rng.next() * 10))));
          const target = Float64Array.from({ length: n }, (_, i) => i % nClasses);
          const trained = trainBoosting({ rows, target }, { task: 'classification', nClasses, maxIter: 5, minSamplesLeaf: 1 });
          const forest = new CompiledForest(trained.forest);
          for (const row of rows) {
            const p = forest.predictRow(row);
            if (p.task !== 'classification') return false;
            const sum = Array.from(p.probabilities).reduce((a, b) => a + b, 0);
            if (!(Math.abs(sum - 1) < 1e-9) || !Array.from(p.probabilities).every(Number.isFinite)) return false;
          }
          return true;
        },
      ),
      { numRuns: 60 },
    );
  });
});
