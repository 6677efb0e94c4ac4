/** Environment administrators review portal sign-ups (invitations: portal-invitations.ts). */
import { GatewayError } from '@gatehouse/core';
import { and, eq } from 'drizzle-orm';
import type { EnvScope } from '../auth/context.js';
import { environments, portalSignups, users } from '../db/schema.js';
import { keyset, type PageRequest } from '../http/pagination.js';
import { iso } from '../http/schemas.js';
import { messages } from '../mail/messages.js';
import { recordAudit } from './audit.js';
import { type AccountsContext, activate, mailAfterCommit } from './portal-accounts.js';
import { inTransaction } from './tx.js';

export const SIGNUP_STATES = ['unverified', 'pending', 'active', 'rejected'] as const;
export type SignupState = (typeof SIGNUP_STATES)[number];
type SignupRow = typeof portalSignups.$inferSelect;

export function signupView(row: SignupRow) {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    status: row.status as SignupState,
    reason: row.reason,
    createdAt: iso(row.createdAt)!,
    reviewedAt: iso(row.reviewedAt),
  };
}

export async function listSignups(scope: EnvScope, query: PageRequest & { status?: SignupState | undefined }) {
  const plan = keyset(
    query,
    { createdAt: { column: portalSignups.createdAt, kind: 'date' } },
    portalSignups.id,
    'createdAt',
  );
  const rows = await scope.db
    .select()
    .from(portalSignups)
    .where(
      and(
        eq(portalSignups.envId, scope.env.id),
        query.status ? eq(portalSignups.status, query.status) : undefined,
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
  return { items: page.items.map(signupView), nextCursor: page.nextCursor };
}

export async function envRef(ctx: AccountsContext, scope: EnvScope) {
  const [env] = await scope.db
    .select({ name: environments.name })
    .from(environments)
    .where(eq(environments.id, scope.env.id))
    .limit(1);
  return { baseUrl: ctx.baseUrl, envSlug: scope.env.slug, envName: env?.name ?? scope.env.slug };
}

export async function reviewSignup(
  ctx: AccountsContext,
  scope: EnvScope,
  id: string,
  action: 'approve' | 'reject',
  reason?: string,
) {
  const ref = await envRef(ctx, scope);
  return inTransaction(scope.db, async (tx) => {
    const [row] = await tx
      .select()
      .from(portalSignups)
      .where(and(eq(portalSignups.id, id), eq(portalSignups.envId, scope.env.id)))
      .limit(1);
    if (!row) throw new GatewayError('not_found', { detail: 'No such sign-up.' });
    // Approving an unverified sign-up would vouch for an address nobody proved to own.
    const allowed = action === 'approve' ? ['pending'] : ['pending', 'unverified'];
    if (!allowed.includes(row.status) || !row.userId)
      throw new GatewayError('conflict', { detail: `Cannot ${action} a sign-up that is ${row.status}.` });
    const now = new Date();
    const status = action === 'approve' ? 'active' : 'rejected';
    const [updated] = await tx
      .update(portalSignups)
      .set({ status, reason: reason ?? null, reviewedBy: scope.actor.userId, reviewedAt: now, updatedAt: now })
      .where(and(eq(portalSignups.id, id), eq(portalSignups.status, row.status)))
      .returning();
    if (!updated) throw new GatewayError('conflict', { detail: 'The sign-up changed meanwhile; retry.' });
    if (action === 'approve') {
      await activate(tx, scope.env.id, row.userId);
      mailAfterCommit(ctx, tx, messages.signupApproved(ref, row.email));
    } else {
      // The account never became active: remove it, so the address can sign up again later.
      await tx.delete(users).where(and(eq(users.id, row.userId), eq(users.disabled, true)));
      if (row.status === 'pending') mailAfterCommit(ctx, tx, messages.signupRejected(ref, row.email, reason ?? null));
    }
    await recordAudit(tx, scope.actor, {
      envId: scope.env.id,
      action: `portal.signup_${action}`,
      entityType: 'portal_signup',
      entityId: id,
      before: signupView(row),
      after: signupView(updated),
    });
    return updated;
  });
}
