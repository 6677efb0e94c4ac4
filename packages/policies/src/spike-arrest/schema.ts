import Type, { type Static } from 'typebox';
import { KeyField } from '../sdk/traffic-key.js';

export const RATE_PATTERN = '^[1-9][0-9]*/(s|m|h)$';

export const SpikeArrestConfig = Type.Object(
  {
    rate: Type.Optional(
      Type.String({
        pattern: RATE_PATTERN,
        description:
          'Smoothed rate as `<requests>/<s|m|h>`: `10/s` admits one request every 100 ms, `600/m` likewise; requests closer together than that (beyond `burst`) get 429.',
        default: '10/s',
      }),
    ),
    burst: Type.Optional(
      Type.Integer({
        minimum: 1,
        description:
          'Requests that may arrive at once before spacing is enforced (bucket size); 1 means strict spacing.',
        default: 1,
      }),
    ),
    key: KeyField('bucket'),
    distributed: Type.Optional(
      Type.Boolean({
        description:
          'Share the limit across gateways through the counter store (Redis when configured): each window of `burst` intervals admits `burst` requests, an approximation of the smooth per-gateway bucket. When false (default), every gateway enforces the rate on its own, in memory.',
        default: false,
      }),
    ),
  },
  { additionalProperties: false },
);
export type SpikeArrestConfig = Required<Static<typeof SpikeArrestConfig>>;

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;

/** `10/s` -> 100 (ms between admitted requests). */
export function emissionIntervalMs(rate: string): number {
  const [count, unit] = rate.split('/') as [string, keyof typeof UNIT_MS];
  return UNIT_MS[unit] / Number(count);
}
