/**
 * Time-ordered validation (issue 21.1): the hold-out and the folds of rows that carry time never test a model on a
 * row older than one it trained on (per device), keep the window size free between them, and lose no row.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { timeFolds, timeHoldout, type TimeLine } from '../../src/core/model/train/time-split';
import { trainModel, leakageWarning } from '../../src/core/model/train/train-model';
import { CompiledForest } from '../../src/core/model/forest/compiled-forest';
import { runs } from '../helpers/fuzz';

/** Random rows: a few devices, times with ties, a gap. */
const timeLines = fc
  .record({
    rows: fc.array(fc.record({ device: fc.constantFrom('a', 'b', 'c'), t: fc.integer({ min: 0, max: 500 }) }), { minLength: 2, maxLength: 80 }),
    gap: fc.constantFrom(0, 1, 10, 60),
  })
  .map(({ rows, gap }): TimeLine => ({ time: rows.map((r) => r.t * 10), device: rows.map((r) => r.device), gap }));

function deviceOf(line: TimeLine, i: number): string {
  return line.device === undefined ? '' : String(line.device[i]);
}

describe('time-ordered validation (time-split.ts)', () => {
  it('hold-out: per device the test rows are its newest, the training rows end `gap` before them, and every row is in exactly one of train, test, gap', () => {
    fc.assert(
      fc.property(timeLines, fc.double({ min: 0.05, max: 0.6, noNaN: true }), (line, fraction) => {
        const { train, test, gapped } = timeHoldout(line, fraction);
        const n = line.time.length;
        const seen = new Set([...train, ...test]);
        assert.equal(seen.size, train.length + test.length, 'train and test are disjoint');
        assert.equal(train.length + test.length + gapped, n, 'no row lost');
        for (const d of new Set(Array.from({ length: n }, (_, i) => deviceOf(line, i)))) {
          const tests = [...test].filter((i) => deviceOf(line, i) === d);
          const trains = [...train].filter((i) => deviceOf(line, i) === d);
          if (tests.length === 0) continue;
          const cut = Math.min(...tests.map((i) => line.time[i]));
          for (const i of trains) assert.ok(line.time[i] <= cut - (line.gap ?? 0), `device ${d}: training row at ${line.time[i]} within ${line.gap} of the cut ${cut}`);
          const rowsOfDevice = Array.from({ length: n }, (_, i) => i).filter((i) => deviceOf(line, i) === d).length;
          assert.equal(tests.length, Math.min(rowsOfDevice - 1, Math.round(rowsOfDevice * fraction)), 'the newest share of each device');
        }
      }),
      { numRuns: runs(300, 5000) },
    );
  });

  it('folds: every row is tested exactly once; a fold trains on no row within `gap` of its test block of the same device', () => {
    fc.assert(
      fc.property(
        timeLines.filter((line) => line.time.length >= 3),
        fc.integer({ min: 2, max: 5 }),
        (line, k) => {
          const n = line.time.length;
          fc.pre(k <= n);
          const folds = timeFolds(line, k);
          assert.equal(folds.length, k);
          const tested = new Int32Array(n);
          for (const fold of folds) {
            fold.test.forEach((i) => tested[i]++);
            assert.equal(fold.train.length + fold.test.length + fold.gapped, n);
            for (const d of new Set(Array.from({ length: n }, (_, i) => deviceOf(line, i)))) {
              const times = [...fold.test].filter((i) => deviceOf(line, i) === d).map((i) => line.time[i]);
              if (times.length === 0) continue;
              const [start, end] = [Math.min(...times), Math.max(...times)];
              for (const i of fold.train) {
                if (deviceOf(line, i) !== d) continue;
                const t = line.time[i];
                assert.ok(t <= start - (line.gap ?? 0) || t >= end + (line.gap ?? 0), `device ${d}: training row at ${t} near the test block [${start}, ${end}]`);
              }
            }
          }
          assert.deepEqual([...tested], new Array(n).fill(1), 'each row tested once');
        },
      ),
      { numRuns: runs(200, 3000) },
    );
  });

  it('the example of the issue: windows of a slow signal score near-perfect on a random split and honestly on time; the warning names the cause', async () => {
    // One device, 600 sliding windows of 2 minutes every minute; the label is a 50-window block's parity (a regime), the feature follows
    // time with a little noise: a random split tests each row beside its training neighbours, time cannot.
    const n = 600;
    const rows = Array.from({ length: n }, (_, i) => Float64Array.of(i + Math.sin(i * 7.3) * 0.4));
    const target = Float64Array.from({ length: n }, (_, i) => Math.floor(i / 50) % 2);
    const examples = { featureNames: ['x.mean'], rows, task: 'classification' as const, target, labels: ['even', 'odd'] };
    const timeLine = { time: Array.from({ length: n }, (_, i) => i * 60_000), gap: 120_000 };
    const result = await trainModel(examples, { name: 'leak', createdAt: new Date(0), forest: { nTrees: 20, seed: 1 }, testFraction: 0.2, timeLine, compareRandomSplit: true, refit: true });
    const m = result.metrics as any;
    assert.equal(m.split, 'time');
    assert.equal(m.gapRows, 1, 'the window straddling the cut is left out');
    assert.equal(m.rows, 120);
    assert.ok(m.randomSplit.accuracy > 0.95, `random split ${m.randomSplit.accuracy}`);
    assert.ok(m.accuracy < 0.8, `time split ${m.accuracy}`);
    assert.deepEqual([m.refit, m.heldOutTrainRows, m.trainRows], [true, 479, 600]);
    const warning = leakageWarning(result.metrics);
    assert.match(String(warning), /random split would have reported accuracy [01]\.\d{4}, \d+\.\d points above this time-ordered 0\.\d{4}/);
    assert.match(String(warning), /near copies/);
    // The same rows without time (or split: random): the old random hold-out, no comparison, no warning.
    const random = await trainModel(examples, { name: 'leak', createdAt: new Date(0), forest: { nTrees: 20, seed: 1 }, testFraction: 0.2, timeLine, split: 'random' });
    assert.equal((random.metrics as any).split, 'random');
    assert.equal((random.metrics as any).randomSplit, undefined);
    assert.equal(leakageWarning(random.metrics), undefined);
  });

  it('refit: the saved forest is trained on every row (it knows a region only the held-out rows had), the metrics are the measured model\'s', async () => {
    // Regression y = x; the newest rows (held out) have x in a region no training row has.
    const n = 200;
    const rows = Array.from({ length: n }, (_, i) => Float64Array.of(i));
    const target = Float64Array.from({ length: n }, (_, i) => i);
    const examples = { featureNames: ['x'], rows, task: 'regression' as const, target };
    const timeLine = { time: Array.from({ length: n }, (_, i) => i * 1000) };
    const options = { name: 'r', createdAt: new Date(0), forest: { nTrees: 10, seed: 2 }, testFraction: 0.2, timeLine };
    const measured = await trainModel(examples, options);
    const refit = await trainModel(examples, { ...options, refit: true });
    assert.equal((measured.metrics as any).mae, (refit.metrics as any).mae, 'the same held-out measurement');
    const predict = (r: typeof measured) => (new CompiledForest(r.model.forest as any).predictRow(Float64Array.of(195)) as any).value;
    assert.ok(predict(measured) < 165, `the measured model never saw x > 160: ${predict(measured)}`);
    assert.ok(predict(refit) > 185, `the refit model did: ${predict(refit)}`);
  });

  it('refuses what it cannot split', () => {
    assert.throws(() => timeHoldout({ time: [1, 2] }, 0), /testFraction/);
    assert.throws(() => timeHoldout({ time: [1, NaN] }, 0.5), /finite time/);
    assert.throws(() => timeHoldout({ time: [1, 2], device: ['a'] }, 0.5), /one entry per row/);
    assert.throws(() => timeFolds({ time: [1, 2] }, 3), /folds/);
    assert.throws(() => timeHoldout({ time: [1, 2], gap: -1 }, 0.5), /gap/);
  });
});
