import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AnomalyCollector, SHARED_BASELINE } from '../../src/core/model/data/collector';

const window = (deviceId: string, value: number) => ({ deviceId, features: { a: value, b: value * 2 } });

describe('model/collector: AnomalyCollector', () => {
  it('warms each device up on its own, then (rolling) asks again every `every` windows', () => {
    const collector = new AnomalyCollector({ scope: 'device', warmup: 3, update: 'rolling', every: 2, maxSamples: 10, maxDevices: 5 });
    const never = () => false;
    for (let i = 0; i < 3; i++) collector.addWindow(window('x', i), never);
    collector.addWindow(window('y', 1), never);
    assert.deepEqual(collector.due(), ['x']);
    assert.deepEqual(collector.warmupProgress('y'), { collected: 1, needed: 3 });
    assert.equal(collector.startTraining('x').length, 3);
    assert.deepEqual(collector.due(), [], 'not while it is being learnt');
    collector.finishTraining('x', true);
    assert.equal(collector.warmupProgress('x'), undefined);
    collector.addWindow(window('x', 5), never);
    assert.deepEqual(collector.due(), []);
    collector.addWindow(window('x', 6), never);
    assert.deepEqual(collector.due(), ['x']);
  });

  it('keeps at most maxDevices baselines: the device heard from least recently is forgotten and counted', () => {
    const collector = new AnomalyCollector({ scope: 'device', warmup: 3, update: 'rolling', every: 2, maxSamples: 10, maxDevices: 2 });
    const never = () => false;
    collector.addWindow(window('a', 1), never);
    collector.addWindow(window('b', 1), never);
    collector.addWindow(window('a', 2), never);
    collector.addWindow(window('c', 1), never);
    assert.deepEqual(collector.keys, ['a', 'c'], 'b was heard from least recently');
    assert.equal(collector.evicted, 1);
    assert.deepEqual(collector.warmupProgress('a'), { collected: 2, needed: 3 }, "a's windows are kept");
    // Reading a baseline's progress does not make it recent: c, then a, is still the order.
    collector.warmupProgress('a');
    collector.addWindow(window('d', 1), never);
    assert.deepEqual(collector.keys, ['c', 'd']);
    assert.equal(collector.evicted, 2);
  });

  it('frozen: never asks again once learnt; a failed training waits for another warm-up of windows', () => {
    const collector = new AnomalyCollector({ scope: 'shared', warmup: 2, update: 'frozen', every: 2, maxSamples: 10, maxDevices: 1 });
    const never = () => false;
    collector.addWindow(window('x', 1), never);
    collector.addWindow(window('y', 2), never);
    assert.deepEqual(collector.due(), [SHARED_BASELINE]);
    collector.startTraining(SHARED_BASELINE);
    collector.finishTraining(SHARED_BASELINE, false);
    assert.deepEqual(collector.due(), [], 'a failure is not retried at once');
    collector.addWindow(window('x', 3), never);
    collector.addWindow(window('x', 4), never);
    assert.deepEqual(collector.due(), [SHARED_BASELINE]);
    collector.startTraining(SHARED_BASELINE);
    collector.finishTraining(SHARED_BASELINE, true);
    for (let i = 0; i < 10; i++) collector.addWindow(window('x', i), never);
    assert.deepEqual(collector.due(), []);
  });

  it('leaves out windows the live model flags, but only once the baseline is learnt', () => {
    const collector = new AnomalyCollector({ scope: 'shared', warmup: 2, update: 'rolling', every: 1, maxSamples: 10, maxDevices: 1 });
    const big = (row: Float64Array) => row[0] > 100;
    assert.deepEqual(collector.addWindow(window('x', 500), big), { ok: true, key: '', flagged: false }, 'no model yet: kept');
    collector.adopt(['a', 'b'], [SHARED_BASELINE]);
    assert.deepEqual(collector.addWindow(window('x', 500), big), { ok: true, key: '', flagged: true });
    assert.equal(collector.size, 1);
    assert.equal(collector.baseline(SHARED_BASELINE)?.flagged, 1);
  });

  it('keeps every bound, whatever windows arrive (property)', () => {
    const value = fc.oneof(fc.double(), fc.constant('x'), fc.constant(null), fc.integer());
    const input = fc.record({
      deviceId: fc.oneof(fc.constantFrom('a', 'b', 'c', 'd', '__proto__', ''), fc.string()),
      features: fc.oneof(fc.dictionary(fc.constantFrom('a', 'b', 'c'), value), fc.constant(null), fc.constant([])),
    });
    fc.assert(
      fc.property(fc.array(input, { maxLength: 200 }), fc.constantFrom<'shared' | 'device'>('shared', 'device'), fc.constantFrom(0, 2, 4, 9), (windows, scope, adaptAfter) => {
        // adaptAfter 9 acts as maxSamples (5); an adopted change is learnt from adaptAfter rows, fewer than warmup at 2.
        const collector = new AnomalyCollector({ scope, warmup: 3, update: 'rolling', every: 2, maxSamples: 5, maxDevices: 3, adaptAfter });
        const fewest = adaptAfter === 0 ? 3 : Math.min(3, adaptAfter);
        for (const payload of windows) {
          const result = collector.addWindow(payload as Record<string, unknown>, (row) => row[0] > 1e6);
          if (!result.ok) assert.ok(['features', 'too-large'].includes(result.code) && result.message.length > 0);
          for (const key of collector.due()) {
            const rows = collector.startTraining(key);
            assert.ok(rows.length >= fewest && rows.length <= 5, `${rows.length} rows`);
            collector.finishTraining(key, true);
          }
        }
        assert.ok(collector.keys.length <= (scope === 'device' ? 3 : 1));
        for (const key of collector.keys) {
          const state = collector.baseline(key)!;
          assert.ok(state.rows.length <= 5);
          assert.ok(state.recent.length <= Math.min(adaptAfter, 5));
          for (const row of state.rows) {
            assert.equal(row.length, collector.featureNames!.length);
            assert.ok(row.every(Number.isFinite));
          }
        }
      }),
    );
  });
});
