import { strict as assert } from 'node:assert';
import { editorSession, dragFromPalette, openNode, closeDialog, type EditorSession } from '../helpers/browser';

/** Issue #15: choosing a device profile in the dialog fills topic, acknowledgement and example rules. */
describe('browser: actuator-command device profile', function () {
  let session: EditorSession;

  before(async () => {
    session = await editorSession(() => []);
  });
  after(() => session?.close());

  it('choosing Tasmota, then Shelly, fills the topic, the ack and the rules; a topic the user typed stays', async () => {
    const { page } = session.editor;
    const id = await dragFromPalette(page, 'actuator-command', 300, 100);
    await openNode(page, id);
    assert.equal(await page.locator('#node-input-profile option[value="tasmota"]').textContent(), 'Tasmota', 'the option is translated');
    await page.selectOption('#node-input-profile', 'tasmota');
    assert.equal(await page.inputValue('#node-input-topic'), 'cmnd/{deviceId}/POWER');
    assert.equal(await page.inputValue('#node-input-ack'), 'state');
    assert.ok(await page.locator('.iot-ai-profile-tip').isVisible());
    await page.selectOption('#node-input-profile', 'shelly');
    assert.equal(await page.inputValue('#node-input-topic'), '{deviceId}/rpc');
    assert.equal(await page.inputValue('#node-input-ack'), 'payload');
    assert.equal(await page.inputValue('#node-input-replyTopic'), 'iot-ai/{deviceId}/rpc');
    await closeDialog(page);
    const saved = await page.evaluate((nodeId) => {
      const n = (window as any).RED.nodes.node(nodeId);
      return { profile: n.profile, topic: n.topic, ack: n.ack, rules: n.rules, valid: n.valid };
    }, id);
    assert.deepEqual(saved, {
      profile: 'shelly',
      topic: '{deviceId}/rpc',
      ack: 'payload',
      rules: [
        { label: 'on', commandType: 'json', command: { method: 'Switch.Set', params: { id: 0, on: true } } },
        { label: 'off', commandType: 'json', command: { method: 'Switch.Set', params: { id: 0, on: false } } },
      ],
      valid: true,
    });

    await openNode(page, id);
    await page.fill('#node-input-topic', 'shellies/{deviceId}/rpc');
    await page.selectOption('#node-input-profile', 'zigbee2mqtt');
    assert.equal(await page.inputValue('#node-input-topic'), 'shellies/{deviceId}/rpc', 'what the user typed stays');
    assert.equal(await page.inputValue('#node-input-ack'), 'state');
    await closeDialog(page);
    const rules = await page.evaluate((nodeId) => (window as any).RED.nodes.node(nodeId).rules, id);
    assert.deepEqual(rules[0], { label: 'on', commandType: 'json', command: { state: 'ON' } });
  });
});
