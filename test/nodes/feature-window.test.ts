import { strict as assert } from 'node:assert';
import { helper, harness, collect, getNode, settle, lastStatus } from '../helpers/runtime';
import featureWindow = require('../../src/nodes/feature-window');

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const reading = (deviceId: string, sensor: string, value: unknown, ts: number) => ({ payload: { deviceId, sensor, value, ts } });

describe('feature-window node', function () {
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('emits one message per device window, with the features of all its sensors, when the watermark passes the end', async () => {
    await helper.load(featureWindow, harness('feature-window', { window: 'tumbling', size: 10, unit: 's', features: ['mean', 'max', 'count'] }));
    const out1 = collect('out1');
    const completed = collect('completed');
    const n1 = getNode('n1');
    n1.receive(reading('kitchen', 'temp', 20, T0 + 1000));
    n1.receive(reading('kitchen', 'temp', 22, T0 + 5000));
    n1.receive(reading('kitchen', 'co2', 600, T0 + 6000));
    n1.receive(reading('hall', 'temp', 18, T0 + 2000));
    await completed.next(4);
    await settle();
    assert.equal(out1.messages.length, 0, 'nothing is emitted before the window ends');
    n1.receive(reading('kitchen', 'temp', 23, T0 + 10000));
    const [window] = await out1.next(1);
    assert.equal(window.topic, 'kitchen');
    assert.deepEqual(window.payload, {
      deviceId: 'kitchen',
      start: T0,
      end: T0 + 10000,
      features: { 'temp.mean': 21, 'temp.max': 22, 'temp.count': 2, 'co2.mean': 600, 'co2.max': 600, 'co2.count': 1 },
      counts: { temp: 2, co2: 1 },
    });
    await settle();
    assert.equal(out1.messages.length, 1, "hall's window is still open: devices have their own watermark");
  });

  it('sends late readings, string values and short windows to output 2 with a code, and finishes every input', async () => {
    await helper.load(featureWindow, harness('feature-window', { window: 'tumbling', size: 10, unit: 's', lateness: 2000, minCount: 2, features: ['mean'] }));
    const out1 = collect('out1');
    const out2 = collect('out2');
    const completed = collect('completed');
    const caught = collect('caught');
    const n1 = getNode('n1');
    n1.receive(reading('d', 't', 1, T0 + 9000));
    n1.receive(reading('d', 't', 3, T0 + 11000));
    n1.receive(reading('d', 't', 2, T0 + 9500)); // out of order within lateness: lands in the first window
    n1.receive(reading('d', 't', 'warm', T0 + 11500));
    n1.receive(reading('d', 't', 5, T0 + 12500)); // watermark 10.5 s: first window closes
    n1.receive(reading('d', 't', 0, T0 + 1000)); // older than the watermark: late
    await completed.next(6);
    const [first] = await out1.next(1);
    assert.deepEqual(first.payload.features, { 't.mean': 1.5 });
    const rejects = await out2.next(2);
    assert.deepEqual(rejects.map((m) => m.error.code).sort(), ['late', 'type']);
    assert.equal(rejects.find((m) => m.error.code === 'late')!.payload.value, 0, 'the late reading itself');
    n1.receive({ flush: true }); // the second window holds 3 and 5: two readings, enough
    const [, second] = await out1.next(2);
    assert.deepEqual(second.payload.features, { 't.mean': 4 });
    n1.receive(reading('d', 't', 7, T0 + 25000));
    n1.receive({ flush: 'd' }); // one reading: short of minCount
    const [, , short] = await out2.next(3);
    assert.equal(short.error.code, 'min-count');
    assert.equal(short.payload.counts.t, 1, 'the short window itself');
    await settle();
    assert.equal(out1.messages.length, 2);
    assert.equal(caught.messages.length, 0);
  });

  it('msg.reset forgets a device and msg.flush emits open windows now', async () => {
    await helper.load(featureWindow, harness('feature-window', { window: 'tumbling', size: 60, unit: 's', features: ['count'] }));
    const out1 = collect('out1');
    const n1 = getNode('n1');
    n1.receive(reading('a', 'x', 1, T0));
    n1.receive(reading('b', 'x', 1, T0));
    n1.receive({ reset: 'a' });
    n1.receive({ flush: true });
    const [only] = await out1.next(1);
    assert.equal(only.payload.deviceId, 'b');
    await settle();
    assert.equal(out1.messages.length, 1, 'device a was forgotten');
  });

  it('msg.reset / msg.flush: only true means every device; a string or number names one; anything else is refused with a warning', async () => {
    await helper.load(featureWindow, harness('feature-window', { window: 'tumbling', size: 60, unit: 's', features: ['count'] }));
    const out1 = collect('out1');
    const completed = collect('completed');
    const n1 = getNode('n1');
    for (const id of ['a', 'b', '5', '0']) n1.receive(reading(id, 'x', 1, T0));
    for (const bad of [null, {}, { deviceId: 'a' }, [], '', Number.NaN]) n1.receive({ reset: bad });
    for (const bad of [null, {}, 'nobody-else']) n1.receive({ flush: bad });
    await completed.next(4 + 6 + 3);
    await settle();
    assert.equal(out1.messages.length, 0, 'no refused control and no unknown device flushed anything');
    const warnings: string[] = n1.warn.getCalls().map((call: { args: unknown[] }) => String(call.args[0]));
    assert.equal(warnings.length, 8, `a warning for each refused control: ${warnings.join(' | ')}`);
    assert.ok(warnings.every((w) => /msg\.(reset|flush)/.test(w)), warnings.join(' | '));
    n1.receive({ reset: 5 }); // the number 5 is device "5", not every device
    n1.receive({ flush: 0 }); // the number 0 is device "0"
    const [zero] = await out1.next(1);
    assert.equal(zero.payload.deviceId, '0');
    n1.receive({ flush: true });
    const windows = await out1.next(3);
    assert.deepEqual(windows.slice(1).map((m) => m.payload.deviceId).sort(), ['a', 'b'], 'device 5 was reset; a and b kept their windows');
  });

  it('windows emitted by one input are messages of their own, sharing no object', async () => {
    await helper.load(featureWindow, harness('feature-window', { window: 'tumbling', size: 60, unit: 's', features: ['count'] }));
    const out1 = collect('out1');
    const n1 = getNode('n1');
    n1.receive(reading('a', 'x', 1, T0));
    n1.receive(reading('b', 'x', 1, T0));
    // One flush emits both windows, one send() call each: what they carry from the input is copied, not shared.
    n1.receive({ flush: true, context: { requestedBy: 'test' } });
    const windows = await out1.next(2);
    assert.deepEqual(windows.map((m) => m.payload.deviceId).sort(), ['a', 'b']);
    for (const m of windows) assert.deepEqual(m.context, { requestedBy: 'test' });
    assert.notEqual(windows[0].context, windows[1].context);
    assert.notEqual(windows[0].payload, windows[1].payload);
  });

  it('closes a quiet device\'s window after idleTimeout of wall clock', async () => {
    await helper.load(featureWindow, harness('feature-window', { window: 'tumbling', size: 60, unit: 's', idleTimeout: 150, features: ['count'] }));
    const out1 = collect('out1');
    getNode('n1').receive(reading('quiet', 'x', 1, T0));
    const [window] = await out1.next(1, 3000);
    assert.equal(window.payload.deviceId, 'quiet');
    assert.equal(window.payload.features['x.count'], 1);
  });

  for (const step of [-3_600_000, 3_600_000]) {
    it(`arrival windows keep closing when the host clock steps ${step < 0 ? 'back' : 'forward'} an hour, and no reading is late`, async () => {
      await helper.load(featureWindow, harness('feature-window', { window: 'tumbling', size: 200, unit: 'ms', time: 'arrival', features: ['count'] }));
      const out1 = collect('out1');
      const out2 = collect('out2');
      const n1 = getNode('n1');
      const realNow = Date.now;
      const pause = () => new Promise((resolve) => setTimeout(resolve, 90));
      try {
        for (let i = 0; i < 6; i++) {
          n1.receive(reading('a', 'x', i, T0 + i)); // distinct ts: the same ts again would be a repeat
          await pause();
        }
        const before = out1.messages.length;
        assert.ok(before >= 1, 'windows close before the step');
        Date.now = () => realNow() + step;
        for (let i = 0; i < 12; i++) {
          n1.receive(reading('a', 'x', i, T0 + 100 + i));
          await pause();
        }
        await settle();
        assert.ok(out1.messages.length >= before + 3, `windows go on closing after the step (${out1.messages.length - before} after it)`);
        assert.equal(out2.messages.length, 0, 'nothing is late or refused');
        const total = out1.messages.reduce((sum, m) => sum + m.payload.features['x.count'], 0);
        n1.receive({ flush: true });
        const flushed = (await out1.next(out1.messages.length + 1)).slice(-1)[0];
        assert.equal(total + flushed.payload.features['x.count'], 18, 'every reading is in exactly one window');
      } finally {
        Date.now = realNow;
      }
    });
  }

  it('one reading from another client 5 minutes ahead leaves as future; none of 40 genuine readings is late', async () => {
    await helper.load(featureWindow, harness('feature-window', { window: 'tumbling', size: 10, unit: 's', features: ['count'] }));
    const out1 = collect('out1');
    const out2 = collect('out2');
    const completed = collect('completed');
    const n1 = getNode('n1');
    const now = Date.now();
    for (let i = 0; i < 40; i++) {
      if (i === 2) n1.receive(reading('kitchen', 'temp', 99, now + 300_000));
      n1.receive(reading('kitchen', 'temp', i, now - 40_000 + i * 1000));
    }
    await completed.next(41);
    n1.receive({ flush: true });
    await settle(100);
    assert.deepEqual(out2.messages.map((m) => [m.error.code, m.payload.value]), [['future', 99]]);
    assert.equal(out1.messages.reduce((n, m) => n + m.payload.counts.temp, 0), 40, 'every genuine reading is in a window');
  });

  it('shows counts in its status and a bad configuration as a fault seen by Catch', async () => {
    await helper.load(featureWindow, harness('feature-window', { window: 'sliding', size: 60, unit: 's', slide: '' }));
    const n1 = getNode('n1');
    assert.equal(lastStatus(n1)?.fill, 'red');
    const caught = collect('caught');
    n1.receive(reading('a', 'x', 1, T0));
    const [error] = await caught.next(1);
    assert.match(error.error.message, /slide is required/);
  });

  it('spectral features (#21.5): a 3 Hz vibration sent as one batch of readings gives domFreq 3 Hz and its power in its band', async () => {
    await helper.load(featureWindow, harness('feature-window', { window: 'tumbling', size: 2, unit: 's', features: ['std', 'domFreq', 'spectralEntropy', 'bandEnergy', 'fftMag'], bands: '0-2, 2-4, 4-25', spectralPoints: '128', fftCoefficients: 2 }));
    const out1 = collect('out1');
    const n1 = getNode('n1');
    // 50 Hz for 4 s: two windows of 100 readings (2 Hz bins of 0.5 Hz), in one message as sensor-ingest's batch output.
    const readings = Array.from({ length: 200 }, (_, i) => ({ deviceId: 'pump', sensor: 'vib', value: 0.5 + 2 * Math.sin((2 * Math.PI * 3 * i) / 50), ts: T0 + i * 20 }));
    n1.receive({ payload: readings });
    n1.receive({ flush: true });
    const windows = await out1.next(2);
    for (const { payload } of windows) {
      assert.deepEqual(Object.keys(payload.features), ['vib.std', 'vib.domFreq', 'vib.spectralEntropy', 'vib.band0to2Hz', 'vib.band2to4Hz', 'vib.band4to25Hz', 'vib.fftMag1', 'vib.fftMag2']);
      const f = payload.features;
      assert.ok(Math.abs(f['vib.domFreq'] - 3) <= 0.51, `domFreq ${f['vib.domFreq']}`);
      const total = f['vib.band0to2Hz'] + f['vib.band2to4Hz'] + f['vib.band4to25Hz'];
      assert.ok(f['vib.band2to4Hz'] > 0.9 * total, JSON.stringify(f));
      assert.ok(Math.abs(total - f['vib.std'] ** 2) < 0.1 * total, 'the bands add up to about the variance');
      assert.ok(f['vib.spectralEntropy'] >= 0 && f['vib.spectralEntropy'] < 0.5);
    }
  });

  it('a bad spectral setting is a configuration fault naming it', async () => {
    await helper.load(featureWindow, harness('feature-window', { window: 'tumbling', size: 2, unit: 's', features: ['domFreq'], bands: '4-2', spectralPoints: 100 }));
    const n1 = getNode('n1');
    assert.equal(lastStatus(n1)?.fill, 'red');
    const caught = collect('caught');
    n1.receive(reading('a', 'x', 1, T0));
    const [error] = await caught.next(1);
    assert.match(error.error.message, /band "4-2"/);
    assert.match(error.error.message, /spectralPoints must be a power of two/);
  });

  it('counts windows and late readings in the status', async () => {
    await helper.load(featureWindow, harness('feature-window', { window: 'tumbling', size: 1, unit: 's', features: ['count'] }));
    const n1 = getNode('n1');
    const completed = collect('completed');
    n1.receive(reading('a', 'x', 1, T0));
    n1.receive(reading('a', 'x', 1, T0 + 1500));
    n1.receive(reading('a', 'x', 1, T0 + 100));
    await completed.next(3);
    await settle(700);
    assert.match(lastStatus(n1)?.text, /^1 .*windows · 1 .*devices · 1 .*late$/);
  });
});

describe('feature-window node: persist saves only what changed, in slices', function () {
  /** A memory context store that records every set() call's keys and values. */
  const writes: Array<Record<string, unknown>> = [];
  /** Context of n1 (scope n1:f1) the store starts with. */
  let seed: Record<string, unknown> = {};
  const memory = require('@node-red/runtime/lib/nodes/context/memory');
  function spyStore(config: unknown) {
    const store = memory(config);
    for (const [key, value] of Object.entries(seed)) store.set('n1:f1', key, value);
    const set = store.set.bind(store);
    store.set = (scope: string, key: string | string[], value: unknown, callback?: (err?: Error) => void) => {
      const keys = Array.isArray(key) ? key : [key];
      const values = Array.isArray(key) ? (value as unknown[]) : [value];
      writes.push(Object.fromEntries(keys.map((k, i) => [k, JSON.parse(JSON.stringify(values[i] ?? null))])));
      return set(scope, key, value, callback);
    };
    return store;
  }

  // The helper never loads the configured context stores (Node-RED's start does): load them right after init.
  const context = (helper as unknown as { _context: { init(settings: unknown): void; load(): Promise<void> } })._context;
  const init = context.init;

  beforeEach(() => {
    writes.length = 0;
    seed = {};
    helper.settings({ contextStorage: { default: { module: 'memory' }, spy: { module: spyStore } } });
    context.init = (settings) => {
      init(settings);
      void context.load();
    };
    return helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    context.init = init;
    helper.settings({});
  });

  it('after the first save, a reading of one device writes the header and only that device\'s slice', async () => {
    await helper.load(featureWindow, harness('feature-window', { window: 'tumbling', size: 60, unit: 's', features: ['count'], persist: 'spy' }));
    const n1 = getNode('n1');
    const completed = collect('completed');
    const now = Date.now();
    const readings = Array.from({ length: 300 }, (_, i) => ({ deviceId: `dev-${i}`, sensor: 'x', value: i, ts: now }));
    n1.receive({ payload: readings });
    await completed.next(1);
    await settle(1500);
    const first = writes.length;
    assert.ok(first >= 1, 'saved within a second');
    n1.receive(reading('dev-7', 'x', 1, now + 1));
    await completed.next(2);
    await settle(1500);
    const latest = writes.slice(first);
    assert.equal(latest.length, 1, 'one save');
    const keys = Object.keys(latest[0]).sort();
    assert.deepEqual(keys.filter((k) => k !== 'featureWindowState').length, 1, `the header and one slice: ${keys.join(', ')}`);
    const [slice] = keys.filter((k) => k !== 'featureWindowState').map((k) => latest[0][k] as Array<{ id: string }>);
    assert.ok(slice.some((entry) => entry.id === 'dev-7'), 'the slice holds the changed device');
    assert.ok(slice.length < 300 / 8, `the slice holds a few devices, not all (${slice.length})`);
  });

  it('restores state saved whole by an earlier version, and the first save rewrites it as slices', async () => {
    const fixture = require('../fixtures/window-state-v1.json').cases.pipeline;
    seed = { featureWindowState: fixture.snapshot };
    await helper.load(featureWindow, harness('feature-window', { ...fixture.settings, persist: 'spy' }));
    const out1 = collect('out1');
    const n1 = getNode('n1');
    n1.receive({ flush: 'd0' });
    const [window] = await out1.next(1);
    assert.equal(window.payload.deviceId, 'd0', 'the saved open windows came back');
    await settle(1500);
    const [save] = writes;
    assert.equal(save.featureWindowState && (save.featureWindowState as { format: string }).format, 'iot-ai/window-state@3');
    const lists = Object.keys(save).filter((k) => k !== 'featureWindowState');
    assert.equal(lists.length, 64, 'every slice is written once, replacing the whole old form');
    const ids = lists.flatMap((k) => (save[k] as Array<{ id: string }>).map((entry) => entry.id)).sort();
    assert.deepEqual(ids, ['d0', 'd1', 'd2']);
  });
});
