import assert from 'node:assert/strict';
import fc from 'fast-check';
import { explanationText, MAX_REASON_CONTRIBUTIONS } from '../../src/core/actuate/rules';
import { engineFor, onlyCommand, onlyOutcome, outcomesOf, commandsOf } from './actuate-helpers';
import { runs } from '../helpers/fuzz';

const T0 = 1_700_000_000_000;
const explanation = {
  base: 0.5,
  contributions: [
    { feature: 'co2.mean', value: 420, contribution: -0.3141 },
    { feature: 'light.mean', value: 3, contribution: -0.2249 },
    { feature: 'temp.mean', value: 21, contribution: 0.0123 },
  ],
};

/** actuator-command carries model-predict's explanation into the command's reason and its outcome (issue #17). */
describe('actuate: the explanation in the reason (issue #17)', () => {
  it('msg.command.reason and the sent outcome say why: the largest contributions, as model-predict listed them', () => {
    const engine = engineFor({ rules: [{ label: 'setback', command: { mode: 'eco' } }], cooldown: 0 });
    const effects = engine.handle({ payload: { deviceId: 'heating', prediction: { label: 'setback', confidence: 0.9, explanation } } }, T0);
    const command = onlyCommand(effects);
    assert.equal(command.command.reason, 'rule 1: label "setback"; why: co2.mean -0.31, light.mean -0.22, temp.mean +0.012');
    const outcome = onlyOutcome(effects);
    assert.equal(outcome.status, 'sent');
    assert.match(outcome.detail, /why: co2\.mean -0\.31, light\.mean -0\.22/);
  });

  it('keeps the reason as before without an explanation, or with one of another shape (and still acts)', () => {
    for (const odd of [undefined, null, 'because', { contributions: 'x' }, { contributions: [{ feature: 3, contribution: 1 }] }, { contributions: [] }, { contributions: [{ feature: 'a', contribution: Number.NaN }] }]) {
      const engine = engineFor({ rules: [{ label: 'on', command: { state: 'ON' } }], cooldown: 0 });
      const command = onlyCommand(engine.handle({ payload: { deviceId: 'd1', prediction: { label: 'on', explanation: odd } } }, T0));
      assert.equal(command.command.reason, 'rule 1: label "on"', JSON.stringify(odd));
    }
  });

  it('names at most five contributions, cuts long names, and never throws on any explanation', () => {
    const many = { contributions: Array.from({ length: 9 }, (_, i) => ({ feature: i === 0 ? 'x'.repeat(200) : `f${i}`, contribution: 1 / (i + 1) })) };
    const text = explanationText(many) as string;
    assert.equal(text.split(', ').length, MAX_REASON_CONTRIBUTIONS);
    assert.ok(text.startsWith(`${'x'.repeat(59)}… +1,`), text);
    fc.assert(
      fc.property(fc.anything(), (anything) => {
        const result = explanationText({ contributions: [anything] });
        assert.ok(result === undefined || typeof result === 'string');
        const engine = engineFor({ rules: [{ label: 'on', command: { state: 'ON' } }], cooldown: 0 });
        const effects = engine.handle({ payload: { deviceId: 'd1', prediction: { label: 'on', explanation: anything } } }, T0);
        assert.equal(commandsOf(effects).length, 1);
        assert.equal(outcomesOf(effects)[0].status, 'sent');
      }),
      { numRuns: runs(200, 2000) },
    );
  });
});
