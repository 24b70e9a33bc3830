import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkLabelCounts, heldOutCount, LEARNING_RULES, noWorse, PROMOTION_TOLERANCE } from '../../src/core/model/train/promotion';
import { runs } from '../helpers/fuzz';

describe('core/model: promotion gate and label-set properties', () => {
  it('a label set is refused exactly when it has under 2 labels, over the bound, or mostly labels seen once', () => {
    const counts = fc.oneof(
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 0, maxLength: 30 }),
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 90, maxLength: 400 }),
    );
    fc.assert(
      fc.property(counts, (labelCounts) => {
        const distinct = labelCounts.length;
        const once = labelCounts.filter((n) => n === 1).length;
        const learnable = distinct >= 2 && distinct <= LEARNING_RULES.maxLabels && once <= distinct * LEARNING_RULES.maxSeenOnceShare;
        const result = checkLabelCounts(labelCounts);
        assert.equal(result.ok, learnable, JSON.stringify(labelCounts));
        if (!result.ok) assert.ok(result.message.length > 0);
      }),
      { numRuns: runs(300, 20_000) },
    );
  });

  it('accuracy: for any two scores and tolerance, the candidate is promoted iff it is ≥ live − tolerance', () => {
    const score = fc.double({ min: 0, max: 1, noNaN: true });
    fc.assert(
      fc.property(score, score, fc.double({ min: 0, max: 1, noNaN: true }), (candidate, live, tolerance) => {
        assert.equal(noWorse('accuracy', candidate, live, tolerance), candidate >= live - tolerance);
      }),
      { numRuns: runs(1000, 100_000) },
    );
    assert.equal(noWorse('accuracy', 0.42, 1), false, 'the case of the issue');
    assert.equal(noWorse('accuracy', 1 - PROMOTION_TOLERANCE.accuracy, 1), true);
  });

  it('RMSE: for any two errors and tolerance, the candidate is promoted iff it is ≤ live × (1 + tolerance)', () => {
    const error = fc.double({ min: 0, max: 1e6, noNaN: true });
    fc.assert(
      fc.property(error, error, fc.double({ min: 0, max: 1, noNaN: true }), (candidate, live, tolerance) => {
        assert.equal(noWorse('rmse', candidate, live, tolerance), candidate <= live * (1 + tolerance));
      }),
      { numRuns: runs(1000, 100_000) },
    );
  });

  it('held-out windows: never more than the unseen ones, always one left to train on, none only for a zero share', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 20_000 }), fc.double({ min: 0, max: 0.9, noNaN: true }), fc.integer({ min: 0, max: 20_000 }), (total, fraction, unseenRaw) => {
        const unseen = Math.min(unseenRaw, total);
        const k = heldOutCount(total, fraction, unseen);
        assert.ok(Number.isInteger(k) && k >= 0);
        assert.ok(k <= unseen && k <= total - 1);
        assert.ok(k <= Math.max(1, Math.round(total * fraction)));
        if (fraction > 0 && unseen > 0) assert.ok(k >= 1);
        if (fraction === 0) assert.equal(k, 0);
      }),
      { numRuns: runs(1000, 100_000) },
    );
  });
});
