import { Duration } from '@gatehouse/config';
import Type, { type Static } from 'typebox';
import { TokenSourceSchema } from '../jwt/bearer.js';

/** `"<METHODS> <path-prefix>"` or `"<path-prefix>"`: METHODS is `*` or a comma list such as `GET,HEAD`. */
export const SCOPE_RULE_PATTERN = '^(?:(?:\\*|[A-Za-z]+(?:,[A-Za-z]+)*) +)?/\\S*$';

export const OAuth2ConfigSchema = Type.Object(
  {
    introspectionUrl: Type.String({
      format: 'http-url',
      description: 'RFC 7662 token introspection endpoint of the authorization server.',
    }),
    clientId: Type.String({
      minLength: 1,
      description: 'Client id the gateway authenticates with at the introspection endpoint (HTTP Basic).',
    }),
    clientSecret: Type.Optional(
      Type.String({
        minLength: 1,
        writeOnly: true,
        description:
          'Client secret for the introspection endpoint. Prefer `clientSecretEnv` so the file holds no secret.',
      }),
    ),
    clientSecretEnv: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Name of an environment variable holding the client secret (read at load).',
      }),
    ),
    tokenTypeHint: Type.Optional(
      Type.String({
        default: 'access_token',
        description: '`token_type_hint` sent with each introspection request; empty to omit it.',
      }),
    ),
    timeout: Type.Optional(Duration('Time allowed for one introspection request (503 after).', '5s')),
    requiredScopes: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        default: [],
        description: 'Scopes every request on this plan needs.',
      }),
    ),
    scopes: Type.Optional(
      Type.Record(Type.String({ pattern: SCOPE_RULE_PATTERN }), Type.Array(Type.String({ minLength: 1 })), {
        additionalProperties: false,
        default: {},
        description:
          'Extra scopes per request: `{ "<METHODS> <path-prefix>": [scopes] }`, e.g. `"POST,PUT /orders": ["orders:write"]`, `"/admin": ["admin"]` (any method). The path is relative to the API basePath and matches whole segments; the longest matching prefix wins (a rule naming the method beats `*` on a tie). Its scopes add to `requiredScopes`.',
      }),
    ),
    scopeClaim: Type.Optional(
      Type.String({
        default: 'scope',
        description: 'Introspection member listing the granted scopes (space-separated string or array).',
      }),
    ),
    clientIdClaims: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        default: ['client_id'],
        description: "Introspection members tried in order to find the application's `clientId`.",
      }),
    ),
    forwardClaims: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.String({ pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" }), {
        default: {},
        description:
          'Introspection members forwarded upstream as headers: `{ member: header }`. Client-sent headers of these names are always removed.',
      }),
    ),
    forwardToken: Type.Optional(
      Type.Boolean({ default: false, description: 'Keep the token in the forwarded request (removed by default).' }),
    ),
    token: Type.Optional(TokenSourceSchema),
    cache: Type.Optional(
      Type.Object(
        {
          maxEntries: Type.Optional(
            Type.Integer({
              minimum: 0,
              default: 10_000,
              description: 'Introspection results kept (LRU); 0 disables the cache.',
            }),
          ),
          maxTtl: Type.Optional(
            Duration('Longest time an active token is trusted without asking again (bounded by its `exp`).', '5m'),
          ),
          negativeTtl: Type.Optional(
            Duration('How long an inactive token is remembered, so replays do not reach the server.', '10s'),
          ),
        },
        {
          additionalProperties: false,
          default: {},
          description: 'Cache of introspection results, keyed by a hash of the token.',
        },
      ),
    ),
  },
  { additionalProperties: false, description: 'Opaque (or any) bearer tokens checked by RFC 7662 introspection.' },
);
export type OAuth2Config = Static<typeof OAuth2ConfigSchema>;
