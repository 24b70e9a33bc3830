import { strict as assert } from 'node:assert';
import { editorSession, dragFromPalette, openNode, closeDialog, type EditorSession } from '../helpers/browser';

describe('browser: missing-value options (issue #24)', function () {
  let session: EditorSession;

  before(async () => {
    session = await editorSession(() => []);
  });
  after(() => session?.close());

  it('model-predict offers missing reject (default) | allow, actuator-command an allowMissing checkbox (off)', async () => {
    const { page } = session.editor;
    const predictId = await dragFromPalette(page, 'model-predict', 300, 100);
    await openNode(page, predictId);
    assert.equal(await page.inputValue('#node-input-missing'), 'reject');
    const options = await page.locator('#node-input-missing option').allInnerTexts();
    assert.deepEqual(options, ['reject (output 2)', 'allow (prediction.missing)'], 'translated option texts');
    await page.selectOption('#node-input-missing', 'allow');
    await closeDialog(page);

    const actuatorId = await dragFromPalette(page, 'actuator-command', 300, 220);
    await openNode(page, actuatorId);
    assert.equal(await page.isChecked('#node-input-allowMissing'), false);
    assert.match(await page.locator('label[for="node-input-allowMissing"]').innerText(), /act on predictions with missing features/);
    await page.check('#node-input-allowMissing');
    await closeDialog(page);

    const saved = await page.evaluate(([p, a]) => {
      const RED = (window as any).RED;
      return [RED.nodes.node(p).missing, RED.nodes.node(a).allowMissing];
    }, [predictId, actuatorId]);
    assert.deepEqual(saved, ['allow', true]);
  });
});
