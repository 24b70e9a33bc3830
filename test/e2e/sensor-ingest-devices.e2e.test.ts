import { strict as assert } from 'node:assert';
import { NodeRedProcess } from '../helpers/nodered-process';
import { startMosquitto, mqttClient } from '../helpers/broker';
import { mqttBroker, mqttIn, mqttOut, tab, TAB } from '../helpers/flows';
import { DEVICE_FIXTURES } from '../fixtures/devices/readings';

/**
 * Issue 15 over a real broker (Debian's mosquitto) and a real Node-RED with the packed palette: devices' own payloads
 * published as the devices publish them, mqtt in (auto-detect; a Buffer for LwM2M's CBOR) → sensor-ingest with a
 * profile and nothing else → readings republished.
 */
function devicesFlow(brokerPort: number): object[] {
  const ingest = (id: string, profile: string, y: number) => ({ id, type: 'sensor-ingest', z: TAB, profile, x: 350, y, wires: [['outReadings'], ['errors']] });
  return [
    tab('devices in e2e'),
    mqttBroker(brokerPort),
    mqttIn('tasmota', 'tele/+/SENSOR', ['ingestTasmota'], { datatype: 'auto-detect', x: 100, y: 60 }),
    mqttIn('z2m', 'zigbee2mqtt/#', ['ingestZ2m'], { datatype: 'auto-detect', x: 100, y: 120 }),
    mqttIn('lwm2m', 'lwm2m/#', ['ingestLwm2m'], { datatype: 'buffer', x: 100, y: 180 }),
    ingest('ingestTasmota', 'tasmota', 60),
    ingest('ingestZ2m', 'zigbee2mqtt', 120),
    ingest('ingestLwm2m', 'lwm2m', 180),
    { id: 'errors', type: 'change', z: TAB, rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'error', tot: 'msg' }, { t: 'set', p: 'topic', pt: 'msg', to: 'out/errors', tot: 'str' }], x: 550, y: 160, wires: [['outErrors']] },
    // The node's own topic wins over each reading's msg.topic (<deviceId>/<sensor>): all go to out/readings.
    mqttOut('outReadings', 'out/readings', { x: 750, y: 80 }),
    mqttOut('outErrors', '', { x: 750, y: 160 }),
  ];
}

describe('e2e: device payloads over mosquitto into sensor-ingest profiles', function () {
  this.timeout(120_000);

  it('Tasmota, Zigbee2MQTT (friendly name with a slash) and LwM2M SenML CBOR come out as the fixtures say', async () => {
    const broker = await startMosquitto();
    const red = await NodeRedProcess.start();
    const client = await mqttClient(broker.url);
    try {
      await red.deploy(devicesFlow(broker.port));
      await client.client.subscribeAsync('out/#', { qos: 1 });
      const picks = ['AM2301 tele SENSOR (nested sensor object, TempUnit)', 'IKEA TRADFRI bulb under a friendly name that spans levels', 'SenML CBOR with integer labels (Wakaama test bytes)'];
      const fixtures = picks.map((title) => DEVICE_FIXTURES.find((f) => f.title === title)!);
      const publishAll = async () => {
        for (const f of fixtures) await client.client.publishAsync(f.topic, f.hex ? Buffer.from(f.payload, 'hex') : f.payload, { qos: 1 });
      };
      // The mqtt in nodes subscribe after deploy: publish until the first readings arrive, then once more, counted.
      const deadline = Date.now() + 30_000;
      while (client.json('out/readings').length === 0 && Date.now() < deadline) {
        await publishAll();
        await new Promise((r) => setTimeout(r, 500));
      }
      await new Promise((r) => setTimeout(r, 500));
      client.received.length = 0;
      await publishAll();
      const expected = fixtures.flatMap((f) => f.readings);
      await client.waitFor(() => client.json('out/readings').length >= expected.length, 15_000, 'the readings');
      await new Promise((r) => setTimeout(r, 300));
      const got = client.json('out/readings');
      assert.deepEqual(client.json('out/errors'), []);
      assert.equal(got.length, expected.length);
      const key = (r: { deviceId: string; sensor: string }) => `${r.deviceId}/${r.sensor}`;
      for (const want of expected) {
        const reading = got.find((r) => key(r) === key(want));
        assert.ok(reading, `reading ${key(want)}`);
        assert.equal(reading.value, want.value);
        assert.equal(reading.unit, want.unit);
        if (want.ts !== 'arrival') assert.equal(reading.ts, want.ts);
      }
    } finally {
      await client.end();
      await red.dispose();
      await broker.close();
    }
  });
});
