import { simpleDocument, useTestGateway } from '@gatehouse/gateway/testing';
import { describe, expect, it } from 'vitest';

describe('ip-filter through the gateway', () => {
  const { gw } = useTestGateway((upstream) => ({
    ...simpleDocument(upstream.url, {
      plans: [{ id: 'gold', security: { type: 'api-key' } }],
      routes: [
        { path: '/local', policies: [{ policy: 'ip-filter', config: { allow: ['127.0.0.0/8'] } }] },
        {
          path: '/office',
          policies: [
            { policy: 'ip-filter', config: { allow: ['10.0.0.0/8', '2001:db8::/32'], deny: ['10.6.6.0/24'] } },
          ],
        },
      ],
    }),
    gateway: { trustProxy: true },
    applications: [
      {
        id: 'acme',
        name: 'ACME',
        subscriptions: [{ api: 'test', plan: 'gold', apiKeys: [{ key: 'acme-key-0001' }] }],
      },
    ],
  }));

  const call = (path: string, forwardedFor?: string) =>
    gw.fetch(path, {
      headers: { 'x-api-key': 'acme-key-0001', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
    });

  it('admits allowed clients (IPv4, IPv4-mapped IPv6, IPv6)', async () => {
    expect((await call('/test/local')).status).toBe(200);
    expect((await call('/test/office', '10.1.2.3')).status).toBe(200);
    expect((await call('/test/office', '::ffff:10.1.2.3')).status).toBe(200);
    expect((await call('/test/office', '2001:db8::7')).status).toBe(200);
  });

  it('refuses other and denied clients with 403 ip_forbidden, before security runs', async () => {
    for (const ip of ['127.0.0.1', '10.6.6.6', '::ffff:10.6.6.6', '2001:db9::1']) {
      const res = await call('/test/office', ip);
      expect(res.status).toBe(403);
      expect(((await res.json()) as { code: string }).code).toBe('ip_forbidden');
    }
    // No credentials at all: still 403, not 401, because the filter runs first.
    const anonymous = await gw.fetch('/test/office', { headers: { 'x-forwarded-for': '192.0.2.1' } });
    expect(anonymous.status).toBe(403);
  });
});
