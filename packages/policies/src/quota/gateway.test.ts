import { simpleDocument, useTestGateway } from '@gatehouse/gateway/testing';
import { describe, expect, it } from 'vitest';

describe('quota through the gateway', () => {
  const { gw, upstream } = useTestGateway((upstream) =>
    simpleDocument(upstream.url, {
      policies: [{ policy: 'quota', config: { limit: 2, period: 'month', timeZone: 'Europe/Paris' } }],
    }),
  );

  it('adds quota headers, then answers 429 problem+json with Retry-After to the month end', async () => {
    for (const remaining of ['1', '0']) {
      const res = await gw.fetch('/test/items');
      expect(res.status).toBe(200);
      await res.text();
      expect(res.headers.get('x-quota-limit')).toBe('2');
      expect(res.headers.get('x-quota-remaining')).toBe(remaining);
    }
    const refused = await gw.fetch('/test/items');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(((await refused.json()) as { code: string }).code).toBe('quota_exceeded');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(31 * 86_400);
    expect(refused.headers.get('x-quota-remaining')).toBe('0');
    expect(upstream.requests).toHaveLength(2);
  });
});
