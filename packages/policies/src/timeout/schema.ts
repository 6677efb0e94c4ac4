import { Duration } from '@gatehouse/config';
import Type, { type Static } from 'typebox';

export const TimeoutConfigSchema = Type.Object(
  {
    response: Type.Optional(
      Duration(
        "Time the upstream has to send its response headers for matching requests, per attempt (504 `upstream_timeout` after the last one), replacing the upstream's `timeouts.response`.",
        '30s',
      ),
    ),
  },
  { additionalProperties: false },
);

export type TimeoutConfig = Required<Static<typeof TimeoutConfigSchema>>;
