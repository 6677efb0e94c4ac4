/** rewrite-path's `{group}` replacement templates, checked against the pattern's groups (load and write time). */
import type { SafeRegex } from '../sdk/safe-regex.js';

export type Part = string | { group: string | number };

/** Splits `/v2/{id}/x` into literal text and group references, validating each reference. */
export function compileReplacement(template: string, regex: SafeRegex, field: string): Part[] {
  const { groupNames: names, groupCount: count } = regex;
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
