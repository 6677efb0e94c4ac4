/**
 * Ajv's `code.regExp` engine backed by RE2 (`re2js`, the engine of sdk/safe-regex.ts): operator-supplied `pattern` and
 * `patternProperties` run in linear time, so no body can make a pattern backtrack for seconds.
 */

import type { RegExpEngine } from 'ajv/dist/types/index.js';
import { RE2JS } from 're2js';

/** ECMA-262 spells Unicode general categories in full (`\p{Letter}`); RE2 knows their short names. */
const CATEGORY_ALIASES: Record<string, string> = {
  Letter: 'L',
  Cased_Letter: 'LC',
  Uppercase_Letter: 'Lu',
  Lowercase_Letter: 'Ll',
  Titlecase_Letter: 'Lt',
  Modifier_Letter: 'Lm',
  Other_Letter: 'Lo',
  Mark: 'M',
  Number: 'N',
  Decimal_Number: 'Nd',
  digit: 'Nd',
  Letter_Number: 'Nl',
  Other_Number: 'No',
  Punctuation: 'P',
  punct: 'P',
  Symbol: 'S',
  Separator: 'Z',
  Space_Separator: 'Zs',
  Other: 'C',
  Control: 'Cc',
  cntrl: 'Cc',
};

function toRe2Syntax(pattern: string): string {
  return pattern.replace(/\\([pP])\{(?:General_Category=|gc=)?([A-Za-z_]+)\}/g, (whole, p: string, name: string) => {
    const short = CATEGORY_ALIASES[name];
    return short ? `\\${p}{${short}}` : whole;
  });
}

/** Compiled patterns by source: documents repeat theirs (Stripe's `^[a-z]{3}$` hundreds of times). */
const compiled = new Map<string, RE2JS>();
const CACHE_SIZE = 2000;

/** Compiles a pattern with RE2; throws a readable error when RE2 cannot express it (backreferences, lookaround). */
export function compileRe2(pattern: string): RE2JS {
  const cached = compiled.get(pattern);
  if (cached) return cached;
  try {
    const re = RE2JS.compile(toRe2Syntax(pattern));
    if (compiled.size >= CACHE_SIZE) compiled.clear();
    compiled.set(pattern, re);
    return re;
  } catch (error) {
    throw new Error(
      `pattern ${JSON.stringify(pattern)} is not supported by the linear-time (RE2) engine: ${(error as Error).message}`,
    );
  }
}

export const re2RegExp: RegExpEngine = Object.assign((pattern: string) => compileRe2(pattern), {
  // Only used by Ajv's standalone code generation, which Gatehouse does not use.
  code: 'require("re2js").RE2JS.compile',
});
