/**
 * Skill, not just accuracy (#16): a forecast's MAE or accuracy beside persistence's and the day before's, on the rows
 * where each reference exists, and the skill score over each.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { classificationSkill, intervalCoverage, meanAbsoluteError, regressionSkill } from '../../src/core/model/train/metrics';
import { runs } from '../helpers/fuzz';

const close = (actual: number | null | undefined, expected: number): void => assert.ok(actual !== null && actual !== undefined && Math.abs(actual - expected) < 1e-12, `${actual} ≠ ${expected}`);

describe('forecast skill against persistence and the day before (#16)', () => {
  it('regression: MAE of each, on the rows each reference has, and skill = 1 − MAE_model / MAE_reference', () => {
    const truth = [10, 12, 14, 16];
    const predicted = [11, 12, 13, 16]; // MAE 0.5
    const persistence = [NaN, 10, 12, 14]; // no value before the first window; errors 2, 2, 2
    const dayBefore = [9, NaN, NaN, 20]; // errors 1, 4
    const skill = regressionSkill(truth, predicted, { persistence, dayBefore });
    assert.equal(skill.task, 'regression');
    assert.equal(skill.rows, 4);
    close(skill.mae, 0.5);
    assert.equal(skill.persistence!.rows, 3);
    close(skill.persistence!.mae, 2);
    close(skill.persistence!.modelMae, 1 / 3); // rows 1..3: errors 0, 1, 0
    close(skill.persistence!.skill, 1 - 1 / 3 / 2);
    assert.equal(skill.dayBefore!.rows, 2);
    close(skill.dayBefore!.mae, 2.5);
    close(skill.dayBefore!.modelMae, 0.5);
    close(skill.dayBefore!.skill, 0.8);
  });

  it('a model no better than persistence scores 0, a worse one below 0; a perfect reference gives null; no reference rows: no entry', () => {
    const truth = [1, 2, 3];
    close(regressionSkill(truth, [0, 1, 2], { persistence: [0, 1, 2] }).persistence!.skill, 0);
    assert.ok(regressionSkill(truth, [5, 5, 5], { persistence: [0, 1, 2] }).persistence!.skill! < 0);
    assert.equal(regressionSkill(truth, [1, 2, 4], { persistence: [1, 2, 3] }).persistence!.skill, null);
    const none = regressionSkill(truth, [1, 2, 3], { persistence: [NaN, NaN, NaN] });
    assert.equal(none.persistence, undefined);
    assert.equal(none.dayBefore, undefined);
    assert.throws(() => regressionSkill(truth, [1, 2, 3], { persistence: [1] }), /3 true values but 1/);
  });

  it('classification: accuracy of each (labels compared as text), skill = (acc − acc_ref) / (1 − acc_ref)', () => {
    const truth = ['occupied', 'occupied', 'empty', 'empty', 'occupied'];
    const predicted = ['occupied', 'occupied', 'empty', 'occupied', 'occupied']; // 4/5
    const persistence = [undefined, 'occupied', 'occupied', 'empty', 'empty']; // rows 1..4: right 2 of 4
    const skill = classificationSkill(truth, predicted, { persistence, dayBefore: [1, 1, 1, 1, 1] });
    close(skill.accuracy, 0.8);
    assert.equal(skill.persistence!.rows, 4);
    close(skill.persistence!.accuracy, 0.5);
    close(skill.persistence!.modelAccuracy, 0.75);
    close(skill.persistence!.skill, 0.5);
    close(skill.dayBefore!.accuracy, 0);
    close(skill.dayBefore!.skill, 0.8);
    close(classificationSkill([1, 0], ['1', '0'], {}).accuracy, 1);
    assert.equal(classificationSkill(['a'], ['b'], { persistence: ['a'] }).persistence!.skill, null);
  });

  it('property: skill is 0 exactly when the model predicts the reference, 1 when it is exact, and matches the MAE formula', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: -50, max: 50 }), fc.integer({ min: -50, max: 50 })), { minLength: 1, maxLength: 40 }), (triples) => {
        const truth = triples.map((t) => t[0]);
        const predicted = triples.map((t) => t[1]);
        const reference = triples.map((t) => t[2]);
        const mae = meanAbsoluteError(truth, reference);
        const own = regressionSkill(truth, reference, { persistence: reference }).persistence!;
        const exact = regressionSkill(truth, truth, { persistence: reference }).persistence!;
        const any = regressionSkill(truth, predicted, { persistence: reference }).persistence!;
        if (mae === 0) {
          assert.equal(own.skill, null);
        } else {
          close(own.skill, 0);
          close(exact.skill, 1);
          close(any.skill, 1 - meanAbsoluteError(truth, predicted) / mae);
        }
      }),
      { numRuns: runs(200, 2000) },
    );
  });

  it('interval coverage: the share of true values within [low, high], bounds included', () => {
    close(intervalCoverage([1, 2, 3, 4], [0, 2, 4, 0], [1, 3, 5, 3]), 0.5);
    assert.equal(intervalCoverage([], [], []), 0);
  });
});
