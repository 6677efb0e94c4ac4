/**
 * Persistence of the control plane's signing keys: the only code that reads or writes the private
 * part, so how it is kept at rest is decided here alone.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { isSealed } from '@gatehouse/core';
import { desc, eq, isNull } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import { signingKeys } from '../db/schema.js';
import { secretBox } from '../secrets/keyring.js';

export interface StoredSigningKey {
  id: string;
  publicKeyPem: string;
  privateKey: KeyObject;
  createdAt: Date;
  /** Set when a rotation replaced it: it keeps signing alongside the new key until then. */
  retiresAt: Date | null;
}

/** Every key, newest first (retired ones included: they are kept for the audit trail). */
export async function readSigningKeys(db: Database): Promise<StoredSigningKey[]> {
  const rows = await db.select().from(signingKeys).orderBy(desc(signingKeys.createdAt), desc(signingKeys.id));
  return rows.map((row) => ({
    id: row.id,
    publicKeyPem: row.publicKeyPem,
    // Encrypted at rest (secrets/keyring.ts); opened only here, to sign.
    privateKey: createPrivateKey(isSealed(row.privateKeyPem) ? secretBox().open(row.privateKeyPem) : row.privateKeyPem),
    createdAt: row.createdAt,
    retiresAt: row.retiresAt,
  }));
}

export async function insertSigningKey(
  db: Database,
  key: { id: string; publicKeyPem: string; privateKey: KeyObject },
): Promise<void> {
  await db.insert(signingKeys).values({
    id: key.id,
    alg: 'Ed25519',
    publicKeyPem: key.publicKeyPem,
    privateKeyPem: secretBox().seal(key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
  });
}

/** Encrypts in place the keys stored before encryption at rest existed. */
export async function sealPlaintextSigningKeys(db: Database): Promise<void> {
  for (const row of await db.select().from(signingKeys)) {
    if (isSealed(row.privateKeyPem)) continue;
    const privateKeyPem = secretBox().seal(row.privateKeyPem);
    await db.update(signingKeys).set({ privateKeyPem }).where(eq(signingKeys.id, row.id));
  }
}

/** Sets the retirement time of every key not yet scheduled to retire. */
export async function scheduleRetirement(db: Database, at: Date): Promise<void> {
  await db.update(signingKeys).set({ retiresAt: at }).where(isNull(signingKeys.retiresAt));
}

export async function setRetirement(db: Database, id: string, at: Date): Promise<void> {
  await db.update(signingKeys).set({ retiresAt: at }).where(eq(signingKeys.id, id));
}
