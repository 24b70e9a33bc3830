/** Corrections (issue #29): state reports, overrides and "that was wrong" against the last automatic command. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ActuatorEngine, labelForChoice, type ActuatorEffect, type FeedbackEvent } from '../../src/core/actuate';
import { configOf, engineFor, onlyCommand, outcomesOf, prediction, sequentialIds, warningsOf } from './actuate-helpers';

const RULES = [
  { label: 'on', command: { state: 'ON' } },
  { label: 'off', command: { state: 'OFF' } },
];
const WINDOW = 15 * 60 * 1000;

function feedbackOf(effects: ActuatorEffect[]): FeedbackEvent[] {
  return effects.flatMap((effect) => (effect.kind === 'feedback' ? [effect.payload] : []));
}

/** An engine that has just sent lamp1 `{ state: ON }` at t = 1000 (command c1). */
function sentOn(props: Record<string, unknown> = {}): ActuatorEngine {
  const engine = engineFor({ rules: RULES, ...props });
  onlyCommand(engine.handle(prediction('lamp1', { label: 'on' }), 1000));
  return engine;
}

describe('actuate: corrections become feedback events (#29)', () => {
  describe('state reports', () => {
    it('ack state: the report that acks is no correction; a contrary one after it is, once, with the rule label', () => {
      const engine = sentOn({ ack: 'state' });
      assert.deepEqual(feedbackOf(engine.handle({ topic: 'zigbee2mqtt/lamp1', payload: { state: 'ON' } }, 1100)), []);
      const events = feedbackOf(engine.handle({ topic: 'zigbee2mqtt/lamp1', payload: { state: 'OFF', linkquality: 80 } }, 60_000));
      assert.deepEqual(events, [{ deviceId: 'lamp1', ts: 60_000, field: 'state', automatic: 'ON', chosen: 'OFF', commandId: 'c1', source: 'state', label: 'off' }]);
      // The same state again, or yet another change of the same field: still one event for that command.
      assert.deepEqual(feedbackOf(engine.handle({ topic: 'zigbee2mqtt/lamp1', payload: { state: 'OFF' } }, 61_000)), []);
      assert.deepEqual(feedbackOf(engine.handle({ topic: 'zigbee2mqtt/lamp1', payload: { state: 'ON' } }, 62_000)), []);
      assert.deepEqual(feedbackOf(engine.handle({ topic: 'zigbee2mqtt/lamp1', payload: { state: 'OFF' } }, 63_000)), []);
      assert.equal(engine.stats.corrections, 1);
    });

    it('our own command looped back (its own topic) is never a correction, nor an ack', () => {
      const engine = sentOn({ ack: 'state' });
      engine.handle({ topic: 'zigbee2mqtt/lamp1', payload: { state: 'ON' } }, 1100);
      assert.deepEqual(feedbackOf(engine.handle({ topic: 'lamp1/set', payload: { state: 'OFF' } }, 2000)), []);
    });

    it('a contrary report before the device showed the commanded state is a stale state, not a correction', () => {
      const engine = sentOn({ ack: 'state' });
      assert.deepEqual(feedbackOf(engine.handle({ topic: 'zigbee2mqtt/lamp1', payload: { state: 'OFF' } }, 1050)), []);
    });

    it('no correction after correctionWindow; correctionWindow 0 turns them off', () => {
      const engine = sentOn({ ack: 'state' });
      engine.handle({ topic: 'zigbee2mqtt/lamp1', payload: { state: 'ON' } }, 1100);
      assert.deepEqual(feedbackOf(engine.handle({ topic: 'zigbee2mqtt/lamp1', payload: { state: 'OFF' } }, 1000 + WINDOW + 1)), []);
      const off = sentOn({ ack: 'state', correctionWindow: 0 });
      off.handle({ topic: 'zigbee2mqtt/lamp1', payload: { state: 'ON' } }, 1100);
      assert.deepEqual(feedbackOf(off.handle({ topic: 'zigbee2mqtt/lamp1', payload: { state: 'OFF' } }, 2000)), []);
    });

    it('ack none: a state message or canonical reading wired in is read for corrections; its ts is the event ts', () => {
      const engine = sentOn({ ack: 'none' });
      // A reading of another sensor, then the commanded state (the device took it), then the person's.
      assert.deepEqual(outcomesOf(engine.handle({ payload: { deviceId: 'lamp1', sensor: 'power', value: 3, ts: 1200 } }, 1200)), []);
      engine.handle({ payload: { deviceId: 'lamp1', sensor: 'state', value: 'ON', ts: 1300 } }, 1300);
      // The reading's own time (epoch ms, as sensor-ingest gives it), not the node's clock: the windows' clock.
      const events = feedbackOf(engine.handle({ payload: { deviceId: 'lamp1', sensor: 'state', value: 'OFF', ts: 1_700_000_005_000 } }, 9000));
      assert.equal(events.length, 1);
      assert.equal(events[0].ts, 1_700_000_005_000);
      // A message about a device with no automatic command is still bad input, as before.
      const refused = outcomesOf(engine.handle({ payload: { deviceId: 'other', sensor: 'state', value: 'OFF' } }, 9000));
      assert.equal(refused[0].status, 'refused');
    });

    it('an ack of the command (payload mode) lets the first contrary report count', () => {
      const engine = engineFor({ rules: RULES, ack: 'payload' });
      const command = onlyCommand(engine.handle(prediction('lamp1', { label: 'on' }), 1000));
      const token = (command.payload as { correlationId: string }).correlationId;
      engine.handle({ topic: 'lamp1/set/reply', payload: { correlationId: token, ok: true } }, 1100);
      assert.equal(feedbackOf(engine.handle({ topic: 'stat/lamp1/RESULT', payload: { state: 'OFF' } }, 2000)).length, 1);
    });

    it('a profile compares fields as the device writes them (Tasmota POWER1 off for POWER ON)', () => {
      const engine = engineFor({ profile: 'tasmota', rules: [{ label: 'on', command: { POWER: 'ON' } }, { label: 'off', command: { POWER: 'OFF' } }] });
      assert.equal(onlyCommand(engine.handle(prediction('lamp1', { label: 'on' }), 1000)).topic, 'cmnd/lamp1/POWER');
      engine.handle({ topic: 'stat/lamp1/RESULT', payload: { POWER1: 'ON' } }, 1100);
      const events = feedbackOf(engine.handle({ topic: 'stat/lamp1/RESULT', payload: { POWER1: 'off' } }, 2000));
      assert.deepEqual(events.map((e) => [e.field, e.chosen, e.label]), [['POWER', 'off', 'off']]);
    });
  });

  describe('msg.override with the chosen values', () => {
    it('yields one event per contradicted field, pauses when until is given, and a later state report adds nothing', () => {
      const engine = engineFor({ rules: [{ label: 'bright', command: { state: 'ON', brightness: 200 } }, { label: 'dim', command: { state: 'ON', brightness: 40 } }], ack: 'state' });
      onlyCommand(engine.handle(prediction('lamp1', { label: 'bright' }), 1000));
      const effects = engine.handle({ override: { deviceId: 'lamp1', until: 1000 + 3_600_000, command: { state: 'ON', brightness: 40, color: 'red' } } }, 2000);
      const events = feedbackOf(effects);
      assert.deepEqual(events, [{ deviceId: 'lamp1', ts: 2000, field: 'brightness', automatic: 200, chosen: 40, commandId: 'c1', source: 'override', label: 'dim' }]);
      // The pause ended the pending command (as an override always did).
      assert.deepEqual(outcomesOf(effects).map((o) => [o.status, o.detail]), [['timeout', 'override']]);
      assert.equal(outcomesOf(engine.handle(prediction('lamp1', { label: 'bright' }), 3000))[0].detail, 'override');
      assert.deepEqual(feedbackOf(engine.handle({ topic: 'zigbee2mqtt/lamp1', payload: { state: 'ON', brightness: 40 } }, 4000)), []);
    });

    it('the old form { deviceId, until } pauses and yields no event; without until it corrects without pausing', () => {
      const engine = sentOn();
      assert.deepEqual(feedbackOf(engine.handle({ override: { deviceId: 'lamp1', until: 999_999 } }, 2000)), []);
      assert.equal(outcomesOf(engine.handle(prediction('lamp1', { label: 'off' }), 3000))[0].detail, 'override');
      const other = sentOn();
      assert.equal(feedbackOf(other.handle({ override: { deviceId: 'lamp1', command: { state: 'OFF' } } }, 2000)).length, 1);
      assert.equal(outcomesOf(other.handle(prediction('lamp1', { label: 'off' }), 3000))[0].status, 'sent');
    });

    it('a bare chosen value corrects a bare command (field "command")', () => {
      const engine = engineFor({ rules: [{ above: 20, command: '{value}' }] });
      onlyCommand(engine.handle(prediction('heater', { value: 22 }), 1000));
      const [event] = feedbackOf(engine.handle({ override: { deviceId: 'heater', command: 19.5 } }, 2000));
      assert.deepEqual([event.field, event.automatic, event.chosen, event.label], ['command', 22, 19.5, undefined]);
    });
  });

  describe('msg.wrong', () => {
    it('with a choice, without one (chosen null), and naming another command (a warning, no event)', () => {
      const engine = sentOn();
      const warned = engine.handle({ wrong: { deviceId: 'lamp1', commandId: 'c9', chosen: { state: 'OFF' } } }, 2000);
      assert.deepEqual(feedbackOf(warned), []);
      assert.equal(warningsOf(warned)[0].code, 'correction-unmatched');
      assert.deepEqual(feedbackOf(engine.handle({ wrong: { deviceId: 'lamp1', commandId: 'c1', chosen: 'OFF' } }, 2000)), [], 'a bare choice does not name an object command field');
      const [event] = feedbackOf(engine.handle({ wrong: { deviceId: 'lamp1', commandId: 'c1', chosen: { state: 'OFF' }, ts: '2024-01-01T00:00:00Z' } }, 2000));
      assert.deepEqual([event.source, event.chosen, event.label, event.ts], ['wrong', 'OFF', 'off', Date.UTC(2024, 0, 1)]);
      const bare = sentOn();
      assert.deepEqual(feedbackOf(bare.handle({ wrong: { deviceId: 'lamp1' } }, 2000)).map((e) => [e.field, e.chosen]), [['state', null]]);
      assert.deepEqual(feedbackOf(bare.handle({ wrong: { deviceId: 'lamp1' } }, 2000)), [], 'once');
    });

    it('bad shapes are refused on output 2 with bad-input; nothing is thrown', () => {
      const engine = sentOn();
      const bad: unknown[] = [
        { wrong: true },
        { wrong: 'lamp1' },
        { wrong: { deviceId: '' } },
        { wrong: { deviceId: 'lamp1', commandId: 5 } },
        { wrong: { deviceId: 'lamp1', chosen: [1, 2] } },
        { wrong: { deviceId: 'lamp1', chosen: { state: 'x'.repeat(5000) } } },
        { wrong: { deviceId: 'lamp1', ts: 'yesterday' } },
        { override: { deviceId: 'lamp1', command: {} } },
        { override: { deviceId: 'lamp1', command: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`f${i}`, i])) } },
        { override: { deviceId: 'lamp1' } },
      ];
      for (const msg of bad) {
        const effects = engine.handle(msg, 2000);
        const [outcome] = effects.filter((e) => e.kind === 'outcome');
        assert.ok(outcome && outcome.kind === 'outcome' && outcome.error?.code === 'bad-input', JSON.stringify(msg).slice(0, 80));
        assert.deepEqual(feedbackOf(effects), []);
      }
    });
  });

  it('survives a restart: the automatic command, what was seen and what was corrected', () => {
    const engine = sentOn({ ack: 'state' });
    engine.handle({ topic: 'zigbee2mqtt/lamp1', payload: { state: 'ON' } }, 1100);
    const snapshot = JSON.parse(JSON.stringify(engine.snapshot()));
    const restored = ActuatorEngine.restore(configOf({ rules: RULES, ack: 'state' }), snapshot, sequentialIds('r'), 2000);
    const [event] = feedbackOf(restored.handle({ topic: 'zigbee2mqtt/lamp1', payload: { state: 'OFF' } }, 3000));
    assert.equal(event.commandId, 'c1');
    const again = ActuatorEngine.restore(configOf({ rules: RULES, ack: 'state' }), JSON.parse(JSON.stringify(restored.snapshot())), sequentialIds('r'), 4000);
    assert.deepEqual(feedbackOf(again.handle({ override: { deviceId: 'lamp1', command: { state: 'OFF' } } }, 5000)), []);
  });

  it('labelForChoice: the one rule that sends the choice, "{label}" templates, none when ambiguous', () => {
    assert.equal(labelForChoice(configOf({ rules: RULES }).rules, 'state', 'OFF'), 'off');
    assert.equal(labelForChoice(configOf({ rules: [{ label: 'a', command: { mode: '{label}' } }] }).rules, 'mode', 'heat'), 'heat');
    const twice = configOf({ rules: [{ label: 'a', command: { state: 'ON' } }, { label: 'b', command: { state: 'ON' } }] }).rules;
    assert.equal(labelForChoice(twice, 'state', 'ON'), undefined);
    assert.equal(labelForChoice(configOf({ rules: RULES }).rules, 'state', 'DIM'), undefined);
  });

  describe('properties', () => {
    type Step =
      | { kind: 'predict'; label: 'on' | 'off'; dt: number }
      | { kind: 'report'; state: 'ON' | 'OFF'; echo: boolean; dt: number }
      | { kind: 'override'; state: 'ON' | 'OFF'; dt: number }
      | { kind: 'wrong'; chosen: boolean; dt: number };
    const dt = fc.integer({ min: 0, max: 10 * 60 * 1000 });
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ kind: fc.constant('predict' as const), label: fc.constantFrom('on' as const, 'off' as const), dt }),
      fc.record({ kind: fc.constant('report' as const), state: fc.constantFrom('ON' as const, 'OFF' as const), echo: fc.boolean(), dt }),
      fc.record({ kind: fc.constant('override' as const), state: fc.constantFrom('ON' as const, 'OFF' as const), dt }),
      fc.record({ kind: fc.constant('wrong' as const), chosen: fc.boolean(), dt }),
    );

    it('exactly one event per corrected command field; never for an echo or an acking report; never after correctionWindow', () => {
      fc.assert(
        fc.property(fc.constantFrom('none', 'state'), fc.array(step, { maxLength: 40 }), (ack, steps) => {
          const engine = engineFor({ rules: RULES, ack, correctionWindow: WINDOW });
          let now = 1000;
          const sent = new Map<string, { ts: number; state: string }>();
          let last: string | undefined;
          const seen = new Set<string>();
          for (const s of steps) {
            now += s.dt;
            let effects: ActuatorEffect[];
            if (s.kind === 'predict') {
              effects = engine.handle(prediction('lamp1', { label: s.label }), now);
              for (const e of effects) if (e.kind === 'command') sent.set((last = e.command.correlationId), { ts: now, state: (e.payload as { state: string }).state });
            } else if (s.kind === 'report') {
              effects = engine.handle({ topic: s.echo ? 'lamp1/set' : 'zigbee2mqtt/lamp1', payload: { state: s.state } }, now);
            } else if (s.kind === 'override') {
              effects = engine.handle({ override: { deviceId: 'lamp1', command: { state: s.state } } }, now);
            } else {
              effects = engine.handle({ wrong: { deviceId: 'lamp1', ...(s.chosen ? { chosen: { state: 'OFF' } } : {}) } }, now);
            }
            for (const event of feedbackOf(effects)) {
              const key = `${event.commandId}/${event.field}`;
              assert.ok(!seen.has(key), `a second event for ${key}`);
              seen.add(key);
              assert.equal(event.commandId, last, 'only the last automatic command is corrected');
              const command = sent.get(event.commandId)!;
              assert.ok(now - command.ts <= WINDOW, 'inside correctionWindow');
              assert.equal(event.automatic, command.state);
              assert.notEqual(event.chosen, command.state, 'a report or choice equal to the command is no correction');
              if (s.kind === 'report') assert.equal(s.echo, false, 'our own echo is no correction');
            }
          }
        }),
        { numRuns: 300 },
      );
    });
  });
});
