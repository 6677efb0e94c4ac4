import { randomUUID } from 'node:crypto';
import { GatewayError } from '@gatehouse/core';
import { and, eq, type SQL } from 'drizzle-orm';
import type { EnvScope } from '../auth/context.js';
import { issueSecret } from '../auth/secrets.js';
import { gateways } from '../db/schema.js';
import { isUniqueViolation } from '../http/errors.js';
import type { IfMatch } from '../http/etag.js';
import { keyset, type PageRequest } from '../http/pagination.js';
import { iso } from '../http/schemas.js';
import { recordAudit } from './audit.js';
import { inTransaction } from './tx.js';

type GatewayRow = typeof gateways.$inferSelect;

export function gatewayView(row: GatewayRow) {
  return {
    id: row.id,
    name: row.name,
    tags: row.tags,
    tokenPrefix: row.tokenPrefix,
    // Live status arrives with hybrid mode (gateways polling the control plane).
    status: row.lastSeenAt ? ('seen' as const) : ('never-seen' as const),
    lastSeenAt: iso(row.lastSeenAt),
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
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
        after: gatewayView(row!),
      });
      return { row: row!, token: secret.secret };
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new GatewayError('conflict', { detail: `A gateway named "${input.name}" exists.` });
    throw error;
  }
}

export async function findGateway(scope: EnvScope, id: string): Promise<GatewayRow> {
  const [row] = await scope.db
    .select()
    .from(gateways)
    .where(and(eq(gateways.id, id), eq(gateways.envId, scope.env.id)))
    .limit(1);
  if (!row) throw new GatewayError('not_found', { detail: 'No such gateway.' });
  return row;
}

export async function listGateways(scope: EnvScope, query: PageRequest) {
  const plan = keyset(query, { name: { column: gateways.name, kind: 'text' } }, gateways.id, 'name');
  const filters: (SQL | undefined)[] = [eq(gateways.envId, scope.env.id), plan.where];
  const rows = await scope.db
    .select()
    .from(gateways)
    .where(and(...filters))
    .orderBy(...plan.orderBy)
    .limit(plan.limit);
  const page = plan.page(
    rows,
    (r) => r.name,
    (r) => r.id,
  );
  return { items: page.items.map(gatewayView), nextCursor: page.nextCursor };
}

export async function deleteGateway(scope: EnvScope, id: string, ifMatch: IfMatch) {
  await inTransaction(scope.db, async (tx) => {
    const current = await findGateway({ ...scope, db: tx }, id);
    ifMatch(current.id, current.rowVersion);
    await tx.delete(gateways).where(eq(gateways.id, id));
    await recordAudit(tx, scope.actor, {
      envId: scope.env.id,
      action: 'gateway.delete',
      entityType: 'gateway',
      entityId: id,
      before: gatewayView(current),
    });
  });
}
