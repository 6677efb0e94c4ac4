/** An application's usage for its owner (developer portal; consumers see only their own applications). */
import Type from 'typebox';
import { envScope } from '../auth/context.js';
import { EnvParams, errorResponses, Uuid } from '../http/schemas.js';
import { applicationUsage } from '../services/usage.js';
import { type App, type RouteDeps, typed } from './deps.js';

const Ms = Type.Union([Type.Number(), Type.Null()]);

export function usageRoutes(root: App, deps: RouteDeps): void {
  typed(root).get(
    '/api/v1/environments/:env/applications/:appId/usage',
    {
      config: { action: 'applications:read' },
      schema: {
        tags: ['applications'],
        summary: "An application's requests, errors and latency per API, and its quota use",
        description:
          'Range is [from, to): default the last 30 days, at most 400. `quota` is the current period of a plan with a quota policy, counted from analytics (what gateways reported; requests the quota refused are not counted): approximate, it lags by the analytics batch interval, and a quota keyed on something other than the subscription counts differently. Consumers see only their own applications (another one is 404).',
        params: Type.Object({ env: EnvParams.properties.env, appId: Uuid('Application id.') }),
        querystring: Type.Object(
          {
            from: Type.Optional(Type.String({ format: 'date-time', description: 'Start (inclusive).' })),
            to: Type.Optional(Type.String({ format: 'date-time', description: 'End (exclusive); default now.' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              applicationId: Type.String(),
              from: Type.String({ format: 'date-time' }),
              to: Type.String({ format: 'date-time' }),
              apis: Type.Array(
                Type.Object(
                  {
                    apiId: Type.Union([Type.String(), Type.Null()]),
                    requests: Type.Integer(),
                    errors: Type.Integer({ description: 'Answers with status 400 or above.' }),
                    latency: Type.Object({ p50: Ms, p95: Ms }, { additionalProperties: false }),
                  },
                  { additionalProperties: false },
                ),
              ),
              subscriptions: Type.Array(
                Type.Object(
                  {
                    id: Type.String(),
                    apiId: Type.String(),
                    planId: Type.String(),
                    status: Type.String(),
                    quota: Type.Union([
                      Type.Object(
                        {
                          limit: Type.Integer(),
                          period: Type.String(),
                          used: Type.Integer(),
                          remaining: Type.Integer(),
                          resetsAt: Type.String({ format: 'date-time' }),
                          approximate: Type.Boolean(),
                        },
                        { additionalProperties: false },
                      ),
                      Type.Null(),
                    ]),
                  },
                  { additionalProperties: false },
                ),
              ),
            },
            { additionalProperties: false },
          ),
          ...errorResponses(),
        },
      },
    },
    async (request) => applicationUsage(envScope(request, deps.db), request.params.appId, request.query),
  );
}
