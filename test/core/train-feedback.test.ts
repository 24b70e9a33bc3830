/** Corrections as labels (issue #29): FeedbackLabeller, the collector's look-back spans, weighted training rows. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TrainingCollector } from '../../src/core/model/data/collector';
import { FEEDBACK_DEFAULTS, FeedbackLabeller, isFeedbackEvent, weightedTrainingRows } from '../../src/core/model/train/feedback';

const DAY = 24 * 3600 * 1000;
const T0 = Date.UTC(2024, 5, 3, 6, 0, 0);

function event(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { deviceId: 'lamp1', ts: T0, field: 'state', automatic: 'ON', chosen: 'OFF', commandId: 'c1', source: 'state', ...fields };
}

describe('model-train feedback: corrections as labels (#29)', () => {
  it('tells a feedback event from a window or a label event', () => {
    assert.equal(isFeedbackEvent(event()), true);
    assert.equal(isFeedbackEvent({ deviceId: 'lamp1', label: 'on', ts: 1 }), false);
    assert.equal(isFeedbackEvent({ features: { a: 1 }, source: 'x', field: 'y', chosen: 1 }), false);
  });

  it('classification: the event label when there is one, else the chosen state; regression: the chosen number', () => {
    const classify = new FeedbackLabeller(FEEDBACK_DEFAULTS, 'classification');
    const read = classify.accept(event({ label: 'off' }));
    assert.deepEqual(read, { kind: 'label', span: { deviceId: 'lamp1', label: 'off', start: T0 - FEEDBACK_DEFAULTS.lookback, end: T0, byEnd: { weight: 1 } } });
    const plain = classify.accept(event({ commandId: 'c2', chosen: 'OFF' }));
    assert.equal(plain.kind === 'label' && plain.span.label, 'OFF');
    assert.deepEqual(classify.accept(event({ commandId: 'c3', chosen: null })), { kind: 'ignored', reason: 'no-choice', deviceId: 'lamp1' });
    const regress = new FeedbackLabeller(FEEDBACK_DEFAULTS, 'regression');
    const value = regress.accept(event({ field: 'setpoint', automatic: 23, chosen: '20.5', label: 'cool' }));
    assert.equal(value.kind === 'label' && value.span.label, 20.5);
    assert.equal(regress.accept(event({ commandId: 'c2', chosen: 'OFF' })).kind, 'ignored');
  });

  it('one correction is one label: its other fields and a redelivery are duplicates; feedbackField picks a field', () => {
    const labeller = new FeedbackLabeller(FEEDBACK_DEFAULTS, 'classification');
    assert.equal(labeller.accept(event()).kind, 'label');
    assert.deepEqual(labeller.accept(event({ field: 'brightness', chosen: 10 })), { kind: 'ignored', reason: 'duplicate', deviceId: 'lamp1' });
    assert.deepEqual(labeller.accept(event()), { kind: 'ignored', reason: 'duplicate', deviceId: 'lamp1' });
    const onlySetpoint = new FeedbackLabeller({ ...FEEDBACK_DEFAULTS, field: 'setpoint' }, 'classification');
    assert.deepEqual(onlySetpoint.accept(event()), { kind: 'ignored', reason: 'field', deviceId: 'lamp1' });
  });

  it('bad shapes are reported, not thrown', () => {
    const labeller = new FeedbackLabeller(FEEDBACK_DEFAULTS, 'classification');
    for (const bad of [event({ deviceId: '' }), event({ deviceId: {} }), event({ ts: 'now' }), event({ field: 5 }), event({ source: 'sensor' }), event({ deviceId: 'x'.repeat(2000) })]) {
      assert.equal(labeller.accept(bad).kind, 'bad', JSON.stringify(bad).slice(0, 60));
    }
  });

  it('100 flips of one switch in a day: `cap` labels, the rest counted and ignored (first refusal flagged once); the next day starts again', () => {
    const labeller = new FeedbackLabeller({ ...FEEDBACK_DEFAULTS, cap: 5 }, 'classification');
    const reads = Array.from({ length: 100 }, (_, i) => labeller.accept(event({ ts: T0 + i * 60_000, commandId: `c${i}`, chosen: i % 2 ? 'ON' : 'OFF' })));
    assert.equal(reads.filter((r) => r.kind === 'label').length, 5);
    assert.equal(reads.filter((r) => r.kind === 'ignored' && r.reason === 'capped').length, 95);
    assert.equal(reads.filter((r) => r.kind === 'ignored' && r.firstCapped).length, 1);
    assert.deepEqual(labeller.counts, { taken: 5, capped: 95, ignored: 0, kept: 0 });
    // Another device is not held back by this one; the next day is.
    assert.equal(labeller.accept(event({ deviceId: 'lamp2', commandId: 'x' })).kind, 'label');
    assert.equal(labeller.accept(event({ ts: T0 + DAY, commandId: 'next-day' })).kind, 'label');
  });

  it('property: never more than `cap` labels per device and UTC day, whatever the events', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.record({ device: fc.constantFrom('a', 'b', 'c'), ts: fc.integer({ min: T0 - 3 * DAY, max: T0 + 12 * DAY }), commandId: fc.string({ maxLength: 3 }), field: fc.constantFrom('state', 'brightness') }), { maxLength: 300 }),
        (cap, events) => {
          const labeller = new FeedbackLabeller({ ...FEEDBACK_DEFAULTS, cap }, 'classification');
          const perDay = new Map<string, number>();
          for (const e of events) {
            const read = labeller.accept(event({ deviceId: e.device, ts: e.ts, commandId: e.commandId, field: e.field }));
            if (read.kind !== 'label') continue;
            const key = `${e.device}/${Math.floor(e.ts / DAY)}`;
            perDay.set(key, (perDay.get(key) ?? 0) + 1);
            assert.ok(perDay.get(key)! <= cap, `${key} over the cap`);
          }
          assert.equal(labeller.counts.taken, [...perDay.values()].reduce((a, b) => a + b, 0));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a look-back span labels the device windows that end inside it, waiting ones and later ones, with its weight', () => {
    const collector = new TrainingCollector({ maxSamples: 100, maxWaiting: 100 });
    const window = (deviceId: string, end: number) => ({ deviceId, start: end - 60_000, end, features: { 'temp.mean': end / 1e12 } });
    for (const end of [T0 - 900_000, T0 - 300_000, T0 - 60_000]) collector.addWindow(window('lamp1', end), undefined);
    collector.addWindow(window('lamp2', T0 - 60_000), undefined);
    const labelled = collector.addLabelSpan({ deviceId: 'lamp1', label: 'off', start: T0 - 600_000, end: T0, byEnd: { weight: 3 } });
    assert.deepEqual(labelled, { ok: true, labelled: 2 });
    // A window closed late (the watermark) but ending inside the look-back is labelled when it comes; one after ts is not.
    assert.deepEqual(collector.addWindow(window('lamp1', T0), undefined), { ok: true, labelled: 1 });
    assert.deepEqual(collector.addWindow(window('lamp1', T0 + 60_000), undefined), { ok: true, labelled: 0 });
    assert.deepEqual(collector.records().map((r) => [r.deviceId, r.end, r.label, r.weight]), [
      ['lamp1', T0 - 300_000, 'off', 3],
      ['lamp1', T0 - 60_000, 'off', 3],
      ['lamp1', T0, 'off', 3],
    ]);
  });

  it('weightedTrainingRows repeats corrections right after themselves, never the held-out rows, within maxRows', () => {
    const rows = [{ id: 0 }, { id: 1, weight: 3 }, { id: 2 }, { id: 3, weight: 3 }];
    assert.deepEqual(weightedTrainingRows(rows, 1, 100).map((r) => r.id), [0, 1, 1, 1, 2, 3]);
    assert.deepEqual(weightedTrainingRows(rows, 0, 100).map((r) => r.id), [0, 1, 1, 1, 2, 3, 3, 3]);
    // Room for two repeats: the newest correction gets them.
    assert.deepEqual(weightedTrainingRows(rows, 0, 6).map((r) => r.id), [0, 1, 2, 3, 3, 3]);
    assert.deepEqual(weightedTrainingRows(rows, 0, 2).map((r) => r.id), [0, 1, 2, 3]);
  });

  it('kept agreements: weak labels from `since` within the look-back, keptWeight, their own cap; keptWeight 0 ignores them', () => {
    const settings = { ...FEEDBACK_DEFAULTS, cap: 2, keptWeight: 0.5 };
    const labeller = new FeedbackLabeller(settings, 'classification');
    const kept = (n: number, since?: number) => event({ commandId: `k${n}`, ts: T0 + n, source: 'kept', chosen: 'ON', label: 'on', ...(since !== undefined && { since }) });
    assert.deepEqual(labeller.accept(kept(0, T0 - 60_000)), { kind: 'label', span: { deviceId: 'lamp1', label: 'on', start: T0 - 60_000, end: T0, byEnd: { weight: 0.5, weak: true } } });
    assert.equal((labeller.accept(kept(1)) as { span: { start: number } }).span.start, T0 + 1 - FEEDBACK_DEFAULTS.lookback);
    assert.deepEqual(labeller.accept(kept(2)), { kind: 'ignored', reason: 'capped', deviceId: 'lamp1' });
    // Agreements never use up the corrections' cap.
    assert.equal(labeller.accept(event({ commandId: 'c9', ts: T0 + 9 })).kind, 'label');
    assert.deepEqual(labeller.counts, { taken: 1, capped: 0, ignored: 1, kept: 2 });
    const off = new FeedbackLabeller({ ...settings, keptWeight: 0 }, 'classification');
    assert.deepEqual(off.accept(kept(0)), { kind: 'ignored', reason: 'kept-off', deviceId: 'lamp1' });
    assert.equal(new FeedbackLabeller(settings, 'classification').accept(event({ source: 'guess' })).kind, 'bad');
  });

  it('a correction relabels windows an agreement labelled, and wins over an agreement for windows still to come', () => {
    const collector = new TrainingCollector({ maxSamples: 100, maxWaiting: 100 });
    const windowAt = (end: number) => ({ deviceId: 'lamp1', start: end - 60_000, end, features: { x: end } });
    for (let m = 1; m <= 5; m++) collector.addWindow(windowAt(T0 + m * 60_000), undefined);
    collector.addLabelSpan({ deviceId: 'lamp1', label: 'on', start: T0, end: T0 + 10 * 60_000, byEnd: { weight: 0.5, weak: true } });
    assert.deepEqual(collector.records().map((r) => [r.label, r.weight, r.weak]), Array(5).fill(['on', 0.5, true]));
    collector.addLabelSpan({ deviceId: 'lamp1', label: 'off', start: T0 + 3 * 60_000, end: T0 + 8 * 60_000, byEnd: { weight: 3 } });
    assert.deepEqual(collector.records().map((r) => r.label), ['on', 'on', 'off', 'off', 'off']);
    assert.deepEqual(collector.records().map((r) => r.weight), [0.5, 0.5, 3, 3, 3]);
    collector.addWindow(windowAt(T0 + 7 * 60_000), undefined);
    collector.addWindow(windowAt(T0 + 9 * 60_000), undefined);
    assert.deepEqual(collector.records().slice(5).map((r) => r.label), ['off', 'on']);
  });

  it('weightedTrainingRows: fractional weights are spread evenly (0.5: every second such row), held-out rows stay', () => {
    const rows = Array.from({ length: 8 }, (_, id) => ({ id, weight: id < 6 ? 0.5 : 1 }));
    assert.deepEqual(weightedTrainingRows(rows, 2, 100).map((r) => r.id), [1, 3, 5, 6, 7]);
    assert.deepEqual(weightedTrainingRows([{ id: 0, weight: 0 }, { id: 1 }], 1, 100).map((r) => r.id), [1]);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(0.25, 0.5, 1, 2, 3), { maxLength: 200 }), fc.nat(20), (weights, heldOut) => {
        const input = weights.map((weight, id) => ({ id, weight }));
        const out = weightedTrainingRows(input, heldOut, 1e9);
        const held = Math.min(heldOut, input.length);
        assert.deepEqual(out.slice(out.length - held).map((r) => r.id), input.slice(input.length - held).map((r) => r.id));
        // Each weight class counts its weight × its rows, to within one row.
        for (const w of [0.25, 0.5, 1, 2, 3]) {
          const n = input.slice(0, input.length - held).filter((r) => r.weight === w).length;
          const got = out.slice(0, out.length - held).filter((r) => r.weight === w).length;
          assert.ok(Math.abs(got - w * n) < 1, `${w}: ${got} vs ${w * n}`);
        }
      }),
    );
  });
});
