import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createClock } from '../../src/core/util/clock';
import { WindowEngine } from '../../src/core/window';
import { config } from './window-naive';
import { runs } from '../helpers/fuzz';

/** A host whose wall clock can be stepped, with a monotonic clock that cannot. */
function host(start = 1_700_000_000_000) {
  let mono = 5_000;
  let wall = start;
  return {
    wall: () => wall,
    mono: () => mono,
    pass(ms: number) {
      mono += ms;
      wall += ms;
    },
    step(ms: number) {
      wall += ms;
    },
  };
}

describe('createClock (wall clock that never goes back)', () => {
  it('reads the wall clock and advances with the monotonic clock', () => {
    const h = host();
    const clock = createClock(h);
    assert.equal(clock.now(), 1_700_000_000_000);
    h.pass(1234);
    assert.equal(clock.now(), 1_700_000_001_234);
  });

  it('a step back is ignored: the clock keeps its pace (and stays ahead of the wall clock by the step)', () => {
    const h = host();
    const clock = createClock(h);
    h.pass(1000);
    h.step(-3_600_000);
    assert.equal(clock.now(), 1_700_000_001_000);
    h.pass(500);
    assert.equal(clock.now(), 1_700_000_001_500);
  });

  it('a step forward is followed at once, as time that passed', () => {
    const h = host();
    const clock = createClock(h);
    h.pass(1000);
    h.step(3_600_000);
    assert.equal(clock.now(), 1_700_003_601_000);
    h.pass(10);
    assert.equal(clock.now(), 1_700_003_601_010);
  });

  it('starts no earlier than notBefore (a restored state whose arrivals are ahead of the wall clock)', () => {
    const h = host();
    const clock = createClock({ mono: h.mono, wall: h.wall, notBefore: 1_700_000_500_000 });
    assert.equal(clock.now(), 1_700_000_500_000);
    h.pass(20);
    assert.equal(clock.now(), 1_700_000_500_020);
  });

  it('never goes back and never runs slower than the monotonic clock, whatever the wall clock does', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ pass: fc.integer({ min: 0, max: 10_000 }), step: fc.integer({ min: -7_200_000, max: 7_200_000 }) }), { maxLength: 40 }), (moves) => {
        const h = host();
        const clock = createClock(h);
        let previous = clock.now();
        for (const { pass, step } of moves) {
          h.pass(pass);
          if (step % 3 === 0) h.step(step);
          const now = clock.now();
          assert.ok(now >= previous + pass, `${now} advanced less than ${pass} from ${previous}`);
          assert.ok(now >= h.wall(), 'never behind the wall clock');
          previous = now;
        }
      }),
      { numRuns: runs(200, 5000) },
    );
  });

  it("a restored arrival-time engine reports the latest arrival it holds, evicted devices included (the clock's floor)", () => {
    const cfg = config({ size: 10, unit: 's', time: 'arrival', maxKeys: 1, features: 'count' });
    const engine = new WindowEngine(cfg);
    engine.add({ deviceId: 'a', sensor: 'x', value: 1, ts: 0 }, 1_700_000_009_000);
    engine.add({ deviceId: 'b', sensor: 'x', value: 1, ts: 0 }, 1_700_000_005_000); // evicts a
    const restored = WindowEngine.restore(cfg, JSON.parse(JSON.stringify(engine.snapshot())));
    assert.equal(restored.latestArrival(), 1_700_000_009_000);
  });
});
