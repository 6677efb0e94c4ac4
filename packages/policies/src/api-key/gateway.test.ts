import { hashApiKey } from '@gatehouse/core';
import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('api-key security through the gateway', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    upstream = await startTestUpstream();
    const api = (id: string, plans: unknown[]) => ({
      ...(simpleDocument(upstream.url, { id, basePath: `/${id}`, plans }).apis as unknown[])[0]!,
    });
    gw = await startTestGateway({
      version: 1,
      apis: [
        api('keys', [{ id: 'gold', security: { type: 'api-key', config: { query: 'api_key' } } }]),
        api('mixed', [
          { id: 'gold', security: { type: 'api-key' } },
          { id: 'open', security: { type: 'keyless' } },
        ]),
      ],
      applications: [
        {
          id: 'acme',
          name: 'ACME',
          subscriptions: [
            {
              api: 'keys',
              plan: 'gold',
              apiKeys: [{ key: 'acme-key-0001' }, { keyHash: hashApiKey('acme-hashed-0002') }],
            },
            {
              api: 'keys',
              plan: 'gold',
              id: 'old',
              apiKeys: [
                { key: 'acme-revoked-03', revoked: true },
                { key: 'acme-expired-04', expiresAt: '2020-01-01T00:00:00Z' },
              ],
            },
            { api: 'mixed', plan: 'gold', apiKeys: [{ key: 'mixed-key-0005' }] },
          ],
        },
      ],
    });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('forwards a request with a valid key (clear or hashed in the config) without the key', async () => {
    for (const key of ['acme-key-0001', 'acme-hashed-0002']) {
      const res = await gw.fetch('/keys/items', { headers: { 'x-api-key': key } });
      expect(res.status).toBe(200);
      const echoed = (await res.json()) as { headers: Record<string, string> };
      expect(echoed.headers['x-api-key']).toBeUndefined();
    }
  });

  it('takes the key from the configured query parameter and strips it', async () => {
    const res = await gw.fetch('/keys/items?a=1&api_key=acme-key-0001');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { url: string }).url).toBe('/items?a=1');
  });

  it('answers 401 problem+json for wrong, revoked, expired, other-API and missing keys', async () => {
    for (const key of ['nope-nope-nope', 'acme-revoked-03', 'acme-expired-04', 'mixed-key-0005', undefined]) {
      const before = upstream.requests.length;
      const res = await gw.fetch('/keys/items', { headers: key ? { 'x-api-key': key } : {} });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      const body = await res.text();
      expect(JSON.parse(body).code).toBe('unauthorized');
      if (key) expect(body).not.toContain(key);
      expect(upstream.requests.length).toBe(before);
    }
  });

  it('lets a request without a key fall through to the keyless plan, but never a wrong key', async () => {
    gw.records.length = 0;
    expect((await gw.fetch('/mixed/x')).status).toBe(200);
    expect((await gw.fetch('/mixed/x', { headers: { 'x-api-key': 'mixed-key-0005' } })).status).toBe(200);
    expect((await gw.fetch('/mixed/x', { headers: { 'x-api-key': 'wrong-key-999' } })).status).toBe(401);
    await new Promise((r) => setTimeout(r, 20));
    expect(gw.records.map((r) => r.plan)).toEqual(['open', 'gold', undefined]);
  });
});
