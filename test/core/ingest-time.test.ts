/**
 * Time in sensor-ingest (docs/reliability.md, "Ingest: schemas, device ids and time"): ISO 8601 times without an
 * offset are UTC whatever the host's zone, and the arrival clock survives the host clock stepping.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import fc from 'fast-check';
import { Ingestor, normaliseTimestamp, parseIngestConfig } from '../../src/core/ingest';
import { createClock } from '../../src/core/util/clock';
import { runs } from '../helpers/fuzz';

const HOUR = 3_600_000;

/** An ISO 8601 date-time without an offset, with the epoch ms it means read as UTC (fractions cut to the ms). */
const isoWithoutOffset = fc
  .record({
    year: fc.integer({ min: 1970, max: 2200 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 28 }),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    second: fc.option(fc.integer({ min: 0, max: 59 }), { nil: undefined }),
    fraction: fc.option(fc.stringMatching(/^\d{1,9}$/), { nil: undefined }),
    separator: fc.constantFrom('T', ' ', 't'),
  })
  .map(({ year, month, day, hour, minute, second, fraction, separator }) => {
    const two = (n: number) => String(n).padStart(2, '0');
    let text = `${year}-${two(month)}-${two(day)}${separator}${two(hour)}:${two(minute)}`;
    let ms = Date.UTC(year, month - 1, day, hour, minute, second ?? 0);
    if (second !== undefined) {
      text += `:${two(second)}`;
      if (fraction !== undefined) {
        text += `.${fraction}`;
        ms += Number(fraction.padEnd(3, '0').slice(0, 3));
      }
    }
    return { text, ms };
  });

describe('core/ingest: ISO 8601 times are never read in the host\'s zone', function () {
  this.timeout(60_000);

  it('a date-time without an offset is UTC; with an offset, that offset; a date alone is UTC midnight', () => {
    assert.equal(normaliseTimestamp('2026-01-02T03:04:05'), Date.UTC(2026, 0, 2, 3, 4, 5));
    assert.equal(normaliseTimestamp('2026-01-02 03:04'), Date.UTC(2026, 0, 2, 3, 4));
    assert.equal(normaliseTimestamp('2026-01-02T03:04:05.123456'), Date.UTC(2026, 0, 2, 3, 4, 5, 123));
    assert.equal(normaliseTimestamp('2026-01-02T03:04:05+01:00'), Date.UTC(2026, 0, 2, 2, 4, 5));
    assert.equal(normaliseTimestamp('2026-01-02T03:04:05-0230'), Date.UTC(2026, 0, 2, 5, 34, 5));
    assert.equal(normaliseTimestamp('2026-01-02t03:04:05z'), Date.UTC(2026, 0, 2, 3, 4, 5));
    assert.equal(normaliseTimestamp('2026-01-02'), Date.UTC(2026, 0, 2));
    for (const bad of ['0099-01-01T00:00', '2026-02-30T00:00', '2026-13-01', '2026-01-02T24:01', '2026-01-02T03:60', '2026-01-02T03:04:05+24:00', '2026-1-2']) {
      assert.equal(normaliseTimestamp(bad), undefined, bad);
    }
  });

  it('any ISO time without an offset gives the same ts under TZ=America/New_York, Asia/Tokyo and UTC (child processes)', () => {
    const cases = fc.sample(isoWithoutOffset, { numRuns: runs(300, 20_000), seed: 27 });
    const texts = [...cases.map((c) => c.text), '2026-03-08T02:30:00', '2026-11-01T01:30:00'];
    const expected = [...cases.map((c) => c.ms), Date.UTC(2026, 2, 8, 2, 30), Date.UTC(2026, 10, 1, 1, 30)];
    const child = path.join(__dirname, '..', 'helpers', 'tz-timestamps.ts');
    for (const [zone, offsetMinutes] of [['America/New_York', 300], ['Asia/Tokyo', -540], ['UTC', 0]] as const) {
      const run = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), child], {
        input: JSON.stringify(texts),
        env: { ...process.env, TZ: zone },
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(run.status, 0, run.stderr);
      const out = JSON.parse(run.stdout) as { offsetMinutes: number; results: Array<number | null> };
      assert.equal(out.offsetMinutes, offsetMinutes, `the child really ran in ${zone}`);
      assert.deepEqual(out.results, expected, zone);
    }
  });
});

describe('core/util/clock: an arrival clock anchored to the wall clock, counting monotonic time', () => {
  /** A host whose wall clock can be stepped, beside a monotonic clock that only moves forward. */
  function host(start = Date.UTC(2026, 10, 25, 12)) {
    const h = { wall: start, mono: 1000, advance(ms: number) { h.wall += ms; h.mono += ms; }, step(ms: number) { h.wall += ms; } };
    return h;
  }

  it('tracks the wall clock while nothing steps', () => {
    const h = host();
    const clock = createClock({ wall: () => h.wall, mono: () => h.mono });
    assert.equal(clock.now(), h.wall);
    h.advance(1234.5);
    assert.equal(clock.now(), Math.floor(h.wall));
  });

  it('a step back is not followed: time keeps counting from where it was', () => {
    const h = host();
    const clock = createClock({ wall: () => h.wall, mono: () => h.mono });
    const before = clock.now();
    h.step(-HOUR);
    h.advance(5000);
    assert.equal(clock.now(), before + 5000);
  });

  it('a step forward is followed at once (a host that booted with a stale clock and then met NTP)', () => {
    const h = host();
    const clock = createClock({ wall: () => h.wall, mono: () => h.mono });
    clock.now();
    h.step(3 * 24 * HOUR);
    assert.equal(clock.now(), h.wall);
    h.advance(10);
    assert.equal(clock.now(), h.wall);
  });

  it('under any steps: never goes back, never stands still while time passes, never behind the wall clock', () => {
    const op = fc.oneof(
      fc.record({ advance: fc.integer({ min: 0, max: 10 * HOUR }) }),
      fc.record({ advance: fc.double({ min: 0, max: 5, noNaN: true }) }),
      fc.record({ step: fc.integer({ min: -48 * HOUR, max: 48 * HOUR }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const h = host();
        const clock = createClock({ wall: () => h.wall, mono: () => h.mono });
        let last = clock.now();
        let lastMono = h.mono;
        for (const o of ops) {
          if ('step' in o) h.step(o.step);
          else h.advance(o.advance);
          const now = clock.now();
          assert.ok(Number.isInteger(now));
          assert.ok(now >= last, 'never goes back');
          assert.ok(now >= Math.floor(h.wall), 'never behind the wall clock');
          assert.ok(now - last >= Math.floor(h.mono - lastMono) - 1, 'counts at least the time that passed');
          last = now;
          lastMono = h.mono;
        }
      }),
      { numRuns: runs(500, 20_000) },
    );
  });

  it('the real clock (Date.now and performance.now) moves with the wall clock', async () => {
    const clock = createClock();
    const a = clock.now();
    assert.ok(Math.abs(a - Date.now()) < 1000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(clock.now() >= a + 15);
  });

  it('ingest with the stepped clock: a step back never makes device-timed readings future, arrival stamps never go back', () => {
    const parsed = parseIngestConfig({ maxFutureMs: 60_000 });
    assert.ok('config' in parsed);
    const ingestor = new Ingestor(parsed.config);
    const h = host();
    const clock = createClock({ wall: () => h.wall, mono: () => h.mono });
    const first = ingestor.ingest({ deviceId: 'd1', t: 1 }, undefined, clock.now()).readings[0].ts;
    const trueTime = h.wall;
    h.step(-HOUR);
    h.advance(1000);
    const stamped = ingestor.ingest({ deviceId: 'd1', t: 2 }, undefined, clock.now());
    assert.deepEqual(stamped.rejects, []);
    assert.equal(stamped.readings[0].ts, first + 1000);
    const timed = ingestor.ingest({ deviceId: 'd2', ts: trueTime + 1000, t: 3 }, undefined, clock.now());
    assert.deepEqual(timed.rejects, [], 'the device\'s own (right) time is not in the future');
  });
});
