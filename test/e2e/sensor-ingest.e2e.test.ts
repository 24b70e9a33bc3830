import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { NodeRedProcess, nodeRedDir } from '../helpers/nodered-process';
import { startAedes, mqttClient, type Broker } from '../helpers/broker';
import { mqttBroker, mqttIn, mqttOut, tab, TAB } from '../helpers/flows';

/** mqtt in → sensor-ingest → mqtt out (readings) / mqtt out (rejects), on the test's own aedes broker. */
function ingestFlow(brokerPort: number): object[] {
  return [
    tab('ingest e2e'),
    mqttBroker(brokerPort),
    mqttIn('in1', 'sensors/#', ['ingest1'], { datatype: 'auto-detect', x: 100 }),
    { id: 'ingest1', type: 'sensor-ingest', z: TAB, name: '', format: 'auto', topicPattern: 'sensors/{deviceId}/{sensor}', deviceIdField: 'deviceId', tsField: 'ts', schema: '', sensors: [{ name: 'temp', unit: 'Cel', min: -40, max: 85 }], convertUnits: true, maxFutureMs: 300000, x: 300, y: 100, wires: [['outReadings'], ['toJson', 'outRejects']] },
    mqttOut('outReadings', 'out/readings', { x: 500, y: 80 }),
    { id: 'toJson', type: 'change', z: TAB, rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'error', tot: 'msg' }], x: 500, y: 140, wires: [['outErrors']] },
    mqttOut('outRejects', 'out/rejects', { x: 700, y: 120 }),
    mqttOut('outErrors', 'out/errors', { x: 700, y: 160 }),
  ];
}

describe('e2e: sensor-ingest in a real Node-RED with the packed palette', function () {
  let broker: Broker;
  let red: NodeRedProcess;

  before(async () => {
    broker = await startAedes();
    red = await NodeRedProcess.start();
  });
  after(async () => {
    await red?.dispose();
    await broker?.close();
  });

  it('runs the Node-RED under test (4.1.x, or NODE_RED_PATH\'s)', async () => {
    const settings = await red.get('/settings');
    // A Node-RED run from its npm package reports "4.1.15-git"; the release number is what matters.
    assert.equal(String(settings.version).replace(/-git$/, ''), require(path.join(nodeRedDir(), 'package.json')).version);
  });

  it('lists the palette and sensor-ingest in GET /nodes', async () => {
    const sets: Array<{ module: string; types: string[]; enabled: boolean }> = await red.get('/nodes');
    const ours = sets.filter((s) => s.module === '@iot-ai/node-red-iot-ai');
    assert.ok(ours.length >= 1, 'the palette is installed');
    assert.ok(ours.some((s) => s.types.includes('sensor-ingest') && s.enabled));
  });

  it('turns published SenML and flat JSON into readings and rejects, with no runtime error', async () => {
    await red.deploy(ingestFlow(broker.port));
    const client = await mqttClient(broker.url);
    try {
      await client.client.subscribeAsync('out/#', { qos: 1 });
      // The mqtt in node connects asynchronously after deploy: publish until the first reading arrives.
      const deadline = Date.now() + 15000;
      while (client.json('out/readings').length === 0 && Date.now() < deadline) {
        await client.client.publishAsync('sensors/warmup/ping', '1', { qos: 1 });
        await new Promise((r) => setTimeout(r, 200));
      }
      client.received.length = 0;
      const pack = [{ bn: 'room7/', n: 'temp', u: 'degF', v: 68 }, { n: 'temp', u: 'Cel', v: 300 }, { n: 'hum', u: '%RH', v: 55 }];
      await client.client.publishAsync('sensors/any/thing', JSON.stringify(pack), { qos: 1 });
      await client.client.publishAsync('sensors/boiler/pressure', Buffer.from('{"value": 1.5, "unit": "bar"}'), { qos: 1 });
      await client.client.publishAsync('sensors/boiler/junk', '{not json', { qos: 1 });
      await client.waitFor(() => client.json('out/readings').length >= 3 && client.json('out/errors').length >= 2, 15000, 'readings and rejects');
      const readings = client.json('out/readings');
      const temp = readings.find((r) => r.deviceId === 'room7' && r.sensor === 'temp');
      assert.equal(temp.unit, 'Cel');
      assert.ok(Math.abs(temp.value - 20) < 1e-9, '68 degF converted to 20 Cel');
      assert.ok(readings.some((r) => r.deviceId === 'room7' && r.sensor === 'hum' && r.value === 55));
      const pressure = readings.find((r) => r.deviceId === 'boiler' && r.sensor === 'pressure');
      assert.equal(pressure.unit, 'Pa');
      assert.equal(pressure.value, 150000);
      const errors = client.json('out/errors');
      assert.deepEqual(errors.map((e) => e.code).sort(), ['parse', 'range']);
      assert.equal(errors.find((e) => e.code === 'range').path, '/1/v');
      const rejects = client.received.filter((m) => m.topic === 'out/rejects').map((m) => m.payload.toString());
      assert.ok(rejects.includes(JSON.stringify(pack)), 'the reject carries the original payload');
      assert.deepEqual(red.errors(), []);
    } finally {
      await client.end();
    }
  });
});
