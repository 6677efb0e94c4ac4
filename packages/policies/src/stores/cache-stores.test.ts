import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '@gatehouse/core';
import { serviceUrl } from '@gatehouse/core/testing';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { CachedResponse } from '../sdk/cache-store.js';
import { createStores } from './index.js';
import { MemoryResponseCacheStore } from './memory-cache.js';
import { decodeCachedResponse, encodeCachedResponse, RedisResponseCacheStore } from './redis-cache.js';
import { createFailFastClient } from './redis-client.js';
import { ResilientResponseCacheStore } from './resilient-cache.js';

const redis = serviceUrl('REDIS_URL');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function entry(body: Buffer, ttlMs = 60_000, now = Date.now()): CachedResponse {
  return {
    status: 200,
    headers: { 'content-type': 'image/png', 'set-cookie': ['a=1', 'b=2'] },
    body,
    storedAt: now,
    expiresAt: now + ttlMs,
    vary: { 'accept-encoding': 'gzip' },
  };
}

describe('MemoryResponseCacheStore', () => {
  it('evicts least recently used entries to stay within its byte budget', async () => {
    const store = new MemoryResponseCacheStore(3000);
    await store.set('a', entry(Buffer.alloc(1000)));
    await store.set('b', entry(Buffer.alloc(1000)));
    await store.get('a');
    await store.set('c', entry(Buffer.alloc(1000)));
    expect(store.bytes).toBeLessThanOrEqual(3000);
    expect(await store.get('b')).toBeUndefined();
    expect((await store.get('a'))?.body.length).toBe(1000);
    expect((await store.get('c'))?.body.length).toBe(1000);
  });

  it('drops expired entries and ignores already-expired writes', async () => {
    const clock = { now: 1_000_000 };
    const store = new MemoryResponseCacheStore(1 << 20, () => clock.now);
    await store.set('a', entry(Buffer.from('x'), 500, clock.now));
    await store.set('old', entry(Buffer.from('x'), -1, clock.now));
    expect(await store.get('a')).toBeDefined();
    expect(await store.get('old')).toBeUndefined();
    clock.now += 500;
    expect(await store.get('a')).toBeUndefined();
    expect(store.bytes).toBe(0);
  });
});

describe('cached response encoding', () => {
  it('round-trips arbitrary binary bodies and metadata', () => {
    const value = entry(randomBytes(4096));
    const decoded = decodeCachedResponse(encodeCachedResponse(value));
    expect(decoded).toEqual(value);
    expect(decodeCachedResponse(Buffer.from([0, 0, 0, 99, 1]))).toBeUndefined();
  });
});

describe.skipIf(!redis.url)('RedisResponseCacheStore', () => {
  it('stores binary bodies exactly, expires at expiresAt, and deletes', async () => {
    const prefix = `gh-test:${randomUUID()}:`;
    const store = new RedisResponseCacheStore(new Redis(redis.url!), { keyPrefix: prefix });
    const inspector = new Redis(redis.url!);
    cleanups.push(
      () => store.close(),
      async () => void inspector.disconnect(),
    );

    const value = entry(randomBytes(100_000), 2000);
    await store.set('k', value);
    const read = await store.get('k');
    expect(read?.body.equals(value.body)).toBe(true);
    expect(read?.headers).toEqual(value.headers);
    const ttl = await inspector.pttl(`${prefix}cache:k`);
    expect(ttl).toBeGreaterThan(1500);
    expect(ttl).toBeLessThanOrEqual(2000);

    await store.delete('k');
    expect(await store.get('k')).toBeUndefined();

    await store.set('short', entry(Buffer.from('bye'), 100));
    await sleep(150);
    expect(await store.get('short')).toBeUndefined();
    expect(await inspector.exists(`${prefix}cache:short`)).toBe(0);
  });
});

describe('ResilientResponseCacheStore', () => {
  it('caches in memory while Redis is unreachable and never throws', async () => {
    const fallbacks: string[] = [];
    const store = new ResilientResponseCacheStore(
      new RedisResponseCacheStore(createFailFastClient('redis://127.0.0.1:1'), { keyPrefix: 'gh-test:' }),
      { target: 'test', logger: silentLogger(), onFallback: (s) => fallbacks.push(s) },
    );
    cleanups.push(() => store.close());
    const value = entry(Buffer.from('local'));
    await store.set('k', value);
    expect((await store.get('k'))?.body.toString()).toBe('local');
    await store.delete('k');
    expect(await store.get('k')).toBeUndefined();
    expect(fallbacks.length).toBeGreaterThanOrEqual(3);
    expect(new Set(fallbacks)).toEqual(new Set(['responseCache']));
  });
});

describe('createStores', () => {
  it('returns memory stores without a Redis URL', async () => {
    const stores = createStores({ logger: silentLogger() });
    cleanups.push(() => stores.close());
    expect(stores.counters.kind).toBe('memory');
    expect(stores.responseCache.kind).toBe('memory');
    expect(await stores.ready()).toBe(true);
  });

  it.skipIf(!redis.url)('returns Redis stores shared between two gateways', async () => {
    const keyPrefix = `gh-test:${randomUUID()}:`;
    const gatewayA = createStores({ redisUrl: redis.url, logger: silentLogger(), keyPrefix });
    const gatewayB = createStores({ redisUrl: redis.url, logger: silentLogger(), keyPrefix });
    cleanups.push(
      () => gatewayA.close(),
      () => gatewayB.close(),
    );
    expect(await gatewayA.ready()).toBe(true);
    expect(await gatewayB.ready()).toBe(true);
    const request = {
      key: 'shared',
      windowMs: 60_000,
      windowStartMs: Date.now(),
      algorithm: 'fixed' as const,
      limit: 10,
    };
    await gatewayA.counters.hit(request);
    expect(await gatewayB.counters.hit(request)).toMatchObject({ count: 2, degraded: false });
    await gatewayA.responseCache.set('page', entry(Buffer.from('shared body')));
    expect((await gatewayB.responseCache.get('page'))?.body.toString()).toBe('shared body');
  });

  it('reports not ready when Redis cannot be reached', async () => {
    const stores = createStores({ redisUrl: 'redis://127.0.0.1:1', logger: silentLogger() });
    cleanups.push(() => stores.close());
    expect(await stores.ready(200)).toBe(false);
    expect(stores.counters.kind).toBe('redis');
    expect((await stores.counters.hit({ key: 'x', windowMs: 1000, algorithm: 'fixed', limit: 1 })).degraded).toBe(true);
  });
});
