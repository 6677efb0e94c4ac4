/**
 * Keeps credentials out of custom log lines. Two nets: keys named like a credential (a whole
 * header or query map rendered into a field) are masked, and the request's actual credential
 * values are masked wherever a field or the message repeats them.
 */
import type { RequestContext } from '../sdk/types.js';

export const REDACTED = '[redacted]';
/** Shorter values are too likely to appear by chance (a `1`, a `true`) to be masked everywhere. */
const MIN_SECRET_LENGTH = 6;

export interface Redactor {
  value(input: unknown): unknown;
  text(input: string): string;
}

export function redactorFor(
  ctx: RequestContext,
  headerNames: ReadonlySet<string>,
  queryNames: ReadonlySet<string>,
): Redactor {
  const secrets = new Set<string>();
  const remember = (value: string) => {
    const trimmed = value.trim();
    if (trimmed.length >= MIN_SECRET_LENGTH) secrets.add(trimmed);
    // `Bearer abc…`, `Basic abc…`: the credential alone may be what a field shows.
    const space = trimmed.indexOf(' ');
    if (space > 0 && trimmed.length - space - 1 >= MIN_SECRET_LENGTH) secrets.add(trimmed.slice(space + 1).trim());
  };
  for (const name of headerNames) {
    const value = ctx.request.headers[name];
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      remember(v);
      if (name === 'cookie') for (const pair of v.split(';')) remember(pair.slice(pair.indexOf('=') + 1));
    }
  }
  for (const name of queryNames) for (const v of ctx.request.query.getAll(name)) remember(v);
  // Longest first, so a token is masked as a whole before a shorter secret inside it is.
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  const sensitiveKeys = new Set([...headerNames, ...queryNames]);

  const text = (input: string): string => {
    let out = input;
    for (const secret of ordered) if (out.includes(secret)) out = out.replaceAll(secret, REDACTED);
    return out;
  };
  const value = (input: unknown): unknown => {
    if (typeof input === 'string') return text(input);
    if (Array.isArray(input)) return input.map(value);
    if (input !== null && typeof input === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(input))
        out[key] = sensitiveKeys.has(key.toLowerCase()) ? REDACTED : value(v);
      return out;
    }
    return input;
  };
  return { value, text };
}
