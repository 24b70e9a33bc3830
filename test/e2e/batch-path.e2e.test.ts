/**
 * Issue 19, e2e: the batch path in a real Node-RED (the packed palette, deployed through the admin API) fed by MQTT:
 * mqtt in → sensor-ingest (output batch) → feature-window (output batch) → model-predict → actuator-command
 * (outcomes batch) → mqtt out. One JSON message per device and second; each device gets the command it would get
 * from the per-reading path, as its own MQTT message; the outcomes of one input come as one array; a bad device
 * payload is rejected and the other devices' readings still reach their windows.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { saveModel } from '../../src/core/model';
import { toyClassifier } from '../helpers/models';
import { NodeRedProcess } from '../helpers/nodered-process';
import { startAedes, mqttClient, type Broker } from '../helpers/broker';
import { mqttBroker, mqttIn, mqttOut, tab, TAB } from '../helpers/flows';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

function batchFlow(brokerPort: number, modelPath: string): object[] {
  return [
    tab('batch e2e'),
    mqttBroker(brokerPort),
    { id: 'model', type: 'ml-model', path: modelPath, watch: false },
    mqttIn('in1', 'sensors/+', ['ingest'], { x: 100 }),
    { id: 'ingest', type: 'sensor-ingest', z: TAB, format: 'json', output: 'batch', x: 250, y: 100, wires: [['window'], ['rejects']] },
    { id: 'window', type: 'feature-window', z: TAB, window: 'tumbling', size: 10, unit: 's', time: 'event', features: ['mean'], output: 'batch', x: 400, y: 100, wires: [['predict'], ['rejects']] },
    { id: 'predict', type: 'model-predict', z: TAB, model: 'model', x: 550, y: 100, wires: [['act'], ['rejects']] },
    { id: 'act', type: 'actuator-command', z: TAB, rules: [{ label: 'hot', command: { state: 'ON' } }, { label: 'cold', command: { state: 'OFF' } }], topic: 'home/{deviceId}/set', output: 'batch', x: 700, y: 100, wires: [['commands'], ['outcomes']] },
    mqttOut('commands', '', { x: 850, y: 100 }),
    mqttOut('outcomes', 'outcomes', { x: 850, y: 160 }),
    mqttOut('rejects', 'rejects', { x: 850, y: 220 }),
  ];
}

describe('e2e: the batch path, ingest(batch) → window(batch) → predict → actuator (issue 19)', function () {
  this.timeout(120_000);
  let broker: Broker;
  let red: NodeRedProcess;
  let modelDir: string;

  before(async () => {
    modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-batch-model-'));
    const modelPath = path.join(modelDir, 'toy.json');
    await saveModel(modelPath, await toyClassifier('1.0.0', 15));
    broker = await startAedes();
    red = await NodeRedProcess.start();
    await red.deploy(batchFlow(broker.port, modelPath));
  });
  after(async () => {
    await red?.dispose();
    await broker?.close();
    if (modelDir) fs.rmSync(modelDir, { recursive: true, force: true });
  });

  it('each device gets its command as its own message; outcomes of one input come as one array; a bad payload is rejected alone', async () => {
    const client = await mqttClient(broker.url);
    try {
      await client.client.subscribeAsync(['home/+/set', 'outcomes', 'rejects'], { qos: 1 });
      // The mqtt in node subscribes asynchronously after the deploy: publish until the first reject comes back.
      await client.waitFor(
        () => {
          void client.client.publishAsync('sensors/probe', JSON.stringify({ deviceId: 'probe' }), { qos: 1 });
          return client.received.some((m) => m.topic === 'rejects');
        },
        30_000,
        'the flow to subscribe',
      );
      const devices = { 'dev-hot': 35, 'dev-cold': 15 };
      // One JSON message per device and second (two readings each), for 12 s: the 12th closes the first window.
      for (let second = 0; second <= 12; second++) {
        for (const [deviceId, temp] of Object.entries(devices)) {
          await client.client.publishAsync(`sensors/${deviceId}`, JSON.stringify({ deviceId, ts: T0 + second * 1000, temp: temp + (second % 3) * 0.1, noise: second % 5 }), { qos: 1 });
        }
        if (second === 6) await client.client.publishAsync('sensors/dev-broken', JSON.stringify({ deviceId: 'dev-broken', ts: T0 + 6000, temp: 'warm' }), { qos: 1 });
      }
      await client.waitFor(() => client.received.filter((m) => m.topic.startsWith('home/')).length >= 2, 30_000, 'two commands');
      await client.waitFor(() => client.json('outcomes').length >= 2, 30_000, 'the outcomes');
      const commands = client.received.filter((m) => m.topic.startsWith('home/')).map((m) => [m.topic, JSON.parse(m.payload.toString('utf8'))]);
      assert.deepEqual(
        commands.sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
        [
          ['home/dev-cold/set', { state: 'OFF' }],
          ['home/dev-hot/set', { state: 'ON' }],
        ],
        'each device receives exactly the command alone, as its own message',
      );
      const outcomes = client.json('outcomes');
      for (const batch of outcomes) assert.ok(Array.isArray(batch), 'outcomes as one array per input');
      assert.deepEqual(outcomes.flat().map((o: { deviceId: string; status: string }) => [o.deviceId, o.status]).sort(), [['dev-cold', 'sent'], ['dev-hot', 'sent']]);
      const broken = client.received.filter((m) => m.topic === 'rejects' && m.payload.toString('utf8').includes('dev-broken'));
      assert.equal(broken.length, 1, 'the bad payload went to the rejects');
      assert.deepEqual(red.errors(), []);
    } finally {
      await client.end();
    }
  });
});
