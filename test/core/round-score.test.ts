import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { roundScore, SCORE_DIGITS } from '../../src/core/util/numbers';
import { runs } from '../helpers/fuzz';

/** Issue #18.14: scores in messages are rounded to 4 significant digits of their distance to the nearer end. */
describe('roundScore', () => {
  it('keeps 4 significant digits of the distance to the nearer end, with no binary noise', () => {
    assert.equal(roundScore(0.123456789), 0.1235);
    assert.equal(roundScore(0.5), 0.5);
    assert.equal(roundScore(0.98765432), 0.98765);
    assert.equal(roundScore(0.999912345), 0.99991235, 'a likelihood just above a 0.9999 threshold does not read as 0.9999');
    assert.equal(roundScore(0.000123456), 0.0001235);
    assert.equal(roundScore(0), 0);
    assert.equal(roundScore(1), 1);
    assert.equal(String(roundScore(0.1234999999)), '0.1235');
  });

  it('leaves what is not a score in [0, 1] alone', () => {
    for (const x of [-0.5, 1.5, 42.123456, Number.NaN, Infinity]) assert.ok(Object.is(roundScore(x), x), String(x));
  });

  it('is close, idempotent, monotone and short (property)', () => {
    const unit = fc.double({ min: 0, max: 1, noNaN: true });
    fc.assert(
      fc.property(unit, unit, (a, b) => {
        const [x, y] = a <= b ? [a, b] : [b, a];
        const r = roundScore(x);
        const distance = Math.min(x, 1 - x);
        // Half a unit in the 4th significant digit of the distance (plus float slack).
        assert.ok(Math.abs(r - x) <= distance * 5 * 10 ** -SCORE_DIGITS + 1e-15, `${x} → ${r}`);
        assert.equal(roundScore(r), r, `idempotent at ${x}`);
        assert.ok(roundScore(x) <= roundScore(y), `monotone: ${x} ≤ ${y}`);
        // No more than 4 significant digits: the (distance to the) end rounds to itself at 4 digits.
        if (r <= 0.5) assert.equal(Number(r.toPrecision(SCORE_DIGITS)), r, `${x} → ${r}`);
        else assert.ok(Math.abs(Number((1 - r).toPrecision(SCORE_DIGITS)) - (1 - r)) < 1e-15, `${x} → ${r}`);
        assert.ok(String(r).length <= 12 || distance < 1e-4, `${x} → ${r} is short`);
      }),
      { numRuns: runs(2000, 50000) },
    );
  });
});
