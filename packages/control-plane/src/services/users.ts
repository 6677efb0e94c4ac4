import { randomUUID } from 'node:crypto';
import { GatewayError } from '@gatehouse/core';
import { and, eq, ilike, or, type SQL } from 'drizzle-orm';
import type { Actor } from '../auth/context.js';
import { hashPassword } from '../auth/passwords.js';
import type { Database } from '../db/connect.js';
import { authTokens, users } from '../db/schema.js';
import { isUniqueViolation } from '../http/errors.js';
import type { IfMatch } from '../http/etag.js';
import { keyset, type PageRequest } from '../http/pagination.js';
import { iso } from '../http/schemas.js';
import { invalid } from '../http/validation.js';
import { recordAudit } from './audit.js';
import { inTransaction } from './tx.js';

type UserRow = typeof users.$inferSelect;

export function userView(row: UserRow) {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    isAdmin: row.isAdmin,
    disabled: row.disabled,
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
  };
}

export async function getUser(db: Database, orgId: string, id: string): Promise<UserRow> {
  const [row] = await db
    .select()
    .from(users)
    .where(and(eq(users.id, id), eq(users.orgId, orgId)))
    .limit(1);
  if (!row) throw new GatewayError('not_found', { detail: 'No such user.' });
  return row;
}

export async function createUser(
  db: Database,
  orgId: string,
  actor: Actor | null,
  input: { email: string; name?: string | undefined; password: string; isAdmin?: boolean | undefined },
): Promise<UserRow> {
  const passwordHash = await hashPassword(input.password);
  const email = input.email.trim().toLowerCase();
  try {
    return await inTransaction(db, async (tx) => {
      const [row] = await tx
        .insert(users)
        .values({
          id: randomUUID(),
          orgId,
          email,
          name: input.name ?? email.split('@')[0]!,
          passwordHash,
          isAdmin: input.isAdmin ?? false,
        })
        .returning();
      await recordAudit(tx, actor, {
        envId: null,
        action: 'user.create',
        entityType: 'user',
        entityId: row!.id,
        after: userView(row!),
      });
      return row!;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new GatewayError('conflict', { detail: `A user with e-mail ${email} exists.` });
    throw error;
  }
}

export async function listUsers(
  db: Database,
  orgId: string,
  query: PageRequest & { q?: string | undefined; disabled?: boolean | undefined },
) {
  const plan = keyset(
    query,
    { email: { column: users.email, kind: 'text' }, createdAt: { column: users.createdAt, kind: 'date' } },
    users.id,
    'email',
  );
  const filters: (SQL | undefined)[] = [eq(users.orgId, orgId), plan.where];
  if (query.q)
    filters.push(or(ilike(users.email, `%${escapeLike(query.q)}%`), ilike(users.name, `%${escapeLike(query.q)}%`)));
  if (query.disabled !== undefined) filters.push(eq(users.disabled, query.disabled));
  const rows = await db
    .select()
    .from(users)
    .where(and(...filters))
    .orderBy(...plan.orderBy)
    .limit(plan.limit);
  const sortKey = (query.sort ?? 'email').replace('-', '');
  const page = plan.page(
    rows,
    (r) => (sortKey === 'email' ? r.email : r.createdAt),
    (r) => r.id,
  );
  return { items: page.items.map(userView), nextCursor: page.nextCursor };
}

export async function updateUser(
  db: Database,
  orgId: string,
  actor: Actor,
  id: string,
  ifMatch: IfMatch,
  patch: {
    name?: string | undefined;
    isAdmin?: boolean | undefined;
    disabled?: boolean | undefined;
    password?: string | undefined;
  },
): Promise<UserRow> {
  const passwordHash = patch.password === undefined ? undefined : await hashPassword(patch.password);
  return inTransaction(db, async (tx) => {
    const current = await getUser(tx, orgId, id);
    ifMatch(current.id, current.rowVersion);
    const version = current.rowVersion;
    if (current.id === actor.userId && (patch.disabled === true || patch.isAdmin === false)) {
      // Locking oneself out of administration is never what was meant.
      throw invalid(patch.disabled ? 'body.disabled' : 'body.isAdmin', 'cannot be changed on your own account');
    }
    const [row] = await tx
      .update(users)
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.isAdmin !== undefined ? { isAdmin: patch.isAdmin } : {}),
        ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
        ...(passwordHash !== undefined ? { passwordHash } : {}),
        rowVersion: version + 1,
        updatedAt: new Date(),
      })
      .where(and(eq(users.id, id), eq(users.rowVersion, version)))
      .returning();
    if (!row) throw new GatewayError('precondition_failed', { detail: 'The user changed meanwhile; fetch it again.' });
    // Disabling or resetting a password ends every session and token of the account at once.
    if (patch.disabled === true || passwordHash !== undefined) {
      await tx.update(authTokens).set({ revokedAt: new Date() }).where(eq(authTokens.userId, id));
    }
    const after = { ...userView(row), ...(passwordHash !== undefined ? { password: 'changed' } : {}) };
    await recordAudit(tx, actor, {
      envId: null,
      action: 'user.update',
      entityType: 'user',
      entityId: id,
      before: userView(current),
      after,
    });
    return row;
  });
}

export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
