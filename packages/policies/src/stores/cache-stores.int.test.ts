/**
 * The response cache and createStores against Redis: a real one when REDIS_URL is set, and an
 * unreachable one (a closed port) for the fallbacks. In the integration project because they open
 * Redis connections (docs/decisions/0008-test-layout.md); the in-process parts are cache-stores.test.ts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '@gatehouse/core';
import { serviceUrl } from '@gatehouse/core/testing';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { CachedResponse } from '../sdk/cache-store.js';
import { createStores } from './index.js';
import { RedisResponseCacheStore } from './redis-cache.js';
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

describe('createStores with Redis', () => {
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
