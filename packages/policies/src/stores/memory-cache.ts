/** Response cache in process memory: an LRU bounded by bytes, entries dropped once expired. */
import { LruCache } from '@gatehouse/core';
import type { CachedResponse, ResponseCacheStore } from '../sdk/cache-store.js';

/** Approximate memory held by an entry: body, headers and bookkeeping. */
export function entryWeight(value: CachedResponse): number {
  let headerBytes = 0;
  for (const [name, v] of Object.entries(value.headers)) {
    headerBytes += name.length + (Array.isArray(v) ? v.reduce((n, s) => n + s.length, 0) : v.length);
  }
  return value.body.length + headerBytes + 128;
}

export class MemoryResponseCacheStore implements ResponseCacheStore {
  readonly kind = 'memory' as const;
  private readonly lru: LruCache<string, CachedResponse>;

  constructor(
    maxBytes = 64 * 1024 * 1024,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.lru = new LruCache<string, CachedResponse>(maxBytes, entryWeight);
  }

  /** Bytes currently held. */
  get bytes(): number {
    return this.lru.totalWeight;
  }

  async get(key: string): Promise<CachedResponse | undefined> {
    const value = this.lru.get(key);
    if (value === undefined) return undefined;
    if (value.expiresAt <= this.now()) {
      this.lru.delete(key);
      return undefined;
    }
    return value;
  }

  async set(key: string, value: CachedResponse): Promise<void> {
    if (value.expiresAt <= this.now()) return;
    this.lru.set(key, value);
  }

  async delete(key: string): Promise<void> {
    this.lru.delete(key);
  }

  async close(): Promise<void> {
    this.lru.clear();
  }
}
