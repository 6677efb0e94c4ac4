/** Cache-Control parsing and the storability / freshness rules the cache policy applies. */
import type { OutgoingHttpHeaders } from 'node:http';

/** Directive name (lower-case) -> argument (empty string when none). */
export function parseCacheControl(header: string | string[] | number | undefined): Map<string, string> {
  const directives = new Map<string, string>();
  if (header === undefined) return directives;
  const text = Array.isArray(header) ? header.join(',') : String(header);
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (!name) continue;
    const value =
      eq === -1
        ? ''
        : part
            .slice(eq + 1)
            .trim()
            .replace(/^"(.*)"$/, '$1');
    directives.set(name, value);
  }
  return directives;
}

function seconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/**
 * How long (ms) a response may be stored: undefined when it must not be. The upstream's
 * `s-maxage` (meant for shared caches like this one) beats `max-age`; `Age` already spent counts.
 */
export function responseLifetimeMs(
  headers: OutgoingHttpHeaders,
  defaultTtlMs: number,
  useUpstream: boolean,
): number | undefined {
  if (headers['set-cookie'] !== undefined) return undefined; // per-user state must never be replayed to others
  const vary = headers.vary;
  if (
    vary !== undefined &&
    String(vary)
      .split(',')
      .some((v) => v.trim() === '*')
  )
    return undefined;
  if (!useUpstream) return defaultTtlMs;
  const cc = parseCacheControl(headers['cache-control']);
  if (cc.has('no-store') || cc.has('private') || cc.has('no-cache')) return undefined;
  const maxAge = seconds(cc.get('s-maxage')) ?? seconds(cc.get('max-age'));
  if (maxAge === undefined) return defaultTtlMs;
  const age = seconds(headers.age === undefined ? undefined : String(headers.age)) ?? 0;
  const remaining = (maxAge - age) * 1000;
  return remaining > 0 ? remaining : undefined;
}

/**
 * RFC 9111 section 3.5: a shared cache may reuse a response to a request with credentials for
 * others only when the response says so.
 */
export function sharableDespiteCredentials(headers: OutgoingHttpHeaders): boolean {
  const cc = parseCacheControl(headers['cache-control']);
  return cc.has('public') || cc.has('s-maxage') || cc.has('must-revalidate');
}

/** Lower-case header names listed in Vary. */
export function varyNames(headers: OutgoingHttpHeaders): string[] {
  const vary = headers.vary;
  if (vary === undefined) return [];
  const list = (Array.isArray(vary) ? vary.join(',') : String(vary)).split(',');
  return [...new Set(list.map((v) => v.trim().toLowerCase()).filter(Boolean))].sort();
}
