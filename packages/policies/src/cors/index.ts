/**
 * cors: preflights are answered by the gateway in the preSecurity phase (204, or 403 for an origin,
 * method or header that is not allowed), so they never need credentials and never reach the
 * upstream. Actual cross-origin requests get their CORS headers in the response phase; for an origin
 * that is not allowed the response carries no CORS headers at all (upstream ones are removed too:
 * with this policy the gateway is the single authority on CORS).
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { GatewayError, parseDuration } from '@gatehouse/core';
import { definePolicy } from '../sdk/define.js';
import { corsContract } from './contract.js';
import { compileOrigins } from './origins.js';
import type { CorsConfig } from './schema.js';

const CORS_RESPONSE_HEADERS = [
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-expose-headers',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-max-age',
];

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Adds tokens to Vary unless already there (or Vary is `*`). */
export function appendVary(headers: OutgoingHttpHeaders, ...tokens: string[]): void {
  const current = headers.vary;
  const existing = (Array.isArray(current) ? current.join(',') : current === undefined ? '' : String(current))
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (existing.includes('*')) return;
  const lower = new Set(existing.map((t) => t.toLowerCase()));
  const added = tokens.filter((t) => !lower.has(t.toLowerCase()));
  if (added.length > 0) headers.vary = [...existing, ...added].join(', ');
}

const forbidden = (detail: string) => new GatewayError('forbidden', { detail: `CORS preflight refused: ${detail}` });

export const corsPolicy = definePolicy<CorsConfig>({
  ...corsContract,
  create(config) {
    const origins = compileOrigins(config.origins);
    const methods = new Set(config.methods);
    const allowHeaders = new Set(config.allowHeaders.map((h) => h.toLowerCase()));
    const maxAgeSeconds = String(Math.floor(parseDuration(config.maxAge) / 1000));
    const methodsValue = config.methods.join(', ');
    const exposeValue = config.exposeHeaders.join(', ');
    // `*` answers `*` and never with credentials (the contract refuses `*` with credentials: it
    // would hand every site the visitor's cookies); listed origins are echoed.
    const allowOriginFor = (origin: string) => (origins.any ? '*' : origin);
    const credentials = config.credentials && !origins.any;
    // Unless the answer is `*` for everyone, it depends on Origin, also when refused or absent:
    // without Vary a shared cache could give one origin the answer meant for another.
    const varyOnOrigin = !origins.any;

    return {
      preSecurity(ctx) {
        const { headers } = ctx.request;
        const origin = headerValue(headers.origin);
        const requestedMethod = headerValue(headers['access-control-request-method']);
        if (ctx.request.method !== 'OPTIONS' || origin === undefined || requestedMethod === undefined) return;
        if (!origins.allows(origin)) throw forbidden('origin not allowed');
        if (!methods.has(requestedMethod.toUpperCase())) throw forbidden(`method ${requestedMethod} not allowed`);
        const requestedHeaders = (headerValue(headers['access-control-request-headers']) ?? '')
          .split(',')
          .map((h) => h.trim().toLowerCase())
          .filter(Boolean);
        if (allowHeaders.size > 0) {
          const refused = requestedHeaders.filter((h) => !allowHeaders.has(h));
          if (refused.length > 0) throw forbidden(`header(s) ${refused.join(', ')} not allowed`);
        }
        const answer: OutgoingHttpHeaders = {
          'access-control-allow-origin': allowOriginFor(origin),
          'access-control-allow-methods': methodsValue,
          'access-control-max-age': maxAgeSeconds,
          vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
        };
        const allowedHeaders = allowHeaders.size > 0 ? config.allowHeaders.join(', ') : requestedHeaders.join(', ');
        if (allowedHeaders) answer['access-control-allow-headers'] = allowedHeaders;
        if (credentials) answer['access-control-allow-credentials'] = 'true';
        ctx.respond(204, answer);
      },
      response(ctx) {
        const headers = ctx.response.headers;
        if (varyOnOrigin) appendVary(headers, 'Origin');
        const origin = headerValue(ctx.request.headers.origin);
        if (origin === undefined) return;
        // Our own preflight answer is already complete.
        if (ctx.response.fromGateway && ctx.request.method === 'OPTIONS' && headers['access-control-allow-methods'])
          return;
        // Unset rather than deleted (a deleted property makes the headers object a slow dictionary).
        for (const name of CORS_RESPONSE_HEADERS) if (headers[name] !== undefined) headers[name] = undefined;
        if (!origins.allows(origin)) return;
        headers['access-control-allow-origin'] = allowOriginFor(origin);
        if (credentials) headers['access-control-allow-credentials'] = 'true';
        if (exposeValue) headers['access-control-expose-headers'] = exposeValue;
      },
    };
  },
});
