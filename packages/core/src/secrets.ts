import crypto, { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Format of hashed API keys everywhere (config files, database, compiled documents). */
export const KEY_HASH_PREFIX = 'sha256:';

// crypto.hash (Node >= 20.12) skips the Hash object: several times faster for short inputs such as
// API keys hashed on every request.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string | Buffer, encoding: 'hex') => string }).hash;

export function sha256Hex(value: string | Buffer): string {
  if (oneShotHash) return oneShotHash('sha256', value, 'hex');
  return createHash('sha256').update(value).digest('hex');
}

/** `sha256:<hex>` of an API key: API keys are high-entropy, so a fast unsalted hash is the right index. */
export function hashApiKey(key: string): string {
  return KEY_HASH_PREFIX + sha256Hex(key);
}

export function generateSecret(prefix: string, bytes = 24): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
