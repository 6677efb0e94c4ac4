/**
 * Measures what the verified-token cache saves: µs per verification with and without it, for RS256
 * and HS256. Prints the numbers; asserts only the (large) ratio so the test stays stable on busy CI.
 */
import { generateKeyPairSync } from 'node:crypto';
import { silentLogger } from '@gatehouse/core';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { validatePolicyConfig } from '../sdk/define.js';
import { jwtSecurity } from './index.js';
import { loadVerificationKey } from './keys.js';
import type { JwtConfig } from './schema.js';
import { createTokenVerifier } from './verify.js';

async function microsecondsPerOp(iterations: number, op: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(200, iterations); i++) await op();
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await op();
  return Number(process.hrtime.bigint() - started) / 1000 / iterations;
}

async function measure(label: string, raw: Record<string, unknown>, token: string) {
  const config = (extra: Record<string, unknown>) =>
    validatePolicyConfig<JwtConfig>(jwtSecurity, { ...raw, ...extra }, 'x');
  const key = loadVerificationKey(config({}), (p) => p, silentLogger());
  const uncached = createTokenVerifier(config({ cache: { maxEntries: 0 } }), key);
  const cached = createTokenVerifier(config({}), key);
  const uncachedUs = await microsecondsPerOp(2_000, () => uncached.verify(token));
  const cachedUs = await microsecondsPerOp(50_000, () => cached.verify(token));
  console.log(
    `${label}: uncached ${uncachedUs.toFixed(2)} µs/op, cached ${cachedUs.toFixed(2)} µs/op (${(uncachedUs / cachedUs).toFixed(0)}x)`,
  );
  return { uncachedUs, cachedUs };
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
    const { uncachedUs, cachedUs } = await measure(
      'RS256',
      { publicKey: publicKey.export({ type: 'spki', format: 'pem' }) },
      token,
    );
    expect(cachedUs * 3).toBeLessThan(uncachedUs);
  });

  it('HS256: the cache still beats an HMAC check', async () => {
    const secret = 'a-test-secret-that-is-long-enough-for-hs256!';
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));
    const { uncachedUs, cachedUs } = await measure('HS256', { secret }, token);
    expect(cachedUs * 2).toBeLessThan(uncachedUs);
  });
});
