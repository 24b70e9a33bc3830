/**
 * Issue #20: one config-error path for every node's glue (src/nodes/shared/config.ts, readNodeConfig). A config
 * its core reader refuses is one error in the log at deploy (`<node's errors.config words>: <reader's message>`),
 * a red ring with the reader's message, and every message refused with it (done(err): Catch, never Complete, no
 * output). Before, sensor-ingest did it its own way (it still wired its whole input handler) and the others
 * each had a copy.
 */
import { strict as assert } from 'node:assert';
import { collect, getNode, harness, helper, lastStatus, settle } from '../helpers/runtime';
import { readNodeConfig } from '../../src/nodes/shared/config';
import actuatorCommand = require('../../src/nodes/actuator-command');
import anomalyDetect = require('../../src/nodes/anomaly-detect');
import featureWindow = require('../../src/nodes/feature-window');
import sensorIngest = require('../../src/nodes/sensor-ingest');
import sensorSim = require('../../src/nodes/sensor-sim');
import modelPredict = require('../../src/nodes/model-predict');
import modelTrain = require('../../src/nodes/model-train');
import mlModel = require('../../src/nodes/ml-model');

const CASES: Array<{ type: string; node: unknown; props: Record<string, unknown>; outputs: number; error: RegExp; input: unknown; extra?: object[] }> = [
  { type: 'sensor-ingest', node: sensorIngest, props: { schema: '{"type": 12' }, outputs: 2, error: /^schema is not valid JSON/, input: { deviceId: 'a', t: 1 } },
  { type: 'feature-window', node: featureWindow, props: { window: 'sliding', size: 60, unit: 's', slide: '' }, outputs: 2, error: /slide is required/, input: { deviceId: 'a', sensor: 't', value: 1, ts: 1 } },
  { type: 'actuator-command', node: actuatorCommand, props: { rules: [] }, outputs: 2, error: /rules is empty/, input: { prediction: { label: 'on' } } },
  { type: 'sensor-sim', node: sensorSim, props: { scenario: 'home', devices: 0, speed: 'fast' }, outputs: 1, error: /^devices must be at least 1, got 0; speed must be a number/, input: 'start' },
  { type: 'anomaly-detect', node: anomalyDetect, props: { method: 'magic', memory: 'long' }, outputs: 2, error: /method/, input: { deviceId: 'a', features: { x: 1 } } },
  { type: 'model-train', node: [mlModel, modelTrain], props: { model: 'cfg', task: 'anomaly', maxSamples: 50, warmup: 100 }, outputs: 2, error: /maxSamples \(50\) must be at least warmup/, input: { deviceId: 'a', features: { x: 1 } }, extra: [{ id: 'cfg', type: 'ml-model', path: 'never-written.json' }] },
  { type: 'model-predict', node: modelPredict, props: { driftWindow: 3 }, outputs: 2, error: /driftWindow/, input: { deviceId: 'a', features: { x: 1 } } },
];

describe('a node with a bad config (one path for every node, #20)', function () {
  this.timeout(20_000);
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  for (const { type, node, props, outputs, error, input, extra } of CASES) {
    it(`${type}: one error in the log at deploy, a red ring, and every message refused with done(err)`, async () => {
      // A config node (ml-model) stays one: outside the tab, no position.
      await helper.load(node as never, [...harness(type, props, outputs), ...(extra ?? [])]);
      const n1 = getNode('n1');
      const logged = (n1.error as any).getCalls().map((c: any) => String(c.args[0]));
      assert.equal(logged.length, 1, logged.join('\n'));
      const [title, ...rest] = logged[0].split(': ');
      const readerError = rest.join(': ');
      assert.match(title, new RegExp(`^${type}\\.errors\\.config$|configuration`), 'the node\'s own words come first');
      assert.match(readerError, error);
      const status = lastStatus(n1);
      assert.deepEqual({ fill: status?.fill, shape: status?.shape }, { fill: 'red', shape: 'ring' });
      assert.ok(readerError.startsWith(String(status?.text).replace(/…$/, '')), `status ${status?.text}`);

      const caught = collect('caught');
      const completed = collect('completed');
      const outs = Array.from({ length: outputs }, (_, i) => collect(`out${i + 1}`));
      n1.receive({ payload: input });
      n1.receive({ payload: input });
      const refused = await caught.next(2);
      // Node-RED's Catch gives error.message as the Error's text ("Error: ...").
      for (const { error: err } of refused) assert.equal(String(err.message).replace(/^Error: /, ''), logged[0]);
      await settle(200);
      assert.equal(completed.messages.length, 0, 'a refused message is not complete');
      for (const out of outs) assert.equal(out.messages.length, 0);
    });
  }

  it('readNodeConfig: a good config is returned and each correction is a warning; a bad one wires only the refusal', () => {
    const calls: string[] = [];
    const handlers: Record<string, (...args: any[]) => void> = {};
    const fake = {
      error: (m: unknown) => calls.push(`error ${m}`),
      warn: (m: unknown) => calls.push(`warn ${m}`),
      status: (s: { fill?: string; text?: string }) => calls.push(`status ${s.fill} ${s.text}`),
      on: (event: string, handler: (...args: any[]) => void) => (handlers[event] = handler),
    };
    assert.deepEqual(readNodeConfig(fake as never, { ok: true, config: { a: 1 }, warnings: ['raised to 100'] }, 'x configuration'), { a: 1 });
    assert.deepEqual(calls.splice(0), ['warn raised to 100']);
    assert.deepEqual(Object.keys(handlers), []);
    assert.equal(readNodeConfig(fake as never, { ok: false, error: 'size must be a number' }, 'x configuration'), undefined);
    assert.deepEqual(calls.splice(0), ['error x configuration: size must be a number', 'status red size must be a number']);
    let doneWith: Error | undefined;
    handlers.input({}, () => {}, (err?: Error) => (doneWith = err));
    assert.equal(doneWith?.message, 'x configuration: size must be a number');
    let closed = false;
    handlers.close(false, () => (closed = true));
    assert.ok(closed);
  });
});
