import { randomFillSync } from 'node:crypto';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { editValueAt, editValueCount, type HeaderEdit, replacedByEdits } from '@gatehouse/policies';
import { util } from 'undici';

/** Hop-by-hop headers (RFC 9110 7.6.1) never forwarded in either direction. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  // Node answers 100-continue itself; forwarding Expect would make the upstream wait for it again.
  'expect',
]);

/** Copies request headers for forwarding: drops hop-by-hop, those named in Connection, and HTTP/2 pseudo-headers. */
export function forwardableRequestHeaders(source: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  const connection = source.connection;
  const extra =
    connection && connection !== 'keep-alive' && connection !== 'close' ? connectionTokens(connection) : undefined;
  for (const name in source) {
    if (name.charCodeAt(0) === 58 /* : */ || HOP_BY_HOP.has(name) || extra?.has(name)) continue;
    out[name] = source[name];
  }
  return out;
}

/** Copies upstream response headers for the client, dropping hop-by-hop ones. */
export function forwardableResponseHeaders(source: Record<string, string | string[] | undefined>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const connection = source.connection;
  const extra =
    typeof connection === 'string' && connection !== 'keep-alive' && connection !== 'close'
      ? connectionTokens(connection)
      : undefined;
  for (const name in source) {
    const value = source[name];
    if (value === undefined || HOP_BY_HOP.has(name) || extra?.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * Walks undici's raw response header list, handing each end-to-end header (lower-case name, latin1 value) to
 * `take` and skipping hop-by-hop ones. Returns false when the Connection header names extra headers to drop:
 * callers then use the parsed-object path, which handles that rare case.
 */
function eachForwardableRaw(raw: readonly Buffer[], take: (name: string, value: string) => void): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    const name = util.headerNameToString(raw[i]!);
    if (HOP_BY_HOP.has(name)) {
      if (name === 'connection' && !plainConnection(raw[i + 1]!)) return false;
      continue;
    }
    take(name, raw[i + 1]!.toString('latin1'));
  }
  return true;
}

/**
 * The forwardable headers as Node's flat [name, value, ...] list, without building a headers object first, with
 * policies' header edits applied: replaced headers are skipped, then every edit's values follow. The walk is
 * inlined (no callback per call, no value decoded for a header that is dropped): it runs for every response.
 */
export function forwardableRawHeaderList(
  raw: readonly Buffer[],
  edits: readonly HeaderEdit[] | undefined,
  /** A header the gateway sets itself afterwards (the request id): the upstream's is not forwarded. */
  own: string,
  /** When given, `own` is added last with this value (and `connection: close` after it when `closeAfter`). */
  ownValue?: string,
  closeAfter = false,
): string[] | undefined {
  // Sized once for the most it can hold: pushing into an empty array reallocated it twice per response.
  let room = raw.length + 4;
  if (edits !== undefined) for (let e = 0; e < edits.length; e++) room += 2 * editValueCount(edits[e]!);
  const list: string[] = new Array(room);
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = util.headerNameToString(raw[i]!);
    if (HOP_BY_HOP.has(name)) {
      // Connection naming extra headers to drop: the parsed-object path handles that rare case.
      if (name === 'connection' && !plainConnection(raw[i + 1]!)) return undefined;
      continue;
    }
    if (name === own || (edits !== undefined && replacedByEdits(edits, name))) continue;
    list[n++] = name;
    list[n++] = raw[i + 1]!.toString('latin1');
  }
  if (edits !== undefined)
    for (let e = 0; e < edits.length; e++) {
      const edit = edits[e]!;
      if (edit.name === own) continue;
      const count = editValueCount(edit);
      for (let v = 0; v < count; v++) {
        list[n++] = edit.name;
        list[n++] = editValueAt(edit, v);
      }
    }
  if (ownValue !== undefined) {
    list[n++] = own;
    list[n++] = ownValue;
    if (closeAfter) {
      list[n++] = 'connection';
      list[n++] = 'close';
    }
  }
  list.length = n;
  return list;
}

/** The forwardable headers object straight from the raw list (one pass); repeated names become arrays. */
export function forwardableHeadersFromRaw(raw: readonly Buffer[]): OutgoingHttpHeaders | undefined {
  const out: OutgoingHttpHeaders = {};
  const complete = eachForwardableRaw(raw, (name, value) => {
    // Own-property check: names like `constructor` must not hit Object.prototype.
    const existing = Object.hasOwn(out, name) ? out[name] : undefined;
    if (existing === undefined) {
      if (name === '__proto__')
        Object.defineProperty(out, name, { value, enumerable: true, configurable: true, writable: true });
      else out[name] = value;
    } else if (Array.isArray(existing)) existing.push(value);
    else out[name] = [String(existing), value];
  });
  return complete ? out : undefined;
}

/** A Connection header that names no other header (keep-alive or close). */
function plainConnection(value: Buffer): boolean {
  const token = value.toString('latin1').trim().toLowerCase();
  return token === 'keep-alive' || token === 'close';
}

function connectionTokens(value: string | string[]): Set<string> {
  const joined = Array.isArray(value) ? value.join(',') : value;
  return new Set(
    joined
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
}

/** Random ids from a pooled buffer: one randomFillSync per 4 KiB instead of a syscall per request. */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

export function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * A generated request id (16 random bytes in hex, like nginx's $request_id) and the span id the gateway will use
 * upstream, from one draw: one hex conversion instead of two.
 */
export function newRequestIds(): { requestId: string; spanId: string } {
  const ids = randomHex(24);
  return { requestId: ids.slice(0, 32), spanId: ids.slice(32) };
}

/**
 * W3C trace context: keep the caller's trace id and flags, and make the gateway's own span the
 * parent for the upstream; start a new (unsampled) trace when the caller sent none or an invalid one.
 * A new trace reuses the gateway-generated request id as its trace id (same shape, already random),
 * which also lets logs be joined on either; a client-chosen request id is never reused (it may repeat).
 */
export function nextTraceparent(
  incoming: string | undefined,
  generatedRequestId: string | undefined,
  spanId: string = randomHex(8),
): { header: string; traceId: string } {
  if (incoming !== undefined) {
    const match = TRACEPARENT.exec(incoming.trim());
    if (match && match[1] !== 'ff' && !/^0+$/.test(match[2]!)) {
      return { header: `00-${match[2]}-${spanId}-${match[4]}`, traceId: match[2]! };
    }
  }
  const traceId = generatedRequestId ?? randomHex(16);
  return { header: `00-${traceId}-${spanId}-00`, traceId };
}

/**
 * Sets X-Forwarded-For/-Proto/-Host (RFC 7239's de facto cousins). From a trusted proxy the chain is kept and the
 * proxy's own address appended, as every hop does; from anyone else the client's values are replaced.
 */
export function setForwardedHeaders(
  headers: IncomingHttpHeaders,
  peer: string,
  protocol: string,
  host: string,
  viaTrustedProxy: boolean,
): void {
  const prior = viaTrustedProxy ? headers['x-forwarded-for'] : undefined;
  headers['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${peer}` : peer;
  if (!viaTrustedProxy || headers['x-forwarded-proto'] === undefined) headers['x-forwarded-proto'] = protocol;
  if (!viaTrustedProxy || headers['x-forwarded-host'] === undefined) headers['x-forwarded-host'] = host;
}
