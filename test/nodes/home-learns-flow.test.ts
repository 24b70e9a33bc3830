import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { helper, getNode } from '../helpers/runtime';
import actuatorCommand = require('../../src/nodes/actuator-command');
import featureWindow = require('../../src/nodes/feature-window');
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');
import modelTrain = require('../../src/nodes/model-train');
import sensorIngest = require('../../src/nodes/sensor-ingest');
import sensorSim = require('../../src/nodes/sensor-sim');

const runtime = process.env.NODE_RED_PATH ? path.resolve(process.env.NODE_RED_PATH) : require.resolve('node-red');
const coreNode = (file: string) => require(require.resolve(`@node-red/nodes/core/${file}`, { paths: [runtime] }));
const root = path.resolve(__dirname, '..', '..');

/** A weekday evening (lamps on in the dark, then bedtime); the first night (midnight UTC, the windows' time) is 6 simulated hours on. */
const START = Date.UTC(2024, 5, 5, 18, 0, 0);
/** Simulated time runs SPEED× the wall clock: as fast as the pipeline keeps up on a loaded 2-CPU machine (a day in 6 minutes). */
const SPEED = 240;

/**
 * flows/home-learns.json (issue #29's sample) in a real runtime, as shipped but for the simulator's speed and start,
 * the actuator's wall-clock durations (cooldown, ack timeout, keptAfter) scaled by the same speed, and the debug and
 * mqtt out nodes replaced by test helpers. The household's corrections of the lamps and the lamp commands nobody
 * corrected (kept agreements) reach model-train as feedback events; the first window after midnight closes the day's
 * tally and retrains through the gate, which promotes the model learnt from them. (Six simulated evening hours bring
 * few lamp corrections: the generic model is seldom wrong about lamps, so the labels are mostly agreements;
 * test/nodes/actuator-command-feedback.test.ts shows corrections promoted through the gate.)
 */
describe('sample flow home-learns: corrections and agreements become labels, retrained every night through the gate', function () {
  this.timeout(240_000);
  let dir: string;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-home-learns-'));
    helper.settings({ userDir: dir });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('recognises the people\'s corrections and kept commands, publishes the day\'s overrides at midnight, and the retrain on their labels is promoted', async () => {
    const flow: any[] = JSON.parse(fs.readFileSync(path.join(root, 'flows', 'home-learns.json'), 'utf8')).filter((n: any) => n.type !== 'mqtt-broker');
    for (const node of flow) {
      if (node.type === 'sensor-sim') Object.assign(node, { speed: SPEED, startTime: START });
      if (node.type === 'actuator-command') Object.assign(node, { cooldown: node.cooldown / SPEED, ackTimeout: Math.max(100, node.ackTimeout / SPEED), keptAfter: node.keptAfter / SPEED });
      if (node.type === 'debug' || node.type === 'mqtt out') Object.assign(node, { type: 'helper' });
    }
    await helper.load([coreNode('common/20-inject.js'), coreNode('common/90-comment.js'), coreNode('function/15-change.js'), coreNode('function/10-switch.js'), sensorSim, sensorIngest, featureWindow, mlModel, modelPredict, modelTrain, actuatorCommand], flow);
    // What the people did (the simulator's truth travels on the state reports), the feedback events, the windows.
    const overrides: any[] = [];
    getNode('learn-act').on('input', (msg: any) => msg.truth?.override && overrides.push({ deviceId: msg.payload.deviceId, ts: msg.payload.ts, ...msg.truth.override }));
    // Output 3 of the actuator: corrections (past "a correction?" to the tally) and kept agreements.
    const feedback: any[] = [];
    getNode('learn-count-override').on('input', (msg: any) => feedback.push(msg.payload));
    const labels: any[] = [];
    getNode('learn-correction').on('input', (msg: any) => labels.push(msg.payload));
    const windows: any[] = [];
    getNode('learn-which-day').on('input', (msg: any) => windows.push(msg.payload));
    const retrains: any[] = [];
    getNode('learn-debug-retrain').on('input', (msg: any) => retrains.push(msg));
    const tallies: any[] = [];
    getNode('learn-debug-overrides').on('input', (msg: any) => tallies.push(msg.payload));
    const published: any[] = [];
    getNode('learn-overrides-out').on('input', (msg: any) => published.push(msg));
    const errors: any[] = [];
    getNode('learn-debug-errors').on('input', (msg: any) => errors.push(msg.error));

    const deadline = Date.now() + 150_000;
    while (retrains.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const kept = labels.filter((e) => e.source === 'kept');
    const progress = `windows to ${new Date(windows.at(-1)?.end ?? 0).toISOString()}, ${overrides.length} overrides, ${feedback.length} corrections, ${kept.length} kept agreements, tallies ${JSON.stringify(tallies)}, errors ${JSON.stringify(errors.slice(0, 2))}`;
    assert.equal(retrains.length, 1, `a retrain at the first window after midnight: ${progress}`);

    // Corrections are recognised: every feedback event is a simulated person's override of a lamp the automation
    // set, at its simulated time (the state report's ts), labelled by the rule that sends the chosen value.
    for (const event of feedback) {
      assert.equal(event.source, 'state');
      assert.equal(event.field, 'light');
      assert.equal(event.label, event.chosen === 'ON' ? 'occupied' : 'empty', JSON.stringify(event));
      assert.ok(overrides.some((o) => o.deviceId === event.deviceId && o.ts === event.ts && o.chosen === event.chosen), `an override of the simulated people: ${JSON.stringify(event)}`);
    }
    for (const o of overrides.filter((o) => o.field === 'light')) assert.ok(feedback.some((e) => e.deviceId === o.deviceId && e.ts === o.ts), `each lamp override is seen: ${JSON.stringify(o)}`);

    // The day's tally, published once on iot-ai/home/overrides at the first window of the new day.
    assert.equal(tallies.length, 1);
    const [tally] = tallies;
    assert.equal(tally.day, '2024-06-05');
    assert.equal(tally.overrides, feedback.filter((e) => e.ts < Date.UTC(2024, 5, 6)).length, JSON.stringify(tally));
    assert.ok(tally.commands > 0 && tally.share === Math.round((tally.overrides / tally.commands) * 1000) / 1000, JSON.stringify(tally));
    assert.equal(published[0].topic, 'iot-ai/home/overrides');
    // Kept agreements: lamp commands nobody corrected within keptAfter, each labelled with the command's own rule
    // label, at simulated time (the windows' time: since the deciding prediction, found kept at a later one).
    assert.ok(kept.length >= 5, `kept agreements: ${progress}`);
    for (const event of kept) {
      assert.equal(event.field, 'light');
      assert.equal(event.chosen, event.automatic);
      assert.equal(event.label, event.chosen === 'ON' ? 'occupied' : 'empty', JSON.stringify(event));
      assert.ok(event.since >= START && event.ts > event.since && event.ts < Date.UTC(2024, 5, 6, 1), JSON.stringify(event));
      assert.ok(!overrides.some((o) => o.deviceId === event.deviceId && o.ts >= event.since && o.ts <= event.ts), `nobody corrected a kept command: ${JSON.stringify(event)}`);
    }
    assert.ok(new Set(kept.map((e) => e.label)).size === 2, 'agreements of both kinds (lamp on, lamp off): a learnable label set');

    // The nightly retrain, on the people's labels (corrections and agreements), goes live through the gate.
    const [retrain] = retrains;
    assert.ok(retrain.payload?.promotion, `promoted by the gate: ${JSON.stringify(retrain.error ?? retrain.payload)}`);
    assert.equal(retrain.payload.model.name, 'home-lamps');
    assert.ok(retrain.payload.samples > 0);
    const outcome = `promoted ${retrain.payload.model.version}, ${retrain.payload.samples} samples, ${JSON.stringify(retrain.payload.promotion)}`;
    assert.ok(fs.existsSync(path.join(dir, 'models', 'home-lamps.json')), 'the learnt model is written where the lamps read it');
    assert.deepEqual(errors, []);
    console.log(`      ${progress}; nightly retrain: ${outcome}`);
  });
});
