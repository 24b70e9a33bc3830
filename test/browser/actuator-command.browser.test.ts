import { strict as assert } from 'node:assert';
import { NodeRedProcess } from '../helpers/nodered-process';
import { startAedes, mqttClient, type Broker } from '../helpers/broker';
import { openEditor, dragFromPalette, wire, openNode, closeDialog, deploy } from '../helpers/browser';

describe('browser: actuator-command in the editor', function () {
  let broker: Broker;
  let red: NodeRedProcess;
  let editor: Awaited<ReturnType<typeof openEditor>>;

  before(async () => {
    broker = await startAedes();
    red = await NodeRedProcess.start({
      flows: [
        { id: 'tab1', type: 'tab', label: 'Flow 1' },
        { id: 'broker1', type: 'mqtt-broker', name: 'test broker', broker: '127.0.0.1', port: String(broker.port), clientid: '', autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true },
        { id: 'in1', type: 'mqtt in', z: 'tab1', name: 'predictions', topic: 'predictions', qos: '1', datatype: 'json', broker: 'broker1', nl: false, rap: true, rh: 0, inputs: 0, x: 150, y: 100, wires: [] },
        { id: 'out1', type: 'mqtt out', z: 'tab1', name: 'commands', topic: '', qos: '1', retain: 'false', broker: 'broker1', x: 650, y: 100, wires: [] },
      ],
    });
    editor = await openEditor(red.url);
  });
  after(async () => {
    await editor?.close();
    await red?.dispose();
    await broker?.close();
  });

  it('removes the default rules, adds two, deploys, and a command comes out', async () => {
    const { page } = editor;
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
    await closeDialog(page);
    const saved = await page.evaluate((nodeId) => {
      const n = (window as any).RED.nodes.node(nodeId);
      return { rules: n.rules, valid: n.valid };
    }, id);
    assert.deepEqual(saved, {
      rules: [
        { above: 30, command: { fan: 'ON', speed: '{value}' } },
        { label: 'cool', command: { fan: 'OFF' } },
      ],
      valid: true,
    });
    await wire(page, 'in1', 0, id);
    await wire(page, id, 0, 'out1');
    await deploy(page);

    const client = await mqttClient(broker.url);
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
