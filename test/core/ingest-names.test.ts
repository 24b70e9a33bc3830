/**
 * The name policy of sensor-ingest (docs/nodes/sensor-ingest.md, "Device ids and sensor names"): a device id or
 * sensor name that would break an MQTT topic (or text) downstream is a `device-id` / `sensor-name` reject, never a
 * reading. The oracle below is written independently of the implementation: a walk over UTF-16 code units.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { Ingestor, parseIngestConfig, type RawIngestConfig } from '../../src/core/ingest';
import { runs } from '../helpers/fuzz';

const NOW = Date.UTC(2026, 10, 25, 12);
const POLICIES = ['text', 'topic', 'level'] as const;
type Policy = (typeof POLICIES)[number];

function ingestor(raw: RawIngestConfig = {}): Ingestor {
  const parsed = parseIngestConfig(raw);
  if ('error' in parsed) throw new Error(parsed.error);
  return new Ingestor(parsed.config);
}

/** Whether a name passes the policy: at most 1,024 code units of well-formed text, no control or noncharacter. */
function passes(name: string, policy: Policy): boolean {
  if (name.length === 0 || name.length > 1024) return false;
  for (let i = 0; i < name.length; i++) {
    let cp = name.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff) {
      const low = name.charCodeAt(i + 1);
      if (!(low >= 0xdc00 && low <= 0xdfff)) return false;
      cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
      i++;
    } else if (cp >= 0xdc00 && cp <= 0xdfff) return false;
    if (cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f)) return false;
    if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) return false;
    if (policy !== 'text' && (cp === 0x2b || cp === 0x23)) return false;
    if (policy === 'level' && cp === 0x2f) return false;
  }
  return true;
}

/** Any text at all: single UTF-16 code units (lone surrogates too), any code point, and the characters that matter. */
const anyName = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: fc.oneof(
    fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
    fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
    fc.constantFrom('+', '#', '/', '\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\uffff', '\ufffe', '\ufdd0', '\ud800', '\udfff', '\u{1fffe}', '\u{10ffff}', 'a', '-', ':', ' ', 'é'),
  ), maxLength: 24 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 1100 }).map((n) => 'd'.repeat(n)) },
);

describe('core/ingest: device ids and sensor names', () => {
  it('the policies, by example: the default (topic) refuses controls, noncharacters, broken surrogates and + #', () => {
    const ing = ingestor();
    const codeOf = (deviceId: string) => ing.ingest({ deviceId, t: 1 }, undefined, NOW).rejects.map((r) => [r.code, r.path]);
    for (const bad of ['bell\u0007', 'x\uffff', 'nul\u0000', 'esc\u001b[0m', 'c1\u0085', 'half\ud800', '\udc00tail', 'plus+', 'hash#', 'nc\ufdd0', 'x'.repeat(1025)]) {
      assert.deepEqual(codeOf(bad), [['device-id', '/deviceId']], JSON.stringify(bad));
    }
    for (const good of ['kitchen', 'a/b', 'urn:dev:ow:10e2073a01080063', 'café ☕', '\u{1F600}', 'x'.repeat(1024)]) {
      assert.deepEqual(codeOf(good), [], JSON.stringify(good));
    }
    const message = ing.ingest({ deviceId: 'bell\u0007', t: 1 }, undefined, NOW).rejects[0].message;
    assert.match(message, /U\+0007/);
    assert.ok(!message.includes('\u0007'), 'the message names the character, never carries it');
    assert.deepEqual(ingestor({ namePolicy: 'level' }).ingest({ deviceId: 'a/b', t: 1 }, undefined, NOW).rejects.map((r) => r.code), ['device-id']);
    assert.deepEqual(ingestor({ namePolicy: 'text' }).ingest({ deviceId: '+44 20 7946 0000', t: 1 }, undefined, NOW).rejects, []);
    assert.deepEqual(ingestor({ namePolicy: 'text' }).ingest({ deviceId: 'bell\u0007', t: 1 }, undefined, NOW).rejects.map((r) => r.code), ['device-id']);
  });

  it('sensor names follow the same policy (sensor-name), wherever they come from', () => {
    const ing = ingestor({ topicPattern: 's/{deviceId}/{sensor}' });
    const rejected = (payload: unknown, topic?: string) => ing.ingest(payload, topic, NOW).rejects.map((r) => [r.code, r.path]);
    assert.deepEqual(rejected(JSON.parse('{"deviceId":"d","t\\u0007":1,"ok":2}')), [['sensor-name', '/t\u0007']]);
    assert.deepEqual(rejected({ deviceId: 'd', sensor: 'a#b', value: 1 }), [['sensor-name', '/sensor']]);
    assert.deepEqual(rejected([{ bn: 'd/', n: 'temp+', v: 1 }]), [['sensor-name', '/0/n']]);
    assert.deepEqual(rejected(5, 's/d/t\uffff'), [['sensor-name', '']]);
    assert.deepEqual(rejected([{ bn: 'dev\u0000:', n: 't', v: 1 }, { n: 'h', v: 2 }]), [['device-id', '/0/bn'], ['device-id', '/0/bn']]);
    assert.deepEqual(rejected([{ n: 'dev\u0007/t', v: 1 }]), [['device-id', '/0/n']]);
  });

  for (const policy of POLICIES) {
    it(`any deviceId gives a reading whose id passes the ${policy} policy or a device-id reject, never a throw`, () => {
      const ing = ingestor({ namePolicy: policy });
      fc.assert(
        fc.property(anyName, (deviceId) => {
          const { readings, rejects } = ing.ingest({ deviceId, t: 1 }, undefined, NOW);
          if (deviceId === '') return assert.deepEqual(rejects.map((r) => r.code), ['type']); // as before: an empty id is not an id
          if (passes(deviceId, policy)) {
            assert.deepEqual(rejects, []);
            assert.deepEqual(readings.map((r) => r.deviceId), [deviceId]);
          } else {
            assert.deepEqual(readings, []);
            assert.deepEqual(rejects.map((r) => [r.code, r.path]), [['device-id', '/deviceId']]);
          }
        }),
        { numRuns: runs(1000, 50_000) },
      );
    });

    it(`any sensor name (a field name, a SenML n, a topic level) passes the ${policy} policy or is a sensor-name reject`, () => {
      const ing = ingestor({ namePolicy: policy, topicPattern: 's/{deviceId}/{sensor}' });
      const reserved = new Set(['deviceId', 'ts', 'unit', 'units', 'sensor', '']);
      fc.assert(
        fc.property(anyName.filter((s) => !reserved.has(s)), fc.constantFrom('field', 'senml', 'topic'), (sensor, where) => {
          const result =
            where === 'field' ? ing.ingest(Object.fromEntries([['deviceId', 'd1'], [sensor, 1]]), undefined, NOW)
            : where === 'senml' ? ing.ingest([{ bn: 'd1:', n: sensor, v: 1 }], undefined, NOW)
            : ing.ingest(1, `s/d1/${sensor}`, NOW);
          if (where === 'topic' && sensor.includes('/')) return; // not one level: the pattern does not match
          const ok = passes(sensor, policy);
          assert.deepEqual(result.readings.map((r) => r.sensor), ok ? [sensor] : []);
          assert.deepEqual(result.rejects.map((r) => r.code), ok ? [] : ['sensor-name']);
        }),
        { numRuns: runs(1000, 50_000) },
      );
    });
  }

  it('an unknown policy is a configuration error', () => {
    const parsed = parseIngestConfig({ namePolicy: 'anything' });
    assert.ok('error' in parsed);
    assert.match(parsed.error, /namePolicy must be one of text, topic, level/);
    const old = parseIngestConfig({});
    assert.ok('config' in old);
    assert.equal(old.config.namePolicy, 'topic', 'a flow saved without it gets the safe default');
  });
});
