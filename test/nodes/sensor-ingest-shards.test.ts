/**
 * sensor-ingest `shards` (issue 22, docs/scale-out.md): each reading's topic names its device's shard, so a core
 * `mqtt out` with no topic of its own republishes it where the shard's owner subscribes (real mosquitto).
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { helper, harness, collect, getNode, lastStatus } from '../helpers/runtime';
import { startMosquitto, mqttClient } from '../helpers/broker';
import { shardOf } from '../../src/core/scale/shard';
import sensorIngest = require('../../src/nodes/sensor-ingest');

const runtime = process.env.NODE_RED_PATH ? path.resolve(process.env.NODE_RED_PATH) : require.resolve('node-red');
const mqttNodes = require(require.resolve('@node-red/nodes/core/network/10-mqtt.js', { paths: [runtime] }));
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

describe('sensor-ingest shards (scale-out routing)', function () {
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('each: msg.topic is the shard topic of the device and msg.shard its shard; the reading itself is unchanged', async () => {
    await helper.load(sensorIngest, harness('sensor-ingest', { format: 'json', shards: 16, shardTopic: 'site/shard/{shard}/{deviceId}/{sensor}' }));
    const out1 = collect('out1');
    getNode('n1').receive({ topic: 'in', payload: { deviceId: 'kitchen', ts: T0, temp: 21, co2: 600 } });
    const got = await out1.next(2);
    assert.deepEqual(
      got.map((m) => [m.topic, m.shard]),
      [
        ['site/shard/15/kitchen/temp', 15],
        ['site/shard/15/kitchen/co2', 15],
      ],
    );
    assert.deepEqual(got[0].payload, { deviceId: 'kitchen', sensor: 'temp', value: 21, ts: T0 });
  });

  it('batch: one message per device (the default topic), each with that device\'s readings in order', async () => {
    await helper.load(sensorIngest, harness('sensor-ingest', { format: 'senml', output: 'batch', shards: '8' }));
    const out1 = collect('out1');
    const completed = collect('completed');
    getNode('n1').receive({
      payload: [
        { bn: 'kitchen:', n: 'temp', v: 21, t: T0 / 1000 },
        { bn: 'hall:', n: 'temp', v: 18, t: T0 / 1000 },
        { bn: 'kitchen:', n: 'co2', v: 600, t: T0 / 1000 },
      ],
    });
    await completed.next(1);
    assert.equal(out1.messages.length, 2);
    const [kitchen, hall] = out1.messages;
    assert.equal(kitchen.topic, `iot/shard/${shardOf('kitchen', 8)}/kitchen`);
    assert.equal(kitchen.shard, shardOf('kitchen', 8));
    assert.deepEqual(kitchen.payload.map((r: { sensor: string }) => r.sensor), ['temp', 'co2']);
    assert.equal(hall.topic, `iot/shard/${shardOf('hall', 8)}/hall`);
    assert.deepEqual(hall.payload.map((r: { value: number }) => r.value), [18]);
  });

  it('refuses shards with the text name policy at deploy (an id could put a wildcard into the topic)', async () => {
    await helper.load(sensorIngest, harness('sensor-ingest', { format: 'json', shards: 4, namePolicy: 'text' }));
    const status = lastStatus(getNode('n1'));
    assert.equal(status?.fill, 'red', JSON.stringify(status));
  });

  it('an mqtt out with no topic republishes each reading to its shard: a worker subscribed to its shards gets exactly its devices', async () => {
    const broker = await startMosquitto();
    const worker = await mqttClient(broker.url);
    try {
      const shards = 4;
      const mine = [0, 2];
      await worker.client.subscribeAsync(mine.map((k) => `iot/shard/${k}/#`), { qos: 1 });
      const flow = harness('sensor-ingest', { format: 'json', shards }, 2, []) as Array<Record<string, unknown>>;
      const ingest = flow.find((n) => n.id === 'n1')!;
      ingest.wires = [['publish'], ['out2']];
      flow.push(
        { id: 'broker', type: 'mqtt-broker', broker: '127.0.0.1', port: String(broker.port), protocolVersion: '5', clientid: '', autoConnect: true },
        { id: 'publish', type: 'mqtt out', z: 'f1', x: 300, y: 100, broker: 'broker', topic: '', qos: '1', retain: 'false', wires: [] },
      );
      await helper.load([sensorIngest, mqttNodes], flow, { broker: { user: '', password: '' } });
      const devices = Array.from({ length: 40 }, (_, i) => `dev-${i}`);
      const expected = devices.filter((id) => mine.includes(shardOf(id, shards)));
      assert.ok(expected.length > 5 && expected.length < 35, 'both sides have devices');
      // Wait for the mqtt out's connection, then send one reading per device.
      const deadline = Date.now() + 10000;
      while (lastStatus(getNode('publish'))?.fill !== 'green' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      for (const deviceId of devices) getNode('n1').receive({ payload: { deviceId, ts: T0, temp: 20 } });
      await worker.waitFor(() => worker.received.length >= expected.length, 10000, 'the worker\'s readings');
      await new Promise((r) => setTimeout(r, 300));
      const got = worker.received.map((m) => ({ topic: m.topic, reading: JSON.parse(m.payload.toString('utf8')) }));
      assert.deepEqual(got.map((m) => m.reading.deviceId).sort(), [...expected].sort(), 'exactly the devices of shards 0 and 2, each once');
      for (const m of got) assert.equal(m.topic, `iot/shard/${shardOf(m.reading.deviceId, shards)}/${m.reading.deviceId}`);
      assert.deepEqual(got[0].reading, { deviceId: got[0].reading.deviceId, sensor: 'temp', value: 20, ts: T0 }, 'the canonical reading, as JSON');
    } finally {
      await worker.end();
      await helper.unload();
      await broker.close();
    }
  });
});
