/**
 * The control plane's Ed25519 signing key. Generated once (first start) and kept in the database,
 * so every replica signs with the same key; the private key is never served. Messages are signed
 * over their canonical JSON without the `signature` member (docs/hybrid-protocol.md).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { canonicalJson, isSealed, sha256Hex } from '@gatehouse/core';
import { desc, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import { signingKeys } from '../db/schema.js';
import { secretBox } from '../secrets/keyring.js';
import { inTransaction } from '../services/tx.js';

// Serialises first-start key generation between replicas (see changes.ts for the namespace).
const SIGNING_KEY_LOCK = 4_770_003;

export interface Signature {
  alg: 'Ed25519';
  keyId: string;
  value: string;
}

export interface Signer {
  keyId: string;
  publicKeyPem: string;
  /** The message with its `signature` member added. */
  sign<T extends object>(message: T): T & { signature: Signature };
}

export function signerFrom(keyId: string, privateKey: KeyObject, publicKeyPem: string): Signer {
  return {
    keyId,
    publicKeyPem,
    sign(message) {
      const value = sign(null, Buffer.from(canonicalJson(message)), privateKey).toString('base64');
      return { ...message, signature: { alg: 'Ed25519', keyId, value } };
    },
  };
}

/** Loads the newest signing key, generating one if the database has none. */
export async function loadSigner(db: Database): Promise<Signer> {
  const row = await inTransaction(db, async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${SIGNING_KEY_LOCK})`);
    const [existing] = await tx.select().from(signingKeys).orderBy(desc(signingKeys.createdAt)).limit(1);
    if (existing && !isSealed(existing.privateKeyPem)) {
      // Stored before encryption at rest: encrypt it in place.
      const privateKeyPem = secretBox().seal(existing.privateKeyPem);
      await tx.update(signingKeys).set({ privateKeyPem }).where(eq(signingKeys.id, existing.id));
      return { ...existing, privateKeyPem };
    }
    if (existing) return existing;
    const pair = generateKeyPairSync('ed25519');
    const publicKeyPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const der = pair.publicKey.export({ type: 'spki', format: 'der' });
    const [created] = await tx
      .insert(signingKeys)
      .values({
        // A fingerprint, so a gateway pinning a key can tell a new one from the one it knows.
        id: `ed25519-${sha256Hex(der).slice(0, 16)}`,
        alg: 'Ed25519',
        publicKeyPem,
        // Encrypted at rest (secrets/keyring.ts); opened only to sign.
        privateKeyPem: secretBox().seal(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
      })
      .returning();
    return created!;
  });
  const privateKey = createPrivateKey(secretBox().open(row.privateKeyPem));
  // The stored public key must be the private key's: a mismatch would make every message unverifiable.
  const derived = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  if (derived !== row.publicKeyPem) throw new Error(`signing key ${row.id}: public key does not match private key`);
  return signerFrom(row.id, privateKey, row.publicKeyPem);
}
