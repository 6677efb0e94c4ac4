/**
 * What an API's lifecycle state means (docs/control-plane.md, "API lifecycle"): which moves are
 * allowed, whether it may be deployed, and whether it takes new subscriptions. One place, so the
 * routes, the deploy and the subscription services agree.
 */
import { GatewayError } from '@gatehouse/core';
import { and, eq, inArray } from 'drizzle-orm';
import type { EnvScope } from '../auth/context.js';
import type { Database } from '../db/connect.js';
import { subscriptions } from '../db/schema.js';
import { invalid } from '../http/validation.js';
import type { ApiRow, Lifecycle } from './apis.js';
import { transition } from './subscriptions.js';

/** Allowed moves: forward only (steps may be skipped), plus deprecated -> published (un-deprecate). */
const NEXT: Record<Lifecycle, readonly Lifecycle[]> = {
  draft: ['published', 'deprecated', 'retired'],
  published: ['deprecated', 'retired'],
  deprecated: ['published', 'retired'],
  retired: [],
};

export function assertLifecycleTransition(from: Lifecycle, to: Lifecycle): void {
  if (from === to || NEXT[from].includes(to)) return;
  const allowed = NEXT[from].length > 0 ? `allowed: ${NEXT[from].join(', ')}` : 'a retired API stays retired';
  throw new GatewayError('conflict', {
    detail: `The API is ${from}; it cannot become ${to} (${allowed}).`,
    errors: [{ path: 'body.lifecycle', message: `cannot move from ${from} to ${to}` }],
  });
}

/** A draft is still being designed: gateways never see it. */
export function assertDeployable(lifecycle: Lifecycle): void {
  if (lifecycle !== 'draft') return;
  throw new GatewayError('not_deployable', {
    detail: 'The API is a draft; publish it first (PATCH its lifecycle to "published"), then deploy.',
    errors: [{ path: 'lifecycle', message: 'is draft' }],
  });
}

/** Only published APIs take new subscriptions; deprecated ones keep serving the existing ones. */
export function assertSubscribable(lifecycle: Lifecycle): void {
  if (lifecycle === 'published') return;
  const why: Record<Exclude<Lifecycle, 'published'>, string> = {
    draft: 'is a draft, not open for subscriptions until published',
    deprecated: 'is deprecated: existing subscriptions keep working, new ones are refused',
    retired: 'is retired',
  };
  throw invalid('body.apiId', why[lifecycle]);
}

/**
 * The deploy that takes a retired API off gateways also closes its open subscriptions (each audited,
 * its keys dropped from gateways): a retired API has no subscribers, and can then be deleted.
 */
export async function closeSubscriptionsOfRetired(tx: Database, scope: EnvScope, api: ApiRow): Promise<number> {
  const open = await tx
    .select({ id: subscriptions.id })
    .from(subscriptions)
    .where(and(eq(subscriptions.apiPk, api.pk), inArray(subscriptions.status, ['pending', 'accepted'])));
  for (const { id } of open) await transition({ ...scope, db: tx }, id, 'close', 'The API was retired.');
  return open.length;
}
