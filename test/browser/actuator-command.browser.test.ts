import { strict as assert } from 'node:assert';
import { mqttClient } from '../helpers/broker';
import { mqttIn, mqttOut } from '../helpers/flows';
import { editorSession, dragFromPalette, wire, openNode, closeDialog, deploy, type EditorSession } from '../helpers/browser';

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
    await first.locator('.rule-command').fill('{"fan":"ON","speed":"{value}"}');
    const second = items.nth(1);
    await second.locator('.rule-kind').selectOption('label');
    await second.locator('.rule-match').fill('cool');
    await second.locator('.rule-command').fill('{"fan":"OFF"}');
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
        { above: 30, command: { fan: 'ON', speed: '{value}' } },
        { label: 'cool', command: { fan: 'OFF' } },
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
});
