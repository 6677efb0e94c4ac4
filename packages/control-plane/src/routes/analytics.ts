import Type from 'typebox';
import { envScope } from '../auth/context.js';
import { EnvParams, errorResponses, Page, PageQueryFields, Slug, StringEnum, Uuid } from '../http/schemas.js';
import { ANALYTICS_GROUPS, ANALYTICS_INTERVALS, queryRequestAnalytics } from '../services/analytics.js';
import { listAnalyticsRecords, STATUS_CLASSES } from '../services/analytics-records.js';
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
const Text = Type.Union([Type.String(), Type.Null()]);
const Num = Type.Union([Type.Number(), Type.Null()]);
const RecordView = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Record id (chosen by the gateway; not the request id).' }),
    time: Type.String({ format: 'date-time', description: 'When the request started (microseconds, UTC).' }),
    gatewayId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    api: Text,
    plan: Text,
    application: Text,
    subscription: Text,
    method: Type.String(),
    route: Type.Union([Type.String(), Type.Null()], { description: 'Route id of the API that matched.' }),
    status: Type.Integer(),
    latencyMs: Type.Number(),
    upstreamLatencyMs: Num,
    bytesIn: Num,
    bytesOut: Num,
    clientIp: Type.Union([Type.String(), Type.Null()], { description: 'As the gateway anonymised it.' }),
    errorCode: Text,
  },
  { additionalProperties: false },
);

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

  typed(root).get(
    '/api/v1/environments/:env/analytics/records',
    {
      config: { action: 'analytics:read' },
      schema: {
        tags: ['analytics'],
        summary: 'Raw request records of a time range, newest first (drill-down from a chart)',
        description:
          'Range is [from, to): default the last hour, at most 24 h. Keyset pages (`limit`, `cursor` from `nextCursor`). Filters: API, application, status class, route prefix. Consumers see only their own applications. Read from the raw records (kept for the analytics retention); a query running over 10 s is stopped (503 service_unavailable).',
        params: EnvParams,
        querystring: Type.Object(
          {
            ...PageQueryFields,
            from: Type.Optional(Type.String({ format: 'date-time', description: 'Start (inclusive), ISO 8601.' })),
            to: Type.Optional(
              Type.String({ format: 'date-time', description: 'End (exclusive), ISO 8601; default now.' }),
            ),
            apiId: Type.Optional(Slug('Only this API.')),
            applicationId: Type.Optional(Uuid('Only this application.')),
            statusClass: Type.Optional(StringEnum(STATUS_CLASSES, { description: 'Only this status class.' })),
            routePrefix: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 500,
                description: 'Only records whose route id starts with this (plain text, no wildcards).',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              from: Type.String({ format: 'date-time' }),
              to: Type.String({ format: 'date-time' }),
              ...Page(RecordView).properties,
            },
            { additionalProperties: false },
          ),
          ...errorResponses(),
        },
      },
    },
    async (request) => listAnalyticsRecords(envScope(request, deps.analyticsDb), request.query),
  );
}
