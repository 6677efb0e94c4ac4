import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { canonicalJson } from '@gatehouse/core';
import type { SignedMessage } from './messages.js';

/** The control-plane key a gateway trusts. `keyId` is absent when pinned by PEM alone. */
export interface TrustedKey {
  keyId: string | undefined;
  publicKeyPem: string;
  key: KeyObject;
}

export function trustedKey(publicKeyPem: string, keyId?: string): TrustedKey {
  const key = createPublicKey(publicKeyPem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('the control-plane public key must be an Ed25519 key');
  return { keyId, publicKeyPem, key };
}

/** The bytes both planes sign: the message without its `signature` member, keys sorted. */
export function signedBytes(message: object): Buffer {
  const { signature: _signature, ...rest } = message as Record<string, unknown>;
  return Buffer.from(canonicalJson(rest));
}

/** Undefined when the signature is valid; otherwise why it is refused. */
export function verifyMessage(message: SignedMessage, trusted: TrustedKey): string | undefined {
  const { signature } = message;
  if (trusted.keyId !== undefined && signature.keyId !== trusted.keyId)
    return `signed by key "${signature.keyId}", but this gateway trusts "${trusted.keyId}"`;
  const valid = verify(null, signedBytes(message), trusted.key, Buffer.from(signature.value, 'base64'));
  return valid ? undefined : 'invalid signature';
}
