import { randomUUID } from 'node:crypto';
import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from '@gatehouse/gateway/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

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

async function gateway(doc: unknown): Promise<TestGateway> {
  const gw = await startTestGateway(doc);
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
});
