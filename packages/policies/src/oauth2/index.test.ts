import { type GatewayError, silentLogger } from '@gatehouse/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalServer, sendJson, startLocalServer } from '../jwt/test-support/local-server.js';
import { createAtPath, validatePolicyConfig } from '../sdk/define.js';
import type { AuthOutcome, SecurityScheme } from '../sdk/types.js';
import { createTestContext } from '../testing/context.js';
import { securityEnv } from '../testing/index.js';
import { oauth2Security } from './index.js';
import { IntrospectionClient } from './introspection.js';
import type { OAuth2Config } from './schema.js';

const CLIENT_SECRET = 'introspection-secret-value';
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Tokens the fake authorization server knows; anything else is inactive. */
let tokens: Record<string, Record<string, unknown>> = {};
let failWith: number | undefined;
/** While set, the server holds its answers until the test releases them (no timing windows). */
let hold: { promise: Promise<void>; release: () => void } | undefined;
function holdAnswers() {
  let release: () => void = () => {};
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  hold = { promise, release };
  return hold;
}
let server: LocalServer;

beforeAll(async () => {
  server = await startLocalServer(async (req, body, res) => {
    if (hold) await hold.promise;
    if (failWith) return sendJson(res, failWith, { error: 'server_error' });
    const expected = `Basic ${Buffer.from(`gatehouse:${CLIENT_SECRET}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return sendJson(res, 401, { error: 'invalid_client' });
    const token = new URLSearchParams(body).get('token') ?? '';
    sendJson(res, 200, tokens[token] ? { active: true, ...tokens[token] } : { active: false });
  });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  failWith = undefined;
  hold?.release();
  hold = undefined;
  tokens = {
    'tok-orders': {
      client_id: 'orders-client',
      scope: 'orders:read orders:write',
      sub: 'alice',
      exp: nowSeconds() + 3600,
    },
    'tok-reader': { client_id: 'orders-client', scope: 'orders:read', exp: nowSeconds() + 3600 },
    'tok-stranger': { client_id: 'unknown-client', scope: 'orders:read', exp: nowSeconds() + 3600 },
    'tok-no-client': { scope: 'orders:read', exp: nowSeconds() + 3600 },
  };
});

function scheme(config: Record<string, unknown> = {}): SecurityScheme {
  const raw = {
    introspectionUrl: `${server.url}/introspect`,
    clientId: 'gatehouse',
    clientSecret: CLIENT_SECRET,
    ...config,
  };
  const valid = validatePolicyConfig<OAuth2Config>(oauth2Security, raw, 'plans[0].security.config');
  return createAtPath('plans[0].security.config', () =>
    oauth2Security.create(
      valid,
      securityEnv({ applications: [{ id: 'orders-app', name: 'Orders', clientId: 'orders-client' }] }),
    ),
  );
}

function request(token: string | undefined, method = 'GET', path = '/orders') {
  return createTestContext({ method, path, headers: token ? { authorization: `Bearer ${token}` } : {} });
}

function errorOf(outcome: AuthOutcome | undefined): GatewayError {
  expect(outcome).toHaveProperty('error');
  return (outcome as { error: GatewayError }).error;
}

describe('oauth2 security (RFC 7662 introspection)', () => {
  it('introspects with client credentials, identifies the application and removes the token', async () => {
    const ctx = request('tok-orders');
    const outcome = await scheme({ forwardClaims: { sub: 'x-user' } }).authenticate(ctx);
    expect(outcome).toMatchObject({
      subscription: { application: { id: 'orders-app' } },
      principal: 'alice',
      claims: { scope: 'orders:read orders:write' },
    });
    expect(ctx.request.headers.authorization).toBeUndefined();
    expect(ctx.request.headers['x-user']).toBe('alice');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(new URLSearchParams(server.requests[0]!.body).get('token_type_hint')).toBe('access_token');
  });

  it('returns undefined without a bearer token and never calls the server', async () => {
    expect(await scheme().authenticate(request(undefined))).toBeUndefined();
    expect(server.hits).toBe(0);
  });

  it('caches active results: repeated tokens cost no introspection call', async () => {
    const s = scheme();
    for (let i = 0; i < 10; i++) expect(await s.authenticate(request('tok-orders'))).toHaveProperty('subscription');
    expect(server.hits).toBe(1);
  });

  it('shares one call between concurrent requests with the same token', async () => {
    const held = holdAnswers();
    const s = scheme();
    const pending = Array.from({ length: 10 }, () => s.authenticate(request('tok-orders')));
    held.release();
    const outcomes = await Promise.all(pending);
    expect(outcomes.every((o) => o !== undefined && 'subscription' in o)).toBe(true);
    expect(server.hits).toBe(1);
  });

  it('answers 401 for inactive tokens and caches that briefly', async () => {
    const s = scheme();
    for (let i = 0; i < 3; i++) {
      const error = errorOf(await s.authenticate(request('tok-revoked')));
      expect([error.status, error.code, error.detail]).toEqual([401, 'unauthorized', 'token is not active']);
      expect(error.headers?.['www-authenticate']).toBe('Bearer error="invalid_token"');
    }
    expect(server.hits).toBe(1);
  });

  it('treats an active answer with a past exp as inactive', async () => {
    tokens['tok-stale'] = { client_id: 'orders-client', exp: nowSeconds() - 5 };
    expect(errorOf(await scheme().authenticate(request('tok-stale'))).status).toBe(401);
  });

  it('requires plan scopes and per-route scopes, answering 403 insufficient_scope', async () => {
    const s = scheme({
      requiredScopes: ['orders:read'],
      scopes: { 'POST,PUT /orders': ['orders:write'], '/orders/admin': ['admin'] },
    });
    expect(await s.authenticate(request('tok-reader', 'GET', '/orders/7'))).toHaveProperty('subscription');
    const write = errorOf(await s.authenticate(request('tok-reader', 'POST', '/orders')));
    expect([write.status, write.code]).toEqual([403, 'forbidden']);
    expect(write.headers?.['www-authenticate']).toBe(
      'Bearer error="insufficient_scope", scope="orders:read orders:write"',
    );
    expect(await s.authenticate(request('tok-orders', 'PUT', '/orders/7'))).toHaveProperty('subscription');
    // The longest prefix wins and its method wildcard applies to every method.
    expect(
      errorOf(await s.authenticate(request('tok-orders', 'GET', '/orders/admin/users'))).headers?.['www-authenticate'],
    ).toContain('scope="orders:read admin"');
    // Whole segments only.
    expect(await s.authenticate(request('tok-reader', 'POST', '/orders-archive'))).toHaveProperty('subscription');
  });

  it('answers 403 when the client has no subscription and 401 when the token names no client', async () => {
    const s = scheme();
    expect(errorOf(await s.authenticate(request('tok-stranger'))).status).toBe(403);
    expect(errorOf(await s.authenticate(request('tok-no-client'))).status).toBe(401);
  });

  it('answers 503 without details when the server fails or times out, and does not cache that', async () => {
    failWith = 500;
    const s = scheme({ timeout: '200ms' });
    const error = errorOf(await s.authenticate(request('tok-orders')));
    expect([error.status, error.code]).toEqual([503, 'service_unavailable']);
    expect(error.detail).not.toContain('500');
    failWith = undefined;
    // The server holds the answer until released: only the 200 ms timeout can produce this 503.
    const held = holdAnswers();
    expect(errorOf(await s.authenticate(request('tok-orders'))).status).toBe(503);
    held.release();
    hold = undefined;
    expect(await s.authenticate(request('tok-orders'))).toHaveProperty('subscription');
  });

  it('treats wrong gateway client credentials at the server as unavailable, never as the caller being wrong', async () => {
    const error = errorOf(await scheme({ clientSecret: 'wrong' }).authenticate(request('tok-orders')));
    expect(error.status).toBe(503);
  });

  it('refuses configs without exactly one client secret source, and bad scope rules', () => {
    expect(() => scheme({ clientSecret: undefined })).toThrow(
      /plans\[0\]\.security\.config: set exactly one of clientSecret, clientSecretEnv/,
    );
    expect(() => scheme({ clientSecretEnv: 'X' })).toThrow(/exactly one/);
    expect(() => scheme({ scopes: { 'GET orders': ['x'] } })).toThrow(/scopes/);
  });
});

describe('introspection cache lifetimes', () => {
  it('keeps active results until min(exp, maxTtl) and inactive ones for negativeTtl', async () => {
    let now = Date.now();
    const client = new IntrospectionClient({
      url: `${server.url}/introspect`,
      clientId: 'gatehouse',
      clientSecret: CLIENT_SECRET,
      tokenTypeHint: 'access_token',
      timeoutMs: 2_000,
      maxEntries: 100,
      maxTtlMs: 60_000,
      negativeTtlMs: 10_000,
      logger: silentLogger(),
      now: () => now,
    });
    tokens['tok-short'] = { client_id: 'orders-client', exp: Math.floor(now / 1000) + 20 };
    await client.introspect('tok-orders');
    await client.introspect('tok-short');
    await client.introspect('tok-dead');
    expect(server.hits).toBe(3);

    now += 9_000;
    await Promise.all([client.introspect('tok-orders'), client.introspect('tok-short'), client.introspect('tok-dead')]);
    expect(server.hits).toBe(3);

    now += 2_000; // 11s: the negative entry has gone.
    await client.introspect('tok-dead');
    expect(server.hits).toBe(4);

    now += 10_000; // 21s: past tok-short's exp; tok-orders (exp in 1h) is still within maxTtl.
    expect(await client.introspect('tok-short')).toEqual({ active: false });
    await client.introspect('tok-orders');
    expect(server.hits).toBe(5);

    now += 40_000; // 61s: maxTtl bounds tok-orders.
    await client.introspect('tok-orders');
    expect(server.hits).toBe(6);
  });
});
