/**
 * Invitations to an environment's portal (issue #15): an administrator invites an address, lists the
 * invitations still open and revokes one; the invited person either signs up with the token or, when
 * they already have an account (a consumer of another environment), accepts it while signed in and
 * joins this environment as a consumer with the same account.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '@gatehouse/core';
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Actor, EnvScope } from '../auth/context.js';
import { memberships, portalSignups, portalTokens, users } from '../db/schema.js';
import { keyset, type PageRequest } from '../http/pagination.js';
import { iso } from '../http/schemas.js';
import { invalid } from '../http/validation.js';
import { messages, portalLink } from '../mail/messages.js';
import { recordAudit } from './audit.js';
import { type AccountsContext, mailAfterCommit } from './portal-accounts.js';
import { findPortal } from './portal-directory.js';
import { envRef } from './portal-signups.js';
import { consumeToken, issueToken, peekToken } from './portal-tokens.js';
import { inTransaction } from './tx.js';

type TokenRow = typeof portalTokens.$inferSelect;

export function invitationView(row: TokenRow) {
  return {
    id: row.id,
    email: row.email,
    createdAt: iso(row.createdAt)!,
    expiresAt: iso(row.expiresAt)!,
  };
}

/** Open invitations: not used, not expired (revoked ones are deleted). */
const open = (envId: string) =>
  and(
    eq(portalTokens.envId, envId),
    eq(portalTokens.kind, 'invitation'),
    isNull(portalTokens.usedAt),
    gt(portalTokens.expiresAt, new Date()),
  );

export async function invite(ctx: AccountsContext, scope: EnvScope, rawEmail: string) {
  const email = rawEmail.trim().toLowerCase();
  const ref = await envRef(ctx, scope);
  return inTransaction(scope.db, async (tx) => {
    // An existing account (another environment's consumer) may be invited: it accepts while signed in.
    const [member] = await tx
      .select({ id: users.id })
      .from(users)
      .innerJoin(memberships, and(eq(memberships.userId, users.id), eq(memberships.envId, scope.env.id)))
      .where(eq(users.email, email))
      .limit(1);
    if (member) throw new GatewayError('conflict', { detail: 'This e-mail address is already a member.' });
    const { token, expiresAt } = await issueToken(tx, {
      kind: 'invitation',
      envId: scope.env.id,
      email,
      createdBy: scope.actor.userId,
    });
    const mailed = ctx.mailer.configured;
    if (mailed) mailAfterCommit(ctx, tx, messages.invitation(ref, email, token, 7));
    await recordAudit(tx, scope.actor, {
      envId: scope.env.id,
      action: 'portal.invite',
      entityType: 'portal_invitation',
      entityId: email,
      after: { email, expiresAt: expiresAt.toISOString(), mailed },
    });
    return {
      email,
      expiresAt: expiresAt.toISOString(),
      mailed,
      // Without mail the administrator passes the link on; it is shown this once.
      signupUrl: mailed ? null : portalLink(ref, 'signup', token),
    };
  });
}

export async function listInvitations(scope: EnvScope, query: PageRequest) {
  const plan = keyset(
    query,
    { createdAt: { column: portalTokens.createdAt, kind: 'date' } },
    portalTokens.id,
    'createdAt',
  );
  const rows = await scope.db
    .select()
    .from(portalTokens)
    .where(and(open(scope.env.id), plan.where))
    .orderBy(...plan.orderBy)
    .limit(plan.limit);
  const page = plan.page(
    rows,
    (r) => r.createdAt,
    (r) => r.id,
  );
  return { items: page.items.map(invitationView), nextCursor: page.nextCursor };
}

/** The token stops working at once; the row is deleted (it never counted as used). */
export async function revokeInvitation(scope: EnvScope, id: string): Promise<void> {
  await inTransaction(scope.db, async (tx) => {
    const [row] = await tx
      .delete(portalTokens)
      .where(and(eq(portalTokens.id, id), open(scope.env.id)))
      .returning();
    if (!row) throw new GatewayError('not_found', { detail: 'No such open invitation.' });
    await recordAudit(tx, scope.actor, {
      envId: scope.env.id,
      action: 'portal.invitation_revoke',
      entityType: 'portal_invitation',
      entityId: row.id,
      before: invitationView(row),
    });
  });
}

const NOT_YOURS = 'is not valid (unknown, revoked, already used, expired, or for another e-mail address)';

/**
 * A signed-in user joins the portal's environment as a consumer with the invitation mailed to their
 * address. The token is bound to this environment and to that address; any mismatch answers the
 * same as an unknown token.
 */
export async function acceptInvitation(ctx: AccountsContext, envSlug: string, actor: Actor, token: string) {
  const env = await findPortal(ctx.db, ctx.orgId, envSlug, ctx.settings);
  const email = actor.email.trim().toLowerCase();
  return inTransaction(ctx.db, async (tx) => {
    // Consumed only when it is this user's: a wrong account does not burn someone else's invitation.
    const seen = await peekToken(tx, 'invitation', env.id, token);
    const used = seen?.email === email ? await consumeToken(tx, 'invitation', env.id, token) : undefined;
    if (!used) throw invalid('body.token', NOT_YOURS);
    const [joined] = await tx
      .insert(memberships)
      .values({ envId: env.id, userId: actor.userId, role: 'consumer' })
      .onConflictDoNothing()
      .returning();
    if (joined) {
      const [user] = await tx.select({ name: users.name }).from(users).where(eq(users.id, actor.userId)).limit(1);
      await tx.insert(portalSignups).values({
        id: randomUUID(),
        envId: env.id,
        userId: actor.userId,
        email,
        name: user?.name ?? email,
        status: 'active',
      });
    }
    await recordAudit(tx, actor, {
      envId: env.id,
      action: 'portal.invitation_accept',
      entityType: 'portal_invitation',
      entityId: used.id,
      after: { userId: actor.userId, email, joined: Boolean(joined) },
    });
    return { status: 'active' as const, environment: env.slug };
  });
}
