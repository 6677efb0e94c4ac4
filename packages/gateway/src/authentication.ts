/**
 * The security phase: an API's schemes are tried in priority order; the first that recognises a credential
 * selects the plan (and application, subscription, claims). Synchronous while the schemes are.
 */
import { GatewayError } from '@gatehouse/core';
import type { AuthOutcome } from '@gatehouse/policies';
import type { CompiledApi, SecurityEntry } from './compile.js';
import type { GatewayContext } from './context.js';

/** The selected plan's id; a promise only when a scheme really waited (the common case returns synchronously). */
export function authenticate(api: CompiledApi, ctx: GatewayContext, from = 0): string | Promise<string> {
  const schemes = api.security;
  for (let i = from; i < schemes.length; i++) {
    const result = schemes[i]!.scheme.authenticate(ctx);
    if (result instanceof Promise) {
      return result.then((outcome) =>
        outcome === undefined ? authenticate(api, ctx, i + 1) : selectPlan(schemes[i]!, ctx, outcome),
      );
    }
    if (result !== undefined) return selectPlan(schemes[i]!, ctx, result);
  }
  throw new GatewayError('unauthorized', {
    detail: 'this API requires credentials',
    headers: { 'www-authenticate': challenge(api) },
  });
}

/** Applies a scheme's outcome to the context: plan, application, subscription, claims. */
function selectPlan(entry: SecurityEntry, ctx: GatewayContext, outcome: AuthOutcome): string {
  if ('error' in outcome) throw outcome.error;
  if ('anonymous' in outcome) {
    ctx.plan = entry.plans.get(entry.planIds[0]!);
  } else {
    const subscription = outcome.subscription;
    const plan = entry.plans.get(subscription.planId);
    if (plan === undefined) throw new GatewayError('unauthorized', { detail: 'credential is not valid for this API' });
    ctx.plan = plan;
    ctx.application = subscription.application;
    ctx.subscription = subscription.ref ?? { id: subscription.id };
    if (outcome.claims) ctx.claims = outcome.claims;
  }
  ctx.resetActivation();
  return ctx.plan!.id;
}

function challenge(api: CompiledApi): string {
  const types = new Set(api.security.map((s) => s.type));
  if (types.has('jwt') || types.has('oauth2')) return `Bearer realm="${api.id}"`;
  if (types.has('api-key')) return `ApiKey realm="${api.id}"`;
  return `Bearer realm="${api.id}"`;
}
