/**
 * The header size limit over the whole HTTP/1 request head, on plain and TLS listeners. Node's parser counts only the bytes of names and values:
 * thousands of tiny headers (their colons and line ends uncounted) or a megabyte of whitespace before a value pass a
 * 16 KB limit. This counts what the parser leaves out, cheaply, once the head has been parsed.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** Where the previous request on this connection started, in bytes read from the socket, and its declared body. */
const PREVIOUS_START = Symbol('gatehouse.previousRequestStart');
const PREVIOUS_BODY = Symbol('gatehouse.previousRequestBody');
type TrackedSocket = Socket & { [PREVIOUS_START]?: number; [PREVIOUS_BODY]?: number };

/**
 * True when the request head is larger than `limit` bytes. Two measures, both O(headers):
 * - the head as parsed: request line plus every `name: value\r\n` (catches many small fields);
 * - bytes the connection delivered since the previous request began, minus both requests' declared bodies (catches
 *   whitespace the parser skipped). Pipelined requests already read can only make this smaller, never larger than
 *   the truth, except when more than `limit` bytes of them arrive ahead of the response: a cost only to clients
 *   that pipeline that much.
 */
export function headBlockTooLarge(req: IncomingMessage, limit: number): boolean {
  const raw = req.rawHeaders;
  let size = req.method!.length + req.url!.length + 12; // ` HTTP/1.1\r\n` and the final empty line
  for (let i = 0; i < raw.length; i++) size += raw[i]!.length + 2; // `: ` after names, CRLF after values
  if (size > limit) return true;
  // Over TLS too: a TLSSocket's bytesRead counts decrypted bytes (the handshake and record framing are not in it).
  const socket = req.socket as TrackedSocket;
  const bytesRead = socket.bytesRead;
  const previousStart = socket[PREVIOUS_START] ?? 0;
  const previousBody = socket[PREVIOUS_BODY] ?? 0;
  const body = declaredBody(req);
  socket[PREVIOUS_START] = bytesRead;
  socket[PREVIOUS_BODY] = body;
  // bytesRead covers the previous request's body read after it started, this head, and this body read so far.
  return bytesRead - previousStart - previousBody - body > limit;
}

/** The body length the request declares; chunked bodies have no bound (that measure is skipped for them). */
function declaredBody(req: IncomingMessage): number {
  if (req.headers['transfer-encoding'] !== undefined) return Number.POSITIVE_INFINITY;
  const length = req.headers['content-length'];
  return length === undefined ? 0 : Number(length) || 0;
}

/**
 * HTTP/2 field values with leading or trailing whitespace are malformed (RFC 9113 8.2.1). nghttp2's strict mode
 * drops such fields silently, so their bytes escaped the header list limit; the listener turns it off (they are
 * then counted like every field) and the request is refused here instead.
 */
export function h2FieldWhitespace(rawHeaders: readonly string[]): string | undefined {
  for (let i = 1; i < rawHeaders.length; i += 2) {
    const value = rawHeaders[i]!;
    if (value.length === 0) continue;
    const first = value.charCodeAt(0);
    const last = value.charCodeAt(value.length - 1);
    if (first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09) return rawHeaders[i - 1];
  }
  return undefined;
}

/**
 * The HTTP/2 header list size as RFC 9113 6.5.2 defines it (name and value octets plus 32 per field, pseudo-fields
 * included) over `limit`. Node advertises SETTINGS_MAX_HEADER_LIST_SIZE but holds clients to it unevenly (a plain
 * Node 24 server accepted a 20 KB list under a 16 KB setting, and fields nghttp2 drops were never counted), so the
 * listener counts the decoded list itself and answers 431 like HTTP/1.
 */
export function h2HeaderListTooLarge(rawHeaders: readonly string[], limit: number): boolean {
  let size = 0;
  for (let i = 0; i < rawHeaders.length; i++) size += rawHeaders[i]!.length + 16; // 32 per name-value pair
  return size > limit;
}
