import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  accuracy,
  classificationMetrics,
  confusionMatrix,
  kFoldSplits,
  meanAbsoluteError,
  regressionMetrics,
  rootMeanSquaredError,
  rSquared,
  trainTestSplit,
} from '../../src/core/model/train/metrics';

const close = (actual: number, expected: number): void => assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} ≠ ${expected}`);

describe('model/metrics', () => {
  it('computes accuracy, the confusion matrix and per-class precision, recall and F1', () => {
    const truth = [0, 0, 0, 1, 1, 2, 2, 2, 2, 1];
    const predicted = [0, 1, 0, 1, 1, 2, 0, 2, 1, 1];
    close(accuracy(truth, predicted), 0.7);
    assert.deepEqual(confusionMatrix(truth, predicted, 3), [
      [2, 1, 0],
      [0, 3, 0],
      [1, 1, 2],
    ]);
    const metrics = classificationMetrics(truth, predicted, ['a', 'b', 'c']);
    // scikit-learn: precision [0.667, 0.6, 1.0], recall [0.667, 1.0, 0.5], f1 [0.667, 0.75, 0.667].
    close(metrics.perClass[0].precision, 2 / 3);
    close(metrics.perClass[1].precision, 3 / 5);
    close(metrics.perClass[2].precision, 1);
    close(metrics.perClass[1].recall, 1);
    close(metrics.perClass[2].recall, 0.5);
    close(metrics.perClass[1].f1, 0.75);
    close(metrics.macroF1, (2 / 3 + 0.75 + 2 / 3) / 3);
    assert.deepEqual(metrics.perClass.map((c) => c.support), [3, 3, 4]);
    assert.equal(metrics.rows, 10);
  });

  it('scores a class never predicted with precision 0, and leaves absent classes out of macro F1', () => {
    const metrics = classificationMetrics([0, 0, 1], [0, 0, 0], ['x', 'y', 'z']);
    assert.equal(metrics.perClass[1].precision, 0);
    assert.equal(metrics.perClass[1].f1, 0);
    close(metrics.macroF1, (0.8 + 0) / 2);
  });

  it('computes MAE, RMSE and R²', () => {
    const truth = [3, -0.5, 2, 7];
    const predicted = [2.5, 0, 2, 8];
    close(meanAbsoluteError(truth, predicted), 0.5);
    close(rootMeanSquaredError(truth, predicted), Math.sqrt(0.375));
    close(rSquared(truth, predicted), 0.9486081370449679); // scikit-learn's r2_score example
    assert.equal(rSquared([2, 2], [2, 2]), 1);
    assert.equal(rSquared([2, 2], [2, 3]), 0);
    assert.deepEqual(regressionMetrics([1], [1]), { task: 'regression', rows: 1, mae: 0, rmse: 0, r2: 1 });
    assert.throws(() => accuracy([1, 2], [1]), /2 true values but 1 predictions/);
  });

  it('splits rows into disjoint train and test sets, seeded and stratified', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 2, maxLength: 300 }),
        fc.double({ min: 0.05, max: 0.9, noNaN: true }),
        fc.integer(),
        (strata, fraction, seed) => {
          const n = strata.length;
          const split = trainTestSplit(n, fraction, { seed, strata });
          const all = [...split.train, ...split.test].sort((a, b) => a - b);
          assert.deepEqual(all, Array.from({ length: n }, (_, i) => i));
          assert.deepEqual(trainTestSplit(n, fraction, { seed, strata }), split);
          for (const c of new Set(strata)) {
            const count = strata.filter((s) => s === c).length;
            const inTest = Array.from(split.test).filter((i) => strata[i] === c).length;
            assert.equal(inTest, Math.min(count - 1, Math.round(count * fraction)));
          }
        },
      ),
    );
    const a = trainTestSplit(100, 0.3, { seed: 1 });
    const b = trainTestSplit(100, 0.3, { seed: 2 });
    assert.equal(a.test.length, 30);
    assert.notDeepEqual(a.test, b.test);
  });

  it('deals k folds: each row tested once, sizes within one, classes spread', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 10, maxLength: 200 }), fc.integer({ min: 2, max: 10 }), (strata, k) => {
        const folds = kFoldSplits(strata.length, k, { seed: 3, strata });
        assert.equal(folds.length, k);
        const tested = folds.flatMap((fold) => Array.from(fold.test)).sort((x, y) => x - y);
        assert.deepEqual(tested, Array.from({ length: strata.length }, (_, i) => i));
        const sizes = folds.map((fold) => fold.test.length);
        assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
        for (const fold of folds) assert.equal(fold.train.length + fold.test.length, strata.length);
        for (const c of new Set(strata)) {
          const perFold = folds.map((fold) => Array.from(fold.test).filter((i) => strata[i] === c).length);
          assert.ok(Math.max(...perFold) - Math.min(...perFold) <= 1, `class ${c}: ${perFold.join(' ')}`);
        }
      }),
    );
    assert.throws(() => kFoldSplits(5, 6), /folds must be an integer in \[2, 5\]/);
  });
});
