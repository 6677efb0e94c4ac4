/**
 * Turns the jwt config into a verification key (or key resolver) and the list of accepted algorithms.
 * Algorithms are always pinned: a token never chooses how it is verified (no alg confusion).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from '@gatehouse/core';
import { parseDuration } from '@gatehouse/core';
import { createLocalJWKSet, type JSONWebKeySet, type JWK, type JWTVerifyGetKey } from 'jose';
import { isInlineMaterial } from './bearer.js';
import { JwksCache } from './jwks.js';
import { ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS, type JwtAlgorithm, type JwtConfig } from './schema.js';

export interface VerificationKey {
  key: KeyObject | Uint8Array | JWTVerifyGetKey;
  algorithms: JwtAlgorithm[];
  jwks?: JwksCache;
}

const MIN_HMAC_SECRET_BYTES = 32;

export function loadVerificationKey(
  config: JwtConfig,
  resolvePath: (path: string) => string,
  logger: Logger,
): VerificationKey {
  const sources = [config.secret ?? config.secretEnv, config.publicKey, config.jwksUrl].filter((s) => s !== undefined);
  if (config.secret !== undefined && config.secretEnv !== undefined)
    throw new Error('set either secret or secretEnv, not both');
  if (sources.length !== 1) throw new Error('set exactly one of secret (or secretEnv), publicKey, jwksUrl');

  if (config.secret !== undefined || config.secretEnv !== undefined) {
    const key = loadSecret(config);
    return { key, algorithms: pinAlgorithms(config.algorithms, HMAC_ALGORITHMS, 'a shared secret') };
  }
  if (config.jwksUrl !== undefined) {
    const jwks = new JwksCache({
      url: config.jwksUrl,
      maxAgeMs: parseDuration(config.jwks?.maxAge ?? '10m'),
      minRefreshIntervalMs: parseDuration(config.jwks?.minRefreshInterval ?? '30s'),
      timeoutMs: parseDuration(config.jwks?.timeout ?? '5s'),
      logger,
    });
    return { key: jwks.getKey, jwks, algorithms: pinAlgorithms(config.algorithms, ASYMMETRIC_ALGORITHMS, 'a JWK Set') };
  }
  const text = isInlineMaterial(config.publicKey!)
    ? config.publicKey!
    : readFileSync(resolvePath(config.publicKey!), 'utf8');
  return loadPublicKey(text, config.algorithms);
}

function loadSecret(config: JwtConfig): Uint8Array {
  let text = config.secret;
  if (config.secretEnv !== undefined) {
    text = process.env[config.secretEnv];
    if (!text) throw new Error(`secretEnv: environment variable ${config.secretEnv} is not set`);
  }
  const encoding = config.secretEncoding ?? 'utf8';
  const bytes = Buffer.from(text!, encoding);
  if (bytes.length < MIN_HMAC_SECRET_BYTES) {
    throw new Error(`secret: must be at least ${MIN_HMAC_SECRET_BYTES} bytes (${encoding}) for HMAC algorithms`);
  }
  return new Uint8Array(bytes);
}

function loadPublicKey(text: string, configured: readonly JwtAlgorithm[] | undefined): VerificationKey {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new Error('publicKey: not valid JSON (expected a JWK or a JWK Set)');
    }
    if (parsed !== null && typeof parsed === 'object' && Array.isArray((parsed as JSONWebKeySet).keys)) {
      const set = parsed as JSONWebKeySet;
      if (set.keys.some((k) => k.d !== undefined || k.kty === 'oct'))
        throw new Error('publicKey: the JWK Set must hold public keys only');
      return { key: createLocalJWKSet(set), algorithms: pinAlgorithms(configured, ASYMMETRIC_ALGORITHMS, 'a JWK Set') };
    }
    const jwk = parsed as JWK;
    if (jwk.d !== undefined || jwk.kty === 'oct')
      throw new Error('publicKey: must be a public JWK (use secret for HMAC keys)');
    return fromKeyObject(createKey({ key: jwk as never, format: 'jwk' }), configured);
  }
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(trimmed)) {
    throw new Error('publicKey: holds a private key; configure the public key or certificate only');
  }
  return fromKeyObject(createKey(trimmed), configured);
}

function createKey(input: Parameters<typeof createPublicKey>[0]): KeyObject {
  try {
    return createPublicKey(input);
  } catch {
    throw new Error('publicKey: not a readable PEM public key, certificate or JWK');
  }
}

const CURVE_ALGORITHM: Record<string, JwtAlgorithm> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };

function fromKeyObject(key: KeyObject, configured: readonly JwtAlgorithm[] | undefined): VerificationKey {
  let supported: readonly JwtAlgorithm[];
  switch (key.asymmetricKeyType) {
    case 'rsa':
      supported = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
      break;
    case 'rsa-pss':
      supported = ['PS256', 'PS384', 'PS512'];
      break;
    case 'ec': {
      const alg = CURVE_ALGORITHM[key.asymmetricKeyDetails?.namedCurve ?? ''];
      if (!alg) throw new Error(`publicKey: unsupported EC curve ${key.asymmetricKeyDetails?.namedCurve}`);
      supported = [alg];
      break;
    }
    case 'ed25519':
      supported = ['EdDSA', 'Ed25519'];
      break;
    case 'ed448':
      supported = ['EdDSA'];
      break;
    default:
      throw new Error(`publicKey: unsupported key type ${key.asymmetricKeyType}`);
  }
  return { key, algorithms: pinAlgorithms(configured, supported, `a ${key.asymmetricKeyType} key`) };
}

function pinAlgorithms(
  configured: readonly JwtAlgorithm[] | undefined,
  supported: readonly JwtAlgorithm[],
  keyKind: string,
): JwtAlgorithm[] {
  if (!configured || configured.length === 0) return [...supported];
  const wrong = configured.filter((alg) => !supported.includes(alg));
  if (wrong.length > 0) throw new Error(`algorithms: ${wrong.join(', ')} cannot be verified with ${keyKind}`);
  return [...configured];
}
