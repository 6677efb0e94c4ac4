// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { ByteSize, Duration, HEADER_MAP_KEYWORD } from '@gatehouse/config';
import Type, { type Static } from 'typebox';

export const HttpCalloutConfigSchema = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      description:
        'URL of the service, a template with `${ cel }` placeholders, e.g. `http://users.internal/v1/users/${claims.sub}`.',
    }),
    method: Type.Optional(
      Type.Union(
        ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => Type.Literal(m)),
        { description: 'HTTP method of the call.', default: 'GET' },
      ),
    ),
    headers: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.String(), {
        [HEADER_MAP_KEYWORD]: true,
        description:
          'Headers of the call; values are templates. Nothing from the client request is sent unless a template puts it there.',
        default: {},
      }),
    ),
    body: Type.Optional(
      Type.String({
        description:
          'Body template of the call; empty sends no body. `Content-Type: application/json` is added when the headers name none.',
        default: '',
      }),
    ),
    timeout: Type.Optional(Duration('Time the whole call (connect, headers and body) may take.', '5s')),
    attribute: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
        description:
          'Attribute receiving the result: `{ ok, status, headers, body, error? }` with the body parsed when JSON, e.g. `attributes.callout.body.tier` in later conditions and templates.',
        default: 'callout',
      }),
    ),
    maxResponseSize: Type.Optional(ByteSize('Largest response body read; a bigger one is an error.', '1mb')),
    errorOnStatus: Type.Optional(
      Type.Boolean({ description: 'Count 4xx/5xx answers as failures (for `failOnError` and `ok`).', default: true }),
    ),
    failOnError: Type.Optional(
      Type.Boolean({
        description:
          'Answer the client with an error when the call fails; otherwise the request continues with `ok: false` in the attribute.',
        default: false,
      }),
    ),
    errorStatus: Type.Optional(
      Type.Integer({
        minimum: 400,
        maximum: 599,
        description: 'Status of the `upstream_unavailable` answer when `failOnError` is set.',
        default: 502,
      }),
    ),
    allowedHosts: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description:
          'Host names the rendered URL may point to (`*.internal` allowed). Empty allows any; set it when the URL uses client input.',
        default: [],
      }),
    ),
  },
  { additionalProperties: false },
);

export type HttpCalloutConfig = Required<Static<typeof HttpCalloutConfigSchema>>;
