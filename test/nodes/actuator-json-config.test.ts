import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { parseActuatorConfig } from '../../src/core/actuate';
import { collect, getNode, harness, helper, lastStatus, settle } from '../helpers/runtime';
import { runs } from '../helpers/fuzz';
import actuatorCommand = require('../../src/nodes/actuator-command');

/**
 * Issue #18.8: `{light: ON}` in a rule's command was accepted and sent to the device verbatim. A command written as
 * a JSON object that is not valid JSON is a configuration fault at deploy, with a clear status; nothing is sent.
 */
describe('actuator-command: a command that is not valid JSON is refused at deploy (#18.8)', function () {
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  const cases: Array<[string, Record<string, unknown>]> = [
    ['a text command', { label: 'on', commandType: 'text', command: '{light: ON}' }],
    ['a rule saved before commandType', { label: 'on', command: '{light: ON}' }],
    ['a JSON command', { label: 'on', commandType: 'json', command: '{light: ON}' }],
  ];
  for (const [what, rule] of cases) {
    it(`${what}: red status naming the rule, the prediction ends in done(err), nothing is sent`, async () => {
      await helper.load(actuatorCommand, harness('actuator-command', { rules: [rule, { label: 'off', command: { light: 'OFF' } }] }));
      const n1 = getNode('n1');
      for (let i = 0; i < 50 && lastStatus(n1)?.fill !== 'red'; i++) await settle(20);
      const status = lastStatus(n1);
      assert.equal(status?.fill, 'red', JSON.stringify(status));
      assert.match(String(status?.text), /rules\[0\]\.command/);
      const out1 = collect('out1');
      const caught = collect('caught');
      n1.receive({ payload: { deviceId: 'lamp1', prediction: { label: 'on', confidence: 1 } } });
      const [fault] = await caught.next(1);
      assert.match(String(fault.error.message), /rules\[0\]\.command .*(not valid JSON)/);
      await settle(100);
      assert.equal(out1.messages.length, 0, 'nothing reaches the device');
    });
  }

  it('keeps text commands that are not JSON objects: ON, {label}, {label}-{value}, Dimmer {value}, a JSON object with bare placeholders', () => {
    for (const command of ['ON', '{label}', '{label}-{value}', 'Dimmer {value}', '{value}', '{"brightness": {value}}', '{"state": "{label}"}']) {
      const parsed = parseActuatorConfig({ rules: [{ label: 'on', commandType: 'text', command }] });
      assert.ok(parsed.ok, `${command}: ${parsed.ok ? '' : parsed.error}`);
    }
  });

  it('refuses every text written as an object that JSON does not parse (property)', () => {
    const word = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,8}$/);
    fc.assert(
      fc.property(word, word, (key, value) => {
        const parsed = parseActuatorConfig({ rules: [{ label: 'on', commandType: 'text', command: `{${key}: ${value}}` }] });
        // `{label: x}` etc. start with a placeholder-like word but are still not JSON once quoted.
        assert.equal(parsed.ok, false, `{${key}: ${value}} was accepted`);
        if (!parsed.ok) assert.match(parsed.error, /not valid JSON/);
      }),
      { numRuns: runs(200, 5000) },
    );
  });
});
