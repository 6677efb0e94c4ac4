/**
 * What an API's lifecycle state means (docs/control-plane.md, "API lifecycle"): which moves are
 * allowed, whether it may be deployed, and whether it takes new subscriptions. One place, so the
 * routes, the deploy and the subscription services agree.
 */
import { GatewayError } from '@gatehouse/core';
import { invalid } from '../http/validation.js';
import type { Lifecycle } from './apis.js';

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
