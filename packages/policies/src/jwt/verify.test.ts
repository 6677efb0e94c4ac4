import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { validatePolicyConfig } from '../sdk/define.js';
import { jwtSecurity } from './index.js';
import type { VerificationKey } from './keys.js';
import type { JwtConfig } from './schema.js';
import { createTokenVerifier } from './verify.js';

const secret = new TextEncoder().encode('a-test-secret-that-is-long-enough-for-hs256!');

/** A key resolver that counts how often a signature is actually verified. */
function countingKey(): VerificationKey & { calls: number } {
  const counted = {
    calls: 0,
    algorithms: ['HS256' as const],
    key: async () => {
      counted.calls++;
      return secret;
    },
  };
  return counted;
}

function config(overrides: Record<string, unknown> = {}): JwtConfig {
  return validatePolicyConfig<JwtConfig>(
    jwtSecurity,
    { secret: 'unused-in-these-tests-but-required-32b', ...overrides },
    'x',
  );
}

describe('verified token cache', () => {
  const t0 = 1_700_000_000_000;

  it('verifies a repeated token once and serves the frozen claims from the cache', async () => {
    const key = countingKey();
    const verifier = createTokenVerifier(config(), key, () => t0);
    const token = await new SignJWT({ client_id: 'c', nested: { a: 1 } })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(t0 / 1000 + 3600)
      .sign(secret);
    const first = await verifier.verify(token);
    const second = await verifier.verify(token);
    expect(key.calls).toBe(1);
    expect(second).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first?.nested)).toBe(true);
  });

  it('serves each of two alternating tokens its own claims, equal strings from fresh requests included', async () => {
    const key = countingKey();
    const verifier = createTokenVerifier(config(), key, () => t0);
    const sign = (clientId: string) =>
      new SignJWT({ client_id: clientId })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime(t0 / 1000 + 3600)
        .sign(secret);
    const [a, b] = [await sign('a'), await sign('b')];
    await verifier.verify(a);
    await verifier.verify(b);
    for (let i = 0; i < 3; i++) {
      // A header value is a new string per request: slice a copy out of a longer one.
      expect(verifier.cached(` ${a}`.slice(1))?.client_id).toBe('a');
      expect(verifier.cached(` ${a}`.slice(1))?.client_id).toBe('a');
      expect(verifier.cached(b)?.client_id).toBe('b');
    }
    expect(verifier.cached(`${a}x`)).toBeUndefined();
    expect(key.calls).toBe(2);
  });

  it('stops serving a token from the cache once exp + skew has passed', async () => {
    const key = countingKey();
    let now = t0;
    const verifier = createTokenVerifier(config({ clockSkew: '30s' }), key, () => now);
    const token = await new SignJWT({ client_id: 'c' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(t0 / 1000 + 60)
      .sign(secret);
    await verifier.verify(token);
    now = t0 + 89_000;
    await verifier.verify(token);
    expect(key.calls).toBe(1);
    now = t0 + 91_000;
    await expect(verifier.verify(token)).rejects.toMatchObject({ status: 401, detail: 'token has expired' });
    expect(key.calls).toBe(2);
  });

  it('bounds entries by maxTtl (tokens without exp too) and can be disabled', async () => {
    const key = countingKey();
    let now = t0;
    const verifier = createTokenVerifier(config({ cache: { maxTtl: '1m' } }), key, () => now);
    const token = await new SignJWT({ client_id: 'c' }).setProtectedHeader({ alg: 'HS256' }).sign(secret);
    await verifier.verify(token);
    now += 59_000;
    await verifier.verify(token);
    expect(key.calls).toBe(1);
    now += 2_000;
    await verifier.verify(token);
    expect(key.calls).toBe(2);

    const uncachedKey = countingKey();
    const uncached = createTokenVerifier(config({ cache: { maxEntries: 0 } }), uncachedKey, () => t0);
    await uncached.verify(token);
    await uncached.verify(token);
    expect(uncachedKey.calls).toBe(2);
  });

  it('never caches a failed verification', async () => {
    const key = countingKey();
    const verifier = createTokenVerifier(config(), key, () => t0);
    const forged = await new SignJWT({ client_id: 'c' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('x'.repeat(40)));
    await expect(verifier.verify(forged)).rejects.toMatchObject({ status: 401 });
    await expect(verifier.verify(forged)).rejects.toMatchObject({ status: 401 });
    expect(key.calls).toBe(2);
  });
});
