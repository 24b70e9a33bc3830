/**
 * Issue 15, the ingest side: nested JSON, state words, a topic capture that spans levels, where the device comes
 * from, RFC 8428 device URNs, one series per unit, time zones, include/exclude and units per field, SenML CBOR,
 * and the reasons rejects give (docs/nodes/sensor-ingest.md, "Profiles" and "Nested JSON").
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { encodeCBOR } from '@levischuck/tiny-cbor';
import { Ingestor, parseIngestConfig, type RawIngestConfig, compileTopicPattern, MAX_NESTING, INGEST_PROFILES, PROFILE_SETTINGS } from '../../src/core/ingest';
import { runs } from '../helpers/fuzz';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'senml', name), 'utf8'));

function ingestor(raw: RawIngestConfig = {}): Ingestor {
  const parsed = parseIngestConfig(raw);
  if ('error' in parsed) throw new Error(parsed.error);
  return new Ingestor(parsed.config);
}
const brief = (r: { sensor: string; value: unknown; unit?: string }) => [r.sensor, r.value, r.unit];

describe('core/ingest: nested JSON without a profile', () => {
  it('a nested field is a reading named by its path (AM2301.Temperature); strings that are not state words are skipped', () => {
    const { readings, rejects } = ingestor().ingest({ deviceId: 'plug', Time: '2019-01-01T00:00:00', AM2301: { Temperature: 21.3, Humidity: 45 }, TempUnit: 'C' }, undefined, NOW);
    assert.deepEqual(rejects, []);
    assert.deepEqual(readings.map(brief), [['AM2301.Temperature', 21.3, undefined], ['AM2301.Humidity', 45, undefined]]);
  });

  it('device and time fields may be dot paths (TTN end_device_ids.device_id, received_at with nanoseconds)', () => {
    const ing = ingestor({ deviceIdField: 'end_device_ids.device_id', tsField: 'received_at', valuesField: 'uplink_message.decoded_payload' });
    const { readings } = ing.ingest({ end_device_ids: { device_id: 'dev1' }, received_at: '2020-02-17T07:49:09.736532315Z', uplink_message: { f_cnt: 3, decoded_payload: { t: 1 } } }, undefined, NOW);
    assert.deepEqual(readings, [{ deviceId: 'dev1', sensor: 't', value: 1, ts: Date.UTC(2020, 1, 17, 7, 49, 9, 736) }]);
  });

  it('a payload whose values sit only in arrays is a missing-field reject that says so', () => {
    const { readings, rejects } = ingestor().ingest({ deviceId: 'd', samples: [1, 2, 3], meta: { name: 'x' } }, undefined, NOW);
    assert.deepEqual(readings, []);
    assert.equal(rejects.length, 1);
    assert.equal(rejects[0].code, 'missing-field');
    assert.match(rejects[0].message, /nested objects included.*values inside arrays are not read: \/samples/);
  });

  it(`nesting deeper than ${MAX_NESTING} levels is a type reject pointing at where it starts; shallower fields still come out`, () => {
    let deep: Record<string, unknown> = { v: 1 };
    for (let i = 0; i < MAX_NESTING + 5; i++) deep = { a: deep };
    const { readings, rejects } = ingestor().ingest({ deviceId: 'd', top: 2, deep }, undefined, NOW);
    assert.deepEqual(readings.map(brief), [['top', 2, undefined]]);
    assert.equal(rejects.length, 1);
    assert.equal(rejects[0].code, 'type');
    assert.match(rejects[0].message, /nesting deeper than 32 levels/);
    assert.ok(rejects[0].path!.startsWith('/deep/a/a/'), rejects[0].path);
  });
});

describe('core/ingest: state words', () => {
  it('ON/OFF, on/off, open/closed, true/false in any case become booleans inside JSON and as bare text', () => {
    const ing = ingestor({ topicPattern: 'home/{deviceId}/{sensor}' });
    const { readings } = ing.ingest({ deviceId: 'd', POWER: 'ON', relay: 'off', door: 'Open', lid: 'closed', flag: 'TRUE', mode: 'heating' }, undefined, NOW);
    assert.deepEqual(readings.map(brief), [['POWER', true, undefined], ['relay', false, undefined], ['door', true, undefined], ['lid', false, undefined], ['flag', true, undefined]]);
    assert.deepEqual(ing.ingest('OFF', 'home/lamp/state', NOW).readings.map(brief), [['state', false, undefined]]);
    assert.deepEqual(ing.ingest(Buffer.from('open'), 'home/door/contact', NOW).readings.map(brief), [['contact', true, undefined]]);
  });

  it('the list can be extended (stateWords) and an unknown bare word is a reject that names it', () => {
    const ing = ingestor({ topicPattern: 'home/{deviceId}/{sensor}', stateWords: 'wet=true, dry=false' });
    assert.deepEqual(ing.ingest('WET', 'home/cellar/leak', NOW).readings.map(brief), [['leak', true, undefined]]);
    const { rejects } = ing.ingest('unavailable', 'home/cellar/leak', NOW);
    assert.equal(rejects[0].code, 'parse');
    assert.match(rejects[0].message, /"unavailable" is not a known state word \(add it to stateWords\)/);
    assert.match(String((parseIngestConfig({ stateWords: 'wet=maybe' }) as { error: string }).error), /wet must be =true or =false/);
  });
});

describe('core/ingest: device identity', () => {
  it('{deviceId#} spans levels; levels after it still match; one such capture per pattern', () => {
    const z2m = compileTopicPattern('zigbee2mqtt/{deviceId#}');
    assert.ok('pattern' in z2m);
    assert.deepEqual(z2m.pattern.match('zigbee2mqtt/kitchen/floor_light'), { deviceId: 'kitchen/floor_light' });
    assert.deepEqual(z2m.pattern.match('zigbee2mqtt/bathroom'), { deviceId: 'bathroom' });
    assert.equal(z2m.pattern.match('zigbee2mqtt'), undefined);
    const mid = compileTopicPattern('site/{deviceId#}/{sensor}/state');
    assert.ok('pattern' in mid);
    assert.deepEqual(mid.pattern.match('site/a/b/c/temp/state'), { deviceId: 'a/b/c', sensor: 'temp' });
    assert.equal(mid.pattern.match('site/temp/state'), undefined);
    assert.equal(mid.pattern.match('site/a/temp/status'), undefined);
    assert.ok('error' in compileTopicPattern('{a#}/{b#}'));
    assert.ok('error' in compileTopicPattern('{a#}/#'));
  });

  it('deviceFrom topic: the topic device wins over a payload field and over SenML bn (LwM2M paths become sensors)', () => {
    const ing = ingestor({ topicPattern: 'lwm2m/{deviceId}/#', deviceFrom: 'topic' });
    assert.deepEqual(ing.ingest({ deviceId: 'payload-says', t: 1 }, 'lwm2m/ep1/x', NOW).readings.map((r) => r.deviceId), ['ep1']);
    const senml = ing.ingest([{ bn: '/3303/0/', n: '5700', v: 21 }], 'lwm2m/ep1/notify', NOW).readings;
    assert.deepEqual(senml.map((r) => [r.deviceId, r.sensor]), [['ep1', '3303/0/5700']]);
    const payloadFirst = ingestor({ topicPattern: 'lwm2m/{deviceId}/#' });
    assert.equal(payloadFirst.ingest([{ bn: '/3303/0/', n: '5700', v: 21 }], 'lwm2m/ep1/notify', NOW).readings[0].deviceId, '/3303/0', 'payload (bn) wins by default, as before');
  });

  it('lwm2mNames: IPSO object values get names in words, instance > 0 a suffix, other resources keep their path', () => {
    const ing = ingestor({ profile: 'lwm2m' });
    const { readings } = ing.ingest([{ bn: '/3303/0/', n: '5700', v: 21 }, { bn: '/3303/1/', n: '5700', v: 22 }, { bn: '/3304/0/', n: '5700', v: 40 }, { bn: '/3303/0/', n: '5601', v: 19 }], 'lwm2m/ep1/notify', NOW);
    assert.deepEqual(readings.map(brief), [['temperature', 21, 'Cel'], ['temperature.1', 22, 'Cel'], ['humidity', 40, '%RH'], ['3303/0/5601', 19, undefined]]);
  });

  it('RFC 8428 device URNs: the URN is the device, what follows it the sensor', () => {
    const { readings } = ingestor().ingest([{ n: 'urn:dev:ow:10e2073a01080063', u: 'Cel', v: 23.1 }, { n: 'urn:dev:ow:10e2073a01080063:voltage', u: 'V', v: 120.1 }, { n: 'urn:dev:mac:0024befffe804ff1/temp', v: 1 }], undefined, NOW);
    assert.deepEqual(readings.map((r) => [r.deviceId, r.sensor]), [['urn:dev:ow:10e2073a01080063', 'value'], ['urn:dev:ow:10e2073a01080063', 'voltage'], ['urn:dev:mac:0024befffe804ff1', 'temp']]);
  });
});

describe('core/ingest: one series per unit (RFC 8428 %RH, lon, lat, %EL of one device)', () => {
  it('records sharing a name but not a unit are named <name>.<unit>; each series keeps its own values', () => {
    const { readings, rejects } = ingestor().ingest(fixture('rfc8428-5.1.8-multiple-units.json'), undefined, NOW);
    assert.deepEqual(rejects, []);
    assert.ok(readings.every((r) => r.deviceId === 'urn:dev:ow:10e2073a01080063'));
    const series = (s: string) => readings.filter((r) => r.sensor === s).map((r) => r.value);
    assert.deepEqual(series('value.%RH'), [20, 20.3, 20.7, 21.2]);
    assert.deepEqual(series('value.lon'), [24.30621, 24.30628, 24.30649, 24.30681]);
    assert.deepEqual(series('value.lat'), [60.07965, 60.07967, 60.07978, 60.0799]);
    assert.deepEqual(series('value.%EL'), [98]);
    assert.equal(readings.length, 13);
  });

  it('a pack with one unit per name keeps its names (5.1.3: voltage in V, current in A)', () => {
    const { readings } = ingestor().ingest(fixture('rfc8428-5.1.3-multiple-measurements.json'), undefined, NOW);
    assert.deepEqual([...new Set(readings.map((r) => r.sensor))], ['voltage', 'current']);
  });
});

describe('core/ingest: time zone for times without an offset', () => {
  it('UTC by default (as before); an IANA zone reads the wall time there, summer and winter', () => {
    assert.equal(ingestor().ingest({ deviceId: 'd', ts: '2026-07-01T12:00:00', t: 1 }, undefined, NOW).readings[0].ts, Date.UTC(2026, 6, 1, 12));
    const berlin = ingestor({ timeZone: 'Europe/Berlin' });
    assert.equal(berlin.ingest({ deviceId: 'd', ts: '2026-07-01T12:00:00', t: 1 }, undefined, NOW).readings[0].ts, Date.UTC(2026, 6, 1, 10));
    assert.equal(berlin.ingest({ deviceId: 'd', ts: '2026-01-15T12:00:00.250', t: 1 }, undefined, NOW).readings[0].ts, Date.UTC(2026, 0, 15, 11, 0, 0, 250));
    assert.equal(berlin.ingest({ deviceId: 'd', ts: '2026-07-01T12:00:00Z', t: 1 }, undefined, NOW).readings[0].ts, Date.UTC(2026, 6, 1, 12), 'an offset in the text wins');
    assert.equal(ingestor({ timeZone: 'America/New_York' }).ingest({ deviceId: 'd', ts: '2026-11-01T01:30:00', t: 1 }, undefined, NOW).readings[0].ts, Date.UTC(2026, 10, 1, 5, 30), 'the repeated hour: the earlier instant');
  });

  it('a wall time the zone skips is a type reject naming the time zone; a bad zone name is a config error', () => {
    const { rejects } = ingestor({ timeZone: 'Europe/Berlin' }).ingest({ deviceId: 'd', ts: '2026-03-29T02:30:00', t: 1 }, undefined, NOW);
    assert.equal(rejects[0].code, 'type');
    assert.match(rejects[0].message, /does not exist in time zone Europe\/Berlin \(a daylight-saving gap\)/);
    assert.equal(rejects[0].path, '/ts');
    assert.match(String((parseIngestConfig({ timeZone: 'Mars/Olympus' }) as { error: string }).error), /not an IANA time zone/);
  });

  it('a local time read as UTC that lands in the future is a future reject that points at the time zone', () => {
    const { rejects } = ingestor({ profile: 'tasmota' }).ingest('{"Time":"2026-11-25T13:00:00","SI7021":{"Temperature":20}}', 'tele/plug/SENSOR', NOW);
    assert.equal(rejects[0].code, 'future');
    assert.match(rejects[0].message, /no offset and is read in time zone UTC: set timeZone/);
    assert.equal(rejects[0].path, '/Time');
    const zoned = ingestor({ profile: 'tasmota', timeZone: 'Europe/Berlin' }).ingest('{"Time":"2026-11-25T13:00:00","SI7021":{"Temperature":20}}', 'tele/plug/SENSOR', NOW);
    assert.deepEqual(zoned.rejects, []);
    assert.equal(zoned.readings[0].ts, NOW);
  });
});

describe('core/ingest: include, exclude and units per field', () => {
  it('exclude drops a field and all under it; include keeps only the listed; a name matches by its path or its last part', () => {
    const payload = { deviceId: 'd', battery: 90, linkquality: 80, sensor1: { temperature: 20, voltage: 3 }, Wifi: { RSSI: 40 } };
    assert.deepEqual(ingestor({ exclude: 'battery, voltage, Wifi' }).ingest(payload, undefined, NOW).readings.map((r) => r.sensor), ['linkquality', 'sensor1.temperature']);
    assert.deepEqual(ingestor({ include: 'temperature, battery' }).ingest(payload, undefined, NOW).readings.map((r) => r.sensor), ['battery', 'sensor1.temperature']);
  });

  it('units per field, a $Field reading the unit from the payload (Tasmota TempUnit F → degF), converted when asked', () => {
    const units = 'Temperature=$TempUnit, Humidity=%RH';
    const plain = ingestor({ units }).ingest({ deviceId: 'd', DS18B20: { Temperature: 68 }, AM2301: { Humidity: 40 }, TempUnit: 'F' }, undefined, NOW);
    assert.deepEqual(plain.readings.map(brief), [['DS18B20.Temperature', 68, 'degF'], ['AM2301.Humidity', 40, '%RH']]);
    const converted = ingestor({ units, convertUnits: true }).ingest({ deviceId: 'd', DS18B20: { Temperature: 68 }, TempUnit: 'F' }, undefined, NOW);
    assert.deepEqual(converted.readings.map(brief), [['DS18B20.Temperature', 20, 'Cel']]);
  });
});

describe('core/ingest: SenML CBOR (RFC 8428 section 6)', () => {
  it('a Buffer holding CBOR with integer labels reads like the JSON pack (kpn-iot/senml-c-library example bytes)', () => {
    // examples/mbed/mbed_actuator_cbor/main.cpp: [{-2: "device_name", 0: "temp", 1: "Cel", 2: 20}]
    const bytes = Buffer.from('81A4216B6465766963655F6E616D65006474656D70016343656C0214', 'hex');
    assert.deepEqual(ingestor().ingest(bytes, undefined, NOW).readings, [{ deviceId: 'device_name', sensor: 'temp', value: 20, unit: 'Cel', ts: NOW }]);
  });

  it('RFC 8428 5.1.2 encoded as CBOR gives the same readings as its JSON form, base time included', () => {
    const json = fixture('rfc8428-5.1.3-multiple-measurements.json') as Array<Record<string, unknown>>;
    const labels: Record<string, number> = { bver: -1, bn: -2, bt: -3, bu: -4, bv: -5, bs: -6, n: 0, u: 1, v: 2, vs: 3, vb: 4, s: 5, t: 6 };
    const cbor = encodeCBOR(json.map((r) => new Map(Object.entries(r).map(([k, v]) => [labels[k], v as number | string])))) as Uint8Array;
    const fromCbor = ingestor().ingest(Buffer.from(cbor), undefined, NOW);
    assert.deepEqual(fromCbor.rejects, []);
    assert.deepEqual(fromCbor.readings, ingestor().ingest(json, undefined, NOW).readings);
  });

  it('bytes that are not CBOR are a parse reject that says so; the json format never tries CBOR', () => {
    const { rejects } = ingestor().ingest(Buffer.from([0x9f, 0x01, 0x02]), undefined, NOW);
    assert.equal(rejects[0].code, 'parse');
    assert.match(rejects[0].message, /neither JSON nor SenML CBOR/);
    assert.match(ingestor({ format: 'json' }).ingest(Buffer.from([0x81, 0x01]), undefined, NOW).rejects[0].message, /not JSON/);
  });
});

describe('core/ingest: profiles', () => {
  it('each profile fills its settings; a value the flow saved wins over the profile', () => {
    for (const name of INGEST_PROFILES) {
      const parsed = parseIngestConfig({ profile: name });
      assert.ok('config' in parsed, name);
      assert.equal(parsed.config.topicPattern?.source, PROFILE_SETTINGS[name].topicPattern || undefined, name);
    }
    const own = parseIngestConfig({ profile: 'tasmota', topicPattern: 'tasmota/tele/{deviceId}/+', tsField: 'ts' });
    assert.ok('config' in own);
    assert.equal(own.config.topicPattern?.source, 'tasmota/tele/{deviceId}/+');
    assert.equal(own.config.tsField, 'ts');
    assert.deepEqual(own.config.exclude, PROFILE_SETTINGS.tasmota.exclude.split(', '));
    assert.match(String((parseIngestConfig({ profile: 'hue' }) as { error: string }).error), /profile must be one of generic, tasmota/);
  });

  it('a topic that names a left-out field is skipped before its payload is read (statestream timestamps, Shelly sys)', () => {
    // Home Assistant's docs configure publish_timestamps: true; .../last_updated then carries a bare ISO time.
    const ha = ingestor({ profile: 'homeassistant' });
    assert.deepEqual(ha.ingest('2017-10-01T23:20:30.920969+00:00', 'homeassistant/light/master_bedroom_dimmer/last_updated', NOW), { readings: [], rejects: [] });
    assert.deepEqual(ha.ingest('"Master Bedroom Dimmer"', 'homeassistant/light/master_bedroom_dimmer/friendly_name', NOW), { readings: [], rejects: [] });
    // The same text on a topic that names a reading is still read, and still refused with its reason.
    assert.equal(ha.ingest('2017-10-01T23:20:30.920969+00:00', 'homeassistant/sensor/clock/state', NOW).rejects[0].code, 'parse');
    const shelly = ingestor({ profile: 'shelly' });
    assert.deepEqual(shelly.ingest('{"mac":"A8032ABE54DC","restart_required":false,"uptime":11081}', 'shellyplus1-a8032abe54dc/status/sys', NOW), { readings: [], rejects: [] });
    assert.equal(shelly.ingest('{"id":0,"output":true}', 'shellyplus1-a8032abe54dc/status/switch:0', NOW).readings[0].sensor, 'switch:0.output');
  });

  it('a topic-named list (statestream publish_attributes: a list attribute) is one reject that names the field, not a SenML error per element', () => {
    // Home Assistant's own statestream test publishes the attribute list ["a", "b", "c"] as '["a", "b", "c"]'.
    const { readings, rejects } = ingestor({ profile: 'homeassistant' }).ingest('["a", "b", "c"]', 'homeassistant/fake/entity/list', NOW);
    assert.deepEqual(readings, []);
    assert.equal(rejects.length, 1);
    assert.equal(rejects[0].code, 'type');
    assert.match(rejects[0].message, /"list" holds an array of values: values inside arrays are not read/);
    const left = ingestor({ profile: 'homeassistant', exclude: 'list' }).ingest('["a", "b", "c"]', 'homeassistant/fake/entity/list', NOW);
    assert.deepEqual(left, { readings: [], rejects: [] });
    // A SenML pack on a topic without a named reading is still a pack.
    assert.equal(ingestor({ profile: 'lwm2m' }).ingest('[{"bn":"/3/0/","n":"9","v":100}]', 'lwm2m/ep1/notify', NOW).readings[0].value, 100);
  });

  it('a flow saved without a profile behaves as generic', () => {
    const parsed = parseIngestConfig({});
    assert.ok('config' in parsed);
    assert.equal(parsed.config.profile, 'generic');
    assert.equal(parsed.config.deviceFrom, 'payload');
    assert.equal(parsed.config.timeZone, 'UTC');
    assert.equal(parsed.config.output, 'each');
  });
});

describe('core/ingest: any nested JSON → canonical readings or rejects, never a throw (fast-check)', () => {
  const key = fc.oneof(fc.constantFrom('deviceId', 'ts', 'Time', 'params', 'src', 'a', 'b', 'POWER', 'state', 'battery', 'TempUnit', 'Temperature', '__proto__', ''), fc.string({ maxLength: 6 }));
  const leaf = fc.oneof(fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constantFrom('ON', 'off', 'Open', 'closed', 'C', 'F', '2026-03-29T02:30:00', '2026-11-25T11:00:00', 'x'), fc.string({ maxLength: 8 }));
  const { tree } = fc.letrec((tie) => ({
    tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('tree'), { maxLength: 4 }), fc.dictionary(key, tie('tree'), { maxKeys: 5 })),
  }));
  for (const profile of INGEST_PROFILES) {
    it(`${profile}: every reading is canonical, every reject has a code and a message`, () => {
      const ing = ingestor({ profile, timeZone: profile === 'tasmota' ? 'Europe/Berlin' : undefined });
      const topics = fc.constantFrom(undefined, 'tele/x/SENSOR', 'zigbee2mqtt/a/b', 'dev/status/switch:0', 'n/sensor/t/state', 'homeassistant/light/l/state', 'v3/a@ttn/devices/d/up', 'lwm2m/ep/n', 'a/b');
      fc.assert(
        fc.property(tree, topics, fc.boolean(), (payload, topic, asText) => {
          const input = asText ? JSON.stringify(payload) ?? 'null' : payload;
          const { readings, rejects } = ing.ingest(input, topic, NOW);
          for (const r of readings) {
            assert.equal(typeof r.deviceId, 'string');
            assert.ok(r.deviceId.length > 0 && r.sensor.length > 0);
            assert.ok(['number', 'boolean', 'string'].includes(typeof r.value));
            if (typeof r.value === 'number') assert.ok(Number.isFinite(r.value));
            assert.ok(Number.isFinite(r.ts));
          }
          for (const e of rejects) assert.ok(typeof e.code === 'string' && e.code !== '' && typeof e.message === 'string');
        }),
        { numRuns: runs(150, 3000) },
      );
    });
  }
});

describe('core/ingest: the field bound counts nested fields', () => {
  it('an object whose nested objects hold more than 100,000 fields in all is one too-large reject, before any walk', () => {
    const wide: Record<string, unknown> = { deviceId: 'd' };
    for (let i = 0; i < 1100; i++) {
      const group: Record<string, number> = {};
      for (let j = 0; j < 100; j++) group['f' + j] = j;
      wide['g' + i] = group;
    }
    const { readings, rejects } = ingestor().ingest(wide, undefined, NOW);
    assert.deepEqual(readings, []);
    assert.deepEqual(rejects.map((r) => r.code), ['too-large']);
  });
});

describe('core/ingest: hostile SenML CBOR (RFC 7049 section 8: lengths that lure a decoder into allocating)', () => {
  it('declared lengths of 2^32 and 2^64 items or bytes, indefinite nesting and 100,000 nested arrays are one parse reject each', () => {
    const ing = ingestor();
    const bombs = ['9b0000000100000000', '9affffffff', 'bbffffffffffffffff', '81a1025bffffffffffffffff', '81a1007bffffffffffffffff', '9f9f9f9f9f9f9f9f', '81'.repeat(100000)];
    for (const hex of bombs) {
      const { readings, rejects } = ing.ingest(Buffer.from(hex, 'hex'), undefined, NOW);
      assert.deepEqual(readings, []);
      assert.deepEqual(rejects.map((r) => r.code), ['parse'], hex.slice(0, 20));
      assert.match(rejects[0].message, /neither JSON nor SenML CBOR/);
    }
  });

  it('any bytes that start like CBOR give canonical readings or rejects, never a throw (fast-check)', () => {
    const ing = ingestor();
    fc.assert(
      fc.property(fc.integer({ min: 0x80, max: 0xbf }), fc.uint8Array({ maxLength: 64 }), (first, rest) => {
        const { readings, rejects } = ing.ingest(Buffer.from([first, ...rest]), undefined, NOW);
        for (const r of readings) assert.ok(typeof r.deviceId === 'string' && Number.isFinite(r.ts));
        for (const e of rejects) assert.ok(e.code !== '');
      }),
      { numRuns: runs(500, 20000) },
    );
  });
});

describe('core/ingest: one series per quantity, not per spelling of a unit', () => {
  it('degF and Cel records of one name stay one series (converted, range-checked as that sensor)', () => {
    const ing = ingestor({ convertUnits: true, sensors: [{ name: 'temp', unit: 'Cel', min: -40, max: 85 }] });
    const { readings, rejects } = ing.ingest([{ bn: 'room7/', n: 'temp', u: 'degF', v: 68 }, { n: 'temp', u: 'Cel', v: 300 }, { n: 'temp', u: 'K', v: 293.15 }], undefined, NOW);
    assert.deepEqual(readings.map((r) => r.sensor), ['temp', 'temp']);
    assert.deepEqual(rejects.map((r) => [r.code, r.path]), [['range', '/1/v']]);
  });
});
