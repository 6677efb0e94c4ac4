// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import { HEADER_MAP_KEYWORD } from '@gatehouse/config';
import Type, { type Static } from 'typebox';

/** RFC 9110 token: the characters a header field name may use. */
export const HEADER_NAME_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";

const templateNote = 'Values may contain `${ cel }` placeholders over `request`, `context`, `attributes` and `claims`.';

const HeaderChanges = (side: 'request' | 'response', direction: string) =>
  Type.Optional(
    Type.Object(
      {
        remove: Type.Optional(
          Type.Array(Type.String({ pattern: HEADER_NAME_PATTERN }), {
            description: `Header names removed from the ${side}, applied first.`,
            default: [],
          }),
        ),
        set: Type.Optional(
          Type.Record(Type.String(), Type.String(), {
            [HEADER_MAP_KEYWORD]: true,
            description: `Headers set to one value, replacing any existing value. ${templateNote}`,
            propertyNames: { pattern: HEADER_NAME_PATTERN },
            default: {},
          }),
        ),
        add: Type.Optional(
          Type.Record(Type.String(), Type.String(), {
            [HEADER_MAP_KEYWORD]: true,
            description: `Headers appended after existing values (a header may then have several values). ${templateNote}`,
            propertyNames: { pattern: HEADER_NAME_PATTERN },
            default: {},
          }),
        ),
      },
      { additionalProperties: false, description: `Changes to the headers ${direction}.`, default: {} },
    ),
  );

export const SetHeadersConfig = Type.Object(
  {
    request: HeaderChanges('request', 'forwarded to the upstream (request phase)'),
    response: HeaderChanges('response', 'sent to the client (response phase, also on gateway answers)'),
  },
  { additionalProperties: false, description: 'Removes, sets and appends request and response headers.' },
);

export interface HeaderChangesConfig {
  remove: string[];
  set: Record<string, string>;
  add: Record<string, string>;
}
/** After validation every list and map is present (defaults). */
export interface SetHeadersConfig {
  request: HeaderChangesConfig;
  response: HeaderChangesConfig;
}
export type SetHeadersConfigInput = Static<typeof SetHeadersConfig>;
