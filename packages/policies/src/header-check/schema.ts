import Type, { type Static } from 'typebox';

const HEADER_NAME = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";

const valueConstraints = {
  pattern: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'Regular expression the value is tested against (unanchored: use `^...$` for a whole-value match). RE2 syntax, matched in linear time: no lookaround (`(?=`, `(?<=`) and no backreferences (`\\1`); such patterns are refused at load.',
    }),
  ),
  values: Type.Optional(
    Type.Array(Type.String(), { minItems: 1, description: 'Exact values (the whole header value must equal one).' }),
  ),
  ignoreCase: Type.Optional(
    Type.Boolean({ default: false, description: 'Compare `pattern` and `values` case-insensitively.' }),
  ),
};

export const RequiredHeader = Type.Object(
  {
    name: Type.String({ pattern: HEADER_NAME, description: 'Header name (case-insensitive).' }),
    ...valueConstraints,
  },
  {
    additionalProperties: false,
    description: 'A header that must be present; with `pattern` and/or `values`, its value must also satisfy them.',
  },
);

export const ForbiddenHeader = Type.Object(
  {
    name: Type.String({ pattern: HEADER_NAME, description: 'Header name (case-insensitive).' }),
    ...valueConstraints,
  },
  {
    additionalProperties: false,
    description: 'A header that must not be sent; with `pattern` and/or `values`, only matching values are refused.',
  },
);

export const HeaderCheckConfigSchema = Type.Object(
  {
    required: Type.Optional(
      Type.Array(RequiredHeader, { default: [], description: 'Headers every request must carry.' }),
    ),
    forbidden: Type.Optional(
      Type.Array(ForbiddenHeader, { default: [], description: 'Headers (or header values) no request may carry.' }),
    ),
  },
  { additionalProperties: false, description: 'Required and forbidden request headers.' },
);
export type HeaderCheckConfig = Static<typeof HeaderCheckConfigSchema>;
