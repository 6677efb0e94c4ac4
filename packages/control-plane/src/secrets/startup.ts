/**
 * Which key encrypts this control plane's secrets, decided once at start:
 * GATEHOUSE_SECRET_KEY or GATEHOUSE_SECRET_KEY_FILE when set; otherwise, for the embedded database
 * only, a key file next to the data (created on first start, mode 0600). A database holding
 * encrypted secrets never starts without its key: a wrong key is caught when the signing key is
 * opened (hybrid/signing.ts), a missing one here.
 */
import { access } from 'node:fs/promises';
import {
  loadOrCreateKeyFile,
  loadSecretBox,
  SEALED_PREFIX,
  type SecretBox,
  SecretKeyError,
  type SecretKeySource,
} from '@gatehouse/core';
import { eq, like } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import { apis, deployments, plans, signingKeys } from '../db/schema.js';
import { definitionSecrets } from './fields.js';

export interface ResolvedSecretBox {
  box: SecretBox;
  /** Set when this start created the key file: the caller says so (losing it loses the secrets). */
  createdKeyFile?: string;
}

/** The signing key exists from the first start on, so it tells whether encrypted secrets exist. */
async function sealedSecretsExist(db: Database): Promise<boolean> {
  const rows = await db
    .select({ id: signingKeys.id })
    .from(signingKeys)
    .where(like(signingKeys.privateKeyPem, `${SEALED_PREFIX}%`))
    .limit(1);
  return rows.length > 0;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

export async function resolveSecretBox(
  db: Database,
  source: SecretKeySource,
  defaultKeyFile: string | undefined,
): Promise<ResolvedSecretBox> {
  const configured = await loadSecretBox(source);
  if (configured) return { box: configured };
  const sealed = await sealedSecretsExist(db);
  if (defaultKeyFile && (!sealed || (await exists(defaultKeyFile)))) {
    const { box, created } = await loadOrCreateKeyFile(defaultKeyFile);
    return created ? { box, createdKeyFile: defaultKeyFile } : { box };
  }
  if (sealed) {
    throw new SecretKeyError(
      `the database holds encrypted secrets but no key is configured${defaultKeyFile ? ` (${defaultKeyFile} is missing)` : ''}: set GATEHOUSE_SECRET_KEY or GATEHOUSE_SECRET_KEY_FILE to the key they were written with`,
    );
  }
  throw new SecretKeyError(
    'GATEHOUSE_SECRET_KEY (or GATEHOUSE_SECRET_KEY_FILE) is required with PostgreSQL: it encrypts secrets at rest. Generate one with `openssl rand -base64 32` and give every replica the same key.',
  );
}

/**
 * Encrypts secrets stored in clear by a version without encryption at rest (API and plan
 * definitions, deployed snapshots), once, at start; already sealed values are left as they are.
 * Returns how many rows changed.
 */
export async function sealStoredSecrets(db: Database, box: SecretBox): Promise<number> {
  const seal = <T>(value: T): T => definitionSecrets(value, (secret) => box.sealOnce(secret));
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  let changed = 0;
  for (const row of await db.select({ pk: apis.pk, policies: apis.policies, routes: apis.routes }).from(apis)) {
    const sealed = seal({ policies: row.policies, routes: row.routes });
    if (same(sealed, { policies: row.policies, routes: row.routes })) continue;
    await db.update(apis).set(sealed).where(eq(apis.pk, row.pk));
    changed++;
  }
  for (const row of await db
    .select({ pk: plans.pk, type: plans.securityType, config: plans.securityConfig, policies: plans.policies })
    .from(plans)) {
    const before = { security: { type: row.type, config: row.config }, policies: row.policies };
    const sealed = seal(before);
    if (same(sealed, before)) continue;
    await db
      .update(plans)
      .set({ securityConfig: sealed.security.config, policies: sealed.policies })
      .where(eq(plans.pk, row.pk));
    changed++;
  }
  for (const row of await db.select({ id: deployments.id, snapshot: deployments.snapshot }).from(deployments)) {
    const sealed = seal(row.snapshot);
    if (same(sealed, row.snapshot)) continue;
    await db.update(deployments).set({ snapshot: sealed }).where(eq(deployments.id, row.id));
    changed++;
  }
  return changed;
}
