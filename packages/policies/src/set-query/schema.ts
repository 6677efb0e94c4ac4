// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import Type, { type Static } from 'typebox';

const templateNote = 'Values may contain `${ cel }` placeholders over `request`, `context`, `attributes` and `claims`.';

export const SetQueryConfig = Type.Object(
  {
    remove: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'Query parameters removed (every occurrence), applied first.',
        default: [],
      }),
    ),
    set: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.String(), {
        description: `Parameters set to one value, replacing any existing occurrences (kept at the first one's position). ${templateNote}`,
        default: {},
      }),
    ),
    add: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.String(), {
        description: `Parameters appended, keeping existing occurrences. ${templateNote}`,
        default: {},
      }),
    ),
  },
  { additionalProperties: false },
);
export type SetQueryConfig = Required<Static<typeof SetQueryConfig>>;
