import { simpleDocument, useTestGateway } from '@gatehouse/gateway/testing';
import { describe, expect, it } from 'vitest';

describe('spike-arrest through the gateway', () => {
  const { gw, upstream } = useTestGateway((upstream) =>
    simpleDocument(upstream.url, { policies: [{ policy: 'spike-arrest', config: { rate: '1/m', burst: 2 } }] }),
  );

  it('lets the burst through, then answers 429 rate_limited with Retry-After in seconds', async () => {
    expect((await gw.fetch('/test/a')).status).toBe(200);
    expect((await gw.fetch('/test/b')).status).toBe(200);
    const refused = await gw.fetch('/test/c');
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { code: string }).code).toBe('rate_limited');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(59);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(upstream.requests).toHaveLength(2);
  });
});
