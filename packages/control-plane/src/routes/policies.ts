/**
 * The policy catalog over the management API, for the console's policy forms and for clients that
 * validate before they write: every policy and plan security type with its version, phases and the
 * JSON Schema of its config. The same catalog checks every write and deployment.
 */
import { compileExpression } from '@gatehouse/policies';
import { describeCatalog } from '@gatehouse/policies/catalog';
import Type from 'typebox';
import { errorResponses } from '../http/schemas.js';
import { invalid } from '../http/validation.js';
import { type App, type RouteDeps, typed } from './deps.js';

const JsonSchema = Type.Record(Type.String(), Type.Unknown(), { description: 'JSON Schema of `config`.' });
const Scope = Type.Union([Type.Literal('global'), Type.Literal('api'), Type.Literal('plan'), Type.Literal('route')]);
const Phase = Type.Union([
  Type.Literal('preSecurity'),
  Type.Literal('request'),
  Type.Literal('response'),
  Type.Literal('log'),
]);

const Catalog = Type.Object(
  {
    policies: Type.Array(
      Type.Object(
        {
          name: Type.String({ description: 'Name used in `policies[].policy`.' }),
          version: Type.String(),
          category: Type.String(),
          summary: Type.String(),
          phases: Type.Array(Phase),
          scopes: Type.Array(Scope, { description: 'Where the policy may be attached.' }),
          configSchema: JsonSchema,
          example: Type.Record(Type.String(), Type.Unknown(), { description: 'A policy reference using it.' }),
        },
        { additionalProperties: false },
      ),
    ),
    securityTypes: Type.Array(
      Type.Object(
        {
          type: Type.String({ description: "Value of a plan's `security.type`." }),
          version: Type.String(),
          summary: Type.String(),
          priority: Type.Integer({ description: 'Lower is tried first when an API has plans of several types.' }),
          configSchema: JsonSchema,
          example: Type.Record(Type.String(), Type.Unknown()),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export function policyRoutes(root: App, _deps: RouteDeps): void {
  const app = typed(root);
  // The catalog is fixed for the life of the process: serialized once.
  const catalog = describeCatalog();
  app.get(
    '/api/v1/policies',
    {
      config: { action: 'policies:read' },
      schema: {
        tags: ['policies'],
        summary: 'Policies and plan security types, with the JSON Schema of their config',
        response: { 200: Catalog, ...errorResponses() },
      },
    },
    async () => catalog,
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
