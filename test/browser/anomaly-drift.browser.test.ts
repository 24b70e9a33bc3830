import { strict as assert } from 'node:assert';
import { mqttClient } from '../helpers/broker';
import { mqttIn, mqttOut } from '../helpers/flows';
import { editorSession, dragFromPalette, wire, openNode, closeDialog, deploy, type EditorSession } from '../helpers/browser';

describe('browser: model-predict with an anomaly model and drift monitoring', function () {
  let session: EditorSession;

  before(async () => {
    session = await editorSession(() => [mqttIn('inFeatures', 'features'), mqttOut('outPredictions', 'predictions'), mqttOut('outDrift', 'drift', { y: 200 })]);
  });
  after(() => session?.close());

  it('sets a threshold, turns on the drift output (a third port), deploys, and gets anomalies and a drift message', async () => {
    const { page } = session.editor;
    const predictId = await dragFromPalette(page, 'model-predict', 400, 100);
    await openNode(page, predictId);
    await page.click('#node-input-btn-model-add');
    await page.waitForSelector('#node-config-input-source', { state: 'visible' });
    await page.selectOption('#node-config-input-source', 'bundled');
    await page.selectOption('#node-config-input-bundled', 'health-heart-anomaly');
    await page.click('#node-config-dialog-ok');
    await page.waitForSelector('#node-config-input-source', { state: 'detached' });

    assert.equal(await page.inputValue('#node-input-num-threshold'), '', 'blank: the model\'s own threshold');
    assert.equal(await page.isChecked('#node-input-drift'), true, 'drift monitoring is on by default');
    assert.equal(await page.isVisible('#node-input-num-driftWindow'), true);
    await page.uncheck('#node-input-drift');
    assert.equal(await page.isVisible('#node-input-num-driftWindow'), false, 'drift settings hide with drift off');
    await page.check('#node-input-drift');
    await page.fill('#node-input-num-threshold', '0.85');
    await page.fill('#node-input-num-driftWindow', '100');
    await page.check('#node-input-driftOutput');
    await closeDialog(page);
    const saved = await page.evaluate((id) => {
      const n = (window as any).RED.nodes.node(id);
      return { outputs: n.outputs, threshold: n.threshold, driftWindow: n.driftWindow, drift: n.drift, driftOutput: n.driftOutput };
    }, predictId);
    assert.deepEqual(saved, { outputs: 3, threshold: 0.85, driftWindow: 100, drift: true, driftOutput: true });

    await wire(page, 'inFeatures', 0, predictId);
    await wire(page, predictId, 0, 'outPredictions');
    await wire(page, predictId, 2, 'outDrift');
    const links = await page.evaluate(() => (window as any).RED.nodes.filterLinks({}).map((l: any) => `${l.source.id}:${l.sourcePort}>${l.target.id}`));
    assert.deepEqual(links.sort(), [`inFeatures:0>${predictId}`, `${predictId}:0>outPredictions`, `${predictId}:2>outDrift`].sort());
    await deploy(page);

    const client = await mqttClient(session.broker.url);
    try {
      await client.client.subscribeAsync(['predictions', 'drift'], { qos: 1 });
      const resting = (i: number) => ({ deviceId: 'wearer-1', features: { 'heartRate.mean': 58 + (i % 9), 'heartRate.min': 54 + (i % 9), 'heartRate.max': 62 + (i % 9) } });
      // Wait until the deployed flow answers, then a calm stretch and a long tachycardia.
      await client.waitFor(() => {
        void client.client.publishAsync('features', JSON.stringify(resting(0)), { qos: 1 });
        return client.json('predictions').length > 0;
      }, 20000, 'a prediction');
      for (let i = 1; i < 60; i++) await client.client.publishAsync('features', JSON.stringify(resting(i)), { qos: 1 });
      for (let i = 0; i < 60; i++) {
        await client.client.publishAsync('features', JSON.stringify({ deviceId: 'wearer-1', features: { 'heartRate.mean': 140 + (i % 5), 'heartRate.min': 132, 'heartRate.max': 150 } }), { qos: 1 });
      }
      await client.waitFor(() => client.json('drift').length > 0, 20000, 'a drift message');
      const [drift] = client.json('drift');
      assert.equal(drift.drifted, true);
      assert.ok(drift.driftedFeatures.includes('heartRate.mean'), JSON.stringify(drift.driftedFeatures));
      assert.deepEqual(drift.model.name, 'health-heart-anomaly');
      await client.waitFor(() => client.json('predictions').length >= 120, 20000, 'all predictions');
      const predictions = client.json('predictions').map((p) => p.prediction);
      // The node's threshold (0.85), not the model's own (0.81), decides.
      const fast = predictions.filter((p) => p.score > 0.85);
      assert.ok(fast.length >= 50, `tachycardia scores above the threshold (${fast.length})`);
      for (const p of predictions) assert.equal(p.label, p.score > 0.85 ? 'anomaly' : 'normal', `score ${p.score}`);
    } finally {
      await client.end();
    }
  });
});
