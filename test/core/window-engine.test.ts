import assert from 'node:assert/strict';
import { WindowEngine } from '../../src/core/window';
import { RECENT_READINGS } from '../../src/core/window/engine';
import type { CanonicalReading, WindowEvent, WindowPayload, WindowReject } from '../../src/core/window/types';
import { config } from './window-naive';

/** An epoch instant aligned to every window size used here. */
const T0 = 1_700_000_000_000;

const reading = (ts: number, value: CanonicalReading['value'], sensor = 'temp', deviceId = 'd1'): CanonicalReading => ({ deviceId, sensor, value, ts });

function windows(events: readonly WindowEvent[]): WindowPayload[] {
  return events.flatMap((event) => (event.kind === 'window' ? [event.payload] : []));
}

function rejects(events: readonly WindowEvent[]): WindowReject[] {
  return events.flatMap((event) => (event.kind === 'reject' ? [event] : []));
}

/** One reading arriving when it was taken. */
const add = (engine: WindowEngine, r: CanonicalReading): readonly WindowEvent[] => engine.add(r, r.ts);

/** Add readings (arrival = ts) and return every event, flush included when asked. */
function feed(engine: WindowEngine, readings: CanonicalReading[], flush = false): WindowEvent[] {
  const events = readings.flatMap((r) => [...engine.add(r, r.ts)]);
  return flush ? [...events, ...engine.flush()] : events;
}

describe('WindowEngine: tumbling time windows', () => {
  const cfg = config({ window: 'tumbling', size: 10, unit: 's', features: 'mean,min,max,count,first,last,sum' });

  it('emits [k·size, (k+1)·size) once the watermark reaches the end, and the rest on flush', () => {
    const engine = new WindowEngine(cfg);
    assert.deepStrictEqual(feed(engine, [reading(T0 + 1000, 20), reading(T0 + 4000, 22), reading(T0 + 9000, 24)]), []);
    assert.deepStrictEqual(windows(add(engine, reading(T0 + 10_000, 30))), [
      {
        deviceId: 'd1',
        start: T0,
        end: T0 + 10_000,
        features: { 'temp.mean': 22, 'temp.min': 20, 'temp.max': 24, 'temp.count': 3, 'temp.first': 20, 'temp.last': 24, 'temp.sum': 66 },
        counts: { temp: 3 },
      },
    ]);
    const next = windows(add(engine, reading(T0 + 25_000, 40)));
    assert.deepStrictEqual(next.map((w) => [w.start, w.end, w.features['temp.mean']]), [[T0 + 10_000, T0 + 20_000, 30]]);
    const flushed = windows(engine.flush());
    assert.deepStrictEqual(flushed.map((w) => [w.start, w.end, w.features['temp.sum']]), [[T0 + 20_000, T0 + 30_000, 40]]);
    assert.deepStrictEqual(engine.flush(), [], 'a window is emitted once');
    assert.equal(engine.stats.emitted, 3);
    assert.equal(engine.stats.readings, 5);
  });

  it('puts every selected sensor of a device in one window; other devices have their own', () => {
    const engine = new WindowEngine(config({ size: 10, unit: 's', features: 'mean', sensors: 'temp, hum' }));
    const events = feed(
      engine,
      [reading(T0 + 1000, 20), reading(T0 + 1000, 50, 'hum'), reading(T0 + 2000, 99, 'co2'), reading(T0 + 3000, 60, 'hum'), reading(T0 + 5000, 7, 'temp', 'd2')],
      true,
    );
    assert.deepStrictEqual(windows(events), [
      { deviceId: 'd1', start: T0, end: T0 + 10_000, features: { 'temp.mean': 20, 'hum.mean': 55 }, counts: { temp: 1, hum: 2 }, partial: true },
      { deviceId: 'd2', start: T0, end: T0 + 10_000, features: { 'temp.mean': 7 }, counts: { temp: 1, hum: 0 }, partial: true },
    ]);
    assert.equal(engine.stats.ignored, 1, 'co2 is not selected');
  });

  it('counts booleans as 0 and 1', () => {
    const engine = new WindowEngine(config({ size: 1, unit: 'min', features: 'mean,sum' }));
    const [window] = windows(feed(engine, [reading(T0, true, 'door'), reading(T0 + 1, false, 'door'), reading(T0 + 2, true, 'door')], true));
    assert.deepStrictEqual(window.features, { 'door.mean': 2 / 3, 'door.sum': 2 });
  });
});

describe('WindowEngine: sliding and hopping time windows', () => {
  it('a reading is in size/slide windows aligned at k·slide', () => {
    const engine = new WindowEngine(config({ window: 'sliding', size: 10, slide: 5, unit: 's', features: 'mean,count' }));
    const at = (ms: number, value: number): WindowPayload[] => windows(add(engine, reading(T0 + ms, value)));
    assert.deepStrictEqual(at(1000, 1), []);
    assert.deepStrictEqual(at(6000, 2).map((w) => [w.start - T0, w.end - T0, w.features['temp.mean']]), [[-5000, 5000, 1]]);
    assert.deepStrictEqual(at(11_000, 3).map((w) => [w.start - T0, w.end - T0, w.features['temp.mean']]), [[0, 10_000, 1.5]]);
    assert.deepStrictEqual(at(16_000, 4).map((w) => [w.start - T0, w.end - T0, w.features['temp.mean']]), [[5000, 15_000, 2.5]]);
    assert.deepStrictEqual(at(30_000, 5).map((w) => [w.start - T0, w.end - T0, w.features['temp.mean']]), [
      [10_000, 20_000, 3.5],
      [15_000, 25_000, 4],
    ]);
    assert.deepStrictEqual(windows(engine.flush()).map((w) => [w.start - T0, w.end - T0, w.features['temp.count']]), [
      [25_000, 35_000, 1],
      [30_000, 40_000, 1],
    ]);
  });

  it('hopping windows (slide > size) ignore readings between windows', () => {
    const engine = new WindowEngine(config({ window: 'sliding', size: 5, slide: 10, unit: 's', features: 'sum' }));
    const events = feed(engine, [reading(T0 + 1000, 1), reading(T0 + 7000, 100), reading(T0 + 12_000, 2)], true);
    assert.deepStrictEqual(windows(events).map((w) => [w.start - T0, w.end - T0, w.features['temp.sum']]), [
      [0, 5000, 1],
      [10_000, 15_000, 2],
    ]);
    assert.equal(engine.stats.ignored, 1);
  });
});

describe('WindowEngine: event time, lateness and late readings', () => {
  const cfg = config({ size: 10, unit: 's', lateness: 3000, features: 'first,last,count' });

  it('an out-of-order reading within lateness lands in its own window, in ts order', () => {
    const engine = new WindowEngine(cfg);
    const events = feed(engine, [reading(T0 + 9000, 1), reading(T0 + 11_000, 2), reading(T0 + 8000, 3), reading(T0 + 13_000, 4)]);
    assert.deepStrictEqual(windows(events), [
      { deviceId: 'd1', start: T0, end: T0 + 10_000, features: { 'temp.first': 3, 'temp.last': 1, 'temp.count': 2 }, counts: { temp: 2 } },
    ]);
  });

  it('a reading older than the watermark (latest ts − lateness) is a late reject carrying the reading', () => {
    const engine = new WindowEngine(cfg);
    feed(engine, [reading(T0 + 9000, 1), reading(T0 + 14_000, 2)]);
    const late = reading(T0 + 10_999, 3);
    const events = add(engine, late);
    assert.equal(events.length, 1);
    assert.deepStrictEqual({ ...rejects(events)[0], message: '' }, { kind: 'reject', code: 'late', message: '', reading: late });
    assert.match(rejects(events)[0].message, /older than the watermark/);
    assert.deepStrictEqual(add(engine, reading(T0 + 11_000, 4)), [], 'exactly at the watermark is on time');
    assert.equal(engine.stats.late, 1);
    assert.deepStrictEqual(windows(engine.flush()).map((w) => w.features['temp.count']), [2]);
  });

  it('watermarks are per device', () => {
    const engine = new WindowEngine(cfg);
    feed(engine, [reading(T0 + 50_000, 1, 'temp', 'fast')]);
    assert.deepStrictEqual(rejects(add(engine, reading(T0 + 1000, 2, 'temp', 'slow'))), []);
  });

  it("time: 'arrival' windows by the arrival time passed in, not by ts", () => {
    const engine = new WindowEngine(config({ size: 10, unit: 's', time: 'arrival', features: 'count,slope' }));
    engine.add(reading(5_000, 1), T0 + 1000);
    engine.add(reading(1_000, 3), T0 + 4000); // ts goes back: no matter in arrival time
    const [window] = windows(engine.add(reading(9_000, 5), T0 + 12_000));
    assert.deepStrictEqual([window.start, window.end, window.features['temp.count']], [T0, T0 + 10_000, 2]);
    assertNear(window.features['temp.slope'], -0.5, 'slope still against ts: (3 − 1) / (1 s − 5 s)');
  });
});

describe('WindowEngine: session windows', () => {
  it('close after gap without readings; start and end are the first and last reading ts', () => {
    const engine = new WindowEngine(config({ window: 'session', gap: 5, unit: 's', features: 'count,mean' }));
    assert.deepStrictEqual(feed(engine, [reading(T0, 1), reading(T0 + 2000, 2), reading(T0 + 4000, 3)]), []);
    assert.deepStrictEqual(windows(add(engine, reading(T0 + 8999, 4))), [], 'gap not yet passed: the session goes on');
    const [first] = windows(add(engine, reading(T0 + 14_000, 5)));
    assert.deepStrictEqual([first.start - T0, first.end - T0, first.features['temp.count'], first.features['temp.mean']], [0, 8999, 4, 2.5]);
    const flushed = windows(engine.flush());
    assert.deepStrictEqual(flushed.map((w) => [w.start - T0, w.end - T0, w.features['temp.count']]), [[14_000, 14_000, 1]]);
  });

  it('a late reading can bridge two open sessions within lateness', () => {
    const engine = new WindowEngine(config({ window: 'session', gap: 5, unit: 's', lateness: 30_000, features: 'count' }));
    feed(engine, [reading(T0, 1), reading(T0 + 8000, 2)]);
    feed(engine, [reading(T0 + 4000, 3)]);
    const events = windows(engine.flush());
    assert.deepStrictEqual(events.map((w) => [w.start - T0, w.end - T0, w.features['temp.count']]), [[0, 8000, 3]]);
  });
});

describe('WindowEngine: count windows', () => {
  it('tumbling: every size readings of the selected sensors, in arrival order', () => {
    const engine = new WindowEngine(config({ size: 3, unit: 'count', features: 'count,first,last' }));
    const events = feed(engine, [reading(T0 + 5, 1), reading(T0 + 6, 50, 'hum'), reading(T0 + 2, 2), reading(T0 + 9, 3)]);
    assert.deepStrictEqual(windows(events), [
      {
        deviceId: 'd1',
        start: T0 + 5,
        end: T0 + 2, // the last reading in arrival order had an earlier ts
        features: { 'temp.count': 2, 'temp.first': 1, 'temp.last': 2, 'hum.count': 1, 'hum.first': 50, 'hum.last': 50 },
        counts: { temp: 2, hum: 1 },
      },
    ]);
  });

  it('sliding: size readings every slide readings; flush emits the partial ones', () => {
    const engine = new WindowEngine(config({ window: 'sliding', size: 4, slide: 2, unit: 'count', features: 'sum' }));
    const events = feed(engine, [1, 2, 3, 4, 5, 6].map((v) => reading(T0 + v, v)));
    assert.deepStrictEqual(windows(events).map((w) => w.features['temp.sum']), [1 + 2 + 3 + 4, 3 + 4 + 5 + 6]);
    assert.deepStrictEqual(windows(engine.flush()).map((w) => w.features['temp.sum']), [5 + 6]);
  });

  it('after a flush the next reading starts a fresh window', () => {
    const engine = new WindowEngine(config({ size: 3, unit: 'count', features: 'sum' }));
    feed(engine, [reading(T0, 1), reading(T0 + 1, 2)]);
    assert.deepStrictEqual(windows(engine.flush()).map((w) => w.features['temp.sum']), [3]);
    const events = feed(engine, [reading(T0 + 2, 10), reading(T0 + 3, 20), reading(T0 + 4, 30)]);
    assert.deepStrictEqual(windows(events).map((w) => w.features['temp.sum']), [60]);
  });
});

describe('WindowEngine: flush, reset and idle expiry', () => {
  const cfg = config({ size: 10, unit: 's', idleTimeout: 60_000, features: 'count' });

  it('flush(deviceId) emits that device only; flush() the rest', () => {
    const engine = new WindowEngine(cfg);
    feed(engine, [reading(T0, 1, 'temp', 'a'), reading(T0, 1, 'temp', 'b')]);
    assert.deepStrictEqual(windows(engine.flush('b')).map((w) => w.deviceId), ['b']);
    assert.deepStrictEqual(windows(engine.flush('nobody')), []);
    assert.deepStrictEqual(windows(engine.flush()).map((w) => w.deviceId), ['a']);
  });

  it('after a flush, readings for windows already emitted are late; later windows go on', () => {
    const engine = new WindowEngine(config({ window: 'sliding', size: 10, slide: 5, unit: 's', lateness: 60_000, features: 'count' }));
    feed(engine, [reading(T0 + 7000, 1)]);
    assert.deepStrictEqual(windows(engine.flush()).map((w) => w.start - T0), [0, 5000]);
    assert.deepStrictEqual(rejects(add(engine, reading(T0 + 2000, 2))).map((r) => r.code), ['late']);
    assert.deepStrictEqual(add(engine, reading(T0 + 12_000, 3)), [], 'also in [10 s, 20 s), never emitted');
    assert.deepStrictEqual(windows(engine.flush()).map((w) => [w.start - T0, w.features['temp.count']]), [[10_000, 1]]);
  });

  it('reset(deviceId) forgets one device without emitting; reset() forgets all', () => {
    const engine = new WindowEngine(cfg);
    feed(engine, [reading(T0 + 9000, 1, 'temp', 'a'), reading(T0 + 9000, 1, 'temp', 'b')]);
    engine.reset('a');
    assert.equal(engine.stats.devices, 1);
    assert.deepStrictEqual(add(engine, reading(T0 + 1000, 5, 'temp', 'a')), [], 'a starts over: not late');
    assert.deepStrictEqual(windows(engine.flush()).map((w) => [w.deviceId, w.features['temp.count']]), [
      ['b', 1],
      ['a', 1],
    ]);
    engine.reset();
    assert.deepStrictEqual(engine.stats.devices, 0);
    assert.deepStrictEqual(engine.flush(), []);
  });

  it('expireIdle closes the windows of devices quiet for idleTimeout of wall clock', () => {
    const engine = new WindowEngine(cfg);
    assert.equal(engine.nextIdleDeadline(), undefined);
    engine.add(reading(T0 + 1000, 1, 'temp', 'a'), T0 + 1_000);
    engine.add(reading(T0 + 1000, 1, 'temp', 'b'), T0 + 5_000);
    assert.equal(engine.nextIdleDeadline(), T0 + 61_000);
    assert.deepStrictEqual(engine.expireIdle(T0 + 60_999), []);
    assert.deepStrictEqual(windows(engine.expireIdle(T0 + 61_000)).map((w) => w.deviceId), ['a']);
    assert.equal(engine.nextIdleDeadline(), T0 + 65_000);
    engine.add(reading(T0 + 2000, 1, 'temp', 'b'), T0 + 30_000); // b is active again
    assert.equal(engine.nextIdleDeadline(), T0 + 90_000);
    assert.deepStrictEqual(windows(engine.expireIdle(T0 + 89_999)), []);
    assert.deepStrictEqual(windows(engine.expireIdle(T0 + 90_000)).map((w) => [w.deviceId, w.features['temp.count']]), [['b', 2]]);
    assert.equal(engine.nextIdleDeadline(), undefined);
    assert.deepStrictEqual(rejects(engine.add(reading(T0 + 3000, 1, 'temp', 'a'), T0 + 100_000)).map((r) => r.code), ['late'], 'its window was emitted');
  });

  it('idleTimeout 0 never expires anything', () => {
    const engine = new WindowEngine(config({ size: 10, unit: 's', features: 'count' }));
    add(engine, reading(T0, 1));
    assert.equal(engine.nextIdleDeadline(), undefined);
    assert.deepStrictEqual(engine.expireIdle(Number.MAX_SAFE_INTEGER), []);
  });
});

describe('WindowEngine: maxKeys', () => {
  it('evicts the least recently seen device, emitting its open windows first', () => {
    const engine = new WindowEngine(config({ size: 10, unit: 's', maxKeys: 2, features: 'count' }));
    feed(engine, [reading(T0, 1, 'temp', 'a'), reading(T0, 1, 'temp', 'b'), reading(T0 + 1, 1, 'temp', 'a')]);
    const events = add(engine, reading(T0, 1, 'temp', 'c'));
    assert.deepStrictEqual(windows(events).map((w) => [w.deviceId, w.features['temp.count']]), [['b', 1]]);
    assert.deepStrictEqual(engine.stats.evictions, 1);
    assert.deepStrictEqual(engine.stats.devices, 2);
    assert.deepStrictEqual(windows(engine.flush()).map((w) => [w.deviceId, w.features['temp.count']]), [
      ['a', 2],
      ['c', 1],
    ]);
  });
});

describe('WindowEngine: fill and minCount', () => {
  const base = { size: 10, unit: 's', features: 'mean,count', sensors: 'temp,hum' };
  const twoWindows = [reading(T0, 20), reading(T0, 50, 'hum'), reading(T0 + 10_000, 21), reading(T0 + 25_000, 22)];

  it("fill: 'none' leaves a missing sensor's features out (its count is 0)", () => {
    const second = windows(feed(new WindowEngine(config({ ...base, fill: 'none' })), twoWindows))[1];
    assert.deepStrictEqual(second.features, { 'temp.mean': 21, 'temp.count': 1 });
    assert.deepStrictEqual(second.counts, { temp: 1, hum: 0 });
    assert.equal(second.filled, undefined);
  });

  it("fill: 'zero' fills a missing sensor's features with 0 and lists them", () => {
    const second = windows(feed(new WindowEngine(config({ ...base, fill: 'zero' })), twoWindows))[1];
    assert.deepStrictEqual(second.features, { 'temp.mean': 21, 'temp.count': 1, 'hum.mean': 0, 'hum.count': 0 });
    assert.deepStrictEqual(second.filled, ['hum.mean', 'hum.count']);
  });

  it("fill: 'previous' repeats the sensor's features from the device's last window that had it", () => {
    const engine = new WindowEngine(config({ ...base, fill: 'previous' }));
    const [first, second] = windows(feed(engine, twoWindows));
    assert.equal(first.filled, undefined);
    assert.deepStrictEqual(second.features, { 'temp.mean': 21, 'temp.count': 1, 'hum.mean': 50, 'hum.count': 1 });
    assert.deepStrictEqual(second.filled, ['hum.mean', 'hum.count']);
    const other = windows(feed(engine, [reading(T0, 5, 'temp', 'd2')], true)).find((w) => w.deviceId === 'd2');
    assert.deepStrictEqual(other?.features, { 'temp.mean': 5, 'temp.count': 1 }, 'nothing known yet: nothing filled');
  });

  it('minCount: a window with a sensor short of it is rejected with the window', () => {
    const engine = new WindowEngine(config({ size: 10, unit: 's', features: 'count', minCount: 2 }));
    const events = feed(engine, [reading(T0, 1), reading(T0 + 1, 1), reading(T0 + 10_000, 1), reading(T0 + 20_000, 1)]);
    assert.deepStrictEqual(windows(events).map((w) => w.start - T0), [0]);
    const [short] = rejects(events);
    assert.equal(short.code, 'min-count');
    assert.deepStrictEqual(short.window?.counts, { temp: 1 });
    assert.equal(short.window?.start, T0 + 10_000);
    assert.match(short.message, /temp has 1 reading, minCount is 2/);
    assert.equal(engine.stats.minCount, 1);
  });

  it('minCount per sensor; a missing sensor that fill supplies does not fall short', () => {
    const perSensor = new WindowEngine(config({ ...base, minCount: { hum: 1 } }));
    assert.deepStrictEqual(rejects(feed(perSensor, twoWindows)).map((r) => [r.code, r.window?.start]), [['min-count', T0 + 10_000]]);
    const filled = new WindowEngine(config({ ...base, minCount: { hum: 1 }, fill: 'zero' }));
    assert.deepStrictEqual(rejects(feed(filled, twoWindows)), []);
  });
});

describe('WindowEngine: bad readings', () => {
  const engine = (): WindowEngine => new WindowEngine(config({ size: 10, unit: 's', maxReadings: 3, features: 'count' }));

  it('a string value is a type reject with the reading; no device state is made for it', () => {
    const e = engine();
    const bad = reading(T0, 'on');
    const [reject] = rejects(e.add(bad, 0));
    assert.equal(reject.code, 'type');
    assert.equal(reject.reading, bad);
    assert.match(reject.message, /d1\/temp is text \("on"\)/);
    assert.deepStrictEqual([e.stats.type, e.stats.devices], [1, 0]);
  });

  it('text from a sensor that is not selected is ignored, not a type reject', () => {
    const e = new WindowEngine(config({ size: 10, unit: 's', sensors: 'temp', features: 'count' }));
    assert.deepStrictEqual(add(e, reading(T0, 'ok', 'status')), []);
    assert.deepStrictEqual([e.stats.type, e.stats.ignored], [0, 1]);
  });

  it('NaN values, missing fields and non-objects are type rejects too', () => {
    const e = engine();
    const bad = [reading(T0, Number.NaN), { ...reading(T0, 1), ts: Number.NaN }, { ...reading(T0, 1), deviceId: '' }, null as unknown as CanonicalReading];
    assert.deepStrictEqual(bad.map((r) => rejects(e.add(r, 0)).map((x) => x.code)), [['type'], ['type'], ['type'], ['type']]);
  });

  it('beyond maxReadings per (device, sensor) a reading is an overflow reject', () => {
    const e = engine();
    feed(e, [reading(T0, 1), reading(T0 + 1, 1), reading(T0 + 2, 1)]);
    assert.deepStrictEqual(rejects(add(e, reading(T0 + 3, 1))).map((r) => r.code), ['overflow']);
    assert.deepStrictEqual(add(e, reading(T0 + 3, 1, 'hum')), [], 'other sensors have their own cap');
    assert.deepStrictEqual(windows(e.flush()).map((w) => w.counts), [{ temp: 3, hum: 1 }]);
  });

  it('a session that reaches maxReadings is closed early and a new one starts', () => {
    const e = new WindowEngine(config({ window: 'session', gap: 10, unit: 's', maxReadings: 2, features: 'count' }));
    const events = feed(e, [reading(T0, 1), reading(T0 + 1, 1), reading(T0 + 2, 1)], true);
    assert.deepStrictEqual(windows(events).map((w) => [w.start - T0, w.end - T0, w.features['temp.count']]), [
      [0, 1, 2],
      [2, 2, 1],
    ]);
  });
});

function assertNear(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} vs ${expected}`);
}

describe('WindowEngine: repeated readings (a QoS 1 redelivery)', () => {
  const cfg = config({ window: 'tumbling', size: 10, unit: 's', features: 'count,sum' });

  it('a reading of the same device, sensor and ts is counted once; the repeat is a duplicate reject', () => {
    const engine = new WindowEngine(cfg);
    feed(engine, [reading(T0 + 1000, 5), reading(T0 + 1000, 7, 'hum'), reading(T0 + 2000, 6, 'temp', 'other')]);
    const repeat = engine.add(reading(T0 + 1000, 5), T0 + 1500);
    assert.deepStrictEqual(rejects(repeat).map((r) => [r.code, r.reading]), [['duplicate', reading(T0 + 1000, 5)]]);
    assert.deepStrictEqual(engine.add(reading(T0 + 2000, 6), T0 + 2000), [], 'same ts, another device: not a repeat');
    const [window] = windows(engine.add(reading(T0 + 10_000, 1), T0 + 10_000));
    assert.deepStrictEqual(window.counts, { temp: 2, hum: 1 });
    assert.equal(window.features['temp.sum'], 11);
    assert.equal(engine.stats.duplicate, 1);
  });

  it(`remembers the last ${RECENT_READINGS} accepted readings of each device (the documented bound)`, () => {
    const engine = new WindowEngine(config({ window: 'tumbling', size: 10, unit: 's', lateness: 5000, features: 'count' }));
    feed(engine, [reading(T0, 1)]);
    for (let i = 1; i < RECENT_READINGS; i++) feed(engine, [reading(T0 + i, 1, `s${i}`)]);
    assert.deepStrictEqual(rejects(engine.add(reading(T0, 1), T0)).map((r) => r.code), ['duplicate'], 'still within the last readings');
    feed(engine, [reading(T0 + 100, 1, 'one-more')]);
    assert.deepStrictEqual(engine.add(reading(T0, 1), T0), [], 'pushed out: counted again');
  });

  it('count windows: a repeat takes no place in the window', () => {
    const engine = new WindowEngine(config({ window: 'tumbling', size: 2, unit: 'count', features: 'sum' }));
    const events = feed(engine, [reading(T0, 1), reading(T0, 1), reading(T0 + 1, 2)]);
    assert.deepStrictEqual(rejects(events).map((r) => r.code), ['duplicate']);
    assert.deepStrictEqual(windows(events).map((w) => w.features['temp.sum']), [3]);
  });

  it('remembers them across snapshot and restore', () => {
    const engine = new WindowEngine(cfg);
    feed(engine, [reading(T0 + 1000, 5)]);
    const restored = WindowEngine.restore(cfg, JSON.parse(JSON.stringify(engine.snapshot())));
    assert.deepStrictEqual(rejects(restored.add(reading(T0 + 1000, 5), T0 + 1000)).map((r) => r.code), ['duplicate']);
  });
});

describe('WindowEngine: a lone reading far ahead (maxJump)', () => {
  const cfg = config({ window: 'tumbling', size: 10, unit: 's', features: 'count' });
  const NOW = T0 + 3_600_000;

  it('one reading 5 minutes ahead from another client costs none of 40 genuine readings: it alone is a future reject', () => {
    const engine = new WindowEngine(cfg);
    const events: WindowEvent[] = [];
    for (let i = 0; i < 40; i++) {
      const ts = NOW + i * 1000;
      if (i === 3) events.push(...engine.add(reading(ts + 300_000, 99, 'temp', 'd1'), ts));
      events.push(...engine.add(reading(ts, i), ts));
    }
    assert.deepStrictEqual(rejects(events).map((r) => [r.code, r.reading?.value]), [['future', 99]]);
    assert.deepStrictEqual(windows([...events, ...engine.flush()]).reduce((n, w) => n + w.counts.temp, 0), 40);
    assert.equal(engine.stats.future, 1);
  });

  it("a new device's first reading is held to the same rule (it has no watermark yet to judge by)", () => {
    const engine = new WindowEngine(cfg);
    assert.deepStrictEqual(rejects(engine.add(reading(NOW + 300_000, 99), NOW)).map((r) => r.code), ['future']);
    assert.deepStrictEqual(rejects(engine.add(reading(NOW + 1000, 1), NOW + 1000)), [], 'the genuine readings are on time');
  });

  it('a second reading in step with it confirms the jump: the watermark moves', () => {
    const engine = new WindowEngine(cfg);
    feed(engine, [reading(NOW, 1)]);
    assert.deepStrictEqual(rejects(engine.add(reading(NOW + 300_000, 2), NOW + 1000)).map((r) => r.code), ['future']);
    const confirmed = engine.add(reading(NOW + 301_000, 3), NOW + 2000);
    assert.deepStrictEqual(windows(confirmed).map((w) => w.counts.temp), [1], 'the watermark jumped: the old window closed');
    assert.deepStrictEqual(rejects(engine.add(reading(NOW + 2000, 4), NOW + 3000)).map((r) => r.code), ['late']);
  });

  it('never holds back a slow device, a device catching up on old readings, or readings within maxJump', () => {
    const engine = new WindowEngine(cfg);
    // A reading every 15 minutes, on time.
    for (let i = 0; i < 4; i++) assert.deepStrictEqual(rejects(engine.add(reading(NOW + i * 900_000, i, 'temp', 'slow'), NOW + i * 900_000 + 50)), []);
    // An hour of readings uploaded at once: behind the node's clock.
    for (let i = 0; i < 60; i++) assert.deepStrictEqual(rejects(engine.add(reading(T0 + i * 60_000, i, 'temp', 'batch'), NOW)), []);
    // A clock 9 s fast (under the 10 s default).
    assert.deepStrictEqual(rejects(engine.add(reading(NOW + 9000, 1, 'temp', 'fast'), NOW)), []);
  });

  it('maxJump 0 turns the rule off: the lone reading moves the watermark as before', () => {
    const engine = new WindowEngine(config({ window: 'tumbling', size: 10, unit: 's', features: 'count', maxJump: 0 }));
    feed(engine, [reading(NOW, 1)]);
    assert.deepStrictEqual(rejects(engine.add(reading(NOW + 300_000, 2), NOW + 1000)), []);
    assert.deepStrictEqual(rejects(engine.add(reading(NOW + 2000, 3), NOW + 2000)).map((r) => r.code), ['late']);
  });
});

describe('WindowEngine: eviction emits each window at most once', () => {
  const cfg = config({ size: 10, unit: 's', maxKeys: 2, features: 'count' });

  it('windows closed by eviction say so (partial, evicted); the device keeps its watermark and emitted windows when it returns', () => {
    const engine = new WindowEngine(cfg);
    feed(engine, [reading(T0 + 1000, 1, 'temp', 'a'), reading(T0 + 2000, 1, 'temp', 'b')]);
    const [evicted] = windows(engine.add(reading(T0 + 3000, 1, 'temp', 'c'), T0 + 3000));
    assert.deepStrictEqual([evicted.deviceId, evicted.start - T0, evicted.partial, evicted.evicted], ['a', 0, true, true]);
    const back = engine.add(reading(T0 + 4000, 1, 'temp', 'a'), T0 + 4000);
    assert.deepStrictEqual(rejects(back).map((r) => r.code), ['late'], 'its window [0, 10 s) was emitted: not again');
    assert.deepStrictEqual(windows(back).map((w) => [w.deviceId, w.evicted]), [['b', true]]);
    const later = feed(engine, [reading(T0 + 12_000, 1, 'temp', 'a'), reading(T0 + 25_000, 1, 'temp', 'a')]);
    assert.deepStrictEqual(windows(later).map((w) => [w.deviceId, w.start - T0, w.partial]), [['a', 10_000, undefined]], 'later windows go on, complete ones unflagged');
  });

  it('flush and idle expiry flag the windows they close early as partial, not evicted', () => {
    const engine = new WindowEngine(config({ size: 10, unit: 's', idleTimeout: 1000, features: 'count' }));
    feed(engine, [reading(T0 + 1000, 1, 'temp', 'a'), reading(T0 + 1000, 1, 'temp', 'b')]);
    assert.deepStrictEqual(windows(engine.flush('a')).map((w) => [w.partial, w.evicted]), [[true, undefined]]);
    assert.deepStrictEqual(windows(engine.expireIdle(T0 + 5000)).map((w) => [w.deviceId, w.partial, w.evicted]), [['b', true, undefined]]);
  });

  it('a flood of new names (more than twice maxKeys) cannot make a device emit a window again', () => {
    const engine = new WindowEngine(cfg);
    feed(engine, [reading(T0 + 1000, 1, 'temp', 'kitchen')]);
    const first = windows(feed(engine, Array.from({ length: 10 }, (_, i) => reading(T0 + 1000, 1, 'temp', `fake-${i}`))));
    assert.deepStrictEqual(first.filter((w) => w.deviceId === 'kitchen').map((w) => w.start - T0), [0]);
    const back = feed(engine, [reading(T0 + 2000, 1, 'temp', 'kitchen')], true);
    assert.deepStrictEqual(windows(back).filter((w) => w.deviceId === 'kitchen'), [], 'forgotten entirely, yet [0, 10 s) is not emitted again');
    assert.deepStrictEqual(rejects(back).map((r) => r.code), ['late']);
  });

  it('reset forgets that too: after msg.reset a device starts over', () => {
    const engine = new WindowEngine(cfg);
    feed(engine, [reading(T0 + 1000, 1, 'temp', 'a'), reading(T0 + 1000, 1, 'temp', 'b'), reading(T0 + 1000, 1, 'temp', 'c')]);
    engine.reset('a');
    assert.deepStrictEqual(windows(feed(engine, [reading(T0 + 2000, 1, 'temp', 'a')], true)).filter((w) => w.deviceId === 'a').length, 1);
  });
});
