import Type, { type Static } from 'typebox';

const Toggle = (description: string) => Type.Optional(Type.Boolean({ description, default: true }));

export const OpenApiValidationConfigSchema = Type.Object(
  {
    document: Type.Optional(
      Type.Union([Type.String({ minLength: 1 }), Type.Record(Type.String(), Type.Unknown())], {
        description:
          "OpenAPI 3.0/3.1 document: inline, or a JSON/YAML file path relative to the config file. Defaults to the API's `openapi`. Unknown schema keywords (other than OpenAPI's and `x-` extensions), patterns RE2 cannot run, unresolvable `$ref`s and documents nested deeper than 128 levels or larger than 8 MiB are refused where the config is written (inline documents: the management API answers 400 with the path inside the document) and at load (files); each operation's validators compile on its first request.",
      }),
    ),
    serverPath: Type.Optional(
      Type.String({
        pattern: '^(/.*)?$',
        description:
          "Prefix of the forwarded path that comes before the document's paths (e.g. `/v1` when the document's server URL ends in `/v1`); empty when they match directly.",
        default: '',
      }),
    ),
    validatePath: Toggle('Validate path parameters.'),
    validateQuery: Toggle('Validate query parameters.'),
    validateHeaders: Toggle('Validate header parameters.'),
    validateCookies: Toggle('Validate cookie parameters.'),
    validateBody: Toggle('Validate the request body against the schema of its content type (JSON and form bodies).'),
    unknownOperations: Type.Optional(
      Type.Union([Type.Literal('allow'), Type.Literal('reject')], {
        description:
          '`reject` answers 404 `no_route` for paths the document does not describe and 405 for methods it does not list on a known path; `allow` forwards them unvalidated.',
        default: 'allow',
      }),
    ),
    unknownQueryParameters: Type.Optional(
      Type.Union([Type.Literal('allow'), Type.Literal('reject')], {
        description: '`reject` answers 400 for query parameters the operation does not declare.',
        default: 'allow',
      }),
    ),
    maxErrors: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, description: 'Most errors listed in a 400 answer.', default: 10 }),
    ),
    maxDepth: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1000,
        description:
          'Deepest nesting of arrays/objects accepted in a JSON body; deeper bodies answer 400 without being validated.',
        default: 100,
      }),
    ),
  },
  { additionalProperties: false },
);

type Raw = Static<typeof OpenApiValidationConfigSchema>;
export type OpenApiValidationConfig = Raw & Required<Omit<Raw, 'document'>>;
