/**
 * #27.6, feature-window's budget of buffered readings as a property: whatever readings arrive (devices, sensors,
 * times out of order, any window kind), the engine never holds more than its budget, and with a budget it never
 * reaches it windows exactly what an engine without one does.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseWindowConfig, WindowEngine, type WindowEvent } from '../../src/core/window';
import { runs } from '../helpers/fuzz';

type Buffered = { devices: Map<string, { series: Array<{ length: number }> }> };
/** What the engine buffers now, counted from its state (white box: the property is about exactly this). */
const buffered = (engine: WindowEngine) => {
  let total = 0;
  for (const device of (engine as unknown as Buffered).devices.values()) for (const series of device.series) total += series.length;
  return total;
};
const windowsOf = (events: readonly WindowEvent[]) => events.filter((e) => e.kind === 'window').map((e) => JSON.stringify(e));

describe('config bounds (#27.6): the window budget as a property', function () {
  const reading = fc.record({ device: fc.integer({ min: 0, max: 4 }), sensor: fc.integer({ min: 0, max: 2 }), step: fc.integer({ min: -500, max: 3000 }) });
  const kind = fc.constantFrom(
    { window: 'tumbling', size: 2000, unit: 'ms' },
    { window: 'sliding', size: 3000, slide: 1000, unit: 'ms' },
    { window: 'session', gap: 1500, unit: 'ms' },
    { window: 'tumbling', size: 7, unit: 'count' },
  );

  it('never buffers more than the budget; below it, windows as an unbounded engine does', () => {
    fc.assert(
      fc.property(kind, fc.array(reading, { maxLength: 300 }), fc.integer({ min: 1, max: 60 }), (settings, readings, budget) => {
        const parsed = parseWindowConfig({ ...settings, features: ['mean', 'median', 'count'], lateness: 1000 });
        assert.ok(parsed.ok);
        const bounded = new WindowEngine(parsed.config, { maxBuffered: budget });
        const free = new WindowEngine(parsed.config);
        let ts = 0;
        let reached = false;
        const got: string[] = [];
        const want: string[] = [];
        for (const r of readings) {
          ts = Math.max(0, ts + r.step);
          const input = { deviceId: `d${r.device}`, sensor: `s${r.sensor}`, value: r.step, ts };
          got.push(...windowsOf(bounded.add(input, ts)));
          want.push(...windowsOf(free.add(input, ts)));
          assert.ok(buffered(bounded) <= budget, `buffered ${buffered(bounded)} > ${budget}`);
          if (buffered(free) >= budget - Math.ceil(budget / 16)) reached = true;
        }
        got.push(...windowsOf(bounded.flush()));
        want.push(...windowsOf(free.flush()));
        if (!reached) assert.deepEqual(got, want);
      }),
      { numRuns: runs(200, 3000) },
    );
  });
});
