/**
 * scripts/forecast-tally.js: how npm start's summary and the forecast e2e test score the sample flows' forecasts
 * against the simulator's truth (issue 16, "In the flows").
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';

const { ForecastTally, readingTime, describeForecasts } = require('../../scripts/forecast-tally.js');

const MIN = 60000;
const T0 = Date.UTC(2024, 5, 5, 6, 0, 0);
const senml = (ts: number) => [{ bn: 'kitchen-1/', bt: ts / 1000, n: 'co2', v: 500 }];

/** One device reading every 5 s from T0 + `from` minutes for `minutes`, its truth from `truthAt(ts)`, forecasts given by `forecasts`. */
function feed(tally: any, from: number, minutes: number, truthAt: (ts: number) => Record<string, unknown>, forecasts: Array<{ sent: number; body: object }> = []) {
  const queue = [...forecasts].sort((a, b) => a.sent - b.sent);
  for (let ts = T0 + from * MIN; ts < T0 + (from + minutes) * MIN; ts += 5000) {
    while (queue.length > 0 && queue[0].sent <= ts) tally.forecast('home', 'occupancy', queue.shift()!.body);
    tally.reading('home', 'kitchen-1', senml(ts));
    tally.truth('home', 'kitchen-1', truthAt(ts));
  }
}

const occupancy = (label: string, end: number, horizon = 30 * MIN) => ({ deviceId: 'kitchen-1', prediction: { label, at: end + horizon, horizon, confidence: 0.9 } });

describe('forecast tally (npm start summary, forecast e2e)', () => {
  it('reads the time of a SenML pack (bt + t, seconds) and of a flat JSON reading (ts, s or ms)', () => {
    assert.equal(readingTime([{ bn: 'a/', bt: 1717567200.5, n: 'x', v: 1 }]), 1717567200500);
    assert.equal(readingTime([{ bn: 'a/', bt: 100, t: 2, n: 'x', v: 1 }]), 102000);
    assert.equal(readingTime({ ts: 1717567200 }), 1717567200000);
    assert.equal(readingTime({ ts: 1717567200000 }), 1717567200000);
    assert.equal(readingTime({ co2: 1 }), undefined);
  });

  it('holds a forecast until the truth reaches `at`, scores it against the truth before `at`, and persistence against the truth before the window\'s end', () => {
    const tally = new ForecastTally();
    // Empty until 06:40, occupied from then on. A window ending at 06:20 (sent 06:20:05) forecasts 06:50.
    const truthAt = (ts: number) => ({ occupancy: ts < T0 + 40 * MIN ? 'empty' : 'occupied' });
    feed(tally, 0, 49, truthAt, [{ sent: T0 + 20 * MIN + 5000, body: occupancy('occupied', T0 + 20 * MIN) }]);
    // Before 06:50 it is held, not scored.
    assert.equal(tally.results()['home/occupancy'].scored, 0);
    assert.equal(tally.pending(), 1);
    feed(tally, 49, 2, truthAt);
    // Right where persistence ("empty", what was known at 06:20) was wrong: skill 1.
    const r = tally.results()['home/occupancy'];
    assert.equal(tally.pending(), 0);
    assert.deepEqual([r.scored, r.compared, r.model, r.persistence, r.skill], [1, 1, 1, 0, 1]);
    assert.equal(describeForecasts(tally.results()), 'occupancy 100.0% (persistence 0.0%) of 1');
  });

  it('scores a regression by MAE and its skill as 1 − MAE / MAE of persistence', () => {
    const tally = new ForecastTally();
    const hr = (ts: number) => ({ heartRate: 60 + (ts - T0) / MIN }); // one beat/min more every minute
    const at = T0 + 40 * MIN;
    for (let ts = T0; ts < T0 + 45 * MIN; ts += 5000) {
      if (ts === T0 + 10 * MIN + 5000) tally.forecast('health', 'heart-rate', { deviceId: 'w', prediction: { value: 88, interval: [80, 95], at, horizon: 30 * MIN } });
      tally.reading('health', 'w', senml(ts));
      tally.truth('health', 'w', hr(ts));
    }
    const r = tally.results()['health/heart-rate'];
    // Truth before 06:40: 60 + 39.9167 = 99.92; persistence (before 06:10): 69.92; model 88.
    assert.equal(r.task, 'regression');
    assert.ok(Math.abs(r.model - 11.9167) < 1e-3, String(r.model));
    assert.ok(Math.abs(r.persistence - 30) < 1e-9, String(r.persistence));
    assert.ok(Math.abs(r.skill - (1 - 11.9167 / 30)) < 1e-4);
    assert.match(describeForecasts(tally.results()), /^heart-rate MAE 11\.9 \(persistence MAE 30\.0\) of 1$/);
  });

  it('a forecast without a truth before its window\'s end is scored but not compared with persistence', () => {
    const tally = new ForecastTally();
    feed(tally, 0, 40, () => ({ occupancy: 'empty' }), [{ sent: T0, body: occupancy('empty', T0 - MIN) }]);
    const r = tally.results()['home/occupancy'];
    assert.deepEqual([r.scored, r.compared, r.score, r.model], [1, 0, 1, null]);
    assert.equal(describeForecasts(tally.results()), 'occupancy 100.0% of 1');
  });

  it('stays bounded: held forecasts, truths and devices have caps, and what they drop is counted', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 40 }), (maxDevices, maxHistory, maxPending, forecasts) => {
        const tally = new ForecastTally({ maxDevices, maxHistory, maxPending });
        for (let d = 0; d < 10; d++) {
          for (let i = 0; i < 20; i++) {
            tally.reading('home', `room-${d}`, senml(T0 + i * 5000));
            tally.truth('home', `room-${d}`, { occupancy: 'empty' });
          }
          for (let i = 0; i < forecasts; i++) tally.forecast('home', 'occupancy', { ...occupancy('empty', T0 + 60 * MIN), deviceId: `room-${d}` });
        }
        assert.ok(tally.devices.size <= maxDevices);
        for (const device of tally.devices.values()) {
          assert.ok(device.history.length <= maxHistory);
          assert.ok(device.pending.length <= maxPending);
        }
        assert.equal(tally.pending() + tally.dropped, 10 * forecasts);
      }),
      { numRuns: 50 },
    );
  });

  it('a device whose clock goes back (a simulator redeployed from its start time) starts over: its held forecasts are dropped and counted', () => {
    const tally = new ForecastTally();
    feed(tally, 0, 10, () => ({ occupancy: 'empty' }), [{ sent: T0 + 5 * MIN, body: occupancy('empty', T0 + 5 * MIN) }]);
    assert.equal(tally.pending(), 1);
    // Back to T0: the forecast for 06:35 must not be scored against the new timeline's truths.
    feed(tally, 0, 40, () => ({ occupancy: 'occupied' }), [{ sent: T0 + MIN, body: occupancy('occupied', T0) }]);
    assert.equal(tally.dropped, 1);
    const r = tally.results()['home/occupancy'];
    assert.deepEqual([r.forecasts, r.scored, r.score], [2, 1, 1]);
  });

  it('ignores what is not a forecast (no at or horizon) and truths of a device with no reading yet', () => {
    const tally = new ForecastTally();
    tally.forecast('home', 'occupancy', { deviceId: 'kitchen-1', prediction: { label: 'empty' } });
    tally.truth('home', 'kitchen-1', { occupancy: 'empty' });
    assert.deepEqual(tally.results(), {});
    assert.equal(tally.pending(), 0);
  });
});
