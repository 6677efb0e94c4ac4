import { Duration } from '@gatehouse/config';
import Type, { type Static } from 'typebox';
import { KeyField } from '../sdk/traffic-key.js';

export const ConcurrencyLimitConfig = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Requests allowed in flight at once per key.', default: 10 }),
    ),
    key: KeyField('pool'),
    queueSize: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          'Requests that may wait (first in, first out) for a free slot when the limit is reached; 0 answers 429 at once.',
        default: 0,
      }),
    ),
    queueTimeout: Type.Optional(Duration('How long a queued request waits for a slot before it gets 429.', '5s')),
  },
  { additionalProperties: false },
);
export type ConcurrencyLimitConfig = Required<Static<typeof ConcurrencyLimitConfig>>;
