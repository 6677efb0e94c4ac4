/**
 * Answer headers and input checks every route shares:
 *  - `X-Content-Type-Options: nosniff` on every answer; `Cache-Control: no-store` on answers to
 *    authenticated requests (tokens, keys and definitions must not stay in shared or browser caches);
 *  - NUL characters refused (400 with the field path) in path parameters, query strings and JSON
 *    bodies before any handler, so none reaches SQL (PostgreSQL refuses `\u0000` in text and jsonb).
 */
import { GatewayError } from '@gatehouse/core';
import type { FastifyInstance } from 'fastify';

/** Whether any string (key or value) holds a NUL character; allocates nothing (bodies of 5,000 records). */
function hasNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 64 || value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (hasNul(value[i], depth + 1)) return true;
    return false;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (key.includes('\u0000') || hasNul((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}

/** The path of the first string (key or value) holding a NUL character, or undefined. */
export function findNul(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (depth > 64 || value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], `${path}[${i}]`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, child] of Object.entries(value)) {
    if (key.includes('\u0000')) return `${path}.${JSON.stringify(key)}`;
    const found = findNul(child, `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

function refuseNul(value: unknown, base: string): void {
  if (!hasNul(value)) return;
  const path = findNul(value, base);
  if (!path) return;
  throw new GatewayError('validation_failed', {
    detail: `${path} contains a NUL character (\\u0000), which no field accepts.`,
    errors: [{ path, message: 'contains a NUL character (\\u0000)' }],
  });
}

export function registerHardening(app: FastifyInstance): void {
  // Before authentication: it already looks the environment of the path up in the database.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    refuseNul(request.params, 'params');
    refuseNul(request.query, 'query');
  });
  app.addHook('preValidation', async (request) => {
    refuseNul(request.body, 'body');
  });
  app.addHook('onSend', async (request, reply) => {
    if (request.headers.authorization !== undefined || request.headers.cookie !== undefined) {
      reply.header('cache-control', 'no-store');
    }
  });
}

/**
 * What the log keeps of an unexpected error: name, SQLSTATE and the driver's message, never a
 * query's parameters (Drizzle's error message embeds them, and they hold passwords and tokens).
 */
export function loggableError(error: unknown): Record<string, unknown> {
  const e = error as {
    name?: string;
    message?: string;
    code?: unknown;
    stack?: string;
    params?: unknown;
    cause?: unknown;
  };
  if (e && typeof e === 'object' && 'params' in e && 'query' in e) {
    const cause = e.cause as { message?: string; code?: unknown } | undefined;
    return {
      type: e.name,
      message: `database query failed: ${cause?.message ?? 'unknown driver error'}`,
      code: cause?.code,
      query: (e as { query?: unknown }).query,
    };
  }
  return { type: e?.name, message: e?.message, code: e?.code, stack: e?.stack };
}
