import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { LruMap } from '../../src/core/util/lru-map';
import { RecencyList as OldPath } from '../../src/core/window/recency';
import { RecencyList } from '../../src/core/util/recency';
import { runs } from '../helpers/fuzz';

describe('LruMap (util/lru-map)', () => {
  it('forgets the least recently used key beyond maxSize; peek does not make a key recent', () => {
    const map = new LruMap<string, number>(2);
    map.set('a', 1).set('b', 2);
    assert.equal(map.get('a'), 1); // a is now the most recent
    map.set('c', 3);
    assert.deepEqual([...map.keys()], ['a', 'c'], 'b, the least recently used, went');
    assert.equal(map.peek('a'), 1);
    map.set('d', 4);
    assert.deepEqual([...map], [['c', 3], ['d', 4]], 'peek left a the oldest');
    assert.equal(map.getOrCreate('c', () => 9), 3);
    assert.equal(map.getOrCreate('e', () => 5), 5);
    assert.deepEqual([...map.values()], [3, 5]);
    assert.ok(map.delete('c') && !map.has('c') && map.size === 1);
    map.clear();
    assert.equal(map.size, 0);
    assert.deepEqual([...map.keys()], []);
  });

  it('tells its evicted hook of each key forgotten beyond maxSize, and of nothing deleted or cleared', () => {
    const heard: Array<[string, number]> = [];
    const map = new LruMap<string, number>(2, (key, value) => heard.push([key, value]));
    map.set('a', 1).set('b', 2);
    map.get('a');
    map.set('c', 3);
    map.getOrCreate('d', () => 4);
    map.delete('c');
    map.clear();
    assert.deepEqual(heard, [['b', 2], ['a', 1]]);
  });

  it('refuses a bound below 1', () => {
    assert.throws(() => new LruMap(0), RangeError);
    assert.throws(() => new LruMap(1.5), RangeError);
  });

  it('keeps RecencyList importable from core/window/recency', () => {
    assert.equal(OldPath, RecencyList);
  });

  it('behaves as a list ordered by last use, cut to maxSize from the old end', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key: fc.nat(6), value: fc.integer() }),
      fc.record({ kind: fc.constant('get' as const), key: fc.nat(6) }),
      fc.record({ kind: fc.constant('peek' as const), key: fc.nat(6) }),
      fc.record({ kind: fc.constant('create' as const), key: fc.nat(6), value: fc.integer() }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.nat(6) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 60 }), (maxSize, ops) => {
        const map = new LruMap<number, number>(maxSize);
        let model: Array<[number, number]> = []; // oldest first
        const touch = (key: number, value: number): void => {
          model = model.filter(([k]) => k !== key);
          model.push([key, value]);
          if (model.length > maxSize) model.shift();
        };
        for (const o of ops) {
          const found = model.find(([k]) => k === o.key);
          if (o.kind === 'set') {
            map.set(o.key, o.value);
            touch(o.key, o.value);
          } else if (o.kind === 'get') {
            assert.equal(map.get(o.key), found?.[1]);
            if (found) touch(o.key, found[1]);
          } else if (o.kind === 'peek') {
            assert.equal(map.peek(o.key), found?.[1]);
          } else if (o.kind === 'create') {
            assert.equal(map.getOrCreate(o.key, () => o.value), found ? found[1] : o.value);
            touch(o.key, found ? found[1] : o.value);
          } else {
            assert.equal(map.delete(o.key), found !== undefined);
            model = model.filter(([k]) => k !== o.key);
          }
          assert.deepEqual([...map], model);
          assert.equal(map.size, model.length);
        }
      }),
      { numRuns: runs(300, 10_000) },
    );
  });
});
