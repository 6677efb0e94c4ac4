/** Checks on URLs rendered from templates (dynamic-routing, http-callout), where client input may end up. */

/** `*.internal` matches `a.internal` and `b.a.internal`, never `internal` itself; no patterns allow any host. */
export function hostMatcher(patterns: readonly string[]): (host: string) => boolean {
  if (patterns.length === 0) return () => true;
  const exact = new Set(patterns.filter((p) => !p.startsWith('*.')).map((p) => p.toLowerCase()));
  const suffixes = patterns.filter((p) => p.startsWith('*.')).map((p) => p.slice(1).toLowerCase());
  return (host) => exact.has(host) || suffixes.some((suffix) => host.endsWith(suffix));
}

/** The URL if it is a credential-free http(s) URL to an allowed host, else why not. */
export function checkUrl(text: string, allowed: (host: string) => boolean): { url: URL } | { problem: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: 'is not a URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: 'is not an http(s) URL' };
  if (url.username || url.password) return { problem: 'must not carry credentials' };
  if (!allowed(url.hostname.toLowerCase())) return { problem: `host ${url.hostname} is not in allowedHosts` };
  return { url };
}
