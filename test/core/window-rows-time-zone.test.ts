/**
 * `iot-ai train --window` / `iot-ai window`: a CSV `ts` written as a date-time without an offset is UTC, as
 * sensor-ingest reads it, whatever the host's zone. scripts/test.js runs this file under TZ=America/New_York and
 * Asia/Tokyo too; here the zone is also switched in-process, so a local-time reading fails in every run.
 */
import assert from 'node:assert/strict';
import { windowRows, type WideRow } from '../../src/core/window';
import { config } from './window-naive';

describe('windowRows: date-times without an offset are UTC (#27 time zones)', () => {
  const saved = process.env.TZ;
  for (const zone of ['America/New_York', 'Asia/Tokyo', undefined]) {
    describe(`under TZ=${zone ?? '(the run\'s own)'}`, () => {
      before(() => {
        if (zone !== undefined) process.env.TZ = zone;
      });
      after(() => {
        if (saved === undefined) delete process.env.TZ;
        else process.env.TZ = saved;
      });

      it('places rows by UTC: "2026-01-15T12:00:00" is 12:00 UTC, like "…Z" and epoch ms', () => {
        const noon = Date.UTC(2026, 0, 15, 12, 0, 0);
        const rows: WideRow[] = [
          { deviceId: 'a', ts: '2026-01-15T12:00:00', temp: 20 },
          { deviceId: 'a', ts: '2026-01-15 12:00:30.5', temp: 22 },
          { deviceId: 'b', ts: '2026-01-15T12:00:10Z', temp: 30 },
          { deviceId: 'b', ts: String(noon + 20_000), temp: 32 },
        ];
        const result = windowRows(rows, config({ window: 'tumbling', size: 60, unit: 's', features: 'mean,count' }));
        assert.deepEqual(
          result.rows.map((r) => [r.deviceId, r.start, r.end, r.features['temp.count']]),
          [
            ['a', noon, noon + 60_000, 2],
            ['b', noon, noon + 60_000, 2],
          ],
        );
      });

      it('a date alone is UTC midnight; a text that is no ISO 8601 time is a type reject, not a guess', () => {
        const midnight = Date.UTC(2026, 6, 1);
        const result = windowRows(
          [
            { deviceId: 'a', ts: '2026-07-01', temp: 1 },
            { deviceId: 'a', ts: 'July 1st', temp: 2 },
          ],
          config({ window: 'tumbling', size: 1, unit: 'min', features: 'count' }),
        );
        assert.deepEqual(result.rows.map((r) => r.start), [midnight]);
        assert.equal(result.rejected.type, 1);
      });
    });
  }
});
