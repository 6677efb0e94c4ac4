/**
 * The counter and response cache stores a gateway hands to its policies: in memory for a single
 * gateway, or in Redis (shared by every gateway, with a memory fallback) when a Redis URL is given.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@gatehouse/core';
import { Cluster } from 'ioredis';
import type { ResponseCacheStore } from '../sdk/cache-store.js';
import type { CounterStore } from '../sdk/counters/types.js';
import { MemoryResponseCacheStore } from './memory-cache.js';
import { MemoryCounterStore } from './memory-counters.js';
import { RedisResponseCacheStore } from './redis-cache.js';
import { createFailFastClient, type RedisClient } from './redis-client.js';
import { RedisCounterStore } from './redis-counters.js';
import { describeRedisTarget, parseRedisUrl } from './redis-url.js';
import { ResilientResponseCacheStore } from './resilient-cache.js';
import { ResilientCounterStore } from './resilient-counters.js';

export { MemoryResponseCacheStore } from './memory-cache.js';
export { MemoryCounterStore, type MemoryCounterStoreOptions } from './memory-counters.js';
export { LocalNodeLimits } from './node-limits.js';
export { decodeCachedResponse, encodeCachedResponse, RedisResponseCacheStore } from './redis-cache.js';
export { createFailFastClient, describeRedisUrl, type RedisClient } from './redis-client.js';
export { counterKey, RedisCounterStore } from './redis-counters.js';
export { describeRedisTarget, type HostPort, parseRedisUrl, type RedisTarget } from './redis-url.js';
export { ResilientResponseCacheStore } from './resilient-cache.js';
export { ResilientCounterStore } from './resilient-counters.js';
export { type FallbackLimits, SharedCounterStore, SharedNodeLimits } from './shared-counters.js';
export { SlotLines } from './shared-slot-lines.js';
export { type LocalLine, SharedSlots, type SharedSlotsOptions, type SlotTicket } from './shared-slots.js';
export { MAX_KEY_LENGTH, SharedTable, type SharedTableOptions } from './shared-table.js';

export interface StoresOptions {
  /**
   * Redis URL: `redis://[:password@]host:port[/db]`, `redis+cluster://host:port,...` or
   * `redis+sentinel://host:port,.../master[/db]` (`rediss` for TLS); memory stores when absent.
   */
  redisUrl?: string;
  logger: Logger;
  /** Called for each operation served by the memory fallback while Redis is down. */
  onFallback?: (store: 'counters' | 'responseCache') => void;
  /** Byte budget of the in-memory response cache (also the fallback cache). Default 64 MiB. */
  memoryCacheBytes?: number;
  /** Prefix of every Redis key. Default `gatehouse:`. */
  keyPrefix?: string;
  /** Redis counter commands slower than this fall back to memory. Default 100 ms. */
  commandTimeoutMs?: number;
}

export interface Stores {
  counters: CounterStore;
  responseCache: ResponseCacheStore;
  /** Resolves true once Redis is connected (at once for memory stores), false after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export function createStores(options: StoresOptions): Stores {
  if (!options.redisUrl) {
    const counters = new MemoryCounterStore();
    const responseCache = new MemoryResponseCacheStore(options.memoryCacheBytes);
    return {
      counters,
      responseCache,
      ready: async () => true,
      close: async () => {
        await Promise.all([counters.close(), responseCache.close()]);
      },
    };
  }
  // Throws on a malformed URL (without quoting it): a typo must stop the gateway, not degrade it.
  const target = parseRedisUrl(options.redisUrl);
  const guardOptions = {
    target: describeRedisTarget(target),
    logger: options.logger,
    onFallback: options.onFallback,
  };
  // Separate connections: a large cached body must not delay (and time out) a rate-limit hit.
  const counterClient = createFailFastClient(target, { commandTimeoutMs: options.commandTimeoutMs ?? 100 });
  const cacheClient = createFailFastClient(target, {
    commandTimeoutMs: 4 * (options.commandTimeoutMs ?? 100),
  });
  const counters = new ResilientCounterStore(
    new RedisCounterStore(counterClient, { keyPrefix: options.keyPrefix }),
    guardOptions,
  );
  const responseCache = new ResilientResponseCacheStore(
    new RedisResponseCacheStore(cacheClient, { keyPrefix: options.keyPrefix }),
    { ...guardOptions, memoryBytes: options.memoryCacheBytes },
  );
  return {
    counters,
    responseCache,
    ready: (timeoutMs = 2000) => waitUntilReady([counterClient, cacheClient], timeoutMs),
    close: async () => {
      await Promise.all([counters.close(), responseCache.close()]);
    },
  };
}

/**
 * Polls the client status: simpler than juggling listeners, and only used at startup. A Cluster is
 * ready once it knows the slots, but opens its connection to each master on first use: they are
 * opened here (a PING each), so the first requests do not pay for them.
 */
async function waitUntilReady(clients: RedisClient[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (clients.some((client) => client.status !== 'ready')) {
    if (Date.now() >= deadline) return false;
    await sleep(20);
  }
  const masters = clients.flatMap((client) => (client instanceof Cluster ? client.nodes('master') : []));
  const pings = Promise.all(masters.map((node) => node.ping())).then(
    () => true,
    () => false,
  );
  return Promise.race([pings, sleep(Math.max(0, deadline - Date.now()), false, { ref: false })]);
}
