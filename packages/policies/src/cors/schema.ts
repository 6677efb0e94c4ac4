import { Duration } from '@gatehouse/config';
import Type, { type Static } from 'typebox';

export const CorsConfig = Type.Object(
  {
    origins: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description:
          'Allowed origins: `*` (any), an exact origin such as `https://app.example.com`, or one with `*` standing for one or more host labels, e.g. `https://*.example.com` (which does not match `https://example.com` itself).',
        default: ['*'],
      }),
    ),
    methods: Type.Optional(
      Type.Array(Type.String({ pattern: '^[A-Z]+$' }), {
        description: 'Methods allowed in cross-origin requests (answered in Access-Control-Allow-Methods).',
        default: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      }),
    ),
    allowHeaders: Type.Optional(
      Type.Array(Type.String({ pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" }), {
        description:
          'Request headers a browser may send. Empty: whatever the preflight asks for is allowed (reflected).',
        default: [],
      }),
    ),
    exposeHeaders: Type.Optional(
      Type.Array(Type.String({ pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" }), {
        description: 'Response headers scripts may read beyond the safelisted ones (Access-Control-Expose-Headers).',
        default: [],
      }),
    ),
    credentials: Type.Optional(
      Type.Boolean({
        description:
          "Allow cookies and HTTP authentication (Access-Control-Allow-Credentials). Only with listed origins: `*` with credentials is refused (every site could call with the visitor's cookies).",
        default: false,
      }),
    ),
    maxAge: Type.Optional(Duration('How long browsers may cache a preflight answer (Access-Control-Max-Age).', '10m')),
  },
  { additionalProperties: false, description: 'Cross-origin resource sharing, answered at the gateway.' },
);
/** After validation every defaulted field is present. */
export type CorsConfig = Required<Static<typeof CorsConfig>>;
