import { ByteSize, Duration } from '@gatehouse/config';
import Type, { type Static } from 'typebox';

export const TrafficShadowingConfigSchema = Type.Object(
  {
    url: Type.String({
      format: 'http-url',
      description: 'Base URL of the shadow target; the request path and query are appended, as for the upstream.',
    }),
    percentage: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 100,
        description: 'Share of matching requests copied (random sampling).',
        default: 100,
      }),
    ),
    timeout: Type.Optional(Duration('Time a shadow request may take before it is abandoned.', '5s')),
    includeBody: Type.Optional(
      Type.Boolean({
        description:
          'Copy the request body. Only bodies with a Content-Length up to `maxBodySize` are copied (they get buffered); requests with larger or chunked bodies are not shadowed.',
        default: true,
      }),
    ),
    maxBodySize: Type.Optional(ByteSize('Largest body copied to the shadow.', '64kb')),
    headers: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.String(), {
        description: 'Headers added to (or replacing those of) the shadow request, e.g. `x-shadow: "true"`.',
        default: {},
      }),
    ),
    removeHeaders: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'Request headers not copied to the shadow: credentials stay with the real upstream by default.',
        default: ['authorization', 'proxy-authorization', 'cookie', 'x-api-key'],
      }),
    ),
    maxConcurrent: Type.Optional(
      Type.Integer({
        minimum: 1,
        description:
          'Shadow requests in flight at once per policy; beyond that copies are dropped so a slow shadow cannot pile up.',
        default: 100,
      }),
    ),
  },
  { additionalProperties: false },
);

export type TrafficShadowingConfig = Required<Static<typeof TrafficShadowingConfigSchema>>;
