/**
 * The IoT AI sidebar's admin endpoints (src/nodes/ml-model/sidebar.ts) in a real Node-RED runtime: what they show of
 * the deployed models (metrics, importances, drift from model-predict), the saved versions, and a rollback that every
 * model-predict follows. Admin auth (401 without a token, no rollback for a read-only user) is in
 * test/e2e/ml-model-sidebar.e2e.test.ts: the test helper's runtime has no adminAuth.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { saveModel, type ModelFile } from '../../src/core/model';
import { ModelArchive } from '../../src/core/model/file/archive';
import { helper, collect, getNode, lastStatus, settle } from '../helpers/runtime';
import { toyClassifier } from '../helpers/models';
import mlModel = require('../../src/nodes/ml-model');
import modelPredict = require('../../src/nodes/model-predict');
import modelTrain = require('../../src/nodes/model-train');

const DRIFT_WINDOW = 40;

describe('ml-model: the IoT AI sidebar endpoints', function () {
  this.timeout(60_000);
  let dir: string;
  let first: ModelFile;
  let live: ModelFile;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-ai-sidebar-'));
    const file = path.join(dir, 'models', 'toy.json');
    first = await toyClassifier('1.0.0');
    await saveModel(file, first);
    // A second version published as model-train does: 1.0.0 is archived beside the file.
    const published = await new ModelArchive({ modelFile: file, keepVersions: 5 }).publish({ ...(await toyClassifier('1.0.0', 9)), description: 'second' });
    if (!published.ok) throw new Error(published.message);
    live = published.model;
    helper.settings({ userDir: dir });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const flow = () => [
    { id: 'f1', type: 'tab', label: 'sidebar' },
    { id: 'cfg', type: 'ml-model', z: 'f1', name: 'toy model', path: 'models/toy.json', watch: false },
    { id: 'bundledCfg', type: 'ml-model', z: 'f1', name: '', bundled: 'home-occupancy', path: '' },
    { id: 'predict', type: 'model-predict', z: 'f1', name: 'toy predict', model: 'cfg', driftWindow: DRIFT_WINDOW, driftThreshold: 0.2, x: 100, y: 100, wires: [['out'], ['rejected']] },
    { id: 'train', type: 'model-train', z: 'f1', name: 'toy train', model: 'cfg', keepVersions: 3, x: 100, y: 200, wires: [['trained'], ['refused']] },
    { id: 'out', type: 'helper', z: 'f1' },
    { id: 'rejected', type: 'helper', z: 'f1' },
    { id: 'trained', type: 'helper', z: 'f1' },
    { id: 'refused', type: 'helper', z: 'f1' },
  ];

  async function deployed(): Promise<any[]> {
    const res = await helper.request().get('/iot-ai/models/deployed').expect(200);
    return res.body.models;
  }
  /** Waits until every config has read its model (they load asynchronously after the deploy). */
  async function loaded(version: string): Promise<any[]> {
    for (let i = 0; i < 200; i++) {
      const models = await deployed();
      if (models.find((m) => m.id === 'cfg')?.model?.version === version && models.find((m) => m.id === 'bundledCfg')?.model) return models;
      await settle(25);
    }
    throw new Error(`the model did not load version ${version}: ${JSON.stringify(await deployed())}`);
  }

  it('lists each deployed ml-model: its live version, task, features, held-out metrics, confusion matrix, importances and users', async () => {
    await helper.load([mlModel, modelPredict, modelTrain], flow());
    const models = await loaded(live.version);
    assert.deepEqual(models.map((m) => m.id), ['bundledCfg', 'cfg'], 'sorted by label: "home-occupancy", "toy model"');
    const toy = models.find((m) => m.id === 'cfg');
    assert.equal(toy.label, 'toy model');
    assert.equal(toy.readOnly, undefined);
    assert.deepEqual(
      { name: toy.model.name, version: toy.model.version, task: toy.model.task, featureNames: toy.model.featureNames, labels: toy.model.labels },
      { name: live.name, version: live.version, task: 'classification', featureNames: ['temp.mean', 'noise.mean'], labels: live.labels },
    );
    assert.equal(toy.model.metrics.accuracy, live.metrics.accuracy);
    assert.deepEqual(toy.model.metrics.confusion, live.metrics.confusion);
    assert.equal(typeof toy.model.metrics.accuracy, 'number');
    assert.deepEqual(toy.model.importances, live.importances);
    assert.equal(toy.model.forest, undefined, 'the trees are not sent to the editor');
    assert.deepEqual(toy.trainers, [{ id: 'train', name: 'toy train' }]);
    assert.deepEqual(toy.predictors.map((p: any) => [p.id, p.name, p.counts]), [['predict', 'toy predict', { predictions: 0, errors: 0, anomalies: 0 }]]);

    const bundled = models.find((m) => m.id === 'bundledCfg');
    assert.equal(bundled.label, 'home-occupancy');
    assert.match(bundled.readOnly, /read-only/);
    assert.equal(bundled.model.name, 'home-occupancy');
    assert.deepEqual(bundled.predictors, []);
  });

  it('shows model-predict\'s live drift per feature, as its predictions flag it, without changing it', async () => {
    await helper.load([mlModel, modelPredict, modelTrain], flow());
    await loaded(live.version);
    const out = collect('out');
    const predict = getNode('predict');
    let sent = 0;
    const send = (temp: number) => predict.receive({ payload: { deviceId: 'oven', features: { 'temp.mean': temp, 'noise.mean': (sent++ * 7) % 13 } } });
    // Like the training data (toyClassifier's rows, one cycle of them): no drift.
    for (let i = 0; i < DRIFT_WINDOW; i++) send(10 + (i % 40) * 0.8);
    await out.next(sent);
    let drift = (await deployed()).find((m) => m.id === 'cfg').predictors[0];
    assert.deepEqual(drift.counts, { predictions: sent, errors: 0, anomalies: 0 });
    assert.equal(drift.drift.enabled, true);
    assert.equal(drift.drift.ready, true);
    assert.equal(drift.drift.drifted, 0);
    assert.deepEqual(drift.drift.features.map((f: any) => f.name), ['temp.mean', 'noise.mean']);

    // Far hotter than anything trained on: temp.mean drifts, as the predictions say.
    for (let i = 0; i < DRIFT_WINDOW; i++) send(90);
    await out.next(sent);
    const flagged = out.messages[sent - 1].payload.prediction.drift;
    assert.ok(flagged?.drifted, 'model-predict flags the drift on its predictions');
    drift = (await deployed()).find((m) => m.id === 'cfg').predictors[0];
    const temp = drift.drift.features.find((f: any) => f.name === 'temp.mean');
    assert.equal(drift.drift.drifted, 1);
    assert.equal(temp.drifted, 1);
    assert.ok(temp.psi >= 0.2, `temp.mean PSI ${temp.psi} is over the threshold`);
    assert.equal(temp.psi, flagged.maxPsi, 'the same PSI the prediction carries');
    assert.deepEqual(flagged.features, drift.drift.features.filter((f: any) => f.drifted > 0).map((f: any) => f.name));
    // Reading is read-only: the same picture again, and the status still counts what it counted.
    const again = (await deployed()).find((m) => m.id === 'cfg').predictors[0];
    assert.deepEqual(again, drift);
  });

  it('shows live accuracy where the truth is wired in (msg.label, payload.label), and none where it is not', async () => {
    await helper.load([mlModel, modelPredict, modelTrain], flow());
    await loaded(live.version);
    const out = collect('out');
    const predict = getNode('predict');
    predict.receive({ payload: { features: { 'temp.mean': 40, 'noise.mean': 1 } } });
    await out.next(1);
    let shown = (await deployed()).find((m) => m.id === 'cfg').predictors[0];
    assert.deepEqual(shown.accuracy, { samples: 0 }, 'no truth wired: no figure');
    // Three right, one wrong (40 °C is hot): 0.75, as msg.label, payload.label and a batch's labels carry it.
    predict.receive({ label: 'hot', payload: { features: { 'temp.mean': 40, 'noise.mean': 1 } } });
    predict.receive({ payload: { label: 'hot', features: { 'temp.mean': 41, 'noise.mean': 2 } } });
    predict.receive({ payload: [{ label: 'cold', features: { 'temp.mean': 12, 'noise.mean': 3 } }, { label: 'cold', features: { 'temp.mean': 39, 'noise.mean': 4 } }] });
    const received = await out.next(4);
    assert.deepEqual(received.slice(1, 3).map((m) => m.payload.prediction.label), ['hot', 'hot']);
    assert.deepEqual(received[3].payload.map((p: any) => p.prediction.label), ['cold', 'hot']);
    shown = (await deployed()).find((m) => m.id === 'cfg').predictors[0];
    assert.deepEqual(shown.accuracy, { samples: 4, accuracy: 0.75, model: { name: live.name, version: live.version } });
  });

  it('lists the saved versions and rolls back to one: every model-predict switches, and the replaced one is saved', async () => {
    await helper.load([mlModel, modelPredict, modelTrain], flow());
    await loaded(live.version);
    const versions = await helper.request().get('/iot-ai/models/deployed/cfg/versions').expect(200);
    assert.deepEqual(versions.body, { live: live.version, versions: [{ version: '1.0.0', pinned: false, beforeRun: false }] });

    const res = await helper.request().post('/iot-ai/models/deployed/cfg/rollback').send({ version: '1.0.0' }).expect(200);
    assert.deepEqual(res.body, { rolledBack: { name: 'toy', version: '1.0.0' }, replaced: live.version });
    const models = await deployed();
    assert.equal(models.find((m) => m.id === 'cfg').model.version, '1.0.0', 'the config has reloaded before the answer');
    const out = collect('out');
    getNode('predict').receive({ payload: { features: { 'temp.mean': 40, 'noise.mean': 1 } } });
    const [prediction] = await out.next(1);
    assert.equal(prediction.payload.prediction.model.version, '1.0.0');
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'models', 'toy.json'), 'utf8')).version, '1.0.0');
    const after = await helper.request().get('/iot-ai/models/deployed/cfg/versions').expect(200);
    assert.equal(after.body.live, '1.0.0');
    assert.deepEqual(after.body.versions.map((v: any) => v.version).sort(), ['1.0.0', live.version].sort(), 'the replaced version can be put back');

    // And back again: the rollback can be undone.
    await helper.request().post('/iot-ai/models/deployed/cfg/rollback').send({ version: live.version }).expect(200);
    assert.equal((await deployed()).find((m) => m.id === 'cfg').model.version, live.version);
  });

  it('model-train\'s status follows a sidebar rollback: it names the version live now, not the one it last wrote', async () => {
    await helper.load([mlModel, modelPredict, modelTrain], flow());
    await loaded(live.version);
    const trained = collect('trained');
    // model-train's own rollback first: its status names the version it put live.
    getNode('train').receive({ rollback: '1.0.0' });
    await trained.next(1);
    await loaded('1.0.0');
    const statusSays = async (part: string) => {
      const deadline = Date.now() + 10_000;
      while (!String(lastStatus(getNode('train'))?.text).includes(part) && Date.now() < deadline) await settle(50);
      return String(lastStatus(getNode('train'))?.text);
    };
    assert.match(await statusSays('v1.0.0'), /v1\.0\.0\b/);
    // Then the sidebar puts the other version back: the status follows, with no training score it did not measure.
    await helper.request().post('/iot-ai/models/deployed/cfg/rollback').send({ version: live.version }).expect(200);
    const text = await statusSays(`v${live.version}`);
    assert.match(text, new RegExp(`v${live.version.replace(/\./g, '\\.')}(?![.\\d])`), text);
    assert.doesNotMatch(text, /v1\.0\.0\b/);
    assert.doesNotMatch(text, /%\)/, 'no accuracy it did not measure');
  });

  it('a training that started before a sidebar rollback is refused when it ends, as after msg.rollback', async () => {
    const file = path.join(dir, 'models', 'toy.json');
    const archive = new ModelArchive({ modelFile: file, keepVersions: 5 });
    await helper.load([mlModel, modelPredict, modelTrain], flow());
    await loaded(live.version);
    const ticket = archive.ticket();
    await helper.request().post('/iot-ai/models/deployed/cfg/rollback').send({ version: '1.0.0' }).expect(200);
    const outcome = await archive.publish({ ...first, description: 'trained before the rollback' }, { automatic: true, ticket });
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.code, 'superseded');
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).version, '1.0.0');
  });

  it('refuses a rollback it cannot do, and leaves the live model as it was', async () => {
    await helper.load([mlModel, modelPredict, modelTrain], flow());
    await loaded(live.version);
    const unknown = await helper.request().post('/iot-ai/models/deployed/cfg/rollback').send({ version: '9.9.9' }).expect(409);
    assert.match(unknown.body.error, /no saved version 9\.9\.9/);
    await helper.request().post('/iot-ai/models/deployed/cfg/rollback').send({ version: 7 }).expect(400);
    await helper.request().post('/iot-ai/models/deployed/cfg/rollback').send({ version: '../../etc/passwd' }).expect(409);
    await helper.request().post('/iot-ai/models/deployed/cfg/rollback').send({ version: 'x'.repeat(201) }).expect(400);
    const bundled = await helper.request().post('/iot-ai/models/deployed/bundledCfg/rollback').send({ version: '1.0.0' }).expect(409);
    assert.match(bundled.body.error, /read-only/);
    await helper.request().post('/iot-ai/models/deployed/nope/rollback').send({ version: '1.0.0' }).expect(404);
    await helper.request().post('/iot-ai/models/deployed/predict/rollback').send({ version: '1.0.0' }).expect(404);
    await helper.request().get('/iot-ai/models/deployed/nope/versions').expect(404);
    const readOnly = await helper.request().get('/iot-ai/models/deployed/bundledCfg/versions').expect(200);
    assert.deepEqual(readOnly.body.versions, []);
    assert.match(readOnly.body.readOnly, /read-only/);
    assert.equal((await deployed()).find((m) => m.id === 'cfg').model.version, live.version);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'models', 'toy.json'), 'utf8')).version, live.version);
  });

  it('a rollback keeps as many versions as the model-train writing the file does', async () => {
    const file = path.join(dir, 'models', 'toy.json');
    const archive = new ModelArchive({ modelFile: file, keepVersions: 10 });
    for (let i = 0; i < 5; i++) {
      const published = await archive.publish({ ...first, description: `more ${i}` });
      assert.ok(published.ok);
    }
    assert.equal((await archive.list()).length, 6);
    await helper.load([mlModel, modelPredict, modelTrain], flow());
    const liveNow = JSON.parse(fs.readFileSync(file, 'utf8')).version;
    await loaded(liveNow);
    await helper.request().post('/iot-ai/models/deployed/cfg/rollback').send({}).expect(200);
    // keepVersions 3 (model-train's), besides the version now live again and the one just replaced; without a
    // model-train on the file nothing would be dropped (7).
    assert.equal((await archive.list()).length, 5);
  });
});
