/**
 * Issue #27.6 on the cores: products of settings that the config readers used to accept (docs/reliability.md,
 * "Bounded work per config") are now refused, raised to a bound, or spread over several timer runs.
 */
import { strict as assert } from 'node:assert';
import { ACTUATOR_DEFAULTS, parseActuatorConfig } from '../../src/core/actuate';
import { INGEST_DEFAULTS, parseIngestConfig } from '../../src/core/ingest';
import { parseWindowConfig, WindowEngine, type WindowEvent } from '../../src/core/window';
import { WINDOW_LIMITS } from '../../src/core/window/config';
import { commandsOf, engineFor, outcomesOf, prediction } from './actuate-helpers';

const errorOf = (result: { ok: true } | { ok: false; error: string }) => (result.ok ? '' : result.error);
const rejects = (events: readonly WindowEvent[]) => events.filter((e) => e.kind === 'reject');
const windows = (events: readonly WindowEvent[]) => events.filter((e) => e.kind === 'window');

describe('config bounds (#27.6)', function () {
  describe('feature-window', function () {
    it('refuses size / slide above 1,000 (60 s every 10 ms was accepted: 6,000 windows a reading); accepts 1,000', () => {
      assert.match(errorOf(parseWindowConfig({ window: 'sliding', size: 60_000, slide: 10, unit: 'ms' })), /size \/ slide is 6000: a reading would close that many windows of each device at once, above 1000/);
      assert.match(errorOf(parseWindowConfig({ window: 'sliding', size: 1, slide: 0.0001, unit: 'min' })), /size \/ slide is 10000/);
      assert.equal(errorOf(parseWindowConfig({ window: 'sliding', size: 60_000, slide: 60, unit: 'ms' })), '');
      assert.equal(errorOf(parseWindowConfig({ window: 'tumbling', size: 60_000, slide: 1, unit: 'ms' })), '', 'slide is not read for tumbling windows');
    });

    it('at the edge one reading closes at most 1,000 windows', () => {
      const parsed = parseWindowConfig({ window: 'sliding', size: 1000, slide: 1, unit: 'ms', features: ['mean'] });
      assert.ok(parsed.ok);
      const engine = new WindowEngine(parsed.config);
      engine.add({ deviceId: 'd', sensor: 's', value: 1, ts: 0 }, 0);
      assert.equal(windows(engine.add({ deviceId: 'd', sensor: 's', value: 2, ts: 5000 }, 0)).length, WINDOW_LIMITS.windowsPerReading);
    });

    it('refuses maxKeys above 100,000 and maxReadings above 1,000,000 (both were unbounded)', () => {
      assert.match(errorOf(parseWindowConfig({ maxKeys: 100_001 })), /maxKeys must be at most 100000/);
      assert.match(errorOf(parseWindowConfig({ maxReadings: 1_000_001 })), /maxReadings must be at most 1000000/);
      assert.equal(errorOf(parseWindowConfig({ maxKeys: 100_000, maxReadings: 1_000_000 })), '');
      assert.equal(errorOf(parseWindowConfig({})), '', 'a flow saved without them keeps its defaults');
    });

    it('buffers at most maxBuffered readings over every device and sensor; rejects the rest as overflow, takes more once windows close', () => {
      const parsed = parseWindowConfig({ window: 'tumbling', size: 1000, unit: 'ms', features: ['median'], maxKeys: 100, maxReadings: 1000 });
      assert.ok(parsed.ok);
      const engine = new WindowEngine(parsed.config, { maxBuffered: 1600 });
      let overflow = 0;
      // 40 devices × 4 sensors × 20 readings = 3,200 readings in one open window: twice the budget.
      for (let i = 0; i < 20; i++) {
        for (let d = 0; d < 40; d++) {
          for (let s = 0; s < 4; s++) {
            const events = engine.add({ deviceId: `d${d}`, sensor: `s${s}`, value: i, ts: i }, 0);
            overflow += rejects(events).filter((e) => e.kind === 'reject' && e.code === 'overflow').length;
          }
        }
      }
      const buffered = 3200 - overflow;
      assert.ok(buffered <= 1600, `buffered ${buffered}`);
      assert.ok(buffered >= 1500, `at least 15/16 of the budget is used (${buffered})`);
      assert.equal(engine.stats.overflow, overflow);
      // Time still moves on for a refused reading: it closes d0's window, which frees d0's readings for the next one.
      const closing = engine.add({ deviceId: 'd0', sensor: 's0', value: 1, ts: 2000 }, 0);
      assert.equal(windows(closing).length, 1);
      assert.deepEqual(rejects(closing).map((e) => e.kind === 'reject' && e.code), ['overflow']);
      assert.deepEqual(rejects(engine.add({ deviceId: 'd0', sensor: 's0', value: 1, ts: 2001 }, 0)), []);
    });
  });

  describe('actuator-command', function () {
    it('raises an ackTimeout below 100 ms to 100 ms with a warning (an old flow keeps deploying)', () => {
      const parsed = parseActuatorConfig({ rules: [{ label: 'on', command: { state: 'ON' } }], ack: 'payload', ackTimeout: 1, retries: 10 });
      assert.ok(parsed.ok);
      assert.equal(parsed.config.ackTimeout, ACTUATOR_DEFAULTS.minAckTimeout);
      assert.deepEqual(parsed.warnings, ['ackTimeout 1 ms is below the 100 ms minimum: 100 ms is used']);
      const fine = parseActuatorConfig({ rules: [{ label: 'on', command: { state: 'ON' } }], ackTimeout: 100 });
      assert.ok(fine.ok);
      assert.equal(fine.config.ackTimeout, 100);
      assert.equal(fine.warnings, undefined);
    });

    it('one tick re-sends at most 1,000 commands, the oldest first; the rest are due at once and go in the next ticks', () => {
      const engine = engineFor({ rules: [{ label: 'on', command: { state: 'ON' } }], ack: 'payload', retries: 1, ackTimeout: 100, maxPending: 5000, maxDevices: 5000 });
      const first: string[] = [];
      for (let d = 0; d < 2500; d++) first.push(...commandsOf(engine.handle(prediction(`d${d}`, { label: 'on' }), 0)).map((c) => c.topic));
      assert.equal(first.length, 2500);
      const runs: string[][] = [];
      let now = 100;
      for (let run = 0; run < 5; run++) {
        const deadline = engine.nextDeadline();
        if (deadline === undefined || deadline > now) break;
        runs.push(commandsOf(engine.tick(now)).map((c) => c.topic));
        now += 1;
      }
      assert.deepEqual(runs.map((r) => r.length), [1000, 1000, 500]);
      assert.deepEqual(runs.flat(), first, 'every command re-sent once, in the order sent');
      // Ending them (no reply after the last attempt) is bounded the same way.
      const ends: number[] = [];
      now = 1000;
      for (let run = 0; run < 5 && engine.nextDeadline() !== undefined; run++) ends.push(outcomesOf(engine.tick(now)).length);
      assert.deepEqual(ends, [1000, 1000, 500]);
    });
  });

  describe('sensor-ingest', function () {
    it('refuses maxPayloadBytes above 16 MiB and maxRecords above 100,000 (both were unbounded); accepts the edge', () => {
      const error = (raw: object) => {
        const parsed = parseIngestConfig(raw);
        return 'error' in parsed ? parsed.error : '';
      };
      assert.match(error({ maxPayloadBytes: 256 * 1024 * 1024 }), /maxPayloadBytes must be at most 16777216/);
      assert.match(error({ maxRecords: 10_000_000 }), /maxRecords must be at most 100000/);
      assert.equal(error({ maxPayloadBytes: INGEST_DEFAULTS.maxPayloadBytesLimit, maxRecords: INGEST_DEFAULTS.maxRecordsLimit }), '');
      assert.equal(error({}), '');
    });
  });
});
