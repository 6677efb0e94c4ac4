import { randomUUID } from 'node:crypto';
import { serviceUrl } from '@gatehouse/core/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCounterStore } from './redis-counters.js';

const redis = serviceUrl('REDIS_URL');

describe.skipIf(!redis.url)('RedisCounterStore', () => {
  const prefix = `gh-test:${randomUUID()}:`;
  let clientA: Redis;
  let clientB: Redis;
  let storeA: RedisCounterStore;
  let storeB: RedisCounterStore;

  beforeAll(() => {
    clientA = new Redis(redis.url!);
    clientB = new Redis(redis.url!);
    storeA = new RedisCounterStore(clientA, { keyPrefix: prefix });
    storeB = new RedisCounterStore(clientB, { keyPrefix: prefix });
  });

  afterAll(async () => {
    const keys = await clientA.keys(`${prefix}*`);
    if (keys.length > 0) await clientA.del(...keys);
    await Promise.all([storeA.close(), storeB.close()]);
  });

  it('admits exactly the limit under 200 concurrent hits from two clients', async () => {
    const request = {
      key: 'burst',
      windowMs: 60_000,
      windowStartMs: Date.now(),
      algorithm: 'fixed' as const,
      limit: 50,
    };
    const hits = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? storeA : storeB).hit(request));
    const results = await Promise.all(hits);
    const admitted = results.filter((r) => r.count <= request.limit);
    expect(admitted).toHaveLength(50);
    // Admitted hits saw every count from 1 to 50 exactly once: no lost or double increments.
    expect(admitted.map((r) => r.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect((await storeA.peek(request)).count).toBe(50);
  });

  it('admits exactly the limit with the sliding algorithm too', async () => {
    // A day-long window: a boundary inside this burst is practically impossible.
    const request = { key: 'burst-sliding', windowMs: 86_400_000, algorithm: 'sliding' as const, limit: 50 };
    const hits = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? storeA : storeB).hit(request));
    const admitted = (await Promise.all(hits)).filter((r) => r.count <= request.limit);
    expect(admitted).toHaveLength(50);
    expect((await storeB.peek(request)).count).toBeLessThanOrEqual(50);
  });

  it('reports a refused hit as count > limit without counting it', async () => {
    const request = {
      key: 'refuse',
      windowMs: 60_000,
      windowStartMs: Date.now(),
      algorithm: 'fixed' as const,
      limit: 2,
    };
    await storeA.hit(request);
    await storeA.hit(request);
    const refused = await storeB.hit(request);
    expect(refused.count).toBe(3);
    expect(refused.resetMs).toBeGreaterThan(0);
    expect(refused.resetMs).toBeLessThanOrEqual(60_000);
    expect((await storeA.peek(request)).count).toBe(2);
  });

  it('expires window keys and shares add() totals between gateways', async () => {
    expect(await storeA.add('approx', 10_000, 5)).toBe(5);
    expect(await storeB.add('approx', 10_000, 7)).toBe(12);
    expect(await storeA.add('approx', 10_000, 0)).toBe(12);
    const keys = await clientA.keys(`${prefix}counter:{approx}:*`);
    expect(keys).toHaveLength(1);
    const ttl = await clientA.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(21_000);
  });

  it('starts a new fixed window at the boundary (short window)', async () => {
    const request = { key: 'short', windowMs: 200, algorithm: 'fixed' as const, limit: 1 };
    let first = await storeA.hit(request);
    // Begin right after a boundary so both hits land in the same window.
    if (first.resetMs < 100) {
      await new Promise((r) => setTimeout(r, first.resetMs + 5));
      first = await storeA.hit(request);
    }
    expect(first.count).toBe(1);
    expect((await storeA.hit(request)).count).toBe(2);
    await new Promise((r) => setTimeout(r, first.resetMs + 20));
    expect((await storeA.hit(request)).count).toBe(1);
  });
});
