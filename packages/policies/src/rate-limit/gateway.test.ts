import { randomUUID } from 'node:crypto';
import { serviceUrl } from '@gatehouse/core/testing';
import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from '@gatehouse/gateway/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

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
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});
afterAll(async () => {
  await upstream?.close();
});

async function gateway(doc: unknown, redisUrl?: string): Promise<TestGateway> {
  const gw = await startTestGateway(doc, redisUrl ? { redisUrl } : {});
  gateways.push(gw);
  return gw;
}

describe('rate-limit through the gateway', () => {
  it('sends RateLimit headers and answers 429 problem+json with Retry-After beyond the limit', async () => {
    const gw = await gateway(limitedDocument(upstream.url, { limit: 3, window: '1h' }));
    const remaining: Array<string | null> = [];
    for (let i = 0; i < 3; i++) {
      const res = await gw.fetch('/test/x');
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-limit')).toBe('3');
      expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
      remaining.push(res.headers.get('ratelimit-remaining'));
      await res.text();
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const before = upstream.requests.length;
    const refused = await gw.fetch('/test/x');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(((await refused.json()) as { code: string }).code).toBe('rate_limited');
    expect(upstream.requests.length).toBe(before);
  });

  it('keeps counting across a config reload (counters keyed by the policy id)', async () => {
    const doc = limitedDocument(upstream.url, { limit: 2, window: '1h' });
    const gw = await gateway(doc);
    await (await gw.fetch('/test/x')).text();
    const changed = structuredClone(doc) as { apis: Array<{ name: string }> };
    changed.apis[0]!.name = 'Renamed';
    expect(gw.apply(changed).ok).toBe(true);
    const res = await gw.fetch('/test/x');
    expect(res.headers.get('ratelimit-remaining')).toBe('0');
  });

  it.skipIf(!redis.url)('enforces one limit across two gateways sharing Redis (exact mode)', async () => {
    const doc = limitedDocument(upstream.url, { limit: 5, window: '1h' });
    const [a, b] = [await gateway(doc, redis.url), await gateway(doc, redis.url)];
    // Let both connect, so no request is served by the memory fallback.
    await new Promise((r) => setTimeout(r, 300));
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
