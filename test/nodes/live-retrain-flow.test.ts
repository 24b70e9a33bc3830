import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { helper, coreNode, getNode, withUserDir } from '../helpers/runtime';
import featureWindow = require('../../src/nodes/feature-window');
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');
import modelTrain = require('../../src/nodes/model-train');
import sensorIngest = require('../../src/nodes/sensor-ingest');
import sensorSim = require('../../src/nodes/sensor-sim');

const root = path.resolve(__dirname, '..', '..');

/** A weekday morning, as in the sample-flow e2e tests; simulated time runs SPEED× the wall clock. */
const START = Date.UTC(2024, 5, 5, 6, 0, 0);
const SPEED = 100;

/**
 * The README's walk through flows/live-retrain.json, in a real runtime: the flow as shipped, its simulated rooms
 * sped up and its debug nodes replaced by test helpers. "wrong labels" makes the next retrain lose to the live
 * model on the newest windows (kept, with both scores); a later retrain, once right labels outweigh the wrong ones,
 * is promoted.
 */
describe('sample flow live-retrain: the promotion gate at work', function () {
  this.timeout(240_000);
  const userDir = withUserDir('iot-ai-live-retrain-');

  it('refuses the retrain after "wrong labels" with both scores, then promotes one once right labels outweigh them', async () => {
    const flow = JSON.parse(fs.readFileSync(path.join(root, 'flows', 'live-retrain.json'), 'utf8'));
    for (const node of flow) {
      if (node.type === 'sensor-sim') Object.assign(node, { speed: SPEED, startTime: START });
      if (node.type === 'debug') Object.assign(node, { type: 'helper' });
    }
    await helper.load([coreNode('common/20-inject.js'), coreNode('common/90-comment.js'), coreNode('function/15-change.js'), coreNode('function/10-switch.js'), sensorSim, sensorIngest, featureWindow, mlModel, modelPredict, modelTrain], flow);
    // Every retrain's outcome in order: promoted on output 1 ("trained"), kept on output 2 ("refused").
    const outcomes: Array<Record<string, any>> = [];
    const refusals: Array<Record<string, any>> = [];
    getNode('retrain-debug-trained').on('input', (msg) => msg.payload?.promotion && outcomes.push(msg.payload.promotion));
    getNode('retrain-debug-refused').on('input', (msg) => {
      if (msg.error?.code !== 'not-promoted') return;
      refusals.push(msg);
      outcomes.push(msg.payload.promotion);
    });
    let seen = 0;
    const nextOutcome = async (): Promise<Record<string, any>> => {
      const deadline = Date.now() + 60_000;
      while (outcomes.length <= seen && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      if (outcomes.length <= seen) throw new Error(`no retrain outcome within a minute: ${JSON.stringify(outcomes)}`);
      return outcomes[seen++];
    };

    const first = await nextOutcome();
    assert.equal(typeof first.candidate, 'number', JSON.stringify(first));

    getNode('retrain-wrong').receive({});
    // A retrain already running when the button is pressed (the rooms run 100x the wall clock, and a loaded machine
    // slows the worker) still learnt from right labels: the first one to learn from the swapped labels is refused.
    let afterWrong = await nextOutcome();
    for (let i = 0; i < 2 && afterWrong.promoted; i++) afterWrong = await nextOutcome();
    assert.equal(afterWrong.promoted, false, JSON.stringify(outcomes));
    assert.equal(afterWrong.reason, 'worse');
    assert.ok(afterWrong.candidate < afterWrong.live - afterWrong.tolerance, JSON.stringify(afterWrong));
    assert.match(refusals[refusals.length - 1].error.message, /kept as a candidate: accuracy/);

    let promoted: Record<string, any> | undefined;
    for (let i = 0; i < 12 && promoted === undefined; i++) {
      const outcome = await nextOutcome();
      if (outcome.promoted) promoted = outcome;
    }
    assert.ok(promoted, `a retrain was promoted after the right labels came back: ${JSON.stringify(outcomes)}`);
    assert.equal(promoted.reason, 'no-worse');
    const live = JSON.parse(fs.readFileSync(path.join(userDir(), 'models', 'occupancy-live.json'), 'utf8'));
    assert.equal(live.name, 'occupancy-live');
    // For the README: what each retrain scored against the live model.
    console.log(outcomes.map((o) => `${o.promoted ? 'promoted' : 'kept'} ${o.reason} ${o.candidate?.toFixed(3)} vs ${o.live?.toFixed(3)} on ${o.heldOut}`).join('\n'));
  });
});
