/**
 * Every error leaves as problem+json from the core catalog: no stack, no driver message. Unknown
 * errors are logged server-side (never with query parameters) and answered as `internal_error`.
 */
import { GatewayError, PROBLEM_CONTENT_TYPE, problem, toProblem } from '@gatehouse/core';
import type { ErrorObject } from 'ajv';
import type { FastifyError, FastifyInstance } from 'fastify';
import { loggableError } from './hardening.js';
import { validationProblem } from './validation.js';

/** PostgreSQL SQLSTATE of a driver error, looking through Drizzle's wrapper. */
export function sqlState(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 3; e = e.cause as never, i++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return undefined;
}

export function isUniqueViolation(error: unknown): boolean {
  return sqlState(error) === '23505';
}

function toGatewayError(error: FastifyError | Error): GatewayError | undefined {
  if (error instanceof GatewayError) return error;
  const fe = error as FastifyError;
  if (fe.validation) return validationProblem(fe.validation as ErrorObject[], fe.validationContext);
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatewayError('unsupported_media_type', { detail: 'Send application/json.' });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatewayError('payload_too_large');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new GatewayError('bad_request', { detail: 'The body is not valid JSON.' });
  }
  if (error instanceof SyntaxError && fe.statusCode === 400) {
    return new GatewayError('bad_request', { detail: 'The body is not valid JSON.' });
  }
  const state = sqlState(error);
  if (state === '23505')
    return new GatewayError('conflict', { detail: 'An object with the same identity already exists.' });
  if (state === '23503')
    return new GatewayError('conflict', { detail: 'The object is referenced by or references another one.' });
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new GatewayError('bad_request', { status: fe.statusCode, detail: fe.message });
  }
  return undefined;
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = toGatewayError(error);
    if (!known) request.log.error({ err: loggableError(error) }, 'unhandled error');
    else if (known.status >= 500) request.log.error({ err: loggableError(error) }, known.code);
    const body = known ? known.toProblem(request.url) : toProblem(error, request.url);
    if (known?.headers) reply.headers(known.headers);
    reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .type(PROBLEM_CONTENT_TYPE)
      .send(
        problem('not_found', {
          detail: `No route ${request.method} ${request.url.split('?')[0]}`,
          instance: request.url,
        }),
      );
  });
}
