/**
 * Mails the owner of an application when one of its subscriptions is approved, rejected or closed
 * by someone else (closing your own subscription mails nobody). Runs after the change committed,
 * in the background: a slow or failing mail server never delays or fails the review.
 */
import { eq } from 'drizzle-orm';
import { apis, applications, environments, plans, subscriptions, users } from '../db/schema.js';
import { deliver } from '../mail/mailer.js';
import { messages } from '../mail/messages.js';
import type { AccountsContext } from './portal-accounts.js';
import type { SubscriptionListener } from './subscriptions.js';

const WORD = { approve: 'approved', reject: 'rejected', close: 'closed' } as const;

export function subscriptionMailer(ctx: AccountsContext): SubscriptionListener {
  return (scope, row, action) => {
    if (!ctx.mailer.configured) return;
    void (async () => {
      const [found] = await ctx.db
        .select({
          ownerId: applications.ownerId,
          application: applications.name,
          email: users.email,
          disabled: users.disabled,
          api: apis.name,
          plan: plans.name,
          envName: environments.name,
        })
        .from(subscriptions)
        .innerJoin(applications, eq(applications.id, subscriptions.applicationId))
        .innerJoin(users, eq(users.id, applications.ownerId))
        .innerJoin(apis, eq(apis.pk, subscriptions.apiPk))
        .innerJoin(plans, eq(plans.pk, subscriptions.planPk))
        .innerJoin(environments, eq(environments.id, subscriptions.envId))
        .where(eq(subscriptions.id, row.sub.id))
        .limit(1);
      if (!found || found.disabled || found.ownerId === scope.actor.userId) return;
      const ref = { baseUrl: ctx.baseUrl, envSlug: scope.env.slug, envName: found.envName };
      await deliver(
        ctx.mailer,
        ctx.logger,
        messages.subscription(ref, found.email, {
          action: WORD[action],
          application: found.application,
          api: found.api,
          plan: found.plan,
          reason: row.sub.reason,
        }),
      );
    })().catch((error: unknown) => {
      ctx.logger?.warn({ err: error instanceof Error ? error.message : 'unknown' }, 'subscription mail failed');
    });
  };
}
