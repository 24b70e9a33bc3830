/**
 * Shard leases in a real redis-server (src/redis/leases.ts with core/scale/leases.ts): exactly one winner when
 * workers race for a shard, takeover within the lease time when an owner stops renewing, a stale owner's writes
 * refused by the fencing token, and shares rebalanced when workers come and go.
 */
import { strict as assert } from 'node:assert';
import { startRedis, type RedisServer } from '../helpers/redis';
import { RedisLeaseStore } from '../../src/redis/leases';
import { ShardLeases, type Lease } from '../../src/core/scale/leases';
import { createClock } from '../../src/core/util/clock';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('shard leases in Redis', function () {
  let redis: RedisServer;
  const running: Array<{ halt(): void }> = [];
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis.close());
  afterEach(async () => {
    running.splice(0).forEach((w) => w.halt());
    await redis.client.flushall();
  });

  /** A worker ticking every `everyMs`, recording what it gained and lost with the time. */
  function worker(owner: string, shards: number, ttlMs: number, everyMs: number) {
    const store = new RedisLeaseStore(redis.client, 'test');
    const log: Array<{ at: number; event: 'gained' | 'lost'; lease: Lease; reason?: string }> = [];
    const leases = new ShardLeases(store, { owner, shards, ttlMs }, createClock(), {
      gained: (lease) => log.push({ at: Date.now(), event: 'gained', lease }),
      lost: (lease, reason) => log.push({ at: Date.now(), event: 'lost', lease, reason }),
    });
    let timer: NodeJS.Timeout | undefined;
    let busy = false;
    const w = {
      store,
      leases,
      log,
      lastTick: 0,
      start() {
        const tick = () => {
          if (busy) return;
          busy = true;
          w.lastTick = Date.now();
          leases.tick().finally(() => (busy = false));
        };
        tick();
        timer = setInterval(tick, everyMs);
        return w;
      },
      /** Stops ticking without giving anything back: a hung or killed process. */
      halt() {
        if (timer) clearInterval(timer);
        timer = undefined;
      },
    };
    running.push(w);
    return w;
  }

  it('workers racing for one shard: exactly one wins each time, with a fencing token that only grows', async () => {
    const store = new RedisLeaseStore(redis.client, 'race');
    let lastToken = 0;
    for (let round = 0; round < 20; round++) {
      const tokens = await Promise.all(Array.from({ length: 8 }, (_, i) => store.claim(0, `w${i}`, 5000)));
      const winners = tokens.filter((t) => t !== undefined) as number[];
      assert.equal(winners.length, 1, `round ${round}: ${JSON.stringify(tokens)}`);
      assert.ok(winners[0] > lastToken);
      lastToken = winners[0];
      const holder = await store.holder(0);
      assert.equal(holder?.token, winners[0]);
      await store.release(0, holder!.owner, holder!.token);
    }
    // Two coordinators started together for one shard: one owns it, the other stands by.
    const a = worker('a', 1, 2000, 100);
    const b = worker('b', 1, 2000, 100);
    await Promise.all([a.leases.tick(), b.leases.tick()]);
    assert.deepEqual([a.leases.owned(), b.leases.owned()].map((o) => o.length).sort(), [0, 1]);
  });

  it('renew and release act only for the lease\'s own holder and token', async () => {
    const store = new RedisLeaseStore(redis.client, 'cas');
    const token = (await store.claim(3, 'a', 5000))!;
    assert.equal(await store.renew(3, 'b', token, 5000), false, 'another owner');
    assert.equal(await store.renew(3, 'a', token - 1, 5000), false, 'an older lease of the same owner');
    await store.release(3, 'b', token);
    assert.deepEqual(await store.holder(3), { owner: 'a', token });
    assert.equal(await store.renew(3, 'a', token, 5000), true);
    assert.ok((await redis.client.pttl('cas:lease:3')) > 4000);
    await store.release(3, 'a', token);
    assert.equal(await store.holder(3), undefined);
  });

  it('an owner that stops renewing: the other worker owns its shard again within the lease time; the old token is refused', async () => {
    const ttl = 1000;
    const every = 200;
    const a = worker('a', 2, ttl, every).start();
    await sleep(300);
    assert.deepEqual(a.leases.owned(), [0, 1], 'alone, a holds both shards');
    const b = worker('b', 2, ttl, every).start();
    await sleep(600);
    assert.deepEqual([a.leases.owned().length, b.leases.owned().length], [1, 1], 'a saw b join and gave one shard back to it');

    const taken = a.leases.owned();
    const tokens = new Map(taken.map((s) => [s, a.leases.lease(s)!.token]));
    a.halt();
    const haltedAt = a.lastTick; // the last renewal a started
    const deadline = Date.now() + 3 * ttl;
    while (b.leases.owned().length < 2 && Date.now() < deadline) await sleep(20);
    assert.deepEqual(b.leases.owned(), [0, 1], 'b took over a\'s shard');
    for (const shard of taken) {
      const gained = b.log.find((e) => e.event === 'gained' && e.lease.shard === shard)!;
      const delay = gained.at - haltedAt;
      assert.ok(delay <= ttl + every + 150, `shard ${shard} owned again ${delay} ms after a's last renewal (lease ${ttl} ms, tick ${every} ms)`);
      assert.ok(gained.lease.token > tokens.get(shard)!, 'a new fencing token');
      assert.equal(a.leases.owns(shard), false, 'a no longer trusts its lease by its own clock');
      assert.equal(await a.store.fencedSet(shard, tokens.get(shard)!, `state:${shard}`, 'from a'), false, 'a stale write is refused');
      assert.equal(await b.store.fencedSet(shard, gained.lease.token, `state:${shard}`, 'from b'), true);
      assert.equal(await redis.client.get(`state:${shard}`), 'from b');
    }
  });

  it('three workers share six shards two each, never one shard twice; when one stops cleanly the others take its two at once', async () => {
    const ttl = 3000;
    const workers = ['a', 'b', 'c'].map((o) => worker(o, 6, ttl, 150).start());
    const deadline = Date.now() + 5000;
    while (workers.some((w) => w.leases.owned().length !== 2) && Date.now() < deadline) {
      const all = workers.flatMap((w) => w.leases.owned());
      assert.equal(new Set(all).size, all.length, `a shard owned twice: ${workers.map((w) => w.leases.owned().join(',')).join(' | ')}`);
      await sleep(30);
    }
    assert.deepEqual(workers.map((w) => w.leases.owned().length), [2, 2, 2]);
    assert.deepEqual(workers.flatMap((w) => w.leases.owned()).sort(), [0, 1, 2, 3, 4, 5]);

    const [a, b, c] = workers;
    a.halt();
    const stoppedAt = Date.now();
    await a.leases.stop();
    while ((b.leases.owned().length < 3 || c.leases.owned().length < 3) && Date.now() - stoppedAt < ttl) await sleep(20);
    assert.deepEqual([b.leases.owned().length, c.leases.owned().length], [3, 3], 'the survivors hold three each');
    assert.ok(Date.now() - stoppedAt < ttl / 2, `a clean stop hands over at once, not after the lease time (${Date.now() - stoppedAt} ms)`);
    assert.deepEqual([...b.leases.owned(), ...c.leases.owned()].sort(), [0, 1, 2, 3, 4, 5]);
  });
});
