import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WindowEngine, type WindowConfig } from '../../src/core/window';
import type { WindowEvent } from '../../src/core/window/types';
import { config, configArb, stepsArb, type Step } from './window-naive';

type Op = { kind: 'add'; step: Step } | { kind: 'flush'; device?: string } | { kind: 'reset'; device?: string } | { kind: 'idle'; now: number };

/** Readings with flushes, resets and idle checks sprinkled in. */
const opsArb: fc.Arbitrary<Op[]> = stepsArb.chain((steps) =>
  fc
    .array(
      fc.record({
        at: fc.nat({ max: steps.length }),
        op: fc.oneof(
          fc.record({ kind: fc.constant('flush' as const), device: fc.option(fc.constantFrom('a', 'b'), { nil: undefined }) }),
          fc.record({ kind: fc.constant('reset' as const), device: fc.option(fc.constantFrom('a', 'b'), { nil: undefined }) }),
          fc.record({ kind: fc.constant('idle' as const), now: fc.integer({ min: 5000, max: 6500 }) }),
        ),
      }),
      { maxLength: 6 },
    )
    .map((controls) => {
      const ops: Op[] = steps.map((step) => ({ kind: 'add', step }));
      for (const { at, op } of [...controls].sort((a, b) => b.at - a.at)) ops.splice(at, 0, op);
      return ops;
    }),
);

function apply(engine: WindowEngine, op: Op): readonly WindowEvent[] {
  switch (op.kind) {
    case 'add':
      return engine.add(op.step.reading, op.step.arrival);
    case 'flush':
      return engine.flush(op.device);
    case 'reset':
      engine.reset(op.device);
      return [];
    case 'idle':
      return engine.expireIdle(op.now);
  }
}

/** Through JSON text, as a context store would keep it. */
const viaJson = (engine: WindowEngine): unknown => JSON.parse(JSON.stringify(engine.snapshot()));

describe('WindowEngine snapshot and restore', () => {
  it('an engine restored after op k continues exactly like the original (events and final state)', () => {
    fc.assert(
      fc.property(configArb, fc.constantFrom(0, 40), opsArb, fc.nat(), (cfg, idleTimeout, ops, cut) => {
        const withIdle: WindowConfig = { ...cfg, idleTimeout };
        const k = cut % (ops.length + 1);
        const original = new WindowEngine(withIdle);
        const expected = ops.map((op) => [...apply(original, op)]);

        const before = new WindowEngine(withIdle);
        ops.slice(0, k).forEach((op) => apply(before, op));
        const restored = WindowEngine.restore(withIdle, viaJson(before));
        const actual = ops.slice(k).map((op) => [...apply(restored, op)]);

        assert.deepStrictEqual(actual, expected.slice(k));
        assert.deepStrictEqual(restored.stats, original.stats);
        assert.deepStrictEqual(restored.nextIdleDeadline(), original.nextIdleDeadline());
        assert.deepStrictEqual(viaJson(restored), viaJson(original));
        assert.deepStrictEqual([...restored.flush()], [...original.flush()]);
      }),
      { numRuns: 400 },
    );
  });

  const cfg = config({ window: 'sliding', size: 10, slide: 2, unit: 's', features: 'mean,std,median,slope', fill: 'previous' });
  const T0 = 1_700_000_000_000;
  const busy = (): WindowEngine => {
    const engine = new WindowEngine(cfg);
    for (let i = 0; i < 1000; i++) engine.add({ deviceId: `d${i % 4}`, sensor: i % 2 ? 'temp' : 'hum', value: Math.sin(i), ts: T0 + i * 37 }, i);
    return engine;
  };

  it('is plain JSON and compact: typed arrays go as base64', () => {
    const snapshot = busy().snapshot();
    const text = JSON.stringify(snapshot);
    assert.deepStrictEqual(JSON.parse(text), snapshot);
    const buffered = 4 * 2 * Math.ceil((10_000 + 2000) / 37 / 8); // ≈ readings still in open windows
    assert.ok(text.length < buffered * 60, `${text.length} characters for about ${buffered} buffered readings`);
  });

  it('refuses a snapshot taken with different window settings', () => {
    const snapshot = viaJson(busy());
    assert.throws(() => WindowEngine.restore({ ...cfg, window: 'tumbling', slide: cfg.size }, snapshot), /different window settings/);
    assert.throws(() => WindowEngine.restore({ ...cfg, features: ['mean'] }, snapshot), /different window settings/);
    assert.doesNotThrow(() => WindowEngine.restore({ ...cfg, maxKeys: 5, idleTimeout: 1000 }, snapshot), 'limits may change');
  });

  it('refuses malformed snapshots with a clear error', () => {
    assert.throws(() => WindowEngine.restore(cfg, null), /format/);
    assert.throws(() => WindowEngine.restore(cfg, { format: 'something-else' }), /format/);
    const snapshot = viaJson(busy()) as { devices: Array<{ clock: string }> };
    snapshot.devices[0].clock = 'AAAA';
    assert.throws(() => WindowEngine.restore(cfg, snapshot), /malformed/);
  });
});
