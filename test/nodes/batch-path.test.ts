/**
 * Issue 19: the batch path in a real Node-RED runtime. sensor-ingest `output: batch` sends one message per input;
 * feature-window takes arrays and, with `output: batch`, sends the windows one input closed as one message;
 * actuator-command takes arrays of predictions, sends each command as its own message and its outcomes one by one
 * or (`output: batch`) as one message. A bad element of a batch goes to output 2 with its code and `/<index>`;
 * the good ones around it are not lost. Every input is finished (Complete node), none is a fault (Catch node).
 */
import { strict as assert } from 'node:assert';
import { helper, harness, collect, getNode, settle } from '../helpers/runtime';
import sensorIngest = require('../../src/nodes/sensor-ingest');
import featureWindow = require('../../src/nodes/feature-window');
import actuatorCommand = require('../../src/nodes/actuator-command');

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const reading = (deviceId: string, sensor: string, value: unknown, ts: number) => ({ deviceId, sensor, value, ts });

describe('the batch path in the runtime (issue 19)', function () {
  this.timeout(20000);
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('sensor-ingest batch: one message per input, topic the shared deviceId; a bad record alone on output 2 with its path', async () => {
    await helper.load(sensorIngest, harness('sensor-ingest', { format: 'senml', output: 'batch' }));
    const out1 = collect('out1');
    const out2 = collect('out2');
    const completed = collect('completed');
    const caught = collect('caught');
    const now = Date.now();
    const pack = [{ bn: 'kitchen:', bt: now / 1000 }, { n: 'temp', u: 'Cel', v: 21 }, { n: 'hum', v: 'wet' }, { n: 'co2', u: 'ppm', v: 600 }];
    getNode('n1').receive({ topic: 'sensors/kitchen', payload: JSON.stringify(pack) });
    const [batch] = await out1.next(1);
    assert.equal(batch.topic, 'kitchen', 'the deviceId all its readings share');
    assert.deepEqual(batch.payload.map((r: { deviceId: string; sensor: string; value: number }) => [r.deviceId, r.sensor, r.value]), [['kitchen', 'temp', 21], ['kitchen', 'co2', 600]]);
    const [bad] = await out2.next(1);
    assert.equal(bad.error.code, 'type');
    assert.equal(bad.error.path, '/2/v');
    // Two devices in one pack: one message still, with the input's topic.
    getNode('n1').receive({ topic: 'sensors/all', payload: JSON.stringify([{ bn: 'a:', n: 't', v: 1, bt: now / 1000 }, { bn: 'b:', n: 't', v: 2 }]) });
    const [mixed] = (await out1.next(2)).slice(1);
    assert.equal(mixed.topic, 'sensors/all');
    assert.deepEqual(mixed.payload.map((r: { deviceId: string }) => r.deviceId), ['a', 'b']);
    // Nothing good: nothing on output 1.
    getNode('n1').receive({ topic: 'sensors/x', payload: 'not json' });
    await out2.next(2);
    await completed.next(3);
    await settle();
    assert.equal(out1.messages.length, 2);
    assert.equal(caught.messages.length, 0);
  });

  it('sensor-ingest batch: a payload of more readings than feature-window takes in one message goes as several, in order', async () => {
    await helper.load(sensorIngest, harness('sensor-ingest', { format: 'json', output: 'batch' }));
    const out1 = collect('out1');
    const fields: Record<string, unknown> = { deviceId: 'big', ts: Date.now() };
    for (let i = 0; i < 10_001; i++) fields[`f${i}`] = i;
    getNode('n1').receive({ payload: JSON.stringify(fields) });
    const [first, second] = await out1.next(2, 10000);
    assert.deepEqual([first.payload.length, second.payload.length], [10_000, 1]);
    assert.deepEqual([first.payload[0].sensor, second.payload[0].sensor], ['f0', 'f10000']);
    assert.equal(second.topic, 'big');
  });

  it('feature-window: an array of readings gives the windows and rejects of the same readings one by one; batch sends them as one message', async () => {
    const props = { window: 'tumbling', size: 10, unit: 's', lateness: 1000, features: ['mean', 'count'] };
    await helper.load(featureWindow, [
      ...harness('feature-window', { ...props, output: 'batch' }),
      // The same node fed one reading per message, with the default output (each).
      { id: 'each', z: 'f1', x: 100, y: 100, type: 'feature-window', ...props, wires: [['eachOut1'], ['eachOut2']] },
      { id: 'eachOut1', z: 'f1', x: 100, y: 100, type: 'helper' },
      { id: 'eachOut2', z: 'f1', x: 100, y: 100, type: 'helper' },
    ]);
    const out1 = collect('out1');
    const out2 = collect('out2');
    const eachOut1 = collect('eachOut1');
    const eachOut2 = collect('eachOut2');
    const completed = collect('completed');
    const caught = collect('caught');
    const first = [reading('kitchen', 'temp', 20, T0 + 1000), reading('kitchen', 'temp', 22, T0 + 5000), reading('hall', 'temp', 18, T0 + 2000)];
    // Closes kitchen's first two windows (watermark 24 s), holds a late reading, a string value and a non-reading.
    const second = [
      reading('kitchen', 'temp', 24, T0 + 12000),
      reading('kitchen', 'temp', 'warm', T0 + 13000),
      null,
      reading('kitchen', 'temp', 26, T0 + 25000),
      reading('kitchen', 'temp', 19, T0 + 3000),
    ];
    for (const input of [first, second]) {
      getNode('n1').receive({ topic: 'batch', payload: input });
      for (const r of input) getNode('each').receive({ payload: r });
    }
    const [batch] = await out1.next(1);
    const eachWindows = await eachOut1.next(2);
    assert.equal(batch.topic, 'kitchen', 'the device both windows share');
    assert.equal(batch.payload.length, 2, 'two windows closed by one input: one message');
    assert.deepEqual(batch.payload, eachWindows.map((m) => m.payload), 'the windows of the readings one by one');
    assert.deepEqual(eachWindows.map((m) => m.topic), ['kitchen', 'kitchen']);
    const rejects = await out2.next(3);
    const eachRejects = await eachOut2.next(3);
    assert.deepEqual(rejects.map((m) => [m.error.code, m.error.path]), [['type', '/1'], ['type', '/2'], ['late', '/4']], 'each bad element alone, with its place');
    assert.deepEqual(rejects.map((m) => m.payload), eachRejects.map((m) => m.payload));
    assert.deepEqual(rejects.map((m) => m.error.code), eachRejects.map((m) => m.error.code));
    // A flush of every device: the open windows (kitchen's third, hall's first) as one message.
    getNode('n1').receive({ flush: true });
    const [flushed] = (await out1.next(2)).slice(1);
    assert.deepEqual(flushed.payload.map((w: { deviceId: string }) => w.deviceId).sort(), ['hall', 'kitchen']);
    assert.equal(flushed.topic, undefined, 'two devices: the input topic (none)');
    await completed.next(3);
    await settle();
    assert.equal(out1.messages.length, 2);
    assert.equal(caught.messages.length, 0);
  });

  it('feature-window saved before output existed (no output, no version) sends one message per window, as before', async () => {
    await helper.load(featureWindow, harness('feature-window', { window: 'tumbling', size: 10, unit: 's', features: ['mean'] }));
    const out1 = collect('out1');
    getNode('n1').receive({ payload: [reading('d', 't', 1, T0 + 1000), reading('d', 't', 2, T0 + 11000), reading('d', 't', 3, T0 + 21000)] });
    const windows = await out1.next(2);
    assert.deepEqual(windows.map((m) => [m.topic, m.payload.features['t.mean']]), [['d', 1], ['d', 2]]);
    await settle();
    assert.equal(out1.messages.length, 2);
  });

  for (const output of ['each', 'batch'] as const) {
    it(`actuator-command (${output} outcomes): an array of predictions gives one command message each, a bad one refused with its /<index>`, async () => {
      await helper.load(
        actuatorCommand,
        harness('actuator-command', {
          rules: [{ label: 'hot', command: { state: 'ON' } }, { label: 'cold', command: { state: 'OFF' } }],
          topic: 'home/{deviceId}/set',
          cooldown: 60000,
          output,
        }),
      );
      const out1 = collect('out1');
      const out2 = collect('out2');
      const completed = collect('completed');
      const caught = collect('caught');
      const predictions = [
        { deviceId: 'kitchen', prediction: { label: 'hot', confidence: 1 } },
        { deviceId: 'hall', prediction: { label: { not: 'a label' }, confidence: 1 } },
        { deviceId: 'attic', prediction: { label: 'cold', confidence: 1 } },
        { deviceId: 'kitchen', prediction: { label: 'cold', confidence: 1 } }, // within kitchen's cooldown
      ];
      getNode('n1').receive({ payload: predictions });
      const commands = await out1.next(2);
      assert.deepEqual(commands.map((m) => [m.topic, m.payload]), [['home/kitchen/set', { state: 'ON' }], ['home/attic/set', { state: 'OFF' }]], 'each command its own message, as the device receives it');
      await completed.next(1);
      await settle();
      assert.equal(out1.messages.length, 2);
      const want = [['kitchen', 'sent'], ['hall', 'refused'], ['attic', 'sent'], ['kitchen', 'suppressed']];
      if (output === 'each') {
        const outcomes = await out2.next(4);
        assert.deepEqual(outcomes.map((m) => [m.payload.deviceId, m.payload.status]), want);
        assert.deepEqual(outcomes[1].error, { code: 'bad-input', message: 'prediction.label must be a string or a number', path: '/1' });
        assert.equal(outcomes[3].payload.detail, 'cooldown');
      } else {
        const [batch] = await out2.next(1);
        await settle();
        assert.equal(out2.messages.length, 1, 'one outcome message for the input');
        assert.deepEqual(batch.payload.map((o: { deviceId: string; status: string }) => [o.deviceId, o.status]), want);
        assert.deepEqual(batch.payload[1].error, { code: 'bad-input', message: 'prediction.label must be a string or a number', path: '/1' });
        assert.equal(batch.payload[3].detail, 'cooldown');
        assert.equal(batch.topic, undefined, 'outcomes of several devices: no shared topic');
      }
      assert.equal(caught.messages.length, 0);
    });
  }

  it('actuator-command batch outcomes: the final outcomes of one ack timer run come as one message too', async () => {
    await helper.load(
      actuatorCommand,
      harness('actuator-command', { rules: [{ label: 'hot', command: { state: 'ON' } }], ack: 'payload', ackTimeout: 100, output: 'batch' }),
    );
    const out2 = collect('out2');
    getNode('n1').receive({ payload: [{ deviceId: 'a', prediction: { label: 'hot' } }, { deviceId: 'b', prediction: { label: 'hot' } }] });
    const [sent, finals] = await out2.next(2, 10000);
    assert.deepEqual(sent.payload.map((o: { status: string }) => o.status), ['sent', 'sent']);
    assert.deepEqual(finals.payload.map((o: { deviceId: string; status: string; detail: string }) => [o.deviceId, o.status, o.detail]), [['a', 'timeout', 'no-reply'], ['b', 'timeout', 'no-reply']]);
  });
});
