/**
 * Issue #14 items 4, 6, 7 and #27 class 5: only genuine replies ack, and a command restored after a restart is
 * re-checked against the current configuration. (Item 5, prompt persistence of final outcomes, is node glue:
 * test/nodes/actuator-command.test.ts and test/e2e/actuator-command.e2e.test.ts.)
 */
import assert from 'node:assert/strict';
import { ActuatorEngine, type CommandEffect } from '../../src/core/actuate';
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
const on = { rules: [{ label: 'on', command: { state: 'ON' } }] };

/** What the device was given to reply with: `payload.correlationId` or the MQTT 5 correlation data. */
function tokenOf(command: CommandEffect): string {
  if (command.correlationData) return command.correlationData.toString('utf8');
  return String((command.payload as Record<string, unknown>).correlationId);
}

describe('actuate: only genuine replies ack (issue #14 items 6 and 7, #27 class 5)', () => {
  it('payload: a reply on any topic but the replyTo the device was given is ignored with a warning', () => {
    const engine = engineFor({ ...on, ack: 'payload', replyTopic: 'replies/{deviceId}' });
    const command = onlyCommand(engine.handle(prediction('lamp', { label: 'on' }), T0));
    const reply = replyTo(command);
    assert.equal(reply.topic, 'replies/lamp');
    for (const topic of ['replies/other', 'lamp/set', 'replies/lamp/x', '', undefined, 42]) {
      const effects = engine.handle({ ...reply, topic }, T0 + 1);
      assert.deepEqual(outcomesOf(effects), [], `a reply on ${JSON.stringify(topic)} acked`);
      assert.deepEqual(warningsOf(effects).map((w) => w.code), ['reply-topic']);
    }
    assert.equal(engine.stats.pending, 1);
    assert.equal(onlyOutcome(engine.handle(reply, T0 + 2)).status, 'acked');
  });

  it('mqtt5: a reply must come on the response topic', () => {
    const engine = engineFor({ ...on, ack: 'mqtt5', topic: 'home/{deviceId}/set' });
    const command = onlyCommand(engine.handle(prediction('lamp', { label: 'on' }), T0));
    const reply = replyTo(command, false);
    assert.equal(reply.topic, 'home/lamp/set/reply');
    assert.deepEqual(outcomesOf(engine.handle({ ...reply, topic: 'home/lamp/set' }, T0 + 1)), []);
    assert.deepEqual(outcomesOf(engine.handle({ ...reply, topic: 'home/+/set/reply' }, T0 + 1)), []);
    assert.equal(onlyOutcome(engine.handle(reply, T0 + 2)).status, 'nacked');
  });

  it('outcomes do not make a command spoofable: their correlationId is not the reply token the device was given', () => {
    for (const ack of ['payload', 'mqtt5'] as const) {
      const engine = engineFor({ ...on, ack });
      const effects = engine.handle(prediction('lamp', { label: 'on' }), T0);
      const command = onlyCommand(effects);
      const sent = onlyOutcome(effects);
      // A reader of output 2 knows the outcome; the right reply topic is no secret either.
      assert.equal(sent.correlationId, command.command.correlationId, 'outcome and msg.command name the same command');
      assert.notEqual(tokenOf(command), sent.correlationId);
      const topic = replyTo(command).topic;
      const forged = [
        { topic, payload: { correlationId: sent.correlationId, ok: true } },
        { topic, correlationData: Buffer.from(sent.correlationId!), payload: { ok: true } },
      ];
      for (const msg of forged) assert.deepEqual(outcomesOf(engine.handle(msg, T0 + 1)), [], `${ack}: forged from the outcome`);
      assert.equal(engine.stats.pending, 1);
      assert.deepEqual(outcomesOf(engine.handle(replyTo(command), T0 + 2)), [
        { deviceId: 'lamp', correlationId: sent.correlationId, status: 'acked', detail: 'ok' },
      ]);
    }
  });

  it('state: a correlation reply acks nothing (the device was given no correlation); its state does', () => {
    const engine = engineFor({ ...on, ack: 'state' });
    const sent = outcomesOf(engine.handle(prediction('lamp', { label: 'on' }), T0))[0];
    const forged = engine.handle({ topic: 'lamp/set/reply', payload: { correlationId: sent.correlationId, ok: true } }, T0 + 1);
    assert.deepEqual(outcomesOf(forged), []);
    assert.equal(engine.stats.pending, 1);
    assert.equal(onlyOutcome(engine.handle({ topic: 'lamp', payload: { state: 'ON' } }, T0 + 2)).status, 'acked');
  });

  it('reply tokens are unguessable: 128 random bits, never the command id, never repeated', () => {
    const engine = engineFor({ ...on, ack: 'payload', maxPending: 5000 });
    const tokens = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const command = onlyCommand(engine.handle(prediction(`d${i}`, { label: 'on' }), T0));
      const token = tokenOf(command);
      assert.match(token, /^[A-Za-z0-9_-]{22,}$/);
      assert.notEqual(token, command.command.correlationId);
      tokens.add(token);
    }
    assert.equal(tokens.size, 2000);
  });

  it('a prediction that inherited msg.correlationData (or reply fields) of a pending command is a prediction', () => {
    for (const ack of ['payload', 'mqtt5'] as const) {
      const engine = engineFor({ rules: [{ label: 'on', command: { state: 'ON' } }, { label: 'off', command: { state: 'OFF' } }], ack });
      const command = onlyCommand(engine.handle(prediction('lamp', { label: 'on' }), T0));
      const reply = replyTo(command);
      // As ingest, window and predict pass it on: the whole reply message, with a prediction in the payload.
      const inherited = {
        ...reply,
        payload: { ...reply.payload, deviceId: 'other', prediction: { label: 'off', confidence: 1 } },
      };
      const effects = engine.handle(inherited, T0 + 1);
      assert.deepEqual(outcomesOf(effects).map((o) => `${o.deviceId} ${o.status}`), ['other sent'], ack);
      // The pending command is untouched: still waiting, acked by its genuine reply.
      assert.equal(onlyOutcome(engine.handle(reply, T0 + 2)).status, 'acked');
    }
  });

  it('a duplicate reply (QoS 1 redelivery) never acks a later command, even one given the same command id after a restart', () => {
    const config = { ...on, ack: 'payload', retries: 2, ackTimeout: 1000 };
    const engine = new ActuatorEngine(configOf(config), sequentialIds());
    const first = onlyCommand(engine.handle(prediction('lamp', { label: 'on' }), T0));
    const reply = replyTo(first);
    assert.equal(onlyOutcome(engine.handle(reply, T0 + 1)).status, 'acked');
    assert.deepEqual(warningsOf(engine.handle(reply, T0 + 2)).map((w) => w.code), ['late-reply']);
    // A restart with predictable command ids: the next command is "c1" again.
    const restored = ActuatorEngine.restore(configOf(config), engine.snapshot(), sequentialIds(), T0 + 10);
    const next = onlyCommand(restored.handle(prediction('lamp', { label: 'on' }), T0 + 20));
    assert.equal(next.command.correlationId, first.command.correlationId);
    assert.deepEqual(outcomesOf(restored.handle(reply, T0 + 21)), [], 'the redelivered reply acked the next command');
    // Nor its retry.
    const retry = onlyCommand(restored.tick(T0 + 1020));
    assert.equal(retry.retry, 1);
    assert.deepEqual(outcomesOf(restored.handle(reply, T0 + 1021)), []);
    assert.equal(onlyOutcome(restored.handle(replyTo(retry), T0 + 1022)).status, 'acked');
  });
});

describe('actuate: a restored command is re-checked against the current config (issue #14 item 4)', () => {
  const config = {
    rules: [
      { above: 10, command: { level: '{value}' } },
      { label: 'on', command: { state: 'ON' } },
    ],
    ack: 'payload',
    ackTimeout: 1000,
    retries: 2,
  };
  /** Sends one command for d (value 40), restarts under `changes`, and returns what the first tick does. */
  const restartWith = (changes: Record<string, unknown>, at = T0 + 100) => {
    const engine = engineFor(config);
    onlyCommand(engine.handle(prediction('d', { value: 40 }), T0));
    const stored = JSON.parse(JSON.stringify(engine.snapshot())) as unknown;
    const restored = ActuatorEngine.restore(configOf({ ...config, ...changes }), stored, sequentialIds('after-'), at);
    return { restored, effects: restored.tick(restored.nextDeadline() ?? at) };
  };

  it('keeps a command whose rule, limits and schema still allow it: retried at its deadline', () => {
    const { effects } = restartWith({ limits: { level: { max: 50 } }, commandSchema: { type: 'object' } });
    assert.equal(onlyCommand(effects).retry, 1);
  });

  it('ends a command whose rule was deleted or changed, with timeout "rule", never re-sending it', () => {
    for (const rules of [
      [{ label: 'on', command: { state: 'ON' } }],
      [{ above: 20, command: { level: '{value}' } }],
      [{ above: 10, command: { level: '{value}', fast: true } }],
      [{ above: 10, command: { level: '{value}' }, topic: 'elsewhere/{deviceId}' }],
    ]) {
      const { effects, restored } = restartWith({ rules });
      assert.deepEqual(commandsOf(effects), [], JSON.stringify(rules));
      assert.deepEqual(outcomesOf(effects), [{ deviceId: 'd', correlationId: 'c1', status: 'timeout', detail: 'rule' }]);
      assert.deepEqual(restored.tick(T0 + 1e9), []);
    }
    // The node's topic, which the rule falls back on, counts as part of the rule.
    assert.equal(onlyOutcome(restartWith({ topic: 'other/{deviceId}' }).effects).detail, 'rule');
    // The same rule moved to another place still allows it.
    assert.equal(onlyCommand(restartWith({ rules: [...config.rules].reverse() }).effects).retry, 1);
  });

  it('ends a command the tightened limits no longer allow (clamp or refuse), with timeout "limits"', () => {
    for (const limitMode of ['clamp', 'refuse']) {
      const { effects } = restartWith({ limits: { level: { max: 30 } }, limitMode });
      assert.deepEqual(commandsOf(effects), []);
      assert.deepEqual(outcomesOf(effects).map((o) => `${o.status} ${o.detail}`), ['timeout limits']);
    }
  });

  it('ends a command the commandSchema no longer allows, with timeout "schema"', () => {
    const { effects } = restartWith({ commandSchema: { properties: { level: { maximum: 20 } } } });
    assert.deepEqual(commandsOf(effects), []);
    assert.deepEqual(outcomesOf(effects).map((o) => `${o.status} ${o.detail}`), ['timeout schema']);
  });

  it('ends a command whose device is overridden, with timeout "override"', () => {
    const engine = engineFor(config);
    engine.handle(prediction('d', { value: 40 }), T0);
    // An override saved with the command still pending (say it came from a store written by another version).
    const stored = engine.snapshot();
    stored.devices = stored.devices.map((device) => ({ ...device, overrideUntil: T0 + 60_000 }));
    const restored = ActuatorEngine.restore(configOf(config), stored, sequentialIds('after-'), T0 + 100);
    const effects = restored.tick(restored.nextDeadline()!);
    assert.deepEqual(commandsOf(effects), []);
    assert.deepEqual(outcomesOf(effects).map((o) => `${o.status} ${o.detail}`), ['timeout override']);
  });

  it('ends it at the first tick (the node waits out its restart grace), and a reply before then still acks it', () => {
    const engine = engineFor(config);
    const command = onlyCommand(engine.handle(prediction('d', { value: 40 }), T0));
    const restored = ActuatorEngine.restore(configOf({ ...config, limits: { max: 1 } }), engine.snapshot(), sequentialIds('after-'), T0 + 100);
    assert.equal(restored.nextDeadline(), T0 + 100);
    assert.equal(onlyOutcome(restored.handle(replyTo(command), T0 + 101)).status, 'acked');
    assert.deepEqual(restored.tick(T0 + 1e9), []);
  });
});
