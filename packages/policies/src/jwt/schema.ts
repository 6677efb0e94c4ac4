import { Duration } from '@gatehouse/config';
import Type, { type Static } from 'typebox';
import { TokenSourceSchema } from './bearer.js';

export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;
export const JWT_ALGORITHMS = [...HMAC_ALGORITHMS, ...ASYMMETRIC_ALGORITHMS] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

const StringOrList = (description: string) =>
  Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], {
    description,
  });

export const JwtConfigSchema = Type.Object(
  {
    secret: Type.Optional(
      Type.String({
        minLength: 1,
        writeOnly: true,
        description:
          'Shared secret for HS256/384/512 (at least 32 bytes once decoded). Prefer `secretEnv` so the file holds no secret.',
      }),
    ),
    secretEnv: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Name of an environment variable holding the shared secret (read at load).',
      }),
    ),
    secretEncoding: Type.Optional(
      Type.Union([Type.Literal('utf8'), Type.Literal('base64'), Type.Literal('base64url')], {
        default: 'utf8',
        description: 'How the shared secret is encoded.',
      }),
    ),
    publicKey: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Verification key for RS*, PS*, ES*, EdDSA: inline PEM (public key or certificate), a JWK or JWK Set as JSON, or a path to a file holding one (relative to the config file).',
      }),
    ),
    jwksUrl: Type.Optional(
      Type.String({
        format: 'http-url',
        description: 'URL of the issuer JWK Set; keys are cached and refreshed when a token names an unknown `kid`.',
      }),
    ),
    jwks: Type.Optional(
      Type.Object(
        {
          maxAge: Type.Optional(Duration('How long fetched keys are used before they are fetched again.', '10m')),
          minRefreshInterval: Type.Optional(
            Duration(
              'Least time between two fetches (unknown `kid` refreshes included), so bad tokens cannot hammer the issuer.',
              '30s',
            ),
          ),
          timeout: Type.Optional(Duration('Time allowed for one JWK Set fetch.', '5s')),
        },
        { additionalProperties: false, default: {}, description: 'JWK Set fetching (with `jwksUrl`).' },
      ),
    ),
    algorithms: Type.Optional(
      Type.Array(Type.Union(JWT_ALGORITHMS.map((a) => Type.Literal(a))), {
        uniqueItems: true,
        default: [],
        description:
          'Accepted `alg` values. Empty = derived from the key: HS* for a secret, the algorithms of the public key type, or every asymmetric algorithm for a JWK Set.',
      }),
    ),
    issuer: Type.Optional(StringOrList('Accepted `iss` value(s); not checked when omitted.')),
    audience: Type.Optional(StringOrList('Accepted `aud` value(s) (one match is enough); not checked when omitted.')),
    clockSkew: Type.Optional(Duration('Tolerance applied to `exp` and `nbf`.', '30s')),
    requiredClaims: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        default: [],
        description: 'Claims every token must carry (e.g. `sub`, `exp`).',
      }),
    ),
    clientIdClaims: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        default: ['client_id', 'azp'],
        description: "Claims tried in order to find the application's `clientId`; the first string value wins.",
      }),
    ),
    forwardClaims: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.String({ pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" }), {
        default: {},
        description:
          'Claims forwarded upstream as headers: `{ claim: header }` (dotted paths reach nested claims). Client-sent headers of these names are always removed.',
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
              description: 'Verified tokens kept (LRU); 0 disables the cache.',
            }),
          ),
          maxTtl: Type.Optional(
            Duration(
              'Longest time a verified token is served from the cache (also bounds tokens without `exp`).',
              '5m',
            ),
          ),
        },
        {
          additionalProperties: false,
          default: {},
          description: 'Cache of verified tokens, so a repeated token costs a map lookup.',
        },
      ),
    ),
  },
  { additionalProperties: false, description: 'JWT bearer tokens verified at the gateway.' },
);
export type JwtConfig = Static<typeof JwtConfigSchema>;
