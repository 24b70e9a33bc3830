/**
 * Issue #15 (actuator side): device profiles. Every profile's command is acknowledged by the device's real echo
 * or reply, quoted from the ecosystem's own docs or source (test/fixtures/actuate/profiles, each message with its
 * source), and never by a different field, relay or device.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { ActuatorEngine, parseActuatorConfig, type CommandEffect, type JsonValue } from '../../src/core/actuate';
import { runs } from '../helpers/fuzz';
import { commandsOf, configOf, engineFor, onlyCommand, onlyOutcome, outcomesOf, prediction, sequentialIds, warningsOf } from './actuate-helpers';

const T0 = 1_700_000_000_000;
const FIXTURES = path.join(__dirname, '../fixtures/actuate/profiles');

interface Message {
  topic: string;
  payload: JsonValue;
  source: string;
}
interface Scenario {
  name: string;
  deviceId: string;
  config?: Record<string, unknown>;
  rule: Record<string, unknown>;
  command?: string;
  device: Array<string | { message: string; token: boolean }>;
  expect: 'acked' | 'nacked' | 'pending';
  detail?: string;
}
interface Fixture {
  profile: string;
  messages: Record<string, Message>;
  scenarios: Scenario[];
}

export function loadProfileFixtures(): Fixture[] {
  return readdirSync(FIXTURES)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as Fixture);
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** The reply token a command carries, where each ecosystem carries its request id. */
export function tokenOf(profile: string, command: { payload: unknown }): string | undefined {
  const payload = command.payload as Record<string, unknown>;
  if (profile === 'shelly') return payload.id as string;
  if (profile === 'lwm2m') return payload.reqID as string;
  if (profile === 'ttn') {
    const ids = (payload.downlinks as Array<{ correlation_ids: string[] }>)[0].correlation_ids;
    return ids.find((id) => id.startsWith('iot-ai:'))?.slice('iot-ai:'.length);
  }
  return undefined;
}

/** A quoted device message, answering the command with `token` the way that ecosystem echoes a request id. */
export function withToken(profile: string, payload: JsonValue, token: string): JsonValue {
  const copy = clone(payload) as Record<string, unknown>;
  if (profile === 'shelly') copy.id = token;
  if (profile === 'lwm2m') {
    // EMQX 4 echoes reqID, EMQX 5 requestID and cacheID: the token goes where the quoted response has its id.
    for (const key of ['reqID', 'requestID', 'cacheID']) if (key in copy) copy[key] = token;
  }
  if (profile === 'ttn') {
    for (const key of ['downlink_ack', 'downlink_nack']) {
      const event = copy[key] as { correlation_ids: string[] } | undefined;
      if (event) event.correlation_ids.push(`iot-ai:${token}`);
    }
    const failed = copy.downlink_failed as { downlink: { correlation_ids: string[] } } | undefined;
    if (failed) failed.downlink.correlation_ids.push(`iot-ai:${token}`);
  }
  return copy as JsonValue;
}

/** The quoted command, with the token written where the ecosystem carries it. */
function expectedCommand(profile: string, quoted: JsonValue, token: string | undefined): JsonValue {
  if (token === undefined) return quoted;
  if (profile === 'lwm2m') {
    // The command carries the token under both gateways' names (reqID for EMQX 4, requestID for EMQX 5).
    const { reqID: _r, requestID: _q, cacheID: _c, ...rest } = clone(quoted) as Record<string, unknown>;
    return { ...rest, reqID: token, requestID: token } as JsonValue;
  }
  if (profile === 'ttn') {
    const copy = clone(quoted) as { downlinks: Array<Record<string, unknown>> };
    for (const downlink of copy.downlinks) downlink.correlation_ids = [`iot-ai:${token}`];
    return copy as unknown as JsonValue;
  }
  return withToken(profile, quoted, token);
}

describe('actuate profiles: each ecosystem acks by its own echo or reply (issue #15)', () => {
  const fixtures = loadProfileFixtures();

  it('every profile but generic has a fixture with at least three quoted messages, each with its source', () => {
    assert.deepEqual(fixtures.map((f) => f.profile).sort(), ['esphome', 'homeassistant', 'lwm2m', 'shelly', 'tasmota', 'ttn', 'zigbee2mqtt']);
    for (const fixture of fixtures) {
      const messages = Object.entries(fixture.messages);
      assert.ok(messages.length >= 3, `${fixture.profile}: ${messages.length} messages`);
      for (const [name, message] of messages) assert.match(message.source, /https?:\/\//, `${fixture.profile}/${name} has no source`);
      assert.ok(fixture.scenarios.some((s) => s.expect === 'acked'));
      assert.ok(fixture.scenarios.some((s) => s.expect === 'pending'), `${fixture.profile} has no negative case`);
    }
  });

  for (const fixture of fixtures) {
    describe(fixture.profile, () => {
      for (const scenario of fixture.scenarios) {
        it(scenario.name, () => {
          const engine = new ActuatorEngine(
            configOf({ profile: fixture.profile, rules: [scenario.rule], ackTimeout: 60000, ...scenario.config }),
            sequentialIds(),
          );
          const label = scenario.rule.label;
          const effects = engine.handle(prediction(scenario.deviceId, { label }), T0);
          const command = onlyCommand(effects);
          assert.equal(onlyOutcome(effects).status, 'sent');
          const token = tokenOf(fixture.profile, command);
          if (scenario.command) {
            const quoted = fixture.messages[scenario.command];
            assert.equal(command.topic, quoted.topic);
            assert.deepEqual(command.payload, expectedCommand(fixture.profile, quoted.payload, token));
          }
          const outcomes = [];
          for (const step of scenario.device) {
            const name = typeof step === 'string' ? step : step.message;
            const message = fixture.messages[name];
            assert.ok(message, `no message ${name}`);
            const payload = typeof step !== 'string' && step.token ? withToken(fixture.profile, message.payload, token!) : message.payload;
            // As an `mqtt in` node delivers it: a JSON object parsed, bare text as a string.
            const effectsOfReply = engine.handle({ topic: message.topic, payload: clone(payload) }, T0 + 10);
            assert.deepEqual(commandsOf(effectsOfReply), []);
            outcomes.push(...outcomesOf(effectsOfReply));
          }
          if (scenario.expect === 'pending') {
            assert.deepEqual(outcomes, [], `acked or nacked by ${JSON.stringify(scenario.device)}`);
            assert.equal(engine.stats.pending, 1);
          } else {
            assert.equal(outcomes.length, 1, JSON.stringify(outcomes));
            assert.equal(outcomes[0].status, scenario.expect);
            assert.equal(outcomes[0].correlationId, 'c1');
            if (scenario.detail) assert.equal(outcomes[0].detail, scenario.detail);
          }
        });
      }
    });
  }
});

describe('actuate profiles: what a profile fills in, and what the user set wins', () => {
  it('a profile fills topic, ack and reply topic left blank or at the generic default', () => {
    const blank = configOf({ profile: 'tasmota', rules: [{ label: 'on', command: 'ON' }] });
    assert.equal(blank.topic, 'cmnd/{deviceId}/POWER');
    assert.equal(blank.ack, 'state');
    const editorDefaults = configOf({ profile: 'zigbee2mqtt', topic: '{deviceId}/set', replyTopic: '{topic}/reply', ack: '', rules: [{ label: 'on', command: { state: 'ON' } }] });
    assert.equal(editorDefaults.topic, 'zigbee2mqtt/{deviceId}/set');
    assert.equal(editorDefaults.ack, 'state');
    const shelly = configOf({ profile: 'shelly', rules: [{ label: 'on', command: { method: 'Switch.Set', params: { id: 0, on: true } } }] });
    assert.equal(shelly.topic, '{deviceId}/rpc');
    assert.equal(shelly.replyTopic, 'iot-ai/{deviceId}/rpc');
    assert.equal(shelly.ack, 'payload');
  });

  it('what the user set wins over the profile', () => {
    const config = configOf({ profile: 'tasmota', topic: 'cmnd/{deviceId}/Dimmer', ack: 'none', rules: [{ above: 1, command: '{value}' }] });
    assert.equal(config.topic, 'cmnd/{deviceId}/Dimmer');
    assert.equal(config.ack, 'none');
  });

  it('a flow saved without profile behaves as before (generic)', () => {
    const config = configOf({ rules: [{ label: 'on', command: { state: 'ON' } }] });
    assert.equal(config.profile.name, 'generic');
    assert.equal(config.topic, '{deviceId}/set');
    assert.equal(config.ack, 'none');
  });

  it('refuses an unknown profile, a Shelly reply topic without /rpc and a TTN command without downlinks', () => {
    const bad = [
      { profile: 'zwave', rules: [{ label: 'on', command: 'ON' }] },
      { profile: 'shelly', replyTopic: 'replies/{deviceId}', rules: [{ label: 'on', command: { method: 'Switch.Set' } }] },
      { profile: 'ttn', rules: [{ label: 'on', command: { f_port: 1, frm_payload: 'AQ==' } }] },
      { profile: 'tasmota', topic: 'cmnd/{correlationId}/POWER', rules: [{ label: 'on', command: 'ON' }] },
    ];
    for (const raw of bad) assert.equal(parseActuatorConfig(raw).ok, false, JSON.stringify(raw));
  });

  it('TTN and LwM2M: a command topic that does not fit the convention is refused with detail topic', () => {
    for (const [profile, command] of [
      ['ttn', { downlinks: [{ f_port: 1, frm_payload: 'AQ==' }] }],
      ['lwm2m', { msgType: 'write', data: { path: '/3311/0/5850', type: 'Boolean', value: true } }],
    ] as const) {
      const engine = engineFor({ profile, topic: 'devices/{deviceId}/set', rules: [{ label: 'on', command }] });
      const outcome = onlyOutcome(engine.handle(prediction('dev1', { label: 'on' }), T0));
      assert.equal(outcome.status, 'refused');
      assert.equal(outcome.detail, 'topic');
    }
  });

  it('Shelly: the command carries src = the reply topic without /rpc, and id = a token that is not the public id', () => {
    const engine = engineFor({ profile: 'shelly', rules: [{ label: 'on', command: { method: 'Switch.Set', params: { id: 0, on: true } } }] });
    const effects = engine.handle(prediction('shellyplus1-abc', { label: 'on' }), T0);
    const command = onlyCommand(effects);
    const payload = command.payload as Record<string, unknown>;
    assert.equal(command.topic, 'shellyplus1-abc/rpc');
    assert.equal(payload.src, 'iot-ai/shellyplus1-abc');
    assert.match(String(payload.id), /^[A-Za-z0-9_-]{22}$/);
    assert.notEqual(payload.id, onlyOutcome(effects).correlationId);
    // Knowing the outcome's id is not enough to ack.
    const spoof = { topic: 'iot-ai/shellyplus1-abc/rpc', payload: { id: onlyOutcome(effects).correlationId, result: {} } };
    assert.deepEqual(outcomesOf(engine.handle(spoof, T0 + 1)), []);
    const reply = { topic: 'iot-ai/shellyplus1-abc/rpc', payload: { id: payload.id, src: 'shellyplus1-abc', dst: payload.src, result: { was_on: false } } };
    assert.equal(onlyOutcome(engine.handle(reply, T0 + 2)).status, 'acked');
  });
});

describe('actuate profiles: TTN events that only pass by', () => {
  it('our own push seen again, down/queued, down/sent and another push give no outcome and no warning', () => {
    const engine = engineFor({ profile: 'ttn', topic: 'v3/app1@ttn/devices/{deviceId}/down/push', rules: [{ label: 'on', command: { downlinks: [{ f_port: 1, frm_payload: 'AQ==', confirmed: true }] } }] });
    const command = onlyCommand(engine.handle(prediction('dev1', { label: 'on' }), T0));
    const downlink = (command.payload as { downlinks: Array<Record<string, unknown>> }).downlinks[0];
    for (const [topic, payload] of [
      [command.topic, command.payload],
      ['v3/app1@ttn/devices/dev1/down/queued', { downlink_queued: downlink }],
      ['v3/app1@ttn/devices/dev1/down/sent', { downlink_sent: downlink }],
    ] as const) {
      const effects = engine.handle({ topic, payload }, T0 + 1);
      assert.deepEqual([outcomesOf(effects), warningsOf(effects)], [[], []], topic);
    }
    const foreign = engine.handle({ topic: command.topic, payload: { downlinks: [{ f_port: 2, frm_payload: 'AA==' }] } }, T0 + 2);
    assert.deepEqual([outcomesOf(foreign), warningsOf(foreign)], [[], []], 'another push is traffic passing by');
    assert.equal(engine.stats.pending, 1);
  });
});

describe('actuate profiles: replies are bounded and passing traffic is quiet', () => {
  it('LwM2M: a registration on up/resp gives no outcome and no warning', () => {
    const engine = engineFor({ profile: 'lwm2m', rules: [{ label: 'on', command: { msgType: 'write', data: { path: '/3311/0/5850', type: 'Boolean', value: true } } }] });
    onlyCommand(engine.handle(prediction('ep1', { label: 'on' }), T0));
    // As EMQX's gateway publishes a Register on up/resp (its default translators.register.topic).
    const effects = engine.handle({ topic: 'lwm2m/ep1/up/resp', payload: { msgType: 'register', data: { ep: 'ep1', lt: 300, lwm2m: '1.0', objectList: ['/1/0', '/3/0'] } } }, T0 + 1);
    assert.deepEqual([outcomesOf(effects), warningsOf(effects)], [[], []]);
  });

  it('Shelly: an error frame with a huge or odd message nacks with a bounded detail', () => {
    const engine = engineFor({ profile: 'shelly', rules: [{ label: 'on', command: { method: 'Switch.Set', params: { id: 0, on: true } } }] });
    const command = onlyCommand(engine.handle(prediction('s1', { label: 'on' }), T0));
    const id = (command.payload as Record<string, unknown>).id;
    const outcome = onlyOutcome(engine.handle({ topic: 'iot-ai/s1/rpc', payload: { id, error: { code: -1, message: 'x'.repeat(100000) } } }, T0 + 1));
    assert.equal(outcome.status, 'nacked');
    assert.ok(outcome.detail.length <= 501);
    const second = onlyCommand(engine.handle(prediction('s2', { label: 'on' }), T0 + 2));
    const odd = onlyOutcome(engine.handle({ topic: 'iot-ai/s2/rpc', payload: { id: (second.payload as Record<string, unknown>).id, error: { message: { nested: true } } } }, T0 + 3));
    assert.deepEqual([odd.status, odd.detail], ['nacked', 'error']);
  });
});

describe('actuate profiles: across a restart', () => {
  it('a restored Shelly command is acked by its RPC reply, a restored Tasmota command by its state echo', () => {
    const shellyConfig = configOf({ profile: 'shelly', rules: [{ label: 'on', command: { method: 'Switch.Set', params: { id: 0, on: true } } }] });
    const shelly = new ActuatorEngine(shellyConfig, sequentialIds());
    const command = onlyCommand(shelly.handle(prediction('s1', { label: 'on' }), T0));
    const restoredShelly = ActuatorEngine.restore(shellyConfig, JSON.parse(JSON.stringify(shelly.snapshot())), sequentialIds('r'), T0 + 10);
    const reply = { topic: 'iot-ai/s1/rpc', payload: { id: (command.payload as Record<string, unknown>).id, result: { was_on: false } } };
    assert.equal(onlyOutcome(restoredShelly.handle(reply, T0 + 20)).status, 'acked');

    const tasmotaConfig = configOf({ profile: 'tasmota', topic: 'cmnd/{deviceId}/POWER2', rules: [{ label: 'on', command: 'ON' }] });
    const tasmota = new ActuatorEngine(tasmotaConfig, sequentialIds());
    tasmota.handle(prediction('plug', { label: 'on' }), T0);
    const restored = ActuatorEngine.restore(tasmotaConfig, JSON.parse(JSON.stringify(tasmota.snapshot())), sequentialIds('r'), T0 + 10);
    assert.deepEqual(outcomesOf(restored.handle({ topic: 'stat/plug/RESULT', payload: { POWER1: 'ON' } }, T0 + 20)), []);
    assert.equal(onlyOutcome(restored.handle({ topic: 'stat/plug/RESULT', payload: { POWER2: 'ON' } }, T0 + 30)).status, 'acked');
  });
});

describe('actuate: {correlationId} is a template field (issue #15)', () => {
  const tokenOfPayload = (command: CommandEffect) => (command.payload as Record<string, unknown>).correlationId;

  it('with a reply ack it renders the reply token the device must echo, never the public id', () => {
    const engine = engineFor({ ack: 'payload', rules: [{ label: 'on', command: { id: '{correlationId}', note: 'req-{correlationId}' } }] });
    const effects = engine.handle(prediction('lamp', { label: 'on' }), T0);
    const command = onlyCommand(effects);
    const payload = command.payload as Record<string, unknown>;
    assert.equal(payload.id, tokenOfPayload(command));
    assert.equal(payload.note, `req-${String(tokenOfPayload(command))}`);
    assert.notEqual(payload.id, onlyOutcome(effects).correlationId);
    assert.notEqual(payload.id, command.command.correlationId);
  });

  it('with mqtt5 it renders the correlation data the device answers with', () => {
    const engine = engineFor({ ack: 'mqtt5', rules: [{ label: 'on', command: { id: '{correlationId}' } }] });
    const command = onlyCommand(engine.handle(prediction('lamp', { label: 'on' }), T0));
    assert.equal((command.payload as Record<string, unknown>).id, command.correlationData!.toString('utf8'));
  });

  it('without a reply ack it renders the public id (nothing is accepted by it)', () => {
    for (const ack of ['none', 'state']) {
      const engine = engineFor({ ack, rules: [{ label: 'on', command: 'id={correlationId}' }] });
      const effects = engine.handle(prediction('lamp', { label: 'on' }), T0);
      assert.equal(onlyCommand(effects).payload, 'id=c1');
    }
  });

  it('a bare {correlationId} in a JSON-like text command is read as a string field', () => {
    const engine = engineFor({ ack: 'mqtt5', rules: [{ label: 'on', command: '{"id": {correlationId}, "on": true}' }] });
    const command = onlyCommand(engine.handle(prediction('lamp', { label: 'on' }), T0));
    assert.deepEqual(command.payload, { id: command.correlationData!.toString('utf8'), on: true });
  });

  it('onChangeOnly still sees the same command: the token is filled in after the comparison', () => {
    const engine = engineFor({ ack: 'none', onChangeOnly: true, rules: [{ label: 'on', command: { id: '{correlationId}', on: true } }] });
    assert.equal(onlyOutcome(engine.handle(prediction('lamp', { label: 'on' }), T0)).status, 'sent');
    const second = onlyOutcome(engine.handle(prediction('lamp', { label: 'on' }), T0 + 1));
    assert.deepEqual([second.status, second.detail], ['suppressed', 'unchanged']);
  });

  it('a retry carries the same token', () => {
    const engine = engineFor({ ack: 'payload', retries: 1, ackTimeout: 100, rules: [{ label: 'on', command: { id: '{correlationId}' } }] });
    const first = onlyCommand(engine.handle(prediction('lamp', { label: 'on' }), T0));
    const retry = onlyCommand(engine.tick(T0 + 100));
    assert.deepEqual(retry.payload, first.payload);
  });

  it('warns nothing and acks nothing for a reply echoing the public id', () => {
    const engine = engineFor({ ack: 'payload', rules: [{ label: 'on', command: { id: '{correlationId}' } }] });
    const effects = engine.handle(prediction('lamp', { label: 'on' }), T0);
    const command = onlyCommand(effects);
    const replyTopic = (command.payload as Record<string, unknown>).replyTo;
    const forged = engine.handle({ topic: replyTopic, payload: { correlationId: onlyOutcome(effects).correlationId, ok: true } }, T0 + 1);
    assert.deepEqual(outcomesOf(forged), []);
    assert.deepEqual(warningsOf(forged).map((w) => w.code), ['late-reply']);
  });
});

/** An oracle written apart from the code: a device's value as the ecosystems normalise it. */
function normalised(value: unknown): string {
  const words: Record<string, string> = { on: 'ON', true: 'ON', off: 'OFF', false: 'OFF', open: 'OPEN', opened: 'OPEN', close: 'CLOSED', closed: 'CLOSED', lock: 'LOCKED', locked: 'LOCKED', unlock: 'UNLOCKED', unlocked: 'UNLOCKED' };
  if (typeof value === 'boolean') return `word:${value ? 'ON' : 'OFF'}`;
  if (typeof value === 'string' && words[value.trim().toLowerCase()]) return `word:${words[value.trim().toLowerCase()]}`;
  if (typeof value === 'number') return `number:${value}`;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return `number:${Number(value)}`;
  return `text:${JSON.stringify(value)}`;
}

describe('actuate profiles: property: a state ack happens iff every field the command set matches after normalisation', () => {
  const keys = fc.constantFrom('state', 'state_l1', 'state_l2', 'brightness', 'color_temp');
  const value = fc.oneof(
    fc.constantFrom('ON', 'on', 'On', ' off', 'OFF', 'true', 'false', 'open', 'closed', 'LOCK', 'locked', 'TOGGLE', 'dim'),
    fc.boolean(),
    fc.integer({ min: 0, max: 3 }),
    fc.constantFrom('0', '1', '01', '1.0', '2', ''),
    fc.string({ maxLength: 3 }),
  );
  const fields = fc.dictionary(keys, value, { minKeys: 1, maxKeys: 4 });

  it('zigbee2mqtt: one command, one echo on the device state topic', () => {
    fc.assert(
      fc.property(fields, fc.dictionary(keys, value, { maxKeys: 5 }), (command, echo) => {
        const engine = engineFor({ profile: 'zigbee2mqtt', rules: [{ label: 'on', command }] });
        const sent = engine.handle(prediction('lamp', { label: 'on' }), T0);
        if (onlyOutcome(sent).status !== 'sent') return; // e.g. a command the rule cannot render
        const outcomes = outcomesOf(engine.handle({ topic: 'zigbee2mqtt/lamp', payload: echo }, T0 + 1));
        const matches = Object.entries(command).every(
          ([key, commanded]) => key in echo && (echo[key] === commanded || normalised(echo[key]) === normalised(commanded)),
        );
        assert.equal(outcomes.length === 1 && outcomes[0].status === 'acked', matches, JSON.stringify({ command, echo, outcomes }));
        // Another device's echo never acks, whatever it says.
        if (!matches) return;
        const other = engineFor({ profile: 'zigbee2mqtt', rules: [{ label: 'on', command }] });
        other.handle(prediction('lamp', { label: 'on' }), T0);
        assert.deepEqual(outcomesOf(other.handle({ topic: 'zigbee2mqtt/lamp2', payload: echo }, T0 + 1)), []);
      }),
      { numRuns: runs(300, 5000) },
    );
  });

  it('tasmota: a relay command is acked only by that relay (POWER is POWER1), in any case', () => {
    const relay = fc.constantFrom('POWER', 'POWER1', 'POWER2', 'Power3', 'power1');
    fc.assert(
      fc.property(relay, value, relay, value, (commandRelay, commanded, echoRelay, echoed) => {
        fc.pre(typeof commanded === 'string' && commanded !== '');
        const engine = engineFor({ profile: 'tasmota', topic: `cmnd/{deviceId}/${commandRelay}`, rules: [{ label: 'on', command: commanded as string }] });
        const sent = engine.handle(prediction('plug', { label: 'on' }), T0);
        if (onlyOutcome(sent).status !== 'sent') return;
        const outcomes = outcomesOf(engine.handle({ topic: 'stat/plug/RESULT', payload: { [echoRelay]: echoed } }, T0 + 1));
        const relayKey = (r: string) => (r.toUpperCase() === 'POWER1' ? 'POWER' : r.toUpperCase());
        const numericWord = (v: unknown) => (Number(v) === 1 && String(v).trim() !== '' ? 'word:ON' : Number(v) === 0 && String(v).trim() !== '' ? 'word:OFF' : undefined);
        const echoNorm = normalised(echoed);
        const commandNorm = normalised(commanded);
        const sameValue =
          echoed === commanded ||
          echoNorm === commandNorm ||
          (echoNorm.startsWith('word:') && !commandNorm.startsWith('word:') && numericWord(commanded) === echoNorm);
        const expected = relayKey(commandRelay) === relayKey(echoRelay) && sameValue;
        assert.equal(outcomes.length === 1 && outcomes[0].status === 'acked', expected, JSON.stringify({ commandRelay, commanded, echoRelay, echoed }));
      }),
      { numRuns: runs(300, 5000) },
    );
  });
});
