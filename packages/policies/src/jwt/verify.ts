/**
 * JWT verification with a cache of verified tokens. A hit costs one LRU lookup plus an expiry check;
 * entries live until the token's `exp` (+ skew) and never longer than `maxTtl`, which also bounds
 * how long a key removed from a JWK Set keeps working for tokens already seen.
 */
import { GatewayError, LruCache, parseDuration } from '@gatehouse/core';
import { decodeJwt, decodeProtectedHeader, errors, type JWTVerifyOptions, jwtVerify } from 'jose';
import { bearerChallenge, deepFreeze } from './bearer.js';
import { JwksUnavailableError } from './jwks.js';
import type { VerificationKey } from './keys.js';
import type { JwtConfig } from './schema.js';

export type Claims = Readonly<Record<string, unknown>>;

interface CachedToken {
  claims: Claims;
  expiresAt: number;
}

export interface TokenVerifier {
  /** The claims of a token verified before and still fresh (synchronous: a cache hit needs no promise). */
  cached(token: string): Claims | undefined;
  /**
   * Resolves the verified claims (frozen, shared across requests), undefined when the token is
   * plainly meant for another scheme, or rejects with a GatewayError.
   */
  verify(token: string): Promise<Claims | undefined>;
}

export function createTokenVerifier(
  config: JwtConfig,
  key: VerificationKey,
  now: () => number = Date.now,
): TokenVerifier {
  const skewMs = parseDuration(config.clockSkew ?? '30s');
  const maxTtlMs = parseDuration(config.cache?.maxTtl ?? '5m');
  const maxEntries = config.cache?.maxEntries ?? 10_000;
  const cache = maxEntries > 0 ? new LruCache<string, CachedToken>(maxEntries) : undefined;
  const options: JWTVerifyOptions = {
    algorithms: key.algorithms,
    clockTolerance: Math.round(skewMs / 1000),
    ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
    ...(config.audience === undefined ? {} : { audience: config.audience }),
    ...(config.requiredClaims && config.requiredClaims.length > 0 ? { requiredClaims: config.requiredClaims } : {}),
  };

  const issuers = config.issuer === undefined ? undefined : new Set([config.issuer].flat());
  const algorithms = new Set<string>(key.algorithms);

  /**
   * An API may have several jwt plans (one per identity provider). A token whose `alg` this scheme
   * never accepts, or whose `iss` is not the configured issuer, belongs to another one: decline it
   * (undefined) rather than answer 401, so the next scheme can verify it. Declining on unverified
   * data only ever withholds authentication, it never grants it.
   */
  const declines = (token: string): boolean => {
    try {
      const alg = decodeProtectedHeader(token).alg;
      if (typeof alg === 'string' && !algorithms.has(alg)) return true;
      if (issuers) {
        const iss = decodeJwt(token).iss;
        if (typeof iss === 'string' && !issuers.has(iss)) return true;
      }
    } catch {
      // Undecodable: ours to reject as malformed.
    }
    return false;
  };

  // The token of the last hit: a client sends the same token request after request, and comparing it with the
  // one before is a memory compare where the LRU lookup hashes the whole token (hundreds of characters) again,
  // because every request brings a fresh string. An entry found here is the LRU's own, with its expiry.
  let lastToken: string | undefined;
  let lastEntry: CachedToken | undefined;

  const cached = (token: string): Claims | undefined => {
    const entry = token === lastToken ? lastEntry : cache?.get(token);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > now()) {
      lastToken = token;
      lastEntry = entry;
      return entry.claims;
    }
    cache!.delete(token);
    lastToken = undefined;
    lastEntry = undefined;
    return undefined;
  };

  return {
    cached,
    async verify(token) {
      const hit = cached(token);
      if (hit !== undefined) return hit;
      if (declines(token)) return undefined;
      let claims: Claims;
      try {
        const result = await jwtVerify(token, key.key as Parameters<typeof jwtVerify>[1], {
          ...options,
          currentDate: new Date(now()),
        });
        claims = deepFreeze(result.payload as Record<string, unknown>);
      } catch (error) {
        throw toAuthError(error);
      }
      if (cache) {
        const exp = typeof claims.exp === 'number' ? claims.exp * 1000 + skewMs : Number.POSITIVE_INFINITY;
        cache.set(token, { claims, expiresAt: Math.min(exp, now() + maxTtlMs) });
      }
      return claims;
    },
  };
}

/** Maps verification failures to client-safe details: what is wrong, never the expected values or internals. */
export function toAuthError(error: unknown): GatewayError {
  if (error instanceof JwksUnavailableError) {
    return new GatewayError('service_unavailable', { detail: 'token signing keys are temporarily unavailable' });
  }
  return new GatewayError('unauthorized', {
    detail: describeFailure(error),
    headers: bearerChallenge('invalid_token'),
  });
}

function describeFailure(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'token is not yet valid';
    if (error.reason === 'missing') return `token lacks the required claim "${error.claim}"`;
    if (error.claim === 'iss') return 'token issuer is not accepted';
    if (error.claim === 'aud') return 'token audience is not accepted';
    return 'token claims are invalid';
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported)
    return 'token algorithm is not accepted';
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
    return 'token signing key is unknown';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'token is malformed';
  return 'token is invalid';
}
