import { strict as assert } from 'node:assert';
import { mqttClient } from '../helpers/broker';
import { mqttIn, mqttOut } from '../helpers/flows';
import { closeDialog, deploy, dragFromPalette, editorSession, openNode, wire, type EditorSession } from '../helpers/browser';

describe('browser: anomaly-detect in the editor', function () {
  let session: EditorSession;

  before(async () => {
    session = await editorSession(() => [mqttIn('in1', 'windows'), mqttOut('out1', 'predictions')]);
  });
  after(() => session?.close());

  it('shows only the chosen detector\'s fields, saves numbers as numbers, flags a bad value, deploys, and predictions come out', async () => {
    const { page } = session.editor;
    const id = await dragFromPalette(page, 'anomaly-detect', 400, 100);
    await openNode(page, id);
    assert.equal(await page.isVisible('#node-input-num-smoothing'), true, 'forecast (the default) shows its smoothing');
    assert.equal(await page.isVisible('#node-input-num-neighbours'), false);
    await page.selectOption('#node-input-method', 'knn-cad');
    assert.equal(await page.isVisible('#node-input-num-neighbours'), true);
    assert.equal(await page.isVisible('#node-input-num-smoothing'), false);
    await page.selectOption('#node-input-method', 'gaussian');
    assert.equal(await page.isVisible('#node-input-num-neighbours'), false);
    assert.equal(await page.isVisible('#node-input-num-smoothing'), false);
    await page.fill('#node-input-num-learn', '5');
    await page.fill('#node-input-num-memory', '50');
    await page.fill('#node-input-num-threshold', '2');
    await closeDialog(page);
    const flagged = await page.evaluate((nodeId) => (window as any).RED.nodes.node(nodeId).valid, id);
    assert.equal(flagged, false, 'a likelihood threshold of 2 is flagged');
    await openNode(page, id);
    await page.fill('#node-input-num-threshold', '0.999');
    await closeDialog(page);
    const saved = await page.evaluate((nodeId) => {
      const n = (window as any).RED.nodes.node(nodeId);
      return { method: n.method, learn: n.learn, memory: n.memory, threshold: n.threshold, valid: n.valid };
    }, id);
    assert.deepEqual(saved, { method: 'gaussian', learn: 5, memory: 50, threshold: 0.999, valid: true });
    await wire(page, 'in1', 0, id);
    await wire(page, id, 0, 'out1');
    await deploy(page);

    const client = await mqttClient(session.broker.url);
    try {
      await client.client.subscribeAsync('predictions', { qos: 1 });
      const t0 = Date.UTC(2026, 0, 1);
      let i = 0;
      await client.waitFor(() => {
        void client.client.publishAsync('windows', JSON.stringify({ deviceId: 'pump', start: t0 + i * 60_000, end: t0 + (i + 1) * 60_000, features: { 'rpm.mean': 1500 + (i % 3) } }), { qos: 1 });
        i++;
        return client.json('predictions').length >= 8;
      }, 30000, 'eight predictions');
      const out = client.json('predictions');
      assert.equal(out[0].prediction.likelihood, 0.5, 'learning first');
      assert.deepEqual(out[7].prediction.model, { name: 'gaussian' });
      assert.ok(['anomaly', 'normal'].includes(out[7].prediction.label));
      assert.equal(out[7].deviceId, 'pump');
    } finally {
      await client.end();
    }
  });
});
