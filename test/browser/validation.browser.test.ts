import { strict as assert } from 'node:assert';
import type { Page } from 'playwright-core';
import { editorSession, openNode, type EditorSession } from '../helpers/browser';
import { TAB } from '../helpers/flows';

/**
 * Issue #18.8: every field of every dialog validates as it is typed and says why it is invalid (the field's
 * tooltip, as Node-RED 4 shows a validator's message); JSON fields are checked as JSON, min ≤ max, a file-based
 * ml-model needs a path.
 */
describe('browser: every field validates as it is typed, with its reason (#18.8)', function () {
  let session: EditorSession;
  const node = (id: string, type: string, props: Record<string, unknown>, y: number, outputs = 2) => ({ id, type, z: TAB, x: 250, y, name: '', wires: Array.from({ length: outputs }, () => []), ...props });

  before(async () => {
    session = await editorSession(() => [
      node('in1', 'sensor-ingest', { sensors: [{ name: 'temp', min: -40, max: 85 }] }, 40),
      node('fw1', 'feature-window', { window: 'sliding', size: 60, slide: 10, unit: 's', time: 'event', features: ['mean'] }, 100),
      { id: 'cfg1', type: 'ml-model', name: 'file model', path: 'models/room.json', bundled: '', watch: false },
      node('mp1', 'model-predict', { model: 'cfg1', property: 'payload.features', drift: true }, 160),
      node('ad1', 'anomaly-detect', { method: 'forecast' }, 220),
      node('mt1', 'model-train', { model: 'cfg1', task: 'classification' }, 280),
      node('ac1', 'actuator-command', { rules: [{ label: 'on', commandType: 'json', command: { light: 'ON' } }] }, 340),
      node('ss1', 'sensor-sim', {}, 400, 1),
    ]);
  });
  after(() => session?.close());
  // A failed test leaves no dialog open for the next one.
  afterEach(async () => {
    const { page } = session.editor;
    for (let i = 0; i < 3 && (await page.locator('#node-config-dialog-cancel, #node-dialog-cancel').count()) > 0; i++) {
      await page.locator('#node-config-dialog-cancel, #node-dialog-cancel').first().click().catch(() => undefined);
      await page.waitForTimeout(500);
    }
  });

  /** The element the editor marks: a typedInput's box, else the field itself. */
  async function marked(page: Page, selector: string): Promise<{ error: boolean; reason: string | null }> {
    return page.evaluate((sel) => {
      const $ = (window as any).$;
      let el = $(sel).first();
      if (el.data('noderedTypedInput') !== undefined) el = el.next('.red-ui-typedInput-container');
      return { error: el.hasClass('input-error'), reason: el.attr('data-iot-ai-error') ?? null };
    }, selector);
  }

  /** Types `value` into the field (as a person does: key by key), then the field is marked at once, and says why on hover. */
  async function expectInvalid(page: Page, selector: string, value: string, reason: RegExp): Promise<void> {
    await typeInto(page, selector, value);
    // No Done, no blur: what the field shows while the person is still in it.
    const state = await marked(page, selector);
    assert.ok(state.error, `${selector} = ${JSON.stringify(value)} is not marked invalid as it is typed`);
    assert.match(String(state.reason), reason, `${selector} = ${JSON.stringify(value)}`);
    assert.match(await tooltipOf(page, selector), reason, `${selector}: the tooltip says why`);
  }

  async function expectValid(page: Page, selector: string, value: string): Promise<void> {
    await typeInto(page, selector, value);
    const state = await marked(page, selector);
    assert.deepEqual(state, { error: false, reason: null }, `${selector} = ${JSON.stringify(value)} is valid`);
  }

  async function typeInto(page: Page, selector: string, value: string): Promise<void> {
    const isTyped = await page.evaluate((sel) => (window as any).$(sel).first().data('noderedTypedInput') !== undefined, selector);
    const field = isTyped ? page.locator(selector).locator('xpath=following-sibling::div[contains(@class,"red-ui-typedInput-container")][1]//input[contains(@class,"red-ui-typedInput-input")]') : page.locator(selector).first();
    await field.click();
    await field.press('ControlOrMeta+a');
    await field.press('Delete');
    if (value === '') await field.press('Backspace');
    else await field.pressSequentially(value);
  }

  async function tooltipOf(page: Page, selector: string): Promise<string> {
    await page.mouse.move(5, 5);
    await page.waitForFunction(() => document.querySelectorAll('.red-ui-popover').length === 0, undefined, { timeout: 5000 }).catch(() => undefined);
    const isTyped = await page.evaluate((sel) => (window as any).$(sel).first().data('noderedTypedInput') !== undefined, selector);
    const target = isTyped ? page.locator(selector).locator('xpath=following-sibling::div[contains(@class,"red-ui-typedInput-container")][1]') : page.locator(selector).first();
    await target.hover();
    const tip = page.locator('.red-ui-popover .red-ui-popover-content').last();
    await tip.waitFor({ state: 'visible', timeout: 10000 });
    const text = await tip.innerText();
    await page.mouse.move(5, 5);
    return text;
  }

  async function cancel(page: Page): Promise<void> {
    await page.click('#node-dialog-cancel');
    await page.waitForSelector('#node-dialog-cancel', { state: 'detached' });
  }

  it('sensor-ingest: topic pattern, schema (JSON), units, state words, time zone, limits, and each sensor\'s min ≤ max', async () => {
    const { page } = session.editor;
    await openNode(page, 'in1');
    await expectInvalid(page, '#node-input-topicPattern', 'sensors/#/x', /Not a topic pattern/);
    await expectValid(page, '#node-input-topicPattern', 'sensors/{deviceId}/{sensor}');
    await expectInvalid(page, '#node-input-schema', '{type: object}', /Not valid JSON/);
    await expectInvalid(page, '#node-input-schema', '[1]', /JSON Schema is an object/);
    await expectValid(page, '#node-input-schema', '{"type": "object"}');
    await expectInvalid(page, '#node-input-units', 'temperature', /"temperature" is not name=value/);
    await expectValid(page, '#node-input-units', 'temperature=Cel');
    await expectInvalid(page, '#node-input-stateWords', 'open=yes', /=true or =false/);
    await expectValid(page, '#node-input-stateWords', 'open=true');
    await expectInvalid(page, '#node-input-timeZone', 'Mars/Olympus', /IANA time zone/);
    await expectValid(page, '#node-input-timeZone', 'Europe/Berlin');
    await expectInvalid(page, '#node-input-num-maxFutureMs', 'soon', /Must be a number/);
    await expectValid(page, '#node-input-num-maxFutureMs', '60000');
    await expectInvalid(page, '#node-input-num-maxPayloadBytes', '99999999', /between 1 and 16777216/);
    await expectValid(page, '#node-input-num-maxPayloadBytes', '1024');
    await expectInvalid(page, '#node-input-num-maxRecords', '1.5', /whole number/);
    await expectValid(page, '#node-input-num-maxRecords', '100');
    await page.selectOption('#node-input-format', 'value');
    await expectInvalid(page, '#node-input-topicPattern', 'sensors/+/x', /needs a topic pattern with \{deviceId\} and \{sensor\}/);
    await expectValid(page, '#node-input-topicPattern', 'sensors/{deviceId}/{sensor}');
    // The sensor row's own bounds: min above max is marked on both, as typed.
    const row = '#node-input-sensors-container li:first-child';
    await expectInvalid(page, `${row} .sensor-min`, '90', /temp: min \(90\) is greater than max \(85\)/);
    assert.ok((await marked(page, `${row} .sensor-max`)).error, 'max is marked too');
    await expectInvalid(page, `${row} .sensor-max`, 'hot', /temp: max must be a number/);
    await expectValid(page, `${row} .sensor-max`, '100');
    assert.equal((await marked(page, `${row} .sensor-min`)).error, false, 'min is cleared once max is above it');
    // min > max saved: the node is invalid.
    await typeInto(page, `${row} .sensor-min`, '200');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-dialog-ok', { state: 'detached' });
    assert.equal(await page.evaluate(() => (window as any).RED.nodes.node('in1').valid), false, 'min > max is refused');
  });

  it('feature-window: size, slide (against size), lateness, jump, idle close, min count (JSON), max devices, features', async () => {
    const { page } = session.editor;
    await openNode(page, 'fw1');
    await expectInvalid(page, '#node-input-num-size', '0', /greater than 0/);
    await expectValid(page, '#node-input-num-size', '60');
    await expectInvalid(page, '#node-input-num-slide', '0.01', /at most 1000/);
    await expectValid(page, '#node-input-num-slide', '10');
    // A pair judged as it stands in the dialog: a larger size makes the slide too short for it.
    await typeInto(page, '#node-input-num-size', '60000');
    assert.match(String((await marked(page, '#node-input-num-slide')).reason), /at most 1000/, 'slide judged against the size being typed');
    await expectValid(page, '#node-input-num-size', '60');
    assert.equal((await marked(page, '#node-input-num-slide')).error, false);
    await expectInvalid(page, '#node-input-num-lateness', '-1', /at least 0/);
    await expectValid(page, '#node-input-num-lateness', '0');
    await expectInvalid(page, '#node-input-num-maxJump', 'far', /Must be a number/);
    await expectValid(page, '#node-input-num-maxJump', '10000');
    await expectInvalid(page, '#node-input-num-idleTimeout', '-5', /at least 0/);
    await expectValid(page, '#node-input-num-idleTimeout', '0');
    await expectInvalid(page, '#node-input-minCount', '{temp: 3}', /Not valid JSON/);
    await expectInvalid(page, '#node-input-minCount', '{"temp": -1}', /minCount for "temp"/);
    await expectValid(page, '#node-input-minCount', '{"temp": 3}');
    await expectInvalid(page, '#node-input-num-maxKeys', '100001', /between 1 and 100000/);
    await expectValid(page, '#node-input-num-maxKeys', '100');
    await page.uncheck('#iot-ai-window-feature-mean');
    const features = await marked(page, '#iot-ai-window-features');
    assert.ok(features.error && /at least one feature/.test(String(features.reason)), JSON.stringify(features));
    await page.check('#iot-ai-window-feature-mean');
    assert.equal((await marked(page, '#iot-ai-window-features')).error, false);
    // Spectral settings (#21.5), shown once a spectral feature is checked, judged by core's rules.
    await page.check('#iot-ai-window-feature-domFreq');
    await expectInvalid(page, '#node-input-bands', '0-1, 3-1', /Band "3-1" must read low-high in Hz/);
    await expectInvalid(page, '#node-input-bands', '0.12345-1', /at most 3 decimals/);
    await expectValid(page, '#node-input-bands', '0-1, 1-3.5');
    await expectInvalid(page, '#node-input-num-spectralPoints', '100', /power of two from 8 to 4096/);
    await expectValid(page, '#node-input-num-spectralPoints', '16');
    await expectInvalid(page, '#node-input-num-fftCoefficients', '8', /from 1 to 7/);
    await expectValid(page, '#node-input-num-fftCoefficients', '4');
    await expectValid(page, '#node-input-num-spectralPoints', '64');
    await page.uncheck('#iot-ai-window-feature-domFreq');
    await page.selectOption('#node-input-unit', 'count');
    await expectInvalid(page, '#node-input-num-size', '2.5', /whole numbers of readings/);
    await page.selectOption('#node-input-window', 'session');
    await page.selectOption('#node-input-unit', 's');
    await expectInvalid(page, '#node-input-num-gap', '0', /greater than 0/);
    await cancel(page);
    // Checking the dialog's values never writes them into the node: Cancel keeps what was saved.
    const kept = await page.evaluate(() => {
      const n = (window as any).RED.nodes.node('fw1');
      return { window: n.window, size: n.size, slide: n.slide, unit: n.unit, features: n.features, maxKeys: n.maxKeys };
    });
    // (maxKeys was missing from the saved node: opening the dialog gives it the default the runtime uses, #18.9.)
    assert.deepEqual(kept, { window: 'sliding', size: 60, slide: 10, unit: 's', features: ['mean'], maxKeys: 10000 });
  });

  it('model-predict and its file ml-model: property, thresholds, drift window; a file model without a path is refused', async () => {
    const { page } = session.editor;
    await openNode(page, 'mp1');
    await expectInvalid(page, '#node-input-property', '', /Required/);
    await expectValid(page, '#node-input-property', 'payload.features');
    await expectInvalid(page, '#node-input-num-threshold', '1.5', /between 0 and 1/);
    await expectValid(page, '#node-input-num-threshold', '0.7');
    // The likelihood's alarm level shows once Likelihood is ticked (#25).
    await page.check('#node-input-likelihood');
    await expectInvalid(page, '#node-input-num-likelihoodThreshold', '0.3', /between 0.5 and 1/);
    await expectValid(page, '#node-input-num-likelihoodThreshold', '0.999');
    await expectInvalid(page, '#node-input-num-driftThreshold', '0', /between 0.001 and 100/);
    await expectValid(page, '#node-input-num-driftThreshold', '0.2');
    await expectInvalid(page, '#node-input-num-driftWindow', '5', /between 10 and 100000/);
    await expectValid(page, '#node-input-num-driftWindow', '500');
    // The ml-model config, from the model field's edit button.
    await page.click('#node-input-btn-model-edit');
    await page.waitForSelector('#node-config-input-source', { state: 'visible' });
    assert.equal(await page.inputValue('#node-config-input-source'), 'file');
    await expectInvalid(page, '#node-config-input-path', '', /A file model needs a path/);
    await page.click('#node-config-dialog-ok');
    await page.waitForSelector('#node-config-input-source', { state: 'detached' });
    assert.equal(await page.evaluate(() => (window as any).RED.nodes.node('cfg1').valid), false, 'a file model without a path is refused');
    await page.click('#node-input-btn-model-edit');
    await page.waitForSelector('#node-config-input-source', { state: 'visible' });
    await page.selectOption('#node-config-input-source', 'file');
    assert.ok((await marked(page, '#node-config-input-path')).error, 'marked again when reopened');
    await expectValid(page, '#node-config-input-path', 'models/room.json');
    await page.selectOption('#node-config-input-source', 'bundled');
    await page.click('#node-config-dialog-ok');
    await page.waitForSelector('#node-config-input-source', { state: 'detached' });
    assert.equal(await page.evaluate(() => (window as any).RED.nodes.node('cfg1').valid), true, 'a bundled model needs no path');
    await cancel(page);
  });

  it('anomaly-detect: every number with its range', async () => {
    const { page } = session.editor;
    await openNode(page, 'ad1');
    const cases: Array<[string, string, RegExp, string]> = [
      ['memory', '1', /between 2 and 1000000/, '1000'],
      ['smoothing', '2', /between 0.01 and 1/, '0.9'],
      ['threshold', '0.2', /between 0.5 and 1/, '0.9999'],
      ['average', '0', /between 1 and 1000/, '10'],
      ['learn', '1.5', /whole number/, '100'],
      ['refractory', '-1', /between 0 and 1000000/, '100'],
      ['refractoryTime', '-1', /at least 0/, '0'],
      ['maxKeys', '0', /between 1 and 10000000/, '10000'],
    ];
    for (const [field, bad, reason, good] of cases) {
      await expectInvalid(page, `#node-input-num-${field}`, bad, reason);
      await expectValid(page, `#node-input-num-${field}`, good);
    }
    await page.selectOption('#node-input-method', 'knn-cad');
    for (const [field, bad, reason] of [['neighbours', '33', /between 1 and 32/], ['reference', '2', /between 4 and 1024/], ['embed', '0', /between 1 and 32/]] as const) {
      await expectInvalid(page, `#node-input-num-${field}`, bad, reason);
    }
    await cancel(page);
  });

  it('model-train: every number, and max samples against the anomaly warm-up', async () => {
    const { page } = session.editor;
    await openNode(page, 'mt1');
    const labelled: Array<[string, string, RegExp, string]> = [
      ['every', '-1', /at least 0/, '0'],
      ['maxSamples', '5', /between 10 and 1000000/, '10000'],
      ['maxMemory', '0', /between 1 and 65536/, '128'],
      ['trees', '0', /between 1 and 1000/, '50'],
      ['maxDepth', '65', /between 0 and 64/, ''],
      ['seed', '1.5', /whole number/, '1'],
      ['testFraction', '0.95', /between 0 and 0.9/, '0.2'],
      ['keepVersions', '-1', /between 0 and 100/, '5'],
      // The runtime refuses more than 100 kept versions: the editor says so as it is typed (one table, #20).
      ['keepVersions', '101', /between 0 and 100/, '100'],
    ];
    for (const [field, bad, reason, good] of labelled) {
      await expectInvalid(page, `#node-input-num-${field}`, bad, reason);
      await expectValid(page, `#node-input-num-${field}`, good);
    }
    await page.selectOption('#node-input-task', 'anomaly');
    await expectInvalid(page, '#node-input-num-warmup', '10', /at least 20/);
    await expectValid(page, '#node-input-num-warmup', '100');
    await expectInvalid(page, '#node-input-num-maxSamples', '50', /warm-up \(100 windows\)/);
    await expectValid(page, '#node-input-num-maxSamples', '1000');
    await expectInvalid(page, '#node-input-num-contamination', '0.6', /between 0 and 0.49/);
    await expectInvalid(page, '#node-input-num-threshold', '2', /between 0 and 1/);
    await page.selectOption('#node-input-update', 'rolling');
    await expectInvalid(page, '#node-input-num-adaptAfter', '5', /0 \(off\), or at least 20/);
    await page.selectOption('#node-input-scope', 'device');
    await expectInvalid(page, '#node-input-num-maxDevices', '0', /between 1 and 10000/);
    await cancel(page);
  });

  it('actuator-command: {light: ON} refused as JSON and as text, limits min ≤ max, schema JSON, topics, numbers', async () => {
    const { page } = session.editor;
    await openNode(page, 'ac1');
    const command = '#node-input-rules-container li:first-child .rule-command';
    await expectInvalid(page, command, '{light: ON}', /Not valid JSON/);
    // As text, the same braces are refused too: a device would get them verbatim.
    await page.evaluate((sel) => (window as any).$(sel).typedInput('type', 'text'), command);
    await expectInvalid(page, command, '{light: ON}', /Written as a JSON object but not valid JSON/);
    await expectValid(page, command, 'ON');
    await expectValid(page, command, '{label}-{value}');
    await expectInvalid(page, '#node-input-rules-container li:first-child .rule-match', '', /Give a label, or a number/);
    await expectValid(page, '#node-input-rules-container li:first-child .rule-match', 'on');
    await expectInvalid(page, '#node-input-topic', 'home/+/set', /wildcards/);
    await expectInvalid(page, '#node-input-topic', 'home/{correlationId}', /belongs in the command/);
    await expectValid(page, '#node-input-topic', 'home/{deviceId}/set');
    await expectInvalid(page, '#node-input-limits', '{min: 0}', /Not valid JSON/);
    await expectInvalid(page, '#node-input-limits', '{"min": 10, "max": 0}', /min \(10\) is greater than max \(0\)/);
    await expectInvalid(page, '#node-input-limits', '{"brightness": {"min": 80, "max": 20}}', /brightness: min \(80\) is greater than max \(20\)/);
    await expectInvalid(page, '#node-input-limits', '[1, 2]', /Must be a JSON object/);
    await expectValid(page, '#node-input-limits', '{"brightness": {"min": 0, "max": 100}}');
    await expectInvalid(page, '#node-input-commandSchema', '{"type": }', /Not valid JSON/);
    await expectValid(page, '#node-input-commandSchema', '{"type": "object"}');
    for (const [field, bad, reason, good] of [['hysteresis', '-1', /at least 0/, '0'], ['minConfidence', '2', /between 0 and 1/, '0.5'], ['cooldown', 'soon', /Must be a number/, '1000']] as const) {
      await expectInvalid(page, `#node-input-num-${field}`, bad, reason);
      await expectValid(page, `#node-input-num-${field}`, good);
    }
    await page.selectOption('#node-input-ack', 'payload');
    await expectInvalid(page, '#node-input-num-ackTimeout', '50', /at least 100/);
    await expectInvalid(page, '#node-input-num-retries', '11', /between 0 and 10/);
    await expectInvalid(page, '#node-input-replyTopic', 'replies/#', /wildcards/);
    await page.selectOption('#node-input-ack', 'none');
    // {light: ON} as text, saved: the node is invalid (and the runtime refuses it at deploy: test/nodes/actuator-json-config.test.ts).
    await typeInto(page, command, '{light: ON}');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-dialog-ok', { state: 'detached' });
    assert.equal(await page.evaluate(() => (window as any).RED.nodes.node('ac1').valid), false, '{light: ON} is refused');
  });

  it('sensor-sim: devices, interval, speed (and their budget), seed, anomalies, start time', async () => {
    const { page } = session.editor;
    await openNode(page, 'ss1');
    const cases: Array<[string, string, RegExp, string]> = [
      ['#node-input-sim-devices', '0', /between 1 and 1000/, '3'],
      ['#node-input-sim-interval', '5', /between 10 and 86400000/, '5000'],
      ['#node-input-sim-speed', '0', /greater than 0/, '1'],
      ['#node-input-sim-seed', '1.5', /whole number/, '1'],
      ['#node-input-sim-anomalies', '0.9', /between 0 and 0.5/, '0'],
      ['#node-input-startTime', 'tomorrow', /Epoch milliseconds, or an ISO 8601 date/, '2024-01-15T08:00:00Z'],
    ];
    for (const [selector, bad, reason, good] of cases) {
      await expectInvalid(page, selector, bad, reason);
      await expectValid(page, selector, good);
    }
    await typeInto(page, '#node-input-sim-devices', '1000');
    await expectInvalid(page, '#node-input-sim-interval', '10', /above the 2000 a running sensor-sim may send/);
    await cancel(page);
  });
});
