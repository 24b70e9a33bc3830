import { strict as assert } from 'node:assert';
import { editorSession, dragFromPalette, openNode, closeDialog, type EditorSession } from '../helpers/browser';

/** Issue #27.6: the editor shows a sensor-sim's reports per second and refuses a product past the budget. */
describe('browser: sensor-sim editor budget', function () {
  let session: EditorSession;

  before(async () => {
    session = await editorSession(() => []);
  });
  after(() => session?.close());

  it('shows devices × speed × 1000 / interval as it is typed, and marks the node invalid past 2,000 reports a second', async () => {
    const { page } = session.editor;
    const id = await dragFromPalette(page, 'sensor-sim', 300, 200);
    await openNode(page, id);
    assert.match(await page.innerText('#node-input-sim-rate'), /0\.6 reports a second \(at most 2000\)/, 'the defaults: 3 devices every 5 s');
    await page.fill('#node-input-sim-devices', '1000');
    await page.fill('#node-input-sim-interval', '10');
    await page.fill('#node-input-sim-speed', '10000');
    assert.match(await page.innerText('#node-input-sim-rate'), /1000000000 reports a second, above the 2000 a running sensor-sim may send/);
    for (const field of ['devices', 'interval', 'speed']) {
      assert.ok(await page.locator(`#node-input-sim-${field}`).evaluate((el) => el.classList.contains('input-error')), `${field} is marked`);
    }
    await closeDialog(page);
    assert.equal(await page.evaluate((nodeId) => (window as any).RED.nodes.node(nodeId).valid, id), false);

    await openNode(page, id);
    await page.fill('#node-input-sim-interval', '1000');
    await page.fill('#node-input-sim-speed', '2');
    assert.match(await page.innerText('#node-input-sim-rate'), /2000 reports a second \(at most 2000\)/);
    assert.equal(await page.locator('#node-input-sim-speed').evaluate((el) => el.classList.contains('input-error')), false);
    await closeDialog(page);
    const saved = await page.evaluate((nodeId) => {
      const n = (window as any).RED.nodes.node(nodeId);
      return { devices: n.devices, interval: n.interval, speed: n.speed, valid: n.valid };
    }, id);
    assert.deepEqual(saved, { devices: 1000, interval: 1000, speed: 2, valid: true });
  });
});
