/** Agreement as weak labels (issue #29): actuator-command's keptAfter — commands nobody corrected give `kept` events. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ActuatorEngine, type ActuatorEffect, type FeedbackEvent } from '../../src/core/actuate';
import { configOf, engineFor, onlyCommand, prediction, sequentialIds } from './actuate-helpers';

const RULES = [
  { label: 'on', command: { state: 'ON' } },
  { label: 'off', command: { state: 'OFF' } },
];
const KEPT_AFTER = 30 * 60 * 1000;

function feedbackOf(effects: ActuatorEffect[]): FeedbackEvent[] {
  return effects.flatMap((effect) => (effect.kind === 'feedback' ? [effect.payload] : []));
}

describe('actuate: kept commands as weak agreement (#29)', () => {
  it('a command the device took and nobody corrected is kept once, keptAfter after it was sent, with its own label', () => {
    const engine = engineFor({ rules: RULES, ack: 'state', keptAfter: KEPT_AFTER });
    onlyCommand(engine.handle(prediction('lamp1', { label: 'on' }), 1000));
    engine.handle({ topic: 'zigbee2mqtt/lamp1', payload: { state: 'ON' } }, 1100);
    assert.equal(engine.nextDeadline(), 1000 + KEPT_AFTER);
    assert.deepEqual(feedbackOf(engine.tick(KEPT_AFTER)), []);
    const events = feedbackOf(engine.tick(1000 + KEPT_AFTER));
    assert.deepEqual(events, [{ deviceId: 'lamp1', ts: 1000 + KEPT_AFTER, field: 'state', automatic: 'ON', chosen: 'ON', commandId: 'c1', source: 'kept', since: 1000, label: 'on' }]);
    assert.deepEqual(feedbackOf(engine.tick(10 * KEPT_AFTER)), []);
    assert.equal(engine.stats.kept, 1);
    assert.equal(engine.stats.corrections, 0);
    assert.equal(engine.nextDeadline(), undefined);
  });

  it('off by default; never for a corrected field, a command not taken, or one replaced before keptAfter', () => {
    const off = engineFor({ rules: RULES, ack: 'state' });
    onlyCommand(off.handle(prediction('lamp1', { label: 'on' }), 1000));
    off.handle({ topic: 'zigbee2mqtt/lamp1', payload: { state: 'ON' } }, 1100);
    assert.deepEqual(feedbackOf(off.tick(1000 + KEPT_AFTER)), []);

    const corrected = engineFor({ rules: RULES, ack: 'state', keptAfter: KEPT_AFTER });
    onlyCommand(corrected.handle(prediction('lamp1', { label: 'on' }), 1000));
    corrected.handle({ topic: 'zigbee2mqtt/lamp1', payload: { state: 'ON' } }, 1100);
    assert.equal(feedbackOf(corrected.handle({ topic: 'zigbee2mqtt/lamp1', payload: { state: 'OFF' } }, 5000))[0].source, 'state');
    assert.deepEqual(feedbackOf(corrected.tick(1000 + KEPT_AFTER)), []);

    const untaken = engineFor({ rules: RULES, ack: 'state', keptAfter: KEPT_AFTER, ackTimeout: 1000 });
    onlyCommand(untaken.handle(prediction('lamp1', { label: 'on' }), 1000));
    assert.deepEqual(feedbackOf(untaken.tick(1000 + KEPT_AFTER)), []);

    const replaced = engineFor({ rules: RULES, ack: 'none', keptAfter: KEPT_AFTER });
    onlyCommand(replaced.handle(prediction('lamp1', { label: 'on' }), 1000));
    onlyCommand(replaced.handle(prediction('lamp1', { label: 'off' }), 2000));
    const events = feedbackOf(replaced.tick(2000 + KEPT_AFTER));
    assert.deepEqual(events.map((e) => [e.commandId, e.chosen]), [['c2', 'OFF']]);
  });

  it('stamped in the predictions\' own time (window end) when they carry it: the windows the command stood through', () => {
    const engine = engineFor({ rules: RULES, ack: 'none', keptAfter: 1000, onChangeOnly: true });
    const at = Date.UTC(2024, 0, 8, 18);
    onlyCommand(engine.handle({ payload: { deviceId: 'lamp1', end: at, prediction: { label: 'on' } } }, 5));
    engine.handle({ payload: { deviceId: 'lamp1', end: at + 60_000, prediction: { label: 'on' } } }, 6);
    engine.handle({ payload: { deviceId: 'lamp1', end: at + 120_000, prediction: { label: 'on' } } }, 7);
    const [event] = feedbackOf(engine.tick(1005));
    assert.equal(event.since, at);
    assert.equal(event.ts, at + 120_000);
  });

  it('a due kept event goes out before the input that follows it, and a correction after it is still a correction', () => {
    const engine = engineFor({ rules: RULES, ack: 'state', keptAfter: KEPT_AFTER, correctionWindow: 2 * KEPT_AFTER });
    onlyCommand(engine.handle(prediction('lamp1', { label: 'on' }), 1000));
    engine.handle({ topic: 'zigbee2mqtt/lamp1', payload: { state: 'ON' } }, 1100);
    const events = feedbackOf(engine.handle({ topic: 'zigbee2mqtt/lamp1', payload: { state: 'OFF' } }, 1000 + KEPT_AFTER + 5));
    assert.deepEqual(events.map((e) => e.source), ['kept', 'state']);
  });

  it('restored from a snapshot, a kept event still falls due once', () => {
    const engine = engineFor({ rules: RULES, ack: 'none', keptAfter: KEPT_AFTER });
    onlyCommand(engine.handle(prediction('lamp1', { label: 'on' }), 1000));
    const restored = ActuatorEngine.restore(configOf({ rules: RULES, ack: 'none', keptAfter: KEPT_AFTER }), JSON.parse(JSON.stringify(engine.snapshot())), sequentialIds(), 2000);
    assert.equal(restored.nextDeadline(), 1000 + KEPT_AFTER);
    assert.equal(feedbackOf(restored.tick(1000 + KEPT_AFTER)).length, 1);
    const again = ActuatorEngine.restore(configOf({ rules: RULES, ack: 'none', keptAfter: KEPT_AFTER }), JSON.parse(JSON.stringify(restored.snapshot())), sequentialIds(), 2000);
    assert.deepEqual(feedbackOf(again.tick(5 * KEPT_AFTER)), []);
  });

  it('property: at most one kept event per command and field, never for a corrected field, always chosen = automatic', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ dt: fc.integer({ min: 0, max: 20 * 60_000 }), kind: fc.constantFrom('on', 'off', 'stateOn', 'stateOff', 'tick') }), { maxLength: 60 }),
        (steps) => {
          const engine = engineFor({ rules: RULES, ack: 'state', keptAfter: 10 * 60_000 });
          let now = 0;
          const events: FeedbackEvent[] = [];
          for (const step of steps) {
            now += step.dt;
            const effects =
              step.kind === 'tick'
                ? engine.tick(now)
                : step.kind === 'on' || step.kind === 'off'
                  ? engine.handle(prediction('lamp1', { label: step.kind }), now)
                  : engine.handle({ topic: 'zigbee2mqtt/lamp1', payload: { state: step.kind === 'stateOn' ? 'ON' : 'OFF' } }, now);
            events.push(...feedbackOf(effects));
          }
          const kept = events.filter((e) => e.source === 'kept');
          assert.equal(new Set(kept.map((e) => e.commandId)).size, kept.length);
          for (const e of kept) {
            assert.deepEqual(e.chosen, e.automatic);
            assert.ok(!events.some((c) => c.source !== 'kept' && c.commandId === e.commandId && c.ts <= e.ts));
          }
        },
      ),
    );
  });
});
