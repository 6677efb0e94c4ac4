// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${ cel }` placeholders are template syntax in plain strings, not JS templates.
import Type, { type Static } from 'typebox';

export const RoutingRule = Type.Object(
  {
    when: Type.String({
      minLength: 1,
      description:
        'CEL condition over `request`, `context`, `attributes` and `claims`, e.g. `request.headers["x-region"] == "eu"`.',
    }),
    url: Type.String({
      minLength: 1,
      description:
        'Target base URL for matching requests, a template with `${ cel }` placeholders, e.g. `http://${attributes.shard}.orders.internal:8080`. The request path and query are appended as usual.',
    }),
  },
  { additionalProperties: false },
);

export const DynamicRoutingConfigSchema = Type.Object(
  {
    rules: Type.Array(RoutingRule, {
      minItems: 1,
      description: 'Rules tried in order; the first whose `when` is true picks the target.',
    }),
    allowedHosts: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description:
          'Host names a rendered URL may point to (`*.internal` allowed). Empty allows any host; set it whenever a URL template uses client input.',
        default: [],
      }),
    ),
    onNoMatch: Type.Optional(
      Type.Union([Type.Literal('upstream'), Type.Literal('reject')], {
        description:
          '`upstream` sends unmatched requests to the API upstream as usual; `reject` answers 404 `no_route`.',
        default: 'upstream',
      }),
    ),
  },
  { additionalProperties: false },
);

type Raw = Static<typeof DynamicRoutingConfigSchema>;
export type DynamicRoutingConfig = Required<Raw>;
