/**
 * Request validation: one strict Ajv for bodies (no type coercion, unknown fields refused by the
 * schemas' additionalProperties: false) and one that coerces for query strings, params and headers,
 * which arrive as strings. Errors become `validation_failed` problems listing each field path.
 */
import { formatAjvErrors } from '@gatehouse/config';
import { GatewayError, type InvalidParam } from '@gatehouse/core';
import { Ajv, type ErrorObject } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

export const HTTP_URL = /^https?:\/\/[^\s/?#]+(?:[/?#]\S*)?$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/;

function createAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: true,
    strict: false,
    allowUnionTypes: true,
    removeAdditional: false,
    coerceTypes: coerce ? 'array' : false,
    // Errors carry the value and schema, for "did you mean" hints on unknown fields and enum values.
    verbose: true,
  });
  ajv.addFormat('http-url', { type: 'string', validate: (v: string) => HTTP_URL.test(v) });
  ajv.addFormat('uuid', { type: 'string', validate: (v: string) => UUID.test(v) });
  ajv.addFormat('email', { type: 'string', validate: (v: string) => EMAIL.test(v) });
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (v: string) => DATE_TIME.test(v) && !Number.isNaN(Date.parse(v)),
  });
  return ajv;
}

const bodyAjv = createAjv(false);
const stringsAjv = createAjv(true);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : stringsAjv;
  return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
};

const PART_NAMES: Record<string, string> = { body: 'body', querystring: 'query', params: 'params', headers: 'headers' };

/** Fastify's validation error (error.validation + validationContext) to our problem. */
export function validationProblem(errors: ErrorObject[], context: string | undefined): GatewayError {
  const base = PART_NAMES[context ?? 'body'] ?? 'body';
  const list: InvalidParam[] = formatAjvErrors(errors, base).map((p) => ({ path: p.path || base, message: p.message }));
  return new GatewayError('validation_failed', {
    detail: list.map((e) => `${e.path} ${e.message}`).join('; '),
    errors: list,
  });
}

/** For checks the schema cannot express (cross-field, database lookups). */
export function invalid(path: string, message: string): GatewayError {
  return new GatewayError('validation_failed', { detail: `${path} ${message}`, errors: [{ path, message }] });
}
