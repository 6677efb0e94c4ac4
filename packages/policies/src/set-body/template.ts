/**
 * Body templates: text with `${ cel }` placeholders. Unlike header templates, a body template
 * chooses how values are written:
 * - `json`: every value is JSON-encoded (a string gets quotes and escapes, a missing value is `null`),
 *   so `{"user": ${ claims.sub }}` is valid JSON whatever the claim contains: no injection.
 * - `raw`: strings are inserted as they are; other values are JSON-encoded; null is empty.
 * Placeholders may contain braces and quoted strings (`${ {"a": 1}["a"] }`).
 */
import type { CompiledExpression } from '../sdk/expression.js';

export type TemplateEncoding = 'json' | 'raw';

export interface BodyTemplate {
  render(activation: Record<string, unknown>): string;
}

type Part = string | CompiledExpression;

/** Index just past the `}` closing a placeholder whose body starts at `from`, or -1. */
function placeholderEnd(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const char = text[i];
    if (char === '"' || char === "'") {
      // Skip a CEL string literal, honouring backslash escapes.
      for (i++; i < text.length && text[i] !== char; i++) if (text[i] === '\\') i++;
    } else if (char === '{') depth++;
    else if (char === '}') {
      if (depth === 0) return i + 1;
      depth--;
    }
  }
  return -1;
}

export function parseTemplate(template: string, compile: (source: string) => CompiledExpression): Part[] {
  const parts: Part[] = [];
  let cursor = 0;
  for (let start = template.indexOf('${'); start >= 0; start = template.indexOf('${', cursor)) {
    const end = placeholderEnd(template, start + 2);
    if (end < 0) throw new Error(`unclosed placeholder at character ${start} of the template`);
    if (start > cursor) parts.push(template.slice(cursor, start));
    parts.push(compile(template.slice(start + 2, end - 1).trim()));
    cursor = end;
  }
  if (cursor < template.length) parts.push(template.slice(cursor));
  return parts;
}

function encode(value: unknown, encoding: TemplateEncoding): string {
  if (encoding === 'json') return JSON.stringify(value ?? null) ?? 'null';
  if (typeof value === 'string') return value;
  return value === undefined || value === null ? '' : JSON.stringify(value);
}

export function compileBodyTemplate(
  template: string,
  encoding: TemplateEncoding,
  compile: (source: string) => CompiledExpression,
): BodyTemplate {
  const parts = parseTemplate(template, compile);
  return {
    render(activation) {
      let out = '';
      for (const part of parts)
        out += typeof part === 'string' ? part : encode(part.evaluateWith(activation), encoding);
      return out;
    },
  };
}
