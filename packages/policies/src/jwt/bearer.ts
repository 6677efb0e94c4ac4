/**
 * Bearer token plumbing shared by the token-based plan security types (jwt, oauth2): where the token
 * is read from, how it is removed before forwarding, and how claims become upstream headers.
 */

import { GatewayError } from '@gatehouse/core';
import Type from 'typebox';
import type { CredentialLookup, RequestContext, SubscriptionInfo } from '../sdk/types.js';

export const TokenSourceSchema = Type.Object(
  {
    header: Type.Optional(
      Type.String({ minLength: 1, default: 'authorization', description: 'Request header that carries the token.' }),
    ),
    scheme: Type.Optional(
      Type.String({
        default: 'Bearer',
        description:
          'Auth scheme expected before the token in the header (case-insensitive); empty = the whole header value is the token.',
      }),
    ),
    query: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Query parameter read when the header is absent (e.g. `access_token`); not read when omitted.',
      }),
    ),
  },
  { additionalProperties: false, default: {}, description: 'Where the token is read from.' },
);

export interface TokenSource {
  header?: string;
  scheme?: string;
  query?: string;
}

export interface FoundToken {
  token: string;
  from: 'header' | 'query';
}

/** Reads the token; undefined when the request carries none in the configured place and scheme. */
export function readToken(ctx: RequestContext, source: TokenSource): FoundToken | undefined {
  const headerName = source.header === undefined ? 'authorization' : source.header.toLowerCase();
  const raw = ctx.request.headers[headerName];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value !== undefined && value !== '') {
    const scheme = source.scheme ?? 'Bearer';
    if (scheme === '') return { token: value.trim(), from: 'header' };
    // `Bearer <token>`; another scheme (e.g. Basic) is not ours.
    if (value.length > scheme.length + 1 && value[scheme.length] === ' ') {
      const given = value.slice(0, scheme.length);
      if (given === scheme || given.toLowerCase() === scheme.toLowerCase()) {
        const token = value.slice(scheme.length + 1).trim();
        if (token !== '') return { token, from: 'header' };
      }
    }
    return undefined;
  }
  if (source.query) {
    const token = ctx.request.query.get(source.query);
    if (token) return { token, from: 'query' };
  }
  return undefined;
}

/** Removes the token from what is forwarded upstream (the upstream must not be able to replay it). */
export function removeToken(ctx: RequestContext, source: TokenSource, found: FoundToken): void {
  if (found.from === 'header') {
    // Unset rather than deleted: `delete` makes the headers object a slow dictionary for every later reader.
    ctx.request.headers[(source.header ?? 'authorization').toLowerCase()] = undefined;
    return;
  }
  const name = source.query!;
  // Filter the raw pairs rather than re-serialising, so the other parameters keep their exact encoding.
  ctx.request.rawQuery = ctx.request.rawQuery
    .split('&')
    .filter((pair) => {
      const rawName = pair.split('=', 1)[0]!;
      try {
        return decodeURIComponent(rawName.replaceAll('+', ' ')) !== name;
      } catch {
        return true;
      }
    })
    .join('&');
}

/** Reads a claim by exact name first (URI-like names contain dots), then as a dotted path. */
export function claimValue(claims: Readonly<Record<string, unknown>>, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name];
  let value: unknown = claims;
  for (const part of name.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** First claim of `names` that is a non-empty string. */
export function firstStringClaim(
  claims: Readonly<Record<string, unknown>>,
  names: readonly string[],
): string | undefined {
  for (const name of names) {
    const value = claimValue(claims, name);
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

const UNSAFE_HEADER_VALUE = /[\r\n\0]/;

/**
 * Sets `header` from `claim` for each entry. Headers of the same name sent by the client are always
 * removed first, so a client can never spoof a claim header the upstream trusts.
 */
export function forwardClaims(
  ctx: RequestContext,
  mapping: Readonly<Record<string, string>>,
  claims: Readonly<Record<string, unknown>>,
): void {
  for (const [claim, header] of Object.entries(mapping)) {
    const name = header.toLowerCase();
    // Unset rather than deleted (a deleted property makes the headers object a slow dictionary).
    ctx.request.headers[name] = undefined;
    const value = claimValue(claims, claim);
    if (value === undefined || value === null) continue;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (UNSAFE_HEADER_VALUE.test(text)) continue;
    ctx.request.headers[name] = text;
  }
}

/** RFC 6750 challenge for a rejected bearer token. */
export function bearerChallenge(
  error: 'invalid_token' | 'insufficient_scope',
  scope?: readonly string[],
): Record<string, string> {
  const scopePart = scope && scope.length > 0 ? `, scope="${scope.join(' ')}"` : '';
  return { 'www-authenticate': `Bearer error="${error}"${scopePart}` };
}

/** Freezes a claims object deeply: cached claims are shared by every request presenting the token. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Inline PEM/JSON text, or else a path (relative to the config file) to read it from. */
export function isInlineMaterial(value: string): boolean {
  const text = value.trimStart();
  return text.startsWith('-----BEGIN') || text.startsWith('{');
}

/** A URL fit for logs: userinfo and query (which may carry credentials) are dropped. */
export function loggableUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid url)';
  }
}

/**
 * The subscription a verified token belongs to: its client claim matched to an application's
 * clientId. No client claim is 401 (the token is unusable here); a client without an accepted
 * subscription to this API is 403 (known caller, no access).
 */
export function subscriptionForClaims(
  claims: Readonly<Record<string, unknown>>,
  clientIdClaims: readonly string[],
  lookup: CredentialLookup,
): { clientId: string; subscription: SubscriptionInfo } | { error: GatewayError } {
  const clientId = firstStringClaim(claims, clientIdClaims);
  if (clientId === undefined) {
    return {
      error: new GatewayError('unauthorized', {
        detail: 'token does not identify a client application',
        headers: bearerChallenge('invalid_token'),
      }),
    };
  }
  const subscription = lookup.clientId(clientId);
  if (!subscription) {
    return {
      error: new GatewayError('forbidden', {
        detail: 'the client application has no accepted subscription to this API',
      }),
    };
  }
  return { clientId, subscription };
}
