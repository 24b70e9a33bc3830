import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Summary, WindowSample } from '../../src/core/window/features';
import { PaneSeries, paneLayout } from '../../src/core/window/panes';
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

describe('PaneSeries (pane summaries, values kept when a feature reads them)', () => {
  type PaneOp = { kind: 'insert'; ahead: number; value: number } | { kind: 'aggregate'; panes: number } | { kind: 'evict'; panes: number } | { kind: 'drop' };
  const paneOpArb: fc.Arbitrary<PaneOp> = fc.oneof(
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('insert' as const), ahead: fc.integer({ min: 0, max: 40 }), value: fc.integer({ min: -800, max: 800 }).map((k) => k / 8) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('aggregate' as const), panes: fc.integer({ min: 0, max: 4 }) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('evict' as const), panes: fc.integer({ min: 0, max: 4 }) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'drop' as const }) },
  );

  /**
   * Drive a series the way the engine does (inserts never before the aggregated part; bounds are pane bounds and
   * only rise) and check against a plain sorted list after every step.
   */
  function checkPanes(ops: readonly PaneOp[], width: number, values: boolean, maxReadings: number): void {
    const layout = paneLayout(4 * width, width, { timestamps: true, values });
    assert.ok(layout);
    const series = new PaneSeries('x', ['x.mean'], maxReadings, layout);
    const sample = new WindowSample();
    const bounds = new Float64Array(4);
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
        aggregateBound += op.panes * width;
        series.aggregateBefore(aggregateBound);
      } else if (op.kind === 'evict') {
        evictBound = Math.min(aggregateBound, evictBound + op.panes * width);
        series.evictBefore(evictBound);
        live = live.filter((r) => r.position >= evictBound);
      } else {
        series.dropAggregated();
        live = live.filter((r) => r.position >= aggregateBound);
        evictBound = aggregateBound;
      }

      assert.equal(series.length, live.length, 'live readings');
      assert.equal(series.earliestPosition(), live.length > 0 ? live[0].position : Infinity, 'earliest');
      const aggregated = live.filter((r) => r.position < aggregateBound);
      assert.equal(series.aggregatedCount, aggregated.length, 'aggregated readings');
      if (aggregated.length === 0) continue;

      series.aggregatedBounds(bounds);
      const [first, last] = [aggregated[0], aggregated[aggregated.length - 1]];
      assert.deepStrictEqual([...bounds], [first.position, 1_700_000_000_000 + first.position * 10, last.position, 1_700_000_000_000 + last.position * 10]);
      series.loadSample(sample);
      assert.equal(sample.first, first.value, 'first');
      assert.equal(sample.last, last.value, 'last');
      if (values) assert.deepStrictEqual([...sample.values()], aggregated.map((r) => r.value), 'values in position order, ties in arrival order');
      const expected = new Summary();
      for (const r of aggregated) expected.add(r.value, r.position * 10);
      const actual = sample.summary;
      assert.equal(actual.n, expected.n);
      assert.equal(actual.min, expected.min, 'min');
      assert.equal(actual.max, expected.max, 'max');
      assertClose(actual.mean, expected.mean, 'mean');
      assertClose(actual.m2, expected.m2, 'm2');
      assertClose(actual.tM2, expected.tM2, 'tM2');
      assertClose(actual.coMoment, expected.coMoment, 'coMoment');
    }
  }

  it('summarise exactly the aggregated readings through late inserts, new panes between old ones, compaction and growth', () => {
    fc.assert(
      fc.property(fc.array(paneOpArb, { maxLength: 300, size: 'max' }), fc.integer({ min: 1, max: 12 }), fc.boolean(), (ops, width, values) => checkPanes(ops, width, values, 1_000_000)),
      { numRuns: 300 },
    );
  });

  it('refuse readings beyond maxReadings and take them again once panes are evicted', () => {
    fc.assert(
      fc.property(fc.array(paneOpArb, { maxLength: 200, size: 'max' }), fc.boolean(), (ops, values) => checkPanes(ops, 5, values, 7)),
      { numRuns: 200 },
    );
  });

  it('keep a window of the pipeline (60 s every 10 s, a reading a second) in 7 panes of 13 doubles', () => {
    const layout = paneLayout(60_000, 10_000, { timestamps: false, values: false });
    assert.deepStrictEqual(layout, { width: 10_000, perWindow: 6, stride: 13, values: false });
    const series = new PaneSeries('x', [], 100_000, layout);
    for (let second = 0; second < 3600; second++) {
      const ts = 1_700_000_000_000 + second * 1000;
      series.insert(ts, ts, second % 10);
      if (ts % 10_000 === 0) {
        series.aggregateBefore(ts);
        series.evictBefore(ts - 50_000);
      }
    }
    const state = series.toState();
    assert.ok(state.panes.length <= 7 * 13, `${state.panes.length / 13} panes`);
    assert.equal(state.positions, undefined, 'no readings kept');
  });
});
