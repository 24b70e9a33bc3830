/**
 * Model file faults while a flow predicts (docs/reliability.md): a truncated file, one that fails the schema,
 * one whose feature names do not fit its forest, an empty or vanished file, and a file written in two halves
 * with a pause between them. Each is refused with a clear reason in the status, and the last good model keeps
 * answering every prediction; a good file afterwards is taken up without a redeploy.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { saveModel, serializeModel, type ModelFile } from '../../src/core/model';
import { toyClassifier } from '../helpers/models';
import { collect, getNode, harness, helper, lastStatus, settle, type HelperNode } from '../helpers/runtime';
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');

type ModelConfig = HelperNode & { state(): { model?: { version: string }; error?: string } };

describe('model faults: a refused file never interrupts predictions', function () {
  this.timeout(30_000);
  let dir: string;
  let modelPath: string;
  let good: ModelFile;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-model-faults-'));
    modelPath = path.join(dir, 'live.json');
    good = await toyClassifier('1.0.0', 5);
    await saveModel(modelPath, good);
    await helper.startServer();
    await helper.load([mlModel, modelPredict], [...harness('model-predict', { model: 'cfg' }), { id: 'cfg', type: 'ml-model', path: modelPath, watch: true }]);
    const cfg = getNode('cfg') as ModelConfig;
    for (let i = 0; i < 200 && !cfg.state().model; i++) await settle(20);
    assert.equal(cfg.state().model?.version, '1.0.0');
  });
  let stopProbing: (() => void) | undefined;
  afterEach(async () => {
    stopProbing?.();
    await helper.unload();
    await helper.stopServer();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Predicts every 20 ms and records the version that answered; anything else fails the test. */
  function probe() {
    const out1 = collect('out1');
    const out2 = collect('out2');
    const caught = collect('caught');
    const n1 = getNode('n1');
    const timer = setInterval(() => n1.receive({ payload: { features: { 'temp.mean': 30, 'noise.mean': 1 } } }), 20);
    stopProbing = () => clearInterval(timer);
    return {
      versions: () => out1.messages.map((m) => m.payload.prediction.model.version as string),
      async stop() {
        clearInterval(timer);
        await settle(100);
        assert.deepEqual(out2.messages.map((m) => m.error), [], 'no prediction failed');
        assert.deepEqual(caught.messages.map((m) => m.error.message), [], 'no prediction reached the Catch node');
      },
    };
  }

  async function refusal(pattern: RegExp): Promise<string> {
    const cfg = getNode('cfg') as ModelConfig;
    const n1 = getNode('n1');
    for (let i = 0; i < 150 && !pattern.test(cfg.state().error ?? ''); i++) await settle(20);
    const error = cfg.state().error ?? '';
    assert.match(error, pattern);
    assert.equal(cfg.state().model?.version, '1.0.0', 'the last good model stays live');
    // The status is refreshed at most twice a second.
    for (let i = 0; i < 100 && !/reloadFailed|reload refused/.test(String(lastStatus(n1)?.text)); i++) await settle(20);
    const status = lastStatus(n1);
    assert.equal(status?.fill, 'yellow');
    assert.match(String(status?.text), /v1\.0\.0.*(reloadFailed|reload refused)/, 'the status names the model still serving and the refusal');
    return error;
  }

  async function recovers(version: string): Promise<void> {
    await saveModel(modelPath, { ...good, version });
    const cfg = getNode('cfg') as ModelConfig;
    for (let i = 0; i < 150 && cfg.state().model?.version !== version; i++) await settle(20);
    assert.equal(cfg.state().model?.version, version);
    assert.equal(cfg.state().error, undefined);
  }

  const faults: Array<[string, () => string, RegExp]> = [
    ['a truncated file', () => serializeModel(good).slice(0, 300), /ends too early \(truncated\?\)/],
    ['an empty file', () => '', /empty/],
    ['a file that fails the model schema', () => JSON.stringify({ ...good, task: 'astrology' }), /does not match the schema/],
    ['a file of another format', () => JSON.stringify({ ...good, format: 'iot-ai/random-forest@9' }), /unsupported model format/],
    ['feature names that do not fit the forest', () => JSON.stringify({ ...good, featureNames: ['temp.mean'] }), /featureNames has 1 names but the forest uses 2 features/],
    ['duplicate feature names', () => JSON.stringify({ ...good, featureNames: ['temp.mean', 'temp.mean'] }), /does not match the schema/],
    // JSON.parse reads 1e999 as Infinity: a leaf no prediction could be finite through (issue #14.16).
    ['a class labelled "__proto__" (a message copy would drop it from probabilities)', () => JSON.stringify({ ...good, labels: (good.labels ?? []).map((l, i) => (i === 0 ? '__proto__' : l)) }), /label "__proto__" cannot key prediction\.probabilities/],
    ['a leaf too large for a double (1e999)', () => serializeModel(good).replace(/"value":\[-?[\d.e+-]+/, '"value":[1e999'), /\/forest\/trees\/0\/value\/0 is not a finite number \(Infinity\)/],
  ];

  for (const [what, text, reason] of faults) {
    it(`${what}: refused with the reason in the status, the last good model keeps serving`, async () => {
      const probes = probe();
      await settle(100);
      fs.writeFileSync(modelPath, text());
      await refusal(reason);
      await settle(100);
      await recovers('1.0.1');
      await settle(100);
      await probes.stop();
      const versions = probes.versions();
      assert.ok(versions.length > 10, `${versions.length} predictions`);
      assert.deepEqual([...new Set(versions)], ['1.0.0', '1.0.1'], 'v1.0.0 until the good file, then v1.0.1');
    });
  }

  it('a file that vanishes: refused (cannot read), the last good model keeps serving', async () => {
    const probes = probe();
    fs.rmSync(modelPath);
    await refusal(/cannot read .*ENOENT/);
    await recovers('1.0.2');
    await settle(100);
    await probes.stop();
    assert.deepEqual([...new Set(probes.versions())], ['1.0.0', '1.0.2']);
  });

  it('a new model written in two halves with a pause: the half is refused, the whole is taken, no prediction fails', async () => {
    const next = serializeModel({ ...good, version: '2.0.0' });
    const probes = probe();
    await settle(100);
    const half = Math.floor(next.length / 2);
    fs.writeFileSync(modelPath, next.slice(0, half));
    await refusal(/truncated/);
    await settle(300); // longer than the reload debounce: the half file really was read
    fs.appendFileSync(modelPath, next.slice(half));
    const cfg = getNode('cfg') as ModelConfig;
    for (let i = 0; i < 150 && cfg.state().model?.version !== '2.0.0'; i++) await settle(20);
    assert.equal(cfg.state().model?.version, '2.0.0');
    await settle(100);
    await probes.stop();
    const versions = probes.versions();
    const switched = versions.indexOf('2.0.0');
    assert.ok(switched > 0, 'answered by v1.0.0 first, then v2.0.0');
    assert.ok(versions.slice(0, switched).every((v) => v === '1.0.0') && versions.slice(switched).every((v) => v === '2.0.0'), versions.join(','));
    for (let i = 0; i < 50 && !/v2\.0\.0/.test(String(lastStatus(getNode('n1'))?.text)); i++) await settle(20);
    assert.match(String(lastStatus(getNode('n1'))?.text), /v2\.0\.0/);
  });
});
