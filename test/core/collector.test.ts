import { strict as assert } from 'node:assert';
import { TrainingCollector } from '../../src/core/model/collector';
import { parseCsv } from '../../src/core/model/csv';

const window = (deviceId: string, start: number, end: number, x: number) => ({ deviceId, start, end, features: { 'x.mean': x } });

describe('core/model: training collector', () => {
  it('keeps labelled windows, bounded, dropping the oldest', () => {
    const c = new TrainingCollector({ maxSamples: 3, maxWaiting: 10 });
    for (let i = 0; i < 5; i++) assert.deepEqual(c.addWindow(window('d', i, i + 1, i), i % 2 ? 'a' : 'b'), { ok: true, labelled: 1 });
    assert.equal(c.size, 3);
    assert.deepEqual(c.records().map((r) => r.features['x.mean']), [2, 3, 4]);
    assert.equal(c.dropped, 2);
    assert.equal(c.sinceTraining, 5);
  });

  it('joins a point label event to the window holding it, and an interval to the windows whose middle it covers', () => {
    const c = new TrainingCollector({ maxSamples: 100, maxWaiting: 100 });
    for (let i = 0; i < 6; i++) c.addWindow(window('room', i * 10, i * 10 + 10, i), undefined);
    c.addWindow(window('other', 0, 10, 99), undefined);
    assert.equal(c.waitingCount, 7);
    assert.deepEqual(c.addLabelEvent({ deviceId: 'room', label: 'occupied', ts: 15 }), { ok: true, labelled: 1 });
    assert.deepEqual(c.addLabelEvent({ deviceId: 'room', label: 'empty', start: 28, end: 60 }), { ok: true, labelled: 3 });
    assert.deepEqual(c.records().map((r) => [r.features['x.mean'], r.label]), [[1, 'occupied'], [3, 'empty'], [4, 'empty'], [5, 'empty']]);
    // A window arriving after its label event is labelled on arrival.
    assert.deepEqual(c.addWindow(window('room', 40, 50, 7), undefined), { ok: true, labelled: 1 });
    assert.equal(c.records().at(-1)!.label, 'empty');
    assert.equal(c.waitingCount, 3, "room's window 0 (nothing covers it), 2 (middle 25 before the interval), and other's");
  });

  it('refuses bad features and labels with a code, and writes a CSV iot-ai train reads', () => {
    const c = new TrainingCollector({ maxSamples: 10, maxWaiting: 10 });
    assert.equal((c.addWindow({ features: { a: 'x' } }, 'l') as any).code, 'features');
    assert.equal((c.addWindow({ features: { a: 1 } }, '  ') as any).code, 'label');
    assert.equal((c.addWindow({ features: { a: 1 } }, undefined) as any).code, 'label');
    assert.equal((c.addLabelEvent({ deviceId: 'd', label: 'x', start: 5, end: 1 }) as any).code, 'label');
    c.addWindow({ deviceId: 'd,1', start: 0, end: 1, features: { a: 1, b: 2 } }, 'on');
    c.addWindow({ deviceId: 'd2', features: { a: 3, b: 4 } }, 'off');
    const table = parseCsv(c.toCsv());
    assert.ok(table.ok);
    assert.deepEqual(table.table.header, ['deviceId', 'ts', 'a', 'b', 'label']);
    assert.deepEqual(table.table.rows, [['d,1', '1', '1', '2', 'on'], ['d2', '', '3', '4', 'off']]);
  });
});
