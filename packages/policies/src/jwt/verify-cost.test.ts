/**
 * What the verified-token cache saves, as counts: a hit must not check the signature again. How
 * many microseconds that is worth is a benchmark's question, not a unit test's (timed assertions
 * fail on a loaded machine).
 */
import { generateKeyPairSync } from 'node:crypto';
import { silentLogger } from '@gatehouse/core';
import { type JWTVerifyGetKey, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { validatePolicyConfig } from '../sdk/define.js';
import { jwtSecurity } from './index.js';
import { loadVerificationKey, type VerificationKey } from './keys.js';
import type { JwtConfig } from './schema.js';
import { createTokenVerifier } from './verify.js';

/** The key behind a resolver that counts its calls: jose asks for the key once per signature check. */
function counted(key: VerificationKey) {
  const counter = { checks: 0 };
  const resolve: JWTVerifyGetKey = async () => {
    counter.checks++;
    return key.key as Awaited<ReturnType<JWTVerifyGetKey>>;
  };
  return { key: { ...key, key: resolve }, counter };
}

async function signatureChecks(raw: Record<string, unknown>, token: string, verifications: number) {
  const config = (extra: Record<string, unknown>) =>
    validatePolicyConfig<JwtConfig>(jwtSecurity, { ...raw, ...extra }, 'x');
  const key = loadVerificationKey(config({}), (p) => p, silentLogger());
  const uncached = counted(key);
  const cached = counted(key);
  const uncachedVerifier = createTokenVerifier(config({ cache: { maxEntries: 0 } }), uncached.key);
  const cachedVerifier = createTokenVerifier(config({}), cached.key);
  for (let i = 0; i < verifications; i++) {
    expect(await uncachedVerifier.verify(token)).toMatchObject({ sub: 'user-1' });
    expect(await cachedVerifier.verify(token)).toMatchObject({ sub: 'user-1' });
  }
  return { uncached: uncached.counter.checks, cached: cached.counter.checks };
}

describe('verification cost', () => {
  const payload = {
    client_id: 'orders-client',
    sub: 'user-1',
    iss: 'https://idp.test/',
    aud: 'orders-api',
    scope: 'orders:read orders:write',
  };

  it('RS256: the cache turns a signature check into a map lookup', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256' })
      .setExpirationTime('1h')
      .sign(privateKey);
    const raw = { publicKey: publicKey.export({ type: 'spki', format: 'pem' }) };
    expect(await signatureChecks(raw, token, 50)).toEqual({ uncached: 50, cached: 1 });
  });

  it('HS256: the cache skips the HMAC check as well', async () => {
    const secret = 'a-test-secret-that-is-long-enough-for-hs256!';
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));
    expect(await signatureChecks({ secret }, token, 50)).toEqual({ uncached: 50, cached: 1 });
  });
});
