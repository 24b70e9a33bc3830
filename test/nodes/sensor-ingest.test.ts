import { strict as assert } from 'node:assert';
import { helper, harness, collect, getNode, settle, lastStatus } from '../helpers/runtime';
import sensorIngest = require('../../src/nodes/sensor-ingest');

describe('sensor-ingest node', function () {
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  it('sends one canonical reading per record on output 1 and finishes the input with done()', async () => {
    await helper.load(sensorIngest, harness('sensor-ingest', { format: 'auto', topicPattern: 'sensors/{deviceId}/{sensor}' }));
    const out1 = collect('out1');
    const completed = collect('completed');
    getNode('n1').receive({ topic: 'sensors/x/y', payload: JSON.stringify([{ bn: 'room1/', bt: 1.7e9, n: 'temp', u: 'Cel', v: 21.5 }, { n: 'hum', u: '%RH', v: 40 }]), extra: 'kept' });
    const [temp, hum] = await out1.next(2);
    assert.equal(temp.topic, 'room1/temp');
    assert.deepEqual(temp.payload, { deviceId: 'room1', sensor: 'temp', value: 21.5, unit: 'Cel', ts: 1.7e12 });
    assert.equal(temp.extra, 'kept', 'other message properties travel with each reading');
    assert.deepEqual(hum.payload, { deviceId: 'room1', sensor: 'hum', value: 40, unit: '%RH', ts: 1.7e12 });
    await completed.next(1);
  });

  it('gives every reading a message of its own: no object is shared between the readings of one input', async () => {
    await helper.load(sensorIngest, harness('sensor-ingest', { format: 'json' }));
    const out1 = collect('out1');
    // Readings go out one send() call each (no deep copy by the runtime): what they carry from the input must still
    // not be one object that a node downstream could change for all of them.
    getNode('n1').receive({ payload: JSON.stringify({ deviceId: 'd1', ts: 1.7e12, t: 21, h: 40, co2: 600 }), userProperties: { site: 'north' } });
    const readings = await out1.next(3);
    assert.deepEqual(readings.map((m) => m.topic), ['d1/t', 'd1/h', 'd1/co2'], 'in the order of the fields');
    for (const m of readings) assert.deepEqual(m.userProperties, { site: 'north' });
    assert.equal(new Set(readings).size, 3);
    assert.equal(new Set(readings.map((m) => m.payload)).size, 3);
    assert.equal(new Set(readings.map((m) => m.userProperties)).size, 3, 'each reading has its own copy of userProperties');
    readings[0].userProperties.site = 'changed downstream';
    assert.equal(readings[1].userProperties.site, 'north');
  });

  it('sends each bad record to output 2 with the original payload and msg.error, and the good ones to output 1', async () => {
    await helper.load(sensorIngest, harness('sensor-ingest', { sensors: [{ name: 'temp', min: -40, max: 85 }] }));
    const out1 = collect('out1');
    const out2 = collect('out2');
    const caught = collect('caught');
    const completed = collect('completed');
    const payload = [{ bn: 'd1:', n: 'temp', v: 20 }, { n: 'temp', v: 999 }, { n: 'temp', v: 'hot' }];
    getNode('n1').receive({ payload });
    const [good] = await out1.next(1);
    assert.equal(good.payload.value, 20);
    const rejects = await out2.next(2);
    assert.deepEqual(rejects.map((m) => [m.error.code, m.error.path]), [['range', '/1/v'], ['type', '/2/v']]);
    assert.deepEqual(rejects[0].payload, payload, 'the original payload, untouched');
    assert.equal(typeof rejects[0].error.message, 'string');
    await completed.next(1);
    await settle();
    assert.equal(caught.messages.length, 0, 'bad data is not a node error');
    assert.equal(out1.messages.length, 1);
  });

  it('shows live counts in its status', async () => {
    await helper.load(sensorIngest, harness('sensor-ingest', {}));
    const n1 = getNode('n1');
    const completed = collect('completed');
    n1.receive({ payload: { deviceId: 'a', t: 1, h: 2 } });
    n1.receive({ payload: 'not json' });
    await completed.next(2);
    await settle(700);
    const status = lastStatus(n1);
    assert.equal(status?.fill, 'yellow');
    assert.match(status?.text, /^2 .*ok · 1 .*rejected$/);
  });

  it('a bad configuration is a node fault: status at deploy, done(err) for Catch nodes', async () => {
    await helper.load(sensorIngest, harness('sensor-ingest', { schema: '{"type": 12' }));
    const n1 = getNode('n1');
    assert.equal(lastStatus(n1)?.fill, 'red');
    const logged = (n1.error as any).getCalls().map((c: any) => String(c.args[0]));
    assert.ok(logged.some((m: string) => /schema is not valid JSON/.test(m)), 'reported in the log at deploy, before any message');
    const caught = collect('caught');
    n1.receive({ payload: { deviceId: 'a', t: 1 } });
    const [error] = await caught.next(1);
    assert.match(error.error.message, /schema is not valid JSON/);
  });

  it('a host clock step back or forward never makes arrival stamps go back and never silences devices', async () => {
    const HOUR = 3_600_000;
    const realNow = Date.now;
    let step = 0;
    Date.now = () => realNow() + step;
    try {
      await helper.load(sensorIngest, harness('sensor-ingest', { maxFutureMs: 60_000 }));
      const n1 = getNode('n1');
      const out1 = collect('out1');
      const out2 = collect('out2');
      n1.receive({ payload: { deviceId: 'd1', t: 1 } });
      await out1.next(1);
      step = -HOUR; // NTP steps the host clock back an hour; the devices keep the right time
      n1.receive({ payload: { deviceId: 'd1', t: 2 } });
      n1.receive({ payload: { deviceId: 'd2', ts: realNow(), t: 3 } });
      step = 24 * HOUR; // ... then forward a day (a host that booted with a stale clock)
      n1.receive({ payload: { deviceId: 'd1', t: 4 } });
      const readings = (await out1.next(4)).map((m) => m.payload);
      await settle();
      assert.deepEqual(out2.messages.map((m) => m.error.code), [], 'nothing rejected as future');
      assert.deepEqual(readings.map((r) => r.value), [1, 2, 3, 4]);
      assert.ok(readings[1].ts >= readings[0].ts, `arrival stamps never go back: ${readings[1].ts - readings[0].ts} ms`);
      assert.ok(Math.abs(readings[3].ts - (realNow() + 24 * HOUR)) < 5000, 'a step forward is followed');
    } finally {
      Date.now = realNow;
    }
  });

  it('a deviceId with a control character or a noncharacter never reaches output 1: device-id on output 2', async () => {
    await helper.load(sensorIngest, harness('sensor-ingest', { topicPattern: 'sensors/{deviceId}/{sensor}' }));
    const n1 = getNode('n1');
    const out1 = collect('out1');
    const out2 = collect('out2');
    const completed = collect('completed');
    const caught = collect('caught');
    n1.receive({ payload: JSON.stringify({ deviceId: 'lamp\u0007', t: 1 }) });
    n1.receive({ payload: { deviceId: 'lamp\uffff', t: 1 } });
    n1.receive({ payload: [{ bn: 'ok:', n: 'dimmer#1', v: 1 }] });
    n1.receive({ payload: { deviceId: 'lamp', t: 1 } });
    await completed.next(4);
    await settle();
    assert.deepEqual(out2.messages.map((m) => [m.error.code, m.error.path]), [['device-id', '/deviceId'], ['device-id', '/deviceId'], ['sensor-name', '/0/n']]);
    assert.deepEqual(out1.messages.map((m) => m.topic), ['lamp/t']);
    assert.equal(caught.messages.length, 0);
  });

  it('a bare value takes its device and sensor from the topic pattern', async () => {
    await helper.load(sensorIngest, harness('sensor-ingest', { format: 'value', topicPattern: 'home/{deviceId}/{sensor}' }));
    const out1 = collect('out1');
    getNode('n1').receive({ topic: 'home/hall/motion', payload: Buffer.from('true') });
    const [reading] = await out1.next(1);
    assert.equal(reading.topic, 'hall/motion');
    assert.equal(reading.payload.value, true);
  });
});
