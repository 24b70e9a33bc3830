import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { CompiledForest } from '../../src/core/model/forest/compiled-forest';
import { loadAnyModel } from '../../src/core/model/import/import-model';
import { TreeForest } from '../../src/core/model/forest/forest-format';
import { DeviceAnomalyPart, LoadedModel, loadModel, ModelFile, parseModelFile } from '../../src/core/model/file/model-file';
import { modelFileValidator } from '../../src/core/model/file/schema';
import { loadModelFile, saveModel, serializeModel, writeFileAtomic } from '../../src/core/model/file/store';
import { trainAnomalyModel } from '../../src/core/model/train/train-anomaly';
import { trainModel } from '../../src/core/model/train/train-model';
import { versionFileName } from '../../src/core/model/file/version';
import { regressionData, threeClassData } from './model-test-data';

const FEATURES = ['temp.mean', 'hum.mean', 'light/max', 'co2.slope', 'noise.rms'];
const LABELS = ['idle', 'cooking', 'sleeping'];

async function classificationModel(): Promise<ModelFile> {
  const data = threeClassData(400, 21);
  const { model } = await trainModel(
    { featureNames: FEATURES, rows: data.rows, task: 'classification', target: data.target, labels: LABELS },
    { name: 'kitchen', version: '2.1.0', createdAt: new Date('2024-06-01T12:00:00Z'), forest: { nTrees: 7, seed: 3 } },
  );
  return model;
}

async function regressionModel(): Promise<ModelFile> {
  const data = regressionData(300, 22);
  const { model } = await trainModel(
    { featureNames: FEATURES, rows: data.rows, task: 'regression', target: data.target },
    { name: 'power', createdAt: new Date('2024-06-01T12:00:00Z'), forest: { nTrees: 5 } },
  );
  return model;
}

/** A deep copy to edit. */
function edited(model: ModelFile, edit: (copy: ModelFile & Record<string, unknown>) => void): string {
  const copy = JSON.parse(JSON.stringify(model)) as ModelFile & Record<string, unknown>;
  edit(copy);
  return JSON.stringify(copy);
}

function refusal(input: string | object): string {
  const result = parseModelFile(input);
  assert.equal(result.ok, false, 'the model file was accepted');
  return result.ok ? '' : result.error;
}

const trees = (copy: ModelFile): TreeForest['trees'] => (copy.forest as TreeForest).trees;

describe('model/model-file', () => {
  let model: ModelFile;
  before(async () => {
    model = await classificationModel();
  });

  it('round-trips through serializeModel and predicts like the trained forest', () => {
    const text = serializeModel(model);
    assert.deepEqual(JSON.parse(text), model);
    const parsed = parseModelFile(text);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    const loaded = loadModel(text);
    assert.ok(loaded.ok);
    const direct = new CompiledForest(model.forest as TreeForest);
    for (const row of threeClassData(50, 99).rows) {
      const features = Object.fromEntries(FEATURES.map((name, f) => [name, row[f]]));
      const result = loaded.model.predict(features);
      assert.ok(result.ok);
      const expected = direct.predictRow(row);
      assert.ok(expected.task === 'classification');
      assert.equal(result.prediction.label, LABELS[expected.classIndex]);
      assert.equal(result.prediction.confidence, expected.confidence);
      assert.deepEqual(result.prediction.probabilities, Object.fromEntries(LABELS.map((l, c) => [l, expected.probabilities[c]])));
      assert.deepEqual(result.prediction.model, { name: 'kitchen', version: '2.1.0' });
    }
  });

  it('writes metadata indented and one tree per line', () => {
    const lines = serializeModel(model).split('\n');
    assert.equal(lines[1], '  "format": "iot-ai/random-forest@1",');
    const treeLines = lines.filter((line) => line.startsWith('      {"feature":'));
    assert.equal(treeLines.length, 7);
  });

  it('refuses an empty or truncated file, saying so', () => {
    assert.match(refusal(''), /empty/);
    const text = serializeModel(model);
    assert.match(refusal(text.slice(0, Math.floor(text.length / 2))), /truncated/);
    assert.match(refusal('{"format": "iot-ai/random-forest@1",}'), /not valid JSON: line 1, column/);
  });

  it('loads a model whose version looks like a path (it is metadata), whose archive name is still one safe file name', () => {
    for (const version of ['../../../escape', 'a/b', 'v 1 (beta)', '..']) {
      const parsed = parseModelFile(serializeModel({ ...model, version }));
      assert.ok(parsed.ok && parsed.model.version === version, version);
      assert.match(versionFileName(version), /^_[0-9a-f]{32}\.json$/, version);
    }
    assert.equal(versionFileName('2.1.0'), '2.1.0.json');
  });

  it('refuses a wrong or missing format string', () => {
    assert.match(refusal(edited(model, (m) => ((m as Record<string, unknown>).format = 'iot-ai/random-forest@2'))), /unsupported model format "iot-ai\/random-forest@2" \(expected "iot-ai\/random-forest@1"\)/);
    assert.match(refusal(edited(model, (m) => delete (m as Record<string, unknown>).format)), /no "format"/);
    assert.match(refusal('[1, 2]'), /JSON object/);
  });

  it('refuses a classification model without labels', () => {
    assert.match(refusal(edited(model, (m) => delete m.labels)), /must have required property 'labels'/);
    assert.match(refusal(edited(model, (m) => (m.labels = ['idle', 'cooking']))), /labels has 2 entries but the forest has 3 classes/);
    assert.match(refusal(edited(model, (m) => (m.labels = ['1', 1, 'x']))), /distinct as text/);
  });

  it('refuses schema violations, naming where (instancePath)', () => {
    assert.match(refusal(edited(model, (m) => ((m as Record<string, unknown>).task = 'clustering'))), /\/task must be equal to one of the allowed values: "classification", "regression"/);
    assert.match(refusal(edited(model, (m) => ((trees(m)[2].threshold as unknown[])[0] = 'high'))), /\/forest\/trees\/2\/threshold\/0 must be number/);
    assert.match(refusal(edited(model, (m) => ((m as Record<string, unknown>).version = 2))), /\/version must be string/);
    assert.match(refusal(edited(model, (m) => (m.createdAt = 'yesterday'))), /\/createdAt must match pattern/);
    assert.match(refusal(edited(model, (m) => (m.createdAt = '2024-13-45T99:00:00Z'))), /not a valid date/);
    assert.match(refusal(edited(model, (m) => ((m.forest as unknown as Record<string, unknown>).kind = 'other/trees'))), /\/forest\/kind must be equal to constant "iot-ai\/trees@1"/);
  });

  it('refuses bad tree indices, cycles and leaves that do not fit', () => {
    assert.match(refusal(edited(model, (m) => (trees(m)[0].left[0] = 99999))), /forest\.trees\[0\] node 0: child index 99999 is out of range/);
    assert.match(refusal(edited(model, (m) => (trees(m)[1].feature[0] = 5))), /feature 5 is out of range \[0, 5\)/);
    assert.match(
      refusal(
        edited(model, (m) => {
          const tree = trees(m)[0];
          tree.right[tree.left[0]] = 0; // a child pointing back at the root
          tree.left[tree.left[0]] = tree.right[0];
          tree.feature[tree.left[0]] = 0;
        }),
      ),
      /reached twice \(a cycle or a shared subtree\)/,
    );
    assert.match(
      refusal(
        edited(model, (m) => {
          const tree = trees(m)[3];
          const leaf = tree.left.indexOf(-1);
          tree.value[leaf] = 7;
        }),
      ),
      /leaf value 7 is not a class index in \[0, 3\)/,
    );
    assert.match(refusal(edited(model, (m) => trees(m)[4].value.pop())), /value has \d+ entries but feature has \d+/);
  });

  it('refuses featureNames that do not match the forest', () => {
    assert.match(refusal(edited(model, (m) => m.featureNames.pop())), /featureNames has 4 names but the forest uses 5 features/);
    assert.match(refusal(edited(model, (m) => (m.featureNames[1] = m.featureNames[0]))), /\/featureNames must NOT have duplicate items/);
    assert.match(refusal(edited(model, (m) => (m.importances = { nope: 1 }))), /importances names "nope"/);
  });

  it('refuses a regression model with labels, and a task that contradicts an ml-random-forest forest', async () => {
    const regression = await regressionModel();
    assert.ok(parseModelFile(serializeModel(regression)).ok);
    assert.match(refusal(edited(regression, (m) => (m.labels = ['a']))), /regression model must not have labels/);
    const mlForest = {
      name: 'RFRegression',
      baseModel: { indexes: [[0, 1]], isClassifier: false, nEstimators: 1, estimators: [{ root: { distribution: 1.5 } }] },
    };
    assert.ok(parseModelFile(edited(regression, (m) => (m.forest = mlForest as never))).ok);
    assert.match(refusal(edited(model, (m) => (m.forest = mlForest as never))), /task is classification but the forest is an ml-random-forest RFRegression/);
    const badColumn = {
      ...mlForest,
      baseModel: {
        ...mlForest.baseModel,
        estimators: [{ root: { splitColumn: 4, splitValue: 1, left: { distribution: 1 }, right: { distribution: 2 } } }],
      },
    };
    assert.match(refusal(edited(regression, (m) => (m.forest = badColumn as never))), /splitColumn 4 is outside the estimator's 2 columns/);
  });

  it('never throws, whatever it is given', () => {
    const text = serializeModel(model);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: text.length }), fc.string({ maxLength: 3 }), (cut, junk) => {
        const result = parseModelFile(text.slice(0, cut) + junk);
        if (!result.ok) assert.ok(result.error.length > 0);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = parseModelFile({ ...JSON.parse(text), forest: value });
        assert.equal(result.ok, false);
      }),
      { numRuns: 200 },
    );
  });

  it('compiles the schema once, with only local references', () => {
    assert.equal(modelFileValidator(), modelFileValidator());
  });
});

describe('model/model-file: predicting from features', () => {
  let model: ModelFile;
  before(async () => {
    model = await classificationModel();
  });

  const features = (): Record<string, unknown> => ({ 'temp.mean': 6, 'hum.mean': 7, 'light/max': 2, 'co2.slope': 1, 'noise.rms': 3 });

  it('refuses missing and non-numeric features with code "features" and a JSON Pointer', () => {
    const loaded = loadModel(model);
    assert.ok(loaded.ok);
    const { model: m } = loaded;
    const missing = { ...features() };
    delete missing['light/max'];
    assert.deepEqual(m.predict(missing), {
      ok: false,
      error: { code: 'features', message: 'feature "light/max" is missing', path: '/light~1max' },
    });
    assert.deepEqual(m.predict({ ...features(), 'hum.mean': '7' }), {
      ok: false,
      error: { code: 'features', message: 'feature "hum.mean" is a string, not a number', path: '/hum.mean' },
    });
    const nan = m.predict({ ...features(), 'temp.mean': NaN });
    assert.ok(!nan.ok && nan.error.message === 'feature "temp.mean" is NaN, not a finite number');
    assert.ok(!m.predict(null).ok);
    assert.ok(!m.predict([1, 2, 3, 4, 5]).ok);
    const fine = m.predict({ ...features(), extra: 'ignored' });
    assert.ok(fine.ok && LABELS.includes(fine.prediction.label as string));
  });

  it('gives regression predictions a value, a spread and confidence 1', async () => {
    const loaded = loadModel(serializeModel(await regressionModel()));
    assert.ok(loaded.ok);
    const result = loaded.model.predict(features());
    assert.ok(result.ok);
    const { prediction } = result;
    assert.equal(typeof prediction.value, 'number');
    assert.ok((prediction.spread as number) >= 0);
    assert.equal(prediction.confidence, 1);
    assert.equal(prediction.label, undefined);
    assert.equal(prediction.probabilities, undefined);
  });
});

describe('model/store: writeFileAtomic', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'iot-ai-store-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('writes and replaces a file, leaving no temporary file behind', async () => {
    const target = path.join(directory, 'model.json');
    await writeFile(target, 'old');
    await writeFileAtomic(target, 'new contents');
    assert.equal(await readFile(target, 'utf8'), 'new contents');
    assert.deepEqual(await readdir(directory), ['model.json']);
  });

  it('creates a missing folder (a model path in a new folder), and fails cleanly where none can be made', async () => {
    await writeFileAtomic(path.join(directory, 'new', 'model.json'), 'x');
    assert.equal(await readFile(path.join(directory, 'new', 'model.json'), 'utf8'), 'x');
    await writeFile(path.join(directory, 'plain-file'), '');
    await assert.rejects(writeFileAtomic(path.join(directory, 'plain-file', 'model.json'), 'x'), /ENOTDIR|EEXIST/);
    assert.deepEqual((await readdir(directory)).sort(), ['new', 'plain-file']);
  });

  it('saves a model that loads back, and reports unreadable or bad files with their path', async () => {
    const model = await regressionModel();
    const target = path.join(directory, 'power.json');
    await saveModel(target, model);
    const loaded = await loadModelFile(target);
    assert.ok(loaded.ok && loaded.model.name === 'power');
    const missing = await loadModelFile(path.join(directory, 'none.json'));
    assert.ok(!missing.ok && /cannot read model file .*none\.json: ENOENT/.test(missing.error));
    await writeFile(target, '{"format": "x"}');
    const bad = await loadModelFile(target);
    assert.ok(!bad.ok && bad.error === `${target}: unsupported model format "x" (expected "iot-ai/random-forest@1")`);
  });
});

describe('model/model-file: anomaly models with per-device parts', () => {
  const NAMES = ['temp.mean', 'temp.std'];
  /** Normal windows of a device whose temperature sits at `level`. */
  const rows = (level: number, n: number, seed: number): Float64Array[] => {
    let state = seed;
    const noise = () => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648 - 0.5;
    };
    return Array.from({ length: n }, () => Float64Array.from([level + noise(), 0.5 + 0.2 * noise()]));
  };
  const createdAt = new Date('2024-06-01T12:00:00Z');
  let shared: ModelFile;
  let perDevice: ModelFile;

  before(async () => {
    shared = (await trainAnomalyModel({ featureNames: NAMES, rows: rows(25, 120, 3) }, { name: 'rooms', createdAt, method: 'robust-z' })).model;
    const cool = (await trainAnomalyModel({ featureNames: NAMES, rows: rows(20, 120, 5) }, { name: 'rooms', createdAt, method: 'robust-z' })).model;
    const warm = (await trainAnomalyModel({ featureNames: NAMES, rows: rows(30, 300, 7) }, { name: 'rooms', createdAt, method: 'isolation-forest', isolationForest: { nTrees: 20 } })).model;
    const part = (m: ModelFile): DeviceAnomalyPart => ({ anomaly: m.anomaly!, ...(m.forest ? { forest: m.forest as TreeForest } : {}), sketch: m.sketch, metrics: m.metrics, createdAt: m.createdAt });
    const { anomaly: _a, forest: _f, sketch: _s, ...head } = shared;
    perDevice = { ...head, devices: { cool: part(cool), warm: part(warm) } };
  });

  const judge = (model: LoadedModel, level: number, deviceId?: string) => {
    const result = model.predict({ 'temp.mean': level, 'temp.std': 0.5 }, deviceId === undefined ? {} : { deviceId });
    return result.ok ? result.prediction.label : result.error.code;
  };

  it('scores a device by its own part: a level normal for one device is an anomaly for the other', () => {
    const loaded = loadModel(serializeModel(perDevice));
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
    const model = loaded.model;
    assert.deepEqual(model.deviceIds.sort(), ['cool', 'warm']);
    assert.equal(judge(model, 20, 'cool'), 'normal');
    assert.equal(judge(model, 30, 'cool'), 'anomaly');
    assert.equal(judge(model, 30, 'warm'), 'normal');
    // The isolation-forest part scores with that device's own forest (far points saturate at the edge score).
    const row = Float64Array.from([20, 0.5]);
    const own = new CompiledForest(perDevice.devices!.warm.forest!).anomalyScore(row);
    assert.equal(model.anomalyScore(row, 'warm'), own);
    assert.ok(own > model.anomalyScore(Float64Array.from([30, 0.5]), 'warm'));
    assert.equal(model.hasSharedPart, false);
    assert.deepEqual(model.sketchFor('cool'), perDevice.devices!.cool.sketch);
  });

  it('writes each device part on one line, and reads it back unchanged', () => {
    const text = serializeModel(perDevice);
    assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(perDevice)));
    const lines = text.split('\n');
    for (const id of ['cool', 'warm']) {
      const line = lines.find((l) => l.trimStart().startsWith(`"${id}": {`));
      assert.ok(line, `a line for ${id}`);
      assert.deepEqual(JSON.parse(line.trim().replace(/^"[^"]+": /, '').replace(/,$/, '')), JSON.parse(JSON.stringify(perDevice.devices![id])));
    }
    assert.ok(lines.length < 60, `${lines.length} lines`);
  });

  it('gives code "warmup" for a device without a part and no shared part, and "device" without a deviceId', () => {
    const loaded = loadModel(perDevice);
    assert.ok(loaded.ok);
    const unknown = loaded.model.predict({ 'temp.mean': 20, 'temp.std': 0.5 }, { deviceId: 'new-room' });
    assert.ok(!unknown.ok);
    assert.equal(unknown.error.code, 'warmup');
    assert.match(unknown.error.message, /new-room/);
    assert.equal(judge(loaded.model, 20), 'device');
    // A bad feature is still a feature error once the device is known.
    const bad = loaded.model.predict({ 'temp.mean': 'x', 'temp.std': 0.5 }, { deviceId: 'cool' });
    assert.ok(!bad.ok);
    assert.equal(bad.error.code, 'features');
  });

  it('falls back to the shared part for a device without its own; a threshold option overrides every part', () => {
    const both = loadModel({ ...shared, devices: perDevice.devices });
    assert.ok(both.ok, both.ok ? '' : both.error);
    assert.equal(judge(both.model, 25, 'other'), 'normal', 'the shared baseline sits at 25');
    assert.equal(judge(both.model, 25, 'cool'), 'anomaly', 'cool sits at 20');
    const lenient = both.model.predict({ 'temp.mean': 30, 'temp.std': 0.5 }, { deviceId: 'cool', threshold: 1 });
    assert.ok(lenient.ok);
    assert.equal(lenient.prediction.label, 'normal');
  });

  it('keeps files without parts valid and scored as before, whatever deviceId is given', () => {
    const loaded = loadModel(serializeModel(shared));
    assert.ok(loaded.ok);
    for (const level of [22, 25, 28, 35]) {
      const plain = loaded.model.predict({ 'temp.mean': level, 'temp.std': 0.5 });
      const withDevice = loaded.model.predict({ 'temp.mean': level, 'temp.std': 0.5 }, { deviceId: 'cool' });
      assert.ok(plain.ok && withDevice.ok);
      assert.deepEqual(withDevice.prediction, plain.prediction);
    }
  });

  it('refuses parts that do not fit', () => {
    const text = (edit: (copy: ModelFile & Record<string, unknown>) => void) => edited(perDevice, edit);
    assert.match(refusal(text((c) => (c.devices = {}))), /devices must NOT have fewer than 1 properties/);
    assert.match(refusal(text((c) => delete c.devices)), /must have required property 'anomaly'/);
    assert.match(refusal(text((c) => (c.devices!.cool.anomaly.baseline!.center = [1]))), /devices\["cool"\]: anomaly.baseline needs 2 centres/);
    assert.match(refusal(text((c) => delete c.devices!.warm.forest)), /devices\["warm"\]: an isolation-forest part needs a forest/);
    assert.match(refusal(text((c) => (c.devices!.cool.forest = c.devices!.warm.forest))), /devices\["cool"\]: a robust-z part must not have a forest/);
    assert.match(refusal(text((c) => (c.devices!.warm.forest!.nFeatures = 3))), /devices\["warm"\]: featureNames has 2 names but the forest uses 3/);
    assert.match(refusal(text((c) => (c.devices!.cool.sketch!.features[0].name = 'x'))), /devices\["cool"\]: sketch/);
    assert.match(refusal(text((c) => (c.devices![''] = c.devices!.cool))), /devices/);
    assert.match(refusal(text((c) => (c.forest = c.devices!.warm.forest))), /must not have one/);
  });

  it('refuses per-device parts on a classification or regression model', async () => {
    assert.match(refusal(edited(await classificationModel(), (c) => (c.devices = perDevice.devices))), /per-device parts belong to an anomaly model/);
  });

  it('loads every bundled model as before', async () => {
    const folder = path.join(__dirname, '..', '..', 'models');
    const files = (await readdir(folder)).filter((f) => f.endsWith('.json') && !f.endsWith('.report.json'));
    assert.ok(files.length > 0);
    for (const file of files) {
      // As ml-model loads them: the XGBoost sample (home-xgboost) is converted on the way.
      const loaded = loadAnyModel(await readFile(path.join(folder, file)), { fileName: file });
      assert.ok(loaded.ok, `${file}: ${loaded.ok ? '' : loaded.error}`);
    }
  });
});
