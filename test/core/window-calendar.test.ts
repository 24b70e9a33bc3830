/**
 * feature-window's `calendar` feature (#16): `calendar.hourSin/hourCos/weekdaySin/weekdayCos` of the window's `end`
 * in the node's `timeZone`, the same through the node's engine and the CLI's windowing.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { localDayAndWeekday, parseWindowConfig, windowRows, WindowEngine, type WindowPayload, type WideRow } from '../../src/core/window';
import { runs } from '../helpers/fuzz';
import { config } from './window-naive';

const HOUR = 3_600_000;

function windowsOf(cfg: ReturnType<typeof config>, readings: Array<{ ts: number; value: number }>, deviceId = 'a'): WindowPayload[] {
  const engine = new WindowEngine(cfg);
  const out: WindowPayload[] = [];
  for (const { ts, value } of readings) {
    for (const event of engine.add({ deviceId, sensor: 'temp', value, ts }, ts)) if (event.kind === 'window') out.push(event.payload);
  }
  for (const event of engine.flush()) if (event.kind === 'window') out.push(event.payload);
  return out;
}

/** The local hour (0..23) and weekday (0 = Monday) by Intl itself: an independent reference. */
function intlHourAndWeekday(epochMs: number, timeZone: string): { hour: number; weekday: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', hour: 'numeric', weekday: 'short' }).formatToParts(new Date(epochMs));
  const hour = Number(parts.find((p) => p.type === 'hour')!.value);
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts.find((p) => p.type === 'weekday')!.value);
  return { hour, weekday };
}

const hourOf = (features: Record<string, number>): number => {
  const angle = Math.atan2(features['calendar.hourSin'], features['calendar.hourCos']);
  return Math.round((((angle / (2 * Math.PI)) * 24 + 24) % 24) * 1000) / 1000;
};
const weekdayOf = (features: Record<string, number>): number => {
  const angle = Math.atan2(features['calendar.weekdaySin'], features['calendar.weekdayCos']);
  return Math.round(((angle / (2 * Math.PI)) * 7 + 7) % 7) % 7;
};

describe('feature-window calendar feature (#16)', () => {
  describe('config', () => {
    it('"calendar" in features turns the calendar on; timeZone defaults to UTC', () => {
      const cfg = config({ size: 60, unit: 's', features: 'mean,calendar' });
      assert.equal(cfg.calendar, true);
      assert.equal(cfg.timeZone, 'UTC');
      assert.deepEqual(cfg.features, ['mean']);
      assert.equal(config({ size: 60, features: 'mean' }).calendar, false);
    });

    it('keeps a valid IANA zone and refuses an unknown one with a message naming timeZone', () => {
      assert.equal(config({ size: 60, features: 'calendar', timeZone: ' Europe/Berlin ' }).timeZone, 'Europe/Berlin');
      const bad = parseWindowConfig({ size: 60, features: 'calendar', timeZone: 'Mars/Olympus' });
      assert.equal(bad.ok, false);
      assert.match(!bad.ok ? bad.error : '', /timeZone must be an IANA time zone name.*Mars\/Olympus/);
    });

    it('"calendar" alone: no sensor features, only the calendar ones', () => {
      const cfg = config({ size: 60, unit: 'min', features: ['calendar'] });
      assert.deepEqual(cfg.features, []);
      const [w] = windowsOf(cfg, [{ ts: 0, value: 1 }]);
      assert.deepEqual(Object.keys(w.features), ['calendar.hourSin', 'calendar.hourCos', 'calendar.weekdaySin', 'calendar.weekdayCos']);
    });
  });

  it('UTC: a window ending Monday 06:00 has hourSin 1, hourCos 0, weekdaySin 0, weekdayCos 1, after the sensor features', () => {
    const monday6 = Date.UTC(2026, 0, 5, 6, 0, 0); // 2026-01-05 is a Monday
    const cfg = config({ window: 'tumbling', size: 60, unit: 'min', features: 'mean,calendar' });
    const [w] = windowsOf(cfg, [{ ts: monday6 - 30 * 60_000, value: 20 }]);
    assert.equal(w.end, monday6);
    assert.deepEqual(Object.keys(w.features), ['temp.mean', 'calendar.hourSin', 'calendar.hourCos', 'calendar.weekdaySin', 'calendar.weekdayCos']);
    assert.ok(Math.abs(w.features['calendar.hourSin'] - 1) < 1e-12);
    assert.ok(Math.abs(w.features['calendar.hourCos']) < 1e-12);
    assert.ok(Math.abs(w.features['calendar.weekdaySin']) < 1e-12);
    assert.ok(Math.abs(w.features['calendar.weekdayCos'] - 1) < 1e-12);
  });

  it('Europe/Berlin across both daylight-saving changes: the local hour of each end, skipping 02:00 in March and repeating it in October', () => {
    const cfg = config({ window: 'tumbling', size: 60, unit: 'min', features: 'calendar', timeZone: 'Europe/Berlin' });
    // 2026-03-29 01:00 UTC: 02:00 CET becomes 03:00 CEST. Hourly windows ending 23:00, 00:00, 01:00, 02:00 UTC.
    const spring = Date.UTC(2026, 2, 28, 22, 30);
    const springWindows = windowsOf(cfg, [0, 1, 2, 3, 4].map((h) => ({ ts: spring + h * HOUR, value: h })));
    assert.deepEqual(springWindows.slice(0, 4).map((w) => hourOf(w.features)), [0, 1, 3, 4]);
    // 2026-10-25 01:00 UTC: 03:00 CEST becomes 02:00 CET; ends at 00:00 and 01:00 UTC are both 02:00 local.
    const autumn = Date.UTC(2026, 9, 24, 22, 30);
    const autumnWindows = windowsOf(cfg, [0, 1, 2, 3, 4].map((h) => ({ ts: autumn + h * HOUR, value: h })));
    assert.deepEqual(autumnWindows.slice(0, 4).map((w) => hourOf(w.features)), [1, 2, 2, 3]);
    // The same ends in UTC read the UTC hour: the zone is what moved them.
    const utcWindows = windowsOf(config({ window: 'tumbling', size: 60, unit: 'min', features: 'calendar' }), [0, 1, 2, 3, 4].map((h) => ({ ts: autumn + h * HOUR, value: h })));
    assert.deepEqual(utcWindows.slice(0, 4).map((w) => hourOf(w.features)), [23, 0, 1, 2]);
  });

  it('the weekday is the local one: Sunday 23:30 UTC is already Monday in Berlin', () => {
    const sundayLate = Date.UTC(2026, 2, 29, 23, 30); // Sunday in UTC, Monday 01:30 CEST
    const reading = [{ ts: sundayLate - 10 * 60_000, value: 1 }];
    const [berlin] = windowsOf(config({ size: 30, unit: 'min', features: 'calendar', timeZone: 'Europe/Berlin' }), reading);
    const [utc] = windowsOf(config({ size: 30, unit: 'min', features: 'calendar' }), reading);
    assert.equal(berlin.end, sundayLate);
    assert.equal(weekdayOf(berlin.features), 0);
    assert.equal(weekdayOf(utc.features), 6);
  });

  it('the CLI windowing (windowRows) gives the engine\'s calendar features to the bit, and names them', () => {
    const base = Date.UTC(2026, 9, 24, 20, 0);
    const readings = Array.from({ length: 50 }, (_, i) => ({ ts: base + i * 7 * 60_000, value: i % 9 }));
    const cfg = config({ window: 'sliding', size: 60, slide: 20, unit: 'min', features: 'mean,calendar', timeZone: 'Europe/Berlin' });
    const fromEngine = windowsOf(cfg, readings);
    const rows: WideRow[] = readings.map(({ ts, value }) => ({ deviceId: 'a', ts, temp: value }));
    const fromRows = windowRows(rows, cfg);
    assert.deepEqual(fromRows.featureNames, ['temp.mean', 'calendar.hourSin', 'calendar.hourCos', 'calendar.weekdaySin', 'calendar.weekdayCos']);
    assert.ok(fromEngine.length > 10);
    assert.deepEqual(fromRows.rows.map((r) => [r.end, r.features]), fromEngine.map((w) => [w.end, w.features]));
  });

  it('property: ends in time order around daylight-saving changes (the offset cache\'s case) read Intl\'s local hour and weekday', () => {
    // Changes: Berlin 2026-03-29 01:00 UTC and 2026-10-25 01:00 UTC; New York 2026-03-08 07:00 UTC; Lord Howe (30 min) 2026-04-04 15:00 UTC.
    const changes: Array<[string, number]> = [
      ['Europe/Berlin', Date.UTC(2026, 2, 29, 1)],
      ['Europe/Berlin', Date.UTC(2026, 9, 25, 1)],
      ['America/New_York', Date.UTC(2026, 2, 8, 7)],
      ['Australia/Lord_Howe', Date.UTC(2026, 3, 4, 15)],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...changes), fc.array(fc.integer({ min: -2 * HOUR, max: 2 * HOUR }), { minLength: 1, maxLength: 40 }), ([timeZone, change], offsets) => {
        for (const end of offsets.map((o) => change + o).sort((a, b) => a - b)) {
          const local = localDayAndWeekday(end, timeZone);
          const reference = intlHourAndWeekday(end, timeZone);
          assert.equal(Math.floor(local.hour), reference.hour, `${timeZone} ${new Date(end).toISOString()}`);
          assert.equal(local.weekday, reference.weekday);
        }
      }),
      { numRuns: runs(200, 2000) },
    );
  });

  it('a change off the quarter hour (Berlin leaving local mean time, 1893-03-31 23:06:32 UTC) is read to the second, in time order', () => {
    const before = localDayAndWeekday(Date.UTC(1893, 2, 31, 23, 1), 'Europe/Berlin'); // 23:54:28 LMT (+0:53:28)
    const after = localDayAndWeekday(Date.UTC(1893, 2, 31, 23, 7), 'Europe/Berlin'); // 00:07:00 CET, a Saturday
    assert.ok(Math.abs(before.hour - (23 + 54 / 60 + 28 / 3600)) < 1e-9, `before ${before.hour}`);
    assert.ok(Math.abs(after.hour - 7 / 60) < 1e-9, `after ${after.hour}`);
    assert.deepEqual([before.weekday, after.weekday], [4, 5]);
  });

  it('never reads the host\'s zone: the same features under TZ=Asia/Tokyo and America/New_York', () => {
    const saved = process.env.TZ;
    const end = Date.UTC(2026, 9, 25, 0, 30);
    const run = () =>
      ['UTC', 'Europe/Berlin'].map((timeZone) => windowsOf(config({ size: 30, unit: 'min', features: 'calendar', timeZone }), [{ ts: end - 60_000, value: 1 }])[0].features);
    try {
      const here = run();
      for (const zone of ['Asia/Tokyo', 'America/New_York']) {
        process.env.TZ = zone;
        assert.deepEqual(run(), here, zone);
      }
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('property: each pair lies on the unit circle, values in [-1, 1], and the hour and weekday are those Intl gives in the zone', () => {
    const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/St_Johns'];
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2060, 0, 1) }), fc.constantFrom(...zones), (end, timeZone) => {
        const cfg = config({ window: 'tumbling', size: 1, unit: 'ms', features: 'calendar', timeZone });
        const [w] = windowsOf(cfg, [{ ts: end - 1, value: 0 }]);
        assert.equal(w.end, end);
        const f = w.features;
        for (const value of Object.values(f)) assert.ok(value >= -1 && value <= 1, `${value} out of [-1, 1]`);
        assert.ok(Math.abs(f['calendar.hourSin'] ** 2 + f['calendar.hourCos'] ** 2 - 1) < 1e-12);
        assert.ok(Math.abs(f['calendar.weekdaySin'] ** 2 + f['calendar.weekdayCos'] ** 2 - 1) < 1e-12);
        const reference = intlHourAndWeekday(end, timeZone);
        const local = localDayAndWeekday(end, timeZone);
        assert.equal(Math.floor(local.hour), reference.hour);
        assert.equal(local.weekday, reference.weekday);
        const apart = Math.abs(hourOf(f) - local.hour);
        assert.ok(Math.min(apart, 24 - apart) < 2e-3, `hourSin/hourCos read ${hourOf(f)}, local hour ${local.hour}`);
      }),
      { numRuns: runs(300, 5000) },
    );
  });
});
