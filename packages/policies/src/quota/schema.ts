import { Duration } from '@gatehouse/config';
import Type, { type Static } from 'typebox';
import { KeyField } from '../sdk/traffic-key.js';

export const QuotaConfig = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Requests allowed per period and key.', default: 1000 }),
    ),
    period: Type.Optional(
      Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')], {
        description:
          'Calendar period the limit applies to; it resets at local midnight of the period start in `timeZone`.',
        default: 'day',
      }),
    ),
    timeZone: Type.Optional(
      Type.String({
        description:
          'IANA time zone the calendar periods follow, e.g. `Europe/Paris` (a DST day lasts 23 or 25 hours).',
        default: 'UTC',
        minLength: 1,
      }),
    ),
    weekStart: Type.Optional(
      Type.Union([Type.Literal('monday'), Type.Literal('sunday')], {
        description: 'First day of a `week` period.',
        default: 'monday',
      }),
    ),
    key: KeyField('quota'),
    headers: Type.Optional(
      Type.Boolean({
        description:
          'Adds `X-Quota-Limit`, `X-Quota-Remaining` and `X-Quota-Reset` (seconds until the period ends) to responses.',
        default: true,
      }),
    ),
    mode: Type.Optional(
      Type.Union([Type.Literal('exact'), Type.Literal('approximate')], {
        description:
          '`exact` counts every request in the shared counter store (one Redis round trip per request when Redis is configured); `approximate` counts locally and reconciles with the store every `syncInterval`, so gateways may together overshoot by what they admit between syncs.',
        default: 'exact',
      }),
    ),
    syncInterval: Type.Optional(
      Duration('How often approximate mode reconciles local counts with the shared store.', '1s'),
    ),
  },
  { additionalProperties: false },
);
export type QuotaConfig = Required<Static<typeof QuotaConfig>>;
