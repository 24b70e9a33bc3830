import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { FEATURES, WindowEngine, type FeatureName, type WindowConfig } from '../../src/core/window';
import { MAX_PANES_PER_WINDOW, paneLayout } from '../../src/core/window/panes';
import type { WindowEvent } from '../../src/core/window/types';
import { assertEventsClose, config, configArb, naiveWindowing, stepsArb, type Step } from './window-naive';

/** The features a pane summary alone can give: everything that reads only the summary and the window's ends. */
const STREAMING = (Object.keys(FEATURES) as FeatureName[]).filter((name) => FEATURES[name].reads === 'summary');

/** Random settings of every kind (as the reference tests), half of them with streaming features only. */
const panesConfigArb: fc.Arbitrary<WindowConfig> = fc
  .tuple(
    configArb,
    fc.oneof(fc.subarray(STREAMING, { minLength: 1 }), fc.subarray(Object.keys(FEATURES) as FeatureName[], { minLength: 1 })),
    fc.constantFrom(100_000, 100_000, 4),
    fc.constantFrom(0, 40),
  )
  .map(([cfg, features, maxReadings, idleTimeout]) => ({ ...cfg, features, maxReadings, idleTimeout }));

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

function apply(engine: WindowEngine, op: Op): WindowEvent[] {
  switch (op.kind) {
    case 'add':
      return [...engine.add(op.step.reading, op.step.arrival)];
    case 'flush':
      return [...engine.flush(op.device)];
    case 'reset':
      engine.reset(op.device);
      return [];
    case 'idle':
      return [...engine.expireIdle(op.now)];
  }
}

/** Through JSON text, as a context store would keep it. */
const viaJson = (engine: WindowEngine): unknown => JSON.parse(JSON.stringify(engine.snapshot()));

interface SnapshotShape {
  format: string;
  devices: Array<{ sensors: Array<Record<string, unknown>> }>;
}

type Representation = 'panes' | 'panes and values' | 'readings';

/** How the snapshot keeps each sensor. */
function representations(engine: WindowEngine): Set<Representation> {
  const snapshot = engine.snapshot() as unknown as SnapshotShape;
  const of = (sensor: Record<string, unknown>): Representation => ('panes' in sensor ? ('values' in sensor ? 'panes and values' : 'panes') : 'readings');
  return new Set(snapshot.devices.flatMap((device) => device.sensors.map(of)));
}

/** The representation the engine should choose for these settings. */
function expectedRepresentation(cfg: WindowConfig): Representation {
  if (cfg.window === 'session' || paneLayout(cfg.size, cfg.slide, { timestamps: false, values: false }) === undefined) return 'readings';
  return cfg.features.every((feature) => FEATURES[feature].reads === 'summary') ? 'panes' : 'panes and values';
}

const T0 = 1_700_000_000_000;

describe('window panes (summaries per slide instead of readings)', () => {
  it('are used for aligned windows that span few panes, with the values kept only for features that read them', () => {
    const feed = (cfg: WindowConfig): WindowEngine => {
      const engine = new WindowEngine(cfg);
      for (let i = 0; i < 50; i++) engine.add({ deviceId: 'd', sensor: 'x', value: i, ts: T0 + i * 100 }, T0 + i * 100);
      return engine;
    };
    const pipeline = config({ window: 'sliding', size: 60, slide: 10, unit: 's', features: 'mean,std,min,max' });
    assert.deepStrictEqual(representations(feed(pipeline)), new Set(['panes']));
    assert.deepStrictEqual(representations(feed({ ...pipeline, features: ['mean', 'median'] })), new Set(['panes and values']), 'an order statistic needs the values');
    assert.deepStrictEqual(representations(feed(config({ window: 'session', gap: 1, unit: 's', features: 'mean' }))), new Set(['readings']));
    assert.deepStrictEqual(representations(feed(config({ window: 'sliding', size: 10, slide: 4, unit: 's', features: 'mean' }))), new Set(['panes']), 'panes of gcd(size, slide)');
    const tooMany = config({ window: 'sliding', size: MAX_PANES_PER_WINDOW + 1, slide: 1, unit: 's', features: 'mean' });
    assert.deepStrictEqual(representations(feed(tooMany)), new Set(['readings']), 'a window of many panes keeps O(1) per reading with readings');
    assert.deepStrictEqual(representations(feedRaw(pipeline)), new Set(['readings']), 'keepReadings');
  });

  it('give the brute-force model windows, for random settings and streams', () => {
    fc.assert(
      fc.property(panesConfigArb, stepsArb, (cfg, steps) => {
        fc.pre(cfg.maxReadings > 4); // the model has no maxReadings; the next property covers it
        const engine = new WindowEngine(cfg);
        const actual = steps.map(({ reading, arrival }) => [...engine.add(reading, arrival)]);
        const kept = representations(engine);
        assert.ok(kept.size === 0 || (kept.size === 1 && kept.has(expectedRepresentation(cfg))), `${[...kept]} for ${JSON.stringify(cfg)}`);
        actual.push([...engine.flush()]);
        naiveWindowing(cfg, steps).forEach((events, i) => assertEventsClose(actual[i], events, i < steps.length ? `step ${i}` : 'final flush'));
      }),
      { numRuns: 400 },
    );
  });

  it('give what buffered readings give, through late data, maxReadings, fill, minCount, maxKeys, flush, reset and idle expiry', () => {
    fc.assert(
      fc.property(panesConfigArb, opsArb, (cfg, ops) => {
        const panes = new WindowEngine(cfg);
        const readings = new WindowEngine(cfg, { keepReadings: true });
        ops.forEach((op, i) => assertEventsClose(apply(panes, op), apply(readings, op), `op ${i} (${op.kind})`));
        assert.deepStrictEqual(panes.stats, readings.stats);
        assert.deepStrictEqual(panes.nextIdleDeadline(), readings.nextIdleDeadline());
        assertEventsClose([...panes.flush()], [...readings.flush()], 'final flush');
      }),
      { numRuns: 400 },
    );
  });

  it('agree on long streams with fractional timestamps, many readings per pane and deep overlap', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -800, max: 800 }), { minLength: 200, maxLength: 600 }),
        fc.constantFrom(0.3, 1, 2.5, 7),
        fc.integer({ min: 1, max: MAX_PANES_PER_WINDOW }),
        fc.integer({ min: 1, max: 9 }),
        fc.boolean(),
        (values, spacing, panesPerWindow, paneWidth, withValues) => {
          const steps: Step[] = values.map((k, i) => ({
            // every 11th reading steps back a little (within lateness)
            reading: { deviceId: 'd', sensor: i % 3 === 0 ? 'x' : 'y', value: k / 8, ts: T0 + i * spacing - (i % 11 === 5 ? 3 * spacing : 0) },
            arrival: T0 + i * spacing,
          }));
          const cfg = config({
            window: 'sliding',
            unit: 'ms',
            size: panesPerWindow * paneWidth,
            slide: paneWidth,
            lateness: 4 * spacing,
            features: [...STREAMING, ...(withValues ? ['median', 'p90', 'kurtosis', 'meanCrossings'] : [])],
          });
          const engine = new WindowEngine(cfg);
          const actual = steps.map(({ reading, arrival }) => [...engine.add(reading, arrival)]);
          assert.deepStrictEqual(representations(engine), new Set([expectedRepresentation(cfg)]));
          actual.push([...engine.flush()]);
          naiveWindowing(cfg, steps).forEach((events, i) => assertEventsClose(actual[i], events, `step ${i}`));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('an engine restored from panes continues bit for bit like the original', () => {
    fc.assert(
      fc.property(panesConfigArb, opsArb, fc.nat(), (cfg, ops, cut) => {
        const k = cut % (ops.length + 1);
        const original = new WindowEngine(cfg);
        const expected = ops.map((op) => apply(original, op));
        const before = new WindowEngine(cfg);
        ops.slice(0, k).forEach((op) => apply(before, op));
        const restored = WindowEngine.restore(cfg, viaJson(before));
        assert.deepStrictEqual(ops.slice(k).map((op) => apply(restored, op)), expected.slice(k));
        assert.deepStrictEqual(viaJson(restored), viaJson(original));
        assert.deepStrictEqual([...restored.flush()], [...original.flush()]);
      }),
      { numRuns: 300 },
    );
  });

  it('a snapshot of buffered readings restores into panes and continues the same (within 1e-9)', () => {
    fc.assert(
      fc.property(panesConfigArb, opsArb, fc.nat(), (cfg, ops, cut) => {
        const k = cut % (ops.length + 1);
        const original = new WindowEngine(cfg);
        const expected = ops.map((op) => apply(original, op));
        const before = new WindowEngine(cfg, { keepReadings: true });
        ops.slice(0, k).forEach((op) => apply(before, op));
        const restored = WindowEngine.restore(cfg, viaJson(before));
        ops.slice(k).forEach((op, i) => assertEventsClose(apply(restored, op), expected[k + i], `op ${k + i}`));
        assert.deepStrictEqual(restored.stats, original.stats);
        assertEventsClose([...restored.flush()], [...original.flush()], 'final flush');
      }),
      { numRuns: 300 },
    );
  });

  it('a snapshot of panes is refused, clearly, where the readings are needed', () => {
    const cfg = config({ window: 'sliding', size: 60, slide: 10, unit: 's', features: 'mean' });
    const engine = new WindowEngine(cfg);
    engine.add({ deviceId: 'd', sensor: 'x', value: 1, ts: T0 }, T0);
    assert.throws(() => WindowEngine.restore(cfg, viaJson(engine), { keepReadings: true }), /pane summaries/);
  });
});

/** 300 readings of 3 devices × 2 sensors, 0.7 s apart, every 7th one 1.5 s late (as the fixture was made from). */
function v1Stream(): Step[] {
  const steps: Step[] = [];
  for (let i = 0; i < 300; i++) {
    const ts = T0 + i * 700 - (i % 7 === 3 ? 1500 : 0);
    steps.push({ reading: { deviceId: `d${i % 3}`, sensor: i % 2 ? 'temp' : 'hum', value: Math.round(Math.sin(i) * 800) / 8, ts }, arrival: T0 + i * 650 });
  }
  return steps;
}

function feedRaw(cfg: WindowConfig): WindowEngine {
  const engine = new WindowEngine(cfg, { keepReadings: true });
  engine.add({ deviceId: 'd', sensor: 'x', value: 1, ts: T0 }, T0);
  return engine;
}

describe('window state saved by earlier versions (iot-ai/window-state@1)', () => {
  const fixture = JSON.parse(readFileSync(join(__dirname, '../fixtures/window-state-v1.json'), 'utf8')) as {
    cases: Record<string, { settings: Record<string, unknown>; snapshot: { format: string } }>;
  };
  const CUT = 150;

  for (const [name, { settings, snapshot }] of Object.entries(fixture.cases)) {
    it(`${name}: restores and continues as if it had never stopped`, () => {
      assert.equal(snapshot.format, 'iot-ai/window-state@1');
      const cfg = config(settings);
      const steps = v1Stream();
      const uninterrupted = new WindowEngine(cfg);
      const expected = steps.map(({ reading, arrival }) => [...uninterrupted.add(reading, arrival)]);
      const restored = WindowEngine.restore(cfg, snapshot);
      const atCut = new WindowEngine(cfg);
      steps.slice(0, CUT).forEach(({ reading, arrival }) => atCut.add(reading, arrival));
      assert.deepStrictEqual(restored.stats, atCut.stats, 'counters and devices as saved');
      let emitted = 0;
      steps.slice(CUT).forEach(({ reading, arrival }, i) => {
        const events = [...restored.add(reading, arrival)];
        emitted += events.length;
        assertEventsClose(events, expected[CUT + i], `step ${CUT + i}`);
      });
      assert.ok(emitted > 10, `${emitted} windows after the restore`);
      assertEventsClose([...restored.flush()], [...uninterrupted.flush()], 'final flush');
      assert.deepStrictEqual(restored.stats, uninterrupted.stats);
      assert.deepStrictEqual(representations(restored), new Set([expectedRepresentation(cfg)]));
    });
  }
});
