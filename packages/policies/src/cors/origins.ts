/** Origin allow-lists compiled once: exact origins in a set, wildcard ones as anchored RE2 regexes. */
import { compileSafeRegex, quoteRegex, type SafeRegex } from '../sdk/safe-regex.js';

export interface OriginMatcher {
  /** `*` was listed: any origin is allowed. */
  readonly any: boolean;
  allows(origin: string): boolean;
}

const ORIGIN = /^([a-z][a-z0-9+.-]*):\/\/(\[[0-9a-f:.]+\]|[^/?#:[\]]+)(:\d+)?$/;
/** One or more DNS labels. */
const LABELS = '[a-z0-9-]+(?:\\.[a-z0-9-]+)*';

export function compileOrigins(origins: readonly string[]): OriginMatcher {
  const exact = new Set<string>();
  const wildcards: SafeRegex[] = [];
  let any = false;
  for (const raw of origins) {
    const origin = raw.trim().toLowerCase().replace(/\/$/, '');
    if (origin === '*') {
      any = true;
      continue;
    }
    const parts = ORIGIN.exec(origin);
    if (!parts) throw new Error(`origins: "${raw}" is not an origin (scheme://host[:port], no path)`);
    const host = parts[2]!;
    if (!host.includes('*')) {
      exact.add(origin);
      continue;
    }
    // RE2: the Origin header is the client's, and several `*` would backtrack polynomially.
    const hostPattern = host.split('*').map(quoteRegex).join(LABELS);
    const source = `^${quoteRegex(parts[1]!)}://${hostPattern}${quoteRegex(parts[3] ?? '')}$`;
    wildcards.push(compileSafeRegex(source, 'origins'));
  }
  return {
    any,
    allows(origin) {
      if (any) return true;
      const normalized = origin.toLowerCase();
      return exact.has(normalized) || wildcards.some((re) => re.test(normalized));
    },
  };
}
