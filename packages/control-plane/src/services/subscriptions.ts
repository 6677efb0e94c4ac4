import { randomUUID } from 'node:crypto';
import { GatewayError } from '@gatehouse/core';
import { and, eq, type SQL } from 'drizzle-orm';
import { type EnvScope, ownOnly } from '../auth/context.js';
import type { Database } from '../db/connect.js';
import { apis, applications, plans, subscriptions } from '../db/schema.js';
import { isUniqueViolation } from '../http/errors.js';
import { keyset, type PageRequest } from '../http/pagination.js';
import { iso } from '../http/schemas.js';
import { invalid } from '../http/validation.js';
import { recordCredentialChange } from '../hybrid/changes.js';
import { findApi, type Lifecycle } from './apis.js';
import { findApplication } from './applications.js';
import { recordAudit } from './audit.js';
import { assertSubscribable } from './lifecycle.js';
import { findPlan } from './plans.js';
import { inTransaction, onCommit } from './tx.js';

export const SUBSCRIPTION_STATUSES = ['pending', 'accepted', 'rejected', 'closed'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

const joined = {
  sub: subscriptions,
  apiSlug: apis.slug,
  planSlug: plans.slug,
  securityType: plans.securityType,
};
export type SubscriptionJoined = {
  sub: typeof subscriptions.$inferSelect;
  apiSlug: string;
  planSlug: string;
  securityType: string;
};

export function subscriptionView(row: SubscriptionJoined) {
  return {
    id: row.sub.id,
    applicationId: row.sub.applicationId,
    apiId: row.apiSlug,
    planId: row.planSlug,
    status: row.sub.status as SubscriptionStatus,
    reason: row.sub.reason,
    createdAt: iso(row.sub.createdAt)!,
    updatedAt: iso(row.sub.updatedAt)!,
    reviewedAt: iso(row.sub.reviewedAt),
    closedAt: iso(row.sub.closedAt),
  };
}

function selectJoined(db: Database) {
  return db
    .select(joined)
    .from(subscriptions)
    .innerJoin(apis, eq(apis.pk, subscriptions.apiPk))
    .innerJoin(plans, eq(plans.pk, subscriptions.planPk))
    .innerJoin(applications, eq(applications.id, subscriptions.applicationId));
}

function ownership(scope: EnvScope): SQL | undefined {
  const owner = ownOnly(scope);
  return owner ? eq(applications.ownerId, owner) : undefined;
}

export async function findSubscription(
  scope: EnvScope,
  id: string,
  db: Database = scope.db,
): Promise<SubscriptionJoined> {
  const [row] = await selectJoined(db)
    .where(and(eq(subscriptions.id, id), eq(subscriptions.envId, scope.env.id), ownership(scope)))
    .limit(1);
  if (!row) throw new GatewayError('not_found', { detail: 'No such subscription.' });
  return row;
}

export async function listSubscriptions(
  scope: EnvScope,
  query: PageRequest & {
    status?: SubscriptionStatus | undefined;
    applicationId?: string | undefined;
    apiId?: string | undefined;
  },
) {
  const plan = keyset(
    query,
    { createdAt: { column: subscriptions.createdAt, kind: 'date' } },
    subscriptions.id,
    '-createdAt',
  );
  const rows = await selectJoined(scope.db)
    .where(
      and(
        eq(subscriptions.envId, scope.env.id),
        ownership(scope),
        plan.where,
        query.status ? eq(subscriptions.status, query.status) : undefined,
        query.applicationId ? eq(subscriptions.applicationId, query.applicationId) : undefined,
        query.apiId ? eq(apis.slug, query.apiId) : undefined,
      ),
    )
    .orderBy(...plan.orderBy)
    .limit(plan.limit);
  const page = plan.page(
    rows,
    (r) => r.sub.createdAt,
    (r) => r.sub.id,
  );
  return { items: page.items.map(subscriptionView), nextCursor: page.nextCursor };
}

/** Auto-approval plans accept at once; manual ones wait for a publisher's approve/reject. */
export async function subscribe(scope: EnvScope, applicationId: string, input: { apiId: string; planId: string }) {
  try {
    return await inTransaction(scope.db, async (tx) => {
      const app = await findApplication(scope, applicationId, tx);
      const api = await findApi(scope, input.apiId, tx).catch(() => {
        throw invalid('body.apiId', `no API "${input.apiId}" in this environment`);
      });
      assertSubscribable(api.lifecycle as Lifecycle);
      const plan = await findPlan(scope, api, input.planId, tx).catch(() => {
        throw invalid('body.planId', `API "${api.slug}" has no plan "${input.planId}"`);
      });
      if (plan.status !== 'published') throw invalid('body.planId', `is ${plan.status}, not open for subscriptions`);
      const auto = plan.approval === 'auto';
      const now = new Date();
      const id = randomUUID();
      await tx.insert(subscriptions).values({
        id,
        envId: scope.env.id,
        applicationId: app.id,
        apiPk: api.pk,
        planPk: plan.pk,
        status: auto ? 'accepted' : 'pending',
        requestedBy: scope.actor.userId,
        reviewedAt: auto ? now : null,
      });
      const row = await findSubscription(scope, id, tx);
      if (auto) await recordCredentialChange(tx, scope.env.id, app.id);
      await recordAudit(tx, scope.actor, {
        envId: scope.env.id,
        action: 'subscription.create',
        entityType: 'subscription',
        entityId: id,
        after: subscriptionView(row),
      });
      return row;
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new GatewayError('conflict', { detail: 'The application already has an open subscription to this API.' });
    }
    throw error;
  }
}

const TRANSITIONS: Record<'approve' | 'reject' | 'close', { from: SubscriptionStatus[]; to: SubscriptionStatus }> = {
  approve: { from: ['pending'], to: 'accepted' },
  reject: { from: ['pending'], to: 'rejected' },
  close: { from: ['pending', 'accepted'], to: 'closed' },
};

export type TransitionAction = 'approve' | 'reject' | 'close';
/** Told after a review or closing commits (the portal mails the application's owner). */
export type SubscriptionListener = (scope: EnvScope, row: SubscriptionJoined, action: TransitionAction) => void;

export async function transition(
  scope: EnvScope,
  id: string,
  action: TransitionAction,
  reason?: string,
  listener?: SubscriptionListener,
) {
  return inTransaction(scope.db, async (tx) => {
    const current = await findSubscription(scope, id, tx);
    const rule = TRANSITIONS[action];
    if (!rule.from.includes(current.sub.status as SubscriptionStatus)) {
      throw new GatewayError('conflict', { detail: `Cannot ${action} a subscription that is ${current.sub.status}.` });
    }
    const now = new Date();
    const [updated] = await tx
      .update(subscriptions)
      .set({
        status: rule.to,
        reason: reason ?? current.sub.reason,
        ...(action === 'close' ? { closedAt: now } : { reviewedAt: now, reviewedBy: scope.actor.userId }),
        rowVersion: current.sub.rowVersion + 1,
        updatedAt: now,
      })
      .where(and(eq(subscriptions.id, id), eq(subscriptions.rowVersion, current.sub.rowVersion)))
      .returning({ id: subscriptions.id });
    if (!updated) throw new GatewayError('conflict', { detail: 'The subscription changed meanwhile; retry.' });
    const row = await findSubscription(scope, id, tx);
    // Rejecting a pending subscription changes nothing gateways hold.
    if (action !== 'reject') await recordCredentialChange(tx, scope.env.id, current.sub.applicationId);
    await recordAudit(tx, scope.actor, {
      envId: scope.env.id,
      action: `subscription.${action}`,
      entityType: 'subscription',
      entityId: id,
      before: subscriptionView(current),
      after: subscriptionView(row),
    });
    if (listener) onCommit(tx, () => listener(scope, row, action));
    return row;
  });
}
