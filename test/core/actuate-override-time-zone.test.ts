/**
 * msg.override.until written as a date-time without an offset is UTC, as sensor-ingest reads times, whatever the
 * host's zone. scripts/test.js runs this file under TZ=America/New_York and Asia/Tokyo too; here the zone is also
 * switched in-process, so a local-time reading fails in every run.
 */
import assert from 'node:assert/strict';
import { engineFor, onlyOutcome, prediction } from './actuate-helpers';

describe('actuator override until: date-times without an offset are UTC (#27 time zones)', () => {
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

      it('"2026-01-15T12:00:00" ends the override at 12:00 UTC, as "…Z" does', () => {
        const noon = Date.UTC(2026, 0, 15, 12, 0, 0);
        for (const until of ['2026-01-15T12:00:00', '2026-01-15 12:00', '2026-01-15T12:00:00Z', '2026-01-15T13:00:00+01:00']) {
          const engine = engineFor({ rules: [{ above: 0, command: 'ON' }] });
          assert.deepEqual(engine.handle({ override: { deviceId: 'd', until } }, noon - 60_000), [], until);
          assert.equal(onlyOutcome(engine.handle(prediction('d', { value: 1 }), noon - 1)).detail, 'override', until);
          assert.equal(onlyOutcome(engine.handle(prediction('d', { value: 1 }), noon)).status, 'sent', until);
        }
      });

      it('a text that is no ISO 8601 time is bad input, not a guess in the host zone', () => {
        const engine = engineFor({ rules: [{ above: 0, command: 'ON' }] });
        assert.equal(onlyOutcome(engine.handle({ override: { deviceId: 'd', until: 'Jan 15 2026 12:00' } }, 0)).detail, 'bad-input');
      });
    });
  }
});
