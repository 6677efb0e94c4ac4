import { randomUUID } from 'node:crypto';
import { GatewayError } from '@gatehouse/core';
import { and, eq, type SQL } from 'drizzle-orm';
import type { EnvScope } from '../auth/context.js';
import { issueSecret } from '../auth/secrets.js';
import type { Database } from '../db/connect.js';
import { gatewayHeartbeats, gateways } from '../db/schema.js';
import { isUniqueViolation } from '../http/errors.js';
import type { IfMatch } from '../http/etag.js';
import { keyset, type PageRequest } from '../http/pagination.js';
import { iso } from '../http/schemas.js';
import { changeBus } from '../hybrid/events.js';
import { recordAudit } from './audit.js';
import { inTransaction, onCommit } from './tx.js';

type GatewayRow = typeof gateways.$inferSelect;
type HeartbeatRow = typeof gatewayHeartbeats.$inferSelect;

export const GATEWAY_STATUSES = ['online', 'stale', 'offline', 'never-seen', 'revoked'] as const;
export type GatewayStatus = (typeof GATEWAY_STATUSES)[number];
export const MAX_TOKEN_GRACE_MS = 7 * 86_400_000;

/** Online within 1.5 heartbeat intervals, stale up to two missed heartbeats (3 intervals), then offline. */
export function gatewayStatus(
  row: Pick<GatewayRow, 'revokedAt'>,
  lastHeartbeatAt: Date | null | undefined,
  intervalMs: number,
  now = new Date(),
): GatewayStatus {
  if (row.revokedAt) return 'revoked';
  if (!lastHeartbeatAt) return 'never-seen';
  const elapsed = now.getTime() - lastHeartbeatAt.getTime();
  if (elapsed <= 1.5 * intervalMs) return 'online';
  if (elapsed <= 3 * intervalMs) return 'stale';
  return 'offline';
}

export function gatewayView(row: GatewayRow, hb: HeartbeatRow | null, intervalMs: number, now = new Date()) {
  return {
    id: row.id,
    name: row.name,
    tags: row.tags,
    tokenPrefix: row.tokenPrefix,
    status: gatewayStatus(row, hb?.receivedAt, intervalMs, now),
    lastSeenAt: iso(row.lastSeenAt),
    lastHeartbeatAt: iso(hb?.receivedAt),
    version: hb?.version ?? null,
    hostname: hb?.hostname ?? null,
    instanceId: hb?.instanceId ?? null,
    configVersion: hb?.configVersion ?? null,
    cursor: hb?.cursor ?? null,
    appliedRevisions: Object.fromEntries(Object.entries(hb?.applied ?? {}).map(([api, a]) => [api, a.revision])),
    uptimeSeconds: hb?.uptimeSeconds ?? null,
    requests: hb?.requests ?? null,
    backup: hb?.backup ?? null,
    capabilities: hb?.capabilities ?? null,
    errors: hb?.errors ?? [],
    previousTokenExpiresAt: row.previousTokenHash ? iso(row.previousTokenExpiresAt) : null,
    revokedAt: iso(row.revokedAt),
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
  };
}

/** What the audit trail keeps of a gateway: identity and token metadata, never the token. */
function auditView(row: GatewayRow) {
  return {
    id: row.id,
    name: row.name,
    tags: row.tags,
    tokenPrefix: row.tokenPrefix,
    revokedAt: iso(row.revokedAt),
    previousTokenExpiresAt: iso(row.previousTokenExpiresAt),
  };
}

export async function registerGateway(scope: EnvScope, input: { name: string; tags?: string[] | undefined }) {
  const secret = issueSecret('gateway');
  try {
    return await inTransaction(scope.db, async (tx) => {
      const [row] = await tx
        .insert(gateways)
        .values({
          id: randomUUID(),
          envId: scope.env.id,
          name: input.name,
          tags: input.tags ?? [],
          tokenHash: secret.hash,
          tokenPrefix: secret.prefix,
        })
        .returning();
      await recordAudit(tx, scope.actor, {
        envId: scope.env.id,
        action: 'gateway.register',
        entityType: 'gateway',
        entityId: row!.id,
        after: auditView(row!),
      });
      return { row: row!, token: secret.secret };
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new GatewayError('conflict', { detail: `A gateway named "${input.name}" exists.` });
    throw error;
  }
}

export async function findGateway(scope: EnvScope, id: string, db: Database = scope.db) {
  const [found] = await db
    .select({ row: gateways, hb: gatewayHeartbeats })
    .from(gateways)
    .leftJoin(gatewayHeartbeats, eq(gatewayHeartbeats.gatewayId, gateways.id))
    .where(and(eq(gateways.id, id), eq(gateways.envId, scope.env.id)))
    .limit(1);
  if (!found) throw new GatewayError('not_found', { detail: 'No such gateway.' });
  return found;
}

export async function listGateways(scope: EnvScope, query: PageRequest, intervalMs: number) {
  const plan = keyset(query, { name: { column: gateways.name, kind: 'text' } }, gateways.id, 'name');
  const filters: (SQL | undefined)[] = [eq(gateways.envId, scope.env.id), plan.where];
  const rows = await scope.db
    .select({ row: gateways, hb: gatewayHeartbeats })
    .from(gateways)
    .leftJoin(gatewayHeartbeats, eq(gatewayHeartbeats.gatewayId, gateways.id))
    .where(and(...filters))
    .orderBy(...plan.orderBy)
    .limit(plan.limit);
  const page = plan.page(
    rows,
    (r) => r.row.name,
    (r) => r.row.id,
  );
  const now = new Date();
  return { items: page.items.map((r) => gatewayView(r.row, r.hb, intervalMs, now)), nextCursor: page.nextCursor };
}

/**
 * Issues a new token. The old one keeps working for `graceMs` (0: stops at once), so a fleet can
 * be re-tokened without downtime. Rotating twice ends the first token's grace.
 */
export async function rotateGatewayToken(scope: EnvScope, id: string, graceMs: number, ifMatch: IfMatch) {
  if (graceMs > MAX_TOKEN_GRACE_MS)
    throw new GatewayError('validation_failed', {
      detail: 'body.gracePeriod must be at most 7d',
      errors: [{ path: 'body.gracePeriod', message: 'must be at most 7d' }],
    });
  const secret = issueSecret('gateway');
  return inTransaction(scope.db, async (tx) => {
    const { row: current } = await findGateway(scope, id, tx);
    ifMatch(current.id, current.rowVersion);
    if (current.revokedAt)
      throw new GatewayError('conflict', { detail: 'The gateway is revoked; register a new one.' });
    const [row] = await tx
      .update(gateways)
      .set({
        tokenHash: secret.hash,
        tokenPrefix: secret.prefix,
        previousTokenHash: graceMs > 0 ? current.tokenHash : null,
        previousTokenExpiresAt: graceMs > 0 ? new Date(Date.now() + graceMs) : null,
        rowVersion: current.rowVersion + 1,
        updatedAt: new Date(),
      })
      .where(eq(gateways.id, id))
      .returning();
    await recordAudit(tx, scope.actor, {
      envId: scope.env.id,
      action: 'gateway.rotate-token',
      entityType: 'gateway',
      entityId: id,
      before: auditView(current),
      after: auditView(row!),
    });
    // Token caches of every replica drop this gateway (its older tokens may have stopped working).
    onCommit(tx, (root) => changeBus(root).publish(scope.env.id, { type: 'gateway-changed', gatewayId: id }));
    return { row: row!, token: secret.secret };
  });
}

/** Revokes the gateway's tokens at once (its next call answers 401); the record stays for history. */
export async function revokeGateway(scope: EnvScope, id: string, ifMatch: IfMatch) {
  return inTransaction(scope.db, async (tx) => {
    const { row: current } = await findGateway(scope, id, tx);
    ifMatch(current.id, current.rowVersion);
    if (current.revokedAt) return current;
    const [row] = await tx
      .update(gateways)
      .set({
        revokedAt: new Date(),
        previousTokenHash: null,
        previousTokenExpiresAt: null,
        rowVersion: current.rowVersion + 1,
        updatedAt: new Date(),
      })
      .where(eq(gateways.id, id))
      .returning();
    await recordAudit(tx, scope.actor, {
      envId: scope.env.id,
      action: 'gateway.revoke',
      entityType: 'gateway',
      entityId: id,
      before: auditView(current),
      after: auditView(row!),
    });
    onCommit(tx, (root) => changeBus(root).publish(scope.env.id, { type: 'gateway-revoked', gatewayId: id }));
    return row!;
  });
}

export async function deleteGateway(scope: EnvScope, id: string, ifMatch: IfMatch) {
  await inTransaction(scope.db, async (tx) => {
    const { row: current } = await findGateway(scope, id, tx);
    ifMatch(current.id, current.rowVersion);
    await tx.delete(gateways).where(eq(gateways.id, id));
    await recordAudit(tx, scope.actor, {
      envId: scope.env.id,
      action: 'gateway.delete',
      entityType: 'gateway',
      entityId: id,
      before: auditView(current),
    });
    onCommit(tx, (root) => changeBus(root).publish(scope.env.id, { type: 'gateway-revoked', gatewayId: id }));
  });
}
