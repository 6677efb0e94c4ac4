/**
 * rewrite-path: one syntax, a regular expression and a replacement with `{group}` placeholders
 * (`{name}` for named groups, `{1}` for numbered ones). Placeholders are checked against the
 * pattern's groups at load, so a typo is a config error rather than a broken path in production.
 */
import { GatewayError } from '@gatehouse/core';
import { definePolicy } from '../sdk/define.js';
import { rewritePathContract } from './contract.js';
import type { RewritePathConfig } from './schema.js';

type Part = string | { group: string | number };

/** Group names and count of a regex source. */
function groupsOf(regex: RegExp): { names: Set<string>; count: number } {
  // Matching the empty alternative makes exec return one slot per capturing group.
  const count = new RegExp(`${regex.source}|`).exec('')!.length - 1;
  const names = new Set([...regex.source.matchAll(/\(\?<([A-Za-z_$][\w$]*)>/g)].map((m) => m[1]!));
  return { names, count };
}

/** Splits `/v2/{id}/x` into literal text and group references, validating each reference. */
export function compileReplacement(template: string, regex: RegExp, field: string): Part[] {
  const { names, count } = groupsOf(regex);
  const parts: Part[] = [];
  let last = 0;
  for (const match of template.matchAll(/\{([A-Za-z_$][\w$]*|\d+)\}/g)) {
    if (match.index > last) parts.push(template.slice(last, match.index));
    const ref = match[1]!;
    if (/^\d+$/.test(ref)) {
      const index = Number(ref);
      if (index > count) throw new Error(`${field}: {${ref}} but the pattern has ${count} group(s)`);
      parts.push({ group: index });
    } else {
      if (!names.has(ref)) throw new Error(`${field}: {${ref}} is not a named group of the pattern`);
      parts.push({ group: ref });
    }
    last = match.index + match[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  return parts;
}

function render(parts: Part[], match: RegExpExecArray, encode: (value: string) => string): string {
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
    let regex: RegExp;
    try {
      regex = new RegExp(config.pattern, config.ignoreCase ? 'i' : '');
    } catch (error) {
      throw new Error(`pattern: ${(error as Error).message}`);
    }
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
