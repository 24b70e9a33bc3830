/**
 * User JSON Schemas in sensor-ingest stay bounded (docs/reliability.md, "Ingest: schemas, device ids and time"):
 * `pattern` and `patternProperties` run on a linear-time engine (RE2, pure JavaScript), and `uniqueItems` is
 * checked in linear time. Tests that would hang on a backtracking engine carry a hang guard (mocha's timeout), not a
 * speed assertion: they assert what comes out, and which engine produced it.
 */
import { strict as assert } from 'node:assert';
import Ajv from 'ajv';
import fc from 'fast-check';
import { Ingestor, compileUserSchema, parseIngestConfig, type RawIngestConfig } from '../../src/core/ingest';
import { linearRegExp, linearUniqueItems, userSchemaAjv } from '../../src/core/util/schema-engine';
import { runs } from '../helpers/fuzz';
import { CATASTROPHIC_PAYLOAD, CATASTROPHIC_SCHEMA, UNIQUE_PACK_SCHEMA, uniquePack } from '../helpers/schema-payloads';

const NOW = Date.UTC(2026, 10, 25, 12);

function ingestor(raw: RawIngestConfig): Ingestor {
  const parsed = parseIngestConfig(raw);
  if ('error' in parsed) throw new Error(parsed.error);
  return new Ingestor(parsed.config);
}

describe('core/ingest: user JSON Schemas stay bounded', function () {
  this.timeout(20_000); // hang guard: a backtracking engine takes minutes on these inputs

  it('the user schema\'s Ajv uses the linear-time engines', () => {
    const ajv = userSchemaAjv();
    assert.equal(ajv.opts.code.regExp, linearRegExp);
    assert.equal((ajv.getKeyword('uniqueItems') as { validate?: unknown }).validate, linearUniqueItems.validate);
  });

  it('a catastrophic pattern on the 57-byte payload of the report is one schema reject', () => {
    assert.equal(Buffer.byteLength(CATASTROPHIC_PAYLOAD), 57);
    const { readings, rejects } = ingestor({ schema: CATASTROPHIC_SCHEMA }).ingest(CATASTROPHIC_PAYLOAD, undefined, NOW);
    assert.deepEqual(readings, []);
    assert.deepEqual(rejects.map((r) => [r.code, r.path]), [['schema', '/deviceId']]);
    const fine = ingestor({ schema: CATASTROPHIC_SCHEMA }).ingest({ deviceId: 'aaa', t: 1 }, undefined, NOW);
    assert.deepEqual(fine.readings.map((r) => r.deviceId), ['aaa']);
  });

  it('patternProperties and a pattern on 1 MB of text are matched without backtracking', () => {
    const schema = JSON.stringify({ type: 'object', patternProperties: { '^(x+x+)+y$': { type: 'string' } }, properties: { note: { type: 'string', pattern: '^(a|aa)+$' } } });
    const ing = ingestor({ schema });
    const key = 'x'.repeat(40);
    assert.deepEqual(ing.ingest(JSON.stringify({ deviceId: 'd', [key]: 1, t: 2 }), undefined, NOW).readings.length, 2, 'the key does not match: no constraint');
    const long = JSON.stringify({ deviceId: 'd', note: 'a'.repeat(1_000_000) + 'b', t: 2 });
    const { readings, rejects } = ingestor({ schema, maxPayloadBytes: 2_000_000 }).ingest(long, undefined, NOW);
    assert.deepEqual([readings.length, rejects.map((r) => [r.code, r.path])], [0, [['schema', '/note']]]);
  });

  it('patterns a linear-time engine cannot run (backreferences, lookahead) are refused at deploy, with the reason', () => {
    for (const pattern of ['^(a)\\1$', '^(?=a)a', '^(?!b)a']) {
      const compiled = compileUserSchema(JSON.stringify({ type: 'string', pattern }), 'schema');
      assert.ok('error' in compiled, pattern);
      assert.match(compiled.error, /linear-time/);
    }
    const inKeys = compileUserSchema(JSON.stringify({ patternProperties: { '(a)\\1': { type: 'number' } } }), 'schema');
    assert.ok('error' in inKeys);
  });

  it('two patterns in one schema each keep their own meaning', () => {
    const schema = JSON.stringify({ type: 'object', properties: { a: { type: 'string', pattern: '^x$' }, b: { type: 'string', pattern: '^y$' } } });
    const ing = ingestor({ schema });
    assert.deepEqual(ing.ingest({ deviceId: 'd', a: 'x', b: 'y', t: 1 }, undefined, NOW).rejects, []);
    assert.deepEqual(ing.ingest({ deviceId: 'd', a: 'y', b: 'x', t: 1 }, undefined, NOW).rejects.map((r) => r.path), ['/a']);
  });

  it('uniqueItems on a pack of 40,000 records (a quadratic check would take minutes) lets distinct records through', () => {
    const pack = uniquePack(40_000);
    const ing = ingestor({ schema: UNIQUE_PACK_SCHEMA, maxRecords: 40_000 });
    const { readings, rejects } = ing.ingest(pack, undefined, NOW);
    assert.deepEqual([readings.length, rejects], [40_000, []]);
    pack.push({ ...pack[123] });
    const twice = ingestor({ schema: UNIQUE_PACK_SCHEMA, maxRecords: 40_001 }).ingest(pack, undefined, NOW);
    assert.equal(twice.readings.length, 0);
    assert.deepEqual(twice.rejects.map((r) => r.code), ['schema']);
    assert.match(twice.rejects[0].message, /duplicate items \(items ## 123 and 40000 are identical\)/);
  });

  it('uniqueItems inside each record rejects only the records with duplicates, with a pointer', () => {
    const schema = JSON.stringify({ type: 'array', items: { type: 'object', properties: { tags: { type: 'array', uniqueItems: true } } } });
    const pack = [{ bn: 'd:', n: 'a', v: 1, tags: [1, 2] }, { n: 'b', v: 2, tags: [{ x: 1, y: 2 }, { y: 2, x: 1 }] }, { n: 'c', v: 3, tags: ['1', 1] }];
    const { readings, rejects } = ingestor({ schema }).ingest(pack, undefined, NOW);
    assert.deepEqual(readings.map((r) => r.sensor), ['a', 'c']);
    assert.deepEqual(rejects.map((r) => [r.code, r.path]), [['schema', '/1/tags']]);
  });

  it('the linear uniqueItems agrees with Ajv\'s own on any JSON arrays', () => {
    const ours = userSchemaAjv().compile({ uniqueItems: true });
    const theirs = new Ajv().compile({ uniqueItems: true });
    // Through JSON text, as payloads arrive: plain objects (Ajv's deep-equal also compares prototypes).
    const value = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)));
    const arrays = fc.oneof(
      fc.array(value, { maxLength: 8 }),
      fc.tuple(fc.array(value, { maxLength: 6 }), value, fc.nat()).map(([items, dup, at]) => {
        const copy = JSON.parse(JSON.stringify(dup ?? null));
        const withDup = [...items, dup];
        withDup.splice(at % (withDup.length + 1), 0, copy);
        return withDup;
      }),
      fc.array(fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.constantFrom(0, -0, 1, '1', null, true, [], {}), { noNullPrototype: true }), { maxLength: 6 }),
    );
    fc.assert(
      fc.property(arrays, (items) => {
        let expected: boolean;
        try {
          expected = theirs(items) as boolean;
        } catch {
          // Ajv's deep-equal calls a field named toString or valueOf: it throws where ours answers.
          return assert.equal(typeof ours(items), 'boolean');
        }
        assert.equal(ours(items), expected, JSON.stringify(items));
      }),
      { numRuns: runs(2000, 100_000) },
    );
  });

  it('everyday patterns mean what JavaScript\'s RegExp says on any text', () => {
    const patterns = ['^[a-z0-9_-]{1,32}$', '^\\d{4}-\\d{2}-\\d{2}T', '^urn:dev:[a-z]+:', '^(?:temp|hum|co2)$', '[A-Z]', '^\\w+(?:[.:/]\\w+)*$', '^(?<kind>sensor|actuator)-\\d+$', '^[^#+/]+$', 'ab?c{2,3}$', '^\\p{L}+$', '^[\\u0041-\\u005A]+$', '(?<=room)\\d'];
    const text = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'z', 'A', 'Z', '0', '9', '-', '_', ':', '/', '.', 'T', 'é', '😀', ' ', '\n', 'r', 'o', 'm', 's', 'e', 'n'), maxLength: 16 });
    const samples = fc.oneof(text, fc.constantFrom('2026-11-25T12:00', 'urn:dev:ow:10', 'temp', 'sensor-12', 'room7', 'abcc', 'ÀÉ'));
    for (const pattern of patterns) {
      const ours = linearRegExp(pattern, 'u');
      const native = new RegExp(pattern, 'u');
      fc.assert(
        fc.property(samples, (s) => {
          assert.equal(ours.test(s), native.test(s), `${pattern} on ${JSON.stringify(s)}`);
        }),
        { numRuns: runs(300, 20_000) },
      );
    }
  });
});
