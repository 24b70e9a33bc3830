/**
 * Forecast labels (#16): a window ending at `end` takes the label of its device's latest row with
 * `end <= ts < end + H`; windows without one are left out. Checked by example and against a brute-force reference.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DAY_MS, horizonSkill, labelByHorizon, LabelTimeline, parseHorizon, type LabelRow } from '../../src/core/model';
import { labelRowsOf, windowRows, type Label, type WideRow } from '../../src/core/window';
import { runs } from '../helpers/fuzz';
import { config } from './window-naive';

const MIN = 60_000;

describe('forecast labels by horizon (#16)', () => {
  describe('parseHorizon', () => {
    it('reads milliseconds and s, min, h; refuses zero, negatives, other units and non-numbers', () => {
      const ms = (raw: unknown) => {
        const parsed = parseHorizon(raw);
        return parsed.ok ? parsed.ms : parsed.error;
      };
      assert.equal(ms(900_000), 900_000);
      assert.equal(ms('900000'), 900_000);
      assert.equal(ms('30s'), 30_000);
      assert.equal(ms('15min'), 15 * MIN);
      assert.equal(ms(' 15 min '), 15 * MIN);
      assert.equal(ms('3h'), 3 * 3_600_000);
      assert.equal(ms('1.5h'), 5_400_000);
      assert.equal(ms('250ms'), 250);
      for (const bad of [0, -5, '0min', '-3h', '3d', '15 minutes', 'soon', '', NaN, Infinity, null, undefined, {}]) {
        assert.match(String(ms(bad)), /horizon must be a duration above 0/, `refuses ${String(bad)}`);
      }
    });
  });

  it('takes the latest row in [end, end + H): the row at end counts, the row at end + H does not; others are left out', () => {
    const rows: LabelRow[] = [
      { deviceId: 'a', ts: 100, label: 'x' },
      { deviceId: 'a', ts: 110, label: 'y' },
      { deviceId: 'a', ts: 115, label: 'z' }, // = end + H of the window ending at 105
      { deviceId: 'b', ts: 104, label: 'b-before' },
    ];
    const windows = [
      { deviceId: 'a', end: 100, features: { f: 1 } },
      { deviceId: 'a', end: 105, features: { f: 2 } },
      { deviceId: 'a', end: 116, features: { f: 3 } },
      { deviceId: 'b', end: 105, features: { f: 4 } },
    ];
    const { labelled, unlabelled } = labelByHorizon(windows, rows, 10);
    assert.deepEqual(labelled.map((w) => [w.deviceId, w.end, w.label]), [
      ['a', 100, 'x'], // 110 = end + H is not inside
      ['a', 105, 'y'], // 115 = end + H is not inside
    ]);
    assert.equal(unlabelled, 2);
    assert.deepEqual(labelled[0].features, { f: 1 }, 'the window itself comes back');
  });

  it('regression and classification alike; equal ts: the later row given wins; other devices never leak in', () => {
    const rows: LabelRow[] = [
      { deviceId: 'a', ts: 10, label: 21.5 },
      { deviceId: 'a', ts: 10, label: 22.5 },
      { deviceId: 'b', ts: 11, label: 99 },
    ];
    const { labelled } = labelByHorizon([{ deviceId: 'a', end: 5 }], rows, 10);
    assert.equal(labelled[0].label, 22.5);
    assert.equal(labelByHorizon([{ deviceId: 'c', end: 5 }], rows, 10).unlabelled, 1);
  });

  it('gives persistence (latest row before end) and the day before (the same rule 24 h earlier), when there are such rows', () => {
    const day0 = Date.UTC(2026, 0, 1);
    const rows: LabelRow[] = [
      { deviceId: 'a', ts: day0 + 8 * 60 * MIN + 10 * MIN, label: 'occupied' }, // yesterday, inside [end − 24 h, end + H − 24 h)
      { deviceId: 'a', ts: day0 + DAY_MS + 7 * 60 * MIN, label: 'empty' }, // today before end
      { deviceId: 'a', ts: day0 + DAY_MS + 8 * 60 * MIN + 20 * MIN, label: 'occupied' },
    ];
    const end = day0 + DAY_MS + 8 * 60 * MIN;
    const [w] = labelByHorizon([{ deviceId: 'a', end }], rows, 30 * MIN).labelled;
    assert.deepEqual({ label: w.label, persistence: w.persistence, dayBefore: w.dayBefore }, { label: 'occupied', persistence: 'empty', dayBefore: 'occupied' });
    // Nothing yesterday in the shifted interval, nothing before end: no references, the label still counts.
    const [first] = labelByHorizon([{ deviceId: 'a', end: day0 + 8 * 60 * MIN }], rows, 30 * MIN).labelled;
    assert.deepEqual(first, { deviceId: 'a', end: day0 + 8 * 60 * MIN, label: 'occupied' });
    // A horizon beyond a day has no day-before reference (it would read the future).
    const [long] = labelByHorizon([{ deviceId: 'a', end: day0 }], rows, 2 * DAY_MS).labelled;
    assert.equal(long.dayBefore, undefined);
  });

  it('horizonSkill scores forecasts of labelled windows against their persistence and day-before references', () => {
    const rows: LabelRow[] = [0, 1, 2, 3, 4, 5].map((i) => ({ deviceId: 'a', ts: i * 10, label: String(i * 2) }));
    const { labelled } = labelByHorizon([5, 15, 25, 35].map((end) => ({ deviceId: 'a', end })), rows, 10);
    // Labels 2, 4, 6, 8 (numeric text); persistence 0, 2, 4, 6.
    const skill = horizonSkill('regression', labelled, [2, 4, 6, 10]);
    assert.equal(skill.mae, 0.5);
    assert.deepEqual(skill.persistence, { rows: 4, mae: 2, modelMae: 0.5, skill: 0.75 });
    const classes = horizonSkill('classification', labelled, ['2', '2', '4', '8']);
    assert.equal(classes.accuracy, 0.5);
    assert.deepEqual(classes.persistence, { rows: 4, accuracy: 0, modelAccuracy: 0.5, skill: 0.5 });
  });

  it('a column can be a sensor and the target at once: windows over `co`, labelled from `co` 2 rows later', () => {
    const wide: WideRow[] = Array.from({ length: 12 }, (_, i) => ({ deviceId: 'd', ts: i * MIN, co: i * 10 }));
    const windowed = windowRows(wide, config({ window: 'tumbling', size: 2, unit: 'min', sensors: 'co', features: 'last' }));
    const { labelled, unlabelled } = labelByHorizon(windowed.rows, labelRowsOf(wide, 'co'), 2 * MIN);
    // Window [0, 2 min) has co.last 10; the latest co in [2 min, 4 min) is 30.
    assert.deepEqual(labelled.map((w) => [w.features['co.last'], w.label]), [
      [10, 30],
      [30, 50],
      [50, 70],
      [70, 90],
      [90, 110],
    ]);
    assert.equal(unlabelled, 1, 'the last window has no future yet');
  });

  it('property: equals a brute-force search of every row, for any rows, windows and horizon', () => {
    let metDayBefore = 0;
    // Rows on two days, so the day-before reference is met too.
    const ts = fc.tuple(fc.integer({ min: -50, max: 200 }), fc.constantFrom(0, DAY_MS)).map(([t, day]) => t + day);
    const row = fc.record({ deviceId: fc.constantFrom('a', 'b', 'c'), ts, label: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constantFrom('on', 'off')) });
    const window = fc.record({ deviceId: fc.constantFrom('a', 'b', 'c', 'd'), end: fc.tuple(fc.integer({ min: -60, max: 210 }), fc.constantFrom(0, DAY_MS)).map(([t, day]) => t + day) });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 60 }), fc.array(window, { maxLength: 30 }), fc.integer({ min: 1, max: 80 }), (rows, windows, horizon) => {
        const latest = (deviceId: string, from: number, to: number): Label | undefined => {
          let best: { ts: number; label: Label } | undefined;
          for (const r of rows) if (r.deviceId === deviceId && r.ts >= from && r.ts < to && (best === undefined || r.ts >= best.ts)) best = r;
          return best?.label;
        };
        const expected = windows.flatMap((w) => {
          const label = latest(w.deviceId, w.end, w.end + horizon);
          return label === undefined ? [] : [{ ...w, label, persistence: latest(w.deviceId, -Infinity, w.end), dayBefore: latest(w.deviceId, w.end - DAY_MS, w.end + horizon - DAY_MS) }];
        });
        const got = labelByHorizon(windows, new LabelTimeline(rows), horizon);
        if (expected.some((w) => w.dayBefore !== undefined)) metDayBefore++;
        assert.equal(got.unlabelled, windows.length - expected.length);
        assert.deepEqual(
          got.labelled.map((w) => ({ ...w, persistence: w.persistence, dayBefore: w.dayBefore })),
          expected,
        );
      }),
      { numRuns: runs(300, 5000) },
    );
    assert.ok(metDayBefore > 0, 'some runs had a day-before reference');
  });
});
