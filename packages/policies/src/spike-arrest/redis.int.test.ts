import { randomUUID } from 'node:crypto';
import { GatewayError } from '@gatehouse/core';
import { serviceUrl } from '@gatehouse/core/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyHandlers } from '../sdk/types.js';
import { RedisCounterStore } from '../stores/redis-counters.js';
import { createTestContext } from '../testing/context.js';
import { createPolicy, testPolicyEnv } from '../testing/index.js';
import { spikeArrestPolicy } from './index.js';

const redis = serviceUrl('REDIS_URL');

describe.skipIf(!redis.url)('spike-arrest distributed through Redis', () => {
  const prefix = `gh-test:spike:${randomUUID()}:`;
  let admin: Redis;
  let stores: RedisCounterStore[];

  beforeAll(() => {
    admin = new Redis(redis.url!);
    stores = [0, 1].map(() => new RedisCounterStore(new Redis(redis.url!), { keyPrefix: prefix }));
  });
  afterAll(async () => {
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await Promise.all([...stores.map((store) => store.close()), admin.quit()]);
  });

  const outcome = async (policy: PolicyHandlers): Promise<string> => {
    try {
      await policy.request!(createTestContext({ subscriptionId: 'sub' }));
      return 'ok';
    } catch (error) {
      if (error instanceof GatewayError) return `${error.code} ${error.headers?.['retry-after']}`;
      throw error;
    }
  };

  it('admits `burst` requests per window across gateways', async () => {
    const scope = { kind: 'api' as const, key: `spike-${randomUUID()}` };
    // A 3-hour window (1/h, burst 3): the test never straddles a window boundary in practice.
    const [a, b] = stores.map((counters) =>
      createPolicy(spikeArrestPolicy, { rate: '1/h', burst: 3, distributed: true }, testPolicyEnv({ counters, scope })),
    ) as [PolicyHandlers, PolicyHandlers];
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => outcome(i % 2 ? a : b)));
    expect(results.filter((r) => r === 'ok')).toHaveLength(3);
    const refused = results.filter((r) => r !== 'ok');
    expect(refused).toHaveLength(5);
    for (const r of refused) {
      const [code, retryAfter] = r.split(' ');
      expect(code).toBe('rate_limited');
      expect(Number(retryAfter)).toBeGreaterThan(0);
      expect(Number(retryAfter)).toBeLessThanOrEqual(3 * 3600);
    }
  });
});
