/**
 * Shard ownership by leases (docs/scale-out.md › "Leases"): each worker claims shards for a lease time, renews
 * them while it runs, and takes over a shard whose owner stopped renewing. The lease itself lives in a shared store
 * (Redis: src/redis/leases.ts) whose clock decides expiry; this coordinator only decides what to claim, renew and
 * give back, and — by its own injected clock — how long it may still act as owner when renewals fail.
 */
import type { Clock } from '../util/clock';
import { fnv1a32 } from './shard';

export interface Lease {
  shard: number;
  /** Fencing token: grows with every claim of the shard, so a store can refuse a stale owner's writes. */
  token: number;
}

/** What the coordinator needs of the shared store; every call is one atomic step there. */
export interface LeaseStore {
  /** Marks `owner` alive for `ttlMs`; resolves to how many workers are alive (itself included). */
  heartbeat(owner: string, ttlMs: number): Promise<number>;
  /** Takes the shard if nobody holds it; resolves to the new fencing token, or undefined when held. */
  claim(shard: number, owner: string, ttlMs: number): Promise<number | undefined>;
  /** Extends the lease if `owner` still holds it with `token`; false when it was lost. */
  renew(shard: number, owner: string, token: number, ttlMs: number): Promise<boolean>;
  /** Gives the shard back if `owner` still holds it with `token`. */
  release(shard: number, owner: string, token: number): Promise<void>;
  /** Removes `owner` from the alive workers. */
  leave(owner: string): Promise<void>;
}

export interface LeaseOptions {
  owner: string;
  /** Shards in all (the routers' `shards`). */
  shards: number;
  /** Lease time (ms): a dead owner's shards are free again after at most this long. */
  ttlMs: number;
  /** Most shards this worker holds (default: its fair share, ⌈shards / alive workers⌉). */
  maxOwned?: number;
  /**
   * Part of the lease time this worker stops trusting early (default 0.1): its clock and the store's may run at
   * slightly different rates, and a renewal's reply arrives after the store extended the lease.
   */
  driftFactor?: number;
}

export interface LeaseEvents {
  /** This worker now owns `lease.shard` (subscribe to it, load its state). */
  gained(lease: Lease): void;
  /** This worker no longer owns the shard (unsubscribe, stop writing its state). */
  lost(lease: Lease, reason: 'expired' | 'taken' | 'released' | 'rebalanced'): void;
}

interface Held extends Lease {
  /** Until when (this worker's clock) it may act as owner without a newer renewal. */
  validUntil: number;
}

export class ShardLeases {
  private readonly held = new Map<number, Held>();
  private readonly order: number[];

  constructor(
    private readonly store: LeaseStore,
    private readonly options: LeaseOptions,
    private readonly clock: Clock,
    private readonly events: LeaseEvents,
  ) {
    if (!Number.isInteger(options.shards) || options.shards < 1) throw new Error('shards must be a whole number above 0');
    if (!(options.ttlMs > 0)) throw new Error('ttlMs must be above 0');
    // Each worker tries the shards from its own starting point, so workers starting together rarely race for one.
    const start = fnv1a32(options.owner) % options.shards;
    this.order = Array.from({ length: options.shards }, (_, i) => (start + i) % options.shards);
  }

  /** True while this worker may act as the shard's owner (its lease surely not expired at the store). */
  owns(shard: number): boolean {
    const lease = this.held.get(shard);
    return lease !== undefined && this.clock.now() < lease.validUntil;
  }

  /** The lease this worker holds on `shard` now, with its fencing token. */
  lease(shard: number): Lease | undefined {
    return this.owns(shard) ? { shard, token: this.held.get(shard)!.token } : undefined;
  }

  /** The shards owned now, ascending. */
  owned(): number[] {
    return [...this.held.keys()].filter((s) => this.owns(s)).sort((a, b) => a - b);
  }

  private trust(): number {
    return this.options.ttlMs * (1 - (this.options.driftFactor ?? 0.1));
  }

  private drop(shard: number, reason: Parameters<LeaseEvents['lost']>[1]): void {
    const lease = this.held.get(shard);
    if (!lease) return;
    this.held.delete(shard);
    this.events.lost({ shard, token: lease.token }, reason);
  }

  /**
   * One round (call every ttlMs / 3 or so): announce this worker, renew what it holds (dropping what it lost),
   * give back shards above its share, claim free ones up to it.
   */
  async tick(): Promise<void> {
    const { owner, ttlMs, shards } = this.options;
    const started = this.clock.now();
    // Leases this worker can no longer vouch for are dropped first, whatever the store says later.
    for (const [shard, lease] of this.held) if (started >= lease.validUntil) this.drop(shard, 'expired');

    const alive = Math.max(1, await this.store.heartbeat(owner, ttlMs));
    const share = Math.min(shards, this.options.maxOwned ?? Math.ceil(shards / alive));

    for (const [shard, lease] of [...this.held]) {
      let renewed = false;
      try {
        renewed = await this.store.renew(shard, owner, lease.token, ttlMs);
      } catch {
        continue; // the store is unreachable: keep acting until validUntil, then 'expired' above
      }
      if (renewed) lease.validUntil = started + this.trust();
      else this.drop(shard, 'taken');
    }

    // Above its share (a worker joined): give back the last shards of its order, so the newcomer can claim them.
    const extra = [...this.held.keys()].sort((a, b) => this.order.indexOf(b) - this.order.indexOf(a)).slice(0, Math.max(0, this.held.size - share));
    for (const shard of extra) {
      const lease = this.held.get(shard)!;
      this.drop(shard, 'rebalanced');
      await this.store.release(shard, owner, lease.token).catch(() => undefined);
    }

    for (const shard of this.order) {
      if (this.held.size >= share) break;
      if (this.held.has(shard)) continue;
      const claimedAt = this.clock.now();
      const token = await this.store.claim(shard, owner, ttlMs);
      if (token === undefined) continue;
      this.held.set(shard, { shard, token, validUntil: claimedAt + this.trust() });
      this.events.gained({ shard, token });
    }
  }

  /** Gives every shard back and leaves (a clean stop: others take over at once, not after the lease time). */
  async stop(): Promise<void> {
    for (const [shard, lease] of [...this.held]) {
      this.drop(shard, 'released');
      await this.store.release(shard, this.options.owner, lease.token).catch(() => undefined);
    }
    await this.store.leave(this.options.owner).catch(() => undefined);
  }
}

