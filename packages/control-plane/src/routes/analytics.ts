import Type from 'typebox';
import { envScope } from '../auth/context.js';
import { EnvParams, errorResponses, Slug, StringEnum, Uuid } from '../http/schemas.js';
import { ANALYTICS_GROUPS, ANALYTICS_INTERVALS, queryRequestAnalytics } from '../services/analytics.js';
import { type App, type RouteDeps, typed } from './deps.js';

const StatusClasses = Type.Object(
  { '1xx': Type.Integer(), '2xx': Type.Integer(), '3xx': Type.Integer(), '4xx': Type.Integer(), '5xx': Type.Integer() },
  { additionalProperties: false },
);
const Ms = Type.Union([Type.Number(), Type.Null()]);
const Latency = Type.Object(
  { p50: Ms, p95: Ms, p99: Ms },
  { additionalProperties: false, description: 'Gateway latency percentiles in ms (null without traffic).' },
);
const Aggregate = { total: Type.Integer(), byStatusClass: StatusClasses, latency: Latency };

export function analyticsRoutes(root: App, deps: RouteDeps): void {
  typed(root).get(
    '/api/v1/environments/:env/analytics/requests',
    {
      config: { action: 'analytics:read' },
      schema: {
        tags: ['analytics'],
        summary: 'Request totals, status classes and latency percentiles over a time range, in buckets',
        description:
          'Range is [from, to): default the last hour, widened to whole buckets of the interval (the answer says which). `interval` auto picks 1m up to 6 h, 1h up to 14 days, then 1d. Consumers see only their own applications. Answered from rollups: totals are exact; latency percentiles are nearest-rank over log-scale histograms, within 9.1 % of the true value. A query running over 10 s is stopped (503 service_unavailable).',
        params: EnvParams,
        querystring: Type.Object(
          {
            from: Type.Optional(Type.String({ format: 'date-time', description: 'Start (inclusive), ISO 8601.' })),
            to: Type.Optional(
              Type.String({ format: 'date-time', description: 'End (exclusive), ISO 8601; default now.' }),
            ),
            apiId: Type.Optional(Slug('Only this API.')),
            applicationId: Type.Optional(Uuid('Only this application.')),
            interval: Type.Optional(
              StringEnum(
                [...(Object.keys(ANALYTICS_INTERVALS) as (keyof typeof ANALYTICS_INTERVALS)[]), 'auto'] as const,
                {
                  default: 'auto',
                  description: 'Bucket size.',
                },
              ),
            ),
            groupBy: Type.Optional(
              StringEnum(ANALYTICS_GROUPS, { description: 'Adds per-group aggregates (top 100).' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              from: Type.String({ format: 'date-time' }),
              to: Type.String({ format: 'date-time' }),
              interval: Type.String(),
              ...Aggregate,
              buckets: Type.Array(
                Type.Object(
                  { start: Type.String({ format: 'date-time' }), ...Aggregate },
                  { additionalProperties: false },
                ),
              ),
              groupBy: Type.Optional(Type.String()),
              groups: Type.Optional(
                Type.Array(
                  Type.Object(
                    { key: Type.Union([Type.String(), Type.Null()]), ...Aggregate },
                    { additionalProperties: false },
                  ),
                ),
              ),
            },
            { additionalProperties: false },
          ),
          ...errorResponses(),
        },
      },
    },
    async (request) => queryRequestAnalytics(envScope(request, deps.analyticsDb), request.query),
  );
}
