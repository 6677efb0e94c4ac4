/**
 * rewrite-path: one syntax, a regular expression and a replacement with `{group}` placeholders
 * (`{name}` for named groups, `{1}` for numbered ones). Placeholders are checked against the
 * pattern's groups at load, so a typo is a config error rather than a broken path in production.
 */
import { GatewayError } from '@gatehouse/core';
import { definePolicy } from '../sdk/define.js';
import { compileSafeRegex, type SafeMatch } from '../sdk/safe-regex.js';
import { rewritePathContract } from './contract.js';
import { compileReplacement, type Part } from './replacement.js';
import type { RewritePathConfig } from './schema.js';

function render(parts: Part[], match: SafeMatch, encode: (value: string) => string): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') out += part;
    else out += encode((typeof part.group === 'number' ? match[part.group] : match.groups?.[part.group]) ?? '');
  }
  return out;
}

/** A path value taken from the (percent-encoded) path, re-encoded for a query string. */
function toQueryValue(value: string): string {
  try {
    return encodeURIComponent(decodeURIComponent(value));
  } catch {
    return encodeURIComponent(value);
  }
}

/** True when a path has a `.` or `..` segment, literally or percent-encoded. */
export function hasDotSegment(path: string): boolean {
  return path.split('/').some((segment) => /^(?:\.|%2e){1,2}$/i.test(segment));
}

export const rewritePathPolicy = definePolicy<RewritePathConfig>({
  ...rewritePathContract,
  create(config) {
    const regex = compileSafeRegex(config.pattern, 'pattern', { ignoreCase: config.ignoreCase });
    const path = compileReplacement(config.replacement, regex, 'replacement');
    const query = compileReplacement(config.query, regex, 'query');
    return {
      request(ctx) {
        const match = regex.exec(ctx.request.path);
        if (match === null) return;
        const rewritten = render(path, match, (value) => value);
        // A captured `..` must not climb out of the target prefix once the upstream normalizes it.
        if (hasDotSegment(rewritten))
          throw new GatewayError('bad_request', { detail: 'The path contains dot segments.' });
        ctx.request.path = rewritten;
        const added = query.length > 0 ? render(query, match, toQueryValue) : '';
        const kept = config.keepQuery ? ctx.request.rawQuery : '';
        ctx.request.rawQuery = kept && added ? `${kept}&${added}` : kept || added;
      },
    };
  },
});
