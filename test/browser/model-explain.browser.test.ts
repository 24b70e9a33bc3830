import { strict as assert } from 'node:assert';
import { editorSession, openNode, closeDialog, type EditorSession } from '../helpers/browser';
import { TAB } from '../helpers/flows';

/** model-predict's Explain field (issue #17): 0 for a flow saved before it existed, whole numbers only, saved as a number. */
describe('browser: model-predict explain (issue #17)', function () {
  let session: EditorSession;

  before(async () => {
    session = await editorSession(() => [
      { id: 'cfg1', type: 'ml-model', name: 'file model', path: 'models/room.json', bundled: '', watch: false },
      // Saved before `explain` existed: no such property.
      { id: 'mp1', type: 'model-predict', z: TAB, x: 250, y: 100, name: '', model: 'cfg1', property: 'payload.features', wires: [[], []] },
    ]);
  });
  after(() => session?.close());

  it('shows 0 for an old flow, marks 1.5 and -1 invalid, and saves 3 as the number 3', async () => {
    const { page } = session.editor;
    await openNode(page, 'mp1');
    assert.equal(await page.inputValue('#node-input-num-explain'), '0');
    assert.match(await page.locator('label[for="node-input-num-explain"]').innerText(), /Explain/);
    const field = page.locator('#node-input-num-explain');
    const invalid = () => page.evaluate(() => (window as any).$('#node-input-num-explain').hasClass('input-error'));
    for (const bad of ['1.5', '-1']) {
      await field.fill('');
      await field.pressSequentially(bad);
      await page.waitForFunction(() => (window as any).$('#node-input-num-explain').hasClass('input-error'), undefined, { timeout: 10_000 });
      assert.equal(await invalid(), true, bad);
    }
    await field.fill('');
    await field.pressSequentially('3');
    await page.waitForFunction(() => !(window as any).$('#node-input-num-explain').hasClass('input-error'), undefined, { timeout: 10_000 });
    await closeDialog(page);
    assert.equal(await page.evaluate(() => (window as any).RED.nodes.node('mp1').explain), 3);
  });
});
