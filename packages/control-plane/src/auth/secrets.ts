/**
 * Every bearer secret the control plane issues: random, shown once, stored as sha256 only.
 * A typed prefix tells a leaked string's kind at a glance (and lets secret scanners find it).
 */
import { generateSecret, hashApiKey, sha256Hex } from '@gatehouse/core';

export const SECRET_PREFIX = {
  session: 'ghs',
  pat: 'ghp',
  gateway: 'ghg',
  apiKey: 'ghk',
  // One-time tokens mailed by the portal (e-mail verification, password reset, invitations).
  mail: 'ghm',
} as const;

export interface IssuedSecret {
  secret: string;
  hash: string;
  /** First characters, safe to show in lists so users can tell their secrets apart. */
  prefix: string;
}

export function issueSecret(kind: keyof typeof SECRET_PREFIX): IssuedSecret {
  const secret = generateSecret(SECRET_PREFIX[kind], 32);
  // API keys use the gateway's `sha256:<hex>` format so compiled documents carry the stored hash as is.
  const hash = kind === 'apiKey' ? hashApiKey(secret) : sha256Hex(secret);
  return { secret, hash, prefix: secret.slice(0, 12) };
}

export function hashToken(secret: string): string {
  return sha256Hex(secret);
}
