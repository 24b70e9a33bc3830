import { strict as assert } from 'node:assert';
import { editorSession, dragFromPalette, openNode, closeDialog, type EditorSession } from '../helpers/browser';

describe('browser: model-train editor fields per task', function () {
  let session: EditorSession;

  before(async () => {
    session = await editorSession(() => []);
  });
  after(() => session?.close());

  it('shows the anomaly fields only for the anomaly task, hides the labelled ones, and saves the choices', async () => {
    const { page } = session.editor;
    const trainId = await dragFromPalette(page, 'model-train', 300, 200);
    await openNode(page, trainId);
    assert.equal(await page.inputValue('#node-input-task'), 'classification');
    assert.equal(await page.isVisible('#node-input-num-warmup'), false);
    assert.equal(await page.isVisible('#node-input-num-testFraction'), true);

    await page.selectOption('#node-input-task', 'anomaly');
    assert.equal(await page.isVisible('#node-input-num-warmup'), true);
    assert.equal(await page.isVisible('#node-input-update'), true);
    assert.equal(await page.isVisible('#node-input-num-testFraction'), false, 'no held-out share without labels');
    assert.equal(await page.isVisible('#node-input-num-maxDepth'), false);
    assert.equal(await page.isVisible('#node-input-num-maxDevices'), false, 'devices only per device');
    await page.selectOption('#node-input-scope', 'device');
    assert.equal(await page.isVisible('#node-input-num-maxDevices'), true);
    await page.fill('#node-input-num-warmup', '50');
    await page.selectOption('#node-input-update', 'rolling');
    await closeDialog(page);

    const saved = await page.evaluate((id) => {
      const node = (window as any).RED.nodes.node(id);
      return { task: node.task, warmup: node.warmup, update: node.update, scope: node.scope, maxDevices: node.maxDevices };
    }, trainId);
    assert.deepEqual(saved, { task: 'anomaly', warmup: 50, update: 'rolling', scope: 'device', maxDevices: 100 });
  });
});
