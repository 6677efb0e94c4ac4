/**
 * Policy configs, `when:` expressions and plan security checked where they are written, with the
 * catalog the gateways use (`@gatehouse/policies/catalog`), so a mistake is a 400 with its field
 * path rather than a gateway refusing the deployed document. Schema problems of the same request
 * are reported together with these (routes set `attachValidation`).
 */
import type { ConfigProblem } from '@gatehouse/config';
import { GatewayError, type InvalidParam } from '@gatehouse/core';
import { checkApiMock, checkPolicyRefs, checkSecurity } from '@gatehouse/policies/catalog';
import type { ErrorObject } from 'ajv';
import type { FastifyRequest } from 'fastify';
import { SECRET_MASK } from '../secrets/fields.js';
import { validationProblem } from './validation.js';

const field = (value: unknown, key: string): unknown =>
  value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;

/** The value at a problem path such as `body.policies[1].config.secret` (`body` being the request body). */
function valueAt(body: unknown, path: string): unknown {
  let value: unknown = { body };
  for (const [, name, index] of path.matchAll(/\.?([^.[\]]+)|\[(\d+)\]/g)) {
    value = index !== undefined ? (Array.isArray(value) ? value[Number(index)] : undefined) : field(value, name!);
  }
  return value;
}

/**
 * A secret sent back as the mask keeps its stored value (secrets/keyring.ts), which was checked when
 * it was written: the mask itself is not a config mistake.
 */
function withoutMasks(body: unknown, problems: ConfigProblem[]): ConfigProblem[] {
  return problems.filter((p) => valueAt(body, p.path) !== SECRET_MASK);
}

/** An API body: API-scope `policies` and each route's `policies`. */
export function apiBodyProblems(body: unknown): ConfigProblem[] {
  const problems = checkPolicyRefs(field(body, 'policies'), 'body.policies', 'api');
  const routes = field(body, 'routes');
  if (Array.isArray(routes))
    routes.forEach((route, i) => {
      problems.push(...checkPolicyRefs(field(route, 'policies'), `body.routes[${i}].policies`, 'route'));
    });
  // Mock choices against the document sent with them (a stored document is checked at deploy).
  problems.push(...checkApiMock(body, 'body.upstream.mock'));
  return withoutMasks(body, problems);
}

/** A plan body: `security` and plan-scope `policies`. */
export function planBodyProblems(body: unknown): ConfigProblem[] {
  return withoutMasks(body, [
    ...checkSecurity(field(body, 'security'), 'body.security').problems,
    ...checkPolicyRefs(field(body, 'policies'), 'body.policies', 'plan'),
  ]);
}

/**
 * Throws one `validation_failed` problem listing the request's schema problems (if the route
 * attached them) and `problems`, or returns when there are none.
 */
export function assertValidRequest(request: FastifyRequest, problems: ConfigProblem[]): void {
  const failed = request.validationError as
    | (Error & { validation?: ErrorObject[]; validationContext?: string })
    | undefined;
  const schemaErrors: InvalidParam[] = failed?.validation
    ? (validationProblem(failed.validation, failed.validationContext).errors ?? [])
    : [];
  if (failed && !failed.validation) throw failed;
  // Only the body's schema problems and ours go together; a bad path parameter stands alone.
  if (failed && failed.validationContext !== 'body')
    throw validationProblem(failed.validation!, failed.validationContext);
  // Where the schema already spoke (e.g. an unknown security type, an enum), its message stands.
  const schemaPaths = new Set(schemaErrors.map((e) => e.path));
  const all = [
    ...schemaErrors,
    ...problems.filter((p) => !schemaPaths.has(p.path)).map((p) => ({ path: p.path, message: p.message })),
  ];
  if (all.length === 0) return;
  throw new GatewayError('validation_failed', {
    detail: all.map((e) => `${e.path} ${e.message}`).join('; '),
    errors: all,
  });
}
