// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import Type, { type Static } from 'typebox';
import { BodyPhaseField } from '../sdk/body-message.js';

export const SetBodyConfig = Type.Object(
  {
    phase: BodyPhaseField('is replaced'),
    body: Type.Optional(
      Type.String({
        description:
          'The new body: text with `${ cel }` placeholders over `request`, `context`, `attributes`, `claims` (and `response.status`, `response.headers` in the response phase), e.g. `{"user": ${ claims.sub }}`.',
        default: '',
      }),
    ),
    encoding: Type.Optional(
      Type.Union([Type.Literal('json'), Type.Literal('raw')], {
        description:
          'How placeholder values are written: `json` JSON-encodes every value (strings get quotes and escapes, missing values become `null`), so do not quote placeholders yourself; `raw` inserts strings as they are (for text bodies).',
        default: 'json',
      }),
    ),
    contentType: Type.Optional(
      Type.String({
        description: 'Content-Type of the new body; empty keeps the current one.',
        default: 'application/json',
      }),
    ),
  },
  { additionalProperties: false },
);
export type SetBodyConfig = Required<Static<typeof SetBodyConfig>>;
