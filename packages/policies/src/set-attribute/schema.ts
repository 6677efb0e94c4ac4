import Type, { type Static } from 'typebox';

export const SetAttributeConfig = Type.Object(
  {
    values: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.Unknown(), {
        description: 'Attributes set to literal values (string, number, boolean, list or map), applied first.',
        default: {},
      }),
    ),
    expressions: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1 }), {
        description:
          'Attributes set to the result of a CEL expression over `request`, `context`, `attributes` and `claims`, evaluated in order: later expressions see earlier attributes.',
        default: {},
      }),
    ),
    phase: Type.Optional(
      Type.Union([Type.Literal('preSecurity'), Type.Literal('request')], {
        description:
          'When to set them: `request` (after security: plan, application and claims are known) or `preSecurity`.',
        default: 'request',
      }),
    ),
    onError: Type.Optional(
      Type.Union([Type.Literal('fail'), Type.Literal('skip')], {
        description:
          'When an expression cannot be evaluated (e.g. a missing claim): `fail` answers 500 `policy_error`; `skip` leaves that attribute unset. Use `has(...)` or `?:` in the expression for optional data.',
        default: 'fail',
      }),
    ),
  },
  { additionalProperties: false },
);
export type SetAttributeConfig = Required<Static<typeof SetAttributeConfig>>;
