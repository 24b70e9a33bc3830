import { strict as assert } from 'node:assert';
import { mqttClient } from '../helpers/broker';
import { mqttIn, mqttOut } from '../helpers/flows';
import type { Locator, Page } from 'playwright-core';
import { editorSession, dragFromPalette, wire, openNode, closeDialog, deploy, type EditorSession } from '../helpers/browser';

/** Chooses a rule's command type (JSON or text) in its typedInput and types the command. */
async function setCommand(page: Page, row: Locator, type: 'json' | 'text', text: string): Promise<void> {
  await row.locator('.red-ui-typedInput-type-select').click();
  await page.locator(`.red-ui-typedInput-options:visible a[value="${type}"]`).click();
  await row.locator('.red-ui-typedInput-input').fill(text);
}

async function doneDisabled(page: Page): Promise<boolean> {
  return page.locator('#node-dialog-ok').evaluate((button) => button.classList.contains('disabled'));
}

describe('browser: actuator-command in the editor', function () {
  let session: EditorSession;

  before(async () => {
    session = await editorSession(() => [mqttIn('in1', 'predictions'), mqttOut('out1', '')]);
  });
  after(() => session?.close());

  it('removes the default rules, adds two, deploys, and a command comes out', async () => {
    const { page } = session.editor;
    const id = await dragFromPalette(page, 'actuator-command', 400, 100);
    await openNode(page, id);
    const items = page.locator('#node-input-rules-container > li');
    for (let left = await items.count(); left > 0; left--) {
      await items.first().locator('.red-ui-editableList-item-remove').click();
      // The list animates the removal before it detaches the row.
      await page.waitForFunction((n) => document.querySelectorAll('#node-input-rules-container > li').length === n, left - 1);
    }
    const add = page.locator('.node-input-rules-container-row .red-ui-editableList-addButton');
    await add.click();
    await add.click();
    assert.equal(await items.count(), 2);
    const first = items.nth(0);
    await first.locator('.rule-kind').selectOption('above');
    await first.locator('.rule-match').fill('30');
    await setCommand(page, first, 'json', '{"fan":"ON","speed":"{value}"}');
    const second = items.nth(1);
    await second.locator('.rule-kind').selectOption('label');
    await second.locator('.rule-match').fill('cool');
    await setCommand(page, second, 'json', '{"fan":"OFF"}');
    await page.fill('#node-input-topic', 'fans/{deviceId}/set');
    await page.fill('#node-input-limits', '{"speed":{"min":0,"max":40}}');
    await page.fill('#node-input-num-cooldown', '1500');
    await closeDialog(page);
    const saved = await page.evaluate((nodeId) => {
      const n = (window as any).RED.nodes.node(nodeId);
      return { rules: n.rules, cooldown: n.cooldown, valid: n.valid };
    }, id);
    assert.deepEqual(saved, {
      rules: [
        { above: 30, commandType: 'json', command: { fan: 'ON', speed: '{value}' } },
        { label: 'cool', commandType: 'json', command: { fan: 'OFF' } },
      ],
      cooldown: 1500,
      valid: true,
    });
    await wire(page, 'in1', 0, id);
    await wire(page, id, 0, 'out1');
    await deploy(page);

    const client = await mqttClient(session.broker.url);
    try {
      await client.client.subscribeAsync('fans/#', { qos: 1 });
      await client.waitFor(() => {
        void client.client.publishAsync('predictions', JSON.stringify({ deviceId: 'attic', prediction: { value: 55, confidence: 1 } }), { qos: 1 });
        return client.received.length > 0;
      }, 20000, 'a command');
      assert.equal(client.received[0].topic, 'fans/attic/set');
      assert.deepEqual(JSON.parse(client.received[0].payload.toString()), { fan: 'ON', speed: 40 }, 'the value is clamped to the limit');
    } finally {
      await client.end();
    }
  });

  it('will not save {"brightness": {value}} as a JSON command; saves it once it is JSON, or as text when chosen', async () => {
    const { page } = session.editor;
    const id = await dragFromPalette(page, 'actuator-command', 400, 300);
    await openNode(page, id);
    const row = page.locator('#node-input-rules-container > li').first();
    await row.locator('.rule-kind').selectOption('above');
    await row.locator('.rule-match').fill('0');
    await setCommand(page, row, 'json', '{"brightness": {value}}');
    assert.equal(await doneDisabled(page), true, 'Done waits for valid JSON');
    assert.equal(await page.locator('.iot-ai-command-error').isVisible(), true, 'and says why');
    await page.click('#node-dialog-ok', { force: true });
    await page.waitForTimeout(500);
    assert.equal(await page.locator('#node-dialog-ok').isVisible(), true, 'the dialog stays open');
    const unsaved = await page.evaluate((nodeId) => (window as any).RED.nodes.node(nodeId).rules, id);
    assert.deepEqual(unsaved, [
      { label: 'on', command: { state: 'ON' } },
      { label: 'off', command: { state: 'OFF' } },
    ], 'nothing was saved');

    await row.locator('.red-ui-typedInput-input').fill('{"brightness": "{value}"}');
    assert.equal(await doneDisabled(page), false);
    assert.equal(await page.locator('.iot-ai-command-error').isVisible(), false);
    const second = page.locator('#node-input-rules-container > li').nth(1);
    await setCommand(page, second, 'text', 'Dimmer {value}');
    assert.equal(await doneDisabled(page), false, 'text is text');
    await closeDialog(page);
    const saved = await page.evaluate((nodeId) => {
      const n = (window as any).RED.nodes.node(nodeId);
      return { rules: n.rules, valid: n.valid };
    }, id);
    assert.deepEqual(saved, {
      rules: [
        { above: 0, commandType: 'json', command: { brightness: '{value}' } },
        { label: 'off', commandType: 'text', command: 'Dimmer {value}' },
      ],
      valid: true,
    });

    // Opened again: each command shows in its type.
    await openNode(page, id);
    const rows = page.locator('#node-input-rules-container > li');
    assert.equal(await rows.nth(0).locator('.rule-command-type').inputValue(), 'json');
    assert.equal(await rows.nth(1).locator('.rule-command-type').inputValue(), 'text');
    assert.equal(await rows.nth(1).locator('.red-ui-typedInput-input').inputValue(), 'Dimmer {value}');
    await closeDialog(page);
  });

  it('shows a command saved as text before command types existed as text, and a JSON object as JSON', async () => {
    const { page } = session.editor;
    const id = await dragFromPalette(page, 'actuator-command', 400, 500);
    await page.evaluate((nodeId) => {
      const n = (window as any).RED.nodes.node(nodeId);
      n.rules = [
        { label: 'a', command: '{"brightness": {value}}' },
        { label: 'b', command: '{"state":"ON"}' },
        { label: 'c', command: { state: 'OFF' } },
      ];
    }, id);
    await openNode(page, id);
    const rows = page.locator('#node-input-rules-container > li');
    const types = [];
    for (let i = 0; i < 3; i++) types.push(await rows.nth(i).locator('.rule-command-type').inputValue());
    assert.deepEqual(types, ['text', 'json', 'json']);
    assert.equal(await doneDisabled(page), false);
    await closeDialog(page);
    const rules = await page.evaluate((nodeId) => (window as any).RED.nodes.node(nodeId).rules, id);
    assert.deepEqual(rules, [
      { label: 'a', commandType: 'text', command: '{"brightness": {value}}' },
      { label: 'b', commandType: 'json', command: { state: 'ON' } },
      { label: 'c', commandType: 'json', command: { state: 'OFF' } },
    ]);
  });
});
