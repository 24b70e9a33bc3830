/**
 * Issue #28 in the real Node-RED runtime: an ml-model whose `path` is XGBoost's own JSON model converts it at load,
 * and model-predict gives XGBoost's predictions (missing values included, with `missing: allow`); a file that does
 * not name its inputs takes them from `featureNames`; LightGBM's text model and dump and ONNX files load the same
 * way; a pickle is refused at deploy.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCsv } from '../../src/core/model/data/csv';
import { helper, harness, collect, getNode, statusMatching, modelError } from '../helpers/runtime';
import { migrateConfig } from '../../src/nodes/shared/migrations';
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'import', 'xgboost');

function table(file: string) {
  const parsed = parseCsv(fs.readFileSync(path.join(FIXTURES, file), 'utf8'));
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.table;
}

describe('model-predict with an imported XGBoost model (issue #28)', function () {
  this.timeout(40_000);
  let dir: string;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-byom-'));
    for (const name of ['multi-softprob', 'binary-logistic']) fs.copyFileSync(path.join(FIXTURES, `${name}.model.json`), path.join(dir, `${name}.model.json`));
    helper.settings({ userDir: dir });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const flow = (model: Record<string, unknown>) => [...harness('model-predict', { model: 'cfg', missing: 'allow' }, 2), { id: 'cfg', type: 'ml-model', watch: false, ...model }];



  it('predicts what XGBoost predicts, row for row, including rows with missing sensors', async () => {
    await helper.load([mlModel, modelPredict], flow({ path: 'multi-softprob.model.json' }));
    await statusMatching(/multi-softprob/);
    const data = table('multi-softprob.data.csv');
    const expected = table('multi-softprob.expected.csv');
    const out1 = collect('out1');
    const rows = data.rows.slice(0, 60);
    rows.forEach((row) => {
      const features: Record<string, number | null> = {};
      data.header.forEach((name, f) => (features[name] = row[f] === '' ? null : Number(row[f])));
      getNode('n1').receive({ payload: { deviceId: 'room', features } });
    });
    const messages = await out1.next(rows.length);
    let withMissing = 0;
    messages.forEach((msg, r) => {
      const prediction = msg.payload.prediction;
      assert.equal(prediction.label, Number(expected.rows[r][0]), `row ${r}`);
      for (const k of [0, 1, 2]) {
        const theirs = Number(expected.rows[r][1 + k]);
        assert.ok(Math.abs(prediction.probabilities[k] - theirs) <= 1e-6 * theirs + 1e-12, `row ${r} p(${k}) ${prediction.probabilities[k]} vs ${theirs}`);
      }
      assert.deepEqual(prediction.model, { name: 'multi-softprob', version: '1' });
      if (prediction.missing !== undefined) withMissing++;
    });
    assert.ok(withMissing > 5, `rows with missing sensors were predicted (${withMissing})`);
  });

  it('a file without input names takes them from featureNames; without them it is refused at deploy', async () => {
    await helper.load([mlModel, modelPredict], flow({ path: 'binary-logistic.model.json' }));
    assert.match(await statusMatching(/name its/), /name its/);
    assert.match(await modelError(/name its/), /binary-logistic\.model\.json: the model does not name its 5 inputs: give their names .*ml-model's featureNames/);
    await helper.unload();
    await helper.load([mlModel, modelPredict], flow({ path: 'binary-logistic.model.json', featureNames: 'temperature, humidity, light, co2, humidityRatio' }));
    await statusMatching(/binary-logistic/);
    const data = table('binary-logistic.data.csv');
    const expected = table('binary-logistic.expected.csv');
    const out1 = collect('out1');
    const features: Record<string, number> = {};
    data.header.forEach((name, f) => (features[name] = Number(data.rows[45][f])));
    getNode('n1').receive({ payload: { deviceId: 'room', features } });
    const [msg] = await out1.next(1);
    assert.equal(msg.payload.prediction.label, Number(expected.rows[45][0]));
    assert.ok(Math.abs(msg.payload.prediction.probabilities['1'] - Number(expected.rows[45][2])) <= 1e-6 * Number(expected.rows[45][2]));
  });

  it('labels names the classes of an imported classifier (the prediction, its probabilities); a wrong count is refused at deploy', async () => {
    await helper.load([mlModel, modelPredict], flow({ path: 'multi-softprob.model.json', labels: 'cold, comfortable, hot' }));
    await statusMatching(/multi-softprob/);
    const data = table('multi-softprob.data.csv');
    const expected = table('multi-softprob.expected.csv');
    const out1 = collect('out1');
    const row = data.rows.findIndex((r) => r.every((cell) => cell !== ''));
    const features: Record<string, number> = {};
    data.header.forEach((name, f) => (features[name] = Number(data.rows[row][f])));
    getNode('n1').receive({ payload: { deviceId: 'room', features } });
    const [msg] = await out1.next(1);
    const names = ['cold', 'comfortable', 'hot'];
    assert.equal(msg.payload.prediction.label, names[Number(expected.rows[row][0])]);
    assert.deepEqual(Object.keys(msg.payload.prediction.probabilities).sort(), [...names].sort());
    names.forEach((name, k) => {
      const theirs = Number(expected.rows[row][1 + k]);
      assert.ok(Math.abs(msg.payload.prediction.probabilities[name] - theirs) <= 1e-6 * theirs + 1e-12, `p(${name})`);
    });
    await helper.unload();
    await helper.load([mlModel, modelPredict], flow({ path: 'multi-softprob.model.json', labels: 'cold, hot' }));
    assert.match(await modelError(/labels/), /multi-softprob\.model\.json: 2 labels given but the model has 3 classes/);
  });

  it('an ONNX tree ensemble (scikit-learn ExtraTrees, string labels) predicts what predict_proba gives', async () => {
    const onnxDir = path.join(FIXTURES, '..', 'onnx');
    fs.copyFileSync(path.join(onnxDir, 'et-strings.onnx'), path.join(dir, 'air.onnx'));
    await helper.load([mlModel, modelPredict], flow({ path: 'air.onnx', featureNames: 'temperature, humidity, light, humidityRatio' }));
    await statusMatching(/air/);
    const parsed = (file: string) => {
      const result = parseCsv(fs.readFileSync(path.join(onnxDir, file), 'utf8'));
      if (!result.ok) throw new Error(result.error.message);
      return result.table;
    };
    const data = parsed('et-strings.data.csv');
    const expected = parsed('et-strings.expected.csv');
    const out1 = collect('out1');
    const rows = data.rows.slice(0, 40);
    rows.forEach((row) => getNode('n1').receive({ payload: { deviceId: 'room', features: Object.fromEntries(data.header.map((name, f) => [name, Number(row[f])])) } }));
    const messages = await out1.next(rows.length);
    messages.forEach((msg, r) => {
      const prediction = msg.payload.prediction;
      assert.equal(prediction.label, expected.rows[r][0], `row ${r}`);
      expected.header.slice(1).forEach((label, k) => {
        const theirs = Number(expected.rows[r][1 + k]);
        assert.ok(Math.abs(prediction.probabilities[label] - theirs) <= 1e-6 * theirs + 1e-12, `row ${r} p(${label})`);
      });
    });
  });

  it('LightGBM\'s text model (categorical splits, NaN and zeros) predicts what LightGBM predicts', async () => {
    const lgbDir = path.join(FIXTURES, '..', 'lightgbm');
    fs.copyFileSync(path.join(lgbDir, 'categorical.model.txt'), path.join(dir, 'usage.txt'));
    const parsed = (file: string) => table(path.join('..', 'lightgbm', file));
    await helper.load([mlModel, modelPredict], flow({ path: 'usage.txt' }));
    await statusMatching(/usage/);
    const data = parsed('categorical.data.csv');
    const expected = parsed('categorical.expected.csv');
    const out1 = collect('out1');
    const rows = data.rows.slice(0, 40);
    rows.forEach((row) => getNode('n1').receive({ payload: { deviceId: 'm', features: Object.fromEntries(data.header.map((name, f) => [name, row[f] === '' ? null : Number(row[f])])) } }));
    const messages = await out1.next(rows.length);
    messages.forEach((msg, r) => {
      const theirs = Number(expected.rows[r][0]);
      assert.ok(Math.abs(msg.payload.prediction.value - theirs) <= 1e-6 * Math.abs(theirs) + 1e-12, `row ${r}: ${msg.payload.prediction.value} vs ${theirs}`);
    });
  });

  it('LightGBM\'s JSON dump (multiclass, named labels) predicts what LightGBM predicts', async () => {
    const lgbDir = path.join(FIXTURES, '..', 'lightgbm');
    const parsed = (file: string) => table(path.join('..', 'lightgbm', file));
    fs.copyFileSync(path.join(lgbDir, 'multiclass.dump.json'), path.join(dir, 'species.json'));
    const labels = ['a', 'b', 'c', 'd', 'e'];
    await helper.load([mlModel, modelPredict], flow({ path: 'species.json', labels: labels.join(', ') }));
    await statusMatching(/species v1/);
    const mdata = parsed('multiclass.data.csv');
    const mexpected = parsed('multiclass.expected.csv');
    const mout = collect('out1');
    const mrows = mdata.rows.slice(0, 40);
    mrows.forEach((row) => getNode('n1').receive({ payload: { deviceId: 'm', features: Object.fromEntries(mdata.header.map((name, f) => [name, row[f] === '' ? null : Number(row[f])])) } }));
    const mmessages = await mout.next(mrows.length);
    mmessages.forEach((msg, r) => {
      assert.equal(msg.payload.prediction.label, labels[Number(mexpected.rows[r][0])], `row ${r}`);
      labels.forEach((label, k) => {
        const theirs = Number(mexpected.rows[r][1 + k]);
        assert.ok(Math.abs(msg.payload.prediction.probabilities[label] - theirs) <= 1e-6 * theirs + 1e-12, `row ${r} p(${label})`);
      });
    });
  });

  it('refuses a model file over the size limit at deploy without reading it (a sparse 129 MiB file)', async () => {
    const file = path.join(dir, 'huge.json');
    fs.closeSync(fs.openSync(file, 'w'));
    fs.truncateSync(file, 129 * 1024 * 1024);
    const before = process.memoryUsage().rss;
    await helper.load([mlModel, modelPredict], flow({ path: 'huge.json' }));
    assert.match(await modelError(/limit/), /huge\.json is 135266304 bytes, over the 134217728-byte limit of a model file/);
    assert.ok(process.memoryUsage().rss - before < 100 * 1024 * 1024, 'the file was not read into memory');
  });

  it('refuses a pickle at deploy with how to export instead', async () => {
    fs.writeFileSync(path.join(dir, 'model.pkl'), Buffer.from([0x80, 0x04, 0x95, 0, 0]));
    await helper.load([mlModel, modelPredict], flow({ path: 'model.pkl' }));
    assert.match(await modelError(/pickle/), /model\.pkl: a pickle \(\.pkl\/\.joblib\) is never loaded: .*ONNX/);
    assert.ok(getNode('cfg').state().model === undefined, 'no model');
  });

  it('the editor\'s model view (GET /iot-ai/models/file) shows an XGBoost file as it converts, and why one cannot', async () => {
    await helper.load([mlModel, modelPredict], flow({ path: 'multi-softprob.model.json' }));
    const res = await helper.request().get('/iot-ai/models/file').query({ path: 'multi-softprob.model.json' }).expect(200);
    assert.equal(res.body.task, 'classification');
    assert.deepEqual(res.body.featureNames, ['temperature', 'humidity', 'light', 'humidityRatio']);
    assert.deepEqual(res.body.labels, [0, 1, 2]);
    const unnamed = await helper.request().get('/iot-ai/models/file').query({ path: 'binary-logistic.model.json' }).expect(422);
    assert.match(unnamed.body.error, /does not name its 5 inputs/);
  });

  it('a config saved before featureNames and labels existed gets empty ones', () => {
    assert.equal((migrateConfig({ id: 'm', type: 'ml-model', version: 1 } as never) as Record<string, unknown>).featureNames, '');
    assert.equal((migrateConfig({ id: 'm', type: 'ml-model', version: 1 } as never) as Record<string, unknown>).labels, '', 'nor labels');
  });
});
