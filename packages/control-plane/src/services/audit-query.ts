import { and, eq, type SQL } from 'drizzle-orm';
import type { EnvScope } from '../auth/context.js';
import { auditEvents } from '../db/schema.js';
import { keyset, type PageRequest } from '../http/pagination.js';
import { iso } from '../http/schemas.js';

export async function listAudit(
  scope: EnvScope,
  query: PageRequest & {
    entityType?: string | undefined;
    entityId?: string | undefined;
    actorId?: string | undefined;
    action?: string | undefined;
  },
) {
  const plan = keyset(query, { seq: { column: auditEvents.seq, kind: 'number' } }, auditEvents.id, '-seq');
  const filters: (SQL | undefined)[] = [
    eq(auditEvents.envId, scope.env.id),
    plan.where,
    query.entityType ? eq(auditEvents.entityType, query.entityType) : undefined,
    query.entityId ? eq(auditEvents.entityId, query.entityId) : undefined,
    query.actorId ? eq(auditEvents.actorId, query.actorId) : undefined,
    query.action ? eq(auditEvents.action, query.action) : undefined,
  ];
  const rows = await scope.db
    .select()
    .from(auditEvents)
    .where(and(...filters))
    .orderBy(...plan.orderBy)
    .limit(plan.limit);
  const page = plan.page(
    rows,
    (r) => r.seq,
    (r) => r.id,
  );
  return {
    items: page.items.map((r) => ({
      id: r.id,
      actor: { id: r.actorId, email: r.actorEmail },
      action: r.action,
      entityType: r.entityType,
      entityId: r.entityId,
      diff: r.diff,
      requestId: r.requestId,
      createdAt: iso(r.createdAt)!,
    })),
    nextCursor: page.nextCursor,
  };
}
