/**
 * Corrections in the real runtime (issue #29): actuator-command's output 3 ("feedback"), and a flow whose output 3
 * is wired into model-train, which retrains from the corrections through its promotion gate.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { saveModel } from '../../src/core/model';
import { helper, harness, collect, getNode, settle, lastStatus, type HelperNode, withUserDir } from '../helpers/runtime';
import { toyClassifier } from '../helpers/models';
import actuatorCommand = require('../../src/nodes/actuator-command');
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');
import modelTrain = require('../../src/nodes/model-train');

const RULES = [
  { label: 'hot', command: { fan: 'ON' } },
  { label: 'cold', command: { fan: 'OFF' } },
];
const prediction = (deviceId: string, label: string) => ({ payload: { deviceId, prediction: { label, confidence: 1 } } });

describe('actuator-command node: corrections on output 3 (#29)', function () {
  this.timeout(60_000);
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('a contrary state after the ack, an override with the chosen values and a "that was wrong" each give one feedback message', async () => {
    await helper.load(actuatorCommand, harness('actuator-command', { rules: RULES, ack: 'state' }, 3));
    const [out1, out2, out3, completed, caught] = ['out1', 'out2', 'out3', 'completed', 'caught'].map(collect);
    const n1 = getNode('n1');
    n1.receive(prediction('fan1', 'hot'));
    const [command] = await out1.next(1);
    n1.receive({ topic: 'fan1/set', payload: { fan: 'OFF' } }); // our own command looped back
    n1.receive({ topic: 'zigbee2mqtt/fan1', payload: { fan: 'ON' } }); // the ack
    n1.receive({ topic: 'zigbee2mqtt/fan1', payload: { fan: 'OFF' } }); // the person
    n1.receive({ topic: 'zigbee2mqtt/fan1', payload: { fan: 'OFF' } }); // reported again
    const [feedback] = await out3.next(1);
    assert.equal(feedback.topic, 'fan1');
    assert.deepEqual({ ...feedback.payload, ts: 0 }, { deviceId: 'fan1', ts: 0, field: 'fan', automatic: 'ON', chosen: 'OFF', commandId: command.command.correlationId, source: 'state', label: 'cold' });
    n1.receive(prediction('fan2', 'cold'));
    await out1.next(2);
    n1.receive({ override: { deviceId: 'fan2', until: Date.now() + 60_000, command: { fan: 'ON' } } });
    n1.receive(prediction('fan3', 'cold'));
    await out1.next(3);
    n1.receive({ wrong: { deviceId: 'fan3', chosen: { fan: 'ON' } } });
    n1.receive({ wrong: 'fan3' }); // a bad shape: output 2, not a crash
    await out3.next(3);
    assert.deepEqual(out3.messages.map((m) => [m.payload.deviceId, m.payload.source, m.payload.label]), [['fan1', 'state', 'cold'], ['fan2', 'override', 'hot'], ['fan3', 'wrong', 'hot']]);
    const refused = (await out2.next(6)).filter((m) => m.error);
    assert.deepEqual(refused.map((m) => m.error.code), ['bad-input']);
    await completed.next(10);
    await settle(600); // the status shows changes at most every 500 ms
    await settle();
    assert.equal(out3.messages.length, 3);
    assert.equal(caught.messages.length, 0);
    assert.match(String(lastStatus(n1)?.text), /3 actuator-command\.status\.corrected/);
  });

  it('a flow saved with two outputs wired keeps working: corrections go nowhere, commands and outcomes as before', async () => {
    await helper.load(actuatorCommand, harness('actuator-command', { rules: RULES, ack: 'state' }, 2));
    const [out1, out2, caught] = ['out1', 'out2', 'caught'].map(collect);
    const n1 = getNode('n1');
    n1.receive(prediction('fan1', 'hot'));
    await out1.next(1);
    n1.receive({ topic: 'zigbee2mqtt/fan1', payload: { fan: 'ON' } });
    n1.receive({ topic: 'zigbee2mqtt/fan1', payload: { fan: 'OFF' } });
    n1.receive(prediction('fan1', 'cold'));
    await out1.next(2);
    await out2.next(3);
    await settle();
    assert.equal(caught.messages.length, 0);
  });
});

describe('actuator-command output 3 → model-train: the flow learns from corrections (#29)', function () {
  this.timeout(120_000);
  const userDir = withUserDir('iot-ai-feedback-');
  let modelPath: string;

  beforeEach(async () => {
    modelPath = path.join(userDir(), 'live.json');
    // The generic model: hot (fan on) above 25. This household wants the fan on below 25.
    await saveModel(modelPath, await toyClassifier('1.0.0'));
  });

  const T0 = Date.UTC(2024, 5, 3, 6, 0, 0);
  const window = (i: number) => {
    const end = T0 + i * 60_000;
    return { payload: { deviceId: `fan${i % 3}`, start: end - 60_000, end, features: { 'temp.mean': 10 + ((i * 7) % 40) * 0.8, 'noise.mean': i % 5 } } };
  };
  const wants = (temp: number) => (temp < 25 ? 'ON' : 'OFF');

  async function load(trainProps: Record<string, unknown>): Promise<void> {
    const nodes = [
      { id: 'f1', type: 'tab', label: 'test' },
      { id: 'cfg', type: 'ml-model', path: modelPath, watch: false },
      { id: 'predict', type: 'model-predict', model: 'cfg', property: 'payload.features', wires: [['act'], []] },
      { id: 'act', type: 'actuator-command', rules: RULES, ack: 'state', wires: [['commands'], ['outcomes'], ['train']] },
      { id: 'train', type: 'model-train', model: 'cfg', trees: 15, feedbackLookback: 60_000, ...trainProps, wires: [['trained'], ['refused']] },
      ...['commands', 'outcomes', 'trained', 'refused', 'probe'].map((id) => ({ id, type: 'helper' })),
      { id: 'probePredict', type: 'model-predict', model: 'cfg', property: 'payload.features', wires: [['probe'], []] },
    ].map((n) => (n.type === 'tab' || n.type === 'ml-model' ? n : { z: 'f1', x: 100, y: 100, ...n }));
    await helper.load([mlModel, modelPredict, actuatorCommand, modelTrain], nodes);
    const cfg = getNode('cfg');
    for (let i = 0; i < 100 && cfg.state().model === undefined; i++) await settle(20);
  }

  /** Window i goes to model-train (unlabelled, waiting) and to the loop; the device takes the command, then the person turns it back when they disagree. */
  async function day(count: number, commands: ReturnType<typeof collect>, act: HelperNode, train: HelperNode, predict: HelperNode): Promise<number> {
    let corrections = 0;
    for (let i = 0; i < count; i++) {
      const w = window(i);
      train.receive(w);
      predict.receive(w);
      const command = (await commands.next(i + 1))[i];
      const deviceId = w.payload.deviceId;
      act.receive({ topic: `zigbee2mqtt/${deviceId}`, payload: command.payload });
      const chosen = wants(w.payload.features['temp.mean']);
      if (command.payload.fan !== chosen) {
        corrections++;
        act.receive({ topic: `zigbee2mqtt/${deviceId}`, payload: { fan: chosen, ts: w.payload.end + 1000 } });
      }
    }
    return corrections;
  }

  it('every correction labels the windows before it; msg.train retrains through the gate and the flow then acts as the household wants', async () => {
    await load({ feedbackCap: 1000 });
    const [commands, trained, refused, probe] = ['commands', 'trained', 'refused', 'probe'].map(collect);
    const corrections = await day(60, commands, getNode('act'), getNode('train'), getNode('predict'));
    assert.ok(corrections > 50, `${corrections} corrections`);
    await settle(200);
    getNode('train').receive({ train: true });
    const [result] = await trained.next(1, 60_000);
    assert.equal(result.payload.promotion.promoted, true, JSON.stringify(result.payload.promotion));
    assert.equal(result.payload.samples, corrections, 'one window labelled per correction (look-back = one window)');
    assert.equal(refused.messages.length, 0);
    // The live model now follows the household: fan on (hot) at 15 degrees, off (cold) at 35.
    getNode('probePredict').receive({ payload: { features: { 'temp.mean': 15, 'noise.mean': 1 } } });
    getNode('probePredict').receive({ payload: { features: { 'temp.mean': 35, 'noise.mean': 1 } } });
    const labels = (await probe.next(2)).map((m) => m.payload.prediction.label);
    assert.deepEqual(labels, ['hot', 'cold']);
  });

  async function flips(cap: number): Promise<{ status: string; promotion: Record<string, any>; warnings: string[] }> {
    await load({ feedbackCap: cap, feedbackWeight: 3, promote: 'better' });
    const [trained, refused] = ['trained', 'refused'].map(collect);
    const train = getNode('train');
    const truth = (temp: number) => (temp > 25 ? 'hot' : 'cold');
    const houseWindow = (i: number) => {
      const w = window(i);
      return { payload: { ...w.payload, deviceId: `room${i % 4}` }, label: truth(w.payload.features['temp.mean']) };
    };
    for (let i = 0; i < 80; i++) train.receive(houseWindow(i));
    // The switch: 100 windows of lamp9, each flipped against the house's truth within a minute.
    for (let i = 0; i < 100; i++) {
      const w = window(i);
      train.receive({ payload: { ...w.payload, deviceId: 'lamp9' } });
      const wrong = truth(w.payload.features['temp.mean']) === 'hot' ? 'cold' : 'hot';
      train.receive({ topic: 'lamp9', payload: { deviceId: 'lamp9', ts: w.payload.end + 1000, field: 'fan', automatic: 'x', chosen: 'x', label: wrong, commandId: `c${i}`, source: 'state' } });
    }
    for (let i = 80; i < 140; i++) train.receive(houseWindow(i));
    await settle(700); // the status shows changes at most every 500 ms
    const status = String(lastStatus(train)?.text);
    const warnings = ((train.warn as any).getCalls?.() ?? []).filter((c: any) => c.thisValue === train).map((c: any) => String(c.args[0]));
    train.receive({ train: true });
    await Promise.race([trained.next(1, 60_000), refused.next(1, 60_000)]);
    const result = trained.messages[0] ?? refused.messages[0];
    return { status, promotion: result.payload.promotion, warnings };
  }

  it('one person flipping a switch 100 times in a day: only feedbackCap corrections count (said once), and the house model holds', async () => {
    const { status, promotion, warnings } = await flips(5);
    assert.match(status, /5 model-train\.status\.corrections · 95 model-train\.status\.capped/);
    assert.equal(warnings.filter((w) => /more than 5 corrections today/.test(w)).length, 1);
    // Promoted only when no worse on the house's newest windows.
    assert.ok(!promotion.promoted || promotion.candidate >= promotion.live - promotion.tolerance, JSON.stringify(promotion));
    assert.ok(promotion.candidate >= 0.9, `the house is still predicted right: ${JSON.stringify(promotion)}`);
  });

  it('without the cap the same flips would make a worse model, and the promotion gate keeps it out', async () => {
    const { promotion } = await flips(1000);
    assert.equal(promotion.promoted, false, JSON.stringify(promotion));
    assert.equal(promotion.reason, 'worse');
  });
});
