import { ByteSize, Duration } from '@gatehouse/config';
import Type, { type Static } from 'typebox';

export const DEFAULT_CACHEABLE_STATUSES = [200, 203, 204, 300, 301, 404, 410];

export const CacheConfigSchema = Type.Object(
  {
    ttl: Type.Optional(
      Duration(
        'How long a response is kept when the upstream gives no lifetime (or `useUpstreamCacheControl` is false).',
        '5m',
      ),
    ),
    useUpstreamCacheControl: Type.Optional(
      Type.Boolean({
        description:
          "Honour the upstream's Cache-Control: `s-maxage`/`max-age` set the lifetime (minus `Age`); `no-store`, `no-cache`, `private` and `max-age=0` responses are not stored.",
        default: true,
      }),
    ),
    requestCacheControl: Type.Optional(
      Type.Boolean({
        description:
          "Honour the client's Cache-Control: `no-cache` (or `Pragma: no-cache`) skips the lookup but stores the fresh answer; `no-store` neither reads nor stores.",
        default: true,
      }),
    ),
    methods: Type.Optional(
      Type.Array(Type.Union([Type.Literal('GET'), Type.Literal('HEAD'), Type.Literal('POST')]), {
        description:
          'Methods served from the cache. HEAD is answered from the GET entry. For POST the request body (hashed) is part of the key, so it is buffered.',
        default: ['GET', 'HEAD'],
        uniqueItems: true,
      }),
    ),
    statuses: Type.Optional(
      Type.Array(Type.Integer({ minimum: 200, maximum: 599 }), {
        description: 'Upstream statuses that may be stored.',
        default: DEFAULT_CACHEABLE_STATUSES,
      }),
    ),
    keyHeaders: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description:
          'Request headers whose values are part of the cache key (besides method, Host, path and query). Headers named in the upstream Vary are matched anyway.',
        default: [],
      }),
    ),
    keyBy: Type.Optional(
      Type.Array(
        Type.Union([
          Type.Literal('caller'),
          Type.Literal('application'),
          Type.Literal('plan'),
          Type.Literal('subscription'),
        ]),
        {
          description:
            'Identity in the key, for responses that differ per caller. `caller` (the default) keeps one cache per authenticated caller: subscription, token subject (`iss` + `sub`) and basic-auth user, or the raw `Authorization` header the gateway did not check; anonymous callers share. `application` keeps one cache per application. Empty shares entries between all callers of this scope; then, as RFC 9111 section 3.5 requires of shared caches, a response to a request with credentials is stored only when the upstream marks it `public`, `s-maxage` or `must-revalidate`.',
          default: ['caller'],
          uniqueItems: true,
        },
      ),
    ),
    maxEntrySize: Type.Optional(ByteSize('Largest response body stored; larger responses pass uncached.', '1mb')),
    bufferUnknownLength: Type.Optional(
      Type.Boolean({
        description:
          'Also store responses without Content-Length (chunked). They are buffered up to the gateway maxBodyBuffer, and one larger than that fails with 502, so this is off by default.',
        default: false,
      }),
    ),
    statusHeader: Type.Optional(
      Type.String({
        description: 'Response header telling HIT, MISS or BYPASS; empty to leave it out.',
        default: 'x-cache',
      }),
    ),
  },
  { additionalProperties: false },
);

export type CacheConfig = Required<Static<typeof CacheConfigSchema>>;
