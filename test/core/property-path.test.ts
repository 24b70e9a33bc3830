import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { getAtPath, parseContextKey, setAtPath } from '../../src/core/scale/property-path';

describe('context key paths (the Redis context store)', () => {
  it('reads the forms Node-RED writes', () => {
    assert.deepEqual(parseContextKey('a'), ['a']);
    assert.deepEqual(parseContextKey('a.b.c'), ['a', 'b', 'c']);
    assert.deepEqual(parseContextKey('a[0].b'), ['a', 0, 'b']);
    assert.deepEqual(parseContextKey('a["b c"]'), ['a', 'b c']);
    assert.deepEqual(parseContextKey("a['x.y']"), ['a', 'x.y']);
  });

  it('refuses malformed keys and keys that reach a prototype', () => {
    for (const bad of ['', '.a', 'a..b', 'a[', 'a[x]', '[0]', '__proto__', 'a.__proto__.b', 'a["constructor"]', 'a.prototype']) {
      assert.throws(() => parseContextKey(bad), /context key/, bad);
    }
  });

  it('set then get at any path gives the value back and leaves the rest alone (property)', () => {
    const name = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,6}$/).filter((n) => !['__proto__', 'constructor', 'prototype'].includes(n));
    const segment = fc.oneof(name, fc.nat(5));
    fc.assert(
      fc.property(name, fc.array(segment, { maxLength: 4 }), fc.jsonValue(), fc.jsonValue(), (top, rest, before, value) => {
        const key = top + rest.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('');
        const path = parseContextKey(key);
        assert.deepEqual(path, [top, ...rest]);
        const root = setAtPath(structuredClone(before), path.slice(1), value);
        assert.deepEqual(getAtPath(root, path.slice(1)), value);
        const cleared = setAtPath(root, path.slice(1), undefined);
        if (rest.length > 0) assert.equal(getAtPath(cleared, path.slice(1)), undefined);
      }),
    );
  });
});
