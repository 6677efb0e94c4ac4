import Type, { type Static } from 'typebox';

export const KeylessConfig = Type.Object(
  {},
  { additionalProperties: false, description: 'Keyless plans take no settings.' },
);
export type KeylessConfig = Static<typeof KeylessConfig>;
