import Type, { type Static } from 'typebox';

export const RetryConfigSchema = Type.Object(
  {
    attempts: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 10,
        description:
          "Extra attempts after a connection failure, a timeout or a retried status, replacing the upstream's `retries.attempts` for this request. Only idempotent requests (GET, HEAD, OPTIONS, PUT, DELETE) are retried.",
        default: 2,
      }),
    ),
    onStatus: Type.Optional(
      Type.Array(Type.Integer({ minimum: 500, maximum: 599 }), {
        description:
          "Upstream statuses that are retried too, replacing the upstream's `retries.onStatus` for this request.",
        default: [502, 503, 504],
        uniqueItems: true,
      }),
    ),
  },
  { additionalProperties: false },
);

export type RetryConfig = Required<Static<typeof RetryConfigSchema>>;
