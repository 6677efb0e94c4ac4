/**
 * Bounded LRU map. Map keeps insertion order, so re-inserting on read makes the first key the
 * least recently used one. `weigh` lets callers bound by bytes instead of entries.
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>();
  private weight = 0;
  /** The key last set or moved to the end (the most recently used one). */
  private newest: K | undefined = undefined;

  constructor(
    private readonly maxWeight: number,
    private readonly weigh: (value: V) => number = () => 1,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get totalWeight(): number {
    return this.weight;
  }

  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value === undefined) return undefined;
    // Already the most recent: moving it again would only churn the map's table (a hot key is the common case).
    if (key === this.newest) return value;
    this.map.delete(key);
    this.map.set(key, value);
    this.newest = key;
    return value;
  }

  peek(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    const previous = this.map.get(key);
    if (previous !== undefined) {
      this.weight -= this.weigh(previous);
      this.map.delete(key);
    }
    const w = this.weigh(value);
    if (w > this.maxWeight) return;
    this.map.set(key, value);
    this.newest = key;
    this.weight += w;
    while (this.weight > this.maxWeight) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
  }

  delete(key: K): boolean {
    const value = this.map.get(key);
    if (value === undefined) return false;
    this.weight -= this.weigh(value);
    if (key === this.newest) this.newest = undefined;
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
    this.weight = 0;
    this.newest = undefined;
  }
}
