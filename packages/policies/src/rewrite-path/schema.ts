import Type, { type Static } from 'typebox';

export const RewritePathConfig = Type.Object(
  {
    pattern: Type.String({
      minLength: 1,
      description:
        'Regular expression matched against the path forwarded upstream (basePath already stripped, no query), e.g. `^/users/(?<id>[^/]+)$`. Requests whose path does not match are forwarded unchanged. RE2 syntax, matched in linear time: no lookaround (`(?=`, `(?<=`) and no backreferences (`\\1`); such patterns are refused at load.',
    }),
    replacement: Type.String({
      pattern: '^/',
      description:
        'New path. `{name}` inserts the named group `name`, `{1}` the first numbered group, `{0}` the whole match; other text is literal. Example: `/v2/accounts/{id}`.',
    }),
    query: Type.Optional(
      Type.String({
        description:
          'Query parameters to add, with the same placeholders (values are URL-encoded), e.g. `id={id}&version=2`. Empty: none.',
        default: '',
      }),
    ),
    keepQuery: Type.Optional(
      Type.Boolean({
        description: "Keep the request's original query string (the `query` parameters come after it).",
        default: true,
      }),
    ),
    ignoreCase: Type.Optional(Type.Boolean({ description: 'Match `pattern` case-insensitively.', default: false })),
  },
  {
    additionalProperties: false,
    description: 'Rewrites the upstream path (and optionally the query) from a regular expression.',
  },
);
/** After validation every defaulted field is present. */
export type RewritePathConfig = Required<Static<typeof RewritePathConfig>>;
