/**
 * One meaning for a request path, for the gateway's router and for every backend behind it.
 *
 * Lenient backends resolve what a strict router sees as opaque: Tomcat and Spring strip `;params` before resolving
 * dot segments (`/orders/..;/admin`), IIS maps full-width dots and backslashes, some servers decode twice
 * (`%252e%252e`). The gateway therefore routes on, and forwards, one canonical form (RFC 3986 6.2.2): unreserved
 * characters decoded, other escapes upper-cased, dot segments resolved, slashes merged. What cannot be made
 * unambiguous is refused.
 */

/** What to do with `%2F`, `%5C` and a raw `\` in a path (Envoy's path_with_escaped_slashes_action). */
export type EscapedSlashes = 'reject' | 'keep';

export type NormalizedPath = { ok: true; path: string } | { ok: false; reason: string };

const HEX = '0123456789ABCDEF';
const DOUBLE_ENCODED = /%25(?:2E|2F|5C|25)/i;
/** Byte sequences (UTF-8) that some servers map to `.`: full-width full stop U+FF0E, small full stop U+FE52, one dot leader U+2024. */
const DOT_LIKE = [Buffer.from('\uff0e'), Buffer.from('\ufe52'), Buffer.from('\u2024')];

/**
 * True when the path is plain: printable ASCII without `%`, `\`, `;`, empty segments or dot segments. One scan;
 * the router then uses it as it is.
 */
export function isPlainPath(path: string): boolean {
  const length = path.length;
  for (let i = 0; i < length; i++) {
    const c = path.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 37 /* % */ || c === 92 /* \ */ || c === 59 /* ; */) return false;
    if (c === 47 /* / */ && i + 1 < length) {
      const next = path.charCodeAt(i + 1);
      if (next === 47) return false;
      if (next === 46 /* . */) {
        // `/.` or `/..` followed by `/` or the end is a dot segment; `/.well-known` is not.
        const after = i + 2 < length ? path.charCodeAt(i + 2) : 47;
        if (after === 47) return false;
        if (after === 46 && (i + 3 >= length || path.charCodeAt(i + 3) === 47)) return false;
      }
    }
  }
  return true;
}

/** The canonical form of an absolute path (starting with `/`, no query), or why it is refused. */
export function normalizePath(path: string, escapedSlashes: EscapedSlashes = 'reject'): NormalizedPath {
  if (isPlainPath(path)) return { ok: true, path };
  const parts = path.slice(1).split('/');
  const segments: string[] = [];
  // A path ending in `/`, `/.` or `/..` names a directory: it keeps its trailing slash.
  let trailingSlash = false;
  for (const raw of parts) {
    trailingSlash = raw === '';
    if (raw === '') continue; // merged slashes (nginx's merge_slashes)
    const segment = canonicalSegment(raw, escapedSlashes);
    if (typeof segment !== 'string') return segment;
    if (segment === '.' || segment === '..') {
      if (segment === '..') segments.pop();
      trailingSlash = true;
      continue;
    }
    segments.push(segment);
  }
  const joined = `/${segments.join('/')}`;
  return { ok: true, path: trailingSlash && segments.length > 0 ? `${joined}/` : joined };
}

/** One segment: escapes decoded or canonicalised, `.` / `..` recognised, ambiguous forms refused. */
function canonicalSegment(raw: string, escapedSlashes: EscapedSlashes): string | { ok: false; reason: string } {
  let out = '';
  /** The segment's bytes as a lenient backend would decode them (once), to recognise dot-like segments. */
  const decoded: number[] = [];
  let semicolon = -1;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return refuse('control characters are not allowed in the path');
    if (c === 92 /* \ */) {
      if (escapedSlashes === 'reject') return refuse('backslashes are not allowed in the path');
      out += '%5C';
      decoded.push(c);
      continue;
    }
    if (c >= 0x80) {
      // Raw non-ASCII (latin1 from the HTTP/1 parser, UTF-16 from HTTP/2): forwarded as UTF-8 escapes.
      for (const byte of Buffer.from(raw[i]!, c > 0xff ? 'utf8' : 'latin1')) {
        out += percentEscape(byte);
        decoded.push(byte);
      }
      continue;
    }
    if (c !== 37 /* % */) {
      if (c === 59 /* ; */ && semicolon === -1) semicolon = decoded.length;
      out += raw[i];
      decoded.push(c);
      continue;
    }
    const byte = hexByte(raw, i + 1);
    if (byte === -1) return refuse('malformed percent-encoding in the path');
    i += 2;
    if (byte < 0x20 || byte === 0x7f) return refuse('encoded control characters are not allowed in the path');
    if (byte === 47 || byte === 92) {
      if (escapedSlashes === 'reject') return refuse('encoded slashes and backslashes are not allowed in the path');
      out += percentEscape(byte);
      decoded.push(byte);
      continue;
    }
    if (isUnreserved(byte)) out += String.fromCharCode(byte);
    else out += percentEscape(byte);
    decoded.push(byte);
  }
  // `%25` before an escape of `.`, `/`, `\` or `%` (however it was spelled) is meant for a second decoder.
  if (DOUBLE_ENCODED.test(out)) return refuse('double-encoded characters are not allowed in the path');
  const name = semicolon === -1 ? decoded : decoded.slice(0, semicolon);
  const dots = dotCount(name);
  if (dots === undefined) return out;
  // A dot segment spelled with parameters (`..;x`) or look-alike dots means `..` to someone but not to a router.
  if (semicolon !== -1) return refuse('dot segments with path parameters are not allowed');
  if (dots.lookAlike) return refuse('full-width or look-alike dots are not allowed as path segments');
  if (dots.count === 1) return '.';
  if (dots.count === 2) return '..';
  return out; // `...` is an ordinary name everywhere
}

/** How many dots the bytes spell when they are nothing but dots (ASCII or look-alike); undefined otherwise. */
function dotCount(bytes: readonly number[]): { count: number; lookAlike: boolean } | undefined {
  if (bytes.length === 0) return undefined;
  let count = 0;
  let lookAlike = false;
  let i = 0;
  outer: while (i < bytes.length) {
    if (bytes[i] === 46) {
      count++;
      i++;
      continue;
    }
    for (const dot of DOT_LIKE) {
      if (dot.every((b, k) => bytes[i + k] === b)) {
        count++;
        lookAlike = true;
        i += dot.length;
        continue outer;
      }
    }
    return undefined;
  }
  return { count, lookAlike };
}

function isUnreserved(byte: number): boolean {
  return (
    (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x61 && byte <= 0x7a) ||
    (byte >= 0x30 && byte <= 0x39) ||
    byte === 0x2d ||
    byte === 0x2e ||
    byte === 0x5f ||
    byte === 0x7e
  );
}

function hexByte(text: string, at: number): number {
  if (at + 1 >= text.length) return -1;
  const high = hexDigit(text.charCodeAt(at));
  const low = hexDigit(text.charCodeAt(at + 1));
  return high === -1 || low === -1 ? -1 : high * 16 + low;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

function percentEscape(byte: number): string {
  return `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
}

function refuse(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}
