import { randomUUID } from 'node:crypto';
import { GatewayError } from '@gatehouse/core';
import { and, eq, ilike, inArray, type SQL } from 'drizzle-orm';
import { type EnvScope, ownOnly } from '../auth/context.js';
import type { Database } from '../db/connect.js';
import { applications, subscriptions } from '../db/schema.js';
import { isUniqueViolation } from '../http/errors.js';
import type { IfMatch } from '../http/etag.js';
import { keyset, type PageRequest } from '../http/pagination.js';
import { iso } from '../http/schemas.js';
import { recordCredentialChange } from '../hybrid/changes.js';
import { stripUndefined } from './apis.js';
import { recordAudit } from './audit.js';
import { inTransaction } from './tx.js';
import { escapeLike } from './users.js';

export type ApplicationRow = typeof applications.$inferSelect;

export function applicationView(row: ApplicationRow) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    ownerId: row.ownerId,
    clientId: row.clientId,
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
  };
}

function ownership(scope: EnvScope): SQL | undefined {
  const owner = ownOnly(scope);
  return owner ? eq(applications.ownerId, owner) : undefined;
}

/** An application of this environment the caller may act on; another consumer's is 404. */
export async function findApplication(scope: EnvScope, id: string, db: Database = scope.db): Promise<ApplicationRow> {
  const [row] = await db
    .select()
    .from(applications)
    .where(and(eq(applications.id, id), eq(applications.envId, scope.env.id), ownership(scope)))
    .limit(1);
  if (!row) throw new GatewayError('not_found', { detail: 'No such application.' });
  return row;
}

export async function listApplications(
  scope: EnvScope,
  query: PageRequest & { q?: string | undefined; ownerId?: string | undefined },
) {
  const plan = keyset(
    query,
    { name: { column: applications.name, kind: 'text' }, createdAt: { column: applications.createdAt, kind: 'date' } },
    applications.id,
    'name',
  );
  const rows = await scope.db
    .select()
    .from(applications)
    .where(
      and(
        eq(applications.envId, scope.env.id),
        ownership(scope),
        plan.where,
        query.q ? ilike(applications.name, `%${escapeLike(query.q)}%`) : undefined,
        query.ownerId ? eq(applications.ownerId, query.ownerId) : undefined,
      ),
    )
    .orderBy(...plan.orderBy)
    .limit(plan.limit);
  const byName = (query.sort ?? 'name').replace('-', '') === 'name';
  const page = plan.page(
    rows,
    (r) => (byName ? r.name : r.createdAt),
    (r) => r.id,
  );
  return { items: page.items.map(applicationView), nextCursor: page.nextCursor };
}

const clientIdTaken = () =>
  new GatewayError('conflict', { detail: 'Another application of this environment has this clientId.' });

export async function createApplication(
  scope: EnvScope,
  input: { name: string; description?: string | undefined; clientId?: string | undefined },
) {
  try {
    return await inTransaction(scope.db, async (tx) => {
      const [row] = await tx
        .insert(applications)
        .values({
          id: randomUUID(),
          envId: scope.env.id,
          name: input.name,
          description: input.description ?? null,
          // Ownership comes from the credentials, never from the request body.
          ownerId: scope.actor.userId,
          clientId: input.clientId ?? null,
        })
        .returning();
      await recordAudit(tx, scope.actor, {
        envId: scope.env.id,
        action: 'application.create',
        entityType: 'application',
        entityId: row!.id,
        after: applicationView(row!),
      });
      return row!;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw clientIdTaken();
    throw error;
  }
}

export async function updateApplication(
  scope: EnvScope,
  id: string,
  ifMatch: IfMatch,
  patch: { name?: string | undefined; description?: string | null | undefined; clientId?: string | null | undefined },
) {
  try {
    return await inTransaction(scope.db, async (tx) => {
      const current = await findApplication(scope, id, tx);
      ifMatch(current.id, current.rowVersion);
      const [row] = await tx
        .update(applications)
        .set({ ...stripUndefined(patch), rowVersion: current.rowVersion + 1, updatedAt: new Date() })
        .where(and(eq(applications.id, id), eq(applications.rowVersion, current.rowVersion)))
        .returning();
      if (!row) throw new GatewayError('precondition_failed');
      await recordCredentialChange(tx, scope.env.id, id);
      await recordAudit(tx, scope.actor, {
        envId: scope.env.id,
        action: 'application.update',
        entityType: 'application',
        entityId: id,
        before: applicationView(current),
        after: applicationView(row),
      });
      return row;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw clientIdTaken();
    throw error;
  }
}

/** Deleting an application ends its subscriptions and keys with it (cascade). */
export async function deleteApplication(scope: EnvScope, id: string, ifMatch: IfMatch) {
  await inTransaction(scope.db, async (tx) => {
    const current = await findApplication(scope, id, tx);
    ifMatch(current.id, current.rowVersion);
    const open = await tx
      .select({ id: subscriptions.id })
      .from(subscriptions)
      .where(and(eq(subscriptions.applicationId, id), inArray(subscriptions.status, ['pending', 'accepted'])));
    await tx.delete(applications).where(eq(applications.id, id));
    await recordCredentialChange(tx, scope.env.id, id);
    await recordAudit(tx, scope.actor, {
      envId: scope.env.id,
      action: 'application.delete',
      entityType: 'application',
      entityId: id,
      before: { ...applicationView(current), openSubscriptions: open.length },
    });
  });
}
