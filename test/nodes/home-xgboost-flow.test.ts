import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { helper, coreNode, getNode, withUserDir } from '../helpers/runtime';
import actuatorCommand = require('../../src/nodes/actuator-command');
import featureWindow = require('../../src/nodes/feature-window');
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');
import sensorIngest = require('../../src/nodes/sensor-ingest');
import sensorSim = require('../../src/nodes/sensor-sim');

const root = path.resolve(__dirname, '..', '..');

/** A weekday from 6:00, as the sample-flow tests start (people get up, rooms change); simulated time runs SPEED× the wall clock. */
const START = Date.UTC(2024, 5, 5, 6, 0, 0);
const SPEED = 60;

/**
 * flows/home-xgboost.json (issue #28's sample) in a real runtime, as shipped: the bundled XGBoost file converted at
 * load, its classes named by the ml-model's labels; predictions scored against the simulator's truth, and the
 * lights switched by actuator-command.
 */
describe('sample flow home-xgboost: an XGBoost model trained in Python drives the lights', function () {
  this.timeout(120_000);
  withUserDir('iot-ai-home-xgboost-');

  it('predicts occupancy against the truth (≥ 85 %), names the classes, and sends light commands the rooms obey', async () => {
    const flow = JSON.parse(fs.readFileSync(path.join(root, 'flows', 'home-xgboost.json'), 'utf8'));
    for (const node of flow) {
      if (node.type === 'sensor-sim') Object.assign(node, { speed: SPEED, startTime: START });
      if (node.type === 'debug') Object.assign(node, { type: 'helper' });
    }
    await helper.load([coreNode('common/90-comment.js'), coreNode('function/10-switch.js'), sensorSim, sensorIngest, featureWindow, mlModel, modelPredict, actuatorCommand], flow);
    // The truth of each room at its latest reading (the simulator sends it with each payload, as msg.truth).
    const truth = new Map<string, string>();
    const sim = getNode('xgb-sim');
    const originalSend = sim.send.bind(sim);
    sim.send = (msg: any) => {
      const messages = Array.isArray(msg) ? msg.flat() : [msg];
      for (const m of messages) if (m?.truth && typeof m.topic === 'string') truth.set(m.topic.split('/')[1], String(m.truth.occupancy));
      return originalSend(msg);
    };
    const predictions: Array<{ deviceId: string; label: string; expected?: string; probabilities: Record<string, number> }> = [];
    getNode('xgb-debug-predictions').on('input', (msg: any) => {
      const p = msg.payload.prediction;
      predictions.push({ deviceId: msg.payload.deviceId, label: p.label, expected: truth.get(msg.payload.deviceId), probabilities: p.probabilities });
    });
    const commands: any[] = [];
    getNode('xgb-debug-commands').on('input', (msg: any) => commands.push(msg));
    const errors: any[] = [];
    getNode('xgb-debug-errors').on('input', (msg: any) => errors.push(msg.error));

    const deadline = Date.now() + 90_000;
    while (predictions.filter((p) => p.expected !== undefined).length < 600 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const scored = predictions.filter((p) => p.expected !== undefined);
    assert.ok(scored.length >= 600, `${scored.length} scored predictions of ${predictions.length}, ${truth.size} rooms with truth, ${commands.length} commands, errors ${JSON.stringify(errors.slice(0, 2))}`);
    const correct = scored.filter((p) => p.label === p.expected).length;
    const confusion: Record<string, number> = {};
    for (const p of scored) confusion[`${p.expected}→${p.label}`] = (confusion[`${p.expected}→${p.label}`] ?? 0) + 1;
    assert.ok(correct / scored.length >= 0.85, `accuracy ${correct}/${scored.length} ${JSON.stringify(confusion)}`);
    assert.ok(scored.every((p) => p.label === 'empty' || p.label === 'occupied'), 'the classes carry the configured labels');
    assert.ok(scored.every((p) => Math.abs(p.probabilities.empty + p.probabilities.occupied - 1) < 1e-6), `probabilities of both labels: ${JSON.stringify(scored.slice(0, 2))}`);
    assert.ok(new Set(scored.map((p) => p.label)).size === 2, 'both classes seen in a morning');
    assert.ok(commands.length > 0 && commands.every((c) => c.payload.light === 'ON' || c.payload.light === 'OFF'), JSON.stringify(commands.slice(0, 3)));
    assert.deepEqual(errors, []);
  });
});
