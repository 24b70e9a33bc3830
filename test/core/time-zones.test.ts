/**
 * Issue #27.5: `npm test` runs the time-handling core tests again under TZ=America/New_York and TZ=Asia/Tokyo
 * (scripts/test.js, the time-zone matrix). These tests make that rerun able to fail: the first proves the process
 * really runs in the zone TZ names, the others read date-times without a zone, which Date.parse would take as
 * local time.
 */
import { strict as assert } from 'node:assert';
import { parseSimConfig } from '../../src/core/sim';

const START = Date.UTC(2024, 5, 3); // a Monday, 00:00 UTC

describe('time zones: what the TZ matrix relies on', () => {
  it('runs in the zone TZ names (the matrix reruns this file under New York and Tokyo time)', () => {
    const zone = process.env.TZ;
    if (zone === undefined || zone === '') return;
    assert.equal(Intl.DateTimeFormat().resolvedOptions().timeZone, zone === 'UTC' ? 'UTC' : zone);
    // 3 June 2024: New York is on daylight time (UTC−4), Tokyo is UTC+9.
    const expected: Record<string, number> = { 'America/New_York': 240, 'Asia/Tokyo': -540 };
    if (zone in expected) assert.equal(new Date(START).getTimezoneOffset(), expected[zone]);
  });

  it('sensor-sim reads a start time without a zone as UTC, whatever the zone of the machine', () => {
    const read = (startTime: string) => {
      const parsed = parseSimConfig({ startTime });
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
      return parsed.config.startTime;
    };
    assert.equal(read('2024-06-03T08:00'), START + 8 * 3_600_000);
    assert.equal(read('2024-06-03T08:00:30.5'), START + 8 * 3_600_000 + 30_500);
    assert.equal(read('2024-06-03 08:00'), START + 8 * 3_600_000);
    assert.equal(read('2024-06-03'), START);
    // A zone, when given, is honoured.
    assert.equal(read('2024-06-03T08:00+02:00'), START + 6 * 3_600_000);
    assert.equal(read('2024-06-03T08:00Z'), START + 8 * 3_600_000);
  });
});
