/**
 * The control plane's Ed25519 signing keys. Generated at first start and kept in the database so
 * every replica signs alike; private keys are never served. A rotation adds a key that signs at
 * once, and schedules the keys before it to retire after an overlap during which they sign too:
 * a gateway that trusts only the old key verifies the old key's signature and learns the new key
 * from the message's `keys` (docs/hybrid-protocol.md, "Signing-key rotation").
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import {
  keyIdOf,
  type MessageBody,
  type PublishedKey,
  type SigningKey,
  type SyncMessage,
  signMessage,
  type UnsignedMessage,
} from '@gatehouse/config';
import { sql } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import { inTransaction } from '../services/tx.js';
import {
  insertSigningKey,
  readSigningKeys,
  type StoredSigningKey,
  scheduleRetirement,
  sealPlaintextSigningKeys,
  setRetirement,
} from './signing-key-store.js';

// Serialises key generation and rotation between replicas (see changes.ts for the namespace).
const SIGNING_KEY_LOCK = 4_770_003;
/** Other replicas pick up a rotation within this time (and the signer sees retirements on time). */
const RELOAD_EVERY_MS = 30_000;
export const MAX_ROTATION_OVERLAP_MS = 30 * 86_400_000;
/** Previous keys still signing after a rotation: older ones retire at once (messages stay small, gateways' key lists bounded). */
const MAX_PREVIOUS_KEYS = 2;

export interface SigningKeyView {
  keyId: string;
  alg: 'Ed25519';
  publicKeyPem: string;
  createdAt: string;
  status: 'current' | 'previous' | 'retired';
  retiresAt: string | null;
}

export class Signer {
  private keys: StoredSigningKey[] = [];
  private loadedAt = 0;

  constructor(private readonly db: Database) {}

  /** Loads the keys, generating the first one if the database has none. */
  async init(): Promise<this> {
    await inTransaction(this.db, async (tx) => {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${SIGNING_KEY_LOCK})`);
      await sealPlaintextSigningKeys(tx);
      if ((await readSigningKeys(tx)).length === 0) await insertSigningKey(tx, newKey());
    });
    await this.reload();
    return this;
  }

  /** The message with `keys` published and signed by every active key. */
  async seal(message: MessageBody): Promise<SyncMessage> {
    const active = await this.active();
    const signing: SigningKey[] = active.map((k) => ({ keyId: k.id, privateKey: k.privateKey }));
    return signMessage({ ...message, keys: published(active) } as UnsignedMessage, signing);
  }

  /** What seal() signs with: the keys published in the message, and the private keys. */
  async sealingKeys(): Promise<{ published: PublishedKey[]; signing: SigningKey[] }> {
    const active = await this.active();
    return { published: published(active), signing: active.map((k) => ({ keyId: k.id, privateKey: k.privateKey })) };
  }

  /** The current key and every key still signing (the current one first). */
  async publishedKeys(): Promise<PublishedKey[]> {
    return published(await this.active());
  }

  async list(): Promise<SigningKeyView[]> {
    await this.reload();
    const now = Date.now();
    const current = this.keys.find((k) => k.retiresAt === null);
    return this.keys.map((k) => ({
      keyId: k.id,
      alg: 'Ed25519' as const,
      publicKeyPem: k.publicKeyPem,
      createdAt: k.createdAt.toISOString(),
      status: k === current ? 'current' : k.retiresAt && k.retiresAt.getTime() > now ? 'previous' : 'retired',
      retiresAt: k.retiresAt?.toISOString() ?? null,
    }));
  }

  /** A new current key; the keys before it keep signing for `overlapMs`, then retire. */
  async rotate(overlapMs: number): Promise<SigningKeyView[]> {
    await inTransaction(this.db, async (tx) => {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${SIGNING_KEY_LOCK})`);
      const now = Date.now();
      // A key already retiring sooner keeps its earlier time.
      await scheduleRetirement(tx, new Date(now + overlapMs));
      const stillSigning = (await readSigningKeys(tx)).filter((k) => k.retiresAt && k.retiresAt.getTime() > now);
      for (const key of stillSigning.slice(MAX_PREVIOUS_KEYS)) await setRetirement(tx, key.id, new Date(now));
      await insertSigningKey(tx, newKey());
    });
    return this.list();
  }

  private async active(): Promise<StoredSigningKey[]> {
    if (Date.now() - this.loadedAt > RELOAD_EVERY_MS) await this.reload();
    const now = Date.now();
    const active = this.keys.filter((k) => k.retiresAt === null || k.retiresAt.getTime() > now);
    if (active.length === 0) throw new Error('no active signing key');
    return active;
  }

  private async reload(): Promise<void> {
    const keys = await readSigningKeys(this.db);
    for (const key of keys) {
      // A stored public key that is not the private key's would make every message unverifiable.
      const derived = createPublicKey(key.privateKey).export({ type: 'spki', format: 'pem' }).toString();
      if (derived !== key.publicKeyPem) throw new Error(`signing key ${key.id}: public key does not match private key`);
    }
    // Current (never scheduled to retire) first, then the previous ones, newest first.
    this.keys = [...keys.filter((k) => k.retiresAt === null), ...keys.filter((k) => k.retiresAt !== null)];
    this.loadedAt = Date.now();
  }
}

function newKey() {
  const pair = generateKeyPairSync('ed25519');
  return {
    id: keyIdOf(pair.publicKey),
    publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKey: pair.privateKey,
  };
}

function published(keys: StoredSigningKey[]): PublishedKey[] {
  return keys.map((k) => ({
    keyId: k.id,
    alg: 'Ed25519' as const,
    publicKeyPem: k.publicKeyPem,
    ...(k.retiresAt ? { notAfter: k.retiresAt.toISOString() } : {}),
  }));
}

export async function loadSigner(db: Database): Promise<Signer> {
  return new Signer(db).init();
}
