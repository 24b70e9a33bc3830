/**
 * Regression tests, in the runtime, for the bugs the hostile-input work found (docs/reliability.md): each input
 * is finished with done() and bad data leaves on output 2 with a code, never through the Catch node.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { heapAfterGc } from '../helpers/memory';
import { collect, getNode, harness, helper, lastStatus, settle } from '../helpers/runtime';
import { runtimeWithUserDir } from '../helpers/userdir';
import featureWindow = require('../../src/nodes/feature-window');
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');
import modelTrain = require('../../src/nodes/model-train');
import sensorIngest = require('../../src/nodes/sensor-ingest');

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

describe('bounds: nodes in the runtime', function () {
  const userDir = runtimeWithUserDir('iot-ai-bounds-');

  /** The next input is finished with done() and never reaches the Catch node. */
  async function finishedCleanly(count = 1): Promise<void> {
    const completed = collect('completed');
    const caught = collect('caught');
    await completed.next(count, 10_000);
    await settle();
    assert.deepEqual(caught.messages.map((m) => m.error?.message), []);
  }

  describe('sensor-ingest', function () {
    // Node-RED deep-copies every message after the first it is given at once: n rejects that each carry a parsed
    // pack of n records cost n × n copies (4,000 bad records took 13 s and 1 GB before the bound).
    it('sends at most 100 rejects one by one for an object payload, then one too-large reject that counts the rest', async () => {
      await helper.load(sensorIngest, harness('sensor-ingest', {}));
      const out2 = collect('out2');
      const pack = Array.from({ length: 500 }, (_, i) => ({ bn: `d${i}:`, n: 't', v: 'bad' }));
      const done = finishedCleanly();
      getNode('n1').receive({ payload: pack });
      await done;
      assert.equal(out2.messages.length, 101);
      assert.deepEqual(out2.messages.slice(0, 100).map((m) => m.error.path), Array.from({ length: 100 }, (_, i) => `/${i}/v`));
      assert.equal(out2.messages[100].error.code, 'too-large');
      assert.match(out2.messages[100].error.message, /^400 more bad records/);
      assert.equal(out2.messages[100].payload.length, pack.length, 'the summary carries the payload too');
    });

    it('still sends one reject per bad record for text and Buffer payloads (shared, not copied)', async () => {
      await helper.load(sensorIngest, harness('sensor-ingest', {}));
      const out2 = collect('out2');
      const text = JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ bn: `d${i}:`, n: 't', v: 'bad' })));
      const done = finishedCleanly(2);
      getNode('n1').receive({ payload: text });
      getNode('n1').receive({ payload: Buffer.from(text) });
      await done;
      assert.equal(out2.messages.length, 1000);
      assert.ok(out2.messages.every((m) => m.error.code === 'type'));
    });

    it('a schema with an $id survives a redeploy (it used to fail: "schema with key or id already exists")', async () => {
      const flow = harness('sensor-ingest', { schema: '{"$id": "https://example.com/reading.json", "type": "object", "required": ["deviceId"]}' });
      await helper.load(sensorIngest, flow);
      await helper.setFlows(flow);
      await settle(100);
      const n1 = getNode('n1');
      assert.notEqual(lastStatus(n1)?.fill, 'red', JSON.stringify(lastStatus(n1)));
      const out2 = collect('out2');
      const done = finishedCleanly();
      n1.receive({ payload: { temp: 1 } });
      await done;
      assert.equal(out2.messages[0].error.code, 'schema');
    });
  });

  describe('feature-window', function () {
    it('an array of more than 10,000 readings is one too-large reject', async () => {
      await helper.load(featureWindow, harness('feature-window', { size: 10, unit: 's' }));
      const out2 = collect('out2');
      const done = finishedCleanly();
      getNode('n1').receive({ payload: Array.from({ length: 10_001 }, (_, i) => ({ deviceId: 'd1', sensor: 't', value: i, ts: T0 + i })) });
      await done;
      assert.deepEqual(out2.messages.map((m) => m.error.code), ['too-large']);
    });

    it('a long run of new sensor names on a few devices keeps memory bounded (at most 256 sensors a device)', async () => {
      await helper.load(featureWindow, harness('feature-window', { size: 10, unit: 's', maxKeys: 10 }));
      const n1 = getNode('n1');
      const completed = collect('completed');
      const before = heapAfterGc();
      // 200,000 readings, each of a sensor never seen before: without the bound, 200,000 series (about 280 MB).
      for (let batch = 0; batch < 200; batch++) {
        n1.receive({ payload: Array.from({ length: 1000 }, (_, i) => ({ deviceId: `d${i % 10}`, sensor: `s${batch}-${i}`, value: i, ts: T0 + batch })) });
        if (batch % 20 === 19) await completed.next(batch + 1, 30_000);
      }
      await completed.next(200, 30_000);
      (helper as unknown as { _sandbox: { resetHistory(): void } })._sandbox.resetHistory(); // the helper's spies hold every message
      const grownMb = (heapAfterGc() - before) / 1e6;
      assert.ok(grownMb < 60, `heap grew by ${grownMb.toFixed(1)} MB (bound 60 MB)`);
    });

    it('a reading timed beyond a Date (1e20) is a type reject; the node keeps answering', async () => {
      await helper.load(featureWindow, harness('feature-window', { window: 'sliding', size: 10, slide: 5, unit: 's' }));
      const out2 = collect('out2');
      const done = finishedCleanly(3);
      const n1 = getNode('n1');
      n1.receive({ payload: { deviceId: 'd1', sensor: 't', value: 1, ts: T0 } });
      n1.receive({ payload: { deviceId: 'd1', sensor: 't', value: 1, ts: 1e20 } });
      n1.receive({ flush: true });
      await done;
      assert.deepEqual(out2.messages.map((m) => m.error.code), ['type']);
    });
  });

  describe('model nodes', function () {
    const modelFlow = (type: string, props: Record<string, unknown> = {}) => [...harness(type, { model: 'cfg', ...props }), { id: 'cfg', type: 'ml-model', path: 'live.json', watch: false }];
    async function modelLoaded(): Promise<void> {
      while (!(getNode('cfg') as unknown as { state(): { model?: unknown } }).state().model) await settle(20);
    }

    it('model-predict: a null or missing payload is a features error on output 2, not a fault (Node-RED\'s property reader throws)', async () => {
      await helper.load([mlModel, modelPredict], modelFlow('model-predict'));
      await modelLoaded();
      const out2 = collect('out2');
      const done = finishedCleanly(3);
      getNode('n1').receive({ payload: null });
      getNode('n1').receive({});
      getNode('n1').receive({ payload: [null, { features: null }] });
      await done;
      assert.deepEqual(out2.messages.map((m) => m.error.code), ['features', 'features', 'features', 'features']);
    });

    it('model-predict: a batch of more than 10,000 payloads is one too-large error', async () => {
      await helper.load([mlModel, modelPredict], modelFlow('model-predict'));
      await modelLoaded();
      const out2 = collect('out2');
      const done = finishedCleanly();
      getNode('n1').receive({ payload: Array.from({ length: 10_001 }, () => ({ features: { 'temp.mean': 30, 'noise.mean': 1 } })) });
      await done;
      assert.deepEqual(out2.messages.map((m) => m.error.code), ['too-large']);
    });

    it('model-train: msg.export naming a folder, or a link out of the export folder, is a path error on output 2', async () => {
      const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-outside-'));
      try {
        const exports = path.join(userDir.dir(), 'iot-ai-exports');
        fs.mkdirSync(path.join(exports, 'a-folder'), { recursive: true });
        fs.symlinkSync(outside, path.join(exports, 'link'));
        fs.writeFileSync(path.join(exports, 'live.json'), '{}');
        await helper.load([mlModel, modelTrain], modelFlow('model-train'));
        const out2 = collect('out2');
        const done = finishedCleanly(4);
        for (const target of ['a-folder', 'link/stolen.csv', 'live.json/inner.csv', '../up.csv']) getNode('n1').receive({ export: target });
        await done;
        assert.deepEqual(out2.messages.map((m) => m.error.code), ['path', 'path', 'path', 'path']);
        assert.deepEqual(fs.readdirSync(outside), []);
      } finally {
        fs.rmSync(outside, { recursive: true, force: true });
      }
    });
  });
});
