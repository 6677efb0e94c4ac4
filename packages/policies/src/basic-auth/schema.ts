import { Duration } from '@gatehouse/config';
import Type, { type Static } from 'typebox';

export const BasicAuthConfigSchema = Type.Object(
  {
    realm: Type.Optional(
      Type.String({
        minLength: 1,
        pattern: '^[^"\\\\\\r\\n]*$',
        default: 'gatehouse',
        description: 'Realm named in the `WWW-Authenticate: Basic` challenge.',
      }),
    ),
    credentials: Type.Optional(
      Type.Array(
        Type.Object(
          {
            username: Type.String({
              minLength: 1,
              pattern: '^[^:]*$',
              description: 'User name (no colon, as HTTP Basic requires).',
            }),
            passwordHash: Type.String({
              minLength: 1,
              writeOnly: true,
              description:
                'Password hash: bcrypt (`$2a$`, `$2b$`, `$2y$`) or argon2 (`$argon2id$...`, also `$argon2i$`/`$argon2d$`). Plaintext passwords are refused.',
            }),
          },
          { additionalProperties: false, description: 'One accepted user.' },
        ),
        { default: [], description: 'Accepted users and their password hashes.' },
      ),
    ),
    cacheTtl: Type.Optional(
      Duration(
        'How long a successful verification is remembered, so the hash cost is not paid on every request; `0ms` disables it.',
        '60s',
      ),
    ),
    cacheMaxEntries: Type.Optional(
      Type.Integer({ minimum: 1, default: 1000, description: 'Successful verifications remembered (LRU).' }),
    ),
    maxFailures: Type.Optional(
      Type.Integer({
        minimum: 1,
        default: 5,
        description:
          'Failed logins allowed per (user name, client address) within `failureWindow`; further attempts get 429 `too_many_requests` with `Retry-After`, without a hash check, until the window ends.',
      }),
    ),
    failureWindow: Type.Optional(Duration('Window in which failed logins are counted.', '1m')),
    failureMaxEntries: Type.Optional(
      Type.Integer({
        minimum: 1,
        default: 10000,
        description: '(user name, client address) pairs whose failures are remembered (LRU).',
      }),
    ),
    forwardCredentials: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Keep the `Authorization` header in the forwarded request (removed by default, so the upstream never sees passwords).',
      }),
    ),
  },
  { additionalProperties: false, description: 'HTTP Basic authentication against hashed passwords.' },
);
export type BasicAuthConfig = Static<typeof BasicAuthConfigSchema>;
