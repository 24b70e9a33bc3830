import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel, saveModel } from '../../src/core/model';
import { needsImport } from '../../src/core/model/import/import-model';
import { helper, harness, collect, getNode, lastStatus } from '../helpers/runtime';
import { toyClassifier } from '../helpers/models';
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');
import modelTrain = require('../../src/nodes/model-train');
import actuatorCommand = require('../../src/nodes/actuator-command');

const root = path.resolve(__dirname, '..', '..');

/**
 * The node's register function with the runtime's message catalogs (the test helper's RED._ returns bare keys):
 * texts read as users read them, substitutions included.
 */
function withMessages<T extends (red: any) => unknown>(register: T): T {
  const catalog: Record<string, unknown> = {};
  for (const type of fs.readdirSync(path.join(root, 'src', 'nodes'))) {
    const file = path.join(root, 'src', 'nodes', type, 'locales', 'en-US', 'messages.json');
    if (fs.existsSync(file)) Object.assign(catalog, JSON.parse(fs.readFileSync(file, 'utf8')));
  }
  const translate = (key: string, subs: Record<string, unknown> = {}): string => {
    const found = key.split('.').reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[part], catalog);
    return typeof found === 'string' ? found.replace(/__(\w+)__/g, (_m, name: string) => String(subs[name])) : key;
  };
  return ((red: any) => {
    red._ = translate;
    return register(red);
  }) as T;
}

describe('a model and its window (ml-model endpoints, model-predict hints, model-train)', function () {
  let dir: string;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-window-'));
    helper.settings({ userDir: dir });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const configOnly = (props: Record<string, unknown>) => [{ id: 'cfg', type: 'ml-model', ...props }];

  describe('admin endpoints', () => {
    it('GET /iot-ai/models/bundled/:name: the bundled model\'s features, labels and the window it was trained with', async () => {
      await helper.load(mlModel, configOnly({ bundled: 'home-occupancy' }));
      const res = await helper.request().get('/iot-ai/models/bundled/home-occupancy').expect(200);
      assert.equal(res.body.name, 'home-occupancy');
      assert.ok(res.body.featureNames.includes('temperature.slope'));
      assert.deepEqual([...res.body.labels].sort(), ['empty', 'occupied']);
      assert.equal(res.body.windowSource, 'file');
      assert.deepEqual(res.body.window, { window: 'tumbling', size: 60, unit: 's', sensors: ['temperature', 'humidity', 'light', 'co2', 'motion'], features: ['mean', 'std', 'min', 'max', 'slope'], fill: 'previous' });
      await helper.request().get('/iot-ai/models/bundled/nope').expect(404);
      await helper.request().get('/iot-ai/models/bundled/..%2Fpackage').expect(404);
    });

    it('GET /iot-ai/models/file?path=: a model inside the user directory; its window read from the feature names when the file keeps none', async () => {
      await saveModel(path.join(dir, 'models', 'toy.json'), await toyClassifier());
      await helper.load(mlModel, configOnly({ path: 'models/toy.json' }));
      const res = await helper.request().get('/iot-ai/models/file').query({ path: 'models/toy.json' }).expect(200);
      assert.deepEqual(res.body.labels, ['cold', 'hot']);
      assert.equal(res.body.windowSource, 'feature-names');
      assert.deepEqual(res.body.window, { sensors: ['temp', 'noise'], features: ['mean'] });
      const missing = await helper.request().get('/iot-ai/models/file').query({ path: 'models/later.json' }).expect(404);
      assert.match(missing.body.error, /does not exist/);
      fs.writeFileSync(path.join(dir, 'notes.json'), '{"secret": "do not echo"}');
      const refused = await helper.request().get('/iot-ai/models/file').query({ path: 'notes.json' }).expect(422);
      assert.doesNotMatch(refused.body.error, /do not echo/);
      // Not JSON at all (settings.js, say): Node's JSON.parse message would quote the text.
      fs.writeFileSync(path.join(dir, 'settings.js'), 'module.exports = { credentialSecret: "do not echo" }');
      const notJson = await helper.request().get('/iot-ai/models/file').query({ path: 'settings.js' }).expect(422);
      assert.match(notJson.body.error, /not valid JSON/);
      assert.doesNotMatch(notJson.body.error, /do not echo|module/);
    });

    it('never reads outside the user directory: ../, absolute paths and links that lead out are refused', async () => {
      const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-outside-'));
      try {
        await saveModel(path.join(outside, 'm.json'), await toyClassifier());
        fs.symlinkSync(outside, path.join(dir, 'link'));
        await helper.load(mlModel, configOnly({ bundled: 'home-occupancy' }));
        for (const p of [path.join(outside, 'm.json'), `../${path.basename(outside)}/m.json`, 'link/m.json', '/etc/passwd', '']) {
          const res = await helper.request().get('/iot-ai/models/file').query({ path: p });
          assert.ok(res.status === 403 || res.status === 400, `${p}: ${res.status}`);
          assert.equal(res.body.featureNames, undefined);
        }
      } finally {
        fs.rmSync(outside, { recursive: true, force: true });
      }
    });

    it('GET /iot-ai/models/node/:id: a deployed ml-model\'s live model', async () => {
      await helper.load(mlModel, configOnly({ bundled: 'health-activity' }));
      let res;
      for (let i = 0; i < 100; i++) {
        res = await helper.request().get('/iot-ai/models/node/cfg');
        if (res.status === 200) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(res!.status, 200);
      assert.equal(res!.body.name, 'health-activity');
      assert.deepEqual(res!.body.window.sensors, ['heartRate', 'accel', 'skinTemp']);
      await helper.request().get('/iot-ai/models/node/nothing').expect(404);
    });
  });

  it('model-predict: a missing feature names the features the model needs and the window that computes them', async () => {
    await helper.load([mlModel, withMessages(modelPredict)], [...harness('model-predict', { model: 'cfg' }), ...configOnly({ bundled: 'home-occupancy' })]);
    const out2 = collect('out2');
    // What a fresh feature-window (mean std min max last count) computes: no slope.
    const features: Record<string, number> = {};
    for (const s of ['temperature', 'humidity', 'light', 'co2', 'motion']) for (const f of ['mean', 'std', 'min', 'max', 'last', 'count']) features[`${s}.${f}`] = 1;
    for (let i = 0; i < 100 && out2.messages.length === 0; i++) {
      getNode('n1').receive({ payload: { deviceId: 'kitchen', features } });
      await new Promise((r) => setTimeout(r, 50));
    }
    const [error] = await out2.next(1);
    assert.equal(error.error.code, 'features');
    assert.match(error.error.message, /^feature "temperature\.slope" is missing: the model needs 25 features \("temperature\.mean", "temperature\.std", .* and 20 more\)/);
    assert.match(error.error.message, /sensors temperature, humidity, light, co2, motion with features mean, std, min, max, slope/);
    assert.match(error.error.message, /configure a feature-window for it/);
  });

  it('model-train writes the window into the model: the live model\'s when it still computes every feature', async () => {
    const modelPath = path.join(dir, 'live.json');
    const seed = await toyClassifier();
    await saveModel(modelPath, { ...seed, window: { window: 'sliding', size: 30, slide: 10, unit: 's', sensors: ['temp', 'noise'], features: ['mean', 'max'] } });
    await helper.load([mlModel, modelTrain], [...harness('model-train', { model: 'cfg', trees: 5 }), { id: 'cfg', type: 'ml-model', path: modelPath, watch: false }]);
    const out1 = collect('out1');
    const n1 = getNode('n1');
    for (let i = 0; i < 60; i++) {
      const temp = 10 + (i % 40) * 0.8;
      n1.receive({ payload: { deviceId: 'd', features: { 'temp.mean': temp, 'noise.mean': i % 5 } }, label: temp < 25 ? 'hot' : 'cold' });
    }
    n1.receive({ train: true });
    await out1.next(1, 30000);
    const written = loadModel(fs.readFileSync(modelPath));
    assert.ok(written.ok);
    assert.deepEqual(written.model.file.window, { window: 'sliding', size: 30, slide: 10, unit: 's', sensors: ['temp', 'noise'], features: ['mean', 'max'] });
  });

  it('actuator-command: when every prediction so far matched no rule, the status says which labels came', async () => {
    await helper.load(withMessages(actuatorCommand), harness('actuator-command', { rules: [{ label: 'on', command: { state: 'ON' } }, { label: 'off', command: { state: 'OFF' } }] }));
    const out2 = collect('out2');
    const n1 = getNode('n1');
    for (let i = 0; i < 6; i++) n1.receive({ payload: { deviceId: 'room', prediction: { label: i % 2 ? 'occupied' : 'empty', confidence: 1 } } });
    await out2.next(6);
    let status: Record<string, any> | undefined;
    for (let i = 0; i < 40; i++) {
      status = lastStatus(n1);
      if (status?.text?.startsWith('no rule')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status?.fill, 'yellow');
    assert.equal(status?.text, 'no rule matches labels: "empty", "occupied" (6 predictions, all no-rule)');
    // One match and the hint is gone for good: counts again.
    n1.receive({ payload: { deviceId: 'room', prediction: { label: 'on', confidence: 1 } } });
    await out2.next(7);
    for (let i = 0; i < 40; i++) {
      status = lastStatus(n1);
      if (!status?.text?.startsWith('no rule')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(status?.text ?? '', /^1 sent · 6 suppressed/);
  });

  it('every bundled model keeps the window it was trained with, and that window computes each of its features', () => {
    for (const file of fs.readdirSync(path.join(root, 'models')).filter((f) => f.endsWith('.json'))) {
      // The "bring your own model" sample is XGBoost's own file, converted at load: it has no window of ours.
      if (needsImport(fs.readFileSync(path.join(root, 'models', file)), file)) continue;
      const loaded = loadModel(fs.readFileSync(path.join(root, 'models', file)));
      assert.ok(loaded.ok, file);
      const { window, featureNames } = loaded.model.file;
      assert.ok(window?.size && window.unit && window.sensors && window.features, `${file} keeps its window`);
      for (const name of featureNames) {
        // The calendar features (the forecast models') are the window's own, of no sensor: `calendar` computes them.
        if (name.startsWith('calendar.')) {
          assert.ok(window.features!.includes('calendar'), `${file}: ${name}`);
          continue;
        }
        const [sensor, feature] = [name.slice(0, name.lastIndexOf('.')), name.slice(name.lastIndexOf('.') + 1)];
        assert.ok(window.sensors!.includes(sensor) && window.features!.includes(feature), `${file}: ${name}`);
      }
    }
  });
});
