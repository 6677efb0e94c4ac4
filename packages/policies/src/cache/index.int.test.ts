/**
 * The cache policy over a real Redis store (REDIS_URL): what one gateway stores is a hit on another.
 * In the integration project because it opens a Redis connection (docs/decisions/0008-test-layout.md).
 */
import { randomUUID } from 'node:crypto';
import { serviceUrl } from '@gatehouse/core/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { RedisResponseCacheStore } from '../stores/redis-cache.js';
import { createTestContext } from '../testing/context.js';
import { createPolicy, testPolicyEnv } from '../testing/index.js';
import { cachePolicy } from './index.js';

const redis = serviceUrl('REDIS_URL');
describe.skipIf(!redis.url)('cache with Redis (shared between gateways)', () => {
  const client = redis.url ? new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 }) : undefined;
  const keyPrefix = `gatehouse-test:${randomUUID()}:`;

  afterAll(async () => {
    if (!client) return;
    const keys = await client.keys(`${keyPrefix}*`);
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  });

  it('an entry stored by one gateway is a hit on another, binary body and Vary intact', async () => {
    const env = testPolicyEnv({ responseCache: new RedisResponseCacheStore(client!, { keyPrefix }) });
    const gatewayA = createPolicy(cachePolicy, { ttl: '30s' }, env);
    const gatewayB = createPolicy(
      cachePolicy,
      { ttl: '30s' },
      { ...env, responseCache: new RedisResponseCacheStore(client!, { keyPrefix }) },
    );
    const bytes = Buffer.from([0, 255, 1, 254, 10, 13]);
    const ctx = createTestContext({
      path: '/bin',
      headers: { accept: 'application/octet-stream' },
      response: { status: 200, headers: { 'content-length': String(bytes.length), vary: 'accept' }, body: bytes },
    });
    await gatewayA.request!(ctx);
    await gatewayA.response!(ctx);

    await vi.waitFor(async () => expect(await client!.keys(`${keyPrefix}*`)).toHaveLength(2));
    const hit = createTestContext({ path: '/bin', headers: { accept: 'application/octet-stream' } });
    await gatewayB.request!(hit);
    expect(hit.shortCircuit?.body.equals(bytes)).toBe(true);
    expect(hit.shortCircuit?.headers['x-cache']).toBe('HIT');

    const otherVariant = createTestContext({ path: '/bin', headers: { accept: 'text/plain' } });
    await gatewayB.request!(otherVariant);
    expect(otherVariant.responded).toBe(false);
  });
});
