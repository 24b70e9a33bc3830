/**
 * Issue 15: real payloads of the ecosystems Node-RED users own (test/fixtures/devices/readings.ts, each citing its
 * source), through the real sensor-ingest node in a real Node-RED runtime, configured with nothing but the profile.
 */
import { strict as assert } from 'node:assert';
import { helper, harness, collect, getNode, settle } from '../helpers/runtime';
import { DEVICE_FIXTURES } from '../fixtures/devices/readings';
import sensorIngest = require('../../src/nodes/sensor-ingest');

describe('sensor-ingest with device profiles: real payloads come out as the readings a user expects', function () {
  this.timeout(20000);
  beforeEach(() => helper.startServer());
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  for (const profile of [...new Set(DEVICE_FIXTURES.map((f) => f.profile))]) {
    const fixtures = DEVICE_FIXTURES.filter((f) => f.profile === profile);
    it(`${profile}: ${fixtures.length} payloads, profile only, no other setting`, async () => {
      assert.ok(fixtures.length >= 3, 'at least three real payloads per profile');
      await helper.load(sensorIngest, harness('sensor-ingest', { profile }));
      const out1 = collect('out1');
      const out2 = collect('out2');
      for (const fixture of fixtures) {
        out1.messages.length = 0;
        out2.messages.length = 0;
        const before = Date.now();
        const payload = fixture.hex ? Buffer.from(fixture.payload, 'hex') : fixture.payload;
        getNode('n1').receive({ topic: fixture.topic, payload });
        if (fixture.readings.length > 0) await out1.next(fixture.readings.length);
        await settle(30);
        const after = Date.now();
        assert.deepEqual(out2.messages.map((m) => m.error), [], `${fixture.title}: no rejects`);
        const got = out1.messages.map((m) => m.payload);
        assert.equal(got.length, fixture.readings.length, `${fixture.title}: ${JSON.stringify(got)}`);
        fixture.readings.forEach((want, i) => {
          const { ts, ...rest } = got[i];
          const { ts: wantTs, ...wantRest } = want;
          assert.deepEqual(rest, wantRest, `${fixture.title} (${fixture.source}), reading ${i}`);
          if (wantTs === 'arrival') assert.ok(ts >= before - 5 && ts <= after + 5, `${fixture.title}: arrival time`);
          else assert.equal(ts, wantTs, `${fixture.title}: time`);
          assert.equal(out1.messages[i].topic, `${want.deviceId}/${want.sensor}`);
        });
      }
    });
  }

  it('output batch: one message per input with msg.payload the array of readings; rejects still one by one', async () => {
    await helper.load(sensorIngest, harness('sensor-ingest', { profile: 'tasmota', output: 'batch' }));
    const out1 = collect('out1');
    const out2 = collect('out2');
    const fixture = DEVICE_FIXTURES.find((f) => f.title.startsWith('tele SENSOR of a Sonoff Pow R2'))!;
    getNode('n1').receive({ topic: fixture.topic, payload: fixture.payload });
    const [msg] = await out1.next(1);
    await settle(30);
    assert.equal(out1.messages.length, 1);
    assert.equal(msg.topic, fixture.readings[0].deviceId, 'the deviceId all the readings share');
    assert.deepEqual(msg.payload.map((r: { sensor: string }) => r.sensor), fixture.readings.map((r) => r.sensor));
    getNode('n1').receive({ topic: 'tele/plug/SENSOR', payload: '{"Time":"2099-01-01T00:00:00","SI7021":{"Temperature":20}}' });
    const [bad] = await out2.next(1);
    assert.equal(bad.error.code, 'future');
    assert.match(bad.error.message, /time zone UTC/);
  });

  it('bad device input leaves on output 2 with a reason naming the cause: unknown state word, time zone, nesting', async () => {
    await helper.load(sensorIngest, harness('sensor-ingest', { profile: 'esphome' }));
    const out2 = collect('out2');
    getNode('n1').receive({ topic: 'hall/binary_sensor/door/state', payload: 'unavailable' });
    getNode('n1').receive({ topic: 'hall/sensor/t/state', payload: JSON.stringify({ samples: [1, 2] }) });
    const [word, arrays] = await out2.next(2);
    assert.equal(word.error.code, 'parse');
    assert.match(word.error.message, /"unavailable" is not a known state word/);
    assert.equal(word.payload, 'unavailable', 'the original payload travels with the reject');
    assert.equal(arrays.error.code, 'missing-field');
    assert.match(arrays.error.message, /nested objects included.*arrays are not read: \/samples/);
    await helper.unload();
    await helper.load(sensorIngest, harness('sensor-ingest', { profile: 'tasmota', timeZone: 'Europe/Berlin' }));
    const zoned = collect('out2');
    getNode('n1').receive({ topic: 'tele/plug/SENSOR', payload: '{"Time":"2026-03-29T02:30:00","SI7021":{"Temperature":20}}' });
    const [gap] = await zoned.next(1);
    assert.equal(gap.error.code, 'type');
    assert.equal(gap.error.path, '/Time');
    assert.match(gap.error.message, /does not exist in time zone Europe\/Berlin/);
  });

  it('a bad time zone or profile is a configuration fault at deploy, not a silent default', async () => {
    await helper.load(sensorIngest, harness('sensor-ingest', { profile: 'tasmota', timeZone: 'Europe/Nowhere' }));
    const caught = collect('caught');
    getNode('n1').receive({ topic: 'tele/plug/SENSOR', payload: '{}' });
    const [fault] = await caught.next(1);
    assert.match(String(fault.error.message), /timeZone "Europe\/Nowhere" is not an IANA time zone/);
  });
});
