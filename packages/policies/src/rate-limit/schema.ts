import { Duration } from '@gatehouse/config';
import Type, { type Static } from 'typebox';

export const RateLimitConfig = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, description: 'Requests admitted per window for each key.' }),
    window: Duration('Length of the window.'),
    algorithm: Type.Optional(
      Type.Union([Type.Literal('fixed'), Type.Literal('sliding')], {
        description:
          '`fixed`: counters reset at each window boundary (aligned to the epoch), which allows up to 2 x limit around a boundary. `sliding`: the previous window is weighed in proportionally, which smooths that burst away.',
        default: 'fixed',
      }),
    ),
    key: Type.Optional(
      Type.String({
        description:
          'CEL expression giving the counter key, e.g. `request.headers["x-tenant"]`. By default each subscription has its own counter, and keyless plans count per client IP. An empty or failing key falls back to that default.',
        minLength: 1,
      }),
    ),
    mode: Type.Optional(
      Type.Union([Type.Literal('exact'), Type.Literal('approximate')], {
        description:
          '`exact`: every request consults the shared store (one Redis round trip). `approximate`: each gateway counts locally and reconciles with the shared store every `syncInterval`; with G gateways each seeing r requests/s for a key, a window admits at most limit + (G - 1) x min(limit, r x syncInterval) requests.',
        default: 'exact',
      }),
    ),
    syncInterval: Type.Optional(
      Duration('How often an `approximate` gateway reconciles its local counts with the shared store.', '1s'),
    ),
    headers: Type.Optional(
      Type.Boolean({
        description: 'Send RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset (seconds) on every response.',
        default: true,
      }),
    ),
  },
  { additionalProperties: false, description: 'Limits requests per key in a time window.' },
);
/** After validation every defaulted field is present. */
export type RateLimitConfig = Required<Omit<Static<typeof RateLimitConfig>, 'key'>> & { key?: string };
