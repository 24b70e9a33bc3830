import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { WindowEngine, windowRows, type WideRow } from '../../src/core/window';
import { config, configArb } from './window-naive';

const fixture = JSON.parse(readFileSync(join(__dirname, '../fixtures/window/wide-rows.json'), 'utf8')) as {
  window: Record<string, unknown>;
  rows: WideRow[];
};
const T0 = 1_700_000_000_000;

describe('windowRows (training windows from wide rows)', () => {
  it('windows the fixture by the node engine, labels from the latest labelled row inside each window', () => {
    const result = windowRows(fixture.rows, config(fixture.window), 'activity');
    assert.deepStrictEqual(result.featureNames, ['temp.mean', 'temp.max', 'temp.count', 'hum.mean', 'hum.max', 'hum.count']);
    assert.deepStrictEqual(result.rows, [
      {
        deviceId: 'kitchen',
        start: T0,
        end: T0 + 10_000,
        // temp 20, 22, 24; hum 40, (blank: no reading), 44; labels idle, cooking, (blank) -> cooking
        features: { 'temp.mean': 22, 'temp.max': 24, 'temp.count': 3, 'hum.mean': 42, 'hum.max': 44, 'hum.count': 2 },
        label: 'cooking',
      },
      // hall's only window before 13 s: no labelled row, so no label
      { deviceId: 'hall', start: T0, end: T0 + 10_000, features: { 'temp.mean': 19.5, 'temp.max': 19.5, 'temp.count': 1, 'hum.mean': 55, 'hum.max': 55, 'hum.count': 1 } },
      { deviceId: 'kitchen', start: T0 + 10_000, end: T0 + 20_000, features: { 'temp.mean': 30, 'temp.max': 30, 'temp.count': 1, 'hum.mean': 50, 'hum.max': 50, 'hum.count': 1 }, label: 'idle' },
      { deviceId: 'hall', start: T0 + 10_000, end: T0 + 20_000, features: { 'temp.mean': 18, 'temp.max': 18, 'temp.count': 1, 'hum.mean': 60, 'hum.max': 60, 'hum.count': 1 } },
    ]);
    assert.deepStrictEqual(result.rejected, { late: 0, 'min-count': 0, type: 0, overflow: 0, future: 0, duplicate: 0 });
  });

  it('never takes truth.* columns, the label or ignored columns for sensors', () => {
    const result = windowRows(fixture.rows, config({ ...fixture.window, features: 'mean' }), 'activity', { ignore: ['hum'] });
    assert.deepStrictEqual(result.featureNames, ['temp.mean']);
    assert.deepStrictEqual(Object.keys(result.rows[0].features), ['temp.mean']);
  });

  it('gives exactly what the engine gives for the same readings, for any settings', () => {
    const rowsArb = fc.array(
      fc.record({
        deviceId: fc.constantFrom('a', 'b'),
        step: fc.integer({ min: 0, max: 30 }),
        x: fc.option(fc.integer({ min: -80, max: 80 }), { nil: undefined }),
        y: fc.option(fc.integer({ min: -80, max: 80 }), { nil: undefined }),
      }),
      { maxLength: 80, size: 'max' },
    );
    fc.assert(
      fc.property(configArb, rowsArb, (cfg, draws) => {
        let ts = T0;
        const rows: WideRow[] = draws.map(({ deviceId, step, x, y }) => ({ deviceId, ts: (ts += step), x, y }));
        const engine = new WindowEngine(cfg);
        const sensors = cfg.sensors.length > 0 ? cfg.sensors : ['x', 'y'];
        const events = rows.flatMap((row) =>
          sensors.flatMap((sensor) => (row[sensor] === undefined ? [] : [...engine.add({ deviceId: String(row.deviceId), sensor, value: row[sensor] as number, ts: row.ts as number }, row.ts as number)])),
        );
        events.push(...engine.flush());
        const expected = events.flatMap((e) => (e.kind === 'window' ? [{ deviceId: e.payload.deviceId, start: e.payload.start, end: e.payload.end, features: e.payload.features }] : []));
        assert.deepStrictEqual(windowRows(rows, cfg).rows, expected);
      }),
      { numRuns: 200 },
    );
  });

  it('labels session and count windows by rows up to and including their last reading', () => {
    const rows: WideRow[] = [
      { deviceId: 'd', ts: T0, x: 1, label: 'a' },
      { deviceId: 'd', ts: T0 + 1000, x: 2, label: 'b' },
      { deviceId: 'd', ts: T0 + 2000, x: 3, label: 'c' },
    ];
    const counted = windowRows(rows, config({ size: 2, unit: 'count', features: 'sum' }), 'label');
    assert.deepStrictEqual(counted.rows.map((r) => [r.features['x.sum'], r.label]), [[3, 'b'], [3, 'c']]);
    const sessions = windowRows(rows, config({ window: 'session', gap: 10, unit: 's', features: 'sum' }), 'label');
    assert.deepStrictEqual(sessions.rows.map((r) => [r.features['x.sum'], r.label]), [[6, 'c']]);
  });

  it('reads CSV-ish cells: numeric and true/false text, blanks as no reading, ISO times; other text is a type reject', () => {
    const rows: WideRow[] = [
      { deviceId: 7, ts: new Date(T0).toISOString(), x: ' 2.5 ', door: 'true' },
      { deviceId: 7, ts: String(T0 + 1000), x: '', door: false },
      { deviceId: 7, ts: T0 + 2000, x: 'n/a', door: 'true' },
      { deviceId: 7, ts: 'not a time', x: 1 },
    ];
    const result = windowRows(rows, config({ size: 1, unit: 'min', features: 'sum,count' }));
    assert.deepStrictEqual(result.rows, [
      { deviceId: '7', start: T0 - (T0 % 60_000), end: T0 - (T0 % 60_000) + 60_000, features: { 'x.sum': 2.5, 'x.count': 1, 'door.sum': 2, 'door.count': 3 } },
    ]);
    assert.deepStrictEqual(result.rejected, { late: 0, 'min-count': 0, type: 2, overflow: 0, future: 0, duplicate: 0 });
  });
});
