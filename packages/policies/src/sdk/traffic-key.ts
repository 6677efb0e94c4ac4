/**
 * Who a traffic-control policy (quota, spike-arrest, concurrency-limit) counts a request against:
 * a CEL key when configured, else the subscription, else the client IP; the same rule and `key`
 * field as rate-limit.
 */
import { sha256Hex } from '@gatehouse/core';
import Type from 'typebox';
import type { PolicyEnvironment, RequestContext } from './types.js';

export const KeyField = (what: string) =>
  Type.Optional(
    Type.String({
      description: `CEL expression giving the ${what} key, e.g. \`request.headers["x-tenant"]\`, \`request.ip\`, or \`"all"\` for one bucket shared by every caller. Empty (default): each subscription has its own, keyless plans count per client IP. An empty or failing key falls back to that default.`,
      default: '',
    }),
  );

/** Identities kept ready per policy; past it the memo starts over (client IPs can be many). */
const MAX_MEMOIZED_IDENTITIES = 10_000;

/** Builds the per-request key function once; raw CEL values never appear in keys (they may be secrets). */
export function createKeyResolver(
  key: string,
  env: Pick<PolicyEnvironment, 'compileExpression'>,
  /** Put before every key with a colon (a counter namespace): the memo then holds the whole counter key. */
  namespace?: string,
): (ctx: RequestContext) => string {
  const before = namespace === undefined ? '' : `${namespace}:`;
  const expression = key.trim() === '' ? undefined : env.compileExpression(key);
  // The default identities are the same few strings over and over: built once, they keep their cached hash, so the
  // counter lookups keyed by them do not rehash a fresh string per request.
  const memo = { 'sub:': new Map<string, string>(), 'ip:': new Map<string, string>() };
  const identity = (prefix: 'sub:' | 'ip:', value: string): string => {
    const known = memo[prefix];
    let id = known.get(value);
    if (id === undefined) {
      if (known.size >= MAX_MEMOIZED_IDENTITIES) known.clear();
      id = before + prefix + value;
      known.set(value, id);
    }
    return id;
  };
  return (ctx) => {
    if (expression) {
      try {
        const value = expression.evaluate(ctx);
        if (value !== undefined && value !== null && value !== '') {
          return `${before}key:${sha256Hex(typeof value === 'string' ? value : JSON.stringify(value)).slice(0, 32)}`;
        }
      } catch {
        // A key that cannot be computed for this request falls back to the default identity.
      }
    }
    return ctx.subscription ? identity('sub:', ctx.subscription.id) : identity('ip:', ctx.request.clientIp);
  };
}
