import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FEATURE_NAMES, FEATURES, percentileOfSorted, Summary, WindowSample, type FeatureName } from '../../src/core/window/features';
import { assertClose, NAIVE_FEATURES } from './window-naive';

/** Values on a 1/8 grid in ±1000 (sums are exact, so the reference itself is trustworthy). */
const valuesArb = fc.array(fc.integer({ min: -8000, max: 8000 }).map((k) => k / 8), { maxLength: 300, size: 'max' });
/** Epoch-ms timestamps, non-decreasing, ties allowed. */
const timestampsFor = (n: number): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: n, maxLength: n }).map((steps) => {
    let ts = 1_700_000_000_000;
    return steps.map((step) => (ts += step));
  });
const seriesArb = valuesArb.chain((values) => timestampsFor(values.length).map((ts) => ({ values, ts })));

/** What each feature of a single reading x must be. */
const SINGLE: Record<FeatureName, (x: number) => number> = {
  count: () => 1,
  sum: (x) => x,
  mean: (x) => x,
  std: () => 0,
  min: (x) => x,
  max: (x) => x,
  range: () => 0,
  first: (x) => x,
  last: (x) => x,
  delta: () => 0,
  rms: (x) => Math.abs(x),
  slope: () => 0,
  median: (x) => x,
  p10: (x) => x,
  p25: (x) => x,
  p75: (x) => x,
  p90: (x) => x,
  iqr: () => 0,
  skew: () => 0,
  kurtosis: () => 0,
  meanCrossings: () => 0,
};

/** Features that are 0 for constant data (zero variance). */
const SPREAD: ReadonlySet<FeatureName> = new Set(['std', 'range', 'delta', 'slope', 'iqr', 'skew', 'kurtosis', 'meanCrossings']);

/** A sample built the way the engine builds one: two halves summarised apart, then merged (Chan). */
function mergedSample(values: readonly number[], ts: readonly number[], split: number): WindowSample {
  const left = new Summary();
  const right = new Summary();
  values.forEach((v, i) => (i < split ? left : right).add(v, ts[i] - ts[0]));
  const sample = new WindowSample();
  sample.summary.merge(left);
  sample.summary.merge(right);
  return sample.load(Float64Array.from(values), 0, values.length);
}

describe('window features: one contract for every feature', () => {
  it('covers every feature name, each exactly once', () => {
    assert.deepStrictEqual(Object.keys(FEATURES).sort(), [...FEATURE_NAMES].sort());
    for (const name of FEATURE_NAMES) assert.equal(FEATURES[name].name, name);
  });

  for (const name of FEATURE_NAMES) {
    const feature = FEATURES[name];
    const naive = NAIVE_FEATURES[name];

    describe(name, () => {
      it('matches the naive definition on random data (1e-9 relative)', () => {
        fc.assert(
          fc.property(seriesArb, ({ values, ts }) => {
            assertClose(feature.compute(WindowSample.of(values, ts)), naive(values, ts), name);
          }),
          { numRuns: 150 },
        );
      });

      it('matches it too from a summary merged out of two parts (the sliding-window path)', () => {
        fc.assert(
          fc.property(seriesArb, fc.nat(), ({ values, ts }, cut) => {
            const split = values.length === 0 ? 0 : cut % (values.length + 1);
            assertClose(feature.compute(mergedSample(values, ts, split)), naive(values, ts), name);
          }),
          { numRuns: 100 },
        );
      });

      it('is 0 for an empty window', () => {
        assert.equal(feature.compute(WindowSample.of([])), 0);
      });

      it('has the single-reading value', () => {
        for (const x of [0, 2.5, -7.25]) assert.equal(feature.compute(WindowSample.of([x], [1_700_000_000_000])), SINGLE[name](x), `${name}(${x})`);
      });

      if (SPREAD.has(name)) {
        it('is 0 for constant data (zero variance), even where rounding would make noise', () => {
          fc.assert(
            fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer({ min: 2, max: 50 }), (x, n) => {
              const values = new Array<number>(n).fill(x);
              assert.equal(feature.compute(WindowSample.of(values, values.map((_, i) => i * 1000))), 0);
            }),
            { numRuns: 50 },
          );
        });
      }

      if (feature.orderIndependent) {
        it('does not depend on the order of the readings', () => {
          fc.assert(
            fc.property(seriesArb, fc.array(fc.nat(), { minLength: 300, maxLength: 300 }), ({ values, ts }, keys) => {
              const order = values.map((_, i) => i).sort((a, b) => keys[a] - keys[b] || a - b);
              const shuffled = WindowSample.of(order.map((i) => values[i]), order.map((i) => ts[i]));
              assertClose(feature.compute(shuffled), feature.compute(WindowSample.of(values, ts)), name);
            }),
            { numRuns: 100 },
          );
        });
      } else {
        it('does depend on the order (so it is marked order-dependent for a reason)', () => {
          const values = [1, 5, 2, 8, 0];
          const forward = feature.compute(WindowSample.of(values));
          const backward = feature.compute(WindowSample.of([...values].reverse()));
          const swapped = feature.compute(WindowSample.of([1, 2, 5, 8, 0]));
          assert.ok(forward !== backward || forward !== swapped, `${name} gave ${forward} every way`);
        });
      }

      if (feature.reads === 'summary') {
        it('gives the same from the summary and the window ends alone (a window kept as pane summaries)', () => {
          fc.assert(
            fc.property(seriesArb, fc.nat(), ({ values, ts }, cut) => {
              const split = values.length === 0 ? 0 : cut % (values.length + 1);
              const full = mergedSample(values, ts, split);
              const ends = new WindowSample();
              ends.summary.merge(full.summary);
              ends.loadEnds(values.length > 0 ? values[0] : 0, values.length > 0 ? values[values.length - 1] : 0);
              assert.ok(Object.is(feature.compute(ends), feature.compute(full)), `${feature.compute(ends)} vs ${feature.compute(full)}`);
            }),
            { numRuns: 100 },
          );
        });

        it('reads only the summary and the window ends, never the middle values', () => {
          const sample = WindowSample.of([3, 1, 4, 1, 5], [0, 1000, 2000, 3000, 4000]);
          const before = feature.compute(sample);
          sample.values()[2] = 1e9; // only a "values" feature could notice
          assert.equal(feature.compute(sample), before);
        });
      }
    });
  }
});

describe('window features: hand-checked numbers', () => {
  const compute = (name: FeatureName, values: number[], ts?: number[]): number => FEATURES[name].compute(WindowSample.of(values, ts));

  it('percentiles interpolate linearly like numpy.percentile', () => {
    // numpy.percentile([1, 2, 3, 4], [10, 25, 50, 75, 90]) -> [1.3, 1.75, 2.5, 3.25, 3.7]
    const values = [4, 1, 3, 2];
    assertClose(compute('p10', values), 1.3, 'p10');
    assertClose(compute('p25', values), 1.75, 'p25');
    assertClose(compute('median', values), 2.5, 'median');
    assertClose(compute('p75', values), 3.25, 'p75');
    assertClose(compute('p90', values), 3.7, 'p90');
    assertClose(compute('iqr', values), 1.5, 'iqr');
    assert.equal(percentileOfSorted([10, 20], 1), 20);
    assert.equal(percentileOfSorted([10, 20], 0), 10);
  });

  it('std, skew and kurtosis are population figures, kurtosis in excess', () => {
    // x = [1, 2, 3, 4, 10]: mean 4, m2 = 10, m3 = 36, m4 = 278.8 (scipy.stats.skew / kurtosis give the same)
    const values = [1, 2, 3, 4, 10];
    assertClose(compute('std', values), Math.sqrt(10), 'std');
    assertClose(compute('skew', values), 36 / 10 ** 1.5, 'skew');
    assertClose(compute('kurtosis', values), 278.8 / 100 - 3, 'kurtosis');
  });

  it('slope is per second against ts, whatever the spacing', () => {
    assertClose(compute('slope', [1, 3, 5], [0, 1000, 2000]), 2, 'evenly spaced');
    // t = 0, 500, 500, 1500 ms (mean 625), x = 0, 1, 2, 3 (mean 1.5): Σdt·dx = 2250, Σdt² = 1187500
    assertClose(compute('slope', [0, 1, 2, 3], [1_700_000_000_000, 1_700_000_000_500, 1_700_000_000_500, 1_700_000_001_500]), (2250 / 1187500) * 1000, 'uneven');
    assert.equal(compute('slope', [1, 9], [5000, 5000]), 0, 'same ts: undefined, so 0');
  });

  it('rms, sum, delta, range, meanCrossings', () => {
    assertClose(compute('rms', [3, -4]), Math.sqrt(12.5), 'rms');
    assert.equal(compute('sum', [1.5, 2.5, -1]), 3);
    assert.equal(compute('delta', [10, 3, 7]), -3);
    assert.equal(compute('range', [10, 3, 7]), 7);
    assert.equal(compute('meanCrossings', [1, 3, 1, 3]), 3);
    assert.equal(compute('meanCrossings', [1, 2, 3]), 1, 'a value equal to the mean counts as not above');
  });
});

describe('Summary', () => {
  it('merging any split equals adding one by one (Chan vs Welford)', () => {
    fc.assert(
      fc.property(seriesArb, fc.nat(), ({ values, ts }, cut) => {
        const split = values.length === 0 ? 0 : cut % (values.length + 1);
        const whole = new Summary();
        values.forEach((v, i) => whole.add(v, ts[i] - ts[0]));
        const merged = mergedSample(values, ts, split).summary;
        assert.equal(merged.n, whole.n);
        assert.equal(merged.min, whole.min);
        assert.equal(merged.max, whole.max);
        for (const key of ['mean', 'm2', 'tMean', 'tM2', 'coMoment'] as const) {
          assertClose(merged[key], whole[key], key);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('keeps the variance of large offset data (no sum of squares cancelling out)', () => {
    const summary = new Summary();
    for (let i = 0; i < 1000; i++) summary.add(1e9 + (i % 2), i);
    assertClose(summary.m2 / summary.n, 0.25, 'variance');
  });
});
