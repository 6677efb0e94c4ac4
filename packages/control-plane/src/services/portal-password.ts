/**
 * Password reset by mail for portal consumers. The request always answers 202, whether or not the
 * address has an account (no enumeration); only an enabled consumer of the portal's environment
 * gets a link. Staff and platform administrators reset elsewhere (console, `gatehouse admin
 * reset-password`): a portal mail must not become a way into an administrator account.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import { hashPassword, passwordWeakness } from '../auth/passwords.js';
import { authTokens, memberships, users } from '../db/schema.js';
import { invalid } from '../http/validation.js';
import { messages } from '../mail/messages.js';
import { recordAudit } from './audit.js';
import { type AccountsContext, mailAfterCommit, refOf, throttleMail } from './portal-accounts.js';
import { findPortal } from './portal-directory.js';
import { consumeToken, issueToken, peekToken, revokeTokens, TOKEN_TTL_MS } from './portal-tokens.js';
import { inTransaction } from './tx.js';

const INVALID_TOKEN = 'is not valid (unknown, already used or expired)';

export async function requestPasswordReset(
  ctx: AccountsContext,
  envSlug: string,
  rawEmail: string,
  address: string,
): Promise<void> {
  const env = await findPortal(ctx.db, ctx.orgId, envSlug, ctx.settings);
  const email = rawEmail.trim().toLowerCase();
  await throttleMail(ctx, 'reset', email, address);
  if (!ctx.mailer.configured) return;
  await inTransaction(ctx.db, async (tx) => {
    const [user] = await tx
      .select({ id: users.id, isAdmin: users.isAdmin })
      .from(users)
      .innerJoin(memberships, and(eq(memberships.userId, users.id), eq(memberships.envId, env.id)))
      .where(and(eq(users.email, email), eq(users.disabled, false), eq(memberships.role, 'consumer')))
      .limit(1);
    if (!user || user.isAdmin) return;
    // One live link at a time: a new request makes older links useless.
    await revokeTokens(tx, 'reset', user.id);
    const { token } = await issueToken(tx, { kind: 'reset', envId: env.id, email, userId: user.id });
    mailAfterCommit(ctx, tx, messages.reset(refOf(ctx, env), email, token, TOKEN_TTL_MS.reset / 60_000));
  });
}

export async function confirmPasswordReset(
  ctx: AccountsContext,
  envSlug: string,
  token: string,
  password: string,
): Promise<void> {
  const env = await findPortal(ctx.db, ctx.orgId, envSlug, ctx.settings);
  // Checked before the token is used, so a weak password does not burn the link.
  const pending = await peekToken(ctx.db, 'reset', env.id, token);
  if (!pending?.userId) throw invalid('body.token', INVALID_TOKEN);
  const weakness = passwordWeakness(password, pending.email);
  if (weakness) throw invalid('body.password', weakness);
  const passwordHash = await hashPassword(password);
  await inTransaction(ctx.db, async (tx) => {
    const used = await consumeToken(tx, 'reset', env.id, token);
    if (!used?.userId) throw invalid('body.token', INVALID_TOKEN);
    const now = new Date();
    await tx
      .update(users)
      .set({ passwordHash, rowVersion: sql`${users.rowVersion} + 1`, updatedAt: now })
      .where(eq(users.id, used.userId));
    // Whoever held a session with the old password loses it.
    const revoked = await tx
      .update(authTokens)
      .set({ revokedAt: now })
      .where(and(eq(authTokens.userId, used.userId), isNull(authTokens.revokedAt)))
      .returning({ id: authTokens.id });
    await recordAudit(tx, null, {
      envId: env.id,
      action: 'user.password_reset',
      entityType: 'user',
      entityId: used.userId,
      before: { password: 'set', activeTokens: revoked.length },
      after: { password: 'reset by mail from the portal', activeTokens: 0 },
    });
  });
}
