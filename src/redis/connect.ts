/** One way to open a Redis connection for the palette's Redis pieces (the context store, shard leases). */
import Redis, { type RedisOptions } from 'ioredis';

export interface RedisConnectionConfig {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` (TLS); default `redis://127.0.0.1:6379`. */
  url?: string;
  /** How long opening may take before it fails (ms, default 10000). */
  connectTimeout?: number;
  /** Further ioredis options (e.g. `tls`), passed through. */
  options?: RedisOptions;
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** The URL with any password masked, for logs and errors. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/** A connected client: resolves once Redis answers, rejects (and gives up reconnecting) after `connectTimeout`. */
export async function connectRedis(config: RedisConnectionConfig = {}): Promise<Redis> {
  const url = config.url || DEFAULT_REDIS_URL;
  const timeout = Number(config.connectTimeout ?? 10000);
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3, ...config.options });
  // An error is reported to whoever awaits a command; without a listener ioredis would also print it unasked.
  client.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), timeout);
      }),
    ]);
    return client;
  } catch (err) {
    client.disconnect();
    throw new Error(`could not connect to Redis at ${redactUrl(url)}: ${(err as Error).message}`);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Closes politely (pending replies first), or drops the connection when Redis does not answer. */
export async function closeRedis(client: Redis): Promise<void> {
  try {
    await Promise.race([client.quit(), new Promise((_, reject) => setTimeout(() => reject(new Error('quit timed out')), 2000).unref())]);
  } catch {
    client.disconnect();
  }
}
