import { strict as assert } from 'node:assert';
import { editorSession, dragFromPalette, openNode, closeDialog, type EditorSession } from '../helpers/browser';

describe('browser: a bundled model is read-only in the editor', function () {
  let session: EditorSession;

  before(async () => {
    session = await editorSession(() => []);
  });
  after(() => session?.close());

  it('the ml-model dialog says a bundled model is read-only, and model-train warns before deploy when its config names only one', async () => {
    const { page } = session.editor;
    const trainId = await dragFromPalette(page, 'model-train', 300, 200);
    await openNode(page, trainId);
    assert.equal(await page.isVisible('.iot-ai-train-read-only'), false, 'no config yet, no warning');
    await page.click('#node-input-btn-model-add');
    await page.waitForSelector('#node-config-input-source', { state: 'visible' });
    await page.selectOption('#node-config-input-source', 'bundled');
    assert.equal(await page.isVisible('#iot-ai-model-read-only'), true, 'the bundled choice says it is read-only');
    assert.match(await page.innerText('#iot-ai-model-read-only'), /read-only/i);
    await page.selectOption('#node-config-input-source', 'file');
    assert.equal(await page.isVisible('#iot-ai-model-read-only'), false, 'a file is writable');
    await page.selectOption('#node-config-input-source', 'bundled');
    await page.fill('#node-config-input-name', 'bundled only');
    await page.click('#node-config-dialog-ok');
    await page.waitForSelector('#node-config-input-source', { state: 'detached' });
    await page.waitForSelector('.iot-ai-train-read-only', { state: 'visible' });
    assert.match(await page.innerText('.iot-ai-train-read-only'), /refuse it at deploy/);
    await closeDialog(page);
  });
});
