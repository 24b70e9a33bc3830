/**
 * Issue #14 item 17: one hostile reading far ahead must not silence a device. Property: for any stream of genuine
 * readings (each device's in order, none more than maxJump ahead of its arrival) with ONE reading injected that is
 * more than maxJump ahead of both the node's clock and the device's own progress, the engine's events are exactly
 * those of the stream without it, plus one `future` reject of that reading: K = 0 genuine readings are late or
 * otherwise affected, whatever the window kind, lateness or place of the injection.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WindowEngine, type WindowConfig } from '../../src/core/window';
import type { CanonicalReading, WindowEvent } from '../../src/core/window/types';
import { runs } from '../helpers/fuzz';
import { config } from './window-naive';

const A0 = 1_700_000_000_000;

interface Arrival {
  reading: CanonicalReading;
  arrival: number;
}

const configArb: fc.Arbitrary<WindowConfig> = fc
  .record({
    window: fc.constantFrom('tumbling', 'sliding', 'session'),
    size: fc.integer({ min: 200, max: 5000 }),
    slideDivisor: fc.integer({ min: 1, max: 4 }),
    gap: fc.integer({ min: 100, max: 3000 }),
    lateness: fc.constantFrom(0, 0, 300, 2000),
    maxJump: fc.constantFrom(1000, 10_000, 60_000),
    minCount: fc.constantFrom(0, 0, 2),
  })
  .map((d) =>
    config({
      window: d.window,
      unit: 'ms',
      size: d.size,
      slide: d.window === 'sliding' ? Math.max(1, Math.floor(d.size / d.slideDivisor)) : undefined,
      gap: d.window === 'session' ? d.gap : undefined,
      lateness: d.lateness,
      maxJump: d.maxJump,
      minCount: d.minCount,
      features: 'count,sum,first,last',
    }),
  );

/** Genuine readings: each device's ts in order, between 5 s behind and maxJump ahead of the arrival clock. */
function genuineArb(maxJump: number): fc.Arbitrary<Arrival[]> {
  return fc
    .array(
      fc.record({
        device: fc.constantFrom('kitchen', 'hall'),
        sensor: fc.constantFrom('temp', 'hum'),
        value: fc.integer({ min: -100, max: 100 }),
        wait: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 1500 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 600_000 }) }),
        offset: fc.integer({ min: -5000, max: maxJump }),
      }),
      { minLength: 1, maxLength: 80 },
    )
    .map((draws) => {
      let arrival = A0;
      const last = new Map<string, number>();
      return draws.map((d) => {
        arrival += d.wait;
        const ts = Math.max(last.get(d.device) ?? -Infinity, arrival + d.offset);
        last.set(d.device, ts);
        return { reading: { deviceId: d.device, sensor: d.sensor, value: d.value, ts }, arrival };
      });
    });
}

const run = (engine: WindowEngine, steps: readonly Arrival[]): WindowEvent[][] => [
  ...steps.map(({ reading, arrival }) => [...engine.add(reading, arrival)]),
  [...engine.flush()],
];

describe('feature-window watermark: one hostile reading far ahead (property)', () => {
  it('changes nothing but its own future reject: K = 0 genuine readings late, for any stream and place', () => {
    fc.assert(
      fc.property(
        configArb.chain((cfg) => fc.tuple(fc.constant(cfg), genuineArb(cfg.maxJump), fc.nat(), fc.integer({ min: 1, max: 300_000 }), fc.nat(), fc.constantFrom('kitchen', 'hall'))),
        ([cfg, genuine, at, extra, cut, device]) => {
          const index = at % (genuine.length + 1);
          const arrival = index < genuine.length ? genuine[index].arrival : genuine[genuine.length - 1].arrival;
          // Far ahead: beyond the node's clock, and beyond the device's latest ts plus all the time that has passed.
          const latest = Math.max(A0, ...genuine.slice(0, index).map((s) => s.reading.ts));
          const hostile: Arrival = { reading: { deviceId: device, sensor: 'temp', value: 1e6, ts: Math.max(arrival, latest) + (arrival - A0) + cfg.maxJump + extra }, arrival };
          const attacked = [...genuine.slice(0, index), hostile, ...genuine.slice(index)];

          const expected = run(new WindowEngine(cfg), genuine);
          expected.splice(index, 0, [{ kind: 'reject', code: 'future', message: '', reading: hostile.reading }]);
          const actual = run(new WindowEngine(cfg), attacked);
          const blank = (events: WindowEvent[][]) => events.map((list) => list.map((e) => (e.kind === 'reject' ? { ...e, message: '' } : e)));
          assert.deepStrictEqual(blank(actual), blank(expected));

          // The refused jump is state too: an engine saved and restored anywhere continues the same.
          const k = cut % (attacked.length + 1);
          const before = new WindowEngine(cfg);
          attacked.slice(0, k).forEach(({ reading, arrival: a }) => before.add(reading, a));
          const restored = WindowEngine.restore(cfg, JSON.parse(JSON.stringify(before.snapshot())));
          assert.deepStrictEqual(blank(run(restored, attacked.slice(k))), blank(actual.slice(k)));
        },
      ),
      { numRuns: runs(300, 10_000) },
    );
  });

  it('the issue case: 40 genuine kitchen readings, one from another client 5 minutes ahead: 0 late, 1 future', () => {
    const engine = new WindowEngine(config({ window: 'tumbling', size: 10, unit: 's', features: 'count' }));
    const codes: string[] = [];
    let counted = 0;
    for (let i = 0; i < 40; i++) {
      const now = A0 + i * 1000;
      const events = [...(i === 5 ? engine.add({ deviceId: 'kitchen', sensor: 'temp', value: 99, ts: now + 300_000 }, now) : []), ...engine.add({ deviceId: 'kitchen', sensor: 'temp', value: i, ts: now - 200 }, now)];
      for (const e of events) if (e.kind === 'reject') codes.push(e.code);
      else counted += e.payload.counts.temp;
    }
    for (const e of engine.flush()) if (e.kind === 'window') counted += e.payload.counts.temp;
    assert.deepStrictEqual(codes, ['future']);
    assert.equal(counted, 40);
  });
});
