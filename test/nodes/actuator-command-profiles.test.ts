/**
 * Issue #15: device profiles in the real Node-RED runtime. Each profile's command goes out as the device takes it,
 * and the device's own echo or reply (quoted in test/fixtures/actuate/profiles), delivered as an `mqtt in` node
 * delivers it (JSON parsed, bare text as a string or a Buffer), acks it; another relay's or device's does not.
 */
import { strict as assert } from 'node:assert';
import { helper, harness, collect, getNode, settle } from '../helpers/runtime';
import actuatorCommand = require('../../src/nodes/actuator-command');

const prediction = (deviceId: string, label: string) => ({ payload: { deviceId, prediction: { label, confidence: 1 } } });

describe('actuator-command node: device profiles (issue #15)', function () {
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('tasmota: POWER2 ON is acked by {"POWER2":"ON"}, never by relay 1 or another device, and text arrives as a Buffer', async () => {
    await helper.load(
      actuatorCommand,
      harness('actuator-command', { profile: 'tasmota', topic: 'cmnd/{deviceId}/POWER2', rules: [{ label: 'on', commandType: 'text', command: 'ON' }] }),
    );
    const out1 = collect('out1');
    const out2 = collect('out2');
    const n1 = getNode('n1');
    n1.receive(prediction('my_device', 'on'));
    const [command] = await out1.next(1);
    assert.deepEqual([command.topic, command.payload], ['cmnd/my_device/POWER2', 'ON']);
    assert.equal((await out2.next(1))[0].payload.status, 'sent');
    n1.receive({ topic: 'stat/my_device/RESULT', payload: { POWER1: 'ON' } });
    n1.receive({ topic: 'stat/other/RESULT', payload: { POWER2: 'ON' } });
    n1.receive({ topic: 'stat/my_device/POWER1', payload: Buffer.from('ON') });
    await settle();
    assert.equal(out2.messages.length, 1, JSON.stringify(out2.messages.map((m) => m.payload)));
    n1.receive({ topic: 'stat/my_device/POWER2', payload: Buffer.from('ON') });
    const acked = (await out2.next(2))[1];
    assert.deepEqual([acked.payload.status, acked.payload.detail, acked.payload.correlationId], ['acked', 'state', command.command.correlationId]);
  });

  it('zigbee2mqtt: {"state":"on"} is acked by the device state {"state":"ON","linkquality":94}', async () => {
    await helper.load(actuatorCommand, harness('actuator-command', { profile: 'zigbee2mqtt', rules: [{ label: 'on', command: { state: 'on' } }] }));
    const out1 = collect('out1');
    const out2 = collect('out2');
    const n1 = getNode('n1');
    n1.receive(prediction('kitchen/floor_light', 'on'));
    const [command] = await out1.next(1);
    assert.equal(command.topic, 'zigbee2mqtt/kitchen/floor_light/set');
    await out2.next(1);
    n1.receive({ topic: 'zigbee2mqtt/kitchen/floor_light', payload: '{"state":"ON","linkquality":94}' });
    const acked = (await out2.next(2))[1];
    assert.equal(acked.payload.status, 'acked');
  });

  it('shelly: Switch.Set is acked by the RPC result with its id on <src>/rpc, and an error frame is a nack', async () => {
    await helper.load(
      actuatorCommand,
      harness('actuator-command', { profile: 'shelly', replyTopic: 'user_1/rpc', rules: [{ label: 'on', command: { method: 'Switch.Set', params: { id: 0, on: true } } }] }),
    );
    const out1 = collect('out1');
    const out2 = collect('out2');
    const n1 = getNode('n1');
    n1.receive(prediction('shellyplus1-c4dd57877294', 'on'));
    const [command] = await out1.next(1);
    assert.equal(command.topic, 'shellyplus1-c4dd57877294/rpc');
    assert.equal(command.payload.src, 'user_1');
    assert.equal(command.payload.method, 'Switch.Set');
    await out2.next(1);
    // Another client's reply (the docs' id 123) on the same topic is not ours.
    n1.receive({ topic: 'user_1/rpc', payload: { id: 123, src: 'shellyplus1-c4dd57877294', dst: 'user_1', result: { was_on: false } } });
    await settle();
    assert.equal(out2.messages.length, 1);
    n1.receive({ topic: 'user_1/rpc', payload: { id: command.payload.id, src: 'shellyplus1-c4dd57877294', dst: 'user_1', result: { was_on: false } } });
    const acked = (await out2.next(2))[1];
    assert.equal(acked.payload.status, 'acked');
    n1.receive(prediction('shellypro4pm-f008d1d8b8b8', 'on'));
    const second = (await out1.next(2))[1];
    await out2.next(3);
    n1.receive({ topic: 'user_1/rpc', payload: { id: second.payload.id, src: 'shellypro4pm-f008d1d8b8b8', dst: 'user_1', error: { code: -103, message: 'Invalid argument' } } });
    const nacked = (await out2.next(4))[3];
    assert.deepEqual([nacked.payload.status, nacked.payload.detail], ['nacked', '-103 Invalid argument']);
  });

  it('ttn: a downlink push is acked by down/ack carrying its correlation id', async () => {
    await helper.load(
      actuatorCommand,
      harness('actuator-command', {
        profile: 'ttn',
        topic: 'v3/app1@ttn/devices/{deviceId}/down/push',
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
    n1.receive({
      topic: 'v3/app1@ttn/devices/dev1/down/ack',
      payload: { end_device_ids: { device_id: 'dev1' }, downlink_ack: { f_port: 15, f_cnt: 1, frm_payload: 'vu8=', confirmed: true, correlation_ids: ['as:downlink:01X', ...ids] } },
    });
    const acked = (await out2.next(2))[1];
    assert.deepEqual([acked.payload.status, acked.payload.detail], ['acked', 'downlink_ack']);
  });

  it('lwm2m: a write is acked by the gateway response 2.04 with its reqID, not by the CoAP empty ACK', async () => {
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
