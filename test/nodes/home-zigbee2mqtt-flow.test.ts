import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { helper, coreNode, getNode } from '../helpers/runtime';
import featureWindow = require('../../src/nodes/feature-window');
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');
import sensorIngest = require('../../src/nodes/sensor-ingest');
import sensorSim = require('../../src/nodes/sensor-sim');

const root = path.resolve(__dirname, '..', '..');

/**
 * flows/home-zigbee2mqtt.json as shipped (issue 15): sensor-sim in the Zigbee2MQTT shape, sensor-ingest with the
 * zigbee2mqtt profile, windows, the bundled occupancy model. Sped up; debug nodes replaced by test helpers.
 */
describe('sample flow home-zigbee2mqtt: Zigbee2MQTT-shaped rooms through the zigbee2mqtt profile to predictions', function () {
  this.timeout(60_000);
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('readings carry the friendly name as device and no battery/linkquality; windows become occupancy predictions', async () => {
    const flow = JSON.parse(fs.readFileSync(path.join(root, 'flows', 'home-zigbee2mqtt.json'), 'utf8'));
    const ingest = flow.find((n: { type: string }) => n.type === 'sensor-ingest');
    assert.equal(ingest.profile, 'zigbee2mqtt');
    assert.equal(ingest.topicPattern, undefined, 'the profile supplies the topic pattern');
    for (const node of flow) {
      if (node.type === 'sensor-sim') Object.assign(node, { speed: 100, startTime: Date.UTC(2024, 5, 5, 6) });
      if (node.type === 'debug') Object.assign(node, { type: 'helper' });
    }
    await helper.load([coreNode('common/90-comment.js'), sensorSim, sensorIngest, featureWindow, mlModel, modelPredict], flow);
    const readings: Array<Record<string, any>> = [];
    const rejects: Array<Record<string, any>> = [];
    const predictions: Array<Record<string, any>> = [];
    getNode('z2m-debug-readings').on('input', (msg) => readings.push(msg.payload));
    getNode('z2m-debug-rejects').on('input', (msg) => rejects.push(msg.error));
    getNode('z2m-debug-predictions').on('input', (msg) => predictions.push(msg.payload));
    const deadline = Date.now() + 45_000;
    while (predictions.length < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok(predictions.length >= 6, `predictions: ${predictions.length}`);
    assert.deepEqual(rejects, []);
    const sensors = new Set(readings.map((r) => r.sensor));
    assert.deepEqual([...sensors].sort(), ['co2', 'humidity', 'light', 'motion', 'temperature']);
    assert.ok(readings.every((r) => /^home-\d+$|^[\w-]+$/.test(r.deviceId)));
    assert.equal(readings.find((r) => r.sensor === 'temperature')?.unit, 'Cel');
    for (const p of predictions) assert.ok(['occupied', 'empty'].includes(p.prediction.label), JSON.stringify(p.prediction));
  });
});
