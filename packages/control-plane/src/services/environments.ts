import { randomUUID } from 'node:crypto';
import { GatewayError } from '@gatehouse/core';
import { and, eq, type SQL } from 'drizzle-orm';
import type { Actor, EnvScope } from '../auth/context.js';
import type { Role } from '../auth/permissions.js';
import type { Database } from '../db/connect.js';
import { environments, memberships, users } from '../db/schema.js';
import { isUniqueViolation } from '../http/errors.js';
import type { IfMatch } from '../http/etag.js';
import { keyset, type PageRequest, type SortColumn } from '../http/pagination.js';
import { iso } from '../http/schemas.js';
import { recordAudit } from './audit.js';
import { inTransaction } from './tx.js';

type EnvRow = typeof environments.$inferSelect;

export function environmentView(row: EnvRow, role?: Role | null) {
  return {
    id: row.slug,
    name: row.name,
    description: row.description ?? null,
    ...(role ? { role } : {}),
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
  };
}

/** Environments the caller can see: all for platform admins, their memberships otherwise. */
export async function listEnvironments(db: Database, orgId: string, actor: Actor, query: PageRequest) {
  const plan = keyset(query, { id: { column: environments.slug, kind: 'text' } }, environments.id, 'id');
  const base = db
    .select({ env: environments, role: memberships.role })
    .from(environments)
    .leftJoin(memberships, and(eq(memberships.envId, environments.id), eq(memberships.userId, actor.userId)));
  const filters: (SQL | undefined)[] = [eq(environments.orgId, orgId), plan.where];
  const rows = await base
    .where(and(...filters, actor.isAdmin ? undefined : eq(memberships.userId, actor.userId)))
    .orderBy(...plan.orderBy)
    .limit(plan.limit);
  const page = plan.page(
    rows,
    (r) => r.env.slug,
    (r) => r.env.id,
  );
  return {
    items: page.items.map((r) => environmentView(r.env, actor.isAdmin ? 'admin' : (r.role as Role))),
    nextCursor: page.nextCursor,
  };
}

export async function getEnvironment(db: Database, envId: string): Promise<EnvRow> {
  const [row] = await db.select().from(environments).where(eq(environments.id, envId)).limit(1);
  if (!row) throw new GatewayError('not_found');
  return row;
}

export async function createEnvironment(
  db: Database,
  orgId: string,
  actor: Actor | null,
  input: { id: string; name?: string | undefined; description?: string | undefined },
): Promise<EnvRow> {
  try {
    return await inTransaction(db, async (tx) => {
      const [row] = await tx
        .insert(environments)
        .values({
          id: randomUUID(),
          orgId,
          slug: input.id,
          name: input.name ?? input.id,
          description: input.description ?? null,
        })
        .returning();
      await recordAudit(tx, actor, {
        envId: row!.id,
        action: 'environment.create',
        entityType: 'environment',
        entityId: row!.slug,
        after: environmentView(row!),
      });
      return row!;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new GatewayError('conflict', { detail: `Environment "${input.id}" exists.` });
    throw error;
  }
}

export async function updateEnvironment(
  scope: EnvScope,
  ifMatch: IfMatch,
  patch: { name?: string | undefined; description?: string | null | undefined },
): Promise<EnvRow> {
  return inTransaction(scope.db, async (tx) => {
    const current = await getEnvironment(tx, scope.env.id);
    ifMatch(current.id, current.rowVersion);
    const [row] = await tx
      .update(environments)
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        rowVersion: current.rowVersion + 1,
        updatedAt: new Date(),
      })
      .where(and(eq(environments.id, current.id), eq(environments.rowVersion, current.rowVersion)))
      .returning();
    if (!row) throw new GatewayError('precondition_failed');
    await recordAudit(tx, scope.actor, {
      envId: row.id,
      action: 'environment.update',
      entityType: 'environment',
      entityId: row.slug,
      before: environmentView(current),
      after: environmentView(row),
    });
    return row;
  });
}

// ---- members ----

type MemberRow = { m: typeof memberships.$inferSelect; u: { email: string; name: string } };

export function memberView(row: MemberRow) {
  return {
    userId: row.m.userId,
    email: row.u.email,
    name: row.u.name,
    role: row.m.role as Role,
    createdAt: iso(row.m.createdAt)!,
    updatedAt: iso(row.m.updatedAt)!,
  };
}

const MEMBER_SORTS: Record<string, SortColumn> = { userId: { column: memberships.userId, kind: 'text' } };

export async function listMembers(scope: EnvScope, query: PageRequest & { role?: Role | undefined }) {
  const plan = keyset(query, MEMBER_SORTS, memberships.userId, 'userId');
  const rows = await scope.db
    .select({ m: memberships, u: { email: users.email, name: users.name } })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(
      and(eq(memberships.envId, scope.env.id), query.role ? eq(memberships.role, query.role) : undefined, plan.where),
    )
    .orderBy(...plan.orderBy)
    .limit(plan.limit);
  const page = plan.page(
    rows,
    (r) => r.m.userId,
    (r) => r.m.userId,
  );
  return { items: page.items.map(memberView), nextCursor: page.nextCursor };
}

export async function getMember(db: Database, envId: string, userId: string): Promise<MemberRow> {
  const [row] = await db
    .select({ m: memberships, u: { email: users.email, name: users.name } })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.envId, envId), eq(memberships.userId, userId)))
    .limit(1);
  if (!row) throw new GatewayError('not_found', { detail: 'No such member.' });
  return row;
}

export async function addMember(scope: EnvScope, orgId: string, input: { userId: string; role: Role }) {
  return inTransaction(scope.db, async (tx) => {
    const [user] = await tx
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.id, input.userId), eq(users.orgId, orgId)))
      .limit(1);
    if (!user) throw new GatewayError('not_found', { detail: 'No such user.' });
    try {
      await tx.insert(memberships).values({ envId: scope.env.id, userId: input.userId, role: input.role });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new GatewayError('conflict', {
          detail: 'The user is already a member; PATCH the member to change the role.',
        });
      throw error;
    }
    const row = await getMember(tx, scope.env.id, input.userId);
    await recordAudit(tx, scope.actor, {
      envId: scope.env.id,
      action: 'member.add',
      entityType: 'member',
      entityId: input.userId,
      after: memberView(row),
    });
    return row;
  });
}

export async function updateMember(scope: EnvScope, ifMatch: IfMatch, userId: string, role: Role) {
  return inTransaction(scope.db, async (tx) => {
    const current = await getMember(tx, scope.env.id, userId);
    ifMatch(memberKey(current), current.m.rowVersion);
    await tx
      .update(memberships)
      .set({ role, rowVersion: current.m.rowVersion + 1, updatedAt: new Date() })
      .where(
        and(
          eq(memberships.envId, scope.env.id),
          eq(memberships.userId, userId),
          eq(memberships.rowVersion, current.m.rowVersion),
        ),
      );
    const row = await getMember(tx, scope.env.id, userId);
    if (row.m.rowVersion !== current.m.rowVersion + 1) throw new GatewayError('precondition_failed');
    await recordAudit(tx, scope.actor, {
      envId: scope.env.id,
      action: 'member.update',
      entityType: 'member',
      entityId: userId,
      before: memberView(current),
      after: memberView(row),
    });
    return row;
  });
}

export async function removeMember(scope: EnvScope, ifMatch: IfMatch, userId: string) {
  await inTransaction(scope.db, async (tx) => {
    const current = await getMember(tx, scope.env.id, userId);
    ifMatch(memberKey(current), current.m.rowVersion);
    await tx.delete(memberships).where(and(eq(memberships.envId, scope.env.id), eq(memberships.userId, userId)));
    await recordAudit(tx, scope.actor, {
      envId: scope.env.id,
      action: 'member.remove',
      entityType: 'member',
      entityId: userId,
      before: memberView(current),
    });
  });
}

export function memberKey(row: MemberRow): string {
  return `${row.m.envId}:${row.m.userId}`;
}
