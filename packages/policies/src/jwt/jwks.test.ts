import { silentLogger } from '@gatehouse/core';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, jwtVerify, SignJWT } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAtPath, validatePolicyConfig } from '../sdk/define.js';
import { createTestContext } from '../testing/context.js';
import { securityEnv } from '../testing/index.js';
import { jwtSecurity } from './index.js';
import { JwksCache, JwksUnavailableError } from './jwks.js';
import type { JwtConfig } from './schema.js';
import { type LocalServer, sendJson, startLocalServer } from './test-support/local-server.js';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string, alg: 'RS256' | 'ES256' = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

function sign(
  key: SigningKey,
  payload: Record<string, unknown> = { client_id: 'orders-client' },
  kid = key.kid,
): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: key.jwk.alg!, kid }).sign(key.privateKey);
}

let k1: SigningKey;
let k2: SigningKey;
let published: JWK[] = [];
let status = 200;
let server: LocalServer | undefined;

beforeAll(async () => {
  [k1, k2] = await Promise.all([signingKey('k1'), signingKey('k2', 'ES256')]);
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  status = 200;
});

async function jwksServer(): Promise<LocalServer> {
  server = await startLocalServer((_req, _body, res) => {
    if (status !== 200) return sendJson(res, status, { error: 'down' });
    sendJson(res, 200, { keys: published });
  });
  return server;
}

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('JwksCache', () => {
  it('fetches once, and refreshes on an unknown kid at most once per minRefreshInterval', async () => {
    const s = await jwksServer();
    published = [k1.jwk];
    const c = clock();
    const jwks = new JwksCache({
      url: `${s.url}/jwks`,
      maxAgeMs: 600_000,
      minRefreshIntervalMs: 30_000,
      timeoutMs: 2_000,
      logger: silentLogger(),
      now: c.now,
    });
    const verify = (token: string) => jwtVerify(token, jwks.getKey, { algorithms: ['RS256', 'ES256'] });

    await verify(await sign(k1));
    await verify(await sign(k1, { client_id: 'other' }));
    expect(s.hits).toBe(1);

    // The issuer rotates in k2; within the interval the unknown kid is refused without a fetch.
    published = [k1.jwk, k2.jwk];
    c.advance(1_000);
    await expect(verify(await sign(k2))).rejects.toThrow(/no applicable key found/i);
    expect(s.hits).toBe(1);
    for (let i = 0; i < 25; i++) await expect(verify(await sign(k1, {}, `made-up-${i}`))).rejects.toThrow();
    expect(s.hits).toBe(1);

    // Once the interval has passed, an unknown kid triggers exactly one refetch.
    c.advance(30_000);
    await expect(verify(await sign(k2))).resolves.toHaveProperty('payload');
    await expect(verify(await sign(k2, { client_id: 'again' }))).resolves.toHaveProperty('payload');
    expect(s.hits).toBe(2);
  });

  it('shares one fetch between concurrent requests naming a new kid', async () => {
    const s = await jwksServer();
    published = [k1.jwk];
    const c = clock();
    const jwks = new JwksCache({
      url: `${s.url}/jwks`,
      maxAgeMs: 600_000,
      minRefreshIntervalMs: 30_000,
      timeoutMs: 2_000,
      logger: silentLogger(),
      now: c.now,
    });
    const verify = (token: string) => jwtVerify(token, jwks.getKey, { algorithms: ['RS256', 'ES256'] });
    await verify(await sign(k1));
    published = [k1.jwk, k2.jwk];
    c.advance(31_000);
    const token = await sign(k2);
    const results = await Promise.all(Array.from({ length: 20 }, () => verify(token)));
    expect(results).toHaveLength(20);
    expect(s.hits).toBe(2);
  });

  it('refetches after maxAge and keeps the previous keys when a fetch fails', async () => {
    const s = await jwksServer();
    published = [k1.jwk];
    const c = clock();
    const jwks = new JwksCache({
      url: `${s.url}/jwks`,
      maxAgeMs: 60_000,
      minRefreshIntervalMs: 30_000,
      timeoutMs: 2_000,
      logger: silentLogger(),
      now: c.now,
    });
    const verify = (token: string) => jwtVerify(token, jwks.getKey, { algorithms: ['RS256'] });
    await verify(await sign(k1));
    c.advance(61_000);
    status = 500;
    await expect(verify(await sign(k1))).resolves.toHaveProperty('payload');
    expect(s.hits).toBe(2);
  });

  it('reports unavailability when no keys were ever fetched, and retries after a short bootstrap delay', async () => {
    const s = await jwksServer();
    published = [k1.jwk];
    status = 503;
    const c = clock();
    const jwks = new JwksCache({
      url: `${s.url}/jwks`,
      maxAgeMs: 600_000,
      minRefreshIntervalMs: 30_000,
      timeoutMs: 2_000,
      logger: silentLogger(),
      now: c.now,
    });
    const token = await sign(k1);
    await expect(jwtVerify(token, jwks.getKey)).rejects.toBeInstanceOf(JwksUnavailableError);
    await expect(jwtVerify(token, jwks.getKey)).rejects.toBeInstanceOf(JwksUnavailableError);
    expect(s.hits).toBe(1);
    status = 200;
    c.advance(5_000);
    await expect(jwtVerify(token, jwks.getKey)).resolves.toHaveProperty('payload');
    expect(s.hits).toBe(2);
  });
});

describe('jwt security with a JWKS URL', () => {
  function scheme(config: Record<string, unknown>) {
    const valid = validatePolicyConfig<JwtConfig>(jwtSecurity, config, 'security.config');
    return createAtPath('security.config', () =>
      jwtSecurity.create(
        valid,
        securityEnv({ applications: [{ id: 'orders-app', name: 'Orders', clientId: 'orders-client' }] }),
      ),
    );
  }
  const bearer = (token: string) => createTestContext({ headers: { authorization: `Bearer ${token}` } });

  it('verifies RS256 and ES256 tokens against the fetched set and caches verified tokens', async () => {
    const s = await jwksServer();
    published = [k1.jwk, k2.jwk];
    const jwt = scheme({ jwksUrl: `${s.url}/.well-known/jwks.json` });
    const rsToken = await sign(k1);
    for (let i = 0; i < 5; i++) expect(await jwt.authenticate(bearer(rsToken))).toHaveProperty('subscription');
    expect(await jwt.authenticate(bearer(await sign(k2)))).toHaveProperty('subscription');
    expect(s.hits).toBe(1);
    expect(s.requests[0]).toMatchObject({ method: 'GET', url: '/.well-known/jwks.json' });
  });

  it('answers 503 (not 401) when the JWK Set cannot be fetched in time', async () => {
    server = await startLocalServer(() => {
      // Never answers: the fetch must time out.
    });
    const jwt = scheme({ jwksUrl: `${server.url}/jwks`, jwks: { timeout: '200ms' } });
    // The server never answers: without the timeout this call would hang (the test's timeout fails it).
    const outcome = await jwt.authenticate(bearer(await sign(k1)));
    expect(outcome).toHaveProperty('error');
    const error = (outcome as { error: { status: number; code: string; detail: string } }).error;
    expect([error.status, error.code]).toEqual([503, 'service_unavailable']);
    expect(error.detail).not.toContain('127.0.0.1');
  });

  it('refuses an unknown key with 401', async () => {
    const s = await jwksServer();
    published = [k1.jwk];
    const jwt = scheme({ jwksUrl: `${s.url}/jwks` });
    const stranger = await signingKey('k1');
    const outcome = await jwt.authenticate(bearer(await sign(stranger)));
    expect(outcome).toMatchObject({ error: { status: 401, detail: 'token signature is invalid' } });
  });
});
