import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NodeRedProcess } from '../helpers/nodered-process';
import { startAedes, mqttClient, type Broker } from '../helpers/broker';
import { mqttBroker, mqttIn, mqttOut, tab, TAB } from '../helpers/flows';

const fixture = path.join(__dirname, '..', 'fixtures', 'model', 'rooms.csv');

/** The iot-ai command as installed from the packed tarball into a user directory. */
function iotAi(userDir: string, args: string[]) {
  const bin = path.join(userDir, 'node_modules', '@iot-ai', 'node-red-iot-ai', 'bin', 'iot-ai.js');
  return spawnSync(process.execPath, [bin, ...args], { cwd: userDir, encoding: 'utf8' });
}

describe('e2e: the installed iot-ai command and a model it trains, live in Node-RED', function () {
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

  it('iot-ai train writes a model file and a report; iot-ai window writes feature rows', () => {
    fs.copyFileSync(fixture, path.join(red.userDir, 'rooms.csv'));
    const train = iotAi(red.userDir, ['train', '--data', 'rooms.csv', '--label', 'state', '--out', 'models/rooms.json', '--trees', '20', '--seed', '3']);
    assert.equal(train.status, 0, train.stderr);
    assert.match(train.stdout, /accuracy/i);
    const model = JSON.parse(fs.readFileSync(path.join(red.userDir, 'models', 'rooms.json'), 'utf8'));
    assert.equal(model.format, 'iot-ai/random-forest@1');
    assert.deepEqual(model.featureNames, ['temp', 'hum', 'light'], 'deviceId, ts and truth.* columns are not features');
    assert.ok(fs.readFileSync(path.join(red.userDir, 'models', 'rooms.report.html'), 'utf8').includes('<svg'));

    fs.writeFileSync(path.join(red.userDir, 'window.json'), JSON.stringify({ window: 'tumbling', size: 5, unit: 'min', features: ['mean', 'max'] }));
    const windowed = iotAi(red.userDir, ['window', '--data', 'rooms.csv', '--window', 'window.json', '--out', 'features.csv', '--label', 'state']);
    assert.equal(windowed.status, 0, windowed.stderr);
    const header = fs.readFileSync(path.join(red.userDir, 'features.csv'), 'utf8').split('\n')[0];
    assert.equal(header, 'deviceId,start,end,temp.mean,temp.max,hum.mean,hum.max,light.mean,light.max,state');

    const bad = iotAi(red.userDir, ['train', '--data', path.join(__dirname, '..', 'fixtures', 'model', 'rooms-bad-value.csv'), '--label', 'state', '--out', 'models/bad.json']);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /line \d+, column \d+/);
  });

  it('model-predict serves the trained model through an ml-model path relative to the user directory', async () => {
    await red.deploy([
      tab('model e2e'),
      mqttBroker(broker.port),
      { id: 'cfg', type: 'ml-model', name: 'rooms', path: 'models/rooms.json', watch: true },
      mqttIn('in1', 'features', ['predict'], { x: 100 }),
      { id: 'predict', type: 'model-predict', z: TAB, model: 'cfg', property: 'payload.features', x: 300, y: 100, wires: [['out1'], ['out2']] },
      mqttOut('out1', 'predictions', { x: 500, y: 80 }),
      mqttOut('out2', 'errors', { x: 500, y: 120 }),
    ]);
    const client = await mqttClient(broker.url);
    try {
      await client.client.subscribeAsync(['predictions', 'errors'], { qos: 1 });
      await client.waitFor(() => {
        void client.client.publishAsync('features', JSON.stringify({ deviceId: 'kitchen-0', features: { temp: 16, hum: 76, light: 231 } }), { qos: 1 });
        return client.json('predictions').length > 0;
      }, 20000, 'a prediction');
      const [prediction] = client.json('predictions');
      assert.equal(prediction.deviceId, 'kitchen-0');
      assert.equal(prediction.prediction.model.name, 'rooms');
      const labels = new Set(fs.readFileSync(fixture, 'utf8').trim().split('\n').slice(1).map((line) => line.split(',').at(-1)));
      assert.ok(labels.has(prediction.prediction.label), `${prediction.prediction.label} is one of the training labels`);
      assert.deepEqual(Object.keys(prediction.prediction.probabilities).sort(), [...labels].sort());
      await client.client.publishAsync('features', JSON.stringify({ deviceId: 'x', features: { temp: 16 } }), { qos: 1 });
      await client.waitFor(() => client.received.some((m) => m.topic === 'errors'), 10000, 'an error');
      assert.deepEqual(red.errors(), []);
    } finally {
      await client.end();
    }
  });
});
