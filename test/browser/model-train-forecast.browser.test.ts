import { strict as assert } from 'node:assert';
import type { Page } from 'playwright-core';
import { editorSession, dragFromPalette, openNode, closeDialog, type EditorSession } from '../helpers/browser';
import { TAB } from '../helpers/flows';

/** model-train's Forecast fields (#16): horizon and target, validated as typed, hidden for the anomaly task, saved. */
describe('browser: model-train forecast fields (horizon, target)', function () {
  let session: EditorSession;

  before(async () => {
    // A model-train saved before live forecasts: no target, no horizon.
    session = await editorSession(() => [{ id: 'old-train', type: 'model-train', z: TAB, x: 200, y: 440, name: '', model: '', task: 'regression', every: 0, version: 1, wires: [[], []] }]);
  });
  after(() => session?.close());

  /** Whether the editor marks the field invalid, and the reason it gives. */
  async function marked(page: Page, selector: string): Promise<{ error: boolean; reason: string | null }> {
    return page.evaluate((sel) => {
      const el = (window as any).$(sel).first();
      return { error: el.hasClass('input-error'), reason: el.attr('data-iot-ai-error') ?? null };
    }, selector);
  }
  async function typeInto(page: Page, selector: string, value: string): Promise<void> {
    const field = page.locator(selector).first();
    await field.click();
    await field.press('ControlOrMeta+a');
    await field.press('Delete');
    if (value === '') await field.press('Backspace');
    else await field.pressSequentially(value);
  }

  it('a new node has no forecast; the horizon and target are checked as typed, shown for labelled tasks only, and saved', async () => {
    const { page } = session.editor;
    const trainId = await dragFromPalette(page, 'model-train', 300, 200);
    await openNode(page, trainId);
    await page.selectOption('#node-input-task', 'regression');
    assert.equal(await page.isVisible('#node-input-num-horizon'), true);
    assert.equal(await page.inputValue('#node-input-num-horizon'), '', 'off by default');
    assert.equal(await page.inputValue('#node-input-target'), '');
    assert.equal(await page.isVisible('.iot-ai-train-forecast-tip'), false, 'no forecast tip while off');
    const label = await page.textContent('label[for="node-input-num-horizon"]');
    assert.ok(label !== null && label.trim() !== '' && !label.includes('model-train.'), `the label is translated: ${label}`);

    await typeInto(page, '#node-input-num-horizon', '2 days');
    let state = await marked(page, '#node-input-num-horizon');
    assert.ok(state.error, 'an unknown unit is marked invalid');
    assert.match(String(state.reason), /duration above 0/);
    await typeInto(page, '#node-input-num-horizon', '0');
    assert.equal((await marked(page, '#node-input-num-horizon')).error, true, '0 is no horizon');

    await typeInto(page, '#node-input-num-horizon', '');
    await typeInto(page, '#node-input-target', 'co');
    state = await marked(page, '#node-input-target');
    assert.ok(state.error, 'a target without a horizon is marked invalid');
    assert.match(String(state.reason), /horizon/);

    await typeInto(page, '#node-input-num-horizon', '15min');
    assert.deepEqual(await marked(page, '#node-input-num-horizon'), { error: false, reason: null });
    assert.deepEqual(await marked(page, '#node-input-target'), { error: false, reason: null }, 'the target is fine once a horizon is given');
    assert.equal(await page.isVisible('.iot-ai-train-forecast-tip'), true);
    assert.match((await page.textContent('.iot-ai-train-forecast-tip')) ?? '', /end \+ horizon/);

    await page.selectOption('#node-input-task', 'anomaly');
    assert.equal(await page.isVisible('#node-input-num-horizon'), false, 'no forecast for the anomaly task');
    assert.equal(await page.isVisible('#node-input-target'), false);
    await page.selectOption('#node-input-task', 'regression');
    await closeDialog(page);

    const saved = await page.evaluate((id) => {
      const node = (window as any).RED.nodes.node(id);
      return { horizon: node.horizon, target: node.target, invalid: (node.validationErrors ?? []).filter((p: string) => p === 'horizon' || p === 'target') };
    }, trainId);
    assert.deepEqual(saved, { horizon: '15min', target: 'co', invalid: [] });
  });

  it('opens a node saved before forecasts with the forecast off', async () => {
    const { page } = session.editor;
    await openNode(page, 'old-train');
    assert.equal(await page.inputValue('#node-input-num-horizon'), '');
    assert.equal(await page.inputValue('#node-input-target'), '');
    assert.deepEqual(await marked(page, '#node-input-num-horizon'), { error: false, reason: null });
    await closeDialog(page);
  });
});
