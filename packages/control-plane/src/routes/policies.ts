/**
 * The policy catalog the console builds its forms from: each policy's (and plan security type's)
 * JSON Schema, the same one the gateway validates configs with. Read-only and the same for everyone.
 */
import { compileExpression, policyRegistry, securityRegistry } from '@gatehouse/policies';
import Type from 'typebox';
import { errorResponses } from '../http/schemas.js';
import { invalid } from '../http/validation.js';
import { type App, type RouteDeps, typed } from './deps.js';

const PolicyInfo = Type.Object(
  {
    name: Type.String({ description: 'Registry name, e.g. `rate-limit` (or the security type).' }),
    description: Type.String(),
    kind: Type.Union([Type.Literal('policy'), Type.Literal('security')]),
    schema: Type.Record(Type.String(), Type.Unknown(), { description: 'JSON Schema of `config`.' }),
    phases: Type.Array(Type.String()),
    scopes: Type.Union([Type.Array(Type.String()), Type.Null()], {
      description: 'Where it may appear; null: anywhere.',
    }),
  },
  { additionalProperties: false },
);

export function policyRoutes(root: App, _deps: RouteDeps): void {
  // Built once: the registry is fixed for the life of the process.
  const items = [
    ...[...policyRegistry.values()].map((p) => ({
      name: p.name,
      description: p.summary,
      kind: 'policy' as const,
      schema: JSON.parse(JSON.stringify(p.configSchema)) as Record<string, unknown>,
      phases: [...p.phases],
      scopes: p.scopes ? [...p.scopes] : null,
    })),
    ...[...securityRegistry.values()].map((s) => ({
      name: s.type,
      description: s.summary,
      kind: 'security' as const,
      schema: JSON.parse(JSON.stringify(s.configSchema)) as Record<string, unknown>,
      phases: ['security'],
      scopes: ['plan'],
    })),
  ];
  typed(root).get(
    '/api/v1/policies',
    {
      config: { action: 'policies:read' },
      schema: {
        tags: ['policies'],
        summary: 'Policies and plan security types with the JSON Schema of their config',
        response: { 200: Type.Object({ items: Type.Array(PolicyInfo) }), ...errorResponses() },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'private, max-age=300');
      return { items };
    },
  );

  typed(root).post(
    '/api/v1/policies/check-expression',
    {
      config: { action: 'policies:read' },
      schema: {
        tags: ['policies'],
        summary: 'Check a CEL expression (a policy `when:` or key) before saving it',
        description:
          'Parses and plans it as the gateway would; 400 with the problem at `body.expression` when it does not compile.',
        body: Type.Object(
          { expression: Type.String({ minLength: 1, maxLength: 4000 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ valid: Type.Literal(true) }), ...errorResponses() },
      },
    },
    async (request) => {
      try {
        compileExpression(request.body.expression);
      } catch (error) {
        throw invalid('body.expression', (error as Error).message);
      }
      return { valid: true as const };
    },
  );
}
