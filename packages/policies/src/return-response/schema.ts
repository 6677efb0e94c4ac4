// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import Type, { type Static } from 'typebox';

export const ReturnResponseConfigSchema = Type.Object(
  {
    status: Type.Optional(
      Type.Integer({ minimum: 100, maximum: 599, description: 'Status of the answer.', default: 200 }),
    ),
    headers: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.String(), {
        description:
          'Response headers; values are templates with `${ cel }` placeholders over `request`, `context`, `attributes` and `claims`.',
        default: {},
      }),
    ),
    body: Type.Optional(
      Type.String({
        description:
          'Body template with `${ cel }` placeholders, e.g. `{"user": "${claims.sub}", "path": "${request.path}"}`. Strings are inserted as is, other values as JSON.',
        default: '',
      }),
    ),
  },
  { additionalProperties: false },
);

export type ReturnResponseConfig = Required<Static<typeof ReturnResponseConfigSchema>>;
