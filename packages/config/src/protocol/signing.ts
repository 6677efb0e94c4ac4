/**
 * The one implementation of message signing (control plane), verification and key-rotation
 * following (gateway). Ed25519 over the canonical bytes: the message without its `signatures`
 * member, keys sorted recursively (canonicalJson), so unknown members are covered too.
 *
 * Protocol 3: a snapshot's `document` and a delta's `applications` (the part every gateway at a
 * version shares) are left out of the signed bytes; the message carries `digest`, the sha256 of
 * their canonical JSON, which is signed. The control plane hashes a shared part once per version and
 * signs a few hundred bytes per gateway; the gateway checks the digest of what it received, then
 * the signature. `protocol` is inside the signed bytes of both versions, so a signature made for one
 * version never verifies as the other.
 *
 * Protocol 4's `definition` message has two shared parts, each with its digest: `definition` (one
 * per shard and version, hashed once) and `applications` (one per cursor, hashed once).
 */
import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { canonicalJson } from '@gatehouse/core';
import type { MessageSignature, PublishedKey, SyncMessage, UnsignedMessage } from './messages.js';

export interface SigningKey {
  keyId: string;
  privateKey: KeyObject;
}

/** `ed25519-<first 16 hex of sha256(SPKI DER)>`: derivable from the public key alone. */
export function keyIdOf(publicKey: KeyObject | string): string {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  const der = key.export({ type: 'spki', format: 'der' });
  return `ed25519-${createHash('sha256').update(der).digest('hex').slice(0, 16)}`;
}

/** The member a protocol 3 message leaves out of its signed bytes (covered by `digest`), if any. */
export function sharedPart(message: { protocol?: unknown; kind?: unknown }): 'document' | 'applications' | undefined {
  if (typeof message.protocol !== 'number' || message.protocol < 3) return undefined;
  if (message.kind === 'snapshot') return 'document';
  if (message.kind === 'delta') return 'applications';
  return undefined;
}

/** Every member left out of the signed bytes, with the member holding its digest (protocol 3 and later). */
export function sharedParts(message: { protocol?: unknown; kind?: unknown }): Array<[part: string, digest: string]> {
  if (typeof message.protocol !== 'number' || message.protocol < 3) return [];
  if (message.kind === 'definition')
    return [
      ['definition', 'definitionDigest'],
      ['applications', 'digest'],
    ];
  const part = sharedPart(message);
  return part ? [[part, 'digest']] : [];
}

/** `sha256:<hex>` of bytes (the canonical JSON of a shared part). */
export function digestOf(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** What the signatures cover: protocol 2, the whole message; protocol 3, the envelope without the shared part. */
export function canonicalBytes(message: object): Buffer {
  const { signatures: _signatures, ...rest } = message as Record<string, unknown>;
  for (const [part] of sharedParts(rest)) delete rest[part];
  return Buffer.from(canonicalJson(rest));
}

/**
 * The message with one signature per key (during a rotation overlap: the current and the previous).
 * A protocol 3 message gets its `digest` here.
 */
export function signMessage<M extends SyncMessage>(message: UnsignedMessage<M>, keys: readonly SigningKey[]): M {
  const withDigest: Record<string, unknown> = { ...message };
  for (const [part, digestMember] of sharedParts(message))
    withDigest[digestMember] = digestOf(canonicalJson((message as Record<string, unknown>)[part]));
  return { ...withDigest, signatures: signBytes(canonicalBytes(withDigest), keys) } as unknown as M;
}

/**
 * The signatures over canonical bytes built by the caller (a control plane that splices a shared,
 * already canonical document into each gateway's message must produce exactly canonicalBytes()).
 */
export function signBytes(bytes: Buffer, keys: readonly SigningKey[]): MessageSignature[] {
  if (keys.length === 0) throw new Error('signMessage: no signing key');
  return keys.map((k) => ({
    alg: 'Ed25519',
    keyId: k.keyId,
    value: sign(null, bytes, k.privateKey).toString('base64'),
  }));
}

export interface TrustedKey {
  keyId: string;
  publicKeyPem: string;
  key: KeyObject;
  /** Epoch ms after which this key's signatures are refused (a retired key). */
  notAfter?: number;
}

/** The keys a gateway accepts signatures from, by key id. */
export type KeyRing = ReadonlyMap<string, TrustedKey>;

export function trustedKey(publicKeyPem: string, notAfter?: number): TrustedKey {
  const key = createPublicKey(publicKeyPem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('the control-plane public key must be an Ed25519 key');
  return { keyId: keyIdOf(key), publicKeyPem, key, ...(notAfter === undefined ? {} : { notAfter }) };
}

export function keyRing(keys: Iterable<TrustedKey>): KeyRing {
  return new Map([...keys].map((k) => [k.keyId, k]));
}

export type Verification = { ok: true; keyId: string } | { ok: false; reason: string };

/** Valid when one signature is by a key of the ring that has not retired and verifies. */
export function verifyMessage(message: SyncMessage, ring: KeyRing, now = Date.now()): Verification {
  for (const [part, digestMember] of sharedParts(message)) {
    // The digest first: a valid envelope says nothing about a part that is not the one it names.
    const claimed = (message as unknown as Record<string, unknown>)[digestMember];
    if (typeof claimed !== 'string')
      return { ok: false, reason: `protocol ${message.protocol} ${message.kind} without ${digestMember}` };
    const received = digestOf(canonicalJson((message as unknown as Record<string, unknown>)[part]));
    if (received !== claimed)
      return { ok: false, reason: `the ${part} received does not match the signed digest (tampered or mixed up)` };
  }
  const bytes = canonicalBytes(message);
  let invalid: string | undefined;
  for (const signature of message.signatures) {
    const trusted = ring.get(signature.keyId);
    if (!trusted) continue;
    if (trusted.notAfter !== undefined && now > trusted.notAfter) {
      invalid = `signed by key "${signature.keyId}", retired at ${new Date(trusted.notAfter).toISOString()}`;
      continue;
    }
    if (verify(null, bytes, trusted.key, Buffer.from(signature.value, 'base64')))
      return { ok: true, keyId: trusted.keyId };
    invalid = `invalid signature by key "${signature.keyId}"`;
  }
  if (invalid) return { ok: false, reason: invalid };
  const by = message.signatures.map((s) => `"${s.keyId}"`).join(', ');
  const trusts = [...ring.keys()].map((k) => `"${k}"`).join(', ') || 'no key';
  return { ok: false, reason: `signed by ${by}, but this gateway trusts ${trusts}` };
}

/**
 * The ring after a verified message: the keys it publishes replace the ring (a rotation is followed:
 * the new key joins, a retired one leaves). Called only with a message a trusted key verified, so
 * the new keys are vouched for by a key already trusted. Without `keys` (an older control plane)
 * the ring stays. Keys whose key id does not match their public key are ignored.
 */
export function followKeys(ring: KeyRing, published: readonly PublishedKey[] | undefined): KeyRing {
  if (!published || published.length === 0) return ring;
  const next = new Map<string, TrustedKey>();
  for (const entry of published) {
    let key: TrustedKey;
    try {
      key = trustedKey(entry.publicKeyPem, entry.notAfter === undefined ? undefined : Date.parse(entry.notAfter));
    } catch {
      continue;
    }
    if (key.keyId === entry.keyId) next.set(key.keyId, key);
  }
  return next.size > 0 ? next : ring;
}

export function sameRing(a: KeyRing, b: KeyRing): boolean {
  if (a.size !== b.size) return false;
  for (const [id, key] of a) if (b.get(id)?.notAfter !== key.notAfter) return false;
  return true;
}

export function publishedKeys(ring: KeyRing): PublishedKey[] {
  return [...ring.values()].map((k) => ({
    keyId: k.keyId,
    alg: 'Ed25519' as const,
    publicKeyPem: k.publicKeyPem,
    ...(k.notAfter === undefined ? {} : { notAfter: new Date(k.notAfter).toISOString() }),
  }));
}
