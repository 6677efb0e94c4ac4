/**
 * The header size limit over the whole HTTP/1 request head. Node's parser counts only the bytes of names and values:
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
export function headBlockTooLarge(req: IncomingMessage, limit: number, countSocketBytes = true): boolean {
  const raw = req.rawHeaders;
  let size = req.method!.length + req.url!.length + 12; // ` HTTP/1.1\r\n` and the final empty line
  for (let i = 0; i < raw.length; i++) size += raw[i]!.length + 2; // `: ` after names, CRLF after values
  if (size > limit) return true;
  // Over TLS the socket counts encrypted bytes: only the parsed measure applies there.
  if (!countSocketBytes) return false;
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
