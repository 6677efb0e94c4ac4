import Type, { type Static } from 'typebox';

const SchemaSource = (description: string) =>
  Type.Optional(
    Type.Union([Type.String({ minLength: 1 }), Type.Record(Type.String(), Type.Unknown()), Type.Boolean()], {
      description: `${description} Inline JSON Schema (an object, or \`true\`/\`false\`), or a JSON/YAML file path relative to the config file. \`$schema\` selects draft-07 (default), 2019-09 or 2020-12. Unknown keywords and patterns RE2 cannot run are refused at load.`,
    }),
  );

export const JsonSchemaConfigSchema = Type.Object(
  {
    schema: SchemaSource('Schema of the request body; omit to validate responses only.'),
    methods: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'Request methods whose body is validated; other methods pass untouched.',
        default: ['POST', 'PUT', 'PATCH'],
      }),
    ),
    requireBody: Type.Optional(
      Type.Boolean({ description: 'Reject (400) a request of those methods that has no body.', default: true }),
    ),
    responseSchema: SchemaSource('Schema of the upstream response body; omit to validate requests only.'),
    responseStatuses: Type.Optional(
      Type.Array(Type.Integer({ minimum: 100, maximum: 599 }), {
        description: 'Upstream statuses whose body is validated against `responseSchema`; empty means every 2xx.',
        default: [],
      }),
    ),
    onResponseError: Type.Optional(
      Type.Union([Type.Literal('reject'), Type.Literal('log')], {
        description:
          '`reject` answers 502 `upstream_bad_response` when the response does not match; `log` only logs a warning.',
        default: 'reject',
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
          'Deepest nesting of arrays/objects accepted in a body; deeper bodies answer 400 without being validated.',
        default: 100,
      }),
    ),
  },
  { additionalProperties: false },
);

type Raw = Static<typeof JsonSchemaConfigSchema>;
export type JsonSchemaConfig = Raw &
  Required<Pick<Raw, 'methods' | 'requireBody' | 'responseStatuses' | 'onResponseError' | 'maxErrors' | 'maxDepth'>>;
