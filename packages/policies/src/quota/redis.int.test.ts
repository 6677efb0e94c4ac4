import { randomUUID } from 'node:crypto';
import { GatewayError } from '@gatehouse/core';
import { serviceUrl } from '@gatehouse/core/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCounterStore } from '../stores/redis-counters.js';
import { createTestContext } from '../testing/context.js';
import { createPolicy, testPolicyEnv } from '../testing/index.js';
import { quotaPolicy } from './index.js';
import { createPeriodCalculator } from './period.js';

const redis = serviceUrl('REDIS_URL');

describe.skipIf(!redis.url)('quota shared through Redis', () => {
  const prefix = `gh-test:quota:${randomUUID()}:`;
  let admin: Redis;
  let storeA: RedisCounterStore;
  let storeB: RedisCounterStore;

  beforeAll(() => {
    admin = new Redis(redis.url!);
    storeA = new RedisCounterStore(new Redis(redis.url!), { keyPrefix: prefix });
    storeB = new RedisCounterStore(new Redis(redis.url!), { keyPrefix: prefix });
  });
  afterAll(async () => {
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await Promise.all([storeA.close(), storeB.close(), admin.quit()]);
  });

  /** Two gateways with the same policy instance (same scope key), each with its own Redis connection. */
  const twoGateways = (config: Record<string, unknown>, scopeKey = `quota-${randomUUID()}`) => {
    const scope = { kind: 'plan' as const, key: scopeKey };
    return [
      createPolicy(quotaPolicy, config, testPolicyEnv({ counters: storeA, scope })),
      createPolicy(quotaPolicy, config, testPolicyEnv({ counters: storeB, scope })),
    ] as const;
  };

  const admitted = async (policy: ReturnType<typeof twoGateways>[0], subscriptionId: string): Promise<boolean> => {
    try {
      await policy.request!(createTestContext({ subscriptionId }));
      return true;
    } catch (error) {
      if (error instanceof GatewayError && error.code === 'quota_exceeded') return false;
      throw error;
    }
  };

  it('exact mode admits exactly the limit across gateways, in a window that ends at the local period end', async () => {
    const [a, b] = twoGateways({ limit: 15, period: 'day', timeZone: 'Europe/Paris' });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => admitted(i % 2 ? a : b, 'sub-1')));
    expect(results.filter(Boolean)).toHaveLength(15);

    const keys = await admin.keys(`${prefix}*`);
    expect(keys).toHaveLength(1);
    const { endMs } = createPeriodCalculator('day', 'Europe/Paris')(Date.now());
    const ttl = await admin.pttl(keys[0]!);
    // The store keeps a window until its end plus one second.
    expect(Math.abs(Date.now() + ttl - (endMs + 1000))).toBeLessThan(5_000);
  });

  it('approximate mode reconciles local counts through Redis', async () => {
    const scopeKey = `quota-${randomUUID()}`;
    const config = { limit: 5, mode: 'approximate', syncInterval: '1h' };
    const [a, b] = twoGateways(config, scopeKey);
    for (let i = 0; i < 3; i++) expect(await admitted(a, 'sub-2')).toBe(true);
    // B has not seen A's hits yet (nothing was pushed): it admits on its own estimate.
    expect(await admitted(b, 'sub-2')).toBe(true);
    // Closing (like each sync) pushes the pending hits: Redis now holds 4.
    await a.close!();
    await b.close!();

    const [c] = twoGateways(config, scopeKey);
    expect(await admitted(c, 'sub-2')).toBe(true);
    expect(await admitted(c, 'sub-2')).toBe(false);
    await c.close!();
  });
});
