import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Summary } from '../../src/core/window/features';
import { SensorSeries } from '../../src/core/window/series';
import { assertClose } from './window-naive';

type Op =
  | { kind: 'insert'; ahead: number; value: number }
  | { kind: 'aggregate'; by: number }
  | { kind: 'evict'; by: number }
  | { kind: 'drop' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('insert' as const), ahead: fc.integer({ min: 0, max: 30 }), value: fc.integer({ min: -800, max: 800 }).map((k) => k / 8) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('aggregate' as const), by: fc.integer({ min: 0, max: 15 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('evict' as const), by: fc.integer({ min: 0, max: 15 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'drop' as const }) },
);

interface ModelReading {
  position: number;
  value: number;
  order: number;
}

/**
 * Drive a series the way the engine does (inserts never land before the aggregated part; bounds only rise) and
 * check it against a plain sorted list after every step.
 */
function check(ops: readonly Op[], maxReadings = 1_000_000): void {
  const series = new SensorSeries('x', ['x.mean'], maxReadings);
  let live: ModelReading[] = [];
  let aggregateBound = 0;
  let evictBound = 0;
  let order = 0;
  for (const op of ops) {
    if (op.kind === 'insert') {
      const position = aggregateBound + op.ahead;
      const accepted = series.insert(position, 1_700_000_000_000 + position * 10, op.value);
      assert.equal(accepted, live.length < maxReadings, 'overflow only at maxReadings');
      if (accepted) {
        live.push({ position, value: op.value, order: order++ });
        live.sort((a, b) => a.position - b.position || a.order - b.order);
      }
    } else if (op.kind === 'aggregate') {
      aggregateBound += op.by;
      series.aggregateBefore(aggregateBound);
    } else if (op.kind === 'evict') {
      evictBound = Math.min(aggregateBound, evictBound + op.by);
      series.evictBefore(evictBound);
      live = live.filter((r) => r.position >= evictBound);
    } else {
      series.dropAggregated();
      live = live.filter((r) => r.position >= aggregateBound);
      evictBound = aggregateBound;
    }

    assert.equal(series.length, live.length, 'live readings');
    assert.deepStrictEqual([...series.values.subarray(series.head, series.tail)], live.map((r) => r.value), 'values in position order');
    const aggregated = live.filter((r) => r.position < aggregateBound);
    assert.equal(series.aggregatedCount, aggregated.length, 'aggregated readings');

    const expected = new Summary();
    for (const r of aggregated) expected.add(r.value, r.position * 10);
    const actual = new Summary();
    series.summarize(actual);
    assert.equal(actual.n, expected.n);
    if (expected.n > 0) {
      assert.equal(actual.min, expected.min, 'min');
      assert.equal(actual.max, expected.max, 'max');
      assertClose(actual.mean, expected.mean, 'mean');
      assertClose(actual.m2, expected.m2, 'm2');
      assertClose(actual.tM2, expected.tM2, 'tM2');
      assertClose(actual.coMoment, expected.coMoment, 'coMoment');
    }
  }
}

describe('SensorSeries (sorted typed-array buffer with a two-stacks aggregate)', () => {
  it('always summarises exactly the aggregated readings, through inserts, flips, compaction and growth', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 400, size: 'max' }), (ops) => check(ops)), { numRuns: 300 });
  });

  it('refuses readings beyond maxReadings and takes them again once some are evicted', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 200, size: 'max' }), (ops) => check(ops, 7)), { numRuns: 200 });
  });

  it('puts an out-of-order reading after equal positions, before later ones', () => {
    const series = new SensorSeries('x', [], 100);
    for (const [position, value] of [[10, 1], [20, 2], [10, 3], [15, 4], [5, 5]] as const) series.insert(position, position, value);
    assert.deepStrictEqual([...series.values.subarray(series.head, series.tail)], [5, 1, 3, 4, 2]);
  });

  it('keeps slopes precise over a long sliding run (times re-based on every flip)', () => {
    const series = new SensorSeries('x', [], 1000);
    const summary = new Summary();
    for (let i = 0; i < 200_000; i++) {
      series.insert(i, 1_700_000_000_000 + i * 1000, 3 * i + (i % 7));
      series.aggregateBefore(i + 1);
      series.evictBefore(i - 99);
    }
    series.summarize(summary);
    assert.equal(summary.n, 100);
    // x = 3i + (i mod 7) over the last 100 readings: slope ≈ 3 per reading = 3 per second; check against a fresh sum.
    const fresh = new Summary();
    for (let i = 199_900; i < 200_000; i++) fresh.add(3 * i + (i % 7), (i - 199_900) * 1000);
    assertClose(summary.coMoment / summary.tM2, fresh.coMoment / fresh.tM2, 'slope');
    assertClose(summary.m2, fresh.m2, 'm2');
  });
});
