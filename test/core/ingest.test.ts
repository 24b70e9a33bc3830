import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { Ingestor, parseIngestConfig, type RawIngestConfig, compileTopicPattern, convertUnit, nameProblem, normaliseTimestamp } from '../../src/core/ingest';
import type { CanonicalReading } from '../../src/core/types';
import { runs } from '../helpers/fuzz';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'senml', name), 'utf8'));

function ingestor(raw: RawIngestConfig = {}): Ingestor {
  const parsed = parseIngestConfig(raw);
  if ('error' in parsed) throw new Error(parsed.error);
  return new Ingestor(parsed.config);
}

describe('core/ingest: SenML (RFC 8428 examples)', () => {
  it('5.1.1 single datapoint: a device URN with no bn is the device (its reading named value), not split at its last colon', () => {
    const { readings, rejects } = ingestor().ingest(fixture('rfc8428-5.1.1-single.json'), undefined, NOW);
    assert.deepEqual(rejects, []);
    assert.deepEqual(readings, [{ deviceId: 'urn:dev:ow:10e2073a01080063', sensor: 'value', value: 23.1, unit: 'Cel', ts: NOW }]);
  });

  it('5.1.1 with a topic pattern: the topic supplies the device the pack lacks', () => {
    const { readings } = ingestor({ topicPattern: 'sensors/{deviceId}/{sensor}' }).ingest(fixture('rfc8428-5.1.1-single.json'), 'sensors/boiler/temp', NOW);
    assert.equal(readings[0].deviceId, 'boiler');
    assert.equal(readings[0].sensor, 'urn:dev:ow:10e2073a01080063');
  });

  it('5.1.2 multiple datapoints: bn without its trailing separator is the device', () => {
    const { readings } = ingestor().ingest(fixture('rfc8428-5.1.2-multiple-datapoints.json'), undefined, NOW);
    assert.deepEqual(readings, [
      { deviceId: 'urn:dev:ow:10e2073a01080063', sensor: 'voltage', value: 120.1, unit: 'V', ts: NOW },
      { deviceId: 'urn:dev:ow:10e2073a01080063', sensor: 'current', value: 1.2, unit: 'A', ts: NOW },
    ]);
  });

  it('5.1.3 base time, base unit and relative times resolve exactly as the resolved form 5.1.4', () => {
    const packed = ingestor().ingest(fixture('rfc8428-5.1.3-multiple-measurements.json'), undefined, NOW);
    const resolved = ingestor().ingest(fixture('rfc8428-5.1.4-resolved.json'), undefined, NOW);
    assert.equal(packed.readings.length, 7);
    const byTime = (a: CanonicalReading, b: CanonicalReading) => a.ts - b.ts || a.sensor.localeCompare(b.sensor);
    assert.deepEqual([...packed.readings].sort(byTime), [...resolved.readings].sort(byTime));
    assert.equal(packed.readings[1].unit, 'A', 'bu applies to records without u');
    assert.equal(packed.readings[1].ts, 1276020071001);
    assert.equal(packed.readings[0].unit, 'V', 'u overrides bu');
  });

  it('5.1.5 multiple data types: vs, vb and vd give string and boolean values', () => {
    const { readings, rejects } = ingestor().ingest(fixture('rfc8428-5.1.5-multiple-types.json'), undefined, NOW);
    assert.deepEqual(rejects, []);
    assert.deepEqual(
      readings.map((r) => [r.sensor, r.value]),
      [['temperature', 23.1], ['label', 'Machine Room'], ['open', false], ['nfc-reader', 'aGkgCg']],
    );
  });

  it('5.1.6 collection: a "/" separator is stripped from bn and absolute seconds become ms', () => {
    const { readings } = ingestor().ingest(fixture('rfc8428-5.1.6-collection.json'), undefined, NOW);
    assert.deepEqual(readings.map((r) => [r.deviceId, r.sensor, r.value, r.unit, r.ts]), [
      ['2001:db8::2', 'temperature', 27.2, 'Cel', 1320078429000],
      ['2001:db8::2', 'humidity', 80, '%RH', 1320078429000],
    ]);
  });

  it('times below 2^28 are relative to now', () => {
    const { readings } = ingestor().ingest(fixture('rfc8428-5.1.7-relative-time.json'), undefined, NOW);
    assert.deepEqual(readings.map((r) => r.ts), [NOW - 10000, NOW - 5000]);
  });

  it('bv and bs add to v and s', () => {
    const { readings } = ingestor().ingest([{ bn: 'meter/', bv: 100, bs: 1000, n: 'a', v: 5 }, { n: 'b', s: 7 }], undefined, NOW);
    assert.deepEqual(readings.map((r) => r.value), [105, 1007]);
  });

  it('a bad record of a pack is rejected alone with a pointer to its field; the good ones go out', () => {
    const pack = [{ bn: 'dev1/', n: 'a', v: 1 }, { n: 'b', v: 'high' }, { n: 'c', v: 3 }, 42, { n: 'd' }];
    const { readings, rejects } = ingestor().ingest(pack, undefined, NOW);
    assert.deepEqual(readings.map((r) => r.sensor), ['a', 'c']);
    assert.deepEqual(rejects.map((r) => [r.code, r.path]), [['type', '/1/v'], ['type', '/3'], ['missing-field', '/4/v']]);
  });

  it('a base-only record sets bases and yields nothing', () => {
    const { readings, rejects } = ingestor().ingest([{ bn: 'dev9:', bt: 1.7e9 }, { n: 'x', v: 1 }], undefined, NOW);
    assert.deepEqual(rejects, []);
    assert.deepEqual(readings, [{ deviceId: 'dev9', sensor: 'x', value: 1, ts: 1.7e12 }]);
  });
});

describe('core/ingest: flat JSON, bare values and parsing', () => {
  it('every numeric or boolean field is one reading, nested ones named by their path; ts in seconds becomes ms', () => {
    const { readings, rejects } = ingestor().ingest({ deviceId: 'kitchen', ts: 1764072000, temperature: 21.5, motion: true, note: 'x', meta: { a: 1 } }, undefined, NOW);
    assert.deepEqual(rejects, []);
    assert.deepEqual(readings, [
      { deviceId: 'kitchen', sensor: 'temperature', value: 21.5, ts: 1764072000000 },
      { deviceId: 'kitchen', sensor: 'motion', value: true, ts: 1764072000000 },
      { deviceId: 'kitchen', sensor: 'meta.a', value: 1, ts: 1764072000000 },
    ]);
  });

  it('ISO 8601 times, custom fields and the topic filling the device', () => {
    const ing = ingestor({ topicPattern: 'zigbee2mqtt/{deviceId}', deviceIdField: 'id', tsField: 'time' });
    const { readings } = ing.ingest('{"time":"2026-11-25T11:00:00Z","humidity":40}', 'zigbee2mqtt/bathroom', NOW);
    assert.deepEqual(readings, [{ deviceId: 'bathroom', sensor: 'humidity', value: 40, ts: Date.UTC(2026, 10, 25, 11) }]);
  });

  it('what the payload says wins over the topic', () => {
    const ing = ingestor({ topicPattern: 'sensors/{deviceId}/{sensor}' });
    const { readings } = ing.ingest({ deviceId: 'fromPayload', sensor: 'co2', value: 600, unit: 'ppm' }, 'sensors/fromTopic/temp', NOW);
    assert.deepEqual(readings, [{ deviceId: 'fromPayload', sensor: 'co2', value: 600, unit: 'ppm', ts: NOW }]);
  });

  it('a bare number, a Buffer and a bare word take device and sensor from the topic', () => {
    const auto = ingestor({ topicPattern: 'sensors/{deviceId}/{sensor}' });
    assert.deepEqual(auto.ingest(Buffer.from(' 42.5 '), 'sensors/d1/temp', NOW).readings, [{ deviceId: 'd1', sensor: 'temp', value: 42.5, ts: NOW }]);
    const value = ingestor({ format: 'value', topicPattern: 'sensors/{deviceId}/{sensor}' });
    // A state word is a boolean (issue 15); any other word stays text in the value format, and is a parse reject in auto.
    assert.deepEqual(value.ingest('ON', 'sensors/d1/relay', NOW).readings, [{ deviceId: 'd1', sensor: 'relay', value: true, ts: NOW }]);
    assert.deepEqual(value.ingest('heating', 'sensors/d1/mode', NOW).readings, [{ deviceId: 'd1', sensor: 'mode', value: 'heating', ts: NOW }]);
    assert.deepEqual(auto.ingest('ON', 'sensors/d1/relay', NOW).readings, [{ deviceId: 'd1', sensor: 'relay', value: true, ts: NOW }]);
    const unknown = auto.ingest('heating', 'sensors/d1/relay', NOW).rejects;
    assert.equal(unknown[0].code, 'parse');
    assert.match(unknown[0].message, /"heating" is not a known state word/);
  });

  it('a topic that does not match leaves the bare value without a device', () => {
    const { rejects } = ingestor({ topicPattern: 'sensors/{deviceId}/{sensor}' }).ingest(5, 'other/d1/temp', NOW);
    assert.equal(rejects[0].code, 'missing-field');
  });

  it('rejects carry the contract codes and pointers', () => {
    const ing = ingestor({ sensors: [{ name: 'temp', min: -40, max: 85 }], maxFutureMs: 1000 });
    assert.deepEqual(ing.ingest('{oops', undefined, NOW).rejects.map((r) => r.code), ['parse']);
    assert.deepEqual(ing.ingest({ temp: 20 }, undefined, NOW).rejects.map((r) => [r.code, r.path]), [['missing-field', '/deviceId']]);
    assert.deepEqual(ing.ingest({ deviceId: 'd', temp: 120 }, undefined, NOW).rejects.map((r) => [r.code, r.path]), [['range', '/temp']]);
    assert.deepEqual(ing.ingest({ deviceId: 'd', temp: 20, ts: NOW + 5000 }, undefined, NOW).rejects.map((r) => [r.code, r.path]), [['future', '/ts']]);
    assert.deepEqual(ing.ingest({ deviceId: 'd', temp: 'warm' }, undefined, NOW).rejects.map((r) => [r.code, r.path]), [['type', '/temp']]);
    assert.deepEqual(ing.ingest({ deviceId: 'd', temp: '21.5' }, undefined, NOW).readings.map((r) => r.value), [21.5]);
    assert.deepEqual(ing.ingest({ deviceId: 'd', ts: 'yesterday', temp: 1 }, undefined, NOW).rejects.map((r) => [r.code, r.path]), [['type', '/ts']]);
    assert.deepEqual(ing.ingest({ deviceId: 'd', note: 'hi' }, undefined, NOW).rejects.map((r) => r.code), ['missing-field']);
    assert.deepEqual(ing.ingest(null, undefined, NOW).rejects.map((r) => r.code), ['parse']);
  });

  it('size bounds: bytes of text and records of a pack', () => {
    const ing = ingestor({ maxPayloadBytes: 100, maxRecords: 3 });
    assert.equal(ing.ingest('x'.repeat(101), undefined, NOW).rejects[0].code, 'too-large');
    assert.equal(ing.ingest(Buffer.alloc(101), undefined, NOW).rejects[0].code, 'too-large');
    const pack = [1, 2, 3, 4].map((v) => ({ n: 'd:s', v }));
    assert.equal(ing.ingest(pack, undefined, NOW).rejects[0].code, 'too-large');
  });

  it('unit conversion to SenML units and to the listed unit, with ranges after conversion', () => {
    const ing = ingestor({ convertUnits: true, sensors: [{ name: 'temp', unit: 'Cel', max: 50 }, { name: 'pressure', unit: 'hPa' }] });
    const r1 = ing.ingest([{ bn: 'd/', n: 'temp', u: 'degF', v: 212 }], undefined, NOW);
    assert.deepEqual([r1.rejects[0].code, r1.rejects[0].path], ['range', '/0/v'], '212 degF is 100 Cel, above 50');
    const r2 = ing.ingest([{ bn: 'd/', n: 'temp', u: 'K', v: 293.15 }, { n: 'pressure', u: 'Pa', v: 101325 }, { n: 'speed', u: 'km/h', v: 36 }], undefined, NOW);
    assert.deepEqual(r2.readings.map((r) => [r.sensor, Math.round(r.value as number * 1000) / 1000, r.unit]), [
      ['temp', 20, 'Cel'],
      ['pressure', 1013.25, 'hPa'],
      ['speed', 10, 'm/s'],
    ]);
    const r3 = ing.ingest([{ bn: 'd/', n: 'temp', u: 'ppm', v: 1 }], undefined, NOW);
    assert.equal(r3.rejects[0].code, 'type');
    const noConvert = ingestor({ sensors: [{ name: 'temp', unit: 'Cel' }] });
    assert.equal(noConvert.ingest([{ bn: 'd/', n: 'temp', u: 'degF', v: 70 }], undefined, NOW).rejects[0].code, 'type');
    assert.deepEqual(noConvert.ingest({ deviceId: 'd', temp: 20 }, undefined, NOW).readings[0].unit, 'Cel', 'the listed unit is assumed');
  });

  it('a JSON Schema rejects only the records of a pack that fail it', () => {
    const schema = JSON.stringify({ type: 'array', items: { type: 'object', required: ['n'], properties: { v: { type: 'number', maximum: 100 } } } });
    const ing = ingestor({ schema });
    const { readings, rejects } = ing.ingest([{ bn: 'd/', n: 'a', v: 1 }, { n: 'b', v: 500 }, { v: 3 }, { n: 'c', v: 4 }], undefined, NOW);
    assert.deepEqual(readings.map((r) => r.sensor), ['a', 'c']);
    assert.deepEqual(rejects.map((r) => [r.code, r.path]), [['schema', '/1/v'], ['schema', '/2']]);
    const whole = ingestor({ schema: JSON.stringify({ type: 'object', required: ['deviceId'] }) }).ingest([{ n: 'd:s', v: 1 }], undefined, NOW);
    assert.deepEqual(whole.rejects.map((r) => r.code), ['schema']);
    assert.equal(whole.readings.length, 0);
  });
});

describe('core/ingest: configuration', () => {
  const bad: Array<[RawIngestConfig, RegExp]> = [
    [{ format: 'xml' }, /format must be one of/],
    [{ format: 'value' }, /needs a topicPattern/],
    [{ topicPattern: 'a/#/b' }, /must be the last level/],
    [{ topicPattern: 'a/x{deviceId}' }, /mixes text/],
    [{ schema: '{not json' }, /schema is not valid JSON/],
    [{ schema: '{"type": "nonsense"}' }, /not a usable JSON Schema/],
    [{ schema: '{"$ref": "https://example.com/s.json"}' }, /not a usable JSON Schema/],
    [{ sensors: [{ unit: 'Cel' }] }, /sensors\[0\] needs a name/],
    [{ sensors: [{ name: 't', min: 5, max: 1 }] }, /min 5 above max 1/],
    [{ convertUnits: true, sensors: [{ name: 't', unit: 'furlongs' }] }, /not one the converter knows/],
    [{ maxFutureMs: 'soon' }, /maxFutureMs must be a number/],
    [{ maxRecords: 0 }, /maxRecords must be at least 1/],
  ];
  for (const [raw, message] of bad) {
    it(`refuses ${JSON.stringify(raw)}`, () => {
      const parsed = parseIngestConfig(raw);
      assert.ok('error' in parsed, 'expected an error');
      assert.match(parsed.error, message);
    });
  }
  it('accepts numeric strings and sensors as JSON text', () => {
    const parsed = parseIngestConfig({ maxFutureMs: '2500', sensors: '[{"name":"t","min":"-5"}]' });
    assert.ok('config' in parsed);
    assert.equal(parsed.config.maxFutureMs, 2500);
    assert.equal(parsed.config.sensors.get('t')?.min, -5);
  });
});

describe('core/ingest: helpers', () => {
  it('topic patterns follow MQTT + and # semantics', () => {
    const compiled = compileTopicPattern('site/+/{deviceId}/{sensor}/#');
    assert.ok('pattern' in compiled);
    assert.deepEqual(compiled.pattern.match('site/a/d1/temp/x/y'), { deviceId: 'd1', sensor: 'temp' });
    assert.deepEqual(compiled.pattern.match('site/a/d1/temp'), { deviceId: 'd1', sensor: 'temp' });
    assert.equal(compiled.pattern.match('site/a/d1'), undefined);
    const exact = compileTopicPattern('s/{deviceId}');
    assert.ok('pattern' in exact);
    assert.equal(exact.pattern.match('s/d1/extra'), undefined);
  });

  it('timestamps: seconds below 1e11, ms above, ISO strings, junk refused', () => {
    assert.equal(normaliseTimestamp(1700000000), 1700000000000);
    assert.equal(normaliseTimestamp(1700000000123), 1700000000123);
    assert.equal(normaliseTimestamp('2026-01-02T03:04:05.5Z'), Date.UTC(2026, 0, 2, 3, 4, 5, 500));
    assert.equal(normaliseTimestamp('next tuesday'), undefined);
    assert.equal(normaliseTimestamp(-1), undefined);
  });

  it('unit conversion round-trips within a quantity and refuses across quantities', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom('degF', 'K', 'Cel'), fc.constantFrom('degF', 'K', 'Cel'), (x, a, b) => {
        const there = convertUnit(x, a, b)!;
        const back = convertUnit(there.value, b, a)!;
        assert.ok(Math.abs(back.value - x) <= 1e-9 * Math.max(1, Math.abs(x)));
      }),
    );
    assert.equal(convertUnit(1, 'Cel', 'Pa'), undefined);
  });
});

describe('core/ingest: properties', () => {
  const CODES = new Set(['parse', 'schema', 'missing-field', 'type', 'range', 'future', 'too-large', 'device-id', 'sensor-name']);
  function assertCanonical(r: CanonicalReading) {
    assert.equal(typeof r.deviceId, 'string');
    assert.ok(r.deviceId.length > 0);
    assert.equal(typeof r.sensor, 'string');
    assert.ok(r.sensor.length > 0);
    assert.equal(nameProblem(r.deviceId, 'topic'), undefined, 'the deviceId passes the default name policy');
    assert.equal(nameProblem(r.sensor, 'topic'), undefined, 'the sensor name passes the default name policy');
    assert.ok(typeof r.value === 'boolean' || typeof r.value === 'string' || (typeof r.value === 'number' && Number.isFinite(r.value)));
    assert.ok(Number.isFinite(r.ts));
    if ('unit' in r) assert.equal(typeof r.unit, 'string');
    assert.deepEqual(Object.keys(r).filter((k) => !['deviceId', 'sensor', 'value', 'unit', 'ts'].includes(k)), []);
  }

  it('any payload whatsoever yields only canonical readings or contract rejects, never a throw', () => {
    const ing = ingestor({ topicPattern: 'sensors/{deviceId}/{sensor}', sensors: [{ name: 'temp', min: -50, max: 60 }] });
    const anyPayload = fc.oneof(
      fc.anything({ withBoxedValues: false, withMap: false, withSet: false, withObjectString: true, withNullPrototype: true }),
      fc.json().map((text) => text),
      fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
      fc.array(fc.record({ n: fc.string(), v: fc.oneof(fc.double(), fc.string()), bn: fc.string(), t: fc.double() }, { requiredKeys: [] })),
    );
    fc.assert(
      fc.property(anyPayload, fc.option(fc.string(), { nil: undefined }), (payload, topic) => {
        const { readings, rejects } = ing.ingest(payload, topic, NOW);
        readings.forEach(assertCanonical);
        for (const reject of rejects) {
          assert.ok(CODES.has(reject.code), reject.code);
          assert.equal(typeof reject.message, 'string');
          assert.ok(reject.path === '' || reject.path!.startsWith('/'));
        }
        assert.ok(readings.length + rejects.length > 0, 'every payload is accounted for');
      }),
      { numRuns: runs(2000, 100000) },
    );
  });

  it('no valid reading is lost among bad records of the same pack', () => {
    const good = fc.record({ n: fc.stringMatching(/^[a-z]{1,8}$/), v: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }) });
    const bad = fc.oneof(fc.constant(null), fc.integer(), fc.record({ n: fc.constant('x'), v: fc.string() }), fc.record({ n: fc.integer() }), fc.constant({ n: 'y', v: 1, vb: true }));
    const entry = fc.oneof(good.map((r) => ({ good: true as const, r })), bad.map((r) => ({ good: false as const, r })));
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 30 }), (entries) => {
        const pack = [{ bn: 'device-1:' }, ...entries.map((e) => e.r)];
        const { readings, rejects } = ingestor().ingest(pack, undefined, NOW);
        const expected = entries.filter((e) => e.good).map((e) => [(e.r as { n: string }).n, (e.r as { v: number }).v]);
        assert.deepEqual(readings.map((r) => [r.sensor, r.value]), expected);
        assert.equal(rejects.length, entries.length - expected.length);
        assert.ok(readings.every((r) => r.deviceId === 'device-1'));
      }),
      { numRuns: runs(500, 20000) },
    );
  });
});
