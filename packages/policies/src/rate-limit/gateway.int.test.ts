/**
 * rate-limit through gateways with Redis: one limit shared by two gateways (a real Redis, REDIS_URL)
 * and the per-gateway fallback while Redis is unreachable (a closed port). In the integration project
 * because both open Redis connections (docs/decisions/0008-test-layout.md).
 */
import { randomUUID } from 'node:crypto';
import { silentLogger } from '@gatehouse/core';
import { serviceUrl } from '@gatehouse/core/testing';
import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from '@gatehouse/gateway/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStores, type Stores } from '../stores/index.js';

const redis = serviceUrl('REDIS_URL');

/** A document whose rate-limit has a unique id, so counters in a shared Redis never leak between runs. */
function limitedDocument(targetUrl: string, config: Record<string, unknown>) {
  return simpleDocument(targetUrl, {
    plans: [
      {
        id: 'open',
        security: { type: 'keyless' },
        policies: [{ policy: 'rate-limit', id: `rl-${randomUUID()}`, config }],
      },
    ],
  });
}

let upstream: TestUpstream;
const gateways: TestGateway[] = [];
beforeAll(async () => {
  upstream = await startTestUpstream();
});
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
  for (const cleanup of cleanups.splice(0)) await cleanup();
});
afterAll(async () => {
  await upstream?.close();
});

async function gatewayWith(doc: unknown, stores: Stores): Promise<TestGateway> {
  const gw = await startTestGateway(doc, { stores });
  gateways.push(gw);
  return gw;
}

async function gateway(doc: unknown, redisUrl: string): Promise<TestGateway> {
  const gw = await startTestGateway(doc, { redisUrl });
  gateways.push(gw);
  return gw;
}

describe('rate-limit through gateways with Redis', () => {
  it.skipIf(!redis.url)('enforces one limit across two gateways sharing Redis (exact mode)', async () => {
    const doc = limitedDocument(upstream.url, { limit: 5, window: '1h' });
    // Connected before the first request (waited for, not slept on), with a command timeout a loaded
    // machine keeps within: a hit that fell back to memory would admit more than the shared limit.
    const stores = [0, 1].map(() =>
      createStores({ redisUrl: redis.url!, logger: silentLogger(), commandTimeoutMs: 2000 }),
    );
    cleanups.push(...stores.map((s) => () => s.close()));
    expect(await Promise.all(stores.map((s) => s.ready(10_000)))).toEqual([true, true]);
    const [a, b] = [await gatewayWith(doc, stores[0]!), await gatewayWith(doc, stores[1]!)];
    const statuses = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const res = await (i % 2 === 0 ? a : b).fetch('/test/x');
        await res.text();
        return res.status;
      }),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
  });

  it('keeps serving (never 500) when Redis is unreachable, counting fallbacks in the metrics', async () => {
    const gw = await gateway(limitedDocument(upstream.url, { limit: 2, window: '1h' }), 'redis://127.0.0.1:1');
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const res = await gw.fetch('/test/x');
      await res.text();
      statuses.push(res.status);
    }
    // The limit still holds per gateway while Redis is away.
    expect(statuses).toEqual([200, 200, 429]);
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    const fallbacks = Number(/gatehouse_redis_fallbacks_total (\d+)/.exec(metrics)?.[1]);
    expect(fallbacks).toBeGreaterThanOrEqual(3);
  });
});
