/**
 * Issue #15: device profiles in the real Node-RED runtime. Each profile's command goes out as the device takes it,
 * and the device's own echo or reply (quoted in test/fixtures/actuate/profiles), delivered as an `mqtt in` node
 * delivers it (JSON parsed, bare text as a string or a Buffer), acks it; another relay's or device's does not.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { helper, harness, collect, getNode, settle } from '../helpers/runtime';
import actuatorCommand = require('../../src/nodes/actuator-command');

const prediction = (deviceId: string, label: string) => ({ payload: { deviceId, prediction: { label, confidence: 1 } } });

/** A device message quoted in test/fixtures/actuate/profiles/<profile>.json (each with its source there). */
type Quoted = { topic: string; payload: unknown };
function quoted(profile: string, name: string): Quoted {
  const file = JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'actuate', 'profiles', `${profile}.json`), 'utf8'));
  const message = file.messages[name] as Quoted | undefined;
  if (!message) throw new Error(`no message ${name} in ${profile}.json`);
  return JSON.parse(JSON.stringify(message)) as Quoted;
}
/** As an mqtt in node with output "auto-detect" delivers it: JSON as a parsed object, text as a string. */
const asDelivered = (message: Quoted, patch: Record<string, unknown> = {}) => ({
  topic: message.topic,
  payload: typeof message.payload === 'string' ? message.payload : { ...(message.payload as object), ...patch },
});

describe('actuator-command node: device profiles (issue #15)', function () {
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('tasmota: POWER2 ON is acked by the docs\' stat/<topic>/POWER2 ON, never by relay 1 or another device, and text arrives as a Buffer', async () => {
    await helper.load(
      actuatorCommand,
      harness('actuator-command', { profile: 'tasmota', topic: 'cmnd/{deviceId}/POWER2', rules: [{ label: 'on', commandType: 'text', command: 'ON' }] }),
    );
    const out1 = collect('out1');
    const out2 = collect('out2');
    const n1 = getNode('n1');
    n1.receive(prediction('tasmota', 'on'));
    const [command] = await out1.next(1);
    const docsCommand = quoted('tasmota', 'power2-on-ha');
    assert.deepEqual([command.topic, command.payload], [docsCommand.topic, docsCommand.payload]);
    assert.equal((await out2.next(1))[0].payload.status, 'sent');
    // Relay 1's {"POWER1":"ON"} (quoted from GD-30W) on this device's RESULT, relay 2 of another device (wemos2),
    // relay 1 as bare text on this device: none is this command's echo.
    n1.receive({ ...asDelivered(quoted('tasmota', 'result-gd30w-power1-on')), topic: 'stat/tasmota/RESULT' });
    n1.receive(asDelivered(quoted('tasmota', 'result-wemos2-power2-on')));
    n1.receive({ topic: 'stat/tasmota/POWER1', payload: Buffer.from(quoted('tasmota', 'stat-gd30w-power1-on').payload as string) });
    await settle();
    assert.equal(out2.messages.length, 1, JSON.stringify(out2.messages.map((m) => m.payload)));
    const echo = quoted('tasmota', 'stat-tasmota-power2-on');
    n1.receive({ topic: echo.topic, payload: Buffer.from(echo.payload as string) });
    const acked = (await out2.next(2))[1];
    assert.deepEqual([acked.payload.status, acked.payload.detail, acked.payload.correlationId], ['acked', 'state', command.command.correlationId]);
  });

  it('zigbee2mqtt: {"state":"on"} is acked by a real plug\'s state {"state":"ON","power":5.77,...} (JSON text)', async () => {
    await helper.load(actuatorCommand, harness('actuator-command', { profile: 'zigbee2mqtt', rules: [{ label: 'on', command: { state: 'on' } }] }));
    const out1 = collect('out1');
    const out2 = collect('out2');
    const n1 = getNode('n1');
    const state = quoted('zigbee2mqtt', 'plug-state-on');
    n1.receive(prediction('0x00158d000117b87d', 'on'));
    const [command] = await out1.next(1);
    assert.equal(command.topic, 'zigbee2mqtt/0x00158d000117b87d/set');
    await out2.next(1);
    n1.receive({ topic: state.topic, payload: JSON.stringify(state.payload) });
    const acked = (await out2.next(2))[1];
    assert.equal(acked.payload.status, 'acked');
  });

  it('shelly: Switch.Set is acked by the RPC result with its id on <src>/rpc, and an error frame is a nack', async () => {
    await helper.load(
      actuatorCommand,
      harness('actuator-command', { profile: 'shelly', replyTopic: '{deviceId}/response/rpc', rules: [{ label: 'on', command: { method: 'Switch.Set', params: { id: 0, on: true } } }] }),
    );
    const out1 = collect('out1');
    const out2 = collect('out2');
    const n1 = getNode('n1');
    const request = quoted('shelly', 'switch-set');
    const reply = quoted('shelly', 'switch-set-result');
    n1.receive(prediction('shellyplus1-a8032abc7158', 'on'));
    const [command] = await out1.next(1);
    assert.equal(command.topic, request.topic);
    assert.equal(command.payload.src, (request.payload as { src: string }).src);
    assert.equal(command.payload.method, 'Switch.Set');
    await out2.next(1);
    // The captured reply as it was (id "test1") answers another request, not ours.
    n1.receive(asDelivered(reply));
    await settle();
    assert.equal(out2.messages.length, 1);
    n1.receive(asDelivered(reply, { id: command.payload.id }));
    const acked = (await out2.next(2))[1];
    assert.equal(acked.payload.status, 'acked');
    await helper.unload();
    // A captured reply that carries an error (and a result) is a nack, on the device's own reply topic.
    await helper.load(
      actuatorCommand,
      harness('actuator-command', { profile: 'shelly', replyTopic: 'NCELRND1279_{deviceId}/rpc', rules: [{ label: 'on', command: { method: 'Switch.Set', params: { id: 0, on: true } } }] }),
    );
    const out1b = collect('out1');
    const out2b = collect('out2');
    getNode('n1').receive(prediction('shellyplus1-08b61fd9333c', 'on'));
    const [second] = await out1b.next(1);
    await out2b.next(1);
    getNode('n1').receive(asDelivered(quoted('shelly', 'error-frame'), { id: second.payload.id }));
    const nacked = (await out2b.next(2))[1];
    assert.deepEqual([nacked.payload.status, nacked.payload.detail], ['nacked', '-109 shutting down in 952 ms']);
  });

  it('ttn: a downlink push is acked by down/ack carrying its correlation id', async () => {
    await helper.load(
      actuatorCommand,
      harness('actuator-command', {
        profile: 'ttn',
        topic: 'v3/app1@tenant1/devices/{deviceId}/down/push',
        rules: [{ label: 'on', command: { downlinks: [{ f_port: 15, frm_payload: 'vu8=', priority: 'NORMAL', confirmed: true }] } }],
      }),
    );
    const out1 = collect('out1');
    const out2 = collect('out2');
    const n1 = getNode('n1');
    n1.receive(prediction('dev1', 'on'));
    const [command] = await out1.next(1);
    await out2.next(1);
    const ids: string[] = command.payload.downlinks[0].correlation_ids;
    const ack = quoted('ttn', 'ack-data-formats') as { topic: string; payload: { downlink_ack: { correlation_ids: string[] } } };
    n1.receive(asDelivered(ack));
    await settle();
    assert.equal(out2.messages.length, 1, 'the docs\' ack as printed is another downlink\'s');
    ack.payload.downlink_ack.correlation_ids.push(...ids);
    n1.receive(asDelivered(ack));
    const acked = (await out2.next(2))[1];
    assert.deepEqual([acked.payload.status, acked.payload.detail], ['acked', 'downlink_ack']);
  });

  it('lwm2m: a write is acked by the gateway response 2.04 with its reqID, not by the CoAP empty ACK; EMQX 5\'s requestID too', async () => {
    await helper.load(
      actuatorCommand,
      harness('actuator-command', { profile: 'lwm2m', rules: [{ label: 'on', command: { msgType: 'write', data: { path: '/3311/0/5850', type: 'Boolean', value: true } } }] }),
    );
    const out1 = collect('out1');
    const out2 = collect('out2');
    const n1 = getNode('n1');
    n1.receive(prediction('ep1', 'on'));
    const [command] = await out1.next(1);
    assert.equal(command.topic, 'lwm2m/ep1/dn');
    await out2.next(1);
    n1.receive({ topic: 'lwm2m/ep1/up/resp', payload: { reqID: command.payload.reqID, msgType: 'ack' } });
    await settle();
    assert.equal(out2.messages.length, 1);
    n1.receive({ topic: 'lwm2m/ep1/up/resp', payload: { reqID: command.payload.reqID, msgType: 'write', data: { code: '2.04', codeMsg: 'changed', reqPath: '/3311/0/5850' } } });
    const acked = (await out2.next(2))[1];
    assert.deepEqual([acked.payload.status, acked.payload.detail], ['acked', '2.04 changed']);
    await helper.unload();
    // EMQX 5's gateway: commands under .../dn/dm, the id named requestID (its test suite's write and response).
    await helper.load(
      actuatorCommand,
      harness('actuator-command', { profile: 'lwm2m', topic: 'lwm2m/{deviceId}/dn/dm', rules: [{ label: 'on', command: { msgType: 'write', data: { path: '/3/0/13', type: 'Integer', value: '12345' } } }] }),
    );
    const out1b = collect('out1');
    const out2b = collect('out2');
    getNode('n1').receive(prediction('urn:oma:lwm2m:oma:3', 'on'));
    const [write] = await out1b.next(1);
    assert.equal(write.topic, quoted('lwm2m', 'write-emqx5').topic);
    assert.equal(write.payload.requestID, write.payload.reqID);
    await out2b.next(1);
    const changed = quoted('lwm2m', 'write-changed-emqx5');
    getNode('n1').receive(asDelivered(changed));
    await settle();
    assert.equal(out2b.messages.length, 1, 'the quoted requestID 307 is another request');
    getNode('n1').receive(asDelivered(changed, { requestID: write.payload.requestID, cacheID: write.payload.requestID }));
    const ackedB = (await out2b.next(2))[1];
    assert.deepEqual([ackedB.payload.status, ackedB.payload.detail], ['acked', '2.04 changed']);
  });

  it('esphome and homeassistant: ON is acked by the bare state ON on the state topic, not OFF', async () => {
    for (const [profile, deviceId, stateTopic] of [
      ['esphome', 'livingroom', 'livingroom/switch/relay/state'],
      ['homeassistant', 'home/bedroom/switch1', 'home/bedroom/switch1'],
    ]) {
      await helper.load(actuatorCommand, harness('actuator-command', { profile, rules: [{ label: 'on', commandType: 'text', command: 'ON' }] }));
      const out2 = collect('out2');
      const n1 = getNode('n1');
      n1.receive(prediction(deviceId, 'on'));
      await out2.next(1);
      n1.receive({ topic: stateTopic, payload: 'OFF' });
      await settle();
      assert.equal(out2.messages.length, 1, profile);
      n1.receive({ topic: stateTopic, payload: 'ON' });
      const acked = (await out2.next(2))[1];
      assert.equal(acked.payload.status, 'acked', profile);
      await helper.unload();
    }
  });
});
