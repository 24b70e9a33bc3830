import { strict as assert } from 'node:assert';
import { mqttClient } from '../helpers/broker';
import { mqttIn, mqttOut } from '../helpers/flows';
import { editorSession, dragFromPalette, wire, openNode, closeDialog, deploy, type EditorSession } from '../helpers/browser';

describe('browser: sensor-ingest in the editor', function () {
  let session: EditorSession;

  before(async () => {
    session = await editorSession(() => [mqttIn('in1', 'site/#', [], { datatype: 'auto-detect' }), mqttOut('out1', 'out/readings')]);
  });
  after(() => session?.close());

  it('drags sensor-ingest from the palette, sets a topic pattern, deploys, and a reading comes out', async () => {
    const { page } = session.editor;
    const paletteLabel = await page.locator('#red-ui-palette .red-ui-palette-node[data-palette-type="sensor-ingest"]').innerText();
    assert.equal(paletteLabel.trim(), 'ingest', 'a one-word palette label (#18.14)');
    const id = await dragFromPalette(page, 'sensor-ingest', 400, 100);
    await openNode(page, id);
    assert.equal(await page.inputValue('#node-input-format'), 'auto', 'sensible default format');
    await page.fill('#node-input-topicPattern', 'site/{deviceId}/{sensor}');
    await page.selectOption('#node-input-format', 'value');
    await closeDialog(page);
    const saved = await page.evaluate((nodeId) => {
      const n = (window as any).RED.nodes.node(nodeId);
      return { topicPattern: n.topicPattern, format: n.format, valid: n.valid };
    }, id);
    assert.deepEqual(saved, { topicPattern: 'site/{deviceId}/{sensor}', format: 'value', valid: true });
    await wire(page, 'in1', 0, id);
    await wire(page, id, 0, 'out1');
    const links = await page.evaluate(() => (window as any).RED.nodes.filterLinks({}).map((l: any) => `${l.source.id}:${l.sourcePort}>${l.target.id}`));
    assert.deepEqual(links.sort(), [`${id}:0>out1`, `in1:0>${id}`].sort());
    await deploy(page);

    const client = await mqttClient(session.broker.url);
    try {
      await client.client.subscribeAsync('out/readings', { qos: 1 });
      await client.waitFor(() => {
        void client.client.publishAsync('site/greenhouse/temp', '23.5', { qos: 1 });
        return client.json('out/readings').length > 0;
      }, 20000, 'a reading');
      const [reading] = client.json('out/readings');
      assert.equal(reading.deviceId, 'greenhouse');
      assert.equal(reading.sensor, 'temp');
      assert.equal(reading.value, 23.5);
      // The status the node reports reaches the editor over its websocket.
      const status = await page.waitForFunction(
        (nodeId) => document.querySelector(`g.red-ui-flow-node-group[id="${nodeId}"] .red-ui-flow-node-status-label`)?.textContent?.match(/\d+ ok/)?.[0],
        id,
        { timeout: 10000 },
      );
      assert.match(String(await status.jsonValue()), /^[1-9]\d* ok$/);
    } finally {
      await client.end();
    }
  });

  it('choosing a device profile fills the fields it covers; each stays editable and is saved as edited', async () => {
    const { page } = session.editor;
    const id = await dragFromPalette(page, 'sensor-ingest', 400, 220);
    await openNode(page, id);
    assert.equal(await page.inputValue('#node-input-profile'), 'generic', 'generic by default');
    assert.equal(await page.inputValue('#node-input-topicPattern'), '', 'opening the dialog fills nothing');
    await page.selectOption('#node-input-profile', 'zigbee2mqtt');
    assert.equal(await page.inputValue('#node-input-topicPattern'), 'zigbee2mqtt/{deviceId#}');
    assert.equal(await page.inputValue('#node-input-deviceFrom'), 'topic');
    assert.equal(await page.inputValue('#node-input-tsField'), 'last_seen');
    assert.match(await page.inputValue('#node-input-exclude'), /linkquality/);
    assert.match(await page.inputValue('#node-input-units'), /temperature=Cel/);
    await page.selectOption('#node-input-profile', 'ttn');
    assert.equal(await page.inputValue('#node-input-topicPattern'), 'v3/+/devices/{deviceId}/up');
    assert.equal(await page.inputValue('#node-input-deviceIdField'), 'end_device_ids.device_id');
    assert.equal(await page.inputValue('#node-input-valuesField'), 'uplink_message.decoded_payload');
    assert.equal(await page.inputValue('#node-input-exclude'), '', 'a field the new profile leaves empty is emptied');
    await page.fill('#node-input-exclude', 'battery');
    await page.fill('#node-input-timeZone', 'Europe/Berlin');
    await closeDialog(page);
    const saved = await page.evaluate((nodeId) => {
      const n = (window as any).RED.nodes.node(nodeId);
      return { profile: n.profile, topicPattern: n.topicPattern, deviceIdField: n.deviceIdField, exclude: n.exclude, timeZone: n.timeZone, valid: n.valid };
    }, id);
    assert.deepEqual(saved, { profile: 'ttn', topicPattern: 'v3/+/devices/{deviceId}/up', deviceIdField: 'end_device_ids.device_id', exclude: 'battery', timeZone: 'Europe/Berlin', valid: true });
    await openNode(page, id);
    assert.equal(await page.inputValue('#node-input-exclude'), 'battery', 'reopening keeps what the user edited');
    await closeDialog(page);
  });
});
