/**
 * Issue #14 item 18: a window is emitted at most once, ever, and a partial one says so. Invariant, over any
 * sequence of readings (many device names, small maxKeys, so evictions and forgotten tombstones), flushes, idle
 * expiries and resets, in event or arrival time:
 *   - time windows: no two windows of a device that came out (output 1, or output 2 as `min-count`) share
 *     [start, end), unless a reset of that device (msg.reset of it, or of all) came between them;
 *   - event-time sessions: each session of a device that came out starts after the previous one ended (same
 *     reset exception);
 *   - windows closed by an eviction (they come out of a reading of another device) carry `evicted: true` and
 *     `partial: true`; windows of flush and idle expiry never carry `evicted`; a device's own readings close its
 *     windows complete (no flag).
 * Count windows are left out: their start/end are reading ts and a returning device's windows hold only new readings.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WindowEngine, type WindowConfig } from '../../src/core/window';
import type { WindowEvent, WindowPayload } from '../../src/core/window/types';
import { runs } from '../helpers/fuzz';
import { config } from './window-naive';

const T0 = 1_700_000_000_000;
const DEVICES = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7'];

type Op =
  | { kind: 'add'; device: string; sensor: string; value: number; wait: number; back: number }
  | { kind: 'flush'; device?: string }
  | { kind: 'idle'; wait: number }
  | { kind: 'reset'; device?: string }
  | { kind: 'restart' };

const configArb: fc.Arbitrary<WindowConfig> = fc
  .record({
    window: fc.constantFrom('tumbling', 'sliding', 'hopping', 'session'),
    time: fc.constantFrom('event', 'event', 'arrival'),
    size: fc.integer({ min: 50, max: 1000 }),
    slideDivisor: fc.integer({ min: 1, max: 3 }),
    gap: fc.integer({ min: 20, max: 500 }),
    lateness: fc.constantFrom(0, 100, 2000),
    maxKeys: fc.integer({ min: 1, max: 3 }),
    idleTimeout: fc.constantFrom(0, 300),
    minCount: fc.constantFrom(0, 0, 2),
  })
  .map((d) =>
    config({
      window: d.window === 'hopping' ? 'sliding' : d.window,
      time: d.window === 'session' ? 'event' : d.time,
      unit: 'ms',
      size: d.size,
      slide: d.window === 'sliding' ? Math.max(1, Math.floor(d.size / d.slideDivisor)) : d.window === 'hopping' ? d.size * 2 : undefined,
      gap: d.window === 'session' ? d.gap : undefined,
      lateness: d.lateness,
      maxKeys: d.maxKeys,
      idleTimeout: d.idleTimeout,
      minCount: d.minCount,
      features: 'count,sum',
    }),
  );

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      device: fc.constantFrom(...DEVICES),
      sensor: fc.constantFrom('x', 'y'),
      value: fc.integer({ min: -9, max: 9 }),
      wait: fc.integer({ min: 0, max: 400 }),
      back: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 3000 }) }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flush' as const), device: fc.option(fc.constantFrom(...DEVICES), { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('idle' as const), wait: fc.integer({ min: 0, max: 1000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reset' as const), device: fc.option(fc.constantFrom(...DEVICES), { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
);

describe('feature-window: every window is emitted at most once (property)', () => {
  it('across readings, evictions, forgotten devices, flushes, idle expiry, resets and restores', () => {
    fc.assert(
      fc.property(configArb, fc.array(opArb, { minLength: 1, maxLength: 200 }), (cfg, ops) => {
        let engine = new WindowEngine(cfg);
        let now = T0;
        /** Per device, what came out since its last reset. */
        const seen = new Map<string, { windows: Set<string>; lastEnd: number }>();
        const check = (events: readonly WindowEvent[], cause: 'own' | 'other' | 'control', device?: string): void => {
          for (const event of events) {
            const payload: WindowPayload | undefined = event.kind === 'window' ? event.payload : event.code === 'min-count' ? event.window : undefined;
            if (!payload) continue;
            const mine = seen.get(payload.deviceId) ?? { windows: new Set<string>(), lastEnd: -Infinity };
            seen.set(payload.deviceId, mine);
            if (cfg.window === 'session') {
              assert.ok(payload.start > mine.lastEnd, `session [${payload.start}, ${payload.end}] of ${payload.deviceId} starts before the previous one ended (${mine.lastEnd})`);
              mine.lastEnd = payload.end;
            } else {
              const key = `${payload.start}-${payload.end}`;
              assert.ok(!mine.windows.has(key), `window [${key}) of ${payload.deviceId} came out twice`);
              mine.windows.add(key);
            }
            const own = cause === 'own' && payload.deviceId === device;
            if (cause === 'other' || (cause === 'own' && !own)) assert.deepStrictEqual([payload.partial, payload.evicted], [true, true], 'closed by an eviction');
            if (cause === 'control') assert.equal(payload.evicted, undefined, 'flush and idle expiry do not evict');
            if (own) assert.deepStrictEqual([payload.partial, payload.evicted], [undefined, undefined], 'closed by its own watermark');
          }
        };
        for (const op of ops) {
          switch (op.kind) {
            case 'add':
              now += op.wait;
              check(engine.add({ deviceId: op.device, sensor: op.sensor, value: op.value, ts: now - op.back }, now), 'own', op.device);
              break;
            case 'flush':
              check(engine.flush(op.device), 'control');
              break;
            case 'idle':
              now += op.wait;
              check(engine.expireIdle(now), 'control');
              break;
            case 'reset':
              engine.reset(op.device);
              if (op.device === undefined) seen.clear();
              else seen.delete(op.device);
              break;
            case 'restart':
              engine = WindowEngine.restore(cfg, JSON.parse(JSON.stringify(engine.snapshot())));
              break;
          }
        }
        check(engine.flush(), 'control');
      }),
      { numRuns: runs(300, 10_000) },
    );
  });
});
