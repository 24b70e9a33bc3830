/**
 * Agreement as weak labels in the real runtime (issue #29): actuator-command's `keptAfter` sends `source: "kept"`
 * events on output 3 for commands nobody corrected, and model-train (keptWeight) learns from them beside the
 * corrections: a household that corrects only one kind of command no longer leaves the model a single label.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { saveModel } from '../../src/core/model';
import { helper, collect, getNode, settle, lastStatus, withUserDir } from '../helpers/runtime';
import { toyClassifier } from '../helpers/models';
import actuatorCommand = require('../../src/nodes/actuator-command');
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');
import modelTrain = require('../../src/nodes/model-train');

const RULES = [
  { label: 'hot', command: { fan: 'ON' } },
  { label: 'cold', command: { fan: 'OFF' } },
];
const KEPT_AFTER = 120;

describe('actuator-command keptAfter → model-train: agreement as weak labels (#29)', function () {
  this.timeout(120_000);
  const userDir = withUserDir('iot-ai-kept-');
  let modelPath: string;

  beforeEach(async () => {
    modelPath = path.join(userDir(), 'live.json');
    // The generic model: hot (fan on) above 25. This household also wants the fan on below 15 (and agrees otherwise).
    await saveModel(modelPath, await toyClassifier('1.0.0'));
  });

  const T0 = Date.UTC(2024, 5, 3, 6, 0, 0);
  const wants = (temp: number) => (temp < 15 || temp > 25 ? 'ON' : 'OFF');

  async function run(keptAfter: number): Promise<{ result: any; kept: number; corrections: number; actStatus: string; trainStatus: string }> {
    const nodes = [
      { id: 'f1', type: 'tab', label: 'test' },
      { id: 'cfg', type: 'ml-model', path: modelPath, watch: false },
      { id: 'predict', type: 'model-predict', model: 'cfg', property: 'payload.features', wires: [['act'], []] },
      { id: 'act', type: 'actuator-command', rules: RULES, ack: 'state', onChangeOnly: false, keptAfter, wires: [['commands'], [], ['train', 'feedback']] },
      { id: 'train', type: 'model-train', model: 'cfg', trees: 15, feedbackLookback: 0, feedbackWeight: 2, keptWeight: 1, feedbackCap: 100, testFraction: 0.25, wires: [['trained'], ['refused']] },
      ...['commands', 'feedback', 'trained', 'refused'].map((id) => ({ id, type: 'helper' })),
    ].map((n) => (n.type === 'tab' || n.type === 'ml-model' ? n : { z: 'f1', x: 100, y: 100, ...n }));
    await helper.load([mlModel, modelPredict, actuatorCommand, modelTrain], nodes);
    const cfg = getNode('cfg');
    for (let i = 0; i < 100 && cfg.state().model === undefined; i++) await settle(20);
    const [commands, feedback, trained, refused] = ['commands', 'feedback', 'trained', 'refused'].map(collect);
    const [act, train, predict] = ['act', 'train', 'predict'].map(getNode);
    let corrections = 0;
    for (let i = 0; i < 48; i++) {
      const end = T0 + i * 60_000;
      const temp = 5 + ((i * 7) % 40) * 0.8;
      const w = { payload: { deviceId: 'fan1', start: end - 60_000, end, features: { 'temp.mean': temp, 'noise.mean': i % 5 } } };
      train.receive(w);
      predict.receive(w);
      const command = (await commands.next(i + 1))[i];
      act.receive({ topic: 'zigbee2mqtt/fan1', payload: command.payload }); // the device takes it
      if (command.payload.fan !== wants(temp)) {
        corrections++;
        act.receive({ topic: 'zigbee2mqtt/fan1', payload: { fan: wants(temp), ts: end } });
      }
      // The command stands long enough to be kept (when keptAfter is on) before the next window replaces it.
      await settle(KEPT_AFTER + 40);
    }
    await settle(700); // the status shows changes at most every 500 ms
    const kept = feedback.messages.filter((m) => m.payload.source === 'kept').length;
    const actStatus = String(lastStatus(act)?.text);
    const trainStatus = String(lastStatus(train)?.text);
    train.receive({ train: true });
    await Promise.race([trained.next(1, 60_000), refused.next(1, 60_000)]);
    return { result: trained.messages[0] ?? refused.messages[0], kept, corrections, actStatus, trainStatus };
  }

  it('corrections alone: only the corrected windows are labelled (the model learns from its mistakes only)', async () => {
    const { result, kept, corrections } = await run(0);
    assert.ok(corrections >= 8, `${corrections} corrections`);
    assert.equal(kept, 0);
    assert.equal(result.error?.code ?? result.payload.samples, result.error ? 'labels' : corrections, JSON.stringify(result.error ?? result.payload));
  });

  it('with keptAfter the commands nobody corrected label their windows too: both labels, retrained and promoted through the gate', async () => {
    const { result, kept, corrections, actStatus, trainStatus } = await run(KEPT_AFTER);
    assert.ok(corrections >= 8, `${corrections} corrections`);
    assert.equal(kept + corrections, 48, 'every command is either corrected or kept');
    assert.match(actStatus, new RegExp(`${kept} actuator-command\\.status\\.kept`));
    assert.match(trainStatus, new RegExp(`${kept} model-train\\.status\\.kept`));
    assert.equal(result.error, undefined, JSON.stringify(result.error));
    assert.equal(result.payload.samples, 48);
    assert.equal(result.payload.promotion.promoted, true, JSON.stringify(result.payload.promotion));
  });
});
