import Type, { type Static } from 'typebox';
import { BodyPhaseField, MaxBodySizeField } from '../sdk/body-message.js';
import { MaxBodyDepthField } from '../sdk/nesting-depth.js';

export const XmlToJsonConfig = Type.Object(
  {
    phase: BodyPhaseField('is converted from XML to JSON'),
    attributes: Type.Optional(
      Type.Boolean({
        description: 'Keeps XML attributes as members named with `attributePrefix`; false drops them.',
        default: true,
      }),
    ),
    attributePrefix: Type.Optional(
      Type.String({ description: 'Prefix of members made from attributes (`id="7"` -> `"@id": "7"`).', default: '@' }),
    ),
    textKey: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Member holding the text of an element that also has attributes or children.',
        default: '#text',
      }),
    ),
    typedValues: Type.Optional(
      Type.Boolean({
        description:
          'Turns numeric and boolean text into JSON numbers and booleans. Off by default: `<zip>01234</zip>` stays the string "01234".',
        default: false,
      }),
    ),
    arrayElements: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description:
          'Element names always converted to arrays, even when they occur once (repeated elements always become arrays).',
        default: [],
      }),
    ),
    removeNamespacePrefixes: Type.Optional(
      Type.Boolean({ description: 'Drops namespace prefixes from names (`soap:Body` -> `Body`).', default: false }),
    ),
    contentType: Type.Optional(
      Type.String({ minLength: 1, description: 'Content-Type of the converted body.', default: 'application/json' }),
    ),
    maxBodySize: MaxBodySizeField(),
    maxBodyDepth: MaxBodyDepthField('XML elements'),
  },
  { additionalProperties: false },
);
export type XmlToJsonConfig = Required<Static<typeof XmlToJsonConfig>>;
