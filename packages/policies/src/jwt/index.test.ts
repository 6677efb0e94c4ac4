import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayError } from '@gatehouse/core';
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAtPath, validatePolicyConfig } from '../sdk/define.js';
import type { AuthOutcome, SecurityScheme } from '../sdk/types.js';
import { createTestContext } from '../testing/context.js';
import { securityEnv, type TestApplication } from '../testing/index.js';
import { jwtSecurity } from './index.js';
import type { JwtConfig } from './schema.js';

const HS_SECRET = 'a-test-secret-that-is-long-enough-for-hs256!';
const hsKey = new TextEncoder().encode(HS_SECRET);
const orders: TestApplication = { id: 'orders-app', name: 'Orders app', clientId: 'orders-client' };
const billing: TestApplication = { id: 'billing-app', name: 'Billing app', clientId: 'billing-client' };

const nowSeconds = () => Math.floor(Date.now() / 1000);

async function sign(
  key: CryptoKey | KeyObject | Uint8Array,
  alg: string,
  payload: JWTPayload,
  header: { kid?: string } = {},
): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, ...header }).sign(key);
}

function scheme(
  config: Record<string, unknown>,
  options: { resolvePath?: (p: string) => string } = {},
): SecurityScheme {
  const valid = validatePolicyConfig<JwtConfig>(jwtSecurity, config, 'plans[0].security.config');
  return createAtPath('plans[0].security.config', () =>
    jwtSecurity.create(valid, securityEnv({ applications: [orders, billing], ...options })),
  );
}

function bearer(token: string) {
  return createTestContext({ headers: { authorization: `Bearer ${token}` } });
}

function errorOf(outcome: AuthOutcome | undefined): GatewayError {
  expect(outcome).toBeDefined();
  expect(outcome).toHaveProperty('error');
  return (outcome as { error: GatewayError }).error;
}

describe('jwt security with a shared secret (HS256)', () => {
  const hs = () =>
    scheme({
      secret: HS_SECRET,
      issuer: 'https://idp.test/',
      audience: 'orders-api',
      forwardClaims: { sub: 'x-user-id', 'realm.roles': 'x-roles' },
    });

  it('authenticates a valid token, sets claims, removes the token and forwards selected claims', async () => {
    const token = await sign(hsKey, 'HS256', {
      client_id: 'orders-client',
      sub: 'user-7',
      iss: 'https://idp.test/',
      aud: 'orders-api',
      exp: nowSeconds() + 60,
      realm: { roles: ['admin'] },
    });
    const ctx = createTestContext({
      headers: { authorization: `Bearer ${token}`, 'x-user-id': 'spoofed', 'x-roles': 'spoofed' },
    });
    const outcome = await hs().authenticate(ctx);
    expect(outcome).toMatchObject({
      subscription: { application: { id: 'orders-app' } },
      principal: 'user-7',
      claims: { sub: 'user-7' },
    });
    expect(ctx.request.headers.authorization).toBeUndefined();
    expect(ctx.request.headers['x-user-id']).toBe('user-7');
    expect(ctx.request.headers['x-roles']).toBe('["admin"]');
  });

  it('answers a token it verified before synchronously, with the same identity and header handling', async () => {
    const s = hs();
    const token = await sign(hsKey, 'HS256', {
      client_id: 'orders-client',
      sub: 'user-8',
      iss: 'https://idp.test/',
      aud: 'orders-api',
      exp: nowSeconds() + 60,
    });
    const first = s.authenticate(bearer(token));
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toHaveProperty('subscription');
    const ctx = bearer(token);
    const again = s.authenticate(ctx);
    expect(again).not.toBeInstanceOf(Promise);
    expect(again).toMatchObject({ principal: 'user-8', subscription: { application: { id: 'orders-app' } } });
    expect(ctx.request.headers.authorization).toBeUndefined();
    expect(ctx.request.headers['x-user-id']).toBe('user-8');
  });

  it('returns undefined when the request has no bearer token, another scheme, or an opaque token', async () => {
    const s = hs();
    expect(await s.authenticate(createTestContext())).toBeUndefined();
    expect(
      await s.authenticate(createTestContext({ headers: { authorization: 'Basic dXNlcjpwYXNz' } })),
    ).toBeUndefined();
    expect(await s.authenticate(bearer('opaque-token-for-introspection'))).toBeUndefined();
  });

  it('rejects a token signed with another secret with 401 and a Bearer challenge', async () => {
    const token = await sign(new TextEncoder().encode('another-secret-that-is-long-enough-too!!'), 'HS256', {
      client_id: 'orders-client',
      iss: 'https://idp.test/',
      aud: 'orders-api',
    });
    const error = errorOf(await hs().authenticate(bearer(token)));
    expect(error.status).toBe(401);
    expect(error.code).toBe('unauthorized');
    expect(error.detail).toBe('token signature is invalid');
    expect(error.headers?.['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('checks exp with the clock skew', async () => {
    const s = hs();
    const base = { client_id: 'orders-client', iss: 'https://idp.test/', aud: 'orders-api' };
    const withinSkew = await sign(hsKey, 'HS256', { ...base, exp: nowSeconds() - 10 });
    expect(await s.authenticate(bearer(withinSkew))).toHaveProperty('subscription');
    const expired = await sign(hsKey, 'HS256', { ...base, exp: nowSeconds() - 120 });
    expect(errorOf(await s.authenticate(bearer(expired))).detail).toBe('token has expired');
  });

  it('checks nbf, aud and required claims without echoing expected values', async () => {
    const s = scheme({
      secret: HS_SECRET,
      issuer: ['https://idp.test/'],
      audience: 'orders-api',
      requiredClaims: ['sub'],
    });
    const base = { client_id: 'orders-client', iss: 'https://idp.test/', aud: 'orders-api', sub: 'u' };
    const cases: Array<[JWTPayload, string]> = [
      [{ ...base, nbf: nowSeconds() + 300 }, 'token is not yet valid'],
      [{ ...base, aud: 'other-api' }, 'token audience is not accepted'],
      [
        { client_id: 'orders-client', iss: 'https://idp.test/', aud: 'orders-api' },
        'token lacks the required claim "sub"',
      ],
    ];
    for (const [payload, detail] of cases) {
      const error = errorOf(await s.authenticate(bearer(await sign(hsKey, 'HS256', payload))));
      expect(error.status).toBe(401);
      expect(error.detail).toBe(detail);
    }
  });

  it('identifies the client by client_id, then azp; 401 without either, 403 without a subscription', async () => {
    const s = scheme({ secret: HS_SECRET });
    expect(await s.authenticate(bearer(await sign(hsKey, 'HS256', { azp: 'billing-client' })))).toMatchObject({
      subscription: { application: { id: 'billing-app' } },
    });
    const anonymous = errorOf(await s.authenticate(bearer(await sign(hsKey, 'HS256', { sub: 'u' }))));
    expect([anonymous.status, anonymous.detail]).toEqual([401, 'token does not identify a client application']);
    const stranger = errorOf(await s.authenticate(bearer(await sign(hsKey, 'HS256', { client_id: 'unknown-client' }))));
    expect([stranger.status, stranger.code]).toEqual([403, 'forbidden']);
  });

  it('uses a configured client claim', async () => {
    const s = scheme({ secret: HS_SECRET, clientIdClaims: ['appid'] });
    expect(await s.authenticate(bearer(await sign(hsKey, 'HS256', { appid: 'orders-client' })))).toHaveProperty(
      'subscription',
    );
    expect(
      errorOf(await s.authenticate(bearer(await sign(hsKey, 'HS256', { client_id: 'orders-client' })))).status,
    ).toBe(401);
  });

  it('keeps the token when forwardToken is true', async () => {
    const token = await sign(hsKey, 'HS256', { client_id: 'orders-client' });
    const ctx = bearer(token);
    await scheme({ secret: HS_SECRET, forwardToken: true }).authenticate(ctx);
    expect(ctx.request.headers.authorization).toBe(`Bearer ${token}`);
  });

  it('reads the token from a query parameter and removes only that parameter', async () => {
    const token = await sign(hsKey, 'HS256', { client_id: 'orders-client' });
    const s = scheme({ secret: HS_SECRET, token: { query: 'access_token' } });
    const ctx = createTestContext({ query: `a=1%202&access_token=${token}&b=x+y` });
    expect(await s.authenticate(ctx)).toHaveProperty('subscription');
    expect(ctx.request.rawQuery).toBe('a=1%202&b=x+y');
  });

  it('reads the token from a custom header without a scheme', async () => {
    const token = await sign(hsKey, 'HS256', { client_id: 'orders-client' });
    const s = scheme({ secret: HS_SECRET, token: { header: 'X-Token', scheme: '' } });
    const ctx = createTestContext({ headers: { 'x-token': token } });
    expect(await s.authenticate(ctx)).toHaveProperty('subscription');
    expect(ctx.request.headers['x-token']).toBeUndefined();
  });

  it('never authenticates an alg=none token or an HS256 token forged with the RSA public key as secret', async () => {
    const { publicKey } = await generateKeyPair('RS256', { extractable: true });
    const pem = await exportSPKI(publicKey);
    const s = scheme({ publicKey: pem });
    // Both name an alg this plan never accepts: declined, so the request stays unauthenticated.
    const forged = await sign(new TextEncoder().encode(pem), 'HS256', { client_id: 'orders-client' });
    expect(await s.authenticate(bearer(forged))).toBeUndefined();
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ client_id: 'orders-client' })).toString('base64url');
    expect(await s.authenticate(bearer(`${header}.${body}.`))).toBeUndefined();
    // Undecodable garbage in JWS shape is ours to refuse.
    expect(errorOf(await s.authenticate(bearer('aaaa.bbbb.cccc'))).detail).toBe('token is malformed');
  });

  it('declines tokens of another issuer so another jwt plan can take them', async () => {
    const s = scheme({ secret: HS_SECRET, issuer: 'https://idp.test/' });
    expect(
      await s.authenticate(
        bearer(await sign(hsKey, 'HS256', { client_id: 'orders-client', iss: 'https://other-idp.test/' })),
      ),
    ).toBeUndefined();
    // Without iss the token claims to be nobody else's: refused.
    expect(
      errorOf(await s.authenticate(bearer(await sign(hsKey, 'HS256', { client_id: 'orders-client' })))).detail,
    ).toBe('token lacks the required claim "iss"');
  });
});

describe('jwt security with public keys', () => {
  it('verifies RS256 with an inline PEM, ES256 with an inline JWK and EdDSA with a PEM file', async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const ec = await generateKeyPair('ES256', { extractable: true });
    const ed = await generateKeyPair('EdDSA', { extractable: true });
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-jwt-'));
    writeFileSync(join(dir, 'ed.pem'), await exportSPKI(ed.publicKey));
    const payload = { client_id: 'orders-client', exp: nowSeconds() + 60 };

    const rsScheme = scheme({ publicKey: await exportSPKI(rsa.publicKey) });
    expect(await rsScheme.authenticate(bearer(await sign(rsa.privateKey, 'RS256', payload)))).toHaveProperty(
      'subscription',
    );
    // The same RSA key also verifies PS256 (a KeyObject signs with either padding).
    const nodeRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsNodeScheme = scheme({ publicKey: nodeRsa.publicKey.export({ type: 'spki', format: 'pem' }) as string });
    expect(await rsNodeScheme.authenticate(bearer(await sign(nodeRsa.privateKey, 'PS256', payload)))).toHaveProperty(
      'subscription',
    );

    const ecScheme = scheme({ publicKey: JSON.stringify(await exportJWK(ec.publicKey)) });
    expect(await ecScheme.authenticate(bearer(await sign(ec.privateKey, 'ES256', payload)))).toHaveProperty(
      'subscription',
    );
    // A token signed by another key of the same type fails.
    const otherEc = await generateKeyPair('ES256');
    expect(errorOf(await ecScheme.authenticate(bearer(await sign(otherEc.privateKey, 'ES256', payload)))).status).toBe(
      401,
    );

    const edScheme = scheme({ publicKey: 'ed.pem' }, { resolvePath: (p) => join(dir, p) });
    expect(await edScheme.authenticate(bearer(await sign(ed.privateKey, 'EdDSA', payload)))).toHaveProperty(
      'subscription',
    );
  });

  it('pins algorithms: an RSA key configured for RS256 only does not accept PS256', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const s = scheme({
      publicKey: rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string,
      algorithms: ['RS256'],
    });
    expect(
      await s.authenticate(bearer(await sign(rsa.privateKey, 'RS256', { client_id: 'orders-client' }))),
    ).toHaveProperty('subscription');
    expect(
      await s.authenticate(bearer(await sign(rsa.privateKey, 'PS256', { client_id: 'orders-client' }))),
    ).toBeUndefined();
  });
});

describe('jwt config checks at load', () => {
  it('refuses bad key setups with the config path', async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const { exportPKCS8 } = await import('jose');
    const attempts: Array<[Record<string, unknown>, RegExp]> = [
      [{}, /exactly one of secret/],
      [{ secret: HS_SECRET, jwksUrl: 'http://127.0.0.1:1/jwks' }, /exactly one of secret/],
      [{ secret: 'short' }, /at least 32 bytes/],
      [{ secretEnv: 'GATEHOUSE_TEST_UNSET_VARIABLE' }, /is not set/],
      [{ publicKey: await exportPKCS8(rsa.privateKey) }, /private key/],
      [{ publicKey: await exportSPKI(rsa.publicKey), algorithms: ['ES256'] }, /ES256 cannot be verified/],
      [{ secret: HS_SECRET, algorithms: ['RS256'] }, /RS256 cannot be verified with a shared secret/],
      [{ publicKey: '{"kty":"oct","k":"abc"}' }, /public JWK/],
    ];
    for (const [config, message] of attempts) {
      expect(() => scheme(config)).toThrow(message);
      try {
        scheme(config);
      } catch (error) {
        expect((error as Error).message).toMatch(/^plans\[0\]\.security\.config: /);
      }
    }
    expect(() => scheme({ secret: HS_SECRET, clockSkew: 'soon' })).toThrow(/clockSkew: must be a duration/);
  });

  it('fills defaults', () => {
    const config = validatePolicyConfig<JwtConfig>(jwtSecurity, { secret: HS_SECRET }, 'x');
    expect(config).toMatchObject({
      clockSkew: '30s',
      clientIdClaims: ['client_id', 'azp'],
      forwardToken: false,
      cache: { maxEntries: 10_000, maxTtl: '5m' },
      token: { header: 'authorization', scheme: 'Bearer' },
    });
  });

  it('reads the secret from the environment', async () => {
    process.env.GATEHOUSE_TEST_JWT_SECRET = HS_SECRET;
    try {
      const s = scheme({ secretEnv: 'GATEHOUSE_TEST_JWT_SECRET' });
      expect(await s.authenticate(bearer(await sign(hsKey, 'HS256', { client_id: 'orders-client' })))).toHaveProperty(
        'subscription',
      );
    } finally {
      delete process.env.GATEHOUSE_TEST_JWT_SECRET;
    }
  });
});
