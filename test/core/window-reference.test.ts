import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WindowEngine } from '../../src/core/window';
import type { WindowEvent } from '../../src/core/window/types';
import { assertEventsClose, config, configArb, naiveWindowing, stepsArb, type Step } from './window-naive';

/** Feed the engine step by step, then flush; events per step as naiveWindowing returns them. */
function runEngine(engine: WindowEngine, steps: readonly Step[]): WindowEvent[][] {
  const out = steps.map(({ reading, arrival }) => [...engine.add(reading, arrival)]);
  out.push([...engine.flush()]);
  return out;
}

function assertSameAsNaive(cfg: Parameters<typeof naiveWindowing>[0], steps: readonly Step[]): void {
  const actual = runEngine(new WindowEngine(cfg), steps);
  const expected = naiveWindowing(cfg, steps);
  expected.forEach((events, i) => assertEventsClose(actual[i], events, i < steps.length ? `step ${i}` : 'final flush'));
}

describe('window engine against a brute-force model', () => {
  it('emits exactly the naive windows, at the step the watermark passes them, for random settings and streams', () => {
    fc.assert(
      fc.property(configArb, stepsArb, (cfg, steps) => assertSameAsNaive(cfg, steps)),
      { numRuns: 600 },
    );
  });

  it('agrees on long in-order streams with deep sliding overlap (two-stacks flips many times)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -800, max: 800 }), { minLength: 200, maxLength: 600 }),
        fc.integer({ min: 1, max: 5 }),
        (values, spacing) => {
          const steps: Step[] = values.map((k, i) => ({
            reading: { deviceId: 'd', sensor: i % 3 === 0 ? 'x' : 'y', value: k / 8, ts: 1_700_000_000_000 + i * spacing },
            arrival: 1_700_000_000_000 + i * spacing,
          }));
          const cfg = config({ window: 'sliding', unit: 'ms', size: 97, slide: 3, features: 'mean,std,min,max,rms,slope,sum,first,last,median,skew' });
          assertSameAsNaive(cfg, steps);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('the model itself notices a wrong engine (a dropped reading changes the expected events)', () => {
    const cfg = config({ size: 10, unit: 'ms', features: 'sum' });
    const steps: Step[] = [1, 2, 3, 15].map((ts) => ({ reading: { deviceId: 'd', sensor: 'x', value: ts, ts }, arrival: ts }));
    const expected = naiveWindowing(cfg, steps);
    const missingOne = runEngine(new WindowEngine(cfg), [steps[0], steps[2], steps[3]]);
    assert.throws(() => assertEventsClose(missingOne[2], expected[3], 'step'));
  });
});
