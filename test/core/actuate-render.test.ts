import assert from 'node:assert/strict';
import { ActuatorEngine, parseActuatorConfig } from '../../src/core/actuate';
import { TopicCooldowns } from '../../src/core/actuate/topic';
import { commandsOf, configOf, engineFor, onlyCommand, onlyOutcome, prediction, sequentialIds, warningsOf } from './actuate-helpers';

const T0 = 1_700_000_000_000;

function configError(raw: Record<string, unknown>): string {
  const result = parseActuatorConfig(raw);
  assert.equal(result.ok, false, 'expected a config error');
  return result.ok ? '' : result.error;
}

/** The outcome and the command (if any) of one prediction. */
function decide(engine: ActuatorEngine, deviceId: string, fields: Record<string, unknown>, now = T0) {
  const effects = engine.handle(prediction(deviceId, fields), now);
  const commands = commandsOf(effects);
  assert.ok(commands.length <= 1);
  return { outcome: onlyOutcome(effects), command: commands[0], warnings: warningsOf(effects) };
}

describe('actuate rendering: limits, templates and topics', () => {
  describe('limits hold for the value wherever a template puts it (#14 item 1)', () => {
    const stringForms = [
      { command: 'Dimmer {value}', at: (v: string) => `Dimmer ${v}` },
      { command: { brightness: '{value}%' }, at: (v: string) => ({ brightness: `${v}%` }) },
      { command: { cmd: 'set {value}' }, at: (v: string) => ({ cmd: `set ${v}` }) },
    ];

    it('refuses a value out of limits placed inside a string, in limitMode "refuse"', () => {
      for (const { command, at } of stringForms) {
        const engine = engineFor({ rules: [{ above: -1e9, command }], limits: { min: 0, max: 100 }, limitMode: 'refuse' });
        const high = decide(engine, 'd', { value: 150 });
        assert.deepEqual([high.outcome.status, high.outcome.detail], ['refused', 'limits'], JSON.stringify(command));
        assert.equal(high.command, undefined);
        assert.deepEqual(decide(engine, 'e', { value: 50 }).command?.payload, at('50'));
      }
    });

    it('clamps a value placed inside a string before rendering it, and says so', () => {
      for (const { command, at } of stringForms) {
        const engine = engineFor({ rules: [{ above: -1e9, command }], limits: { min: 0, max: 100 } });
        const high = decide(engine, 'd', { value: 150 });
        assert.deepEqual(high.command?.payload, at('100'), JSON.stringify(command));
        assert.match(high.outcome.detail, /clamped \S+ 150→100/);
        assert.deepEqual(decide(engine, 'e', { value: -0.5 }).command?.payload, at('0'));
      }
    });

    it('per-field limits name the field a string sits in; "command" names a text command', () => {
      const engine = engineFor({
        rules: [{ above: -1e9, command: { light: { cmd: 'set {value}' }, note: 'at {value}' } }],
        limits: { light: { max: 10 } },
      });
      assert.deepEqual(decide(engine, 'd', { value: 150 }).command?.payload, { light: { cmd: 'set 10' }, note: 'at 150' });
      const text = engineFor({ rules: [{ above: -1e9, command: 'Dimmer {value}' }], limits: { command: { min: 5, max: 10 } } });
      assert.equal(decide(text, 'd', { value: 150 }).command?.payload, 'Dimmer 10');
      assert.equal(decide(text, 'e', { value: 1 }).command?.payload, 'Dimmer 5');
      const bare = engineFor({ rules: [{ above: -1e9, command: '{value}' }], limits: { command: { max: 10 } } });
      assert.equal(decide(bare, 'd', { value: 150 }).command?.payload, 10);
    });
    it('limits a value written into a topic too, as a field named "topic"', () => {
      const engine = engineFor({ rules: [{ above: -1e9, command: 'ON', topic: 'dim/{deviceId}/{value}' }], limits: { min: 0, max: 100 } });
      assert.equal(decide(engine, 'd', { value: 150 }).command?.topic, 'dim/d/100');
      const perField = engineFor({
        rules: [{ above: -1e9, command: 'ON', topic: 'dim/{deviceId}/{value}' }],
        limits: { topic: { max: 10 } },
        limitMode: 'refuse',
      });
      assert.equal(decide(perField, 'd', { value: 11 }).outcome.detail, 'limits');
    });
  });

  describe('a command is JSON or an explicitly chosen text (#14 item 2)', () => {
    it('reads commandType json (object or JSON text) and text; refuses malformed JSON', () => {
      const rules = (rule: Record<string, unknown>) => configOf({ rules: [{ label: 'a', ...rule }] }).rules[0].command;
      assert.deepEqual(rules({ commandType: 'json', command: { brightness: '{value}' } }), { brightness: '{value}' });
      assert.deepEqual(rules({ commandType: 'json', command: '{"brightness": "{value}"}' }), { brightness: '{value}' });
      assert.equal(rules({ commandType: 'text', command: 'Dimmer {value}' }), 'Dimmer {value}');
      assert.match(
        configError({ rules: [{ label: 'a', commandType: 'json', command: '{"brightness": {value}}' }] }),
        /rules\[0\]\.command is not valid JSON/,
      );
      assert.match(configError({ rules: [{ label: 'a', commandType: 'json', command: '"ON"' }] }), /rules\[0\]\.command .*object/);
      assert.match(configError({ rules: [{ label: 'a', commandType: 'text', command: { state: 'ON' } }] }), /rules\[0\]\.command .*text/);
      assert.match(configError({ rules: [{ label: 'a', commandType: 'yaml', command: 'ON' }] }), /rules\[0\]\.commandType must be one of json, text/);
    });

    it('reads a flow saved before commandType by what its command parses as', () => {
      const rules = (command: unknown) => configOf({ rules: [{ label: 'a', command }] }).rules[0].command;
      assert.deepEqual(rules({ state: 'ON' }), { state: 'ON' });
      assert.deepEqual(rules('{"state": "ON", "level": "{value}"}'), { state: 'ON', level: '{value}' });
      assert.equal(rules('ON'), 'ON');
      assert.equal(rules('{value}'), '{value}');
      // Text that is JSON but for a bare placeholder is read as that JSON: the placeholder holds one value.
      assert.deepEqual(rules('{"brightness": {value}, "who": {deviceId}}'), { brightness: '{value}', who: '{deviceId}' });
    });

    it('keeps the limits on a command saved as text that was meant as JSON: {"brightness": {value}}', () => {
      const rules = [{ above: -1e9, command: '{"brightness": {value}}' }];
      const clamp = engineFor({ rules, limits: { min: 0, max: 100 } });
      assert.deepEqual(decide(clamp, 'd', { value: 150 }).command?.payload, { brightness: 100 });
      const refuse = engineFor({ rules, limits: { brightness: { max: 100 } }, limitMode: 'refuse' });
      assert.equal(decide(refuse, 'd', { value: 150 }).outcome.detail, 'limits');
      assert.deepEqual(decide(refuse, 'e', { value: 7 }).command?.payload, { brightness: 7 });
    });
  });

  describe("rendered values never change a command's structure (#14 item 3)", () => {
    const injection = 'on","power":100,"x":"';

    it('renders a label or deviceId into a JSON-like text command as a string of its structure', () => {
      for (const commandType of [undefined, 'text']) {
        const engine = engineFor({ rules: [{ above: -1e9, commandType, command: '{"state": "{label}", "id": {deviceId}}' }] });
        const { command } = decide(engine, injection, { label: injection, value: 1 });
        assert.deepEqual(command?.payload, { state: injection, id: injection });
      }
    });

    it('refuses a label or deviceId that would change a plain text command (detail "template")', () => {
      const engine = engineFor({
        rules: [{ above: -1e9, commandType: 'text', command: 'Backlog Power {label}; Name {deviceId}', topic: 'cmnd/lamp' }],
      });
      for (const [deviceId, label] of [
        ['lamp', 'on; Dimmer 100'],
        ['lamp', 'on\nDimmer 100'],
        ['lamp"', 'on'],
        ['lamp\uD800', 'on'],
      ]) {
        const { outcome, command } = decide(engine, deviceId, { label, value: 1 });
        assert.deepEqual([outcome.status, outcome.detail], ['refused', 'template'], JSON.stringify([deviceId, label]));
        assert.equal(command, undefined);
      }
      assert.equal(decide(engine, 'lamp-1.a_b', { label: 'ON', value: 1 }).command?.payload, 'Backlog Power ON; Name lamp-1.a_b');
      assert.equal(decide(engine, 'küche2', { label: 'an', value: 1 }).command?.payload, 'Backlog Power an; Name küche2');
    });

    it('never fills placeholders in keys, and keeps every key of a JSON command', () => {
      const engine = engineFor({ rules: [{ above: -1e9, command: { '{label}': 1, state: '{label}' } }] });
      assert.deepEqual(decide(engine, 'd', { label: 'x', value: 1 }).command?.payload, { '{label}': 1, state: 'x' });
    });
  });

  describe('every topic published to is one MQTT allows (#14 item 8, #27 class 1)', () => {
    it('refuses a topic with a character brokers reject, with detail "topic" and a warning, and sends the others', () => {
      const engine = engineFor({ rules: [{ label: 'on', command: 'ON' }] });
      const bad = ['a\u0000', 'a\u0007', 'a\u001f', 'a\u007f', 'a\u0085', 'a\u009f', 'a\uFFFF', 'a\uFFFE', 'a\uFDD0', 'a\u{10FFFF}', 'a\u{1FFFE}', 'a+', 'a#', 'a\uD800', '\uDC00a'];
      for (const deviceId of bad) {
        const { outcome, command, warnings } = decide(engine, deviceId, { label: 'on' });
        assert.deepEqual([outcome.status, outcome.detail], ['refused', 'topic'], JSON.stringify(deviceId));
        assert.equal(command, undefined);
        assert.equal(warnings.length, 1, 'a warning');
      }
      for (const deviceId of ['a', 'a\u00a0', 'a\u00a0b', 'lamp 💡', 'a//b', '/a', 'a/', 'ü\uFFFD', 'a\u{10FFFD}']) {
        const { outcome, command } = decide(engine, deviceId, { label: 'on' });
        assert.equal(outcome.status, 'sent', JSON.stringify(deviceId));
        assert.equal(command?.topic, `${deviceId}/set`);
      }
    });

    it('refuses an empty topic and one over 65,535 bytes of UTF-8 (command or reply topic)', () => {
      const engine = engineFor({ rules: [{ command: 'ON', topic: '{label}' }], ack: 'mqtt5' });
      assert.equal(decide(engine, 'd', { label: '' }).outcome.detail, 'topic');
      // 30,000 UTF-16 units, 90,000 bytes of UTF-8.
      assert.equal(decide(engine, 'd', { label: '€'.repeat(30_000) }).outcome.detail, 'topic');
      // The command topic fits, its reply topic ("{topic}/reply") does not.
      assert.equal(decide(engine, 'd', { label: 'x'.repeat(65_530) }).outcome.detail, 'topic');
      const fits = decide(engine, 'd', { label: '€'.repeat(21_843) });
      assert.equal(fits.outcome.status, 'sent');
      assert.equal(Buffer.byteLength(fits.command!.responseTopic!, 'utf8'), 65_535);
    });

    it('refuses topic templates that could never be published to', () => {
      assert.match(configError({ rules: [{ label: 'a', command: 'ON' }], topic: 'home/\u0007/{deviceId}' }), /topic .*U\+0007/);
      assert.match(configError({ rules: [{ label: 'a', command: 'ON', topic: 'x\uFFFF' }] }), /rules\[0\]\.topic .*U\+FFFF/);
      assert.match(configError({ rules: [{ label: 'a', command: 'ON' }], replyTopic: 'r/\uD800' }), /replyTopic/);
    });

    it('keys cooldown by the topic the device receives, so ids that meet on one topic share it', () => {
      const engine = engineFor({ rules: [{ above: -1e9, command: 'ON', topic: 'cmnd/{deviceId}/{label}' }], cooldown: 1000 });
      assert.equal(decide(engine, 'a/b', { label: 'c', value: 1 }).command?.topic, 'cmnd/a/b/c');
      assert.equal(decide(engine, 'a', { label: 'b/c', value: 1 }, T0 + 1).outcome.detail, 'cooldown');
      assert.equal(decide(engine, 'p', { label: 'q/r', value: 1 }, T0 + 2).command?.topic, 'cmnd/p/q/r', 'another topic');
      assert.equal(decide(engine, 'a/b', { label: 'c', value: 1 }, T0 + 1000).outcome.status, 'sent');
      // Kept across a restart.
      const stored = JSON.parse(JSON.stringify(engine.snapshot())) as unknown;
      const restored = ActuatorEngine.restore(engine.config, stored, sequentialIds('r'), T0 + 500);
      assert.equal(decide(restored, 'p/q', { label: 'r', value: 1 }, T0 + 500).outcome.detail, 'cooldown');
      assert.equal(decide(restored, 'z', { label: 'x', value: 1 }, T0 + 500).outcome.status, 'sent');
      assert.equal(decide(restored, 'p/q', { label: 'r', value: 1 }, T0 + 1002).outcome.status, 'sent');
    });

    it('remembers only topics inside their cooldown, at most maxDevices, and never shortens a cooldown', () => {
      const topics = new TopicCooldowns(1000, 3);
      assert.equal(topics.sent('a', T0), undefined);
      topics.sent('b', T0 + 10);
      topics.sent('c', T0 + 20);
      // Past the bound the oldest is forgotten, and its time handed back to hold unknown topics to.
      assert.equal(topics.sent('d', T0 + 30), T0);
      assert.deepEqual(topics.entries().map((e) => e.topic), ['b', 'c', 'd']);
      // Once their cooldown is over, topics are forgotten as new ones come.
      assert.equal(topics.sent('e', T0 + 1025), T0 + 20);
      assert.deepEqual(topics.entries().map((e) => e.topic), ['d', 'e']);
      const engine = engineFor({ rules: [{ above: -1e9, command: 'ON', topic: 't/{label}' }], cooldown: 1000, maxDevices: 3 });
      decide(engine, 'a', { label: 'x', value: 1 }, T0);
      decide(engine, 'b', { label: 'y', value: 1 }, T0 + 1000);
      assert.deepEqual(engine.snapshot().topics, [{ topic: 't/y', lastSentAt: T0 + 1000 }]);
      // t/x was forgotten; a clock stepped back still finds it held.
      assert.equal(decide(engine, 'c', { label: 'x', value: 1 }, T0 + 500).outcome.detail, 'cooldown');
      assert.equal(new TopicCooldowns(0, 3).sent('a', T0), undefined);
      assert.deepEqual(new TopicCooldowns(0, 3).entries(), []);
    });

    it('two deviceIds with lone surrogates (one topic once encoded) are both refused', () => {
      const engine = engineFor({ rules: [{ label: 'on', command: 'ON' }], cooldown: 60_000 });
      assert.equal(Buffer.from('lamp\uD800').equals(Buffer.from('lamp\uDBFF')), true, 'they meet on one topic');
      for (const deviceId of ['lamp\uD800', 'lamp\uDBFF', 'lamp\uDFFF']) {
        assert.equal(decide(engine, deviceId, { label: 'on' }).outcome.detail, 'topic');
      }
    });
  });
});
