/**
 * Shard leases in Redis (docs/scale-out.md › "Leases"), the store of core/scale/leases.ts:
 *   <prefix>:lease:<shard>   "<owner>|<token>", set with SET NX PX (expiry by Redis' clock)
 *   <prefix>:fence:<shard>   the shard's fencing token, INCR on every claim
 *   <prefix>:member:<owner>  a worker's heartbeat, with the lease time as expiry
 * Renew and release are compare-and-set Lua scripts: only the holder of that very lease extends or deletes it.
 * Standalone Redis (or Sentinel): the scripts touch two keys, which Redis Cluster would need in one slot.
 */
import type Redis from 'ioredis';
import type { LeaseStore } from '../core/scale/leases';

const CLAIM = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. token, 'XX', 'KEEPTTL')
return token`;
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
/** Writes KEYS[2] only while ARGV[1] is still the shard's latest fencing token (KEYS[1]). */
const FENCED_SET = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
return 1`;

export class RedisLeaseStore implements LeaseStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'iot-ai:shards',
  ) {}

  private key(kind: 'lease' | 'fence', shard: number): string {
    return `${this.prefix}:${kind}:${shard}`;
  }

  async heartbeat(owner: string, ttlMs: number): Promise<number> {
    await this.redis.set(`${this.prefix}:member:${owner}`, '1', 'PX', ttlMs);
    let alive = 0;
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}:member:*`, 'COUNT', 200);
      cursor = next;
      alive += found.length;
    } while (cursor !== '0');
    return alive;
  }

  async claim(shard: number, owner: string, ttlMs: number): Promise<number | undefined> {
    const token = await this.redis.eval(CLAIM, 2, this.key('lease', shard), this.key('fence', shard), owner, ttlMs);
    return token === null ? undefined : Number(token);
  }

  async renew(shard: number, owner: string, token: number, ttlMs: number): Promise<boolean> {
    return Number(await this.redis.eval(RENEW, 1, this.key('lease', shard), `${owner}|${token}`, ttlMs)) === 1;
  }

  async release(shard: number, owner: string, token: number): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key('lease', shard), `${owner}|${token}`);
  }

  async leave(owner: string): Promise<void> {
    await this.redis.del(`${this.prefix}:member:${owner}`);
  }

  /** Who holds the shard now and with which token (undefined: free). */
  async holder(shard: number): Promise<{ owner: string; token: number } | undefined> {
    const value = await this.redis.get(this.key('lease', shard));
    if (value === null) return undefined;
    const bar = value.lastIndexOf('|');
    return { owner: value.slice(0, bar), token: Number(value.slice(bar + 1)) };
  }

  /** Sets `key` only if `token` is still the shard's latest fencing token: a stale owner's write is refused. */
  async fencedSet(shard: number, token: number, key: string, value: string): Promise<boolean> {
    return Number(await this.redis.eval(FENCED_SET, 2, this.key('fence', shard), key, String(token), value)) === 1;
  }
}
