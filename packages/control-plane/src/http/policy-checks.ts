/**
 * Policy configs, `when:` expressions and plan security checked where they are written, with the
 * catalog the gateways use (`@gatehouse/policies/catalog`), so a mistake is a 400 with its field
 * path rather than a gateway refusing the deployed document. Schema problems of the same request
 * are reported together with these (routes set `attachValidation`).
 */
import type { ConfigProblem } from '@gatehouse/config';
import { GatewayError, type InvalidParam } from '@gatehouse/core';
import { checkPolicyRefs, checkSecurity } from '@gatehouse/policies/catalog';
import type { ErrorObject } from 'ajv';
import type { FastifyRequest } from 'fastify';
import { validationProblem } from './validation.js';

const field = (value: unknown, key: string): unknown =>
  value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;

/** An API body: API-scope `policies` and each route's `policies`. */
export function apiBodyProblems(body: unknown): ConfigProblem[] {
  const problems = checkPolicyRefs(field(body, 'policies'), 'body.policies', 'api');
  const routes = field(body, 'routes');
  if (Array.isArray(routes))
    routes.forEach((route, i) => {
      problems.push(...checkPolicyRefs(field(route, 'policies'), `body.routes[${i}].policies`, 'route'));
    });
  return problems;
}

/** A plan body: `security` and plan-scope `policies`. */
export function planBodyProblems(body: unknown): ConfigProblem[] {
  return [
    ...checkSecurity(field(body, 'security'), 'body.security').problems,
    ...checkPolicyRefs(field(body, 'policies'), 'body.policies', 'plan'),
  ];
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
