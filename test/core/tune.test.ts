/**
 * Tuning (issue 21.3): the grid, the validation rows (out of the training rows only, the newest with time), the
 * budget, and the one-standard-error rule that prefers the simplest forest the validation cannot tell from the best.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { tuneForest, tuneGrid } from '../../src/core/model/train/tune';
import { trainModel } from '../../src/core/model/train/train-model';
import { Random } from '../../src/core/util/rng';
import { runs } from '../helpers/fuzz';

/** Two features, a threshold rule on the first, and a share of flipped labels: noise a fine forest memorises. */
function noisy(n: number, flip: number, seed: number) {
  const rng = new Random(seed, 7);
  const rows = Array.from({ length: n }, () => Float64Array.of(rng.next() * 2 - 1, rng.next() * 2 - 1));
  const target = Float64Array.from(rows, (row) => {
    const truth = row[0] > 0 ? 1 : 0;
    return rng.next() < flip ? 1 - truth : truth;
  });
  return { featureNames: ['a', 'b'], rows, task: 'classification' as const, target, labels: ['no', 'yes'] };
}

describe('tuning (tune.ts)', () => {
  it('the grid: the defaults first, then one setting moved at a time, then every combination; given settings stay', () => {
    const defaults = { minGain: 0, minSamplesLeaf: 1, maxFeatures: 'sqrt' as const };
    const grid = tuneGrid(defaults);
    assert.equal(grid.length, 27);
    assert.deepEqual(grid[0], defaults);
    // The next six each differ from the defaults in exactly one setting.
    for (const s of grid.slice(1, 7)) {
      const moved = (['minGain', 'minSamplesLeaf', 'maxFeatures'] as const).filter((k) => s[k] !== defaults[k]);
      assert.equal(moved.length, 1, JSON.stringify(s));
    }
    assert.equal(new Set(grid.map((s) => JSON.stringify(s))).size, 27, 'no candidate twice');
    const fixed = tuneGrid(defaults, ['minGain', 'maxFeatures']);
    assert.deepEqual(fixed.map((s) => s.minSamplesLeaf), [1, 5, 20]);
    assert.ok(fixed.every((s) => s.minGain === 0 && s.maxFeatures === 'sqrt'));
  });

  it('validates on a fifth of the rows it is given (time-ordered with a time line), trains each candidate on the rest', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 60, max: 200 }), fc.integer({ min: 1, max: 1000 }), async (n, seed) => {
        const examples = noisy(n, 0.1, seed);
        const train = Int32Array.from({ length: Math.floor(n * 0.8) }, (_, i) => i);
        // Time runs backwards through the rows, so "the newest" are the lowest indices: not the rows' order.
        const timeLine = { time: Array.from({ length: n }, (_, i) => (n - i) * 1000) };
        const result = await tuneForest(examples, train, { forest: { task: 'classification', nClasses: 2, nTrees: 5, seed }, timeLine, budgetSeconds: 60 });
        assert.equal(result.split, 'time');
        assert.equal(result.trainRows + result.validationRows, train.length);
        assert.equal(result.validationRows, Math.round(train.length * 0.2));
        assert.ok(result.trials.length >= 1);
      }),
      { numRuns: runs(5, 40) },
    );
  });

  it('stops at the budget between candidates, the defaults always tried', async () => {
    const examples = noisy(200, 0.1, 3);
    let clock = 0;
    // Every reading of the clock moves it by a second.
    const now = () => (clock += 1000);
    const result = await tuneForest(examples, Int32Array.from({ length: 160 }, (_, i) => i), { forest: { task: 'classification', nClasses: 2, nTrees: 3 }, budgetSeconds: 4.5, now });
    assert.ok(result.trials.length >= 1 && result.trials.length < result.candidates, `${result.trials.length} of ${result.candidates}`);
    assert.deepEqual(
      { minGain: result.trials[0].minGain, minSamplesLeaf: result.trials[0].minSamplesLeaf, maxFeatures: result.trials[0].maxFeatures },
      { minGain: 0, minSamplesLeaf: 1, maxFeatures: 'sqrt' },
    );
    const tiny = await tuneForest(examples, Int32Array.from({ length: 160 }, (_, i) => i), { forest: { task: 'classification', nClasses: 2, nTrees: 3 }, budgetSeconds: 1e-9 });
    assert.equal(tiny.trials.length, 1, 'the defaults even when the budget is spent at once');
  });

  it('noisy labels: it chooses a coarser forest than the defaults, and the held-out accuracy rises', async () => {
    const examples = noisy(1500, 0.25, 11);
    const timeLine = { time: Array.from({ length: 1500 }, (_, i) => i * 1000) };
    const options = { name: 'noisy', createdAt: new Date(0), forest: { nTrees: 30, seed: 1 }, testFraction: 0.3, timeLine };
    const plain = await trainModel(examples, options);
    const tuned = await trainModel(examples, { ...options, tune: { budgetSeconds: 60 } });
    const tuning = (tuned.metrics as any).tuning;
    assert.ok(tuning.chosen.minSamplesLeaf > 1 || tuning.chosen.minGain > 0, `a coarser forest: ${JSON.stringify(tuning.chosen)}`);
    const chosenTrial = tuning.trials.find((t: any) => t.minGain === tuning.chosen.minGain && t.minSamplesLeaf === tuning.chosen.minSamplesLeaf && t.maxFeatures === tuning.chosen.maxFeatures);
    assert.ok(chosenTrial.nodes < tuning.trials[0].nodes, 'fewer nodes than the defaults');
    const lowest = Math.min(...tuning.trials.map((t: any) => t.loss));
    const best = tuning.trials.find((t: any) => t.loss === lowest);
    assert.ok(chosenTrial.loss <= lowest + best.lossSe + 1e-12, 'within one standard error of the best');
    assert.ok((tuned.metrics as any).accuracy > (plain.metrics as any).accuracy, `held out: tuned ${(tuned.metrics as any).accuracy} against ${(plain.metrics as any).accuracy}`);
    // The model was trained with what was chosen.
    assert.equal(tuned.model.params?.minSamplesLeaf, tuning.chosen.minSamplesLeaf);
    assert.equal(tuned.model.params?.minGain, tuning.chosen.minGain);
  });
});
