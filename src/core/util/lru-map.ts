import { RecencyLink, RecencyList } from './recency';

class Entry<K, V> {
  readonly link = new RecencyLink<Entry<K, V>>(this);

  constructor(
    readonly key: K,
    public value: V,
  ) {}
}

/**
 * A Map of at most `maxSize` keys that forgets the least recently used one beyond it: the one bound-and-evict rule
 * for keyed state (per device, per stream, per reply token). `get`, `set` and `getOrCreate` make a key the most
 * recent; `peek` reads without. Iteration is least recently used first.
 */
export class LruMap<K, V> {
  private readonly map = new Map<K, Entry<K, V>>();
  private readonly recency = new RecencyList<Entry<K, V>>();

  /** `evicted` hears of each key forgotten to stay within maxSize (not of `delete` or `clear`). */
  constructor(
    readonly maxSize: number,
    private readonly evicted?: (key: K, value: V) => void,
  ) {
    if (!(Number.isInteger(maxSize) && maxSize >= 1)) throw new RangeError(`maxSize must be an integer >= 1, got ${maxSize}`);
  }

  get size(): number {
    return this.map.size;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** The value of `key` without making it recent. */
  peek(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  /** The value of `key`, made the most recent. */
  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    this.recency.touch(entry.link);
    return entry.value;
  }

  /** Sets `key` as the most recent; the least recent goes beyond maxSize. */
  set(key: K, value: V): this {
    const entry = this.map.get(key);
    if (entry !== undefined) {
      entry.value = value;
      this.recency.touch(entry.link);
    } else this.add(key, value);
    return this;
  }

  /** The value of `key` made the most recent, or `create(key)` added as the most recent (the least recent goes beyond maxSize). */
  getOrCreate(key: K, create: (key: K) => V): V {
    const entry = this.map.get(key);
    if (entry !== undefined) {
      this.recency.touch(entry.link);
      return entry.value;
    }
    const value = create(key);
    this.add(key, value);
    return value;
  }

  delete(key: K): boolean {
    const entry = this.map.get(key);
    if (entry === undefined) return false;
    this.recency.remove(entry.link);
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
    this.recency.clear();
  }

  /** Keys, least recently used first. */
  *keys(): IterableIterator<K> {
    for (const entry of this.recency) yield entry.key;
  }

  /** Values, least recently used first. */
  *values(): IterableIterator<V> {
    for (const entry of this.recency) yield entry.value;
  }

  *[Symbol.iterator](): IterableIterator<[K, V]> {
    for (const entry of this.recency) yield [entry.key, entry.value];
  }

  private add(key: K, value: V): void {
    if (this.map.size >= this.maxSize) {
      const oldest = this.recency.oldest()!;
      this.recency.remove(oldest.link);
      this.map.delete(oldest.key);
      this.evicted?.(oldest.key, oldest.value);
    }
    const entry = new Entry(key, value);
    this.map.set(key, entry);
    this.recency.touch(entry.link);
  }
}
