import Type, { type Static } from 'typebox';

export const ApiKeyConfig = Type.Object(
  {
    header: Type.Optional(
      Type.String({
        description: 'Request header carrying the API key (case-insensitive).',
        default: 'X-Api-Key',
        pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
      }),
    ),
    query: Type.Optional(
      Type.String({
        description:
          'Also accept the key from this query parameter (e.g. `api_key`); off by default because URLs end up in logs.',
        minLength: 1,
      }),
    ),
  },
  { additionalProperties: false, description: 'Where the API key is read from.' },
);
/** After validation `header` is always present. */
export type ApiKeyConfig = Static<typeof ApiKeyConfig> & { header: string };
