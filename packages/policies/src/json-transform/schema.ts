import { Duration } from '@gatehouse/config';
import Type, { type Static } from 'typebox';
import { BodyPhaseField, MaxBodySizeField } from '../sdk/body-message.js';
import { MaxBodyDepthField } from '../sdk/nesting-depth.js';

export const JsonTransformConfig = Type.Object(
  {
    phase: BodyPhaseField('is transformed'),
    expression: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'JSONata expression over the JSON body, with bindings `$request`, `$context`, `$attributes`, `$claims` (and `$response` with `status` and `headers` in the response phase); its result becomes the body (`null` when it has none). Example: `{"id": orderId, "customer": $claims.sub}`. Regex literals (`/.../i` in `$match`, `$replace`, `$split`, `$contains`) run on RE2 in linear time: no lookaround and no backreferences; such a literal is refused at load.',
        default: '$',
      }),
    ),
    timeout: Type.Optional(
      Duration('Longest an evaluation may run before it is stopped with 500 `policy_error`.', '100ms'),
    ),
    maxDepth: Type.Optional(
      Type.Integer({
        minimum: 10,
        description: 'Deepest evaluation nesting allowed (guards runaway recursion).',
        default: 200,
      }),
    ),
    contentType: Type.Optional(
      Type.String({ minLength: 1, description: 'Content-Type of the transformed body.', default: 'application/json' }),
    ),
    maxBodySize: MaxBodySizeField(),
    maxBodyDepth: MaxBodyDepthField('JSON arrays and objects in the body'),
  },
  { additionalProperties: false },
);
export type JsonTransformConfig = Required<Static<typeof JsonTransformConfig>>;
