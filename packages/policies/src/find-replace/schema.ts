import Type, { type Static } from 'typebox';
import { BodyPhaseField, MaxBodySizeField } from '../sdk/body-message.js';

export const Replacement = Type.Object(
  {
    find: Type.String({
      minLength: 1,
      description:
        'Text to find, or a regular expression when `regex` is true (RE2 syntax, matched in linear time: no lookaround (`(?=`, `(?<=`) and no backreferences (`\\1`); such patterns are refused at load).',
    }),
    replace: Type.Optional(
      Type.String({
        description: 'Replacement text; with `regex`, `$1`, `$<name>` and `$&` refer to the match.',
        default: '',
      }),
    ),
    regex: Type.Optional(Type.Boolean({ description: 'Treat `find` as a regular expression.', default: false })),
    flags: Type.Optional(
      Type.String({
        pattern: '^[gimsu]*$',
        description:
          'Flags: `g` replaces every match, `i` ignores case, `m` lets `^`/`$` match at line breaks, `s` lets `.` match line breaks, `u` is accepted (matching is always by code point); for literal text, `i` ignores case and without `g` only the first occurrence is replaced.',
        default: 'g',
      }),
    ),
  },
  { additionalProperties: false },
);

export const FindReplaceConfig = Type.Object(
  {
    phase: BodyPhaseField('is rewritten'),
    replacements: Type.Array(Replacement, {
      minItems: 1,
      description: 'Replacements applied in order, each on the result of the previous one.',
    }),
    contentTypes: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description:
          'Media types rewritten (`text/*`, `application/*+json` wildcards allowed); other bodies pass through. Empty rewrites every body. Compressed bodies (gzip, deflate, br) are decoded first; another Content-Encoding fails closed (415 for a request, 502 for a response).',
        default: [
          'text/*',
          'application/json',
          'application/*+json',
          'application/xml',
          'application/*+xml',
          'application/javascript',
          'application/x-www-form-urlencoded',
        ],
      }),
    ),
    maxBodySize: MaxBodySizeField(),
  },
  { additionalProperties: false },
);
export type ReplacementConfig = Required<Static<typeof Replacement>>;
/** Config after validation: defaults are filled, nested replacements included. */
export type FindReplaceConfig = Omit<Required<Static<typeof FindReplaceConfig>>, 'replacements'> & {
  replacements: ReplacementConfig[];
};
