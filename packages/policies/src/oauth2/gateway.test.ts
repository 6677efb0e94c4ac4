import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from '@gatehouse/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, sendJson, startLocalServer } from '../jwt/test-support/local-server.js';

const TOKENS: Record<string, Record<string, unknown>> = {
  'reader-token': { client_id: 'orders-client', scope: 'orders:read', sub: 'alice' },
  'writer-token': { client_id: 'orders-client', scope: 'orders:read orders:write', sub: 'bob' },
};

describe('oauth2 plans through the gateway', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  let idp: LocalServer;

  beforeAll(async () => {
    idp = await startLocalServer((_req, body, res) => {
      const token = new URLSearchParams(body).get('token') ?? '';
      const known = TOKENS[token];
      sendJson(
        res,
        200,
        known ? { active: true, exp: Math.floor(Date.now() / 1000) + 600, ...known } : { active: false },
      );
    });
    upstream = await startTestUpstream();
    gw = await startTestGateway(
      simpleDocument(
        upstream.url,
        {
          plans: [
            {
              id: 'members',
              security: {
                type: 'oauth2',
                config: {
                  introspectionUrl: `${idp.url}/introspect`,
                  clientId: 'gatehouse',
                  clientSecret: 'introspection-secret',
                  requiredScopes: ['orders:read'],
                  scopes: { 'POST,PUT,DELETE /orders': ['orders:write'] },
                  forwardClaims: { sub: 'x-user' },
                },
              },
            },
          ],
        },
        {
          applications: [
            {
              id: 'orders-app',
              name: 'Orders',
              clientId: 'orders-client',
              subscriptions: [{ api: 'test', plan: 'members' }],
            },
          ],
        },
      ),
    );
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    await idp?.close();
  });

  it('lets a reader read, caching the introspection result', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await gw.fetch('/test/orders/1', { headers: { authorization: 'Bearer reader-token' } });
      expect(res.status).toBe(200);
      const echoed = (await res.json()) as { headers: Record<string, string> };
      expect(echoed.headers['x-user']).toBe('alice');
      expect(echoed.headers.authorization).toBeUndefined();
    }
    expect(idp.requests.filter((r) => r.body.includes('reader-token'))).toHaveLength(1);
  });

  it('answers 403 insufficient_scope when a reader writes; a writer may', async () => {
    const refused = await gw.fetch('/test/orders', {
      method: 'POST',
      body: '{}',
      headers: { authorization: 'Bearer reader-token', 'content-type': 'application/json' },
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", scope="orders:read orders:write"',
    );
    expect(((await refused.json()) as { code: string }).code).toBe('forbidden');
    const accepted = await gw.fetch('/test/orders', {
      method: 'POST',
      body: '{}',
      headers: { authorization: 'Bearer writer-token', 'content-type': 'application/json' },
    });
    expect(accepted.status).toBe(200);
  });

  it('answers 401 for an inactive token', async () => {
    const res = await gw.fetch('/test/orders', { headers: { authorization: 'Bearer revoked-token' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });
});
