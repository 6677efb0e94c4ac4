import Type, { type Static } from 'typebox';
import { BodyPhaseField, MaxBodySizeField } from '../sdk/body-message.js';
import { MaxBodyDepthField } from '../sdk/nesting-depth.js';

export const XML_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9._-]*$';

export const JsonToXmlConfig = Type.Object(
  {
    phase: BodyPhaseField('is converted from JSON to XML'),
    rootElement: Type.Optional(
      Type.String({
        pattern: `(${XML_NAME_PATTERN})|^$`,
        description:
          'Name of the element wrapping the document. Empty: a JSON object with exactly one member becomes that element (`{"order": {...}}` -> `<order>`), anything else is wrapped in `root`.',
        default: 'root',
      }),
    ),
    attributePrefix: Type.Optional(
      Type.String({
        description:
          'Members whose name starts with this prefix become attributes (`"@id": 7` -> `id="7"`); empty turns attributes off.',
        default: '@',
      }),
    ),
    textKey: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Member holding the text of an element that also has attributes or children.',
        default: '#text',
      }),
    ),
    arrayItemElement: Type.Optional(
      Type.String({
        pattern: XML_NAME_PATTERN,
        description:
          'Element name for the items of a top-level array and of arrays nested directly in arrays (other arrays repeat their member name).',
        default: 'item',
      }),
    ),
    declaration: Type.Optional(
      Type.Boolean({
        description: 'Starts the document with `<?xml version="1.0" encoding="UTF-8"?>`.',
        default: true,
      }),
    ),
    contentType: Type.Optional(
      Type.String({ minLength: 1, description: 'Content-Type of the converted body.', default: 'application/xml' }),
    ),
    maxBodySize: MaxBodySizeField(),
    maxBodyDepth: MaxBodyDepthField('JSON arrays and objects'),
  },
  { additionalProperties: false },
);
export type JsonToXmlConfig = Required<Static<typeof JsonToXmlConfig>>;
