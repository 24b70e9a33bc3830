import { strict as assert } from 'node:assert';
import { mqttClient } from '../helpers/broker';
import { mqttIn, mqttOut } from '../helpers/flows';
import { editorSession, dragFromPalette, wire, openNode, closeDialog, deploy, type EditorSession } from '../helpers/browser';

describe('browser: feature-window in the editor', function () {
  let session: EditorSession;

  before(async () => {
    session = await editorSession(() => [mqttIn('in1', 'readings'), mqttOut('out1', 'features')]);
  });
  after(() => session?.close());

  it('configures a sliding window (only its fields shown), deploys it, and features come out', async () => {
    const { page } = session.editor;
    const id = await dragFromPalette(page, 'feature-window', 400, 100);
    await openNode(page, id);
    assert.equal(await page.isVisible('#node-input-num-slide'), false, 'tumbling windows have no "every" field');
    await page.selectOption('#node-input-window', 'sliding');
    assert.equal(await page.isVisible('#node-input-num-slide'), true);
    assert.equal(await page.isVisible('#node-input-num-gap'), false);
    await page.selectOption('#node-input-window', 'session');
    assert.equal(await page.isVisible('#node-input-num-gap'), true);
    assert.equal(await page.isVisible('#node-input-num-slide'), false);
    assert.equal(await page.isVisible('#node-input-num-maxJump'), true, 'max jump: event time');
    await page.selectOption('#node-input-time', 'arrival');
    assert.equal(await page.isVisible('#node-input-num-maxJump'), false, 'no max jump in arrival time');
    await page.selectOption('#node-input-time', 'event');
    await page.selectOption('#node-input-window', 'sliding');
    await page.fill('#node-input-num-size', '10');
    await page.fill('#node-input-num-slide', '5');
    await page.selectOption('#node-input-unit', 's');
    for (const feature of ['std', 'min', 'max', 'last', 'count']) await page.uncheck(`#iot-ai-window-feature-${feature}`);
    await page.check('#iot-ai-window-feature-slope');
    await closeDialog(page);
    const saved = await page.evaluate((nodeId) => {
      const n = (window as any).RED.nodes.node(nodeId);
      return { window: n.window, size: n.size, slide: n.slide, maxJump: n.maxJump, features: n.features, valid: n.valid };
    }, id);
    assert.deepEqual(saved, { window: 'sliding', size: 10, slide: 5, maxJump: 10000, features: ['mean', 'slope'], valid: true }, 'numbers are saved as numbers');
    await wire(page, 'in1', 0, id);
    await wire(page, id, 0, 'out1');
    await deploy(page);

    const client = await mqttClient(session.broker.url);
    try {
      await client.client.subscribeAsync('features', { qos: 1 });
      const t0 = Date.UTC(2026, 0, 1);
      let i = 0;
      await client.waitFor(() => {
        // Readings 1 s apart, value = seconds: every window's slope is 1 per second.
        void client.client.publishAsync('readings', JSON.stringify({ deviceId: 'pump', sensor: 'rpm', value: i, ts: t0 + i * 1000 }), { qos: 1 });
        i++;
        return client.json('features').length >= 2;
      }, 30000, 'two sliding windows');
      const [first, second] = client.json('features');
      assert.equal(second.start - first.start, 5000, 'windows start every 5 s');
      assert.equal(second.end - second.start, 10000, 'and last 10 s');
      assert.deepEqual(Object.keys(second.features).sort(), ['rpm.mean', 'rpm.slope']);
      assert.ok(Math.abs(second.features['rpm.slope'] - 1) < 1e-9);
    } finally {
      await client.end();
    }
  });

  it('the calendar feature and its time zone: UTC for a new node, an IANA name kept, an unknown one marked and the node invalid (#16)', async () => {
    const { page } = session.editor;
    const id = await dragFromPalette(page, 'feature-window', 400, 260);
    await openNode(page, id);
    assert.equal(await page.inputValue('#node-input-timeZone'), 'UTC');
    await page.check('#iot-ai-window-feature-calendar');
    await page.fill('#node-input-timeZone', 'Europe/Berlin');
    await closeDialog(page);
    const read = () =>
      page.evaluate((nodeId) => {
        const n = (window as any).RED.nodes.node(nodeId);
        return { timeZone: n.timeZone, calendar: n.features.includes('calendar'), valid: n.valid };
      }, id);
    assert.deepEqual(await read(), { timeZone: 'Europe/Berlin', calendar: true, valid: true });

    await openNode(page, id);
    await page.fill('#node-input-timeZone', 'Mars/Olympus');
    await page.locator('#node-input-timeZone').dispatchEvent('change');
    await page.waitForFunction(() => (window as any).$('#node-input-timeZone').hasClass('input-error'), undefined, { timeout: 10000 });
    await closeDialog(page);
    assert.deepEqual(await read(), { timeZone: 'Mars/Olympus', calendar: true, valid: false });
  });

  it('spectral features (#21.5): their settings show when one is checked, numbers are saved as numbers, a bad band or point count is marked and the node invalid', async () => {
    const { page } = session.editor;
    const id = await dragFromPalette(page, 'feature-window', 400, 420);
    await openNode(page, id);
    assert.equal(await page.isVisible('#node-input-bands'), false, 'hidden while no spectral feature is checked');
    assert.equal(await page.isVisible('#iot-ai-window-feature-domFreq'), true);
    await page.check('#iot-ai-window-feature-bandEnergy');
    assert.equal(await page.isVisible('#node-input-bands'), true);
    assert.equal(await page.isVisible('#node-input-num-spectralPoints'), true);
    assert.equal(await page.inputValue('#node-input-bands'), '0-0.5, 0.5-3, 3-8, 8-25', 'the default bands, from core');
    assert.equal(await page.inputValue('#node-input-num-spectralPoints'), '64');
    assert.equal(await page.inputValue('#node-input-num-fftCoefficients'), '4');
    await page.check('#iot-ai-window-feature-domFreq');
    await page.fill('#node-input-bands', '0-1, 1-3.5');
    await page.fill('#node-input-num-spectralPoints', '128');
    await page.fill('#node-input-num-fftCoefficients', '6');
    await closeDialog(page);
    const read = () =>
      page.evaluate((nodeId) => {
        const n = (window as any).RED.nodes.node(nodeId);
        return { bands: n.bands, spectralPoints: n.spectralPoints, fftCoefficients: n.fftCoefficients, spectral: n.features.filter((f: string) => ['domFreq', 'bandEnergy'].includes(f)), valid: n.valid };
      }, id);
    assert.deepEqual(await read(), { bands: '0-1, 1-3.5', spectralPoints: 128, fftCoefficients: 6, spectral: ['domFreq', 'bandEnergy'], valid: true });

    await openNode(page, id);
    await page.fill('#node-input-bands', '3-1');
    await page.locator('#node-input-bands').dispatchEvent('change');
    await page.waitForFunction(() => (window as any).$('#node-input-bands').hasClass('input-error'), undefined, { timeout: 10000 });
    await page.fill('#node-input-bands', '0-1, 1-3.5');
    await page.locator('#node-input-bands').dispatchEvent('change');
    await page.fill('#node-input-num-spectralPoints', '100');
    await page.locator('#node-input-num-spectralPoints').dispatchEvent('change');
    await page.waitForFunction(() => (window as any).$('#node-input-num-spectralPoints').hasClass('input-error'), undefined, { timeout: 10000 });
    await closeDialog(page);
    assert.equal((await read()).valid, false, 'a point count that is not a power of two makes the node invalid');
  });
});
