import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { saveModel } from '../../src/core/model';
import { toyClassifier } from '../helpers/models';
import { mqttClient } from '../helpers/broker';
import { mqttIn, mqttOut } from '../helpers/flows';
import { editorSession, dragFromPalette, wire, openNode, closeDialog, deploy, type EditorSession } from '../helpers/browser';

describe('browser: ml-model, model-predict and model-train in the editor', function () {
  let session: EditorSession;

  before(async () => {
    session = await editorSession(
      () => [mqttIn('inFeatures', 'features'), mqttOut('outPredictions', 'predictions'), mqttIn('inTrain', 'train', [], { y: 260 }), mqttOut('outTrained', 'trained', { y: 260 })],
      async (red) => saveModel(path.join(red.userDir, 'models', 'toy.json'), await toyClassifier('1.0.0')),
    );
  });
  after(() => session?.close());

  it('creates an ml-model config from the predict dialog, deploys, predicts, then retrains with model-train', async () => {
    const { page } = session.editor;
    const predictId = await dragFromPalette(page, 'model-predict', 400, 100);
    await openNode(page, predictId);
    assert.equal(await page.inputValue('#node-input-property'), 'payload.features');
    await page.click('#node-input-btn-model-add');
    await page.waitForSelector('#node-config-input-source', { state: 'visible' });
    await page.selectOption('#node-config-input-source', 'file');
    assert.equal(await page.isVisible('#node-config-input-bundled'), false, 'a file model hides the bundled list');
    await page.fill('#node-config-input-path', 'models/toy.json');
    await page.fill('#node-config-input-name', 'toy model');
    await page.click('#node-config-dialog-ok');
    await page.waitForSelector('#node-config-input-source', { state: 'detached' });
    await closeDialog(page);

    const trainId = await dragFromPalette(page, 'model-train', 400, 260);
    await openNode(page, trainId);
    const configs = await page.locator('#node-input-model option').allInnerTexts();
    assert.ok(configs.some((c) => c.includes('toy model')), 'the new config is offered to model-train');
    await page.selectOption('#node-input-model', { label: 'toy model' });
    await page.fill('#node-input-num-trees', '10');
    await closeDialog(page);

    await wire(page, 'inFeatures', 0, predictId);
    await wire(page, predictId, 0, 'outPredictions');
    await wire(page, 'inTrain', 0, trainId);
    await wire(page, trainId, 0, 'outTrained');
    const links = await page.evaluate(() => (window as any).RED.nodes.filterLinks({}).map((l: any) => `${l.source.id}>${l.target.id}`));
    assert.deepEqual(links.sort(), [`inFeatures>${predictId}`, `${predictId}>outPredictions`, `inTrain>${trainId}`, `${trainId}>outTrained`].sort());
    await deploy(page);

    const client = await mqttClient(session.broker.url);
    try {
      await client.client.subscribeAsync(['predictions', 'trained'], { qos: 1 });
      const features = { deviceId: 'oven', features: { 'temp.mean': 40, 'noise.mean': 0 } };
      await client.waitFor(() => {
        void client.client.publishAsync('features', JSON.stringify(features), { qos: 1 });
        return client.json('predictions').length > 0;
      }, 20000, 'a prediction');
      assert.deepEqual([client.json('predictions')[0].prediction.label, client.json('predictions')[0].prediction.model.version], ['hot', '1.0.0']);

      // Teach the opposite, through the flow, and train.
      for (let i = 0; i < 60; i++) {
        const temp = 10 + (i % 40) * 0.8;
        await client.client.publishAsync('train', JSON.stringify({ deviceId: 'oven', features: { 'temp.mean': temp, 'noise.mean': i % 5 }, label: temp < 25 ? 'hot' : 'cold' }), { qos: 1 });
      }
      await client.client.publishAsync('train', JSON.stringify({ train: true }), { qos: 1 });
      await client.waitFor(() => client.json('trained').length > 0, 30000, 'the trained model').catch((err) => {
        throw new Error(`${err.message}\n${session.red.logs.join('\n')}`);
      });
      assert.equal(client.json('trained')[0].model.version, '1.0.1');
      client.received.length = 0;
      await client.waitFor(() => {
        void client.client.publishAsync('features', JSON.stringify(features), { qos: 1 });
        return client.json('predictions').some((p) => p.prediction.model.version === '1.0.1');
      }, 20000, 'a prediction of the new model');
      const latest = client.json('predictions').find((p) => p.prediction.model.version === '1.0.1');
      assert.equal(latest.prediction.label, 'cold');
      assert.ok(fs.existsSync(path.join(session.red.userDir, 'models', '.toy.versions', '1.0.0.json')), 'the previous version is kept for rollback');
    } finally {
      await client.end();
    }
  });
});
