/**
 * API keys of a subscription. The key is returned once at creation and stored as `sha256:<hex>`,
 * the format compiled documents carry. Rotation issues a new key and lets the old one live on for
 * a grace period (its expiresAt), so clients can switch without downtime.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '@gatehouse/core';
import { and, eq, isNull } from 'drizzle-orm';
import type { EnvScope } from '../auth/context.js';
import { issueSecret } from '../auth/secrets.js';
import type { Database } from '../db/connect.js';
import { apiKeys } from '../db/schema.js';
import { keyset, type SortColumn } from '../http/pagination.js';
import { iso } from '../http/schemas.js';
import { invalid } from '../http/validation.js';
import { recordCredentialChange } from '../hybrid/changes.js';
import { recordAudit } from './audit.js';
import { findSubscription, type SubscriptionJoined } from './subscriptions.js';
import { inTransaction } from './tx.js';

type KeyRow = typeof apiKeys.$inferSelect;
export const MAX_KEYS_PER_SUBSCRIPTION = 100;
export const MAX_GRACE_MS = 30 * 86_400_000;

export function keyStatus(row: KeyRow, now = new Date()): 'active' | 'expiring' | 'expired' | 'revoked' {
  if (row.revokedAt) return 'revoked';
  if (row.expiresAt && row.expiresAt <= now) return 'expired';
  return row.expiresAt ? 'expiring' : 'active';
}

export function keyView(row: KeyRow) {
  return {
    id: row.id,
    prefix: row.prefix,
    status: keyStatus(row),
    expiresAt: iso(row.expiresAt),
    revokedAt: iso(row.revokedAt),
    replacedBy: row.replacedBy,
    createdAt: iso(row.createdAt)!,
  };
}

function requireKeyable(sub: SubscriptionJoined): void {
  if (sub.securityType !== 'api-key') {
    throw new GatewayError('conflict', {
      detail: `The plan's security is ${sub.securityType}; API keys are for api-key plans.`,
    });
  }
  if (sub.sub.status !== 'accepted' && sub.sub.status !== 'pending') {
    throw new GatewayError('conflict', { detail: `The subscription is ${sub.sub.status}.` });
  }
}

async function insertKey(tx: Database, scope: EnvScope, subscriptionId: string, expiresAt: Date | null) {
  const secret = issueSecret('apiKey');
  const [row] = await tx
    .insert(apiKeys)
    .values({
      id: randomUUID(),
      subscriptionId,
      keyHash: secret.hash,
      prefix: secret.prefix,
      expiresAt,
      createdBy: scope.actor.userId,
    })
    .returning();
  return { row: row!, key: secret.secret };
}

export async function createKey(scope: EnvScope, subscriptionId: string, input: { expiresAt?: string | undefined }) {
  const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
  if (expiresAt && expiresAt.getTime() <= Date.now()) throw invalid('body.expiresAt', 'must be in the future');
  return inTransaction(scope.db, async (tx) => {
    const sub = await findSubscription(scope, subscriptionId, tx);
    requireKeyable(sub);
    const live = await tx
      .select({ id: apiKeys.id })
      .from(apiKeys)
      .where(and(eq(apiKeys.subscriptionId, subscriptionId), isNull(apiKeys.revokedAt)))
      .limit(MAX_KEYS_PER_SUBSCRIPTION);
    if (live.length >= MAX_KEYS_PER_SUBSCRIPTION)
      throw new GatewayError('conflict', { detail: 'Too many live keys; revoke some first.' });
    const created = await insertKey(tx, scope, subscriptionId, expiresAt);
    await recordCredentialChange(tx, scope.env.id, sub.sub.applicationId);
    await recordAudit(tx, scope.actor, {
      envId: scope.env.id,
      action: 'apikey.create',
      entityType: 'apikey',
      entityId: created.row.id,
      after: { subscriptionId, ...keyView(created.row) },
    });
    return created;
  });
}

const KEY_SORTS: Record<string, SortColumn> = { createdAt: { column: apiKeys.createdAt, kind: 'date' } };

export async function listKeys(
  scope: EnvScope,
  subscriptionId: string,
  query: { limit?: number | undefined; cursor?: string | undefined; includeRevoked?: boolean | undefined },
) {
  await findSubscription(scope, subscriptionId);
  const plan = keyset(query, KEY_SORTS, apiKeys.id, '-createdAt');
  const rows = await scope.db
    .select()
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.subscriptionId, subscriptionId),
        query.includeRevoked ? undefined : isNull(apiKeys.revokedAt),
        plan.where,
      ),
    )
    .orderBy(...plan.orderBy)
    .limit(plan.limit);
  const page = plan.page(
    rows,
    (r) => r.createdAt,
    (r) => r.id,
  );
  return { items: page.items.map(keyView), nextCursor: page.nextCursor };
}

async function findKey(tx: Database, subscriptionId: string, keyId: string): Promise<KeyRow> {
  const [row] = await tx
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.subscriptionId, subscriptionId)))
    .limit(1);
  if (!row) throw new GatewayError('not_found', { detail: 'No such API key.' });
  return row;
}

export async function revokeKey(scope: EnvScope, subscriptionId: string, keyId: string) {
  await inTransaction(scope.db, async (tx) => {
    const sub = await findSubscription(scope, subscriptionId, tx);
    const current = await findKey(tx, subscriptionId, keyId);
    if (current.revokedAt) return; // idempotent
    const [row] = await tx.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, keyId)).returning();
    await recordCredentialChange(tx, scope.env.id, sub.sub.applicationId);
    await recordAudit(tx, scope.actor, {
      envId: scope.env.id,
      action: 'apikey.revoke',
      entityType: 'apikey',
      entityId: keyId,
      before: keyView(current),
      after: keyView(row!),
    });
  });
}

export async function rotateKey(scope: EnvScope, subscriptionId: string, keyId: string, graceMs: number) {
  if (graceMs > MAX_GRACE_MS) throw invalid('body.gracePeriod', 'must be at most 30d');
  return inTransaction(scope.db, async (tx) => {
    const sub = await findSubscription(scope, subscriptionId, tx);
    requireKeyable(sub);
    const current = await findKey(tx, subscriptionId, keyId);
    const status = keyStatus(current);
    if (status === 'revoked' || status === 'expired')
      throw new GatewayError('conflict', { detail: `The key is ${status}.` });
    const now = Date.now();
    const created = await insertKey(tx, scope, subscriptionId, null);
    // The old key keeps working until the end of the grace period (never longer than it already would).
    const graceEnd = new Date(now + graceMs);
    const expiresAt = current.expiresAt && current.expiresAt < graceEnd ? current.expiresAt : graceEnd;
    const [old] = await tx
      .update(apiKeys)
      .set(
        graceMs === 0
          ? { revokedAt: new Date(now), replacedBy: created.row.id }
          : { expiresAt, replacedBy: created.row.id },
      )
      .where(eq(apiKeys.id, keyId))
      .returning();
    await recordCredentialChange(tx, scope.env.id, sub.sub.applicationId);
    await recordAudit(tx, scope.actor, {
      envId: scope.env.id,
      action: 'apikey.rotate',
      entityType: 'apikey',
      entityId: keyId,
      before: keyView(current),
      after: { ...keyView(old!), newKeyId: created.row.id },
    });
    return { ...created, old: old! };
  });
}
