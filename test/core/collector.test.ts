import { strict as assert } from 'node:assert';
import { COLLECTOR_BOUNDS, estimateExampleBytes, TrainingCollector } from '../../src/core/model/data/collector';
import { parseCsv } from '../../src/core/model/data/csv';

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

  it('remembers label events of at most maxLabelDevices devices: the one labelled least recently is forgotten', () => {
    const c = new TrainingCollector({ maxSamples: 100, maxWaiting: 100 });
    const n = COLLECTOR_BOUNDS.maxLabelDevices;
    c.addLabelEvent({ deviceId: 'first', label: 'x', start: 0, end: 100 });
    c.addLabelEvent({ deviceId: 'second', label: 'y', start: 0, end: 100 });
    c.addLabelEvent({ deviceId: 'first', label: 'x', start: 0, end: 100 });
    for (let i = 0; i < n - 1; i++) c.addLabelEvent({ deviceId: `d${i}`, label: 'z', start: 0, end: 100 });
    // 'second' was labelled least recently: its events are gone, 'first' (labelled again) keeps its own.
    assert.deepEqual(c.addWindow(window('first', 10, 20, 1), undefined), { ok: true, labelled: 1 });
    assert.deepEqual(c.addWindow(window('second', 10, 20, 2), undefined), { ok: true, labelled: 0 });
    assert.equal(c.records().at(-1)!.label, 'x');
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

  it('bounds memory in bytes: wide windows evict the oldest, a window over the whole bound is refused, both counted', () => {
    const maxBytes = 4 * 1024 * 1024;
    const c = new TrainingCollector({ maxSamples: 10_000, maxWaiting: 10_000, maxBytes });
    const wide = (i: number, n = 5376) => {
      const features: Record<string, number> = {};
      for (let f = 0; f < n; f++) features[`s${Math.floor(f / 21)}.f${f % 21}`] = i + f;
      return { deviceId: 'wide', start: i, end: i + 1, features };
    };
    const perWindow = estimateExampleBytes(5376, 'wide', 'a');
    assert.ok(perWindow > 5376 * 8, 'the estimate counts more than the bare numbers');
    for (let i = 0; i < 40; i++) {
      assert.equal(c.addWindow(wide(i), 'a').ok, true);
      assert.ok(c.bytes <= maxBytes, `${c.bytes} bytes after window ${i}`);
    }
    const kept = Math.floor(maxBytes / perWindow);
    assert.equal(c.size, kept);
    assert.equal(c.dropped, 40 - kept);
    assert.deepEqual(c.records().map((r) => r.start), Array.from({ length: kept }, (_, k) => 40 - kept + k), 'the newest are kept');
    // Unlabelled windows waiting for a label share the bound but never push labelled ones out.
    for (let i = 40; i < 50; i++) c.addWindow(wide(i), undefined);
    assert.equal(c.size, kept);
    assert.ok(c.bytes <= maxBytes);
    assert.equal(c.waitingCount, 0);
    assert.equal(c.dropped, 50 - kept);
    const tooWide = new TrainingCollector({ maxSamples: 10, maxWaiting: 10, maxBytes: 100_000 });
    const refused = tooWide.addWindow(wide(0, 2000), 'a');
    assert.equal(refused.ok, false);
    assert.equal((refused as { code: string }).code, 'too-large');
    assert.equal(tooWide.dropped, 1);
  });

  it('clears one device (examples, waiting windows and label events) or every device', () => {
    const c = new TrainingCollector({ maxSamples: 100, maxWaiting: 100 });
    c.addWindow(window('a', 0, 10, 1), 'x');
    c.addWindow(window('b', 0, 10, 2), 'x');
    c.addWindow(window('a', 10, 20, 3), undefined);
    c.addWindow(window('b', 10, 20, 4), undefined);
    c.addLabelEvent({ deviceId: 'a', label: 'y', start: 100, end: 200 });
    c.clear('a');
    assert.deepEqual(c.records().map((r) => r.deviceId), ['b']);
    assert.equal(c.waitingCount, 1);
    assert.deepEqual(c.addWindow(window('a', 140, 150, 5), undefined), { ok: true, labelled: 0 }, "a's label events are gone");
    assert.ok(c.bytes > 0);
    c.clear();
    assert.deepEqual([c.size, c.waitingCount, c.bytes], [0, 0, 0]);
  });
});

