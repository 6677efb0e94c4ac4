import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Format of hashed API keys everywhere (config files, database, compiled documents). */
export const KEY_HASH_PREFIX = 'sha256:';

export function sha256Hex(value: string | Buffer): string {
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
