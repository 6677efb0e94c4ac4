/**
 * The request's Host (HTTP/1) or :authority (HTTP/2), validated once: it routes the request and becomes
 * X-Forwarded-Host upstream, so duplicates and values that are not an authority are refused (RFC 9112 3.2: 400).
 */
/** What the host check reads: an HTTP/1 or HTTP/2 request, or a plain object in tests. */
export interface HostSource {
  headers: { host?: string | undefined; [name: string]: string | string[] | undefined };
  rawHeaders: readonly string[];
  httpVersionMajor: number;
  httpVersionMinor: number;
}

export type HostCheck = { ok: true; host: string | undefined } | { ok: false; reason: string };

/** reg-name characters a host name uses in practice (RFC 3986 unreserved plus pct-encoded). */
const NAME_CHAR = /^[A-Za-z0-9._~%-]*$/;
const IP_LITERAL = /^\[[0-9A-Fa-f:.]+\]$/;
const PORT = /^[0-9]{1,5}$/;

/**
 * The last authority found valid. Clients send the same Host on every request of a connection (and most send the
 * same one as each other): one string comparison instead of slices and regexes per request. A memo of a pure
 * function, so the check's answer is unchanged.
 */
let lastValid: string | undefined;

/** True when `value` is `host[:port]` with a reg-name, IPv4 or bracketed IPv6 host and a port within range. */
export function isValidAuthority(value: string): boolean {
  if (value === lastValid) return true;
  if (!checkAuthority(value)) return false;
  lastValid = value;
  return true;
}

function checkAuthority(value: string): boolean {
  if (value.length > 255) return false;
  let host = value;
  let port: string | undefined;
  if (value.charCodeAt(0) === 91 /* [ */) {
    const close = value.indexOf(']');
    if (close === -1) return false;
    host = value.slice(0, close + 1);
    const rest = value.slice(close + 1);
    if (rest !== '') {
      if (rest.charCodeAt(0) !== 58 /* : */) return false;
      port = rest.slice(1);
    }
    if (!IP_LITERAL.test(host)) return false;
  } else {
    const colon = value.indexOf(':');
    if (colon !== -1) {
      host = value.slice(0, colon);
      port = value.slice(colon + 1);
    }
    if (host === '' || !NAME_CHAR.test(host)) return false;
  }
  return port === undefined || (PORT.test(port) && Number(port) <= 65535);
}

/** The request's authority, or why it is refused. An HTTP/1.1 request without authority may send an empty Host. */
export function checkHost(req: HostSource): HostCheck {
  if (req.httpVersionMajor === 2) {
    const authority = req.headers[':authority'] as string | undefined;
    const host = req.headers.host;
    // RFC 9113 8.3.1: a Host beside :authority must name the same thing.
    if (authority !== undefined && host !== undefined && host !== authority)
      return { ok: false, reason: 'Host and :authority differ' };
    const value = authority ?? host;
    if (value === undefined || value === '') return { ok: false, reason: 'the :authority pseudo-header is required' };
    return isValidAuthority(value) ? { ok: true, host: value } : { ok: false, reason: 'invalid :authority' };
  }
  const raw = req.rawHeaders;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') count++;
  }
  if (count > 1) return { ok: false, reason: 'more than one Host header' };
  const host = req.headers.host;
  if (host === undefined) {
    // HTTP/1.0 predates Host; HTTP/1.1 requires it (RFC 9112 3.2).
    return req.httpVersionMinor === 0 ? { ok: true, host: undefined } : { ok: false, reason: 'Host is required' };
  }
  if (host === '') return { ok: true, host: undefined };
  return isValidAuthority(host) ? { ok: true, host } : { ok: false, reason: 'invalid Host' };
}
