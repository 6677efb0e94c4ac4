/**
 * Plan security `api-key`: the key travels in a header (or, when configured, a query parameter) and
 * is looked up by its SHA-256 hash, so neither the config nor memory of the lookup holds clear keys.
 * Any unknown key (wrong, revoked, expired, or another API's) is the same 401, so callers cannot
 * probe which keys exist. The key never reaches the upstream.
 */
import { GatewayError, hashApiKey } from '@gatehouse/core';
import { defineSecurity } from '../sdk/define.js';
import type { GatewayRequest } from '../sdk/types.js';
import { apiKeyContract } from './contract.js';
import type { ApiKeyConfig } from './schema.js';

/** Removes every occurrence of `name` from a raw query string, leaving other parameters byte-for-byte. */
export function removeQueryParameter(rawQuery: string, name: string): string {
  if (rawQuery === '') return rawQuery;
  return rawQuery
    .split('&')
    .filter((pair) => {
      const rawName = pair.split('=', 1)[0]!;
      try {
        return decodeURIComponent(rawName.replaceAll('+', ' ')) !== name;
      } catch {
        return rawName !== name;
      }
    })
    .join('&');
}

function firstValue(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  const trimmed = first?.trim();
  return trimmed ? trimmed : undefined;
}

/** Takes the key out of the request (so it is not forwarded) and returns it. */
function extractKey(request: GatewayRequest, headerName: string, queryName: string | undefined): string | undefined {
  const fromHeader = firstValue(request.headers[headerName]);
  // Unset rather than deleted (a deleted property makes the headers object a slow dictionary).
  if (request.headers[headerName] !== undefined) request.headers[headerName] = undefined;
  let fromQuery: string | undefined;
  if (queryName !== undefined && request.rawQuery !== '') {
    fromQuery = firstValue(request.query.get(queryName) ?? undefined);
    if (request.query.has(queryName)) request.rawQuery = removeQueryParameter(request.rawQuery, queryName);
  }
  return fromHeader ?? fromQuery;
}

export const apiKeySecurity = defineSecurity<ApiKeyConfig>({
  ...apiKeyContract,
  create(config, env) {
    const headerName = config.header.toLowerCase();
    return {
      authenticate(ctx) {
        const key = extractKey(ctx.request, headerName, config.query);
        if (key === undefined) return undefined;
        const subscription = env.lookup.apiKey(hashApiKey(key));
        if (subscription === undefined) {
          return { error: new GatewayError('unauthorized', { detail: 'The API key is invalid, revoked or expired.' }) };
        }
        return { subscription, principal: subscription.application.id };
      },
    };
  },
});
