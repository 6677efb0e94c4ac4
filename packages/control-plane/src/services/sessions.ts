/** Sign-in sessions and personal access tokens: both are random bearer secrets stored as sha256. */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '@gatehouse/core';
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Actor } from '../auth/context.js';
import { burnPasswordCheck, verifyPassword } from '../auth/passwords.js';
import { issueSecret } from '../auth/secrets.js';
import type { LoginThrottle } from '../auth/throttle.js';
import type { Database } from '../db/connect.js';
import { authTokens, users } from '../db/schema.js';
import { keyset, type SortColumn } from '../http/pagination.js';
import { iso } from '../http/schemas.js';
import { invalid } from '../http/validation.js';
import { recordAudit } from './audit.js';
import { inTransaction } from './tx.js';

export const MAX_PAT_LIFETIME_MS = 366 * 86_400_000;

export async function login(
  db: Database,
  throttle: LoginThrottle,
  input: { email: string; password: string; address: string; sessionTtlMs: number },
): Promise<{ token: string; expiresAt: string; userId: string }> {
  const email = input.email.trim().toLowerCase();
  await throttle.check(email, input.address);
  const [user] = await db.select().from(users).where(eq(users.email, email)).limit(1);
  let ok = false;
  if (user) ok = await verifyPassword(user.passwordHash, input.password);
  else await burnPasswordCheck(input.password);
  // A disabled account answers exactly like a wrong password: no account-state oracle.
  if (!user || !ok || user.disabled) {
    await throttle.fail(email, input.address);
    throw new GatewayError('unauthorized', { detail: 'Wrong e-mail or password.' });
  }
  await throttle.succeed(email, input.address);
  const secret = issueSecret('session');
  const expiresAt = new Date(Date.now() + input.sessionTtlMs);
  await db.insert(authTokens).values({
    id: randomUUID(),
    userId: user.id,
    kind: 'session',
    tokenHash: secret.hash,
    prefix: secret.prefix,
    expiresAt,
  });
  return { token: secret.secret, expiresAt: expiresAt.toISOString(), userId: user.id };
}

export async function revokeToken(db: Database, tokenId: string): Promise<void> {
  await db.update(authTokens).set({ revokedAt: new Date() }).where(eq(authTokens.id, tokenId));
}

type TokenRow = typeof authTokens.$inferSelect;

export function tokenView(row: TokenRow) {
  return {
    id: row.id,
    name: row.name ?? '',
    prefix: row.prefix,
    expiresAt: iso(row.expiresAt)!,
    lastUsedAt: iso(row.lastUsedAt),
    createdAt: iso(row.createdAt)!,
  };
}

export async function createPat(
  db: Database,
  actor: Actor,
  input: { name: string; expiresAt?: string | undefined; expiresInMs?: number | undefined },
) {
  const now = Date.now();
  const expiresAt = input.expiresAt
    ? new Date(input.expiresAt)
    : new Date(now + (input.expiresInMs ?? 90 * 86_400_000));
  if (expiresAt.getTime() <= now)
    throw invalid(input.expiresAt ? 'body.expiresAt' : 'body.expiresIn', 'must be in the future');
  if (expiresAt.getTime() - now > MAX_PAT_LIFETIME_MS) {
    throw invalid(input.expiresAt ? 'body.expiresAt' : 'body.expiresIn', 'must be at most one year away');
  }
  const secret = issueSecret('pat');
  return inTransaction(db, async (tx) => {
    const [row] = await tx
      .insert(authTokens)
      .values({
        id: randomUUID(),
        userId: actor.userId,
        kind: 'pat',
        name: input.name,
        tokenHash: secret.hash,
        prefix: secret.prefix,
        expiresAt,
      })
      .returning();
    await recordAudit(tx, actor, {
      envId: null,
      action: 'token.create',
      entityType: 'token',
      entityId: row!.id,
      after: tokenView(row!),
    });
    return { row: row!, token: secret.secret };
  });
}

const PAT_SORTS: Record<string, SortColumn> = { createdAt: { column: authTokens.createdAt, kind: 'date' } };

/** Live PATs of the caller, newest first; bounded like every list. */
export async function listPats(db: Database, userId: string, limit: number, cursor?: string) {
  const plan = keyset({ limit, cursor }, PAT_SORTS, authTokens.id, '-createdAt');
  const rows = await db
    .select()
    .from(authTokens)
    .where(
      and(
        eq(authTokens.userId, userId),
        eq(authTokens.kind, 'pat'),
        isNull(authTokens.revokedAt),
        gt(authTokens.expiresAt, new Date()),
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
  return { items: page.items.map(tokenView), nextCursor: page.nextCursor };
}

export async function deletePat(db: Database, actor: Actor, tokenId: string): Promise<void> {
  await inTransaction(db, async (tx) => {
    const [row] = await tx
      .update(authTokens)
      .set({ revokedAt: new Date() })
      .where(
        and(
          eq(authTokens.id, tokenId),
          eq(authTokens.userId, actor.userId),
          eq(authTokens.kind, 'pat'),
          isNull(authTokens.revokedAt),
        ),
      )
      .returning();
    // Someone else's token id answers like a missing one.
    if (!row) throw new GatewayError('not_found', { detail: 'No such token.' });
    await recordAudit(tx, actor, {
      envId: null,
      action: 'token.revoke',
      entityType: 'token',
      entityId: tokenId,
      before: tokenView(row),
    });
  });
}
