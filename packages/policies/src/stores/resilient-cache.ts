/**
 * The Redis response cache with a memory stand-in: while Redis is unreachable or slow, entries are
 * read from and written to this gateway's LRU, so caching keeps working locally. Cache calls never
 * throw: a failed read is a miss, a failed write is skipped.
 */
import type { CachedResponse, ResponseCacheStore } from '../sdk/cache-store.js';
import { MemoryResponseCacheStore } from './memory-cache.js';
import { OutageGuards } from './outage-guard.js';
import type { RedisResponseCacheStore } from './redis-cache.js';
import { firstConnectPending, type ResilientOptions } from './resilient-counters.js';

export class ResilientResponseCacheStore implements ResponseCacheStore {
  readonly kind = 'redis' as const;
  private readonly fallback: MemoryResponseCacheStore;
  private readonly guards: OutageGuards;

  constructor(
    private readonly redis: RedisResponseCacheStore,
    options: ResilientOptions & { memoryBytes?: number },
  ) {
    this.fallback = new MemoryResponseCacheStore(options.memoryBytes);
    this.guards = new OutageGuards(redis.client, {
      ...options,
      store: 'responseCache',
      connecting: firstConnectPending(redis.client),
    });
    redis.client.on('ready', () => this.guards.probeNow());
  }

  get degraded(): boolean {
    return this.guards.isDown;
  }

  async get(key: string): Promise<CachedResponse | undefined> {
    return this.safely(
      key,
      () => this.redis.get(key),
      () => this.fallback.get(key),
      undefined,
    );
  }

  async set(key: string, value: CachedResponse): Promise<void> {
    await this.safely(
      key,
      () => this.redis.set(key, value),
      () => this.fallback.set(key, value),
      undefined,
    );
  }

  async delete(key: string): Promise<void> {
    // Deleted in both places: an entry written locally during an outage must not outlive a purge.
    await this.fallback.delete(key);
    await this.safely(
      key,
      () => this.redis.delete(key),
      () => undefined,
      undefined,
    );
  }

  async close(): Promise<void> {
    await Promise.all([this.redis.close(), this.fallback.close()]);
  }

  private async safely<T>(
    key: string,
    primary: () => Promise<T>,
    fallback: () => T | Promise<T>,
    otherwise: T,
  ): Promise<T> {
    try {
      return (await this.guards.for(this.redis.redisKey(key)).run(primary, fallback)).value;
    } catch {
      return otherwise;
    }
  }
}
