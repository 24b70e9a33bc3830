import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { ActuatorEngine } from '../../src/core/actuate';
import {
  commandsOf,
  configOf,
  engineFor,
  onlyCommand,
  onlyOutcome,
  outcomesOf,
  prediction,
  replyTo,
  sequentialIds,
  warningsOf,
} from './actuate-helpers';

const T0 = 1_700_000_000_000;
const fixtures = join(__dirname, '..', 'fixtures', 'actuate');
const onOffRules = [
  { label: 'on', command: { state: 'ON' } },
  { label: 'off', command: { state: 'OFF' } },
];

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as Record<string, unknown>;
}

describe('actuate engine', () => {
  describe('rules', () => {
    it('matches labels as strings, first match wins', () => {
      const engine = engineFor({
        rules: [
          { label: 1, command: { mode: 'one' } },
          { label: 'fire', command: { alarm: true } },
          { label: 'fire', command: { alarm: 'never reached' } },
        ],
      });
      const first = engine.handle(prediction('d1', { label: '1', confidence: 1 }), T0);
      assert.deepEqual(onlyCommand(first).payload, { mode: 'one' });
      assert.deepEqual(onlyOutcome(first), { deviceId: 'd1', correlationId: 'c1', status: 'sent', detail: 'rule 1: label "1"' });
      const numeric = engine.handle(prediction('d2', { label: 1 }), T0);
      assert.deepEqual(onlyCommand(numeric).payload, { mode: 'one' });
      const fire = engine.handle(prediction('d3', { label: 'fire' }), T0);
      assert.deepEqual(onlyCommand(fire).payload, { alarm: true });
      assert.equal(onlyCommand(fire).command.reason, 'rule 2: label "fire"');
    });

    it('hands out commands the flow may change: neither the rule nor a pending command changes with them', () => {
      for (const ack of ['none', 'payload']) {
        const engine = engineFor({ rules: [{ label: 'on', command: { state: 'ON', color: { r: 1 } } }], ack, cooldown: 0, retries: 1, ackTimeout: 1000 });
        const first = onlyCommand(engine.handle(prediction('d1', { label: 'on' }), T0));
        (first.payload as { color: { r: number } }).color.r = 99;
        const second = onlyCommand(engine.handle(prediction('d2', { label: 'on' }), T0));
        assert.deepEqual((second.payload as { color: unknown }).color, { r: 1 }, `ack ${ack}: the rule's command is untouched`);
        if (ack === 'payload') {
          (second.payload as { state: string }).state = 'changed';
          const retried = commandsOf(engine.tick(T0 + 1000)).find((c) => c.command.deviceId === 'd2');
          assert.equal((retried?.payload as { state: string } | undefined)?.state, 'ON', 'the retry sends what was decided');
        }
      }
    });

    it('suppresses a prediction that matches no rule', () => {
      const engine = engineFor({ rules: [{ label: 'fire', command: 'ON' }] });
      const effects = engine.handle(prediction('d1', { label: 'calm' }), T0);
      assert.deepEqual(effects, [
        { kind: 'outcome', payload: { deviceId: 'd1', correlationId: null, status: 'suppressed', detail: 'no-rule' } },
      ]);
    });

    it('latches "above" with hysteresis: on above the threshold, off at or below threshold − hysteresis', () => {
      const engine = engineFor({
        rules: [{ above: 30, command: { fan: 'ON' } }, { command: { fan: 'OFF' } }],
        hysteresis: 2,
      });
      const fanAt = (value: number, t: number) => onlyCommand(engine.handle(prediction('room', { value }), t)).payload;
      assert.deepEqual(fanAt(30, T0), { fan: 'OFF' }, 'not above yet');
      assert.deepEqual(fanAt(30.5, T0 + 1), { fan: 'ON' });
      assert.deepEqual(fanAt(29, T0 + 2), { fan: 'ON' }, 'held by hysteresis');
      const held = onlyCommand(engine.handle(prediction('room', { value: 28.5 }), T0 + 3));
      assert.match(held.command.reason, /held by hysteresis 2/);
      assert.deepEqual(fanAt(28, T0 + 4), { fan: 'OFF' }, 'released at above − hysteresis');
      assert.deepEqual(fanAt(29, T0 + 5), { fan: 'OFF' }, 'stays off inside the band');
    });

    it('latches "below" mirrored: on below the threshold, off at or above threshold + hysteresis', () => {
      const engine = engineFor({ rules: [{ below: 18, command: { heat: 'ON' } }], hysteresis: 1 });
      const statusAt = (value: number) => onlyOutcome(engine.handle(prediction('room', { value }), T0)).status;
      assert.equal(statusAt(18), 'suppressed');
      assert.equal(statusAt(17.9), 'sent');
      assert.equal(statusAt(18.5), 'sent', 'held');
      assert.equal(statusAt(19), 'suppressed', 'released at below + hysteresis');
      assert.equal(statusAt(18.5), 'suppressed');
    });

    it('keeps latches per device and per rule', () => {
      const engine = engineFor({ rules: [{ above: 10, command: 'ON' }], hysteresis: 5 });
      assert.equal(onlyOutcome(engine.handle(prediction('a', { value: 11 }), T0)).status, 'sent');
      assert.equal(onlyOutcome(engine.handle(prediction('b', { value: 8 }), T0)).status, 'suppressed');
      assert.equal(onlyOutcome(engine.handle(prediction('a', { value: 8 }), T0)).status, 'sent');
    });

    it('moves every latch on every prediction, so a later rule never acts on a stale latch', () => {
      const engine = engineFor({
        rules: [
          { above: 30, command: 'COOL' },
          { below: 18, command: 'HEAT' },
          { command: 'IDLE' },
        ],
        hysteresis: 2,
      });
      const at = (value: number) => onlyCommand(engine.handle(prediction('room', { value }), T0)).payload;
      assert.equal(at(10), 'HEAT');
      assert.equal(at(35), 'COOL');
      // 19 is inside the "below" band [18, 20): the latch was released at 35, so this is not heating.
      assert.equal(at(19), 'IDLE');
    });

    it('matches a band when a rule has both above and below, and ANDs label with thresholds', () => {
      const engine = engineFor({
        rules: [
          { label: 'occupied', above: 20, below: 25, command: 'COMFORT' },
          { above: 20, below: 25, command: 'BAND' },
        ],
      });
      const at = (fields: { label?: string; value?: number }) => onlyOutcome(engine.handle(prediction('r', fields), T0));
      assert.equal(at({ label: 'occupied', value: 22 }).detail, 'rule 1: label "occupied", value 22 above 20, value 22 below 25');
      assert.equal(at({ label: 'empty', value: 22 }).detail, 'rule 2: value 22 above 20, value 22 below 25');
      assert.equal(at({ value: 26 }).detail, 'no-rule');
      assert.equal(at({ label: 'occupied' }).detail, 'no-rule', 'a threshold without a value does not match');
    });
  });

  describe('templates', () => {
    it('fills {deviceId}, {label} and {value} deeply, and a field that is exactly "{value}" becomes the number', () => {
      const engine = engineFor({
        rules: [
          {
            above: 0,
            command: { level: '{value}', text: '{deviceId} is {label} at {value}', nested: { list: ['{value}', 'x{label}'] } },
          },
        ],
        topic: 'home/{deviceId}/set',
      });
      const command = onlyCommand(engine.handle(prediction('lamp-1', { label: 'bright', value: 42.5 }), T0));
      assert.equal(command.topic, 'home/lamp-1/set');
      assert.deepEqual(command.payload, {
        level: 42.5,
        text: 'lamp-1 is bright at 42.5',
        nested: { list: [42.5, 'xbright'] },
      });
    });

    it("uses the rule's topic over the node's, and sends string commands as they are", () => {
      const engine = engineFor({
        rules: [
          { label: 'on', command: 'ON', topic: 'cmnd/{deviceId}/POWER' },
          { label: 'level', command: '{value}' },
        ],
      });
      const on = onlyCommand(engine.handle(prediction('plug', { label: 'on' }), T0));
      assert.equal(on.topic, 'cmnd/plug/POWER');
      assert.equal(on.payload, 'ON');
      const level = onlyCommand(engine.handle(prediction('dimmer', { label: 'level', value: 7 }), T0));
      assert.equal(level.topic, 'dimmer/set', 'default node topic');
      assert.equal(level.payload, 7);
    });

    it('sends -0 as 0, as JSON will carry it (so a re-send after a restart is the same command)', () => {
      const engine = engineFor({ rules: [{ label: 'x', command: { level: '{value}' } }] });
      const command = onlyCommand(engine.handle(prediction('d', { label: 'x', value: -0 }), T0));
      assert.ok(Object.is((command.payload as { level: number }).level, 0));
    });

    it('never expands placeholders coming from the data itself', () => {
      const engine = engineFor({ rules: [{ command: { who: '{deviceId}', what: '{label}' } }] });
      const command = onlyCommand(engine.handle(prediction('{label}', { label: '{value}' }), T0));
      assert.deepEqual(command.payload, { who: '{label}', what: '{value}' });
    });

    it('refuses a command needing {value} when the prediction has none', () => {
      const engine = engineFor({ rules: [{ label: 'x', command: { level: '{value}' } }] });
      const effects = engine.handle(prediction('d', { label: 'x' }), T0);
      assert.deepEqual(onlyOutcome(effects), { deviceId: 'd', correlationId: null, status: 'refused', detail: 'no-value' });
      assert.equal(commandsOf(effects).length, 0);
    });

    it('refuses a topic that cannot be published to (a wildcard from the deviceId)', () => {
      const engine = engineFor({ rules: [{ command: 'ON' }] });
      const effects = engine.handle(prediction('a/+', { label: 'x' }), T0);
      assert.equal(onlyOutcome(effects).detail, 'topic');
      assert.equal(commandsOf(effects).length, 0);
    });
  });

  describe('safety', () => {
    it('suppresses predictions below minConfidence (a missing confidence too)', () => {
      const engine = engineFor({ rules: [{ command: 'ON' }], minConfidence: 0.7 });
      assert.equal(onlyOutcome(engine.handle(prediction('d', { label: 'a', confidence: 0.69 }), T0)).detail, 'low-confidence');
      assert.equal(onlyOutcome(engine.handle(prediction('d', { label: 'a' }), T0)).detail, 'low-confidence');
      assert.equal(onlyOutcome(engine.handle(prediction('d', { label: 'a', confidence: NaN }), T0)).detail, 'low-confidence');
      assert.equal(onlyOutcome(engine.handle(prediction('d', { label: 'a', confidence: 0.7 }), T0)).status, 'sent');
    });

    it('keeps new commands to a device at least cooldown apart; other devices are not held', () => {
      const engine = engineFor({ rules: [{ above: 0, command: { level: '{value}' } }], cooldown: 1000 });
      assert.equal(onlyOutcome(engine.handle(prediction('a', { value: 1 }), T0)).status, 'sent');
      assert.equal(onlyOutcome(engine.handle(prediction('a', { value: 2 }), T0 + 999)).detail, 'cooldown');
      assert.equal(onlyOutcome(engine.handle(prediction('b', { value: 2 }), T0 + 999)).status, 'sent');
      assert.equal(onlyOutcome(engine.handle(prediction('a', { value: 3 }), T0 + 1000)).status, 'sent');
      // A clock that steps back never shortens a cooldown.
      assert.equal(onlyOutcome(engine.handle(prediction('a', { value: 4 }), T0 - 5000)).detail, 'cooldown');
    });

    it('does not count retries against the cooldown', () => {
      const engine = engineFor({
        rules: [{ above: 0, command: { level: '{value}' } }],
        cooldown: 1000,
        ack: 'payload',
        ackTimeout: 300,
        retries: 2,
      });
      engine.handle(prediction('a', { value: 1 }), T0);
      assert.equal(onlyCommand(engine.tick(T0 + 300)).retry, 1);
      assert.equal(onlyCommand(engine.tick(T0 + 600)).retry, 2);
      const later = engine.handle(prediction('a', { value: 2 }), T0 + 1000);
      assert.equal(outcomesOf(later).find((o) => o.correlationId === 'c2')?.status, 'sent');
    });

    it('onChangeOnly suppresses the command last sent to the device, and allows it again after a failure', () => {
      const engine = engineFor({ rules: onOffRules, onChangeOnly: true, ack: 'payload', ackTimeout: 100 });
      const first = onlyCommand(engine.handle(prediction('lamp', { label: 'on' }), T0));
      // Same wish while the first is still pending: nothing new to say, nothing superseded.
      assert.equal(onlyOutcome(engine.handle(prediction('lamp', { label: 'on' }), T0 + 1)).detail, 'unchanged');
      assert.equal(onlyOutcome(engine.handle(replyTo(first), T0 + 2)).status, 'acked');
      assert.equal(onlyOutcome(engine.handle(prediction('lamp', { label: 'on' }), T0 + 3)).detail, 'unchanged');
      assert.equal(onlyOutcome(engine.handle(prediction('other', { label: 'on' }), T0 + 3)).status, 'sent');
      const off = onlyCommand(engine.handle(prediction('lamp', { label: 'off' }), T0 + 4));
      assert.equal(onlyOutcome(engine.handle(replyTo(off, false), T0 + 5)).status, 'nacked');
      const again = onlyOutcome(engine.handle(prediction('lamp', { label: 'off' }), T0 + 6));
      assert.equal(again.status, 'sent', 'nacked: the same wish may go out again');
    });

    it('clamps numbers to { min, max } and says so in the detail', () => {
      const engine = engineFor({
        rules: [{ above: -1e308, command: { level: '{value}', pair: ['{value}', 5] } }],
        limits: { min: 0, max: 100 },
      });
      const effects = engine.handle(prediction('d', { value: 1e300 }), T0);
      assert.deepEqual(onlyCommand(effects).payload, { level: 100, pair: [100, 5] });
      assert.equal(
        onlyOutcome(effects).detail,
        'rule 1: value 1e+300 above -1e+308; clamped level 1e+300→100, pair.0 1e+300→100',
      );
      assert.deepEqual(onlyCommand(engine.handle(prediction('e', { value: -3 }), T0)).payload, { level: 0, pair: [0, 5] });
    });

    it('clamps a bare number command too', () => {
      const engine = engineFor({ rules: [{ above: 0, command: '{value}' }], limits: { max: 10 } });
      assert.equal(onlyCommand(engine.handle(prediction('d', { value: 99 }), T0)).payload, 10);
    });

    it('limits per field, by key anywhere, by dotted path, or a whole container', () => {
      const engine = engineFor({
        rules: [
          {
            above: -1000,
            command: {
              brightness: '{value}',
              color: { r: '{value}', g: '{value}' },
              other: { brightness: '{value}' },
              free: '{value}',
            },
          },
        ],
        limits: { brightness: { min: 0, max: 254 }, 'color.r': { max: 10 }, color: { max: 200 } },
      });
      const command = onlyCommand(engine.handle(prediction('d', { value: 500 }), T0));
      assert.deepEqual(command.payload, { brightness: 254, color: { r: 10, g: 200 }, other: { brightness: 254 }, free: 500 });
    });

    it('refuses out-of-limit commands in limitMode "refuse"', () => {
      const engine = engineFor({
        rules: [{ above: 0, command: { level: '{value}' } }],
        limits: { level: { max: 10 } },
        limitMode: 'refuse',
      });
      const effects = engine.handle(prediction('d', { value: 11 }), T0);
      assert.equal(commandsOf(effects).length, 0);
      assert.deepEqual(effects, [
        {
          kind: 'outcome',
          payload: { deviceId: 'd', correlationId: null, status: 'refused', detail: 'limits' },
          error: { code: 'limits', message: 'level = 11 is outside [-∞, 10]' },
        },
      ]);
      assert.equal(onlyOutcome(engine.handle(prediction('d', { value: 10 }), T0)).status, 'sent');
    });

    it('refuses a limited field that does not hold a number', () => {
      const engine = engineFor({ rules: [{ above: 0, command: { level: '{value}%' } }], limits: { level: { max: 10 } } });
      const effects = engine.handle(prediction('d', { value: 50 }), T0);
      assert.equal(onlyOutcome(effects).detail, 'limits');
      assert.equal(commandsOf(effects).length, 0);
    });

    it('refuses a command that fails commandSchema (after clamping, before ack fields are added)', () => {
      const engine = engineFor({
        rules: [{ label: 'set', command: { level: '{value}', mode: '{label}' } }],
        commandSchema: {
          type: 'object',
          additionalProperties: false,
          properties: { level: { type: 'integer' }, mode: { const: 'set' } },
        },
        limits: { level: { max: 5 } },
        ack: 'payload',
      });
      const bad = engine.handle(prediction('d', { label: 'set', value: 2.5 }), T0);
      assert.equal(commandsOf(bad).length, 0);
      assert.equal(onlyOutcome(bad).detail, 'schema');
      const [refusal] = bad;
      assert.ok(refusal.kind === 'outcome');
      assert.match(refusal.error?.message ?? '', /command\/level must be integer/);
      const good = onlyCommand(engine.handle(prediction('d', { label: 'set', value: 99 }), T0));
      const { correlationId, ...rest } = good.payload as Record<string, unknown>;
      assert.deepEqual(rest, { level: 5, mode: 'set', replyTo: 'd/set/reply' });
      assert.equal(typeof correlationId, 'string');
    });

    it('checks commandSchema patterns on a linear-time engine: a label chosen to backtrack is refused at once (issue #14 item 13)', function () {
      // On a backtracking engine `^(a+)+$` against 30 a's and a '!' takes seconds to minutes; RE2 answers in microseconds.
      this.timeout(20000);
      const engine = engineFor({
        rules: [{ above: 0, command: { mode: '{label}' } }],
        commandSchema: { type: 'object', properties: { mode: { type: 'string', pattern: '^(a+)+$' } } },
      });
      const hostile = `${'a'.repeat(30)}!`;
      assert.equal(onlyOutcome(engine.handle(prediction('d', { label: hostile, value: 1 }), T0)).detail, 'schema');
      assert.equal((onlyCommand(engine.handle(prediction('e', { label: 'aaaa', value: 1 }), T0)).payload as Record<string, unknown>).mode, 'aaaa');
    });

    it('checks commandSchema uniqueItems once per item, also on items ajv itself cannot compare (a toString field)', () => {
      const engine = engineFor({
        rules: [{ above: 0, command: { list: [{ toString: 1 }, { toString: 1 }], mode: '{label}' } }],
        commandSchema: { type: 'object', properties: { list: { type: 'array', uniqueItems: true } } },
      });
      assert.equal(onlyOutcome(engine.handle(prediction('d', { label: 'x', value: 1 }), T0)).detail, 'schema');
    });

    it('refuses predictions whose value is NaN, Infinity or not a number', () => {
      const engine = engineFor({ rules: [{ command: { level: '{value}' } }] });
      for (const value of [NaN, Infinity, -Infinity, null, '12']) {
        const effects = engine.handle(prediction('d', { label: 'x', value }), T0);
        assert.equal(commandsOf(effects).length, 0);
        assert.equal(onlyOutcome(effects).status, 'refused');
        assert.equal(onlyOutcome(effects).detail, 'bad-value');
      }
    });

    it('pauses automatic commands for an overridden device until "until"', () => {
      const engine = engineFor({ rules: [{ above: 0, command: { level: '{value}' } }] });
      const override = engine.handle(
        { override: { deviceId: 'd', until: T0 + 1000 }, payload: { deviceId: 'd', prediction: { value: 5 } } },
        T0,
      );
      assert.deepEqual(override, [], 'an override yields no outcome of its own, and its payload is not a prediction');
      assert.equal(onlyOutcome(engine.handle(prediction('d', { value: 5 }), T0 + 999)).detail, 'override');
      assert.equal(onlyOutcome(engine.handle(prediction('other', { value: 5 }), T0 + 999)).status, 'sent');
      assert.equal(onlyOutcome(engine.handle(prediction('d', { value: 5 }), T0 + 1000)).status, 'sent');
    });

    it('ends an override early with until null/0, accepts numeric strings and ISO dates', () => {
      const engine = engineFor({ rules: [{ above: 0, command: 'ON' }] });
      engine.handle({ override: { deviceId: 'd', until: String(T0 + 1000) } }, T0);
      assert.equal(onlyOutcome(engine.handle(prediction('d', { value: 1 }), T0 + 1)).detail, 'override');
      assert.deepEqual(engine.handle({ override: { deviceId: 'd', until: null } }, T0 + 2), []);
      assert.equal(onlyOutcome(engine.handle(prediction('d', { value: 1 }), T0 + 3)).status, 'sent');
      engine.handle({ override: { deviceId: 'e', until: new Date(T0 + 1000).toISOString() } }, T0);
      assert.equal(onlyOutcome(engine.handle(prediction('e', { value: 1 }), T0 + 1)).detail, 'override');
    });

    it('refuses a malformed override as bad input', () => {
      const engine = engineFor({ rules: [{ command: 'ON' }] });
      const effects = engine.handle({ override: { until: T0 } }, T0);
      assert.deepEqual(effects, [
        {
          kind: 'outcome',
          payload: { deviceId: null, correlationId: null, status: 'refused', detail: 'bad-input' },
          error: { code: 'bad-input', message: 'msg.override.deviceId must be a non-empty string' },
        },
      ]);
      assert.equal(onlyOutcome(engine.handle({ override: { deviceId: 'd', until: 'soon' } }, T0)).detail, 'bad-input');
    });
  });

  describe('input', () => {
    it('refuses what is neither a prediction, a reply nor an override, with msg.error', () => {
      const engine = engineFor({ rules: [{ command: 'ON' }] });
      for (const msg of [{ payload: 42 }, { payload: { deviceId: 'd', sensor: 't', value: 1, ts: T0 } }, {}, null, 'text']) {
        const effects = engine.handle(msg, T0);
        assert.equal(effects.length, 1);
        const [effect] = effects;
        assert.ok(effect.kind === 'outcome' && effect.error?.code === 'bad-input', JSON.stringify(effect));
        assert.equal(effect.payload.status, 'refused');
      }
    });

    it('refuses malformed predictions, one outcome each', () => {
      const engine = engineFor({ rules: [{ command: 'ON' }] });
      const cases: Array<[unknown, string | null]> = [
        [{ prediction: { label: 'a' } }, null],
        [{ deviceId: '', prediction: { label: 'a' } }, null],
        [{ deviceId: 'd', prediction: 'hot' }, 'd'],
        [{ deviceId: 'd', prediction: {} }, 'd'],
        [{ deviceId: 'd', prediction: { label: 'a', confidence: 'high' } }, 'd'],
      ];
      for (const [payload, deviceId] of cases) {
        const outcome = onlyOutcome(engine.handle({ payload }, T0));
        assert.deepEqual(outcome, { deviceId, correlationId: null, status: 'refused', detail: 'bad-input' });
      }
      assert.equal(engine.stats.predictions, cases.length);
    });

    it('takes an array of predictions, one outcome each', () => {
      const engine = engineFor({ rules: [{ label: 'a', command: 'ON' }] });
      const payload = [{ deviceId: 'x', prediction: { label: 'a' } }, { deviceId: 'y', prediction: { label: 'b' } }, 7];
      const effects = engine.handle({ payload }, T0);
      assert.deepEqual(
        outcomesOf(effects).map((o) => [o.deviceId, o.status]),
        [
          ['x', 'sent'],
          ['y', 'suppressed'],
          [null, 'refused'],
        ],
      );
    });

    it('reads JSON text and Buffer payloads (an mqtt in without JSON parsing)', () => {
      const engine = engineFor({ rules: [{ label: 'a', command: 'ON' }], ack: 'mqtt5' });
      const text = JSON.stringify({ deviceId: 'x', prediction: { label: 'a' } });
      const command = onlyCommand(engine.handle({ payload: text }, T0));
      const reply = engine.handle({ ...replyTo(command), payload: Buffer.from('{"ok":true}') }, T0);
      assert.equal(onlyOutcome(reply).status, 'acked');
    });

    it('takes messages built in a Function node (objects of another realm)', () => {
      const engine = engineFor({ rules: [{ label: 'a', command: 'ON' }] });
      const msg = runInNewContext('({ payload: { deviceId: "x", prediction: { label: "a", confidence: 1 } } })') as unknown;
      assert.equal(onlyOutcome(engine.handle(msg, T0)).status, 'sent');
    });

    it('warns when its own command comes back in (payload ack)', () => {
      const engine = engineFor({ rules: [{ label: 'a', command: { state: 'ON' } }], ack: 'payload' });
      const command = onlyCommand(engine.handle(prediction('x', { label: 'a' }), T0));
      const effects = engine.handle({ topic: command.topic, payload: command.payload }, T0);
      assert.deepEqual(warningsOf(effects).map((w) => w.code), ['own-command']);
      assert.equal(outcomesOf(effects).length, 0);
      assert.equal(engine.stats.pending, 1);
    });
  });

  describe('ack: none', () => {
    it('sends with a correlation id and expects nothing more', () => {
      const engine = engineFor({ rules: [{ label: 'a', command: { state: 'ON' } }] });
      const effects = engine.handle(prediction('x', { label: 'a' }), T0);
      assert.deepEqual(effects, [
        {
          kind: 'command',
          topic: 'x/set',
          payload: { state: 'ON' },
          command: { deviceId: 'x', correlationId: 'c1', ts: T0, reason: 'rule 1: label "a"' },
        },
        { kind: 'outcome', payload: { deviceId: 'x', correlationId: 'c1', status: 'sent', detail: 'rule 1: label "a"' } },
      ]);
      assert.equal(engine.nextDeadline(), undefined);
      assert.deepEqual(engine.tick(T0 + 1e9), []);
      const reply = engine.handle({ payload: { correlationId: 'c1', ok: true } }, T0);
      assert.deepEqual(warningsOf(reply).map((w) => w.code), ['late-reply']);
    });
  });

  describe('ack: payload', () => {
    const config = {
      rules: [{ label: 'on', command: { state: 'ON' } }],
      ack: 'payload',
      ackTimeout: 1000,
      retries: 2,
      replyTopic: 'replies/{deviceId}',
    };

    it('adds correlationId and replyTo to the command, and acks on the reply', () => {
      const engine = engineFor(config);
      const command = onlyCommand(engine.handle(prediction('lamp', { label: 'on' }), T0));
      const token = (command.payload as Record<string, unknown>).correlationId;
      assert.deepEqual(command.payload, { state: 'ON', correlationId: token, replyTo: 'replies/lamp' });
      assert.equal(command.command.correlationId, 'c1');
      assert.equal(command.responseTopic, undefined);
      assert.equal(engine.nextDeadline(), T0 + 1000);
      const reply = engine.handle({ topic: 'replies/lamp', payload: { correlationId: token, ok: true, detail: 'done' } }, T0 + 10);
      assert.deepEqual(reply, [
        { kind: 'outcome', payload: { deviceId: 'lamp', correlationId: 'c1', status: 'acked', detail: 'done' } },
      ]);
      assert.equal(engine.nextDeadline(), undefined);
      assert.equal(engine.stats.acked, 1);
    });

    it('nacks on ok: false, with the reply detail', () => {
      const engine = engineFor(config);
      const first = replyTo(onlyCommand(engine.handle(prediction('lamp', { label: 'on' }), T0)));
      const nack = engine.handle({ ...first, payload: { ...first.payload, ok: false, detail: { reason: 'jammed' } } }, T0 + 1);
      assert.deepEqual(onlyOutcome(nack), {
        deviceId: 'lamp',
        correlationId: 'c1',
        status: 'nacked',
        detail: '{"reason":"jammed"}',
      });
      const second = replyTo(onlyCommand(engine.handle(prediction('lamp', { label: 'on' }), T0 + 2)));
      assert.equal(onlyOutcome(engine.handle({ ...second, payload: { ...second.payload, ok: 'false' } }, T0 + 3)).detail, 'nack');
    });

    it('retries with the same correlation every ackTimeout, then times out once', () => {
      const engine = engineFor(config);
      const first = onlyCommand(engine.handle(prediction('lamp', { label: 'on' }), T0));
      assert.deepEqual(engine.tick(T0 + 999), []);
      const retry1 = onlyCommand(engine.tick(T0 + 1000));
      assert.equal(retry1.retry, 1);
      assert.deepEqual(retry1.payload, first.payload);
      assert.deepEqual(retry1.command, first.command, 'same correlation, same ts');
      assert.equal(engine.nextDeadline(), T0 + 2000);
      // A late tick: the next attempt waits a whole ackTimeout from the actual re-send.
      const retry2 = onlyCommand(engine.tick(T0 + 2500));
      assert.equal(retry2.retry, 2);
      assert.equal(engine.nextDeadline(), T0 + 3500);
      const timeout = engine.tick(T0 + 3500);
      assert.deepEqual(timeout, [
        { kind: 'outcome', payload: { deviceId: 'lamp', correlationId: 'c1', status: 'timeout', detail: 'no-reply' } },
      ]);
      assert.deepEqual(engine.tick(T0 + 1e9), []);
      assert.deepEqual(engine.stats, {
        predictions: 1,
        sent: 1,
        retried: 2,
        suppressed: 0,
        refused: 0,
        acked: 0,
        nacked: 0,
        timeouts: 1,
        warnings: 0,
        corrections: 0,
        kept: 0,
        pending: 0,
      });
    });

    it('acks a reply to a retried command', () => {
      const engine = engineFor(config);
      engine.handle(prediction('lamp', { label: 'on' }), T0);
      const retry = onlyCommand(engine.tick(T0 + 1000));
      assert.equal(onlyOutcome(engine.handle(replyTo(retry), T0 + 1001)).status, 'acked');
      assert.deepEqual(engine.tick(T0 + 1e9), []);
    });

    it('ignores a late or unknown reply with a warning, and no outcome', () => {
      const engine = engineFor({ ...config, retries: 0 });
      const reply = replyTo(onlyCommand(engine.handle(prediction('lamp', { label: 'on' }), T0)));
      engine.tick(T0 + 1000);
      const late = engine.handle(reply, T0 + 1500);
      assert.deepEqual(late, [
        { kind: 'warn', code: 'late-reply', message: 'ignored a reply for c1: that command already ended (timeout)' },
      ]);
      const unknown = engine.handle({ topic: 'replies/lamp', payload: { correlationId: 'zzz', ok: true } }, T0 + 1500);
      assert.deepEqual(warningsOf(unknown).map((w) => w.message), ['ignored a reply for unknown correlation "zzz"']);
      assert.equal(outcomesOf(unknown).length, 0);
    });

    it('warns about a reply without a boolean ok and keeps waiting', () => {
      const engine = engineFor(config);
      const { topic, payload } = replyTo(onlyCommand(engine.handle(prediction('lamp', { label: 'on' }), T0)));
      const reply = engine.handle({ topic, payload: { correlationId: payload.correlationId, status: 'fine' } }, T0);
      assert.deepEqual(warningsOf(reply).map((w) => w.code), ['bad-reply']);
      assert.equal(engine.stats.pending, 1);
    });

    it('gives up the pending command of a device when a new one supersedes it', () => {
      const engine = engineFor({ ...config, rules: onOffRules });
      const first = onlyCommand(engine.handle(prediction('lamp', { label: 'on' }), T0));
      const effects = engine.handle(prediction('lamp', { label: 'off' }), T0 + 10);
      assert.deepEqual(
        effects.map((e) => (e.kind === 'outcome' ? Object.values(e.payload).slice(1).join(' ') : 'command')),
        ['c1 timeout superseded', 'command', 'c2 sent rule 2: label "off"'],
      );
      assert.equal(engine.stats.pending, 1);
      const lateReply = engine.handle(replyTo(first), T0 + 11);
      assert.deepEqual(warningsOf(lateReply).map((w) => w.code), ['late-reply']);
    });

    it('gives up the oldest pending command past maxPending', () => {
      const engine = engineFor({ ...config, maxPending: 2 });
      engine.handle(prediction('a', { label: 'on' }), T0);
      engine.handle(prediction('b', { label: 'on' }), T0 + 1);
      const effects = engine.handle(prediction('c', { label: 'on' }), T0 + 2);
      assert.deepEqual(outcomesOf(effects), [
        { deviceId: 'a', correlationId: 'c1', status: 'timeout', detail: 'evicted' },
        { deviceId: 'c', correlationId: 'c3', status: 'sent', detail: 'rule 1: label "on"' },
      ]);
      assert.equal(engine.stats.pending, 2);
    });

    it('an override gives up the pending command of the device (retrying would fight the person in charge)', () => {
      const engine = engineFor(config);
      engine.handle(prediction('lamp', { label: 'on' }), T0);
      const effects = engine.handle({ override: { deviceId: 'lamp', until: T0 + 60_000 } }, T0 + 5);
      assert.deepEqual(outcomesOf(effects), [{ deviceId: 'lamp', correlationId: 'c1', status: 'timeout', detail: 'override' }]);
      assert.deepEqual(engine.tick(T0 + 1e9), []);
    });
  });

  describe('ack: mqtt5', () => {
    it('sets responseTopic and correlationData for mqtt out, and acks on a reply carrying correlationData', () => {
      const engine = engineFor({ rules: [{ label: 'on', command: 'ON' }], ack: 'mqtt5', topic: 'home/{deviceId}/set' });
      const command = onlyCommand(engine.handle(prediction('lamp', { label: 'on' }), T0));
      assert.equal(command.payload, 'ON', 'the payload is untouched');
      assert.equal(command.responseTopic, 'home/lamp/set/reply');
      assert.ok(Buffer.isBuffer(command.correlationData));
      const token = command.correlationData.toString('utf8');
      assert.notEqual(token, 'c1', 'the reply token, not the public command id');
      const reply = engine.handle({ topic: 'home/lamp/set/reply', correlationData: Buffer.from(token, 'utf8'), payload: { ok: true } }, T0 + 5);
      assert.deepEqual(onlyOutcome(reply), { deviceId: 'lamp', correlationId: 'c1', status: 'acked', detail: 'ok' });
    });

    it('nacks, and retries with the same correlationData', () => {
      const engine = engineFor({ rules: [{ label: 'on', command: { state: 'ON' } }], ack: 'mqtt5', retries: 1, ackTimeout: 100 });
      const first = onlyCommand(engine.handle(prediction('lamp', { label: 'on' }), T0));
      const retry = onlyCommand(engine.tick(T0 + 100));
      assert.deepEqual(retry.correlationData, first.correlationData);
      assert.equal(retry.responseTopic, 'lamp/set/reply');
      // As a string too (an mqtt in hands correlation data over as a Buffer, a function node may not).
      const nack = engine.handle({ topic: 'lamp/set/reply', correlationData: first.correlationData!.toString(), payload: { ok: false, detail: 'locked' } }, T0 + 110);
      assert.deepEqual(onlyOutcome(nack), { deviceId: 'lamp', correlationId: 'c1', status: 'nacked', detail: 'locked' });
    });

    it('warns about a reply with unknown correlationData', () => {
      const engine = engineFor({ rules: [{ label: 'on', command: 'ON' }], ack: 'mqtt5' });
      const effects = engine.handle({ topic: 'lamp/set/reply', correlationData: Buffer.from('nope'), payload: { ok: true } }, T0);
      assert.deepEqual(warningsOf(effects).map((w) => w.code), ['late-reply']);
      assert.equal(outcomesOf(effects).length, 0);
    });
  });

  describe('ack: state', () => {
    const z2m = {
      rules: [{ label: 'on', command: { state: 'ON', brightness: 200 } }],
      ack: 'state',
      topic: 'zigbee2mqtt/{deviceId}/set',
      ackTimeout: 5000,
    };

    it('acks when a JSON state object (named by topic) shows every field of the command', () => {
      const engine = engineFor(z2m);
      engine.handle(prediction('lamp', { label: 'on' }), T0);
      const report = (state: string) => ({ topic: 'zigbee2mqtt/lamp', payload: { state, brightness: 200, linkquality: 90 } });
      assert.deepEqual(engine.handle(report('OFF'), T0 + 1), []);
      const ack = engine.handle(report('ON'), T0 + 2);
      assert.deepEqual(onlyOutcome(ack), { deviceId: 'lamp', correlationId: 'c1', status: 'acked', detail: 'state' });
    });

    it('acks from canonical readings arriving one field at a time', () => {
      const engine = engineFor(z2m);
      engine.handle(prediction('lamp', { label: 'on' }), T0);
      const reading = (sensor: string, value: unknown) => ({
        topic: `lamp/${sensor}`,
        payload: { deviceId: 'lamp', sensor, value, ts: T0 },
      });
      assert.deepEqual(engine.handle(reading('brightness', '200'), T0 + 1), [], 'numeric text counts as the number');
      assert.deepEqual(engine.handle(reading('temperature', 21), T0 + 1), []);
      assert.equal(onlyOutcome(engine.handle(reading('state', 'ON'), T0 + 2)).status, 'acked');
    });

    it('acks from a state object carrying deviceId, with nested fields compared as subsets', () => {
      const engine = engineFor({ rules: [{ label: 'c', command: { color: { r: 1, g: 2 } } }], ack: 'state' });
      engine.handle(prediction('bulb', { label: 'c' }), T0);
      assert.deepEqual(engine.handle({ payload: { deviceId: 'bulb', color: { r: 1, g: 3, b: 0 } } }, T0), []);
      const ack = engine.handle({ payload: { deviceId: 'bulb', color: { r: 1, g: 2, b: 0 } } }, T0);
      assert.equal(onlyOutcome(ack).status, 'acked');
    });

    it('acks a bare command from a bare state value or a field equal to it (Tasmota)', () => {
      const engine = engineFor({
        rules: [
          { label: 'on', command: 'ON', topic: 'cmnd/{deviceId}/POWER' },
          { label: 'off', command: 'OFF', topic: 'cmnd/{deviceId}/POWER' },
        ],
        ack: 'state',
      });
      engine.handle(prediction('plug', { label: 'on' }), T0);
      assert.equal(onlyOutcome(engine.handle({ topic: 'stat/plug/POWER', payload: 'ON' }, T0 + 1)).status, 'acked');
      engine.handle(prediction('plug', { label: 'off' }), T0 + 2);
      assert.equal(onlyOutcome(engine.handle({ topic: 'stat/plug/RESULT', payload: '{"POWER":"OFF"}' }, T0 + 3)).status, 'acked');
    });

    it('does not take its own command, looped back, for the device state', () => {
      const engine = engineFor(z2m);
      const command = onlyCommand(engine.handle(prediction('lamp', { label: 'on' }), T0));
      assert.deepEqual(engine.handle({ topic: command.topic, payload: command.payload }, T0 + 1), []);
      assert.equal(engine.stats.pending, 1);
    });

    it('quietly ignores state reports nobody waits for, and times out without a matching one', () => {
      const engine = engineFor(z2m);
      assert.deepEqual(engine.handle({ topic: 'zigbee2mqtt/other', payload: { state: 'ON' } }, T0), []);
      engine.handle(prediction('lamp', { label: 'on' }), T0);
      assert.equal(onlyOutcome(engine.tick(T0 + 5000)).status, 'timeout');
    });
  });

  describe('bounds', () => {
    it('refuses a new device when every tracked device still matters, and forgets one that no longer does', () => {
      const engine = engineFor({ rules: [{ label: 'on', command: 'ON' }], maxDevices: 2, cooldown: 1000 });
      engine.handle(prediction('a', { label: 'on' }), T0);
      engine.handle(prediction('b', { label: 'on' }), T0 + 500);
      assert.equal(onlyOutcome(engine.handle(prediction('c', { label: 'on' }), T0 + 600)).detail, 'too-many-devices');
      // At T0 + 1000 a's cooldown is over: a is forgotten to make room for c.
      assert.equal(onlyOutcome(engine.handle(prediction('c', { label: 'on' }), T0 + 1000)).status, 'sent');
      // a comes back with a clock stepped back: held to the cooldown of the forgotten devices.
      assert.equal(onlyOutcome(engine.handle(prediction('a', { label: 'on' }), T0 + 900)).detail, 'too-many-devices');
      assert.equal(onlyOutcome(engine.handle(prediction('a', { label: 'on' }), T0 + 1600)).status, 'sent');
      assert.equal(engine.snapshot().devices.length, 2);
    });

    it('holds a forgotten device to its cooldown even when the clock steps back', () => {
      const engine = engineFor({ rules: [{ label: 'on', command: 'ON' }], maxDevices: 1, cooldown: 1000 });
      assert.equal(onlyOutcome(engine.handle(prediction('a', { label: 'on' }), T0)).status, 'sent');
      // b takes the only slot once a's cooldown is over; b sends nothing, so b may be forgotten any time.
      assert.equal(onlyOutcome(engine.handle(prediction('b', { label: 'off' }), T0 + 1000)).detail, 'no-rule');
      assert.equal(onlyOutcome(engine.handle(prediction('a', { label: 'on' }), T0 + 500)).detail, 'cooldown');
      assert.equal(onlyOutcome(engine.handle(prediction('a', { label: 'on' }), T0 + 1000)).status, 'sent');
    });
  });

  describe('snapshot and restore', () => {
    const config = {
      rules: [{ above: 10, command: { level: '{value}' } }],
      ack: 'payload',
      ackTimeout: 1000,
      retries: 1,
      cooldown: 60_000,
      hysteresis: 5,
    };
    const restart = (engine: ActuatorEngine, changes: Record<string, unknown>, now: number) =>
      ActuatorEngine.restore(configOf({ ...config, ...changes }), engine.snapshot(), sequentialIds('after-'), now);

    it('keeps a pending command across a restart: retried at its deadline with the same correlation', () => {
      const engine = engineFor(config);
      const sent = onlyCommand(engine.handle(prediction('d', { value: 12 }), T0));
      const stored = JSON.parse(JSON.stringify(engine.snapshot())) as unknown;
      const restored = ActuatorEngine.restore(configOf(config), stored, sequentialIds('after-'), T0 + 200);
      assert.equal(restored.nextDeadline(), T0 + 1000);
      assert.deepEqual(restored.tick(T0 + 999), []);
      const retry = onlyCommand(restored.tick(T0 + 1000));
      assert.equal(retry.retry, 1);
      assert.deepEqual(retry.payload, sent.payload);
      assert.deepEqual(retry.command, sent.command);
      assert.equal(onlyOutcome(restored.handle(replyTo(retry), T0 + 1100)).status, 'acked');
    });

    it('times out a pending command whose deadline passed while the node was down', () => {
      const engine = engineFor({ ...config, retries: 0 });
      engine.handle(prediction('d', { value: 12 }), T0);
      const restored = restart(engine, { retries: 0 }, T0 + 50_000);
      assert.equal(restored.nextDeadline(), T0 + 1000);
      assert.deepEqual(outcomesOf(restored.tick(T0 + 50_000)), [
        { deviceId: 'd', correlationId: 'c1', status: 'timeout', detail: 'no-reply' },
      ]);
    });

    it('keeps cooldowns, overrides and latches; caps deadlines a clock step or a shorter ackTimeout left too far out', () => {
      const engine = engineFor(config);
      engine.handle(prediction('d', { value: 12 }), T0);
      engine.handle({ override: { deviceId: 'o', until: T0 + 10_000 } }, T0);
      const restored = restart(engine, { ackTimeout: 100 }, T0 + 10);
      assert.equal(restored.nextDeadline(), T0 + 110);
      assert.equal(onlyOutcome(restored.handle(prediction('d', { value: 13 }), T0 + 59_999)).detail, 'cooldown');
      assert.equal(onlyOutcome(restored.handle(prediction('o', { value: 13 }), T0 + 20)).detail, 'override');
      // The latch of d survived: 8 is inside the hysteresis band, still "above".
      const held = outcomesOf(restored.handle(prediction('d', { value: 8 }), T0 + 60_000));
      assert.deepEqual(held.map((o) => `${o.correlationId} ${o.status}`), ['c1 timeout', 'after-1 sent']);
    });

    it('drops latches when the rules changed, keeps the rest (a pending command of a changed rule ends)', () => {
      const engine = engineFor(config);
      engine.handle(prediction('d', { value: 12 }), T0);
      engine.handle({ override: { deviceId: 'o', until: T0 + 100_000 } }, T0);
      const restored = restart(engine, { rules: [{ above: 11, command: { level: '{value}' } }] }, T0 + 10);
      assert.deepEqual(outcomesOf(restored.tick(T0 + 10)).map((o) => `${o.correlationId} ${o.status} ${o.detail}`), ['c1 timeout rule']);
      assert.equal(onlyOutcome(restored.handle(prediction('d', { value: 8 }), T0 + 60_000)).detail, 'no-rule');
      assert.equal(onlyOutcome(restored.handle(prediction('d', { value: 12 }), T0 + 59_000)).detail, 'cooldown');
      assert.equal(onlyOutcome(restored.handle(prediction('o', { value: 12 }), T0 + 60_000)).detail, 'override');
    });

    it('restores the stored v1 format (fixture), and starts empty from junk', () => {
      const snapshot = fixture('snapshot-v1.json');
      const restored = ActuatorEngine.restore(configOf(config), snapshot, sequentialIds('after-'), T0 + 100);
      assert.equal(restored.stats.pending, 1);
      // Before reply tokens the device was given the public id, and is answered by it on its replyTo.
      const reply = { topic: 'kitchen/set/reply', payload: { correlationId: 'stored-1', ok: true } };
      assert.equal(onlyOutcome(restored.handle(reply, T0 + 200)).status, 'acked');
      assert.equal(onlyOutcome(restored.handle(prediction('kitchen', { value: 20 }), T0 + 300)).detail, 'cooldown');
      // It carries no rule key, and it was written under other rules: it cannot be shown to pass them, so it ends.
      const again = ActuatorEngine.restore(configOf(config), snapshot, sequentialIds('after-'), T0 + 100);
      assert.deepEqual(outcomesOf(again.tick(T0 + 100)).map((o) => `${o.correlationId} ${o.status} ${o.detail}`), ['stored-1 timeout rule']);
      const broken = { format: 'iot-ai/actuator-state@1', devices: 'x', pending: [{}, null] };
      for (const junk of [undefined, null, 42, { format: 'other' }, broken]) {
        const fresh = ActuatorEngine.restore(configOf(config), junk, sequentialIds(), T0);
        assert.equal(fresh.stats.pending, 0);
        assert.equal(fresh.nextDeadline(), undefined);
      }
    });

    it('ends a restored pending command without retrying it when the new config has ack "none"', () => {
      const engine = engineFor(config);
      engine.handle(prediction('d', { value: 12 }), T0);
      const restored = restart(engine, { ack: 'none' }, T0);
      assert.deepEqual(outcomesOf(restored.tick(T0 + 1000)).map((o) => o.status), ['timeout']);
    });
  });
});
