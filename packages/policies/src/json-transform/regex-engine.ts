/**
 * JSONata's regex literals (`$match(s, /(a+)+$/)`, `$replace`, `$split`, `$contains`) on RE2.
 * JSONata runs them with RegExp unless given a `RegexEngine`; its own timeout is only checked
 * between evaluation steps, so a backtracking regex would hold the event loop regardless.
 */
import type jsonata from 'jsonata';
import { compileSafeRegex, type SafeMatch, type SafeRegex } from '../sdk/safe-regex.js';

function compileLiteral(literal: RegExp, field: string): SafeRegex {
  return compileSafeRegex(literal.source, field, {
    ignoreCase: literal.flags.includes('i'),
    multiline: literal.flags.includes('m'),
  });
}

/**
 * Compiles every regex literal of a parsed expression (throws `<field>: ...` for one RE2 refuses)
 * and returns the engine class JSONata instantiates per evaluation, backed by those compiled ones.
 */
export function re2EngineFor(expression: jsonata.Expression, field: string): new (literal: RegExp) => unknown {
  const compiled = new Map<string, SafeRegex>();
  const keyOf = (literal: RegExp) => `${literal.flags}/${literal.source}`;
  const seen = new Set<unknown>();
  const pending: unknown[] = [expression.ast()];
  while (pending.length > 0) {
    const node = pending.pop();
    if (node === null || typeof node !== 'object' || seen.has(node)) continue;
    seen.add(node);
    if (node instanceof RegExp) {
      if (!compiled.has(keyOf(node))) compiled.set(keyOf(node), compileLiteral(node, `${field} /${node.source}/`));
      continue;
    }
    for (const value of Object.values(node)) pending.push(value);
  }

  return class Re2Literal {
    /** JSONata sets it before each exec and reads it after, as with a global RegExp. */
    lastIndex = 0;
    private readonly re: SafeRegex;
    constructor(literal: RegExp) {
      this.re = compiled.get(keyOf(literal)) ?? compileLiteral(literal, field);
    }
    exec(input: string): SafeMatch | null {
      const match = this.re.execFrom(input, this.lastIndex);
      this.lastIndex = match === null ? 0 : match.index + (match[0]?.length ?? 0);
      return match;
    }
  };
}
