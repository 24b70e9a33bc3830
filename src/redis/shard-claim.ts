/**
 * A worker process's claim on one shard, taken by the Redis context store before Node-RED starts its flows
 * (docs/scale-out.md › "Workers and failover"). The shard is the unit that moves on failover: its context prefix
 * (every persisted node's state), its MQTT session (a fixed client id, clean session off, so the broker queues the
 * shard's readings while nobody holds it) and its topic. A process started while every shard is held waits in
 * `claim()` — a standby — until one is free (its owner died and the lease expired).
 *
 * Rounds run every lease time / 3 with core/scale/leases.ts (at most one shard per process). Losing the shard
 * (Redis unreachable past 0.9 × the lease time, or a pause so long that another process took it) calls `onLost`:
 * the store's default ends the process, so it stops acting on a shard someone else now owns.
 */
import type Redis from 'ioredis';
import { ShardLeases, type Lease } from '../core/scale/leases';
import { createClock } from '../core/util/clock';
import { RedisLeaseStore } from './leases';

export interface ShardClaimConfig {
  /** How many shards (the routers' `shards`): one worker process owns one. */
  count: number;
  /** Lease time in ms (default 5000): a dead worker's shard is free again after at most this long. */
  leaseMs?: number;
  /** Redis key prefix of the leases (default `iot-ai:shards`). */
  leasePrefix?: string;
  /** Name of this worker in the leases (default `<hostname>:<pid>`). */
  owner?: string;
  /** Template of the MQTT topic filter of the shard, exported as IOT_AI_SHARD_TOPIC (default `iot/shard/{shard}/#`). */
  topic?: string;
  /** Template of the MQTT client id of the shard, exported as IOT_AI_SHARD_CLIENT (default `iot-ai-shard-{shard}`). */
  clientId?: string;
}

export interface ParsedShardClaim {
  count: number;
  leaseMs: number;
  leasePrefix: string;
  owner: string;
  topic: string;
  clientId: string;
}

export function parseShardClaim(config: ShardClaimConfig, defaultOwner: string): ParsedShardClaim {
  const count = Number(config.count);
  if (!Number.isInteger(count) || count < 1 || count > 1024) throw new Error('redis context store: shard.count must be a whole number from 1 to 1024');
  const leaseMs = Number(config.leaseMs ?? 5000);
  if (!Number.isFinite(leaseMs) || leaseMs < 300 || leaseMs > 600_000) throw new Error('redis context store: shard.leaseMs must be from 300 to 600000');
  const text = (name: string, value: unknown, fallback: string) => {
    const v = value ?? fallback;
    if (typeof v !== 'string' || v === '' || v.length > 200) throw new Error(`redis context store: shard.${name} must be a non-empty string`);
    return v;
  };
  const topic = text('topic', config.topic, 'iot/shard/{shard}/#');
  const clientId = text('clientId', config.clientId, 'iot-ai-shard-{shard}');
  if (!topic.includes('{shard}') || !clientId.includes('{shard}')) throw new Error('redis context store: shard.topic and shard.clientId must contain {shard}');
  return { count, leaseMs, leasePrefix: text('leasePrefix', config.leasePrefix, 'iot-ai:shards'), owner: text('owner', config.owner, defaultOwner), topic, clientId };
}

/** What the flows read through `${...}` in node properties (a whole property value, e.g. an mqtt in's topic). */
export function shardEnvironment(claim: ParsedShardClaim, shard: number): Record<string, string> {
  const fill = (template: string) => template.split('{shard}').join(String(shard));
  return { IOT_AI_SHARD: String(shard), IOT_AI_SHARD_COUNT: String(claim.count), IOT_AI_SHARD_TOPIC: fill(claim.topic), IOT_AI_SHARD_CLIENT: fill(claim.clientId) };
}

export class ShardClaim {
  private readonly leases: ShardLeases;
  readonly store: RedisLeaseStore;
  private timer: NodeJS.Timeout | undefined;
  private current: Lease | undefined;
  private stopped = false;

  constructor(
    redis: Redis,
    private readonly config: ParsedShardClaim,
    private readonly onLost: (lease: Lease, reason: string) => void,
  ) {
    this.store = new RedisLeaseStore(redis, config.leasePrefix);
    this.leases = new ShardLeases(this.store, { owner: config.owner, shards: config.count, ttlMs: config.leaseMs, maxOwned: 1 }, createClock(), {
      gained: (lease) => (this.current = lease),
      lost: (lease, reason) => {
        this.current = undefined;
        if (!this.stopped) this.onLost(lease, reason);
      },
    });
  }

  /** The shard held now with its fencing token (undefined once it is lost). */
  get lease(): Lease | undefined {
    return this.current && this.leases.owns(this.current.shard) ? this.current : undefined;
  }

  /** Waits until this process holds a shard (a standby waits here), then keeps renewing it. */
  async claim(onWait?: () => void): Promise<Lease> {
    const every = Math.max(100, Math.floor(this.config.leaseMs / 3));
    let waited = false;
    for (;;) {
      if (this.stopped) throw new Error('stopped before a shard was free');
      await this.leases.tick();
      if (this.current) break;
      if (!waited) onWait?.();
      waited = true;
      await new Promise((r) => setTimeout(r, every));
    }
    let busy = false;
    this.timer = setInterval(() => {
      if (busy) return;
      busy = true;
      this.leases
        .tick()
        .catch(() => undefined) // unreachable Redis: the lease is dropped by this worker's own clock at 0.9 × lease time
        .finally(() => (busy = false));
    }, every);
    return this.current!;
  }

  /** Gives the shard back at once (a clean stop: a standby takes over without waiting for the lease time). */
  async release(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.leases.stop();
  }
}
