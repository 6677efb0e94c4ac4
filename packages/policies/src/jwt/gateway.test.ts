import {
  simpleDocument,
  startTestGateway,
  startTestUpstream,
  type TestGateway,
  type TestUpstream,
} from '@gatehouse/gateway/testing';
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, sendJson, startLocalServer } from './test-support/local-server.js';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256!';
const hs = (payload: Record<string, unknown>) =>
  new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(SECRET));

describe('jwt plans through the gateway', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  let jwks: LocalServer;
  let rsaPrivate: CryptoKey;

  beforeAll(async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true });
    rsaPrivate = rsa.privateKey;
    const jwk = { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256' };
    jwks = await startLocalServer((_req, _body, res) => sendJson(res, 200, { keys: [jwk] }));
    upstream = await startTestUpstream();
    gw = await startTestGateway(
      simpleDocument(
        upstream.url,
        {
          plans: [
            {
              id: 'partners',
              security: { type: 'jwt', config: { secret: SECRET, forwardClaims: { sub: 'x-user-id' } } },
            },
            {
              id: 'internal',
              security: { type: 'jwt', config: { jwksUrl: `${jwks.url}/jwks.json`, audience: 'test-api' } },
            },
          ],
        },
        {
          applications: [
            {
              id: 'orders-app',
              name: 'Orders',
              clientId: 'orders-client',
              subscriptions: [{ api: 'test', plan: 'partners' }],
            },
            { id: 'ops-app', name: 'Ops', clientId: 'ops-client', subscriptions: [{ api: 'test', plan: 'internal' }] },
            { id: 'idle-app', name: 'Idle', clientId: 'idle-client', subscriptions: [] },
          ],
        },
      ),
    );
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    await jwks?.close();
  });

  it('forwards a request with a valid HS256 token, without the token, with the claim header', async () => {
    const token = await hs({ client_id: 'orders-client', sub: 'user-42' });
    const res = await gw.fetch('/test/orders', {
      headers: { authorization: `Bearer ${token}`, 'x-user-id': 'spoofed' },
    });
    expect(res.status).toBe(200);
    const echoed = (await res.json()) as { headers: Record<string, string> };
    expect(echoed.headers.authorization).toBeUndefined();
    expect(echoed.headers['x-user-id']).toBe('user-42');
    expect(gw.records.at(-1)).toMatchObject({ plan: 'partners' });
  });

  it('selects the plan from the JWKS-verified RS256 token', async () => {
    const token = await new SignJWT({ azp: 'ops-client', aud: 'test-api' })
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .sign(rsaPrivate);
    for (let i = 0; i < 3; i++)
      expect((await gw.fetch('/test/ops', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect(jwks.hits).toBe(1);
  });

  it('answers 401 problem+json with a Bearer challenge for a bad token, and without one', async () => {
    const forged = await new SignJWT({ client_id: 'orders-client' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('x'.repeat(40)));
    const res = await gw.fetch('/test/orders', { headers: { authorization: `Bearer ${forged}` } });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(await res.json()).toMatchObject({ code: 'unauthorized', detail: 'token signature is invalid' });
    expect((await gw.fetch('/test/orders')).status).toBe(401);
  });

  it('answers 403 for a valid token of an application without a subscription', async () => {
    const res = await gw.fetch('/test/orders', {
      headers: { authorization: `Bearer ${await hs({ client_id: 'idle-client' })}` },
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('forbidden');
  });
});
