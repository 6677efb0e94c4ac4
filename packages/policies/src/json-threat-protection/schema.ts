import { ByteSize } from '@gatehouse/config';
import Type, { type Static } from 'typebox';

const limit = (description: string, defaultValue: number) =>
  Type.Optional(Type.Integer({ minimum: 1, default: defaultValue, description }));

export const JsonThreatProtectionConfigSchema = Type.Object(
  {
    maxDepth: limit('Deepest nesting of objects and arrays (`{"a":[1]}` has depth 2).', 32),
    maxKeyLength: limit('Longest object key, in characters.', 256),
    maxStringLength: limit('Longest string value, in characters (escapes count as one).', 65_536),
    maxArraySize: limit('Most elements in one array.', 10_000),
    maxObjectEntries: limit('Most members in one object.', 1_000),
    maxSize: Type.Optional(ByteSize('Largest JSON body accepted (checked before scanning).', '1mb')),
    contentTypes: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        default: ['application/json', 'application/*+json'],
        description:
          'Media types that are scanned (`*` matches within a type or subtype); other bodies pass untouched.',
      }),
    ),
  },
  { additionalProperties: false, description: 'Structural limits on JSON request bodies.' },
);
export type JsonThreatProtectionConfig = Static<typeof JsonThreatProtectionConfigSchema>;
