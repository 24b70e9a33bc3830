/**
 * A Node-RED context store backed by Redis (docs/scale-out.md › "The Redis context store"): several Node-RED
 * instances see one state, so a node's persisted state (`persist`) survives the instance that wrote it.
 *
 *   contextStorage: { redis: { module: require('@iot-ai/node-red-iot-ai/context/redis'),
 *                              config: { url: 'redis://127.0.0.1:6379', prefix: 'nodered' } } }
 *
 * Layout: one Redis hash per context scope, `<prefix>:<scope>` (scope is `global`, a flow id, or
 * `<nodeId>:<flowId>`), one field per top-level key, its value as JSON. Access is asynchronous only (pass a
 * callback), as Redis cannot answer synchronously; one `set` of several keys is one MULTI transaction.
 */
import * as os from 'node:os';
import type Redis from 'ioredis';
import { getAtPath, parseContextKey, setAtPath, type PathSegment } from '../core/scale/property-path';
import { closeRedis, connectRedis, type RedisConnectionConfig } from './connect';
import { parseShardClaim, ShardClaim, shardEnvironment, type ParsedShardClaim, type ShardClaimConfig } from './shard-claim';

export interface RedisContextConfig extends RedisConnectionConfig {
  /** Key prefix (default `nodered`): instances sharing state use the same one; unrelated flows another. */
  prefix?: string;
  /** Delete the state of nodes no longer deployed, as Node-RED asks on each deploy (default true). */
  clean?: boolean;
  /**
   * Run as a shard worker (docs/scale-out.md › "Workers and failover"): open() waits until this process holds
   * one of `count` shards by lease, then keys the state under `<prefix>:shard-<k>`, fences every write with the
   * lease's token and exports IOT_AI_SHARD, IOT_AI_SHARD_TOPIC and IOT_AI_SHARD_CLIENT for the flows.
   */
  shard?: ShardClaimConfig;
}

type Callback = (err?: Error | null, ...values: unknown[]) => void;

/** Names the global context reserves (the memory store hides them too). */
const GLOBAL_RESERVED = new Set(['set', 'get', 'keys']);

function asyncOnly(): never {
  throw new Error('the redis context store is asynchronous only: pass a callback to get, set and keys');
}

function parseValue(scope: string, field: string, text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`context value ${field} in scope ${scope} is not JSON`);
  }
}

/** HSET/HDEL of a scope's fields only while ARGV[1] is still the shard's latest fencing token (KEYS[1]). */
const FENCED_WRITE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('FENCED: this worker no longer owns the shard') end
for i = 2, #ARGV, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[2], ARGV[i]) else redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
end
return 1`;

export class RedisContextStore {
  private client: Redis | undefined;
  private prefix: string;
  private readonly shardConfig: ParsedShardClaim | undefined;
  private claim: ShardClaim | undefined;

  constructor(private readonly config: RedisContextConfig = {}) {
    const prefix = config.prefix ?? 'nodered';
    if (typeof prefix !== 'string' || prefix === '' || /[*?[\]\\]/.test(prefix)) throw new Error('redis context store: prefix must be a non-empty string without * ? [ ] \\');
    this.prefix = prefix;
    if (config.shard !== undefined) {
      this.shardConfig = parseShardClaim(config.shard, `${os.hostname()}:${process.pid}`);
    }
  }

  /** The shard this store's process owns (shard workers only), with its fencing token. */
  get shard(): { shard: number; token: number } | undefined {
    return this.claim?.lease;
  }

  private hash(scope: string): string {
    return `${this.prefix}:${scope}`;
  }

  private get redis(): Redis {
    if (!this.client) throw new Error('the redis context store is not open');
    return this.client;
  }

  async open(): Promise<void> {
    this.client = await connectRedis(this.config);
    const shard = this.shardConfig;
    if (!shard) return;
    // Node-RED starts the flows only once every store is open: a standby waits here until a shard is free.
    this.claim = new ShardClaim(this.client, shard, (lease, reason) => {
      console.error(`[iot-ai redis] shard ${lease.shard} lost (${reason}): stopping this process so it cannot act on a shard another worker owns`);
      setTimeout(() => process.exit(75), 100).unref();
    });
    const lease = await this.claim.claim(() => console.log(`[iot-ai redis] every one of the ${shard.count} shards is owned: waiting as a standby for one to be free`));
    this.prefix = `${this.prefix}:shard-${lease.shard}`;
    Object.assign(process.env, shardEnvironment(shard, lease.shard));
    console.log(`[iot-ai redis] owns shard ${lease.shard} of ${shard.count} (fencing token ${lease.token}) as ${shard.owner}`);
  }

  async close(): Promise<void> {
    const client = this.client;
    await this.claim?.release().catch(() => undefined);
    this.claim = undefined;
    this.client = undefined;
    if (client) await closeRedis(client);
  }

  get(scope: string, key: string | string[], callback?: Callback): void {
    if (typeof callback !== 'function') asyncOnly();
    const keys = Array.isArray(key) ? key : [key];
    let paths: PathSegment[][];
    try {
      paths = keys.map(parseContextKey);
    } catch (err) {
      return callback(err as Error);
    }
    const fields = paths.map((path) => path[0] as string);
    this.redis.hmget(this.hash(scope), ...fields).then(
      (texts) => {
        let values: unknown[];
        try {
          values = paths.map((path, i) => getAtPath(parseValue(scope, fields[i], texts[i]), path.slice(1)));
        } catch (err) {
          return callback(err as Error);
        }
        callback(null, ...values);
      },
      (err: Error) => callback(err),
    );
  }

  set(scope: string, key: string | string[], value: unknown, callback?: Callback): void {
    if (typeof callback !== 'function') asyncOnly();
    const keys = Array.isArray(key) ? key : [key];
    // As Node-RED's stores: several keys with one value that is not an array set the first key to it.
    const values: unknown[] = Array.isArray(key) ? (Array.isArray(value) ? value : [value]) : [value];
    this.write(scope, keys, values).then(
      () => callback(null),
      (err: Error) => callback(err),
    );
  }

  private async write(scope: string, keys: string[], values: unknown[]): Promise<void> {
    const paths = keys.map(parseContextKey);
    const hash = this.hash(scope);
    // A nested key (`a.b`) changes part of a field's value: read the fields concerned first.
    const nested = [...new Set(paths.filter((p) => p.length > 1).map((p) => p[0] as string))];
    const fieldValues = new Map<string, unknown>();
    if (nested.length > 0) {
      const texts = await this.redis.hmget(hash, ...nested);
      nested.forEach((field, i) => fieldValues.set(field, parseValue(scope, field, texts[i])));
    }
    paths.forEach((path, i) => {
      const field = path[0] as string;
      const v = i < values.length ? values[i] : null;
      fieldValues.set(field, setAtPath(fieldValues.get(field), path.slice(1), v));
    });
    if (this.claim) {
      // A shard worker writes only while its lease's token is the shard's latest, checked by Redis in the write.
      const lease = this.claim.lease;
      if (!lease) throw new Error('this worker no longer owns its shard: state not written');
      const args: string[] = [String(lease.token)];
      for (const [field, v] of fieldValues) args.push(field, v === undefined ? '' : JSON.stringify(v));
      await this.redis.eval(FENCED_WRITE, 2, `${this.shardConfig!.leasePrefix}:fence:${lease.shard}`, hash, ...args);
      return;
    }
    const multi = this.redis.multi();
    for (const [field, v] of fieldValues) {
      if (v === undefined) multi.hdel(hash, field);
      else multi.hset(hash, field, JSON.stringify(v));
    }
    const results = await multi.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
  }

  keys(scope: string, callback?: Callback): void {
    if (typeof callback !== 'function') asyncOnly();
    this.redis.hkeys(this.hash(scope)).then(
      (names) => callback(null, scope === 'global' ? names.filter((n) => !GLOBAL_RESERVED.has(n)) : names),
      (err: Error) => callback(err),
    );
  }

  async delete(scope: string): Promise<void> {
    await this.redis.del(this.hash(scope));
  }

  /** Deletes the scopes of nodes (and flows) not in `activeNodes`, as the memory store does; global stays. */
  async clean(activeNodes: string[]): Promise<void> {
    if (this.config.clean === false) return;
    const active = new Set(activeNodes);
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}:*`, 'COUNT', 500);
      cursor = next;
      const stale = found.filter((hash) => {
        const scope = hash.slice(this.prefix.length + 1);
        return scope !== 'global' && !active.has(scope.split(':')[0]);
      });
      if (stale.length > 0) await this.redis.del(...stale);
    } while (cursor !== '0');
  }
}

/** The module Node-RED's `contextStorage` takes: a factory of stores. */
export function redisContextStore(config: RedisContextConfig): RedisContextStore {
  return new RedisContextStore(config);
}
// Node-RED logs a store's module by its toString(): "module=iot-ai redis".
redisContextStore.toString = () => 'iot-ai redis';
