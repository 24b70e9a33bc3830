import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { DEFAULT_SHARD_TOPIC, MAX_SHARDS, fnv1a32, parseShardRouting, routeByShard, shardOf, shardTopic } from '../../src/core/scale/shard';

describe('shard routing (docs/scale-out.md)', () => {
  it('is FNV-1a 32-bit: the published test vectors', () => {
    // The FNV reference test vectors (Fowler, Noll, Vo: FNV-1a 32-bit of "", "a", "foobar").
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
  });

  it('is stable: these ids are in these shards in every version (computed over the UTF-8 bytes)', () => {
    // Cross-checked with an independent FNV-1a over Python's str.encode('utf-8'). Changing any of these moves users' devices.
    const pinned: Array<[string, number, number, number]> = [
      ['kitchen', 870733615, 15, 47],
      ['living-room', 3081710472, 8, 8],
      ['home-0001', 1679468982, 6, 54],
      ['Küche', 884444801, 1, 1],
      ['温度计', 4081059198, 14, 62],
      ['a/b', 982414785, 1, 1],
    ];
    for (const [id, hash, of16, of64] of pinned) {
      assert.equal(fnv1a32(id), hash, id);
      assert.equal(shardOf(id, 16), of16, id);
      assert.equal(shardOf(id, 64), of64, id);
    }
  });

  it('every id lands in one shard in range, the same each time; a multiple of N refines N (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 64 }), fc.integer({ min: 1, max: MAX_SHARDS }), fc.integer({ min: 1, max: 8 }), (id, n, k) => {
        const shard = shardOf(id, n);
        assert.ok(Number.isInteger(shard) && shard >= 0 && shard < n);
        assert.equal(shardOf(id, n), shard);
        assert.equal(shardOf(id, n * k) % n, shard, 'splitting each shard in k keeps devices within their old shard');
      }),
    );
  });

  it('spreads sequential and random ids as evenly as chance would (every shard within 4.5 σ of the mean; chi-square below the 99.9 % point)', () => {
    const check = (ids: string[], n: number) => {
      const counts = new Array(n).fill(0);
      for (const id of ids) counts[shardOf(id, n)]++;
      const mean = ids.length / n;
      // Binomial counts: σ ≈ √mean; a fair hash leaves every shard within 4.5 σ except with odds far below 1 in 10,000.
      for (const c of counts) assert.ok(Math.abs(c - mean) < 4.5 * Math.sqrt(mean), `shard counts ${counts.join(' ')}`);
      const chi2 = counts.reduce((sum, c) => sum + (c - mean) ** 2 / mean, 0);
      // 99.9 % points of chi-square with n − 1 degrees of freedom: 15 → 37.7, 63 → 103.4.
      assert.ok(chi2 < (n === 16 ? 37.7 : 103.4), `chi-square ${chi2.toFixed(1)}`);
    };
    for (const n of [16, 64]) {
      check(Array.from({ length: 20000 }, (_, i) => `home-${String(i).padStart(4, '0')}`), n);
      check(Array.from({ length: 20000 }, (_, i) => `sensor${i}`), n);
      check(fc.sample(fc.uuid(), { numRuns: 20000, seed: 7 }), n);
    }
  });

  it('reads shards and the topic template, refusing what cannot work', () => {
    assert.deepEqual(parseShardRouting(undefined, undefined), { ok: true, config: undefined });
    assert.deepEqual(parseShardRouting('0', 'x/{shard}'), { ok: true, config: undefined });
    assert.deepEqual(parseShardRouting('8', ''), { ok: true, config: { shards: 8, topic: DEFAULT_SHARD_TOPIC } });
    assert.deepEqual(parseShardRouting(4, ' s/{shard}/{deviceId}/{sensor} '), { ok: true, config: { shards: 4, topic: 's/{shard}/{deviceId}/{sensor}' } });
    for (const [shards, topic, error] of [
      [-1, '', /whole number/],
      [1.5, '', /whole number/],
      [MAX_SHARDS + 1, '', /whole number/],
      ['x', '', /whole number/],
      [4, 'iot/{deviceId}', /must contain \{shard\}/],
      [4, 'iot/{shard}/{device}', /\{device\} is not a placeholder/],
      [4, 'iot/+/{shard}', /wildcard/],
      [4, 'iot/{shard}/#', /wildcard/],
    ] as Array<[unknown, string, RegExp]>) {
      const result = parseShardRouting(shards, topic);
      assert.ok(!result.ok && error.test(result.error), `${shards} ${topic}: ${JSON.stringify(result)}`);
    }
  });

  it('fills the template in one pass (an id holding {shard} stays itself) and groups readings by topic in order', () => {
    assert.equal(shardTopic('iot/shard/{shard}/{deviceId}/{sensor}', 3, 'x{shard}', 't'), 'iot/shard/3/x{shard}/t');
    const readings = ['kitchen', 'hall', 'kitchen', 'Küche'].map((deviceId, i) => ({ deviceId, sensor: 's', value: i }));
    const byDevice = routeByShard(readings, { shards: 16, topic: DEFAULT_SHARD_TOPIC });
    assert.deepEqual(
      byDevice.map((g) => [g.topic, g.shard, g.readings.map((r) => r.value)]),
      [
        ['iot/shard/15/kitchen', 15, [0, 2]],
        [`iot/shard/${shardOf('hall', 16)}/hall`, shardOf('hall', 16), [1]],
        ['iot/shard/1/Küche', 1, [3]],
      ],
    );
    const byShard = routeByShard(readings, { shards: 2, topic: 'w/{shard}' });
    assert.equal(byShard.reduce((n, g) => n + g.readings.length, 0), 4);
    for (const g of byShard) assert.ok(g.readings.every((r) => shardOf(r.deviceId, 2) === g.shard && g.topic === `w/${g.shard}`));
  });
});
