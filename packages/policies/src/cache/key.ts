/**
 * Cache keys. The readable parts (path, query, header values, identity) are hashed so that keys have
 * a bounded length and header values such as tokens never sit in the store in clear text.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { sha256Hex } from '@gatehouse/core';
import type { RequestContext } from '../sdk/types.js';
import type { CacheConfig } from './schema.js';

/** The attribute basic-auth sets (not imported, to keep the policies independent). */
const BASIC_AUTH_USERNAME = 'basicAuth.username';

function headerValue(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return value === undefined ? '' : Array.isArray(value) ? value.join(', ') : value;
}

/** Query parameters sorted by name, so `?a=1&b=2` and `?b=2&a=1` share an entry. */
function normalizedQuery(query: URLSearchParams): string {
  const sorted = new URLSearchParams(query);
  sorted.sort();
  return sorted.toString();
}

/**
 * Who is calling, as far as the gateway knows: the subscription, the token subject and the
 * basic-auth user; failing those, a raw Authorization header the upstream will judge itself.
 * Empty for anonymous requests.
 */
export function callerIdentity(ctx: RequestContext): string {
  const parts: string[] = [];
  if (ctx.subscription) parts.push(`subscription=${ctx.subscription.id}`);
  const { claims } = ctx;
  if (claims?.sub !== undefined) parts.push(`sub=${String(claims.iss ?? '')} ${String(claims.sub)}`);
  const user = ctx.attributes[BASIC_AUTH_USERNAME];
  if (typeof user === 'string') parts.push(`user=${user}`);
  const authorization = ctx.request.headers.authorization;
  if (parts.length === 0 && authorization !== undefined) parts.push(`authorization=${authorization}`);
  return parts.join('\n');
}

export function primaryKey(
  namespace: string,
  ctx: RequestContext,
  config: Pick<CacheConfig, 'keyHeaders' | 'keyBy'>,
  bodyHash: string,
): string {
  const { request } = ctx;
  const parts: string[] = [
    request.method === 'HEAD' ? 'GET' : request.method,
    // The Host the client sent: one host's answer must never be served for another.
    request.host.toLowerCase(),
    request.path,
    normalizedQuery(request.query),
    bodyHash,
  ];
  for (const name of config.keyHeaders) parts.push(`${name}=${headerValue(request.headers, name)}`);
  for (const dimension of config.keyBy) {
    const id =
      dimension === 'caller'
        ? callerIdentity(ctx)
        : dimension === 'application'
          ? ctx.application?.id
          : dimension === 'plan'
            ? ctx.plan?.id
            : ctx.subscription?.id;
    parts.push(`${dimension}=${id ?? ''}`);
  }
  return `${namespace}${sha256Hex(parts.join('\n'))}`;
}

/** The request's values of the Vary'd headers, as stored with an entry. */
export function varyValues(headers: IncomingHttpHeaders, names: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of names) values[name] = headerValue(headers, name);
  return values;
}

export function varyMatches(stored: Record<string, string>, headers: IncomingHttpHeaders): boolean {
  for (const [name, value] of Object.entries(stored)) if (headerValue(headers, name) !== value) return false;
  return true;
}

/** One entry per combination of Vary'd values, next to the primary entry that tells which headers vary. */
export function variantKey(primary: string, values: Record<string, string>): string {
  const text = Object.keys(values)
    .sort()
    .map((name) => `${name}=${values[name]}`)
    .join('\n');
  return `${primary}:v:${sha256Hex(text)}`;
}
