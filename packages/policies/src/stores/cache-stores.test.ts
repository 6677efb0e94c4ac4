import { randomBytes } from 'node:crypto';
import { silentLogger } from '@gatehouse/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { CachedResponse } from '../sdk/cache-store.js';
import { createStores } from './index.js';
import { MemoryResponseCacheStore } from './memory-cache.js';
import { decodeCachedResponse, encodeCachedResponse } from './redis-cache.js';

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

describe('createStores', () => {
  it('returns memory stores without a Redis URL', async () => {
    const stores = createStores({ logger: silentLogger() });
    cleanups.push(() => stores.close());
    expect(stores.counters.kind).toBe('memory');
    expect(stores.responseCache.kind).toBe('memory');
    expect(await stores.ready()).toBe(true);
  });
});
