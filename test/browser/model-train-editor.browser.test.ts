import { strict as assert } from 'node:assert';
import { editorSession, dragFromPalette, openNode, closeDialog, type EditorSession } from '../helpers/browser';
import { TAB } from '../helpers/flows';

describe('browser: model-train editor fields per task', function () {
  let session: EditorSession;

  before(async () => {
    // A model-train saved before the promotion gate existed: no `promote`, no `maxMemory`.
    session = await editorSession(() => [{ id: 'old-train', type: 'model-train', z: TAB, x: 200, y: 440, name: '', model: '', task: 'classification', every: 0, maxSamples: 10000, wires: [[], []] }]);
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
    assert.equal(await page.isVisible('#node-input-num-adaptAfter'), false, 'a frozen baseline never adopts a change');
    await page.selectOption('#node-input-update', 'rolling');
    assert.equal(await page.isVisible('#node-input-num-adaptAfter'), true);
    assert.equal(await page.inputValue('#node-input-num-adaptAfter'), '100');
    const hint = await page.textContent('label[for="node-input-num-adaptAfter"]');
    assert.ok(hint !== null && hint.trim() !== '' && !hint.includes('model-train.'), `the label is translated: ${hint}`);
    await page.fill('#node-input-num-adaptAfter', '60');
    await closeDialog(page);

    const saved = await page.evaluate((id) => {
      const node = (window as any).RED.nodes.node(id);
      return { task: node.task, warmup: node.warmup, update: node.update, scope: node.scope, maxDevices: node.maxDevices, adaptAfter: node.adaptAfter };
    }, trainId);
    assert.deepEqual(saved, { task: 'anomaly', warmup: 50, update: 'rolling', scope: 'device', maxDevices: 100, adaptAfter: 60 });
  });

  it('offers the promotion gate (better by default, explained in English) and the memory bound for labelled tasks', async () => {
    const { page } = session.editor;
    const trainId = await dragFromPalette(page, 'model-train', 300, 320);
    await openNode(page, trainId);
    assert.equal(await page.inputValue('#node-input-promote'), 'better', 'a new node gets the gate');
    assert.equal(await page.isVisible('#node-input-promote'), true);
    const options = await page.$$eval('#node-input-promote option', (els) => els.map((el) => [(el as HTMLOptionElement).value, el.textContent ?? '']));
    assert.deepEqual(options.map(([value]) => value), ['better', 'always', 'manual']);
    for (const [value, text] of options) assert.ok(text.trim() !== '' && !text.includes('model-train.'), `option ${value} is translated: ${text}`);
    const tip = await page.textContent('#iot-ai-train-promote-tip');
    assert.match(tip ?? '', /held-out/, 'the tip explains the rule');
    assert.equal(await page.inputValue('#node-input-num-maxMemory'), '128');
    await page.selectOption('#node-input-task', 'anomaly');
    assert.equal(await page.isVisible('#node-input-promote'), false, 'no gate without labels');
    assert.equal(await page.isVisible('#iot-ai-train-promote-tip'), false);
    await page.selectOption('#node-input-task', 'classification');
    await page.selectOption('#node-input-promote', 'manual');
    await page.fill('#node-input-num-maxMemory', '64');
    await closeDialog(page);
    const saved = await page.evaluate((id) => {
      const node = (window as any).RED.nodes.node(id);
      return { promote: node.promote, maxMemory: node.maxMemory, invalid: (node.validationErrors ?? []).filter((p: string) => p === 'promote' || p === 'maxMemory') };
    }, trainId);
    assert.deepEqual(saved, { promote: 'manual', maxMemory: 64, invalid: [] });
  });

  it('offers Tune for labelled tasks, off for a new node, hidden for anomaly, and saves it (#21.3)', async () => {
    const { page } = session.editor;
    const trainId = await dragFromPalette(page, 'model-train', 300, 560);
    await openNode(page, trainId);
    assert.equal(await page.isChecked('#node-input-tune'), false, 'off by default');
    const label = await page.textContent('label[for="node-input-tune"]');
    assert.match(label ?? '', /Tune/);
    assert.doesNotMatch(await page.locator('#node-input-tune').locator('..').innerText(), /model-train\./, 'translated');
    await page.selectOption('#node-input-task', 'anomaly');
    assert.equal(await page.isVisible('#node-input-tune'), false, 'anomaly baselines are not tuned');
    await page.selectOption('#node-input-task', 'regression');
    await page.check('#node-input-tune');
    await closeDialog(page);
    assert.equal(await page.evaluate((id) => (window as any).RED.nodes.node(id).tune, trainId), true);
  });

  it('opens a node saved before the gate (no promote) with better selected', async () => {
    const { page } = session.editor;
    await openNode(page, 'old-train');
    assert.equal(await page.isChecked('#node-input-tune'), false, 'a node saved before tune: off');
    assert.equal(await page.inputValue('#node-input-promote'), 'better');
    // A property the saved node lacks shows the default the runtime uses, not a blank field (issue 18, item 9).
    assert.equal(await page.inputValue('#node-input-num-maxMemory'), '128', 'the 128 MiB default');
    await closeDialog(page);
  });
});
