/**
 * Issue 19 in the editor: sensor-ingest, feature-window and actuator-command each have an Output select, `each` for
 * a new node, its options in the user's words (the locales, not keys), and a value the core does not know marks the
 * node invalid (the dialog's check reads the choices from src/core through IotAiEditor.core).
 */
import { strict as assert } from 'node:assert';
import { editorSession, dragFromPalette, openNode, closeDialog, type EditorSession } from '../helpers/browser';

describe('browser: the batch output option (issue 19)', function () {
  let session: EditorSession;

  before(async () => {
    session = await editorSession(() => []);
  });
  after(() => session?.close());

  const cases = [
    { type: 'sensor-ingest', batch: 'one message per input (array of readings)' },
    { type: 'feature-window', batch: 'one message per input (array of windows)' },
    { type: 'actuator-command', batch: 'one message per input (array of outcomes)' },
  ];
  for (const [i, { type, batch }] of cases.entries()) {
    it(`${type}: Output is each for a new node, batch can be chosen and is saved, an unknown value is invalid`, async () => {
      const { page } = session.editor;
      const id = await dragFromPalette(page, type, 300, 100 + 120 * i);
      await openNode(page, id);
      assert.equal(await page.inputValue('#node-input-output'), 'each');
      const labels = await page.$$eval('#node-input-output option', (options) => options.map((o) => [(o as HTMLOptionElement).value, o.textContent]));
      assert.equal(labels.length, 2);
      assert.deepEqual(labels[1], ['batch', batch]);
      await page.selectOption('#node-input-output', 'batch');
      await closeDialog(page);
      const saved = await page.evaluate((nodeId) => {
        const RED = (window as any).RED;
        const n = RED.nodes.node(nodeId);
        const chosen = { output: n.output, valid: n.valid };
        n.output = 'bulk';
        RED.editor.validateNode(n);
        const unknown = n.valid;
        n.output = 'batch';
        RED.editor.validateNode(n);
        return { ...chosen, unknown, core: (window as any).IotAiEditor.core };
      }, id);
      assert.equal(saved.output, 'batch');
      assert.equal(saved.valid, true);
      assert.equal(saved.unknown, false, 'an output the core does not know marks the node invalid');
      assert.deepEqual([saved.core.ingest.outputs, saved.core.window.outputs, saved.core.actuate.outputs], [['each', 'batch'], ['each', 'batch'], ['each', 'batch']]);
    });
  }
});
