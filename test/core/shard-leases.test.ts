import { strict as assert } from 'node:assert';
import { ShardLeases, type LeaseStore } from '../../src/core/scale/leases';

/** A store that grants every claim and can be cut off (renewals then fail as if Redis were unreachable). */
function stubStore(alive = 1) {
  const state = { reachable: true, alive, token: 0, released: [] as number[] };
  const store: LeaseStore = {
    heartbeat: async () => {
      if (!state.reachable) throw new Error('unreachable');
      return state.alive;
    },
    claim: async () => ++state.token,
    renew: async () => {
      if (!state.reachable) throw new Error('unreachable');
      return true;
    },
    release: async (shard) => void state.released.push(shard),
    leave: async () => undefined,
  };
  return { store, state };
}

describe('shard lease coordinator (core/scale/leases.ts, injected clock)', () => {
  it('stops acting as owner by its own clock when renewals fail: 0.9 × lease time after the last good one', async () => {
    let now = 1_000_000;
    const clock = { now: () => now };
    const { store, state } = stubStore();
    const lost: string[] = [];
    const leases = new ShardLeases(store, { owner: 'w', shards: 2, ttlMs: 1000 }, clock, { gained: () => undefined, lost: (l, why) => lost.push(`${l.shard}:${why}`) });
    await leases.tick();
    assert.deepEqual(leases.owned(), [0, 1]);
    now += 300;
    await leases.tick(); // renewed at now
    const renewedAt = now;
    state.reachable = false;
    now += 300;
    await assert.rejects(leases.tick(), /unreachable/);
    now = renewedAt + 899;
    assert.deepEqual(leases.owned(), [0, 1], 'still inside the trusted part of the lease');
    now = renewedAt + 900;
    assert.deepEqual(leases.owned(), [], 'no longer trusted, before the store could have let another worker in');
    assert.equal(leases.lease(0), undefined);
    await assert.rejects(leases.tick());
    assert.deepEqual(lost.sort(), ['0:expired', '1:expired']);
  });

  it('claims its fair share, ⌈shards / alive workers⌉, and gives back the rest when more workers are alive', async () => {
    const clock = { now: () => 0 };
    const { store, state } = stubStore(1);
    const leases = new ShardLeases(store, { owner: 'w', shards: 7, ttlMs: 1000 }, clock, { gained: () => undefined, lost: () => undefined });
    await leases.tick();
    assert.equal(leases.owned().length, 7);
    state.alive = 3;
    await leases.tick();
    assert.equal(leases.owned().length, 3);
    assert.equal(state.released.length, 4);
    const capped = new ShardLeases(store, { owner: 'v', shards: 7, ttlMs: 1000, maxOwned: 2 }, clock, { gained: () => undefined, lost: () => undefined });
    await capped.tick();
    assert.equal(capped.owned().length, 2);
  });
});
