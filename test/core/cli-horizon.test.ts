/**
 * `iot-ai train --window --horizon` core (#16), src/cli/windowing.ts horizonWindowExamples: the node's windows, each
 * labelled from its device's latest row in [end, end + H); a column can be a sensor and the target at once.
 */
import assert from 'node:assert/strict';
import { horizonWindowExamples } from '../../src/cli/windowing';
import { examplesFromValues, parseCsv, trainModel } from '../../src/core/model';

const MIN = 60_000;
/** Epoch ms (a number below 1e11 would be read as epoch seconds, as sensor-ingest reads it). */
const T0 = Date.UTC(2026, 0, 5);

function table(lines: string[]) {
  const parsed = parseCsv(lines.join('\n') + '\n');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
  return parsed.table;
}

describe('horizonWindowExamples (iot-ai train --window --horizon) (#16)', () => {
  // Two devices, a reading a minute; co rises by 10 a minute on a, falls on b. Tumbling 2-minute windows.
  const lines = ['deviceId,ts,co,truth.co'];
  for (let i = 0; i < 8; i++) {
    lines.push(`a,${T0 + i * MIN},${100 + 10 * i},0`);
    lines.push(`b,${T0 + i * MIN},${500 - 10 * i},0`);
  }
  const windowConfig = { window: 'tumbling', size: 2, unit: 'min', sensors: ['co'], features: ['last', 'calendar'] };

  it('co is a sensor and the target: each window is labelled with co at the latest row before end + H; the last ones are left out', () => {
    const result = horizonWindowExamples({ table: table(lines), windowConfig, label: 'co', ignore: [], horizon: 3 * MIN });
    assert.ok(result.ok, !result.ok ? result.error : '');
    assert.deepEqual(result.featureNames, ['co.last', 'calendar.hourSin', 'calendar.hourCos', 'calendar.weekdaySin', 'calendar.weekdayCos']);
    // Window [0, 2 min) of a: co.last 110; rows in [2, 5 min): latest is 4 min → 140. Persistence: the row at 1 min, 110.
    const a = result.rows.map((row, i) => [row[0], result.labels[i], result.persistence[i]]).filter(([last]) => (last as number) < 300);
    assert.deepEqual(a, [
      [110, '140', '110'], // CSV cells are text; trainModel reads regression references as numbers
      [130, '160', '130'],
      [150, '170', '150'], // [6 min, 9 min): only 7 min
    ]);
    // Windows of a and b: 4 each, the last of each ([6, 8 min), end 8 min) has no row after it.
    assert.equal(result.unlabelled, 2);
    assert.equal(result.rows.length, 6);
    assert.ok(result.dayBefore.every((value) => value === undefined), 'no day before within 8 minutes');
  });

  it('the examples train a forecast model with skill metrics (trainModel\'s forecast option)', async () => {
    const result = horizonWindowExamples({ table: table(lines), windowConfig, label: 'co', ignore: [], horizon: 3 * MIN });
    assert.ok(result.ok);
    const examples = examplesFromValues(result.featureNames, result.rows, result.labels, 'regression');
    assert.ok(examples.ok);
    const { model, metrics } = await trainModel(examples.examples, {
      name: 'co-forecast', createdAt: new Date(0), forest: { nTrees: 5, seed: 1 }, folds: 2,
      forecast: { horizon: 3 * MIN, persistence: result.persistence, dayBefore: result.dayBefore },
    });
    assert.equal(model.horizon, 3 * MIN);
    assert.equal(metrics.skill!.persistence!.rows, 6);
    assert.ok(Number.isFinite(metrics.skill!.persistence!.mae));
    assert.equal(typeof metrics.intervalCoverage, 'number');
  });

  it('examples come in time order of their window\'s end, whatever the order of the devices in the file (iot-ai train --horizon holds out the newest)', () => {
    // All of a's rows, then all of b's: the engine closes a's windows first. The label `at` is the row's minute.
    const byDevice = ['deviceId,ts,co,at'];
    for (const device of ['a', 'b']) for (let i = 0; i < 8; i++) byDevice.push(`${device},${T0 + i * MIN},${100 + i},${i}`);
    const result = horizonWindowExamples({ table: table(byDevice), windowConfig, label: 'at', ignore: [], horizon: 3 * MIN });
    assert.ok(result.ok, !result.ok ? result.error : '');
    const minutes = result.labels.map(Number);
    assert.deepEqual(minutes, [4, 4, 6, 6, 7, 7], 'a and b alternate, newest last');
  });

  it('refuses a missing label column, a bad window config, and data where no window has a future row', () => {
    const missing = horizonWindowExamples({ table: table(lines), windowConfig, label: 'target', ignore: [], horizon: MIN });
    assert.deepEqual(missing, { ok: false, error: 'line 1: no label column "target"' });
    const bad = horizonWindowExamples({ table: table(lines), windowConfig: { ...windowConfig, timeZone: 'Mars/Olympus' }, label: 'co', ignore: [], horizon: MIN });
    assert.match(!bad.ok ? bad.error : '', /window config: timeZone must be an IANA time zone name/);
    const short = horizonWindowExamples({ table: table(lines.slice(0, 3)), windowConfig, label: 'co', ignore: [], horizon: MIN });
    assert.match(!short.ok ? short.error : '', /no window has a row of "co" within 60000 ms after its end/);
  });
});
