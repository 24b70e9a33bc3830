import assert from 'node:assert/strict';
import { LOW_FP, nabWindows, normalisedScore, probation, scaledSigmoid, scoreStream, STANDARD } from '../../bench/lib/nab-score';

describe('NAB scorer (bench/lib/nab-score.ts, Lavin & Ahmad 2015)', () => {
  it('σ(y): about 0.987 at the window start, 0 at its end, −1 three lengths past it', () => {
    assert.ok(Math.abs(scaledSigmoid(-1) - 0.98661) < 1e-4);
    assert.equal(scaledSigmoid(0), 0);
    assert.equal(scaledSigmoid(3.5), -1);
  });

  it('windows are 10 % of the stream over the number of anomalies, centred, merged when they overlap', () => {
    assert.deepEqual(nabWindows(1000, [[500, 500]]), [[451, 550]]);
    assert.deepEqual(nabWindows(1000, [[500, 500], [520, 520]]), [[476, 545]]);
    assert.deepEqual(nabWindows(1000, [[100, 400]]), [[100, 400]], 'a labelled range longer than the window stays');
  });

  it('early detection earns almost 1, late little, none −A_FN; the null detector scores 0 and the perfect one 100', () => {
    const n = 2000;
    const windows = nabWindows(n, [[1000, 1000]]);
    const [s, e] = windows[0];
    const early = scoreStream(n, windows, [s], STANDARD);
    const late = scoreStream(n, windows, [e], STANDARD);
    const none = scoreStream(n, windows, [], STANDARD);
    assert.ok(early.raw > 0.98 && late.raw < 0.02 && none.raw === -1);
    assert.equal(normalisedScore([none]), 0);
    assert.ok(Math.abs(normalisedScore([early]) - 100) < 1e-9);
  });

  it('charges each false alarm A_FP (less just after a window), ignores extra alarms in a window and alarms in probation', () => {
    const n = 2000;
    const windows = nabWindows(n, [[1000, 1000]]);
    const [s, e] = windows[0];
    assert.ok(probation(n) === 300);
    const base = scoreStream(n, windows, [s], STANDARD).raw;
    assert.equal(scoreStream(n, windows, [100, s, s + 1, s + 2], STANDARD).raw, base, 'probation and repeats are free');
    assert.ok(Math.abs(scoreStream(n, windows, [500, s], STANDARD).raw - (base - 0.11)) < 1e-12);
    assert.ok(Math.abs(scoreStream(n, windows, [500, s], LOW_FP).raw - (base - 0.22)) < 1e-12);
    const justAfter = scoreStream(n, windows, [s, e + 2], STANDARD).raw;
    assert.ok(justAfter < base && justAfter > base - 0.11, 'a false alarm just past a window costs less than A_FP');
  });
});
