// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import Type, { type Static } from 'typebox';

const templateNote = 'May contain `${ cel }` placeholders over `request`, `context`, `attributes` and `claims`.';

export const MockResponseConfig = Type.Object(
  {
    status: Type.Optional(
      Type.Integer({ minimum: 200, maximum: 599, description: 'Status code of the answer.', default: 200 }),
    ),
    headers: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description: `Response headers. Without a content-type, a non-empty body is sent as text/plain. Values: ${templateNote}`,
        propertyNames: { pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" },
        default: {},
      }),
    ),
    body: Type.Optional(Type.String({ description: `Response body. ${templateNote}`, default: '' })),
  },
  {
    additionalProperties: false,
    description: 'Answers at the gateway with a fixed (or templated) response; the upstream is not called.',
  },
);
/** After validation every field is present. */
export type MockResponseConfig = Required<Static<typeof MockResponseConfig>>;
