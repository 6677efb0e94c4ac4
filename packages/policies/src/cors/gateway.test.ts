import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('cors through the gateway', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  const origin = 'https://app.example.com';

  beforeAll(async () => {
    upstream = await startTestUpstream();
    gw = await startTestGateway({
      ...simpleDocument(upstream.url, {
        // An api-key plan: preflights carry no credentials, so they must be answered before security.
        plans: [{ id: 'gold', security: { type: 'api-key' } }],
        policies: [
          {
            policy: 'cors',
            config: {
              origins: ['https://*.example.com'],
              credentials: true,
              exposeHeaders: ['x-request-id'],
              maxAge: '5m',
            },
          },
        ],
      }),
      applications: [
        {
          id: 'acme',
          name: 'ACME',
          subscriptions: [{ api: 'test', plan: 'gold', apiKeys: [{ key: 'acme-key-0001' }] }],
        },
      ],
    });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('answers an allowed preflight with 204 at the gateway, before security and without the upstream', async () => {
    const before = upstream.requests.length;
    const res = await gw.fetch('/test/orders', {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, x-api-key',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-headers')).toBe('content-type, x-api-key');
    expect(res.headers.get('access-control-max-age')).toBe('300');
    expect(upstream.requests.length).toBe(before);
  });

  it('refuses a preflight from another origin with 403 and no CORS headers', async () => {
    const res = await gw.fetch('/test/orders', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.test', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('adds CORS headers to actual responses, including errors a browser script must read', async () => {
    const ok = await gw.fetch('/test/orders', { headers: { origin, 'x-api-key': 'acme-key-0001' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(origin);
    expect(ok.headers.get('access-control-expose-headers')).toBe('x-request-id');
    expect(ok.headers.get('vary')).toContain('Origin');
    const unauthorized = await gw.fetch('/test/orders', { headers: { origin } });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('access-control-allow-origin')).toBe(origin);
    const foreign = await gw.fetch('/test/orders', {
      headers: { origin: 'https://evil.test', 'x-api-key': 'acme-key-0001' },
    });
    expect(foreign.status).toBe(200);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });
});
