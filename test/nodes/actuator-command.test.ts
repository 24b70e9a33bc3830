import { strict as assert } from 'node:assert';
import { helper, harness, collect, getNode, settle, lastStatus } from '../helpers/runtime';
import actuatorCommand = require('../../src/nodes/actuator-command');

const prediction = (deviceId: string, p: Record<string, unknown>) => ({ payload: { deviceId, prediction: { confidence: 1, ...p } } });

describe('actuator-command node', function () {
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('turns a matching prediction into a command exactly as the device receives it, with one immediate outcome', async () => {
    await helper.load(
      actuatorCommand,
      harness('actuator-command', {
        rules: [{ label: 'occupied', command: { light: 'ON', room: '{deviceId}' } }, { above: 25, command: { setpoint: '{value}' }, topic: 'hvac/{deviceId}' }],
        topic: 'home/{deviceId}/set',
      }),
    );
    const out1 = collect('out1');
    const out2 = collect('out2');
    const completed = collect('completed');
    const n1 = getNode('n1');
    n1.receive(prediction('kitchen', { label: 'occupied' }));
    n1.receive(prediction('hall', { value: 27.5 }));
    n1.receive(prediction('attic', { label: 'empty' }));
    const [light, hvac] = await out1.next(2);
    assert.equal(light.topic, 'home/kitchen/set');
    assert.deepEqual(light.payload, { light: 'ON', room: 'kitchen' });
    assert.equal(light.command.deviceId, 'kitchen');
    assert.equal(typeof light.command.correlationId, 'string');
    assert.equal(hvac.topic, 'hvac/hall');
    assert.deepEqual(hvac.payload, { setpoint: 27.5 });
    const outcomes = await out2.next(3);
    assert.deepEqual(outcomes.map((m) => [m.payload.deviceId, m.payload.status]), [['kitchen', 'sent'], ['hall', 'sent'], ['attic', 'suppressed']]);
    assert.equal(outcomes[2].payload.detail, 'no-rule');
    await completed.next(3);
  });

  it('keeps commands inside the limits and the cooldown', async () => {
    await helper.load(
      actuatorCommand,
      harness('actuator-command', { rules: [{ above: -1e9, command: { setpoint: '{value}' } }], limits: '{"setpoint":{"min":16,"max":26}}', limitMode: 'clamp', cooldown: 60000 }),
    );
    const out1 = collect('out1');
    const out2 = collect('out2');
    const n1 = getNode('n1');
    n1.receive(prediction('room', { value: 400 }));
    n1.receive(prediction('room', { value: 20 }));
    const [command] = await out1.next(1);
    assert.deepEqual(command.payload, { setpoint: 26 });
    const outcomes = await out2.next(2);
    assert.deepEqual(outcomes.map((m) => [m.payload.status, m.payload.detail.split(':')[0]]).map((x) => x[0]), ['sent', 'suppressed']);
    assert.equal(outcomes[1].payload.detail, 'cooldown');
    await settle();
    assert.equal(out1.messages.length, 1);
  });

  it('keeps a command saved as text before command types (and a text command) inside the limits', async () => {
    // As an older editor saved it: rules as JSON text, commands as written, no commandType.
    const rules = JSON.stringify([
      { label: 'dim', command: 'Dimmer {value}', topic: 'cmnd/{deviceId}/Dimmer' },
      { above: -1e9, command: '{"brightness": {value}}' },
    ]);
    await helper.load(actuatorCommand, harness('actuator-command', { rules, limits: '{"min":0,"max":100}', limitMode: 'clamp' }));
    const out1 = collect('out1');
    const n1 = getNode('n1');
    n1.receive(prediction('lamp', { label: 'dim', value: 150 }));
    n1.receive(prediction('bulb', { label: 'x', value: 150 }));
    const [dimmer, bulb] = await out1.next(2);
    assert.deepEqual([dimmer.topic, dimmer.payload], ['cmnd/lamp/Dimmer', 'Dimmer 100']);
    assert.deepEqual([bulb.topic, bulb.payload], ['bulb/set', { brightness: 100 }]);
  });

  it('refuses a prediction whose topic MQTT forbids, with a warning, and goes on with the others', async () => {
    await helper.load(actuatorCommand, harness('actuator-command', { rules: [{ label: 'on', commandType: 'text', command: 'ON' }] }));
    const out1 = collect('out1');
    const out2 = collect('out2');
    const n1 = getNode('n1');
    n1.receive({ payload: [
      { deviceId: 'bell\u0007', prediction: { label: 'on' } },
      { deviceId: 'lamp', prediction: { label: 'on' } },
      { deviceId: 'x\uFFFF', prediction: { label: 'on' } },
    ] });
    const outcomes = await out2.next(3);
    assert.deepEqual(outcomes.map((m) => [m.payload.status, m.payload.detail]), [['refused', 'topic'], ['sent', 'rule 1: label "on"'], ['refused', 'topic']]);
    assert.equal(outcomes[0].error.code, 'topic');
    const [command] = await out1.next(1);
    assert.equal(command.topic, 'lamp/set');
    await settle();
    assert.equal(out1.messages.length, 1);
    const warned = (n1.warn as any).getCalls().map((c: any) => String(c.args[0]));
    assert.equal(warned.filter((w: string) => /U\+0007|U\+FFFF/.test(w)).length, 2, warned.join('\n'));
  });

  it('payload ack: a reply with the correlation id acks; silence retries with the same correlation, then times out', async () => {
    await helper.load(
      actuatorCommand,
      harness('actuator-command', { rules: [{ label: 'on', command: { state: 'ON' } }], ack: 'payload', ackTimeout: 150, retries: 1 }),
    );
    const out1 = collect('out1');
    const out2 = collect('out2');
    const n1 = getNode('n1');
    n1.receive(prediction('lamp1', { label: 'on' }));
    const [sent] = await out1.next(1);
    assert.equal(sent.payload.state, 'ON');
    assert.equal(sent.payload.replyTo, 'lamp1/set/reply');
    // The device replies with the token it was given, which is not the public id of the outcomes.
    assert.notEqual(sent.payload.correlationId, sent.command.correlationId);
    n1.receive({ topic: 'lamp1/set/reply', payload: { correlationId: sent.command.correlationId, ok: true } });
    n1.receive({ topic: 'lamp1/other', payload: { correlationId: sent.payload.correlationId, ok: true } });
    n1.receive({ topic: 'lamp1/set/reply', payload: { correlationId: sent.payload.correlationId, ok: true } });
    const [, acked] = await out2.next(2);
    assert.deepEqual([acked.payload.status, acked.payload.correlationId], ['acked', sent.command.correlationId]);

    n1.receive(prediction('lamp2', { label: 'on' }));
    const [, first, retry] = await out1.next(3, 3000);
    assert.equal(retry.command.correlationId, first.command.correlationId, 'a retry re-sends the same correlation');
    assert.equal(retry.retry, 1);
    const [, , , timeout] = await out2.next(4, 3000);
    assert.deepEqual([timeout.payload.deviceId, timeout.payload.status], ['lamp2', 'timeout']);
    await settle(400);
    assert.equal(out1.messages.length, 3, 'no more re-sends after the last retry');
    assert.match(lastStatus(getNode('n1'))?.text ?? '', /sent/);
  });

  it('with persist, writes an acked command to the store at once, not a second later (issue #14 item 5)', async () => {
    await helper.load(
      actuatorCommand,
      harness('actuator-command', { rules: [{ label: 'on', command: { state: 'ON' } }], ack: 'payload', ackTimeout: 60000, persist: 'file' }),
    );
    const out1 = collect('out1');
    const out2 = collect('out2');
    const n1 = getNode('n1');
    // The test runtime has no "file" store: Node-RED falls back to its default (memory) store, same calls.
    const saved = () =>
      new Promise<{ pending: Array<{ correlationId: string }> }>((resolve, reject) =>
        n1.context().get('actuatorCommandState', 'file', (err: Error | undefined, value: any) => (err ? reject(err) : resolve(value))),
      );
    n1.receive(prediction('lamp', { label: 'on' }));
    const [sent] = await out1.next(1);
    await settle(1300); // the periodic save (at most once a second) has written the pending command
    assert.deepEqual((await saved()).pending.map((p) => p.correlationId), [sent.command.correlationId]);
    n1.receive({ topic: sent.payload.replyTo, payload: { correlationId: sent.payload.correlationId, ok: true } });
    const [, acked] = await out2.next(2);
    assert.equal(acked.payload.status, 'acked');
    await settle(200);
    assert.deepEqual((await saved()).pending, [], 'the ack reached the store within 200 ms');
  });

  it('an override pauses automatic commands for a device without an outcome of its own', async () => {
    await helper.load(actuatorCommand, harness('actuator-command', { rules: [{ label: 'on', command: 'ON' }] }));
    const out1 = collect('out1');
    const out2 = collect('out2');
    const n1 = getNode('n1');
    n1.receive({ override: { deviceId: 'plug', until: Date.now() + 60000 } });
    n1.receive(prediction('plug', { label: 'on' }));
    const [outcome] = await out2.next(1);
    assert.deepEqual([outcome.payload.status, outcome.payload.detail], ['suppressed', 'override']);
    await settle();
    assert.equal(out1.messages.length, 0);
    assert.equal(out2.messages.length, 1);
  });

  it('a bad configuration is a fault in the status and reaches Catch nodes', async () => {
    await helper.load(actuatorCommand, harness('actuator-command', { rules: [] }));
    const n1 = getNode('n1');
    assert.equal(lastStatus(n1)?.fill, 'red');
    const caught = collect('caught');
    n1.receive(prediction('x', { label: 'on' }));
    const [error] = await caught.next(1);
    assert.match(error.error.message, /rules is empty/);
  });
});
